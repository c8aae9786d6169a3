"""The marked-up copy of a checked workbook, written with openpyxl: marked cells, a 校验结果 sheet in front."""
from __future__ import annotations

import html
import io
import math
import os
import re
import zipfile
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from addin.findings import SEVERITY_RANK
from addin.reading.load import Unreadable, load_workbook, sheet_parts
from addin.reading.model import parse_a1
from addin.reporters import markstate
from addin.reporters.content import (FINDING_HEADER, HEADER_FILL, LINK_COLOUR, NOTE_AUTHOR, RESULTS_SHEET,
                                     SEVERITY_FILL, STATE_SHEET, Mark, ResultsSheet, link_location, marks_for,
                                     results_sheet)
from addin.result import UNREADABLE, FileResult
from addin.safe_text import MAX_CELL_TEXT, for_cell
from addin.textfit import display_len, note_size
from addin.writing.atomic import atomic_write

COPY_TAG = "校验"                   # <name>.校验.xlsx
RESULTS_TAG = "校验结果"             # <name>.校验结果.xlsx (results only, when a copy would lose content)
UNREADABLE_NOTE = "文件无法读取，未生成标注副本。"


class AnnotateError(Exception):
    """A marked-up copy cannot be written (unreadable input, output would overwrite the input)."""


# ---------------------------------------------------------------------------------------------
# What an openpyxl copy would lose

# Zip parts openpyxl does not carry over faithfully (or at all), with a Chinese description.
MAX_COPY_SHEET_BYTES = 4 * 1024 * 1024   # sheet XML a marked-up copy is made of (a report has ~200 KB)
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
    # .xls/.et/.ods, Word, web pages: openpyxl copies only .xlsx, so the results go in a workbook of their own
    other_format = [f"{Path(path).suffix or '无扩展名'} 格式的内容（只能在 .xlsx 工作簿上标注）"]
    if not zipfile.is_zipfile(path):
        return other_format
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        if "xl/workbook.xml" not in names:
            return other_format
        for prefix, what in _LOSSY_PREFIXES:
            if any(n.startswith(prefix) for n in names) and what not in found:
                found.append(what)
        # DrawingML parts are shapes, text boxes, pictures; the VML beside them holds ordinary notes
        # (Excel's vmlDrawingN.vml, openpyxl's commentsDrawingN.vml), which openpyxl keeps.
        if any(n.startswith("xl/drawings/") and n.endswith(".xml") and "/_rels/" not in n for n in names):
            if not {"图片", "图表"} & set(found):
                found.append("图形或文本框")
        sheet_bytes = sum(i.file_size for i in z.infolist() if i.filename.startswith("xl/worksheets/"))
        if sheet_bytes > MAX_COPY_SHEET_BYTES:
            # openpyxl holds every cell as an object: a copy of a million cells takes minutes and GBs
            found.append(f"大型工作表（共 {sheet_bytes // 1048576} MB，超过 {MAX_COPY_SHEET_BYTES // 1048576} MB，复制标注会超出时限）")
            return found
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

    if result.status == UNREADABLE:
        raise AnnotateError(UNREADABLE_NOTE)
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
        # from the bytes: openpyxl refuses a file name it does not know (an .et or .xls that is an .xlsx zip)
        wb = load_workbook(io.BytesIO(input_path.read_bytes()), rich_text=True)
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


# an empty result is <v/> from openpyxl's own XML writer and <v></v> when openpyxl writes through lxml
_FORMULA_CELL_RE = re.compile(rb'<c r="([A-Z]+[0-9]+)"([^>]*)>(<f\b[^>]*?(?:/>|>.*?</f>))(?:<v\s*/>|<v>\s*</v>)(</c>)',
                              re.S)


def with_cached_results(data: bytes, source: Path) -> bytes:
    """The saved copy with each formula cell's cached result taken from the input's same cell
    (openpyxl writes formulas without results, which a re-check would report as FML-01)."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    sheet_of = {part: name for name, part in sheet_parts(archive).items()}
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
            kind, text = b' t="str"', html.escape(value, quote=False).encode("utf-8")
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
    if isinstance(value, str):
        value = for_cell(value)[:MAX_CELL_TEXT]   # texts quoted from the input may hold control characters
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
                lines = max(lines, math.ceil(display_len(str(value)) / max(widths[c - 1] - 1, 1)))
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


def _comment(text: str):
    """A note box sized to its text (textfit.note_size, as the desktop add-in sizes its notes)."""
    from openpyxl.comments import Comment

    text = for_cell(text)
    width, height = note_size(text)
    return Comment(text, NOTE_AUTHOR, height=height, width=width)


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
