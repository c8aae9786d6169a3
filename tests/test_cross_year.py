"""Cross-year rules (rules.md §5) between two real workbooks of the same unit, evaluated in process."""
from __future__ import annotations

from addin.pipeline import check_file
from addin.validation.cross_year import apply, findings
from tests.helpers import build_case


# The base report carries 4,1,0,0,1,1 (7) applications into the next year; a next-year report that
# takes them in stays balanced by carrying the same extra applications out again.
CARRIED = {"/T3/carried_in/C1": 4, "/T3/carried_in/C5": 1, "/T3/carried_in/C6": 1, "/T3/carried_in/C7": 7,
           "/T3/carried_out/C1": 5, "/T3/carried_out/C5": 2, "/T3/carried_out/C6": 2, "/T3/carried_out/C7": 10}


def _pair(tmp_path, version_prev, year_prev, prev_values, version, year, values):
    prev = check_file(build_case({"format_version": version_prev, "year": year_prev, "values": prev_values},
                                 tmp_path / "prev.xlsx"))
    this = check_file(build_case({"format_version": version, "year": year, "values": {**CARRIED, **values}},
                                 tmp_path / "this.xlsx"))
    assert prev.status == this.status == "passed"
    return prev, this


def _codes(found):
    return sorted((f.code, f.severity, f.pointer) for f in found)


def test_xy02_stock_of_documents_2021_to_2022(tmp_path):
    # 2021: 25 in force; 2022: 3 issued, 1 repealed -> 27 expected, 25 written
    prev, this = _pair(tmp_path, "2021", 2021, {}, "2021", 2022, {})
    assert _codes(findings(this, prev)) == [("XY-02", "warning", "/T2/A1/行政规范性文件/现行有效件数")]
    fixed = check_file(build_case({"format_version": "2021", "year": 2022,
                                   "values": {**CARRIED, "/T2/A1/行政规范性文件/现行有效件数": 27}}, tmp_path / "fixed.xlsx"))
    assert findings(fixed, prev) == []


def test_xy03_and_xy04_items_2019_to_2020(tmp_path):
    # 2019 report: 行政许可 10 items, -2 this year -> 8 at the start of 2020; 2020 writes 10 (XY-03).
    # 对外公开总数量: 2019 total 21, 2020 newly published 3 -> about 24; 2020 writes 21 (XY-04).
    prev, this = _pair(tmp_path, "2019", 2019, {}, "2019", 2020, {})
    got = _codes(findings(this, prev))
    assert ("XY-03", "warning", "/T2/A5/行政许可/上一年项目数量") in got
    assert ("XY-04", "warning", "/T2/A1/规范性文件/对外公开总数量") in got
    assert {c for c, _, _ in got} == {"XY-03", "XY-04"}   # carried-over applications agree: no XY-01


def test_xy01_across_the_version_change_2020_to_2021(tmp_path):
    prev, this = _pair(tmp_path, "2019", 2020, {"/T3/carried_out/C1": 5, "/T3/carried_out/C7": 8,
                                                  "/T3/r_total/C1": 48, "/T3/r_total/C7": 55, "/T3/r_open/C1": 19,
                                                  "/T3/r_open/C7": 22},
                       "2021", 2021, {})
    result = apply(this, prev)
    assert _codes(f for f in result.findings if f.code.startswith("XY")) == [
        ("XY-01", "error", "/T3/carried_in/C1"), ("XY-01", "error", "/T3/carried_in/C7")]
    assert result.status == "failed"


def test_no_previous_report_is_noted(tmp_path):
    this = check_file(build_case({"format_version": "2021"}, tmp_path / "this.xlsx"))
    assert [f.code for f in apply(this, None).findings] == ["XY-10"]
