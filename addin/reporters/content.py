"""What a checked workbook shows, as plain values: cell marks and the 校验结果 sheet (copy writer and add-in)."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from addin.catalogue import legend_rows
from addin.findings import SEVERITY_RANK, SEVERITY_ZH, Finding
from addin.reporters import markstate
from addin.result import STATUS_ZH, FileResult

# The one place for presentation constants; the openpyxl copy and the xlwings add-in use the same ones.
SEVERITY_FILL = {"error": "FFC7CE", "warning": "FFD966", "info": "BDD7EE"}   # red, amber, blue: apart from the input fill
HEADER_FILL = "D9D9D9"
LINK_COLOUR = "0563C1"
NOTE_AUTHOR = "gkreport"
RESULTS_SHEET = "校验结果"
STATE_SHEET = markstate.SHEET      # very hidden: what gkreport changed, so a re-run can undo it
FINDING_HEADER = ["级别", "代码", "工作表", "单元格", "说明", "应为", "实际"]
FINDING_WIDTHS = [8, 10, 18, 10, 80, 14, 22]
LINK_COLUMN = 3                    # 0-based column of the cell reference that carries the hyperlink


@dataclass(frozen=True)
class Mark:
    """What one cell gets: a fill for its worst severity and one note listing all its findings."""

    severity: str
    note: str
    codes: tuple[str, ...]

    @property
    def fill(self) -> str:
        return SEVERITY_FILL[self.severity]


@dataclass
class ResultsSheet:
    """Rows of the results sheet (0-based indices below) with what to decorate."""

    rows: list[list]
    header_row: int                                               # the findings table header
    links: dict[tuple[int, int], tuple[str, str | None]] = field(default_factory=dict)  # -> (sheet, cell)
    row_severity: dict[int, str] = field(default_factory=dict)
    bold_rows: set[int] = field(default_factory=set)
    column_widths: list[float] = field(default_factory=lambda: list(FINDING_WIDTHS))


def show(value) -> str:
    """A finding's expected/actual value as the user would type it."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def note_line(f: Finding) -> str:
    line = f"【{SEVERITY_ZH[f.severity]}】{f.code} {f.message}"
    parts = []
    if f.expected is not None:
        parts.append(f"应为：{show(f.expected)}")
    if f.actual is not None and show(f.actual) != "":
        parts.append(f"实际：{show(f.actual)}")
    return line + (f"（{'；'.join(parts)}）" if parts else "")


def marks_for(result: FileResult) -> dict[tuple[str, str], Mark]:
    """(sheet, "B7") -> Mark for every cell that has at least one finding; findings without a
    cell appear only on the results sheet."""
    by_cell: dict[tuple[str, str], list[Finding]] = {}
    for f in result.findings:
        if f.sheet and f.cell:
            by_cell.setdefault((f.sheet, f.cell), []).append(f)
    marks = {}
    for key, items in by_cell.items():
        worst = min((f.severity for f in items), key=SEVERITY_RANK.__getitem__)
        note = "gkreport 校验：\n" + "\n".join(note_line(f) for f in items)
        marks[key] = Mark(worst, note, tuple(dict.fromkeys(f.code for f in items)))
    return marks


def link_location(sheet: str, cell: str | None) -> str:
    """Internal hyperlink location 'Sheet name'!B7 (quotes in the name doubled)."""
    return "'" + sheet.replace("'", "''") + "'!" + (cell or "A1")


def link_target(sheet: str, cell: str | None) -> str:
    """The same as a hyperlink address string: #'Sheet name'!B7."""
    return "#" + link_location(sheet, cell)


def results_sheet(result: FileResult, notice: str | None = None) -> ResultsSheet:
    """The 校验结果 sheet: summary, verdict, one row per finding (errors first), legend."""
    c = result.counts
    fmt = f"{result.format_version}版" if result.format_version else "未识别"
    # Deliberately not the cover labels (单位名称/报告年度): the reader must never take these
    # cells for the report's own cover when the marked-up copy is checked again.
    rows: list[list] = [
        ["gkreport 校验结果"],
        ["单位", result.unit or "（未填写）", "", "", f"报告年度：{result.report_year or '（未填写）'}　　格式版本：{fmt}"],
        ["错误", c["error"], "警告", c["warning"], "提示", c["info"]],
        ["结论", STATUS_ZH[result.status]],
    ]
    bold = {0, 3}
    if result.rules_held:
        rows.append(["核对无误", "、".join(result.rules_held)])
    blocked = result.not_evaluated_rules(waiting_for_previous=False)
    if blocked:
        rows.append(["未能核对", "、".join(blocked) + "（相关单元格不是数字，请先改正数值问题）"])
    waiting = result.not_evaluated_rules(waiting_for_previous=True)
    if waiting:
        rows.append(["未核对", "、".join(waiting) + "（跨年度核对，需要上一年度的报告）"])
    if notice:
        rows.append(["说明", notice])
    rows.append([])
    header = len(rows)
    rows.append(list(FINDING_HEADER))
    out = ResultsSheet(rows, header, bold_rows=bold | {header})
    for f in result.findings:
        i = len(rows)
        rows.append([SEVERITY_ZH[f.severity], f.code, f.sheet or "", f.cell or "", f.message,
                     show(f.expected), show(f.actual)])
        out.row_severity[i] = f.severity
        if f.sheet:
            out.links[(i, LINK_COLUMN if f.cell else 2)] = (f.sheet, f.cell)
    if not result.findings:
        rows.append(["", "", "", "", "未发现问题。"])
    codes = {f.code for f in result.findings}
    if codes:
        rows.append([])
        out.bold_rows.add(len(rows))
        rows.append(["代码说明"])
        out.bold_rows.add(len(rows))
        rows.append(["代码", "默认级别", "名称"])
        for code, severity, title in legend_rows(codes):
            rows.append([code, SEVERITY_ZH[severity], title])
    return out
