"""Shared helpers of the server tests: an app on a temporary data folder, forms with their CSRF token, files."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "seed-2020.xlsx"
CLEAN_2020 = ROOT / "examples" / "clean-2020.xlsx"
PG_ENV = "GKREPORT_TEST_PG_URL"
PASSWORD = "correct horse battery"


def pg_url() -> str | None:
    return os.environ.get(PG_ENV) or None


def db_urls() -> list:
    """The databases the storage tests run on: SQLite always, PostgreSQL when GKREPORT_TEST_PG_URL is set."""
    return ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(not pg_url(), reason=f"{PG_ENV} not set"))]


def fresh_pg(url: str) -> str:
    """An empty schema for one test on the PostgreSQL server (tables dropped)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


def settings_for(tmp_path: Path, kind: str = "sqlite", **kw):
    from addin.server.settings import Settings

    db = fresh_pg(pg_url()) if kind == "postgresql" else None
    return Settings(data_dir=tmp_path / "data", db_url=db, checkers=kw.pop("checkers", 1), **kw)


class Client:
    """A TestClient with the service's start-up lines and form helpers."""

    def __init__(self, settings):
        from fastapi.testclient import TestClient

        from addin.server.app import create_app

        self.lines: list[str] = []
        self.app = create_app(settings, announce=self.lines.extend)
        self.http = TestClient(self.app, follow_redirects=False)

    def __enter__(self):
        self.http.__enter__()
        return self

    def __exit__(self, *exc):
        self.http.__exit__(*exc)

    def __getattr__(self, name):
        return getattr(self.http, name)

    def csrf(self, url: str = "/") -> str:
        html = self.http.get(url).text
        return re.search(r'name="csrf" value="([^"]+)"', html).group(1)

    def upload(self, url: str, path: Path, name: str | None = None, page: str = "/", **headers):
        data = {"csrf": self.csrf(page)}
        with open(path, "rb") as fh:
            return self.http.post(url, data=data, files={"file": (name or path.name, fh)}, headers=headers)

    def setup_token(self) -> str:
        return next(re.search(r"/setup/(\S+)", line).group(1) for line in self.lines if "/setup/" in line)

    def make_account(self, username: str = "county", password: str = PASSWORD):
        token = self.setup_token()
        r = self.http.post(f"/setup/{token}", data={"csrf": self.csrf(f"/setup/{token}"), "username": username,
                                                      "password": password, "password2": password})
        assert r.status_code == 303, r.text
        return r

    def login(self, username: str = "county", password: str = PASSWORD):
        return self.http.post("/login", data={"csrf": self.csrf("/login"), "username": username, "password": password})

    def collection(self, year: int, roster: str) -> int:
        r = self.http.post("/collections", data={"csrf": self.csrf("/collections"), "year": str(year), "roster": roster})
        assert r.status_code == 303, r.text
        return int(r.headers["location"].rsplit("/", 1)[1])

    def unit_links(self, cid: int) -> dict[str, str]:
        html = self.http.get(f"/collections/{cid}").text
        return dict(re.findall(r'<tr data-unit="([^"]+)".*?/u/([A-Za-z0-9_-]+)"', html, re.S))


def report(path: Path, year: int = 2020, unit: str = "某街道办事处", seed: int = 0, broken: bool = False) -> Path:
    """A workbook built from the format's template: passing, or with typical errors."""
    from addin.formats import available_formats, format_for_year
    from tests.factory import broken_values, write_report

    fmt = format_for_year(year, available_formats())
    values = broken_values(fmt, seed) if broken else None
    return write_report(path, fmt.version, year, unit, values=values, seed=seed)


def zip_parts(path: Path, skip=("docProps/core.xml",)) -> dict[str, bytes]:
    import zipfile

    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n not in skip}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(settings, port: int | None = None, checkers: int = 2):
    """`gkreport serve` in its own process group; returns (process, setup token, port)."""
    port = port or free_port()
    cmd = [sys.executable, "-m", "addin", "serve", "--host", "127.0.0.1", "--data", str(settings.data_dir),
           "--port", str(port), "--checkers", str(checkers)]
    if settings.db_url:
        cmd += ["--db", settings.db_url]
    proc = subprocess.Popen(cmd, cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                            start_new_session=True)
    token = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        m = re.search(r"/setup/(\S+)", line)
        if m:
            token = m.group(1)
            break
    threading.Thread(target=proc.stderr.read, daemon=True).start()
    return proc, token, port


def stop_server(proc) -> None:
    import signal

    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
