"""`gkreport serve` storage on SQLite and PostgreSQL (GKREPORT_TEST_PG_URL): schema upgrade from the previous
revision, concurrent submissions of one unit, all-or-nothing files, orphan sweep on start."""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
import threading

import pytest

pytest.importorskip("sqlalchemy")

from tests.server_support import CLEAN_2020, Client, db_urls, report, settings_for  # noqa: E402

KINDS = db_urls()


def _previous():
    from addin.server import db

    return db.previous_revisions()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("revision", _previous())
def test_database_of_a_previous_schema_revision_is_upgraded_on_start(tmp_path, kind, revision):
    from sqlalchemy import text

    from addin.server import db

    settings = settings_for(tmp_path, kind)
    settings.data_dir.mkdir(parents=True)
    engine = db.make_engine(settings.database_url)
    db.upgrade(engine, revision)
    assert db.current_revision(engine) == revision
    now = dt.datetime(2026, 1, 5, 8, 0)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO collections (id, year, title, created_at) VALUES (1, 2020, '旧收集', :t)"), {"t": now})
        conn.execute(text("INSERT INTO units (id, collection_id, position, name, key, parent, category, contact, token) "
                          "VALUES (1, 1, 0, '甲', '甲', '', '', '', 'tok-old-unit-0000000000000000000')"))
    engine.dispose()
    with Client(settings) as c:
        assert db.current_revision(c.app.state.engine) == db.head_revision() == "0004"
        c.make_account()
        assert c.login().status_code == 303   # the login_attempts table of revision 0002 is there
        assert c.login(password="wrong password").status_code == 401
        assert "旧收集" in c.get("/collections").text
        r = c.upload("/u/tok-old-unit-0000000000000000000/check", CLEAN_2020, page="/u/tok-old-unit-0000000000000000000")
        assert r.status_code == 303


@pytest.mark.parametrize("kind", KINDS)
def test_concurrent_submissions_of_one_unit_get_consecutive_versions(tmp_path, kind):
    from sqlalchemy import select

    from addin.server.collect import RosterUnit
    from addin.server.db import Submission, Unit

    with Client(settings_for(tmp_path, kind, checkers=2)) as c:
        svc = c.app.state.service
        col = svc.create_collection(2020, "并发", [RosterUnit("甲")])
        with svc.Session() as s:
            unit = s.scalar(select(Unit).where(Unit.collection_id == col.id))
        files = [report(tmp_path / f"r{i}.xlsx", unit="甲", seed=i) for i in range(6)]
        checks = [svc.check_upload(open(f, "rb"), f.name, unit.id) for f in files]
        barrier = threading.Barrier(len(checks) * 2)
        got, errors = [], []

        def submit(check_id):
            barrier.wait()
            try:
                got.append(svc.submit(unit, check_id).version)
            except Exception as exc:   # pragma: no cover - the assertion below shows it
                errors.append(exc)
        threads = [threading.Thread(target=submit, args=(ch.id,)) for ch in checks for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        with svc.Session() as s:
            rows = list(s.scalars(select(Submission).where(Submission.unit_id == unit.id)))
        assert sorted(r.version for r in rows) == list(range(1, 7))          # no gap, no duplicate
        assert sorted(r.check_id for r in rows) == sorted(ch.id for ch in checks)   # each check stored once
        assert sorted(got) == sorted(list(range(1, 7)) * 2)                  # the second try got the same version


class _Broken(io.RawIOBase):
    """A stream that dies half way, as a dropped connection does."""

    def __init__(self):
        self.n = 0

    def readable(self):
        return True

    def read(self, size=-1):
        self.n += 1
        if self.n > 3:
            raise ConnectionResetError("client went away")
        return b"x" * 1000


@pytest.mark.parametrize("kind", KINDS)
def test_a_file_is_stored_completely_or_not_at_all_and_orphans_are_swept(tmp_path, kind):
    from addin.server.store import TooLarge

    settings = settings_for(tmp_path, kind)
    with Client(settings) as c:
        svc = c.app.state.service
        with pytest.raises(ConnectionResetError):
            svc.check_upload(_Broken(), "a.xlsx")
        with pytest.raises(TooLarge):
            svc.check_upload(io.BytesIO(b"x" * (settings.max_upload + 1)), "a.xlsx")
        files = settings.data_dir / "files"
        assert not any(files.rglob("*.*")) and not any((settings.data_dir / "tmp").iterdir())
        kept = svc.check_upload(open(CLEAN_2020, "rb"), "clean.xlsx")
    # what a crash between the rename and the commit leaves: a stored file no row refers to
    orphan = files / "ab" / ("ab" + "0" * 62 + ".xlsx")
    orphan.parent.mkdir(exist_ok=True)
    orphan.write_bytes(b"orphan")
    (settings.data_dir / "tmp" / "up-1.part").write_bytes(b"half")
    with Client(dataclasses.replace(settings, sweep_grace=3600)) as c:   # another instance's upload may be young
        assert orphan.exists()
    with Client(dataclasses.replace(settings, sweep_grace=0)) as c:
        assert not orphan.exists() and not any((settings.data_dir / "tmp").iterdir())
        assert c.app.state.service.store.path(kept.file_key).exists()
        assert any("未登记文件" in line for line in c.lines)
