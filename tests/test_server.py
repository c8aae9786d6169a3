"""`gkreport serve`: every route through the framework's test client (clerk, unit link, collector, API)."""
from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import zipfile
from urllib.parse import unquote

import pytest

pytest.importorskip("fastapi")

from tests.server_support import CLEAN_2020, ROOT, SEED, Client, report, settings_for, zip_parts  # noqa: E402


@pytest.fixture
def client(tmp_path):
    with Client(settings_for(tmp_path)) as c:
        yield c


@pytest.fixture
def desk(client):
    client.make_account()
    assert client.login().status_code == 303
    return client


def disposition_name(response) -> str:
    header = response.headers["content-disposition"]
    return unquote(re.search(r"filename\*=UTF-8''(\S+)", header).group(1))


# -- the clerk -------------------------------------------------------------------------------------

def test_start_prints_setup_link_once_per_start_until_an_account_exists(client):
    assert any("/setup/" in line for line in client.lines)
    token = client.setup_token()
    assert client.get(f"/setup/{token}").status_code == 200
    assert client.get("/setup/wrong-token").status_code == 404
    client.make_account()
    assert client.get(f"/setup/{token}").status_code == 404   # one time only


def test_clerk_checks_the_seed_and_gets_the_cli_marked_copy(client, tmp_path):
    assert "开始校验" in client.get("/").text
    r = client.upload("/check", SEED)
    assert r.status_code == 303
    url = r.headers["location"]
    page = client.get(url).text
    assert "校验未通过：有 7 处错误" in page
    # the tables as on paper: the blank 表二 cells (VAL-01) are coloured, their message in the hover text
    cells = re.findall(r'<td class="input data marked sev-error" title="([^"]*)"', page)
    assert any("VAL-01" in t and "表二 主动公开!B6" in t for t in cells)
    assert "下载报送文件" not in page
    marked = client.get(url + "/marked")
    assert marked.status_code == 200
    assert disposition_name(marked) == "seed-2020.校验.xlsx"
    got = tmp_path / "got.xlsx"
    got.write_bytes(marked.content)
    out = tmp_path / "cli"
    subprocess.run([sys.executable, "-m", "addin", "check", str(SEED), "--annotate", "--out-dir", str(out)],
                   cwd=ROOT, capture_output=True, check=False)
    assert zip_parts(got) == zip_parts(out / "seed-2020.校验.xlsx")
    assert client.get(url + "/submission").status_code == 409


def test_clerk_gets_the_clean_submission_file_when_there_are_no_errors(client, tmp_path):
    from addin.writing.submission import verify

    r = client.upload("/check", CLEAN_2020)
    url = r.headers["location"]
    page = client.get(url).text
    assert "校验通过" in page and "下载报送文件" in page
    sub = client.get(url + "/submission")
    assert sub.status_code == 200 and disposition_name(sub) == "clean-2020-报送.xlsx"
    (tmp_path / "s.xlsx").write_bytes(sub.content)
    assert verify(tmp_path / "s.xlsx").ok
    assert "下载可公开发布的报告" in page
    docx = client.get(url + "/report.docx")
    assert docx.status_code == 200 and disposition_name(docx) == "clean-2020-报告.docx"
    from docx import Document   # the published report as Word reads it: the official title and tables
    (tmp_path / "r.docx").write_bytes(docx.content)
    word = Document(tmp_path / "r.docx")
    assert "政府信息公开工作年度报告" in word.paragraphs[0].text and len(word.tables) == 3


def test_upload_with_script_gets_json_and_unreadable_file_gets_the_cli_finding(client, tmp_path):
    bad = tmp_path / "坏文件.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    r = client.upload("/check", bad, accept="application/json")
    assert r.status_code == 200
    page = client.get(r.json()["url"]).text
    cli = subprocess.run([sys.executable, "-m", "addin", "check", str(bad), "--json"], cwd=ROOT,
                         capture_output=True, text=True).stdout
    code = json.loads(cli)["results"][0]["findings"][0]["code"]
    assert "无法读取该文件" in page and code in page
    assert "下载标注副本" not in page


