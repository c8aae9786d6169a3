"""Defects of the report vs doubts of the reading: the kind of each finding, and every front end keeping them apart."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from addin import collection
from addin.findings import READING, READING_HEADING, REPORT
from addin.pipeline import check_file
from addin.reporters import content
from addin.server import web
from tests.helpers import CASES, build_case
from tests.published import build_page
from tests.test_published_text import page_case

ROOT = Path(__file__).resolve().parent.parent
UNIT = "某市某区司法局"


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    """A published page with table 三 missing (an image: the tool's doubt) and table 四's total off (the report's)."""
    case = page_case("pub_c10_table_missing")
    case["values"] = {**case["values"], "/T4/D5": 99}
    return build_page(case, tmp_path_factory.mktemp("kinds"))


@pytest.fixture(scope="module")
def result(page):
    return check_file(page)


def test_the_missing_table_is_a_doubt_and_the_arithmetic_a_defect(result):
    got = {(f.code, f.severity, f.kind) for f in result.findings if f.code in ("STR-07", "T4-01")}
    assert got == {("STR-07", "error", READING), ("T4-01", "error", REPORT)}
    assert result.status == "failed"   # a table that could not be read is still an error: the file does not pass
    assert result.kind_counts[READING]["error"] == 1 and result.kind_counts[REPORT]["error"] == 1


@pytest.mark.parametrize("name, sheet, cell, code, kind", [
    # a workbook built from the template: a table deleted is the report's defect, an added row too
    ("str06_missing_row", "表二 主动公开", "A13", "STR-06", REPORT),
    ("str06_extra_row", None, None, "STR-06", REPORT),
    ("fml01_uncached", "表四 复议诉讼", "E6", "FML-01", READING),
])
def test_workbook_cases_keep_their_kind(tmp_path, name, sheet, cell, code, kind):
    case = json.loads((CASES / name / "case.json").read_text(encoding="utf-8"))
    found = [f for f in check_file(build_case(case, tmp_path / f"{name}.xlsx")).findings if f.code == code]
    assert found and all(f.kind == kind for f in found)
    if sheet:
        assert (sheet, cell) in {(f.sheet, f.cell) for f in found}


def test_a_row_that_cannot_be_placed_in_a_document_is_a_doubt(tmp_path):
    case = page_case("pub_c10_table_missing")
    case.pop("drop_tables")
    # an extra labelled row with numbers between two rows of table 二 of a published page
    path = build_page(case, tmp_path)
    html = path.read_text(encoding="utf-8")
    row_start = html.index("<tr", html.index("行政许可"))
    extra = "<tr><td>行政审批中介服务</td><td>3</td><td>3</td><td>3</td></tr>"
    path.write_text(html[:row_start] + extra + html[row_start:], encoding="utf-8")
    found = [f for f in check_file(path).findings if f.code == "STR-06"]
    assert [(f.severity, f.kind) for f in found] == [("warning", READING)]
    assert "无法对应到官方格式" in found[0].message


def _gk(*args) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "addin", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, encoding="utf-8", env=env, timeout=120)


def test_json_and_console_keep_them_apart(page):
    run = _gk("check", "--json", page)
    assert run.returncode == 1
    findings = json.loads(run.stdout)["results"][0]["findings"]
    assert {(f["code"], f["kind"]) for f in findings if f["code"] in ("STR-07", "T4-01")} == {("STR-07", READING), ("T4-01", REPORT)}
    out = _gk("check", page).stdout.splitlines()
    head = next(i for i, line in enumerate(out) if line.strip().startswith("读取存疑 ") and READING_HEADING in line)
    t4 = next(i for i, line in enumerate(out) if "T4-01" in line)
    str07 = next(i for i, line in enumerate(out) if "STR-07" in line)
    assert t4 < head < str07
    assert "[读取存疑]" in out[str07] and "[读取存疑]" not in out[t4]
    assert any("结果：未通过" in line and "其中读取存疑" in line for line in out)


def test_results_sheet_lists_the_doubts_after_the_defects(result):
    sheet = content.results_sheet(result)
    rows = sheet.rows[sheet.header_row:]
    assert rows[0][-1] == "性质"
    codes = [r[1] for r in rows if len(r) > 1]
    heading = next(i for i, r in enumerate(rows) if r and r[0] == "读取存疑" and READING_HEADING in r[4])
    t4 = next(i for i, r in enumerate(rows) if len(r) > 7 and r[1] == "T4-01")
    str07 = next(i for i, r in enumerate(rows) if len(r) > 7 and r[1] == "STR-07")
    assert t4 < heading < str07 and "STR-07" in codes
    assert (rows[t4][7], rows[str07][7]) == ("报告问题", "读取存疑")
    assert "其中读取存疑" in content.counts_line(result)


def test_feedback_does_not_blame_the_unit_for_the_doubts(result, page):
    view = collection.build(2024, None, [collection.receive(page, result)])
    text = view.feedback[UNIT]
    report_part, doubt_part = text.split(READING_HEADING)
    assert "T4" not in doubt_part and "表四" in report_part      # the arithmetic is the unit's to correct
    assert "未找到表三" in doubt_part and "未找到表三" not in report_part
    unit = next(u for u in view.units if u.unit == UNIT)
    assert collection.report_counts(result)["error"] == 1 and collection.doubt_count(result) >= 1
    assert "（读取存疑）" in collection.main_problems(unit, limit=5)


def test_feedback_when_only_the_reading_failed(tmp_path):
    path = build_page(page_case("pub_c10_table_missing"), tmp_path)
    result = check_file(path)
    assert result.status == "failed" and not collection.report_counts(result)["error"]
    text = collection.build(2024, None, [collection.receive(path, result)]).feedback[UNIT]
    assert text.startswith(READING_HEADING) and "存在以下问题" not in text and "可以读取的文件" in text


def test_clerk_page_shows_the_doubts_apart(result):
    record = json.loads(json.dumps(result.as_dict()))
    assert [f["code"] for f in web.doubts(record) if f["code"] == "STR-07"] == ["STR-07"]
    assert all(f["code"] != "STR-07" for _sheet, items in web.grouped(record) for f in items)
    html = web._templates().get_template("_findings.html").render(groups=web.grouped(record), doubts=web.doubts(record))
    assert html.index("T4-01") < html.index('data-kind="reading"') < html.index("STR-07")
    # a record stored before findings had a kind takes its code's from the catalogue
    old = {**record, "findings": [{k: v for k, v in f.items() if k != "kind"} for f in record["findings"]]}
    assert {f["code"] for f in web.doubts(old)} >= {"FILE-11"}
    only_doubts = {"status": "failed", "counts": {"error": 1},
                   "findings": [f for f in record["findings"] if f["code"] == "STR-07"]}
    assert "读取存疑" in web.verdict(only_doubts)


def test_a_document_without_unit_year_or_tables_is_doubted_a_workbook_is_blamed(tmp_path):
    page = tmp_path / "r.html"
    page.write_text("<html><body><p>政府信息公开工作年度报告</p><p>一、总体情况</p><p>本街道主动公开政府信息。</p>"
                    "<p><img src='t.png'></p></body></html>", encoding="utf-8")
    kinds = {(f.code, f.kind) for f in check_file(page).findings}
    assert {("COV-01", READING), ("COV-02", READING), ("STR-04", READING)} <= kinds
    case = json.loads((CASES / "cov_missing" / "case.json").read_text(encoding="utf-8"))
    book = {(f.code, f.kind) for f in check_file(build_case(case, tmp_path / "c.xlsx")).findings if f.code.startswith("COV")}
    assert book and all(kind == REPORT for _code, kind in book)   # an empty cover field is the report's defect
