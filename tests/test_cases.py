"""Data-driven cases: each tests/cases/<name>/ builds a workbook and expects an exact set of findings."""
from __future__ import annotations

import json

import pytest

from addin.findings import REPORT
from addin.pipeline import Options, check_file
from tests.helpers import CASES, build_case

CASE_DIRS = sorted(p for p in CASES.iterdir() if (p / "case.json").is_file())


@pytest.mark.parametrize("case_dir", CASE_DIRS, ids=[p.name for p in CASE_DIRS])
def test_case(case_dir, tmp_path):
    case = json.loads((case_dir / "case.json").read_text(encoding="utf-8"))
    expected = json.loads((case_dir / "expected.json").read_text(encoding="utf-8"))
    path = build_case(case, tmp_path / f"{case_dir.name}.xlsx")
    result = check_file(path, Options(lenient=case.get("lenient", False)))
    # (sheet, cell, code, severity[, kind]): a finding listed without a kind is a defect of the report
    got = sorted({(f.sheet, f.cell, f.code, f.severity, f.kind) for f in result.findings}, key=str)
    want = sorted({(*x[:4], x[4] if len(x) > 4 else REPORT) for x in expected["findings"]}, key=str)
    assert got == want
    assert result.status == expected["status"]
    if "format_version" in expected:
        assert result.format_version == expected["format_version"]


@pytest.mark.parametrize("name, held", [
    ("clean_2021", ["T2-01", "T2-02", "T3-01", "T3-02", "T3-03", "T4-01", "T4-02", "T4-03"]),
    # 2019 format, only the total column off: T3-04 stands for the column and row rules (T3-01..03)
    ("t3_04_only_c7", ["T2-04", "T2-05", "T2-06", "T4-01", "T4-02", "T4-03"]),
    ("t3_01_balance", ["T2-01", "T2-02", "T3-02", "T3-03", "T4-01", "T4-02", "T4-03"]),
])
def test_rules_held_are_the_arithmetic_the_report_satisfies(tmp_path, name, held):
    case = json.loads((CASES / name / "case.json").read_text(encoding="utf-8"))
    result = check_file(build_case(case, tmp_path / f"{name}.xlsx"))
    assert result.rules_held == held
    assert result.as_dict()["rules_held"] == held
