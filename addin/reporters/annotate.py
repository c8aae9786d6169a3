"""Marked-up copy of a checked workbook: coloured cells with notes and a 校验结果 sheet in front."""
from __future__ import annotations

import io
import math
import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from addin.catalogue import legend_rows
from addin.findings import SEVERITY_RANK, SEVERITY_ZH, Finding
from addin.reading.model import parse_a1
from addin.reporters import markstate
from addin.result import STATUS_ZH, UNREADABLE, FileResult

# The one place for presentation constants; the xlwings add-in uses the same ones.
SEVERITY_FILL = {"error": "FFC7CE", "warning": "FFE699", "info": "DDEBF7"}   # red, amber, pale blue
HEADER_FILL = "D9D9D9"
LINK_COLOUR = "0563C1"
NOTE_AUTHOR = "gkreport"
RESULTS_SHEET = "校验结果"
STATE_SHEET = markstate.SHEET      # very hidden: what gkreport changed, so a re-run can undo it
COPY_TAG = "校验"                   # <name>.校验.xlsx
RESULTS_TAG = "校验结果"             # <name>.校验结果.xlsx (results only, when a copy would lose content)
FINDING_HEADER = ["级别", "代码", "工作表", "单元格", "说明", "应为", "实际"]
FINDING_WIDTHS = [8, 10, 18, 10, 80, 14, 22]
LINK_COLUMN = 3                    # 0-based column of the cell reference that carries the hyperlink


class AnnotateError(Exception):
    """A marked-up copy cannot be written (unreadable input, output would overwrite the input)."""


# ---------------------------------------------------------------------------------------------
# Content (pure: FileResult in, plain values out)


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


# ---------------------------------------------------------------------------------------------
# What an openpyxl copy would lose

# Zip parts openpyxl does not carry over faithfully (or at all), with a Chinese description.
_LOSSY_PREFIXES = [
    ("xl/media/", "图片"),
    ("xl/charts/", "图表"),
    ("xl/chartsheets/", "图表工作表"),
    ("xl/embeddings/", "嵌入对象"),
    ("xl/activeX/", "ActiveX 控件"),
    ("xl/ctrlProps/", "表单控件"),
    ("xl/threadedComments/", "新式批注（会话式批注）"),
    ("xl/slicers/", "切片器"),
    ("xl/slicerCaches/", "切片器"),
    ("xl/timelines/", "日程表"),
    ("xl/diagrams/", "SmartArt 图形"),
    ("xl/vbaProject.bin", "宏（VBA 项目）"),
]


def lossy_content(path: str | os.PathLike) -> list[str]:
    """Chinese descriptions of content in the workbook that an openpyxl copy would drop."""
    found: list[str] = []
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        for prefix, what in _LOSSY_PREFIXES:
            if any(n.startswith(prefix) for n in names) and what not in found:
                found.append(what)
        # DrawingML parts are shapes, text boxes, pictures; the VML beside them holds ordinary notes
        # (Excel's vmlDrawingN.vml, openpyxl's commentsDrawingN.vml), which openpyxl keeps.
        if any(n.startswith("xl/drawings/") and n.endswith(".xml") and "/_rels/" not in n for n in names):
            if not {"图片", "图表"} & set(found):
                found.append("图形或文本框")
        for n in names:
            if n.startswith("xl/worksheets/") and n.endswith(".xml"):
                # x14 extensions: extended data validation, conditional formats, sparklines.
                data = z.read(n)
                if b"<extLst" in data or b":extLst" in data:
                    found.append("工作表扩展格式（条件格式、数据验证扩展或迷你图）")
                    break
    return found


# ---------------------------------------------------------------------------------------------
# Writing


@dataclass
class Outcome:
    path: Path                  # the file written
    separate: bool              # True: results-only workbook, because a copy would lose content
    reasons: list[str]          # what a copy would lose (Chinese)
    marked: int = 0             # cells marked

    def message(self) -> str:
        if self.separate:
            return (f"原工作簿含有{'、'.join(self.reasons)}，复制标注会丢失这些内容，因此未生成标注副本；"
                    f"校验结果已单独写入：{self.path}")
        return f"已生成标注副本（标注 {self.marked} 个单元格）：{self.path}"


