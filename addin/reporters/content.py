"""What a checked workbook shows, as plain values: cell marks and the 校验结果 sheet (copy writer and add-in)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from addin.catalogue import CATALOGUE, legend_rows
from addin.findings import KIND_ZH, KINDS, READING, READING_HEADING, REPORT, SEVERITY_RANK, SEVERITY_ZH, Finding, kinds_text
from addin.formats import available_formats
from addin.printorder import sheet_order
from addin.reading.model import parse_a1
from addin.reporters import markstate
from addin.result import STATUS_ZH, UNREADABLE, FileResult

_A1 = re.compile(r"[A-Za-z]{1,3}[0-9]{1,7}")   # a cell reference, as opposed to a printed place in a document

# The one place for presentation constants; the openpyxl copy and the xlwings add-in use the same ones.
SEVERITY_FILL = {"error": "FFC7CE", "warning": "FFD966", "info": "BDD7EE"}   # red, amber, blue: apart from the input fill
HEADER_FILL = "D9D9D9"
LINK_COLOUR = "0563C1"
NOTE_AUTHOR = "gkreport"
RESULTS_SHEET = "校验结果"
STATE_SHEET = markstate.SHEET      # very hidden: what gkreport changed, so a re-run can undo it
FINDING_HEADER = ["级别", "代码", "工作表", "单元格", "说明", "应为", "实际", "性质"]
FINDING_WIDTHS = [8, 10, 18, 10, 80, 14, 22, 10]
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


# The heading of the block of reading doubts, after the report's defects (results sheet, clerk page, feedback)
READING_BLOCK = f"{READING_HEADING}（读取存疑：工具未能读取、定位或核对，报告本身不一定有错）："


def note_line(f: Finding) -> str:
    tag = f"【{KIND_ZH[READING]}】" if f.kind == READING else ""
    line = f"【{SEVERITY_ZH[f.severity]}】{tag}{f.code} {f.message}"
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


def status_sentence(result: FileResult, submission: str | None = None) -> str:
    """The first line of the results sheet: what the clerk does next, in one sentence."""
    c = result.counts
    if result.status == UNREADABLE or result.format_version is None:
        return "未能识别为政府信息公开工作年度报告：" + (result.findings[0].message if result.findings else "")
    if c["error"]:
        first = next((f for f in ordered(result) if f.severity == "error" and f.kind == REPORT), None)
        if first is None:
            return (f"有 {c['error']} 处内容未能读取（读取存疑），这些内容未经校验，不能视为通过；"
                    "请以原件人工核对，或提供可以读取的文件后重新校验。")
        where = f"{first.sheet}!{first.cell}" if first.sheet and first.cell else "下表第一行"
        return (f"发现 {c['error']} 个错误、{c['warning']} 个警告，请从 {where} 开始修改；"
                "点击“单元格”列可跳转到该单元格。")
    text = f"校验通过：没有错误（{c['warning']} 个警告、{c['info']} 个提示"
    text += "，请核实警告）。" if c["warning"] else "）。"
    return text + (f"已生成报送文件：{submission}" if submission else "")


def counts_line(result: FileResult) -> str:
    c = result.counts
    doubts = sum(result.kind_counts[READING].values())
    return f"错误 {c['error']} 个，警告 {c['warning']} 个，提示 {c['info']} 个" + (f"（其中读取存疑 {doubts} 项）" if doubts else "")


def by_kind(result: FileResult) -> dict[str, list[Finding]]:
    """The findings in workbook order, the report's defects first, then the doubts of the reading."""
    groups: dict[str, list[Finding]] = {kind: [] for kind in KINDS}
    for f in ordered(result):
        groups[f.kind].append(f)
    return groups


def ordered(result: FileResult) -> list[Finding]:
    """Findings as the workbook is read: findings of the whole file first, then sheet by sheet in the order
    the report prints (other sheets after, as they first appear), row by row, left to right."""
    fmt = available_formats().get(result.format_version or "")
    rank = {name: i for i, name in enumerate(sheet_order(fmt))} if fmt else {}
    seen: dict[str, int] = {}
    for f in result.findings:
        if f.sheet:
            seen.setdefault(f.sheet, len(seen))

    def key(f: Finding):
        if not f.sheet:
            return (0, 0, 0, 0, SEVERITY_RANK[f.severity])
        # a printed place («第 3 页 表三 第 27 行», a PDF or a page) is not a cell reference: it keeps the
        # order the reader gave, which is the order of the pages
        row, col = parse_a1(f.cell) if f.cell and _A1.fullmatch(f.cell) else (-1, -1)
        return (1, rank.get(f.sheet, len(rank) + seen[f.sheet]), row, col, SEVERITY_RANK[f.severity])
    return sorted(result.findings, key=key)


