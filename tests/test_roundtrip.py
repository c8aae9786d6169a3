"""Real-world robustness: a workbook re-saved by LibreOffice, shifted tables, unmerged headers."""
from __future__ import annotations

from addin.pipeline import check_file
from tests.helpers import build_case
from tests.office import convert, needs_office

ERRORS = {"format_version": "2021", "values": {
    "/T3/new/C1": "\u3000 51", "/T3/r_deny_3/C2": "", "/T4/D5": 7, "/T2/A6/行政处罚/本年处理决定数量": "—",
    "/T2/A8/行政事业性收费/本年收费金额（单位：万元）": "12.3456"}}


def _key(result):
    return sorted((f.sheet, f.cell, f.code, f.severity) for f in result.findings)


@needs_office
def test_libreoffice_resave_gives_the_same_findings(tmp_path):
    original = build_case(ERRORS, tmp_path / "filled.xlsx")
    before = check_file(original)
    assert before.status == "failed" and len(before.findings) >= 5
    resaved = convert(original, "xlsx:Calc MS Excel 2007 XML", tmp_path / "lo")
    after = check_file(resaved)
    assert _key(after) == _key(before)
    assert after.document == before.document


def test_row_inserted_above_and_blank_row_deleted_is_read_the_same(tmp_path):
    plain = build_case(ERRORS, tmp_path / "plain.xlsx")
    moved = build_case({**ERRORS, "edits": [
        # a title row above 表三 and 表四, and the blank row under each heading removed
        {"op": "insert_rows", "sheet": "表三 依申请公开", "at": 1},
        {"op": "set", "sheet": "表三 依申请公开", "cell": "A1", "value": "附表：依申请公开情况（单位：件）"},
        {"op": "delete_rows", "sheet": "表三 依申请公开", "at": 3},
        {"op": "delete_rows", "sheet": "表二 主动公开", "at": 2},
        {"op": "insert_rows", "sheet": "表四 复议诉讼", "at": 1, "amount": 3},
    ]}, tmp_path / "moved.xlsx")
    a, b = check_file(plain), check_file(moved)
    assert b.document == a.document
    assert [(f.code, f.pointer) for f in b.findings] == [(f.code, f.pointer) for f in a.findings]
    # same findings, at the cells where the values now are
    shifted = {f.pointer: f.cell for f in b.findings if f.sheet == "表三 依申请公开"}
    assert shifted["/T3/new/C1"] == "D6" and shifted["/T3/r_deny_3/C2"] == "E12"
    assert {f.cell for f in b.findings if f.sheet == "表四 复议诉讼"} == {"E9"}


def test_tables_moved_to_one_sheet_and_unmerged_are_still_read(tmp_path):
    """A clerk who unmerges every header and renames the sheets: labels, not addresses, find the tables."""
    edits = [{"op": "unmerge_all", "sheet": s} for s in ("表二 主动公开", "表三 依申请公开", "表四 复议诉讼")]
    edits += [{"op": "rename_sheet", "sheet": "表三 依申请公开", "to": "Sheet3"},
              {"op": "insert_cols", "sheet": "表四 复议诉讼", "at": 1, "amount": 2}]
    plain = check_file(build_case(ERRORS, tmp_path / "plain.xlsx"))
    odd = check_file(build_case({**ERRORS, "edits": edits}, tmp_path / "odd.xlsx"))
    assert odd.document == plain.document
    assert [f.code for f in odd.findings] == [f.code for f in plain.findings]