def copy_path(input_path: str | os.PathLike, out_dir: str | os.PathLike | None = None,
              stem: str | None = None) -> Path:
    p = Path(input_path)
    return Path(out_dir or p.parent) / f"{stem or p.stem}.{COPY_TAG}.xlsx"


def results_path(input_path: str | os.PathLike, out_dir: str | os.PathLike | None = None,
                 stem: str | None = None) -> Path:
    p = Path(input_path)
    return Path(out_dir or p.parent) / f"{stem or p.stem}.{RESULTS_TAG}.xlsx"


def is_output(path: str | os.PathLike) -> bool:
    """True for a file named like a marked-up copy or results workbook of ours."""
    name = Path(path).name
    return name.endswith((f".{COPY_TAG}.xlsx", f".{RESULTS_TAG}.xlsx"))


def annotate(result: FileResult, input_path: str | os.PathLike, out_dir: str | os.PathLike | None = None,
             stem: str | None = None) -> Outcome:
    """Write the marked-up copy of `input_path` (never modified), or the results-only workbook
    when a copy would lose content; `stem` replaces the input's own name in the output's name."""
    from openpyxl import load_workbook

    from addin.writing.atomic import atomic_write

    if result.status == UNREADABLE:
        raise AnnotateError("文件无法读取，未生成标注副本。")
    input_path = Path(input_path)
    reasons = lossy_content(input_path)
    target = results_path(input_path, out_dir, stem) if reasons else copy_path(input_path, out_dir, stem)
    if target.resolve() == input_path.resolve():
        raise AnnotateError(f"输出文件与输入文件相同（{target}），为保护原文件未写入。请用 --out-dir 指定其他目录。")
    if reasons:
        wb = _results_workbook(result, input_path, target, reasons)
        atomic_write(target, wb.save, suffix=".xlsx")
        return Outcome(target, True, reasons)

    try:
        wb = load_workbook(input_path, rich_text=True)
    except Exception:  # readable for the checker but not for openpyxl: still give the results
        reasons = ["无法完整复制的内容"]
        target = results_path(input_path, out_dir, stem)
        wb = _results_workbook(result, input_path, target, reasons)
        atomic_write(target, wb.save, suffix=".xlsx")
        return Outcome(target, True, reasons)
    clear_marks(wb)
    state = _apply_marks(wb, marks_for(result))
    ws = _unique_sheet(wb, RESULTS_SHEET, index=0)
    write_results(ws, results_sheet(result))
    _select_only(wb, ws)
    _write_state(wb, ws.title, state)
    # openpyxl keeps formulas but not their cached results: they are put back from the input below
    # (so the copy checks as the input did), and Excel/WPS recalculate on open anyway.
    if wb.calculation is not None:
        wb.calculation.fullCalcOnLoad = True
    buffer = io.BytesIO()
    wb.save(buffer)
    data = with_cached_results(buffer.getvalue(), input_path)
    atomic_write(target, lambda tmp: Path(tmp).write_bytes(data), suffix=".xlsx")
    return Outcome(target, False, [], marked=len(state))


_FORMULA_CELL_RE = re.compile(rb'<c r="([A-Z]+[0-9]+)"([^>]*)>(<f\b[^>]*?(?:/>|>.*?</f>))<v\s*/>(</c>)', re.S)