def _rule_rows(label: str, codes: list[str], why: str) -> list[list]:
    """A heading row saying what the rules below are, then one row per rule: its code, and its name in the
    wide message column."""
    if not codes:
        return []
    return [[label, "", "", "", why]] + [["", code, "", "", CATALOGUE[code].title if code in CATALOGUE else ""]
                                         for code in codes]


LEGEND = (("error", "红色：错误，必须修改后才能报送"), ("warning", "橙黄色：警告，请核实"),
          ("info", "蓝色：提示，一般不影响报送"))
READING_LEGEND = ("工具未能读取、定位或核对的内容（如扫描页、未找到的表格、按顺序读取的数字），列在报告问题之后；"
                  "报告本身不一定有错，请以原件核对。其中的错误同样使文件不通过：未能读取的内容不能视为已核对。")


def results_sheet(result: FileResult, notice: str | None = None, submission: str | None = None) -> ResultsSheet:
    """The 校验结果 sheet, the same in the marked-up copy and the add-in: what to do next, the report, the
    counts, the rules checked (by name), one row per finding in the order of the workbook, and a legend."""
    fmt = f"{result.format_version}版" if result.format_version else "未识别"
    # Deliberately not the cover labels (单位名称/报告年度): the reader must never take these
    # cells for the report's own cover when the marked-up copy is checked again.
    rows: list[list] = [
        [status_sentence(result, submission)],
        ["单位", result.unit or "（未填写）", "", "", f"报告年度：{result.report_year or '（未填写）'}　　格式版本：{fmt}"],
        ["数量", counts_line(result)],
        ["结论", STATUS_ZH[result.status]],
    ]
    bold = {0, 3}
    rows += _rule_rows("核对无误", result.rules_held, "以下勾稽关系已核对，没有发现问题：")
    rows += _rule_rows("未能核对", result.not_evaluated_rules(waiting_for_previous=False),
                       "以下勾稽关系因相关单元格不是数字而未能核对，请先改正数值问题：")
    rows += _rule_rows("未核对", result.not_evaluated_rules(waiting_for_previous=True),
                       "以下跨年度核对需要上一年度的报告，本次未核对：")
    if notice:
        rows.append(["说明", notice])
    rows.append([])
    header = len(rows)
    rows.append(list(FINDING_HEADER))
    out = ResultsSheet(rows, header, bold_rows=bold | {header})
    groups = by_kind(result)
    for kind, findings in groups.items():
        if kind == READING and findings:
            out.bold_rows.add(len(rows))
            rows.append([KIND_ZH[READING], "", "", "", READING_BLOCK])
        for f in findings:
            i = len(rows)
            rows.append([SEVERITY_ZH[f.severity], f.code, f.sheet or "", f.cell or "", f.message,
                         show(f.expected), show(f.actual), KIND_ZH[f.kind]])
            out.row_severity[i] = f.severity
            if f.sheet:
                out.links[(i, LINK_COLUMN if f.cell else 2)] = (f.sheet, f.cell)
    if not result.findings:
        rows.append(["", "", "", "", "未发现问题。"])
    rows.append([])
    out.bold_rows.add(len(rows))
    rows.append(["颜色说明"])
    for severity, text in LEGEND:
        out.row_severity[len(rows)] = severity
        rows.append([SEVERITY_ZH[severity], "", "", "", text])
    if groups[READING]:
        rows.append([KIND_ZH[READING], "", "", "", READING_LEGEND])
    codes = {f.code for f in result.findings}
    if codes:
        rows.append([])
        out.bold_rows.add(len(rows))
        rows.append(["代码说明"])
        out.bold_rows.add(len(rows))
        rows.append(["代码", "默认级别", "名称", "性质"])
        kinds = {}
        for f in result.findings:
            kinds.setdefault(f.code, set()).add(f.kind)
        for code, severity, title in legend_rows(codes):
            rows.append([code, SEVERITY_ZH[severity], title, kinds_text(kinds[code])])
    return out
