"""Server limits: anonymous checks expire (rows and unreferenced files), the schema upgrade is locked across
instances on PostgreSQL, failed logins are limited per account as well as per address."""
from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.server_support import CLEAN_2020, PG_ENV, ROOT, SEED, Client, fresh_pg, pg_url, settings_for

pytest.importorskip("fastapi")

from sqlalchemy import select, update  # noqa: E402

from addin.server import db  # noqa: E402
from addin.server.db import Check, Collection, Submission, Unit, utcnow  # noqa: E402
from addin.server.retention import expire_anonymous_checks  # noqa: E402
from addin.server.services import Service  # noqa: E402

DAY = dt.timedelta(days=1)


def _age(svc: Service, check_id: str, days: float) -> None:
    """Make a check (and its stored file) `days` old."""
    with svc.Session() as s:
        c = s.get(Check, check_id)
        s.execute(update(Check).where(Check.id == check_id).values(created_at=utcnow() - days * DAY))
        s.commit()
    old = time.time() - days * 86400
    os.utime(svc.store.path(c.file_key), (old, old))


def _unit_submission(svc: Service, content: bytes, created_days_ago: float) -> tuple[str, str]:
    """A unit's check and submitted version of `content`, made long ago: (check id, file key)."""
    stored = svc.store.put(io.BytesIO(content), ".xlsx", 1 << 30)
    with svc.Session() as s:
        c = Collection(year=2020, title="2020年度")
        u = Unit(collection=c, name="甲局", key="甲局", token="t" * 40)
        ch = Check(id="unit-check-" + "x" * 20, unit_id=None, file_key=stored.key, original_name="甲局.xlsx",
                   status="passed", result_json="{}", created_at=utcnow() - created_days_ago * DAY)
        s.add_all([c, u])
        s.flush()
        ch.unit_id = u.id
        s.add(ch)
        s.flush()
        s.add(Submission(unit_id=u.id, version=1, check_id=ch.id, file_key=stored.key, digest=stored.sha256,
                         submitted_at=utcnow() - created_days_ago * DAY))
        s.commit()
    old = time.time() - created_days_ago * 86400
    os.utime(svc.store.path(stored.key), (old, old))
    return ch.id, stored.key


def _clerk_check(c: Client, path: Path) -> str:
    r = c.upload("/check", path)
    assert r.status_code == 303, r.text
    return r.headers["location"].rsplit("/", 1)[1]


def _keys(svc: Service) -> set[str]:
    return {p.name for p in svc.store.files.glob("*/*")}


def test_expired_anonymous_checks_and_only_their_unreferenced_files_are_deleted(tmp_path):
    with Client(settings_for(tmp_path)) as c:
        svc = c.app.state.service
        old_seed, new_seed = _clerk_check(c, SEED), _clerk_check(c, SEED)   # one file, two checks
        old_clean = _clerk_check(c, CLEAN_2020)
        unit_check, unit_key = _unit_submission(svc, CLEAN_2020.read_bytes(), 400)   # same content as old_clean
        only_old = _clerk_check(c, ROOT / "examples" / "clean-2025.xlsx")
        for check_id in (old_seed, old_clean, only_old):
            _age(svc, check_id, 31)
        seed_key = svc.get_check(new_seed).file_key
        lone_key = svc.get_check(only_old).file_key
        assert {seed_key, unit_key, lone_key} <= _keys(svc)

        # day 29 of a 30-day retention: nothing expires
        assert expire_anonymous_checks(svc.Session, svc.store, 30, 0, now=utcnow() - 2 * DAY).checks == 0
        expired = expire_anonymous_checks(svc.Session, svc.store, 30, 0)
        assert expired.checks == 3 and expired.files == (lone_key,)
        assert svc.get_check(old_seed) is None and svc.get_check(old_clean) is None and svc.get_check(only_old) is None
        assert c.get(f"/check/{old_seed}").status_code == 404
        page = c.get(f"/check/{new_seed}")
        assert page.status_code == 200 and "保留 30 天，之后自动删除" in page.text
        # the file of the recent check and the unit's submitted file stay; the unit's old check is never touched
        assert _keys(svc) == {seed_key, unit_key}
        with svc.Session() as s:
            assert s.get(Check, unit_check) is not None
            assert s.scalar(select(Submission.file_key)) == unit_key

        # 40 days on, the other anonymous check goes too, the file with it (aged with the first); 0 days keeps all
        assert expire_anonymous_checks(svc.Session, svc.store, 0, 0, now=utcnow() + 400 * DAY).checks == 0
        later = expire_anonymous_checks(svc.Session, svc.store, 30, 3600, now=utcnow() + 40 * DAY)
        assert later.checks == 1 and later.files == (seed_key,) and _keys(svc) == {unit_key}


def test_a_young_file_is_kept_for_an_upload_of_the_same_content_under_way(tmp_path):
    with Client(settings_for(tmp_path)) as c:
        svc = c.app.state.service
        check_id = _clerk_check(c, SEED)
        key = svc.get_check(check_id).file_key
        with svc.Session() as s:
            s.execute(update(Check).where(Check.id == check_id).values(created_at=utcnow() - 31 * DAY))
            s.commit()
        # the row is old but the file was just (re)written by put(): another upload of it may be checking now
        expired = expire_anonymous_checks(svc.Session, svc.store, 30, svc.settings.upload_grace)
        assert expired.checks == 1 and expired.files == () and key in _keys(svc)