def test_blank_template_for_any_year(client):
    for year in (2020, 2025):
        r = client.get(f"/template?year={year}")
        assert r.status_code == 200
        assert disposition_name(r) == f"{year}年政府信息公开工作年度报告（空白模板）.xlsx"
        assert r.content[:2] == b"PK"
    assert client.get("/template?year=1990").status_code == 400


def test_clerk_check_is_not_readable_through_a_unit_link_and_ids_are_unguessable(desk):
    r = desk.upload("/check", SEED)
    check_id = r.headers["location"].rsplit("/", 1)[1]
    assert len(check_id) >= 32
    cid = desk.collection(2020, "甲单位\n乙单位")
    token = desk.unit_links(cid)["甲单位"]
    assert desk.get(f"/u/{token}/check/{check_id}").status_code == 404
    assert desk.get("/check/" + "A" * 32).status_code == 404


# -- units and the collector --------------------------------------------------------------------------

ROSTER = "单位名称,上级单位,类别,联系人\n甲街道办事处,区政府,街道,张三13800000001\n乙街道办事处,区政府,街道,李四\n丙局\n丁局\n戊局"


def test_collector_flow_statuses_versions_and_downloads(desk, tmp_path):
    cid = desk.collection(2020, ROSTER)
    links = desk.unit_links(cid)
    assert list(links) == ["甲街道办事处", "乙街道办事处", "丙局", "丁局", "戊局"]
    a, b = links["甲街道办事处"], links["乙街道办事处"]
    other = Client.__new__(Client)   # a unit's browser has no login: use a fresh cookie jar
    from fastapi.testclient import TestClient

    other.http = TestClient(desk.app, follow_redirects=False)
    other.lines = []
    # 甲 fails first (not storable), then passes and submits
    r = other.upload(f"/u/{a}/check", report(tmp_path / "甲.xlsx", broken=True), page=f"/u/{a}")
    failed_url = r.headers["location"]
    page = other.get(failed_url).text
    assert "校验未通过" in page and "data-submit" not in page
    failed_id = failed_url.rsplit("/", 1)[1]
    refused = other.post(f"/u/{a}/submit", data={"csrf": other.csrf(f"/u/{a}"), "check": failed_id})
    assert refused.status_code == 409
    r = other.upload(f"/u/{a}/check", report(tmp_path / "甲2.xlsx", unit="甲街道办事处"), page=f"/u/{a}")
    ok_id = r.headers["location"].rsplit("/", 1)[1]
    assert "data-submit" in other.get(r.headers["location"]).text
    sub = other.post(f"/u/{a}/submit", data={"csrf": other.csrf(f"/u/{a}"), "check": ok_id})
    assert sub.status_code == 303 and sub.headers["location"] == f"/u/{a}/receipt/1"
    receipt = other.get(sub.headers["location"]).text
    assert "甲街道办事处" in receipt and "第 1 版" in receipt and re.search(r"[0-9a-f]{64}", receipt)
    # the same check submitted twice stays one version; a second upload is version 2
    again = other.post(f"/u/{a}/submit", data={"csrf": other.csrf(f"/u/{a}"), "check": ok_id})
    assert again.headers["location"] == f"/u/{a}/receipt/1"
    r = other.upload(f"/u/{a}/check", report(tmp_path / "甲3.xlsx", unit="甲街道办事处", seed=3), page=f"/u/{a}")
    other.post(f"/u/{a}/submit", data={"csrf": other.csrf(f"/u/{a}"), "check": r.headers["location"].rsplit("/", 1)[1]})
    # 乙 passes the check but has not pressed 提交 yet
    other.upload(f"/u/{b}/check", report(tmp_path / "乙.xlsx", unit="乙街道办事处", seed=1), page=f"/u/{b}")
    # a unit sees only its own versions; its token opens nothing of the desk
    assert "第 2 版" in other.get(f"/u/{a}").text and "第 1 版" not in other.get(f"/u/{b}").text
    assert other.get(f"/collections/{cid}").status_code == 303
    assert other.get(f"/api/v1/collections/{cid}/statuses").status_code == 401

    statuses = desk.get(f"/api/v1/collections/{cid}/statuses").json()["units"]
    got = {u["name"]: (u["status"], u["versions"]) for u in statuses}
    assert got == {"甲街道办事处": ("已报送", 2), "乙街道办事处": ("已通过", 0), "丙局": ("未报送", 0),
                   "丁局": ("未报送", 0), "戊局": ("未报送", 0)}
    assert statuses[0]["contact"] == "张三13800000001"
    dash = desk.get(f"/collections/{cid}").text
    assert 'data-count="未报送">未报送 3' in dash and 'data-count="已报送">已报送 1' in dash
    assert desk.get(f"/collections/{cid}?status=未报送").text.count("<tr data-unit=") == 3
    assert "乙街道办事处\t已通过" in dash   # 催报 list
    uid = re.search(r'/collections/\d+/units/(\d+)">甲街道办事处', dash).group(1)
    unit_page = desk.get(f"/collections/{cid}/units/{uid}").text
    assert "第 2 版（当前）" in unit_page and "全部上传记录（3 次）" in unit_page

    z = desk.get(f"/collections/{cid}/submissions.zip")
    assert disposition_name(z).endswith("-报送文件.zip")
    names = zipfile.ZipFile(io.BytesIO(z.content)).namelist()
    assert names == ["甲街道办事处-第2版.xlsx"]
    lines = desk.get(f"/collections/{cid}/results.jsonl").text.splitlines()
    assert [json.loads(x)["unit"] for x in lines] == ["甲街道办事处"]
    assert desk.get(f"/collections/{cid}/summary.xlsx").status_code == 200
    assert desk.get(f"/collections/{cid}/totals.xlsx").status_code == 200
    assert desk.get(f"/collections/{cid}/yoy").status_code == 404   # no 2019 collection


