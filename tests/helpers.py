"""Build report workbooks for tests from case data: a base dataset, value overrides and sheet edits."""
from __future__ import annotations

import json
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.worksheet.cell_range import CellRange

from addin import jsonio
from addin.formats import available_formats
from addin.writing.template import build_workbook, plan, save_workbook

CASES = Path(__file__).parent / "cases"


def base_data(version: str) -> dict:
    return jsonio.loads((CASES / "_base" / f"{version}.json").read_text(encoding="utf-8"))


def base_texts(version: str, year: int) -> dict:
    """The base narrative of a version written for `year` (its period statement names that year)."""
    base = base_data(version)
    return {k: v.replace(f"{base['year']}年", f"{year}年") for k, v in base.get("texts", {}).items()}


def build_case(case: dict, path: Path, schema_dir: str | None = None) -> Path:
    """Write the workbook a case describes: base values (or zeros), overrides, then edits."""
    version = case["format_version"]
    fmt = available_formats(schema_dir)[version]
    base = base_data(version)
    values = dict(base["values"])
    if case.get("base") == "zeros":
        values = {c.pointer: 0 for c in fmt.cells}
    values.update(case.get("values", {}))
    year = case.get("year", base.get("year"))
    texts = {**base_texts(version, year), **case.get("texts", {})}
    unit = case.get("unit", base.get("unit"))
    wb = build_workbook(fmt, year, unit, values, texts)
    for sheet_name, cell in case.get("clear", []):
        wb[sheet_name][cell].value = None
    save_workbook(wb, path)
    if case.get("edits"):
        apply_edits(path, case["edits"])
    return path


def apply_edits(path: Path, edits: list[dict]) -> None:
    """Edit a saved workbook the way a clerk would: set cells, insert/delete rows, hide sheets."""
    wb = load_workbook(path)
    for edit in edits:
        ws = wb[edit["sheet"]] if "sheet" in edit else None
        op = edit["op"]
        if op == "set":
            ws[edit["cell"]].value = edit["value"]
            if isinstance(edit["value"], str) and not edit.get("formula"):
                ws[edit["cell"]].data_type = "s"
        elif op == "unmerge_all":
            for rng in list(ws.merged_cells.ranges):
                ws.unmerge_cells(str(rng))
        elif op in ("insert_rows", "delete_rows", "insert_cols", "delete_cols"):
            _shift(ws, op, edit["at"], edit.get("amount", 1))
        elif op == "copy_sheet":
            wb.copy_worksheet(ws).title = edit["to"]
        elif op == "hide_sheet":
            ws.sheet_state = "hidden"
        elif op == "rename_sheet":
            ws.title = edit["to"]
        else:
            raise ValueError(f"unknown edit {op}")
    wb.save(path)


def _shift(ws, op: str, at: int, amount: int) -> None:
    """Insert or delete rows/columns and move, grow or shrink merged ranges as Excel does
    (openpyxl alone leaves merged ranges where they were)."""
    rows = op.endswith("rows")
    delta = amount if op.startswith("insert") else -amount
    merged = [CellRange(str(r)) for r in ws.merged_cells.ranges]
    for r in merged:
        ws.unmerge_cells(str(r))
    getattr(ws, op)(at, amount)
    for r in merged:
        lo, hi = (r.min_row, r.max_row) if rows else (r.min_col, r.max_col)
        if delta < 0 and at <= lo and hi < at - delta:
            continue  # the whole range was deleted
        if lo >= at:
            lo, hi = max(at, lo + delta), hi + delta
        elif hi >= at:
            hi = max(lo, hi + delta if delta > 0 else hi - min(-delta, hi - at + 1))
        if rows:
            r = CellRange(min_col=r.min_col, max_col=r.max_col, min_row=lo, max_row=hi)
        else:
            r = CellRange(min_col=lo, max_col=hi, min_row=r.min_row, max_row=r.max_row)
        if r.size["rows"] * r.size["columns"] > 1:
            ws.merge_cells(str(r))


def address(version: str, year: int, pointer) -> tuple[str, str]:
    return plan(available_formats()[version], year).address(pointer)


def load_case(name: str) -> dict:
    return json.loads((CASES / name / "case.json").read_text(encoding="utf-8"))


SEED_CAPTION_PREFIX = "《中华人民共和国政府信息公开条例》"   # the seed prints table 二's captions with the 条例's name


def seed_table_cells(table_id: str) -> dict[tuple[int, int], tuple[str, int, int]]:
    """The seed's table as the official layout draws it: {(row, col): (text, rowspan, colspan)}, 1-based,
    the seed's raw values in the data cells; the base for building it as a sheet, a web page or Word."""
    seed = json.loads((CASES / "seed_2020" / "values.json").read_text(encoding="utf-8"))
    fmt = available_formats()[seed["format_version"]]
    p = plan(fmt, seed["year"])
    sheet = next(t["sheet"] for t in fmt.tables() if t["id"] == table_id)
    cells = {}
    for lab in p.labels:
        if lab.sheet == sheet and lab.role != "heading":
            prefix = SEED_CAPTION_PREFIX if lab.role == "caption" else ""
            cells[(lab.row, lab.col)] = (prefix + lab.text, lab.rowspan, lab.colspan)
    for key, ic in p.inputs.items():
        if ic.sheet == sheet and ic.kind == "data":
            cells[(ic.row, ic.col)] = (seed["values"][key], 1, ic.colspan)
    return cells


def padding_groups(result) -> dict[str, int]:
    """Grouped padding notices (VAL-07 per table) of a result: table pointer -> how many padded numbers."""
    return {f.pointer: f.actual for f in result.findings if f.code == "VAL-07" and f.severity == "info"}