def with_cached_results(data: bytes, source: Path) -> bytes:
    """The saved copy with each formula cell's cached result taken from the input's same cell
    (openpyxl writes formulas without results, which a re-check would report as FML-01)."""
    from addin.reading.load import Unreadable, _sheet_parts, load_workbook

    archive = zipfile.ZipFile(io.BytesIO(data))
    sheet_of = {part: name for name, part in _sheet_parts(archive).items()}
    parts = {info.filename: archive.read(info) for info in archive.infolist()}
    formulas = {name for name in sheet_of if b"<f" in parts.get(name, b"")}
    if not formulas:
        return data
    try:
        book = {sheet.name: sheet for sheet in load_workbook(source).sheets}
    except Unreadable:
        return data

    def cached(sheet, m: re.Match) -> bytes:
        if b" t=" in m.group(2):
            return m.group(0)
        row, col = parse_a1(m.group(1).decode())
        value = sheet.value(row, col)
        if isinstance(value, bool):
            kind, text = b' t="b"', b"1" if value else b"0"
        elif isinstance(value, (int, float)):
            kind, text = b"", repr(value).encode()
        elif isinstance(value, str) and value:
            kind, text = b' t="str"', xml_escape(value).encode("utf-8")
        else:
            return m.group(0)   # no result in the input either (or a date): leave it to the recalculation
        return b'<c r="%s"%s%s>%s<v>%s</v>%s' % (m.group(1), m.group(2), kind, m.group(3), text, m.group(4))

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in archive.infolist():
            blob = parts[info.filename]
            sheet = book.get(sheet_of.get(info.filename, ""))
            if sheet is not None and info.filename in formulas:
                blob = _FORMULA_CELL_RE.sub(partial(cached, sheet), blob)
            copy.writestr(info, blob)
    return out.getvalue()


def _results_workbook(result, input_path: Path, target: Path, reasons: list[str]):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = RESULTS_SHEET
    notice = f"原工作簿含有{'、'.join(reasons)}，为避免丢失内容未生成标注副本；单元格链接指向原文件。"
    link_file = os.path.relpath(input_path.resolve(), target.resolve().parent)
    write_results(ws, results_sheet(result, notice), link_file=link_file)
    return wb


def _unique_sheet(wb, name: str, index: int):
    title, n = name, 2
    while title in wb.sheetnames:
        title = f"{name}（{n}）"
        n += 1
    return wb.create_sheet(title, index)


def _select_only(wb, ws) -> None:
    # Several selected tabs would open the workbook with sheets grouped.
    for other in wb.worksheets:
        other.sheet_view.tabSelected = other is ws
    wb.active = wb.worksheets.index(ws)


def _text_cell(ws, row: int, col: int, value):
    cell = ws.cell(row, col, value)
    if isinstance(value, str):
        cell.data_type = "s"   # a message starting with "=" stays text
    return cell


