"""A report laid out the way clerks paste a Word report into Excel: one sheet, paragraphs and tables, no merges."""
from __future__ import annotations

import json

from openpyxl import Workbook

from addin.formats import available_formats
from addin.pipeline import check_file
from addin.reading.model import parse_a1
from tests.helpers import CASES, padding_groups, seed_table_cells

SEED = json.loads((CASES / "seed_2020" / "values.json").read_text(encoding="utf-8"))
SEED_TEXT = (CASES.parent.parent / "examples" / "seed-2020.txt")


def seed_lines() -> list[str]:
    return SEED_TEXT.read_text(encoding="utf-8").split("\n")


def _table_rows(fmt, table_id: str) -> tuple[dict, int]:
    """The table's cells from the standard layout as {(row, col): value}, rows counted from 0, no merges."""
    cells = {(r - 1, c - 1): text for (r, c), (text, _, _) in seed_table_cells(table_id).items()}
    top = min(r for r, _ in cells)
    return {(r - top, c): v for (r, c), v in cells.items()}, max(r for r, _ in cells) - top + 1


def build_pasted_report(path):
    """Title and paragraphs in column A; each table pasted below its section heading (seed order)."""
    fmt = available_formats()["2019"]
    lines = seed_lines()
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    row = 1
    where = {}

    def put_line(text):
        nonlocal row
        ws.cell(row, 1, text).data_type = "s"
        row += 1

    def put_table(table_id):
        nonlocal row
        cells, height = _table_rows(fmt, table_id)
        for (r, c), v in cells.items():
            cell = ws.cell(row + r, c + 1, v)
            cell.data_type = "s"
            where[(table_id, r, c)] = cell.coordinate
        row += height + 1

    for i in range(0, 12):      # title … section 二 and its paragraph
        put_line(lines[i])
    put_table("T2")
    put_line(lines[86])         # "3、 收到和处理政府信息公开申请情况" (numbered the seed's way)
    put_line(lines[87])
    put_table("T3")
    put_line(lines[372])        # 四、…
    put_line(lines[373])
    put_table("T4")
    for i in range(418, 425):   # 五、六 and the signature
        put_line(lines[i])
    wb.save(path)
    return path


def test_pasted_seed_report_gives_the_walkthrough_findings(tmp_path):
    result = check_file(build_pasted_report(tmp_path / "pasted.xlsx"))
    # identified from the title line alone (no 单位名称/报告年度 fields)
    assert (result.unit, result.report_year, result.format_version) == ("鹤岗市南山区大陆街道办事处", 2020, "2019")
    codes = [(f.code, f.severity) for f in result.findings]
    # E1: the pre-2019 outline in section 一, found by its number although the heading is not 一、总体情况
    assert ("STR-05", "error") in codes
    e1 = next(f for f in result.findings if f.code == "STR-05")
    assert (e1.sheet, e1.cell) == ("Sheet1", "A3")
    # E2, E3, E4, E6, E7: the blank cells of table 二
    blanks = sorted(f.pointer for f in result.findings if f.code == "VAL-01")
    assert blanks == sorted(p for p, raw in SEED["values"].items() if not raw.strip(" \u00a0\u3000"))
    assert len(blanks) == 5
    # I3: the five prefixed captions are accepted, I4/I5: 163 padded values
    assert codes.count(("STR-06", "info")) == 5
    assert padding_groups(result) == {"/T2": 4, "/T3": 159}   # grouped per table, not 163 lines
    assert codes.count(("TXT-08", "warning")) == 2   # W6 (other matters) and W7 (problems)
    assert sorted(set(codes)) == sorted({("STR-03", "warning"), ("STR-05", "error"),
        ("STR-02", "warning"), ("NORM-04", "info"), ("TT-01", "error"), ("TXT-02", "warning"), ("TXT-07", "warning"), ("TXT-08", "warning"), ("TXT-10", "info"), ("TXT-06", "info"), ("TT-03", "info"), ("VAL-01", "error"), ("STR-06", "info"), ("VAL-07", "info")})
    # the values are where they were pasted
    row, col = parse_a1(result.origins["/T3/new/C1"].cell)
    assert col == 3 and row > 20
    assert result.document["T3"]["carried_out"]["C7"] == 0 and result.document["T4"]["D15"] == 0


def build_from_extracted_text(text: str, path):
    """The seed as a clerk pastes Word's text export into a sheet: a paragraph per row in column A, a table
    row per sheet row with one cell per tab-marked line, merged cells lost (so columns do not line up)."""
    wb = Workbook()
    ws = wb.active
    row, cells = 1, []

    def flush():
        nonlocal row, cells
        if cells:
            for c, value in enumerate(cells, start=1):
                if value:
                    ws.cell(row, c, value).data_type = "s"
            row += 1
            cells = []

    for line in text.split("\n"):
        if line.startswith("\t"):
            cells.append(line[1:])
        else:
            flush()
            if line:
                ws.cell(row, 1, line).data_type = "s"
                row += 1
    flush()
    wb.save(path)
    return path


def test_word_text_pasted_without_merges_is_read_in_sequence(tmp_path):
    """seed-walkthrough W8: table 三 does not line up with its header; it is read left-aligned and reported."""
    result = check_file(build_from_extracted_text(SEED_TEXT.read_text(encoding="utf-8"), tmp_path / "text.xlsx"))
    assert (result.unit, result.report_year, result.format_version) == ("鹤岗市南山区大陆街道办事处", 2020, "2019")
    codes = [(f.code, f.severity) for f in result.findings]
    assert sorted(set(codes)) == sorted({("STR-03", "warning"), ("STR-05", "error"),
        ("STR-02", "warning"), ("NORM-04", "info"), ("TT-01", "error"), ("TXT-02", "warning"), ("TXT-07", "warning"), ("TXT-08", "warning"), ("TXT-10", "info"), ("TXT-06", "info"), ("TT-03", "info"), ("VAL-01", "error"), ("STR-06", "info"),
                                          ("VAL-07", "info"), ("STR-08", "warning")})
    assert codes.count(("STR-08", "warning")) == 1   # reported once, for table 三
    w8 = next(f for f in result.findings if f.code == "STR-08")
    assert "表三" in w8.message and w8.kind == "reading"   # read in sequence: the tool's doubt, not the report's defect
    assert codes.count(("VAL-01", "error")) == 5 and padding_groups(result) == {"/T2": 4, "/T3": 159}
    # every value of table 三 read (all 0), so the arithmetic was evaluated, not skipped
    assert all(v == 0 for row in result.document["T3"].values() for v in row.values())
    assert not [n for n in result.not_evaluated if n.rule.startswith("T3")]
    # the values are where they are in the sheet: row 一 starts right after its label, （一） after two labels
    t3 = {p: origin.cell for p, origin in result.origins.items() if p.startswith("/T3/")}
    assert parse_a1(t3["/T3/new/C1"])[1] == 1 and parse_a1(t3["/T3/r_open/C1"])[1] == 2