def test_expiry_runs_at_start_and_periodically(tmp_path):
    settings = settings_for(tmp_path, retention_days=30, retention_interval=0.2)
    with Client(settings) as c:
        svc = c.app.state.service
        first = _clerk_check(c, SEED)
        _age(svc, first, 31)
        deadline = time.monotonic() + 30
        while svc.get_check(first) is not None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert svc.get_check(first) is None, "the periodic sweep did not run"
        second = _clerk_check(c, CLEAN_2020)
        _age(svc, second, 45)
    # a service started later deletes what expired while it was down, and says so
    with Client(settings_for(tmp_path, retention_days=30, retention_interval=3600)) as again:
        assert again.app.state.service.get_check(second) is None
        assert any("已删除超过 30 天的匿名校验记录 1 条" in line for line in again.lines), again.lines
        assert not _keys(again.app.state.service)


def test_serve_option_and_environment_for_the_retention(tmp_path):
    from addin import cli

    env = dict(os.environ, PYTHONPATH=str(ROOT), GKREPORT_RETENTION_DAYS="-3")
    p = subprocess.run([sys.executable, "-m", "addin", "serve", "--data", str(tmp_path)], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "不小于 0 的天数" in p.stderr and "Traceback" not in p.stderr
    parser = cli.build_parser()
    assert parser.parse_args(["serve"]).keep_checks_days == 30
    assert parser.parse_args(["serve", "--keep-checks-days", "7.5"]).keep_checks_days == 7.5
    os.environ["GKREPORT_RETENTION_DAYS"] = "90"
    try:
        assert cli.build_parser().parse_args(["serve"]).keep_checks_days == 90
    finally:
        del os.environ["GKREPORT_RETENTION_DAYS"]


def _browser(app, address: str) -> Client:
    """A browser at its own client address (no cookies)."""
    from fastapi.testclient import TestClient

    other = Client.__new__(Client)
    other.http = TestClient(app, follow_redirects=False, client=(address, 50000))
    other.lines = []
    return other


def test_failed_logins_for_one_account_from_many_addresses_are_limited(tmp_path):
    with Client(settings_for(tmp_path, login_limit=3, account_login_limit=4)) as c:
        c.make_account("county")
        # four addresses, one wrong password each: no address reaches its own limit of 3 ...
        for i in range(4):
            assert _browser(c.app, f"10.0.0.{i + 1}").login("county", "wrong password").status_code == 401
        # ... but the account's limit is reached: even the right password from a fifth address waits
        blocked = _browser(c.app, "10.0.0.9").login("county")
        assert blocked.status_code == 429 and "该用户名最近登录失败次数过多" in blocked.text
        # another account name is not affected by these failures (it does not exist: a plain 401, no hint)
        assert _browser(c.app, "10.0.0.9").login("other", "x").status_code == 401
        # the per-address limit still comes first for one noisy address
        noisy = _browser(c.app, "10.0.0.20")
        for _ in range(3):
            assert noisy.login("nobody", "x").status_code == 401
        r = noisy.login("nobody2", "x")
        assert r.status_code == 429 and "登录失败次数过多，请 15 分钟后再试" in r.text
        # after the window the account logs in again, and a success clears its failures
        from addin.server.db import LoginAttempt

        svc = c.app.state.service
        with svc.Session() as s:
            s.execute(update(LoginAttempt).values(at=utcnow() - dt.timedelta(minutes=16)))
            s.commit()
        assert _browser(c.app, "10.0.0.9").login("county").status_code == 303
        with svc.Session() as s:
            assert not s.scalars(select(LoginAttempt).where(LoginAttempt.username == "county")).all()


STARTER = r"""
import hashlib, sys, time
from pathlib import Path
from addin.server.app import create_app
from addin.server import db
from addin.server.settings import Settings
data, url, ready, go = sys.argv[1:5]
Path(ready).touch()
while not Path(go).exists():
    time.sleep(0.001)
app = create_app(Settings(data_dir=Path(data), db_url=url or None, checkers=1), announce=lambda lines: None)
with app.state.service.Session() as s:
    secret = db.setting(s, "secret_key")
print(db.current_revision(app.state.engine), hashlib.sha256(secret.encode()).hexdigest()[:16])
"""


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    not pg_url(), reason=f"{PG_ENV} not set"))])
def test_two_instances_starting_at_once_upgrade_the_schema_once(tmp_path, kind):
    """Two `serve` processes released at the same moment on one empty database: both start, the schema is
    at head, one secret key (the start-up work is serialised by the advisory lock / the file lock)."""
    url = fresh_pg(pg_url()) if kind == "postgresql" else ""
    data = tmp_path / "data"
    data.mkdir()
    go = tmp_path / "go"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    procs = [subprocess.Popen([sys.executable, "-c", STARTER, str(data), url, str(tmp_path / f"ready{i}"), str(go)],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(2)]
    deadline = time.monotonic() + 120
    while not all((tmp_path / f"ready{i}").exists() for i in range(2)) and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-2000:] for _out, err in outs]
    lines = {out.strip() for out, _err in outs}
    assert len(lines) == 1 and lines.pop().startswith(db.head_revision() + " ")