def test_summary_and_totals_equal_the_command_line_on_the_same_files(desk, tmp_path):
    from openpyxl import load_workbook

    from addin.formats import available_formats
    from addin.pipeline import check_file
    from addin.values import flat_values
    from addin.writing.collection_book import TOTALS_PREFIX
    from addin.writing.template import plan

    cid = desk.collection(2020, "甲\n乙\n丙")
    links = desk.unit_links(cid)
    files = []
    for i, name in enumerate(["甲", "乙"]):
        f = report(tmp_path / f"{name}.xlsx", unit=name, seed=i + 5)
        files.append(f)
        r = desk.upload(f"/u/{links[name]}/check", f, page=f"/u/{links[name]}")
        desk.post(f"/u/{links[name]}/submit", data={"csrf": desk.csrf(), "check": r.headers["location"].rsplit("/", 1)[1]})
    summary = tmp_path / "summary.xlsx"
    (tmp_path / "web.xlsx").write_bytes(desk.get(f"/collections/{cid}/summary.xlsx").content)
    roster = tmp_path / "名单.txt"
    roster.write_text("甲\n乙\n丙\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "addin", "check", *map(str, files), "--roster", str(roster), "--year", "2020",
                    "--summary", str(summary), "--totals-out", str(tmp_path / "cli-totals.xlsx")], cwd=ROOT, capture_output=True,
                   check=False)
    mine, cli = load_workbook(tmp_path / "web.xlsx"), load_workbook(summary)
    totals = [name for name in cli.sheetnames if name.startswith(TOTALS_PREFIX)]
    assert len(totals) == 3   # 表二, 表三, 表四 in the official layout

    def values(ws):
        return [list(r) for r in ws.iter_rows(values_only=True)]
    for name in totals:
        assert values(mine[name]) == values(cli[name])
    # the standalone totals workbook is the one of --totals-out, and its cells are the sums of the two reports
    (tmp_path / "totals.xlsx").write_bytes(desk.get(f"/collections/{cid}/totals.xlsx").content)
    alone, cli_alone = load_workbook(tmp_path / "totals.xlsx"), load_workbook(tmp_path / "cli-totals.xlsx")
    assert alone.sheetnames == cli_alone.sheetnames and len(alone.sheetnames) == 3
    assert all(values(alone[n]) == values(cli_alone[n]) for n in alone.sheetnames)
    fmt = available_formats()["2019"]
    parts = [flat_values(fmt, check_file(f).document) for f in files]
    some = next(p for p in parts[0] if isinstance(parts[0][p], int) and parts[0][p] and parts[1][p])
    sheet, cell = plan(fmt, 2020).address(some)
    assert alone[sheet][cell].value == parts[0][some] + parts[1][some]


