"""Realistic report values and workbooks built from the layout (tests and benchmarks share them)."""
from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

from addin.formats import FormatDef, available_formats


def _fmt(version: str) -> FormatDef:
    return available_formats()[version]


def consistent_values(fmt: FormatDef, seed: int = 0) -> dict[str, object]:
    """pointer -> value for every data cell, satisfying every rule of the format (a passing report)."""
    rnd = random.Random(seed)
    values: dict[str, object] = {}
    for cell in fmt.cells:
        if cell.table != "T2":
            continue
        if cell.type == "money":
            values[cell.pointer] = Decimal(rnd.randint(0, 99999)) / 100 if cell.unit else 0
        elif cell.type == "signed":
            values[cell.pointer] = rnd.randint(-5, 5)
        else:
            values[cell.pointer] = rnd.randint(0, 40)
    # Table 二: make the inequality rules hold whatever the column names are.
    for cell in fmt.cells:
        if cell.table == "T2" and cell.column in ("现行有效件数", "对外公开总数量"):
            values[cell.pointer] = 1000 + rnd.randint(0, 50)
        if cell.table == "T2" and cell.column == "上一年项目数量":
            values[cell.pointer] = 100 + rnd.randint(0, 50)
        if cell.table == "T2" and cell.column == "本年新制作数量":
            values[cell.pointer] = 200 + rnd.randint(0, 50)
    # Table 三: results per column, then total, carried-in/out and new from the printed identity.
    t3 = fmt.block("T3")
    rows = [r["key"] for r in t3["rows"]]
    results = [r for r in rows if r.startswith("r_") and r != "r_total"]
    cols = [c["key"] for c in t3["columns"]]
    p = t3["pointer"]
    grid: dict[tuple[str, str], int] = {}
    for c in cols[:-1]:
        for r in results:
            grid[r, c] = rnd.choice((0, 0, 0, 1, 2, rnd.randint(0, 60)))
        total = sum(grid[r, c] for r in results)
        grid["r_total", c] = total
        grid["carried_out", c] = rnd.randint(0, 9)
        grid["carried_in", c] = rnd.randint(0, total + grid["carried_out", c])
        grid["new", c] = total + grid["carried_out", c] - grid["carried_in", c]
    for r in rows:
        grid[r, cols[-1]] = sum(grid[r, c] for c in cols[:-1])
    for (r, c), v in grid.items():
        values[p.format(row=r, column=c)] = v
    # Table 四: each total is the sum of the four cells before it.
    t4 = fmt.block("T4")
    d = [c["key"] for c in t4["columns"]]
    for start, total in ((0, 4), (5, 9), (10, 14)):
        parts = [rnd.randint(0, 6) for _ in range(4)]
        for k, v in zip(d[start:total], parts):
            values[t4["pointer"].format(row="", column=k)] = v
        values[t4["pointer"].format(row="", column=d[total])] = sum(parts)
    return values


def broken_values(fmt: FormatDef, seed: int = 0) -> dict[str, object]:
    """A report with typical defects: a blank, a placeholder and a wrong T3 total."""
    values = consistent_values(fmt, seed)
    p = fmt.block("T3")["pointer"]
    values[p.format(row="r_total", column="C1")] += 1
    values[p.format(row="r_open", column="C2")] = "—"
    values[p.format(row="r_partial", column="C3")] = "\u3000"
    return values


def write_report(path, version: str, year: int, unit: str, values: dict | None = None, seed: int = 0,
                 texts: dict | None = None) -> Path:
    """Save a report workbook at `path` (the standard template filled with `values` and narrative texts)."""
    from addin.writing.template import build_workbook, save_workbook
    from tests.helpers import base_texts

    fmt = _fmt(version)
    texts = base_texts(version, year) if texts is None else texts
    wb = build_workbook(fmt, year, unit, consistent_values(fmt, seed) if values is None else values, texts)
    save_workbook(wb, path)
    return Path(path)
