"""The Excel add-in through xlwings: read a live book in bulk, check it, mark it, undo the marks."""
from __future__ import annotations

import os
from pathlib import Path

import xlwings as xw

from addin.os_messages import describe
from addin.pipeline import Options, check_data
from addin.reading.model import SheetData, WorkbookData, parse_a1
from addin.reporters import markstate
from addin.reporters.content import RESULTS_SHEET, marks_for, results_sheet, status_sentence
from addin.result import FileResult
from addin.textfit import PT_PER_PX, note_size
from addin.writing.submission import SubmissionError, write_submission

STATE_SHEET = markstate.SHEET     # very hidden: what gkreport marked, since the remote engine cannot read fills or notes
MAX_COLOR_CELLS = 10_000          # Range.set_colors limit per call
# The template's input-cell fill: the standard look restored where the original fill cannot be read
STANDARD_FILL = "#E2EFDA"   # template.INPUT_COLOUR (not imported: it would load openpyxl with the add-in)
SUBMISSION_SUFFIX = "-报送.xlsx"
_XL_SHEET_VERY_HIDDEN = 2


class NotClean(Exception):
    """The workbook still has errors, so no submission file is written."""


# ---------------------------------------------------------------------------------------------
# Reading


def _clean(v):
    # Desktop xlwings gives floats for every number; the engine wants ints like the file reader gives.
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return int(v)
    return None if v == "" else v


def read_book(book: "xw.Book") -> WorkbookData:
    """One value read per sheet (its used range); gkreport's own sheets are left out."""
    sheets = []
    for sheet in book.sheets:
        if sheet.name in (STATE_SHEET, RESULTS_SHEET):
            continue
        rng = sheet.used_range
        rows = rng.options(ndim=2).value or []
        rows = [[_clean(v) for v in row] for row in rows]
        if rows == [[None]]:
            rows = []
        sheets.append(SheetData(sheet.name, rows, rng.row - 1, rng.column - 1, bool(sheet.visible)))
    return WorkbookData(sheets)


def check_book(book: "xw.Book", options: Options = Options()) -> FileResult:
    return check_data(read_book(book), book.name, options)


# ---------------------------------------------------------------------------------------------
# State sheet


def _sheet(book, name):
    for s in book.sheets:
        if s.name == name:
            return s
    return None


def _is_remote(book) -> bool:
    return book.app.engine.name == "remote"


def read_state(book) -> markstate.State:
    """The marks recorded by the last run, by this add-in or by `check --annotate`."""
    sheet = _sheet(book, STATE_SHEET)
    if sheet is None:
        return markstate.State()
    return markstate.decode(sheet.used_range.options(ndim=2).value) or markstate.State()


def write_state(book, state: markstate.State) -> None:
    sheet = _sheet(book, STATE_SHEET)
    if sheet is None:
        sheet = book.sheets.add(STATE_SHEET, after=book.sheets[len(book.sheets) - 1])
        _very_hide(book, sheet)
    else:
        sheet.clear_contents()
    sheet.range("A1").value = markstate.encode(state)


def _very_hide(book, sheet) -> None:
    # A very hidden sheet is not listed under "Unhide", so clerks do not stumble on it.
    if _is_remote(book):
        sheet.impl.append_json_action(func="setSheetVisibility", args="VeryHidden")
        sheet.impl.api["visibility"] = "VeryHidden"
    elif book.app.engine.name == "excel" and os.name == "nt":
        sheet.api.Visible = _XL_SHEET_VERY_HIDDEN
    else:
        sheet.visible = False


# ---------------------------------------------------------------------------------------------
# Marking