def write_results(ws, content: ResultsSheet, link_file: str | None = None) -> None:
    """Fill an (empty) openpyxl worksheet with the results content."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.hyperlink import Hyperlink

    widths = content.column_widths
    for r, row in enumerate(content.rows, start=1):
        # the summary above the findings overflows into empty neighbours; findings wrap in their column
        wrap = r - 1 > content.header_row
        lines = 1
        for c, value in enumerate(row, start=1):
            if value is None or value == "":
                continue
            cell = _text_cell(ws, r, c, value)
            cell.alignment = Alignment(vertical="top", wrap_text=wrap)
            if r - 1 in content.bold_rows:
                cell.font = Font(bold=True, size=14 if r == 1 else 11)
            if wrap and c <= len(widths):
                lines = max(lines, math.ceil(_display_len(str(value)) / max(widths[c - 1] - 1, 1)))
        if lines > 1:
            # neither openpyxl nor LibreOffice sizes wrapped rows of a written file: set the height
            ws.row_dimensions[r].height = 15 * lines + 2
    for c in range(1, len(FINDING_HEADER) + 1):
        ws.cell(content.header_row + 1, c).fill = PatternFill("solid", fgColor=HEADER_FILL)
    for r, severity in content.row_severity.items():
        ws.cell(r + 1, 1).fill = PatternFill("solid", fgColor=SEVERITY_FILL[severity])
    for (r, c), (sheet, ref) in content.links.items():
        cell = ws.cell(r + 1, c + 1)
        cell.hyperlink = Hyperlink(ref=cell.coordinate, location=link_location(sheet, ref), target=link_file)
        cell.font = Font(color=LINK_COLOUR, underline="single")
    for i, width in enumerate(content.column_widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = ws.cell(content.header_row + 2, 1)
    # Printable as a list: landscape, one page wide, the findings header repeated on each page.
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{content.header_row + 1}:{content.header_row + 1}"
    ws.sheet_properties.tabColor = "C00000"


def _display_len(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _comment(text: str):
    from openpyxl.comments import Comment

    width_chars = 48
    lines = sum(max(1, math.ceil(_display_len(line) / width_chars)) for line in text.split("\n"))
    return Comment(text, NOTE_AUTHOR, height=min(40 + 16 * lines, 600), width=320)


def _fill_xml(fill) -> str:
    from openpyxl.xml.functions import tostring

    return tostring(fill.to_tree()).decode("utf-8")


def _fill_from_xml(text: str):
    from openpyxl.styles.fills import Fill
    from openpyxl.xml.functions import fromstring

    return Fill.from_tree(fromstring(text))


def _anchor_cell(ws, ref: str):
    """The cell that carries formatting for `ref`: the top-left cell of a merged range."""
    from openpyxl.cell.cell import MergedCell
    from openpyxl.utils.cell import coordinate_to_tuple

    row, col = coordinate_to_tuple(ref)
    cell = ws.cell(row, col)
    if isinstance(cell, MergedCell):
        for rng in ws.merged_cells.ranges:
            if cell.coordinate in rng:
                return ws.cell(rng.min_row, rng.min_col)
    return cell


def _fill_rgb(fill) -> str | None:
    """The fill as the state records it for tools that only know colours: "#RRGGBB", "" or None."""
    if fill is None or fill.fill_type is None:
        return ""
    colour = fill.fgColor
    if fill.fill_type == "solid" and colour is not None and colour.type == "rgb" and isinstance(colour.rgb, str):
        return "#" + colour.rgb[-6:].upper()
    return None


def _restore_fill(cell, record: markstate.CellRecord) -> None:
    from openpyxl.styles import PatternFill

    if record.fill_xml:
        cell.fill = _fill_from_xml(record.fill_xml)
    elif record.fill and record.fill.startswith("#"):
        cell.fill = PatternFill("solid", fgColor=record.fill[1:])
    else:   # no fill before, or a fill the marking tool could not read
        cell.fill = PatternFill(fill_type=None)


def _apply_marks(wb, marks: dict[tuple[str, str], Mark]) -> list[markstate.CellRecord]:
    """Fill and annotate the marked cells; returns records of what each cell had before."""
    from openpyxl.styles import PatternFill

    merged: dict[tuple[str, str], list[Mark]] = {}
    cells = {}
    for (sheet, ref), mark in marks.items():
        if sheet not in wb.sheetnames or wb[sheet].__class__.__name__ != "Worksheet":
            continue
        try:
            cell = _anchor_cell(wb[sheet], ref)
        except ValueError:
            continue
        key = (sheet, cell.coordinate)
        merged.setdefault(key, []).append(mark)
        cells[key] = cell
    state = []
    for key, items in merged.items():
        cell = cells[key]
        worst = min((m.severity for m in items), key=SEVERITY_RANK.__getitem__)
        note = "\n".join(m.note for m in items)
        old = cell.comment
        if old is None:
            record = markstate.CellRecord(key[0], key[1], _fill_rgb(cell.fill), markstate.NOTE_OURS,
                                          _fill_xml(cell.fill))
        else:
            record = markstate.CellRecord(key[0], key[1], _fill_rgb(cell.fill), markstate.NOTE_USER,
                                          _fill_xml(cell.fill), old.text, old.author,
                                          (int(old.width), int(old.height)))
        state.append(record)
        # A user's own note stays on top; ours follows, and a re-run restores the user's alone.
        cell.comment = _comment(note if old is None else f"{old.text}\n\n{note}")
        cell.fill = PatternFill("solid", fgColor=SEVERITY_FILL[worst])
    return state


def _write_state(wb, results_title: str, cells: list[markstate.CellRecord]) -> None:
    ws = wb.create_sheet(STATE_SHEET)
    ws.sheet_state = "veryHidden"
    for r, row in enumerate(markstate.encode(markstate.State(results_title, cells)), start=1):
        for c, value in enumerate(row, start=1):
            if value:
                _text_cell(ws, r, c, value)


def _restore_note(cell, record: markstate.CellRecord) -> None:
    from openpyxl.comments import Comment

    if record.note == markstate.NOTE_OURS:
        cell.comment = None
    elif record.note == markstate.NOTE_USER:
        width, height = record.note_size or (144, 79)
        cell.comment = Comment(record.user_note or "", record.note_author or "", height=height, width=width)


def clear_marks(wb) -> int:
    """Undo an earlier gkreport run on this workbook (this command or the Excel add-in): restore
    fills and users' notes, remove our notes, the results sheet and the state sheet. Returns the
    number of cells restored."""
    restored = 0
    if STATE_SHEET in wb.sheetnames:
        st = wb[STATE_SHEET]
        state = markstate.decode(st.iter_rows(values_only=True)) or markstate.State()
        if state.results in wb.sheetnames:
            wb.remove(wb[state.results])
        for record in state.cells:
            if record.sheet not in wb.sheetnames:
                continue
            try:
                cell = _anchor_cell(wb[record.sheet], record.cell)
                _restore_fill(cell, record)
            except Exception:  # a damaged state row must not stop the new annotation
                continue
            _restore_note(cell, record)
            restored += 1
        wb.remove(st)
    # Notes of ours whose record was lost (state sheet deleted) still go.
    for ws in wb.worksheets:
        for cell in list(ws._cells.values()):
            if cell.comment is not None and cell.comment.author == NOTE_AUTHOR:
                cell.comment = None
    if wb.worksheets:
        _select_only(wb, wb.worksheets[0])
    return restored


# ---------------------------------------------------------------------------------------------
# Many files


@dataclass(frozen=True)
class BatchCopies:
    """Where each input's copy goes in a batch run, and the per-file step that writes it (picklable,
    small: it is sent with every job and runs in the worker that checked the file).

    With an out-dir the inputs' folders are mirrored below it, relative to their common folder, so
    two `报告.xlsx` from different folders do not meet; inputs that would still share an output
    name (报告.xlsx and 报告.xls in one folder) keep their extension in it."""

    out_dir: str | None
    root: str | None                       # common folder of the inputs (None: not mirrored)
    stems: tuple[tuple[str, str], ...] = ()   # input path -> stem, only where the plain stem clashes

    @classmethod
    def plan(cls, files: list[str], out_dir: str | None) -> "BatchCopies":
        root = None
        if out_dir and files:
            try:
                root = os.path.commonpath([os.path.dirname(os.path.abspath(f)) for f in files])
            except ValueError:   # inputs on different drives: one flat folder, names made unique below
                root = None
        plain = cls(out_dir, root)
        taken: dict[tuple[str, str], list[str]] = {}
        for f in files:
            key = (os.path.normcase(os.path.abspath(plain.folder(f))), Path(f).stem.casefold())
            taken.setdefault(key, []).append(f)
        stems: dict[str, str] = {}
        used: set[tuple[str, str]] = set()
        for (folder, _), group in taken.items():
            if len(group) < 2:
                continue
            for f in group:
                stem, n = Path(f).name, 2
                while (folder, stem.casefold()) in used:   # same names from different drives
                    stem, n = f"{Path(f).name}（{n}）", n + 1
                used.add((folder, stem.casefold()))
                stems[f] = stem
        return cls(out_dir, root, tuple(sorted(stems.items())))

    def folder(self, path: str) -> str:
        if not self.out_dir:
            return os.path.dirname(path) or "."
        if self.root is None:
            return self.out_dir
        return os.path.normpath(os.path.join(self.out_dir, os.path.relpath(os.path.dirname(os.path.abspath(path)),
                                                                            self.root)))

    def stem(self, path: str) -> str:
        return dict(self.stems).get(path, Path(path).stem)

    def __call__(self, path: str, result: FileResult) -> FileResult:
        """Write the copy; a copy that cannot be written becomes an OUT-01 finding, never an exception."""
        from addin import catalogue

        if result.status == UNREADABLE:
            return result   # the file's own FILE-xx finding says it all
        try:
            folder = self.folder(path)
            os.makedirs(folder, exist_ok=True)
            result.annotated = str(annotate(result, path, folder, self.stem(path)).path)
        except Exception as exc:  # any failure of the copy must leave the check's result intact
            reason = str(exc) if isinstance(exc, (AnnotateError, OSError)) else f"{exc.__class__.__name__}: {exc}"
            result.findings = sorted([*result.findings, catalogue.make("OUT-01", reason=reason)],
                                     key=Finding.sort_key)
        return result
