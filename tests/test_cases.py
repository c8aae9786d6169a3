"""Data-driven cases: each tests/cases/<name>/ builds a workbook and expects an exact set of findings."""
from __future__ import annotations

import json

import pytest

from addin.pipeline import Options, check_file
from tests.helpers import CASES, build_case

CASE_DIRS = sorted(p for p in CASES.iterdir() if (p / "case.json").is_file())


@pytest.mark.parametrize("case_dir", CASE_DIRS, ids=[p.name for p in CASE_DIRS])
def test_case(case_dir, tmp_path):
    case = json.loads((case_dir / "case.json").read_text(encoding="utf-8"))
    expected = json.loads((case_dir / "expected.json").read_text(encoding="utf-8"))
    path = build_case(case, tmp_path / f"{case_dir.name}.xlsx")
    result = check_file(path, Options(lenient=case.get("lenient", False)))
    got = sorted({(f.sheet, f.cell, f.code, f.severity) for f in result.findings}, key=str)
    want = sorted({tuple(x) for x in expected["findings"]}, key=str)
    assert got == want
    assert result.status == expected["status"]
    if "format_version" in expected:
        assert result.format_version == expected["format_version"]