def _color_calls(book, fills: dict[tuple[str, str], str | None]) -> None:
    """Fill colours per sheet with set_colors over row bands of the marks' bounding box.

    `...` keeps unmarked cells as they are; bands without a mark are skipped, so the number of
    calls is bounded by the number of marked cells and never by the size of the workbook."""
    by_sheet: dict[str, dict[tuple[int, int], str | None]] = {}
    for (sheet, cell), fill in fills.items():
        by_sheet.setdefault(sheet, {})[parse_a1(cell)] = fill
    for sheet_name, cells in by_sheet.items():
        sheet = _sheet(book, sheet_name)
        if sheet is None:
            continue
        r1 = max(r for r, _ in cells)
        c0 = min(c for _, c in cells)
        c1 = max(c for _, c in cells)
        width = c1 - c0 + 1
        band = max(1, MAX_COLOR_CELLS // width)
        marked_rows = sorted({r for r, _ in cells})
        i = 0
        while i < len(marked_rows):
            top = marked_rows[i]
            bottom = min(top + band - 1, r1)
            while i < len(marked_rows) and marked_rows[i] <= bottom:
                i += 1
            bottom = marked_rows[i - 1]
            if width > MAX_COLOR_CELLS:  # marks thousands of columns apart: colour cell by cell
                for (r, c), fill in cells.items():
                    if top <= r <= bottom:
                        sheet.range((r + 1, c + 1)).set_colors([[fill]])
                continue
            matrix = [[cells.get((r, c), ...) for c in range(c0, c1 + 1)] for r in range(top, bottom + 1)]
            sheet.range((top + 1, c0 + 1), (bottom + 1, c1 + 1)).set_colors(matrix)


def _fill_before(rng) -> str:
    """The state's fill: "#RRGGBB", or "" for none."""
    try:
        color = rng.color
    except NotImplementedError:  # remote engine: fills cannot be read, use the template's look
        return STANDARD_FILL
    if color is None:
        return ""
    r, g, b = color
    return f"#{r:02X}{g:02X}{b:02X}"


def clear_marks(book) -> int:
    """Undo every fill and note gkreport added (notes the user wrote stay); returns the number of cells."""
    n = _clear(book)
    if _sheet(book, STATE_SHEET) is not None:
        write_state(book, markstate.State())
    return n


def _clear(book) -> int:
    state = read_state(book)
    # "" is no fill; None (a fill the marking tool could not express as a colour) also goes back to none
    _color_calls(book, {(r.sheet, r.cell): r.fill or None for r in state.cells})
    sheets = {s.name: s for s in book.sheets}
    for r in state.cells:
        sheet = sheets.get(r.sheet)
        if r.note == markstate.NOTE_NONE or sheet is None:
            continue
        rng = sheet.range(r.cell)
        if rng.note is not None:
            rng.note.delete()
        if r.note == markstate.NOTE_USER:
            rng.add_note(r.user_note or "")
    for name in dict.fromkeys(n for n in (state.results, RESULTS_SHEET) if n):
        results = _sheet(book, name)
        if results is not None:
            results.delete()
    return len(state.cells)


def size_note(note, text: str) -> bool:
    """Size a note gkreport added as the marked copy sizes its notes (textfit.note_size), where the engine
    lets it: desktop Excel on Windows, whose note is a COM Comment with a Shape in points. True if sized.

    The remote engine (Office.js, xlwings Book(json=...)) gives notes no size (its api is the payload's
    entry, without a Shape), nor does xlwings on macOS: there Excel's default box stays."""
    shape = getattr(getattr(note, "api", None), "Shape", None)
    if shape is None:
        return False
    width, height = note_size(text)
    try:
        shape.Width, shape.Height = width * PT_PER_PX, height * PT_PER_PX
    except Exception:   # a COM error (a protected sheet): an unsized note still says what it must
        return False
    return True


def _escape(v):
    # Values go in as typed input: text that looks like a formula must stay text.
    if isinstance(v, str) and v[:1] in ("=", "+", "-", "@"):
        return "'" + v
    return v


def _link_formula(sheet: str, cell: str, text) -> str:
    target = "#'" + sheet.replace("'", "''") + "'!" + cell
    label = str(text if text not in (None, "") else f"{sheet}!{cell}").replace('"', '""')
    return f'=HYPERLINK("{target}","{label}")'


def write_results(book, result: FileResult, submission: Path | None = None) -> None:
    """The 校验结果 sheet, first in the workbook, with the content the marked-up copy has (one value block;
    cell references as links)."""
    content = results_sheet(result, submission=submission.name if submission else None)
    rows = content.rows
    width = max((len(r) for r in rows), default=1)
    block = [[_escape(v) if v is not None else "" for v in r] + [""] * (width - len(r)) for r in rows]
    for (r, c), (sheet_name, cell) in sorted(content.links.items()):
        block[r][c] = _link_formula(sheet_name, cell or "A1", rows[r][c])
    sheet = _sheet(book, RESULTS_SHEET)
    if sheet is None:
        sheet = book.sheets.add(RESULTS_SHEET, before=book.sheets[0])
    else:
        sheet.clear()
    sheet.range("A1").value = block
    for r in sorted(content.bold_rows):
        sheet.range((r + 1, 1), (r + 1, width)).font.bold = True
    sheet.autofit("c")
    sheet.activate()


def validate(book, options: Options = Options(), submission_dir: str | os.PathLike | None = None) -> FileResult:
    """Check `book`, clear the previous marks, then colour and annotate the cells with findings
    and write the 校验结果 sheet. With `submission_dir`, a book without errors also gets its
    clean submission file written there."""
    result = check_book(book, options)
    _clear(book)
    sheets = {s.name: s for s in book.sheets}  # one lookup per sheet, not per mark
    marks = {key: m for key, m in marks_for(result).items() if key[0] in sheets}
    state = markstate.State(RESULTS_SHEET)
    for (sheet, cell), m in marks.items():
        rng = sheets[sheet].range(cell)
        ours = rng.note is None  # a note the user wrote is left as it is; the fill still shows the finding
        if ours:
            size_note(rng.add_note(m.note), m.note)
        note = markstate.NOTE_OURS if ours else markstate.NOTE_NONE
        state.cells.append(markstate.CellRecord(sheet, cell, _fill_before(rng), note))
    _color_calls(book, {key: "#" + m.fill for key, m in marks.items()})
    write_state(book, state)
    submission = None
    if submission_dir is not None and result.format_version and not result.counts["error"]:
        submission = _write_submission(result, Path(submission_dir) / (Path(book.name).stem + SUBMISSION_SUFFIX))
    write_results(book, result, submission)
    return result


def _write_submission(result: FileResult, path: Path) -> Path:
    return Path(write_submission(result, path).path)


def default_submission_path(book) -> Path | None:
    """`<name>-报送.xlsx` next to the workbook, or None for a book without a folder (new, online)."""
    full = Path(book.fullname)
    if not full.parent or str(full.parent) in ("", ".") or "://" in book.fullname:
        return None
    return full.with_name(full.stem + SUBMISSION_SUFFIX)


def export_submission(book, path: str | os.PathLike | None = None, options: Options = Options()) -> Path:
    """Write the clean submission file of `book`; raises NotClean when the book still has errors."""
    result = check_book(book, options)
    if result.format_version is None or result.counts["error"]:
        raise NotClean(status_sentence(result))
    target = Path(path) if path is not None else default_submission_path(book)
    if target is None:
        raise ValueError("工作簿尚未保存到本机文件夹，请先保存，或指定报送文件的保存位置。")
    return _write_submission(result, target)


def main() -> None:
    """The ribbon button: validate the active workbook (Book.caller() would be the add-in itself)."""
    book = xw.books.active
    target = default_submission_path(book)
    validate(book, submission_dir=target.parent if target else None)


def clear_button() -> None:
    """The 清除标记 ribbon button: remove gkreport's marks from the active workbook."""
    book = xw.books.active
    n = clear_marks(book)
    _tell(book, f"已清除 {n} 个单元格的校验标记。" if n else "当前工作簿没有校验标记。")


def submit_button() -> None:
    """The 生成报送文件 ribbon button: the submission file of the active workbook, or why there is none."""
    book = xw.books.active
    try:
        path = export_submission(book)
    except NotClean as exc:
        _tell(book, f"{exc}\n请先点击“校验”，按“校验结果”工作表修改后再生成报送文件。")
    except (ValueError, OSError, SubmissionError) as exc:
        _tell(book, f"未能生成报送文件：{describe(exc) if isinstance(exc, OSError) else exc}")
    else:
        _tell(book, f"已生成报送文件：{path}")


def _tell(book, text: str) -> None:
    try:
        book.app.alert(text, title="政务公开年报")
    except Exception:   # no message box where there is no desktop Excel (remote engine, tests)
        pass
