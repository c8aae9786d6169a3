"""`gkreport serve` security: token isolation, CSRF on every form, no path from user input, size limit while
streaming, login rate limit, signed sessions, hashed passwords."""
from __future__ import annotations

import re

import pytest

pytest.importorskip("fastapi")

from tests.server_support import CLEAN_2020, SEED, Client, settings_for  # noqa: E402


@pytest.fixture
def desk(tmp_path):
    with Client(settings_for(tmp_path, max_upload=200 * 1024, login_limit=3)) as c:
        c.make_account()
        assert c.login().status_code == 303
        yield c


def _fresh(desk):
    """Another browser: no cookies."""
    from fastapi.testclient import TestClient

    other = Client.__new__(Client)
    other.http = TestClient(desk.app, follow_redirects=False)
    other.lines = []
    return other


def test_a_unit_token_reaches_only_its_own_unit(desk):
    cid = desk.collection(2020, "甲\n乙")
    links = desk.unit_links(cid)
    a, b = links["甲"], links["乙"]
    unit = _fresh(desk)
    r = unit.upload(f"/u/{a}/check", CLEAN_2020, page=f"/u/{a}")
    check_id = r.headers["location"].rsplit("/", 1)[1]
    for url in (f"/u/{b}/check/{check_id}", f"/u/{b}/check/{check_id}/marked", f"/u/{b}/check/{check_id}/submission",
                f"/check/{check_id}", f"/u/{b}/receipt/1"):
        assert unit.get(url).status_code == 404, url
    # 乙 cannot submit 甲's check
    assert unit.post(f"/u/{b}/submit", data={"csrf": unit.csrf(), "check": check_id}).status_code == 409
    for url in ("/collections", f"/collections/{cid}", f"/collections/{cid}/summary.xlsx",
                f"/collections/{cid}/submissions.zip", f"/collections/{cid}/checks/{check_id}/file"):
        assert unit.get(url).status_code == 303 and unit.get(url).headers["location"] == "/login", url
    assert unit.get(f"/u/{a[:-1]}{'y' if a.endswith('x') else 'x'}").status_code == 404
    assert len(a) >= 32 and a != b


def test_every_form_needs_its_csrf_token(desk):
    cid = desk.collection(2020, "甲")
    token = desk.unit_links(cid)["甲"]
    posts = [("/check", {}, True), (f"/u/{token}/check", {}, True), (f"/u/{token}/submit", {"check": "x"}, False),
             ("/login", {"username": "county", "password": "x"}, False), ("/logout", {}, False),
             ("/collections", {"year": "2020"}, False), (f"/collections/{cid}/units", {"roster": "乙"}, False),
             (f"/setup/{'x' * 32}", {}, False)]
    for url, data, with_file in posts:
        files = {"file": ("a.xlsx", SEED.read_bytes())} if with_file else None
        for token_value in (None, "forged"):
            form = dict(data, **({"csrf": token_value} if token_value else {}))
            r = desk.post(url, data=form, files=files)
            assert r.status_code == 403, (url, token_value, r.status_code)
    assert list(desk.unit_links(cid)) == ["甲"]


def test_no_path_from_a_file_name_reaches_the_file_system(desk, tmp_path):
    data_dir = desk.app.state.settings.data_dir
    for name in ("../../../../tmp/evil.xlsx", "..\\..\\evil.xlsx", "/etc/passwd", "a/../../b.xlsx", "\x00.xlsx"):
        r = desk.upload("/check", CLEAN_2020, name=name, accept="application/json")
        assert r.status_code == 200
    assert not (tmp_path / "evil.xlsx").exists() and not (data_dir.parent / "evil.xlsx").exists()
    stored = [p.relative_to(data_dir) for p in data_dir.rglob("*") if p.is_file() and p.parent.parent.name == "files"]
    assert stored and all(re.fullmatch(r"files/[0-9a-f]{2}/[0-9a-f]{64}\.(xlsx|bin)", str(p)) for p in stored)
    store = desk.app.state.service.store
    for key in ("../../etc/passwd", "0" * 64 + "/../x", "0" * 64 + ".exe", "g" * 64 + ".xlsx"):
        with pytest.raises(ValueError):
            store.path(key)
    assert desk.get("/static/../settings.py").status_code == 404
    assert desk.get("/static/%2e%2e/settings.py").status_code == 404


def test_size_limit_is_enforced_while_streaming(desk):
    data_dir = desk.app.state.settings.data_dir
    before = sorted(p for p in (data_dir / "files").rglob("*"))
    big = b"PK" + b"\0" * (400 * 1024)

    def chunks():   # no Content-Length: the limit must act on the stream itself
        for i in range(0, len(big), 16 * 1024):
            yield big[i:i + 16 * 1024]
    boundary = "gkb"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{desk.csrf()}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.xlsx\"\r\n\r\n").encode()

    def body():
        yield head
        yield from chunks()
        yield f"\r\n--{boundary}--\r\n".encode()
    r = desk.post("/check", content=body(), headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    assert r.status_code == 413 and "不能超过" in r.text
    r = desk.post("/api/v1/check", files={"file": ("big.xlsx", big)})
    assert r.status_code == 413 and "不能超过" in r.json()["detail"]
    assert sorted(p for p in (data_dir / "files").rglob("*")) == before
    assert not any((data_dir / "tmp").iterdir())


def test_login_is_rate_limited_and_passwords_are_argon2(desk):
    from addin.server.db import User

    unit = _fresh(desk)
    for _ in range(3):
        assert unit.login(password="wrong password").status_code == 401
    blocked = unit.login()   # even the right password, for a while
    assert blocked.status_code == 429 and "15 分钟" in blocked.text
    with desk.app.state.service.Session() as s:
        assert s.query(User).one().password_hash.startswith("$argon2")


def test_sessions_are_signed(desk):
    cookie = desk.http.cookies.get("gkreport_session")
    assert desk.get("/collections").status_code == 200
    forged = _fresh(desk)
    forged.http.cookies.set("gkreport_session", cookie[:-4] + ("AAAA" if not cookie.endswith("AAAA") else "BBBB"))
    assert forged.get("/collections").status_code == 303


def test_a_large_upload_under_the_limit_is_answered(tmp_path):
    import os

    with Client(settings_for(tmp_path, max_upload=12 * 1024 * 1024)) as c:
        big = tmp_path / "大文件.xlsx"
        big.write_bytes(b"PK\x03\x04" + os.urandom(10 * 1024 * 1024))
        r = c.upload("/check", big, accept="application/json")
        assert r.status_code == 200
        page = c.get(r.json()["url"]).text
        assert "无法读取该文件" in page


def test_serve_command_help_is_chinese_and_lists_its_options():
    import subprocess
    import sys

    from tests.server_support import ROOT

    out = subprocess.run([sys.executable, "-m", "addin", "serve", "--help"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0
    for option in ("--host", "--port", "--data", "--db", "--max-upload-mb", "--cors-origin"):
        assert option in out.stdout
    assert "数据目录" in out.stdout
