"""The real seed report as a 2019-format workbook: exactly the table defects of seed-walkthrough.md."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from addin.formats import available_formats
from addin.pipeline import Options, check_file
from addin.writing.template import build_workbook, plan, save_workbook
from addin.reading.model import parse_a1
from tests.helpers import CASES, padding_groups

ROOT = Path(__file__).resolve().parent.parent
SEED = json.loads((CASES / "seed_2020" / "values.json").read_text(encoding="utf-8"))
WS = " \u00a0\u3000"


def seed_workbook(tmp_path) -> Path:
    fmt = available_formats()["2019"]
    path = tmp_path / "seed.xlsx"
    wb = build_workbook(fmt, SEED["year"], SEED["unit"], SEED["values"], SEED["texts"], SEED["notes"])
    title = next(lab for lab in plan(fmt, SEED["year"]).labels if lab.role == "title")
    wb[title.sheet].cell(title.row, title.col).value = SEED["title"]   # the seed's own title line
    save_workbook(wb, path)
    return path


# The walkthrough's findings that come from the title and the text, where the workbook shows them:
# E1, E5 (at the table cell the text contradicts), W1, W3, W5 (a district office writing 县政府),
# W6 and W7 (two TXT-08: "other matters" and problems written in 一 and again, differently, in 六/五), I1, I2.
# W4 (TXT-06, the five aspects of 总体情况) is the 2021 notice's requirement: on this 2019-format report one
# grouped notice (info, not a warning) advising the three missing aspects. I7 (TT-03 info): the note under
# table 三 says only the platform received no application.
TEXT_FINDINGS = {("表三 依申请公开", "A30", "TT-03", "info"), ("一 总体情况", "A2", "STR-05", "error"), ("表二 主动公开", "C6", "TT-01", "error"),
                 ("一 总体情况", "A2", "TXT-06", "info"),
                 ("封面", "A1", "STR-02", "warning"), ("一 总体情况", "A2", "TXT-02", "warning"),
                 ("一 总体情况", "A2", "TXT-07", "warning"),
                 ("一 总体情况", "A2", "TXT-08", "warning"),
                 ("封面", "A1", "NORM-04", "info"), ("一 总体情况", "A2", "TXT-10", "info")}
TEXT_FINDING_COUNT = len(TEXT_FINDINGS) + 1   # TXT-08 twice at the same cell (W6, W7)


def test_seed_values_are_the_seed_file_verbatim():
    # the walkthrough's invisible characters must survive into the case data
    v = SEED["values"]
    assert v["/T2/A1/规范性文件/本年新制作数量"] == "\u3000\u3000"
    assert v["/T2/A1/规范性文件/本年新公开数量"] == "\u00a0"
    assert v["/T2/A1/规范性文件/对外公开总数量"] == "\u3000"
    assert v["/T2/A5/行政许可/上一年项目数量"] == "\u30000"
    assert v["/T2/A5/行政许可/本年增~1减"] == ""
    assert v["/T3/new/C1"] == "0\u00a0" and v["/T3/new/C3"] == "\u00a00"
    padded = [p for p, raw in v.items() if p.startswith("/T3/") and raw != raw.strip(WS)]
    assert len(padded) == 159  # I5: all but two of the 161 values of table 三


def test_seed_table_findings_match_the_walkthrough(tmp_path):
    result = check_file(seed_workbook(tmp_path))
    fmt = available_formats()["2019"]
    where = plan(fmt, SEED["year"]).address
    blank = {p for p, raw in SEED["values"].items() if not raw.strip(WS)}
    padded = {p for p, raw in SEED["values"].items() if raw.strip(WS) and raw != raw.strip(WS)}
    # I4/I5: the padded numbers of each table are one grouped notice, at the table's first padded cell
    first_padded = {}
    for p in padded:
        sheet, cell = where(p)
        first_padded.setdefault(p.split("/")[1], []).append((parse_a1(cell), sheet, cell))
    expected = {(*where(p), "VAL-01", "error") for p in blank} | {
        (min(cells)[1], min(cells)[2], "VAL-07", "info") for cells in first_padded.values()}
    got = {(f.sheet, f.cell, f.code, f.severity) for f in result.findings}
    assert got == expected | TEXT_FINDINGS
    # W4: one finding listing the three aspects section 一 leaves out
    w4 = [f for f in result.findings if f.code == "TXT-06"]
    assert len(w4) == 1 and all(a in w4[0].message for a in ("政府信息管理", "政府信息公开平台建设", "监督保障"))
    assert "主动公开、依申请公开" not in w4[0].message.split("。")[0]
    assert len(result.findings) == len(expected) + TEXT_FINDING_COUNT   # one finding per defect and cell
    assert padding_groups(result) == {"/T2": 4, "/T3": 159}
    # E2, E3, E4, E6, E7 and nothing else as errors
    assert sorted(f.pointer for f in result.findings if f.severity == "error" and f.code not in ("STR-05", "TT-01")) == sorted([
        "/T2/A1/规范性文件/本年新制作数量", "/T2/A1/规范性文件/本年新公开数量", "/T2/A1/规范性文件/对外公开总数量",
        "/T2/A5/行政许可/本年增~1减", "/T2/A5/其他对外管理服务事项/本年增~1减"])
    assert len(padded) == 163  # I4 (4 cells in table 二) + I5 (159 in table 三)
    assert result.format_version == "2019" and result.report_year == 2020 and result.status == "failed"
    # the blocked arithmetic is reported as not evaluated, never computed with a guessed 0
    assert {n.rule for n in result.not_evaluated if not n.waits_for_previous} == {"T2-04", "T2-05", "T2-06"}
    # walkthrough §3: the cross-year checks wait for the 2019 report (XY-01, XY-03, XY-04, and 内容雷同)
    assert sorted(n.rule for n in result.not_evaluated if n.waits_for_previous) == ["XY-01", "XY-03", "XY-04", "XY-06", "XY-07"]
    assert result.document["T3"]["carried_out"]["C7"] == 0
    # walkthrough §2: the checks that pass are said to pass (T2-04..06 are blocked by the blanks)
    assert result.rules_held == ["T3-01", "T3-02", "T3-03", "T4-01", "T4-02", "T4-03"]


def test_seed_lenient_reads_blanks_as_zero_with_warnings(tmp_path):
    result = check_file(seed_workbook(tmp_path), Options(lenient=True))
    # blanks become 0 with warnings; the text-table contradiction (E5) and the old outline (E1) remain errors
    assert sorted(f.code for f in result.findings if f.severity == "error") == ["STR-05", "TT-01"]
    assert sorted(f.code for f in result.findings if f.severity == "warning") == ["STR-02", "TXT-02", "TXT-07", "TXT-08", "TXT-08"] + ["VAL-01"] * 5
    assert result.document["T2"]["A5"]["行政许可"]["本年增/减"] == 0
    assert not [n for n in result.not_evaluated if not n.waits_for_previous]


def test_bundled_example_is_the_seed(tmp_path):
    bundled = check_file(ROOT / "examples" / "seed-2020.xlsx")
    fresh = check_file(seed_workbook(tmp_path))
    assert bundled.document["T2"] == fresh.document["T2"] and bundled.document["T3"] == fresh.document["T3"]
    assert [(f.sheet, f.cell, f.code) for f in bundled.findings] == [(f.sheet, f.cell, f.code) for f in fresh.findings]


def test_examples_are_up_to_date(tmp_path):
    # building the examples again gives the same bytes (the builder is deterministic)
    for name in ("seed-2020.xlsx", "clean-2025.xlsx", "clean-2020.xlsx"):
        assert (ROOT / "examples" / name).is_file()
    subprocess.run([sys.executable, str(ROOT / "examples" / "build_examples.py"), str(tmp_path)], check=True,
                   capture_output=True)
    committed = {p.name: p.read_bytes() for p in (ROOT / "examples").glob("*.xlsx")}
    assert committed == {p.name: p.read_bytes() for p in tmp_path.glob("*.xlsx")}