def test_year_over_year_view_with_last_years_collection(desk, tmp_path):
    for year, seed in ((2020, 1), (2021, 2)):
        cid = desk.collection(year, "甲")
        token = desk.unit_links(cid)["甲"]
        r = desk.upload(f"/u/{token}/check", report(tmp_path / f"{year}.xlsx", year=year, unit="甲", seed=seed),
                        page=f"/u/{token}")
        desk.post(f"/u/{token}/submit", data={"csrf": desk.csrf(), "check": r.headers["location"].rsplit("/", 1)[1]})
    page = desk.get(f"/collections/{cid}/yoy")
    assert page.status_code == 200
    assert "XY-05" in page.text or "XY-01" in page.text   # 2019 and 2021 versions side by side
    assert "主要数字" in page.text


def test_wrong_year_is_not_accepted_into_a_collection(desk, tmp_path):
    cid = desk.collection(2021, "甲")
    token = desk.unit_links(cid)["甲"]
    r = desk.upload(f"/u/{token}/check", CLEAN_2020, page=f"/u/{token}")
    refused = desk.post(f"/u/{token}/submit", data={"csrf": desk.csrf(), "check": r.headers["location"].rsplit("/", 1)[1]})
    assert refused.status_code == 409 and "2020 年" in refused.text


def test_roster_upload_file_in_gbk_and_added_units(desk):
    r = desk.post("/collections", data={"csrf": desk.csrf("/collections"), "year": "2020", "roster": ""},
                  files={"roster_file": ("名单.csv", "单位名称,联系人\n县财政局,王五\n县教育局\n".encode("gb18030"))})
    cid = int(r.headers["location"].rsplit("/", 1)[1])
    desk.post(f"/collections/{cid}/units", data={"csrf": desk.csrf(), "roster": "县教育局\n县卫健委"})
    assert list(desk.unit_links(cid)) == ["县财政局", "县教育局", "县卫健委"]
    assert "王五" in desk.get(f"/collections/{cid}").text


# -- the API -----------------------------------------------------------------------------------------

def test_api_check_file_and_grid_and_openapi(client):
    from addin.reading.load import load_workbook

    r = client.post("/api/v1/check", files={"file": ("seed-2020.xlsx", SEED.read_bytes())})
    assert r.status_code == 200
    result = r.json()["result"]
    assert result["status"] == "failed" and result["counts"]["error"] == 7
    wb = load_workbook(SEED)
    grid = {s.name: [[None] * s.col_offset + list(row) for row in [[]] * s.row_offset + s.rows] for s in wb.sheets}
    g = client.post("/api/v1/check-grid", content=_dumps({"sheets": grid}), headers={"content-type": "application/json"})
    assert g.status_code == 200, g.text
    body = g.json()
    assert {(f["sheet"], f["cell"], f["code"]) for f in body["result"]["findings"]} == \
        {(f["sheet"], f["cell"], f["code"]) for f in result["findings"]}
    mark = next(m for m in body["marks"] if m["cell"] == "B6" and m["sheet"] == "表二 主动公开")
    assert mark["colour"] == "#FFC7CE" and "VAL-01" in mark["note"]
    spec = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/check", "/api/v1/check-grid", "/api/v1/collections/{cid}/statuses",
            "/api/v1/units/{token}/submissions"} <= set(spec["paths"])
    assert "校验单元格数据" in client.get("/api/v1/docs").text


def _dumps(obj) -> str:
    import datetime as dt
    from decimal import Decimal

    def default(o):
        if isinstance(o, Decimal):
            return float(o)
        if isinstance(o, (dt.date, dt.datetime)):
            return o.isoformat()
        return str(o)
    return json.dumps(obj, default=default, ensure_ascii=False)


