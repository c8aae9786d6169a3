"""Write-only sheets listing a batch's findings, shared by the summary workbook and the collector's workbook."""
from __future__ import annotations

from collections import Counter

from addin.catalogue import CATALOGUE
from addin.findings import KIND_ZH, READING, SEVERITY_ZH, kinds_text
from addin.safe_text import MAX_CELL_TEXT, for_cell

# openpyxl is imported where a cell is made, so that a check run without a workbook output does not load it.


def text_cell(ws, value, bold: bool = False):
    """A write-only cell whose text from a report is always text: never a formula, whatever it starts with."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    if isinstance(value, str):
        text = for_cell(value)[:MAX_CELL_TEXT]
        c = WriteOnlyCell(ws, value=text)
        c.data_type = "s"   # openpyxl would store "=HYPERLINK(...)" as a formula
    else:
        c = WriteOnlyCell(ws, value=value)
    if bold:
        c.font = Font(bold=True)
    return c


def append_row(ws, values, bold: bool = False) -> None:
    """Append a row to a write-only sheet; values that are cells already are kept as they are."""
    from openpyxl.cell.cell import Cell

    ws.append([v if isinstance(v, Cell) else text_cell(ws, v, bold) for v in values])


def finding_list(ws, results) -> None:
    """问题清单: every finding of every result, one row each."""
    append_row(ws, ["文件", "单位", "工作表", "单元格", "代码", "级别", "说明", "性质"], bold=True)
    for r in results:
        for f in sorted(r.findings, key=lambda f: f.kind == READING):   # the report's defects first
            append_row(ws, [r.path, r.unit or "", f.sheet or "", f.cell or "", f.code,
                            SEVERITY_ZH.get(f.severity, f.severity), f.message, KIND_ZH.get(f.kind, f.kind)])


def rule_counts(ws, results) -> None:
    """规则统计: per code, how many reports it concerns and how many findings it raised, most reports first."""
    reports: Counter = Counter()
    total: Counter = Counter()
    severity: dict[str, str] = {}
    kinds: dict[str, set] = {}
    for r in results:
        codes = [f.code for f in r.findings]
        total.update(codes)
        reports.update(set(codes))
        for f in r.findings:
            severity.setdefault(f.code, f.severity)
            kinds.setdefault(f.code, set()).add(f.kind)
    append_row(ws, ["代码", "名称", "级别", "涉及报告数", "问题条数", "性质"], bold=True)
    for code in sorted(total, key=lambda c: (-reports[c], c)):
        title = CATALOGUE[code].title if code in CATALOGUE else ""
        append_row(ws, [code, title, SEVERITY_ZH.get(severity[code], ""), reports[code], total[code],
                        kinds_text(kinds[code])])
