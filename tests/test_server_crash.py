"""`gkreport serve` killed with SIGKILL during uploads: after a restart the database and the file store agree
(no orphan file, no row without its file, versions without gaps) and every answered receipt is there."""
from __future__ import annotations

import dataclasses
import os
import re
import signal
import threading
import time

import pytest

pytest.importorskip("httpx")

from tests.server_support import PASSWORD, Client, db_urls, report, settings_for, start_server  # noqa: E402


def form_token(http, url: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', http.get(url).text).group(1)


@pytest.mark.parametrize("kind", db_urls())
def test_kill_9_during_uploads_leaves_a_consistent_store(tmp_path, kind):
    import httpx
    from sqlalchemy import select

    from addin.server.db import Check, Submission

    settings = settings_for(tmp_path, kind)
    proc, setup, port = start_server(settings)
    assert setup, "the first start prints the setup link"
    base = f"http://127.0.0.1:{port}"
    files = [report(tmp_path / f"r{i}.xlsx", unit=f"单位{i % 3}", seed=i, broken=i % 4 == 3) for i in range(12)]
    answered: list[tuple[str, int, str]] = []
    try:
        with httpx.Client(base_url=base, timeout=30) as http:
            http.post(f"/setup/{setup}", data={"csrf": form_token(http, f"/setup/{setup}"), "username": "county",
                                               "password": PASSWORD, "password2": PASSWORD})
            http.post("/login", data={"csrf": form_token(http, "/login"), "username": "county", "password": PASSWORD})
            r = http.post("/collections", data={"csrf": form_token(http, "/collections"), "year": "2020",
                                                "roster": "单位0\n单位1\n单位2"}, follow_redirects=True)
            tokens = re.findall(r'/u/([A-Za-z0-9_-]{20,})"', r.text)
        assert len(tokens) == 3
        stop = threading.Event()

        def client(n: int):
            with httpx.Client(base_url=base, timeout=30) as h:
                i = n
                while not stop.is_set():
                    f = files[i % len(files)]
                    try:
                        resp = h.post(f"/api/v1/units/{tokens[i % 3]}/submissions", files={"file": (f.name, f.read_bytes())})
                    except httpx.HTTPError:
                        return   # the server is gone
                    if resp.status_code == 200:
                        rec = resp.json()["receipt"]
                        answered.append((rec["unit"], rec["version"], rec["digest"]))
                    i += 1
        threads = [threading.Thread(target=client, args=(n,)) for n in range(6)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        while len(answered) < 8 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)   # the server and its checker processes, mid-upload
        proc.wait()
        stop.set()
        for t in threads:
            t.join()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert len(answered) >= 8

    # the restart: migrations, orphan sweep (no grace: this is the only instance on the data folder)
    with Client(dataclasses.replace(settings, sweep_grace=0)) as c:
        svc = c.app.state.service
        with svc.Session() as s:
            checks = {ch.id: ch for ch in s.scalars(select(Check))}
            subs = list(s.scalars(select(Submission)))
        on_disk = {p.name for p in (settings.data_dir / "files").glob("*/*")}
        assert on_disk == {ch.file_key for ch in checks.values()}             # no orphan, no row without file
        assert not any((settings.data_dir / "tmp").iterdir())
        by_unit: dict[int, list[int]] = {}
        for sub in subs:
            assert checks[sub.check_id].status == "passed" and sub.file_key == checks[sub.check_id].file_key
            by_unit.setdefault(sub.unit_id, []).append(sub.version)
        assert all(sorted(v) == list(range(1, len(v) + 1)) for v in by_unit.values())
        names = {u.id: u.name for col in [svc.collection_state(1)] for u in col[1]}
        stored = {(names[s.unit_id], s.version, s.digest) for s in subs}
        assert set(answered) <= stored                                           # every receipt given is kept