def test_api_submission_with_a_unit_token(desk, tmp_path):
    cid = desk.collection(2020, "甲")
    token = desk.unit_links(cid)["甲"]
    bad = desk.post(f"/api/v1/units/{token}/submissions", files={"file": ("x.xlsx", SEED.read_bytes())})
    assert bad.status_code == 422
    good = desk.post(f"/api/v1/units/{token}/submissions", files={"file": ("y.xlsx", CLEAN_2020.read_bytes())})
    assert good.status_code == 200 and good.json()["receipt"]["version"] == 1
    assert desk.post("/api/v1/units/nope/submissions", files={"file": ("y.xlsx", b"x")}).status_code == 404


def test_cors_only_for_configured_origins(tmp_path):
    with Client(settings_for(tmp_path, cors_origins=("https://addin.example.gov.cn",))) as c:
        ok = c.options("/api/v1/check-grid", headers={"Origin": "https://addin.example.gov.cn",
                                                      "Access-Control-Request-Method": "POST"})
        assert ok.headers.get("access-control-allow-origin") == "https://addin.example.gov.cn"
        other = c.options("/api/v1/check-grid", headers={"Origin": "https://evil.example.com",
                                                         "Access-Control-Request-Method": "POST"})
        assert other.headers.get("access-control-allow-origin") is None
    with Client(settings_for(tmp_path / "2")) as c:
        r = c.post("/api/v1/check", files={"file": ("a.xlsx", b"x")}, headers={"Origin": "https://addin.example.gov.cn"})
        assert r.headers.get("access-control-allow-origin") is None


def test_every_route_answers_through_the_test_client(desk, tmp_path):
    """Each route of the app is called once with valid arguments; a route added without a line here fails."""
    cid = desk.collection(2020, "甲\n乙")
    token = desk.unit_links(cid)["甲"]
    good = desk.upload(f"/u/{token}/check", report(tmp_path / "甲.xlsx", unit="甲"), page=f"/u/{token}")
    unit_check = good.headers["location"].rsplit("/", 1)[1]
    desk.post(f"/u/{token}/submit", data={"csrf": desk.csrf(), "check": unit_check})
    clerk_check = desk.upload("/check", CLEAN_2020).headers["location"].rsplit("/", 1)[1]
    uid = re.search(r'/collections/\d+/units/(\d+)">甲', desk.get(f"/collections/{cid}").text).group(1)
    with desk.app.state.service.Session() as s:
        from addin.server.db import Setting

        s.merge(Setting(key="setup_token", value="x"))   # the setup page needs a pending token (none after setup)
        s.commit()
    expected = {
        ("GET", "/"): ("/", 200), ("POST", "/check"): None, ("GET", "/check/{check_id}"): (f"/check/{clerk_check}", 200),
        ("GET", "/check/{check_id}/marked"): (f"/check/{clerk_check}/marked", 200),
        ("GET", "/check/{check_id}/submission"): (f"/check/{clerk_check}/submission", 200),
        ("GET", "/check/{check_id}/report.docx"): (f"/check/{clerk_check}/report.docx", 200),
        ("GET", "/template"): ("/template?year=2024", 200),
        ("GET", "/u/{token}"): (f"/u/{token}", 200), ("POST", "/u/{token}/check"): None,
        ("GET", "/u/{token}/check/{check_id}"): (f"/u/{token}/check/{unit_check}", 200),
        ("GET", "/u/{token}/check/{check_id}/marked"): (f"/u/{token}/check/{unit_check}/marked", 200),
        ("GET", "/u/{token}/check/{check_id}/submission"): (f"/u/{token}/check/{unit_check}/submission", 200),
        ("GET", "/u/{token}/check/{check_id}/report.docx"): (f"/u/{token}/check/{unit_check}/report.docx", 200),
        ("POST", "/u/{token}/submit"): None, ("GET", "/u/{token}/receipt/{version}"): (f"/u/{token}/receipt/1", 200),
        ("GET", "/setup/{token}"): ("/setup/anything", 404), ("POST", "/setup/{token}"): None,
        ("GET", "/login"): ("/login", 200), ("POST", "/login"): None, ("POST", "/logout"): None,
        ("GET", "/collections"): ("/collections", 200), ("POST", "/collections"): None,
        ("POST", "/collections/{cid}/units"): None, ("GET", "/collections/{cid}"): (f"/collections/{cid}", 200),
        ("GET", "/collections/{cid}/units/{uid}"): (f"/collections/{cid}/units/{uid}", 200),
        ("GET", "/collections/{cid}/checks/{check_id}/file"): (f"/collections/{cid}/checks/{unit_check}/file", 200),
        ("GET", "/collections/{cid}/checks/{check_id}/marked"): (f"/collections/{cid}/checks/{unit_check}/marked", 200),
        ("GET", "/collections/{cid}/yoy"): (f"/collections/{cid}/yoy", 404),
        ("GET", "/collections/{cid}/summary.xlsx"): (f"/collections/{cid}/summary.xlsx", 200),
        ("GET", "/collections/{cid}/totals.xlsx"): (f"/collections/{cid}/totals.xlsx", 200),
        ("GET", "/collections/{cid}/submissions.zip"): (f"/collections/{cid}/submissions.zip", 200),
        ("GET", "/collections/{cid}/results.jsonl"): (f"/collections/{cid}/results.jsonl", 200),
        ("GET", "/api/v1/docs"): ("/api/v1/docs", 200), ("GET", "/api/v1/openapi.json"): ("/api/v1/openapi.json", 200),
        ("POST", "/api/v1/check"): None, ("POST", "/api/v1/check-grid"): None,
        ("GET", "/api/v1/collections/{cid}/statuses"): (f"/api/v1/collections/{cid}/statuses", 200),
        ("POST", "/api/v1/units/{token}/submissions"): None,
    }
    def flat(items):
        for r in items:
            inner = getattr(r, "original_router", None)   # FastAPI keeps included routers as one entry
            yield from flat(inner.routes) if inner is not None else [r]
    routes = {(m, r.path) for r in flat(desk.app.routes) if getattr(r, "methods", None) for m in r.methods if m != "HEAD"}
    assert routes == set(expected), routes ^ set(expected)
    for (method, _), call in expected.items():
        if call is None:   # the POST routes have tests of their own above
            continue
        url, status = call
        r = desk.get(url)
        assert r.status_code == status, (url, r.status_code)
        if url.endswith(("marked", "submission", ".xlsx", ".docx", "template?year=2024")):
            assert r.content[:2] == b"PK", url
    assert desk.post("/logout", data={"csrf": desk.csrf()}).headers["location"] == "/login"
    assert desk.get("/collections").status_code == 303


def test_an_unexpected_error_gives_a_polite_page_not_a_traceback(desk, monkeypatch):
    from fastapi.testclient import TestClient

    def broken(*a, **k):
        raise RuntimeError("bug")
    monkeypatch.setattr(desk.app.state.service, "rows", broken)
    http = TestClient(desk.app, raise_server_exceptions=False, cookies=desk.http.cookies)
    r = http.get("/collections/1")
    assert r.status_code == 500 and "您的文件没有丢失" in r.text and "Traceback" not in r.text
    assert "您的文件没有丢失" in http.get("/api/v1/collections/1/statuses").json()["detail"]


def test_a_text_report_is_checked_and_drawn_but_has_no_marked_copy(client):
    r = client.upload("/check", ROOT / "examples" / "seed-2020.txt")
    page = client.get(r.headers["location"]).text
    assert "校验未通过：有 7 处错误" in page and "marked sev-error" in page
    assert "下载标注副本" not in page
    marked = client.get(r.headers["location"] + "/marked")
    assert marked.status_code == 409 and "只有能读取的 Excel 工作簿" in marked.text


def test_a_wps_et_file_is_checked_as_the_workbook_it_contains(client, tmp_path):
    et = tmp_path / "报告.et"
    et.write_bytes(CLEAN_2020.read_bytes())   # WPS's .et is an .xlsx (or .xls) container under another name
    r = client.upload("/check", et)
    page = client.get(r.headers["location"]).text
    assert "校验通过" in page and "报告.et" in page
