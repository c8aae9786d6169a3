"""Sheet parts of an .xlsx read as bytes: oversized sheets measured and cut down, formulas without a cached result found."""
from __future__ import annotations

import re
import tempfile
import zipfile
from pathlib import Path

from addin import catalogue
from addin.reading.guard import (MAX_COLS_READ, MAX_ROWS_READ, MAX_SHEET_PART_BYTES, MAX_TEXT_CELLS, NS_PREFIX as _NS,
                                 Unreadable, check_shared_strings, part_key, parts_by_key, read_part, sheet_parts)

_FORMULA_RE = re.compile(rb"<" + _NS + rb"f(?:\s[^>]*)?>(.*?)</" + _NS + rb"f\s*>|<" + _NS + rb"f\s[^>]*/>", re.S)
_VALUE_RE = re.compile(rb"<" + _NS + rb"v>[^<]+</" + _NS + rb"v\s*>|<" + _NS + rb"is>", re.S)

_ROW_RE = re.compile(rb"<" + _NS + rb"row\b[^>]*?(?:/>|>.*?</" + _NS + rb"row\s*>)", re.S)
_CELL_ELEM_RE = re.compile(rb"<" + _NS + rb"c\b[^>]*?(?:/>|>.*?</" + _NS + rb"c\s*>)", re.S)
# An r attribute as calamine reads it: either quote, spaces around "=", any case; a row's has no letters.
_REF_RE = re.compile(rb"""\sr\s*=\s*["']\s*([A-Za-z]*)([0-9]+)\s*["']""")
_DIMENSION_RE = re.compile(rb"<dimension\b[^>]*/>")
# A reference (of a cell or of a row) past row 999 or column IV (MAX_COLS_READ = 256), written in any
# of the ways _REF_RE reads. (No \s before r: a literal first character lets the regex engine skip
# ahead; extra matches only cost the exact scan.)
_FAR_REF_RE = re.compile(rb"""r\s*=\s*["']\s*(?:[A-Za-z]*[0-9]{4}|[A-Za-z]{3,}[0-9]|[Ii][W-Zw-z][0-9]|[J-Zj-z][A-Za-z][0-9])""")
_NEAR_ROWS = 999
assert MAX_COLS_READ == 256   # what _FAR_REF_RE assumes
_ANY_FORMULA_RE = re.compile(rb"<f[\s>]")
_PREFIXED_ROOT_RE = re.compile(rb"(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?<[\w.-]+:worksheet\b")
_ANY_PREFIXED_FORMULA_RE = re.compile(rb"<[\w.-]+:f[\s>]")


def _row_number(digits: bytes) -> int:
    # a hostile reference may carry thousands of digits (int() refuses more than 4,300): any row
    # number longer than 9 digits is far beyond every limit anyway
    return int(digits) if len(digits) <= 9 else 10**9


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


def scan_sheets(zf: zipfile.ZipFile):
    """Uncached formulas per sheet name, and the sheets that must be cut down: name -> (rows, cols) spanned.

    Every member calamine might take for a sheet is checked (another case of its name, "\\" for "/",
    duplicate names); a sheet that cannot be checked is not handed to calamine at all."""
    uncached: dict[str, dict[tuple[int, int], str]] = {}
    trimmed: dict[str, tuple[int, int]] = {}
    try:
        by_key = parts_by_key(zf)
        check_shared_strings(zf, by_key)
        for name, part in sheet_parts(zf).items():
            candidates = by_key.get(part_key(part), [])
            # the formulas of the member of exactly that name, else of the first candidate
            for info in sorted(candidates, key=lambda i: i.filename != part):
                found = _scan_sheet_part(zf, info, name, trimmed)
                if found and name not in uncached:
                    uncached[name] = found
    except Unreadable:
        raise
    except Exception as exc:
        raise Unreadable(catalogue.make("FILE-04", reason=f"工作表部件无法检查（{catalogue.shorten(str(exc) or exc.__class__.__name__, 80)}）")) from exc
    return uncached, trimmed


def _scan_sheet_part(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, trimmed: dict) -> dict:
    """One sheet part: its uncached formulas; records in `trimmed` when it must be cut down."""
    if info.file_size > MAX_SHEET_PART_BYTES:
        # a large sheet whose every row and cell says where it is, all inside the read box, is read as it
        # is (20,000 x 50 numbers is a sheet, not an attack); else it is cut down, its span measured then
        measured = _explicit_span(zf, info, name)
        if measured is None or measured[0] > MAX_ROWS_READ or measured[1] > MAX_COLS_READ:
            trimmed[name] = [0, 0]
            return {}
        return _formulas_without_result(read_part(zf, info))
    data = read_part(zf, info)
    _check_text_cells(name, len(_TEXT_CELL_RE.findall(data)))
    if not _fits(data):
        span = [0, 0]
        cut = _trim_xml(iter([data]), span)
        # the span reported also counts the references in rows that were cut away whole
        refs = _REF_RE.findall(data)
        span[0] = max([span[0], *(_row_number(r) for _, r in refs)])
        # column letters order like numbers when compared by (length, text)
        letters = [c.upper() for c, _ in refs if c]
        span[1] = max(span[1], _col_number(max(letters, key=lambda c: (len(c), c))) if letters else 0)
        if span[0] > MAX_ROWS_READ or span[1] > MAX_COLS_READ:
            trimmed[name] = span
            data = cut
    return _formulas_without_result(data)


_CELL_START_RE = re.compile(rb"<" + _NS + rb"c[\s>/]")
_CELL_REF_RE = re.compile(rb"<" + _NS + rb"""c\s[^>]*?\br\s*=\s*["']\s*([A-Za-z]+)([0-9]+)\s*["']""")
_ROW_START_RE_ANY = re.compile(rb"<" + _NS + rb"row[\s>/]")
_ROW_REF_RE = re.compile(rb"<" + _NS + rb"""row\s[^>]*?\br\s*=\s*["']\s*([0-9]+)\s*["']""")
_TEXT_CELL_RE = re.compile(rb"<" + _NS + rb"""c\s[^>]*?\bt\s*=\s*["']\s*(?:s|inlineStr|str)\s*["']""")


def _explicit_span(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> tuple[int, int] | None:
    """(last row, last column) of a sheet part in which every row and cell element carries its reference
    (then calamine places nothing implicitly and the span is exact), read in chunks by regular expressions;
    None when some element has no reference. Refused as soon as it has too many text cells."""
    rows = cols = texts = 0
    carry = b""
    with zf.open(info) as fh:
        while True:
            chunk = fh.read(1 << 20)
            buf = carry + chunk
            # whole start tags only: the rest waits for the next chunk
            cut = buf.rfind(b"<")
            if cut < 0 or not chunk:
                cut = len(buf)
            part, carry = buf[:cut], buf[cut:]
            cells = _CELL_REF_RE.findall(part)
            row_refs = _ROW_REF_RE.findall(part)
            if len(cells) != len(_CELL_START_RE.findall(part)) or len(row_refs) != len(_ROW_START_RE_ANY.findall(part)):
                return None
            # distinct references only (a few thousand): the per-cell work stays in C
            digits = {r for _, r in cells} | set(row_refs)
            if digits:
                rows = max(rows, max(map(_row_number, digits)))
            letters = {c.upper() for c in {c for c, _ in cells}}
            if letters:
                cols = max(cols, max(map(_col_number, letters)))
            texts += len(_TEXT_CELL_RE.findall(part))
            _check_text_cells(name, texts)
            if not chunk:
                return rows, cols


def _check_text_cells(name: str, count: int) -> None:
    """Text cells are normalised and indexed one by one to find the labels: a sheet of millions is refused."""
    if count > MAX_TEXT_CELLS:
        raise Unreadable(catalogue.make("FILE-05", reason=f"工作表“{name}”有 {count:,} 个文字单元格，超过上限 "
                                                          f"{MAX_TEXT_CELLS:,} 个（一份报告只有数百个）"))


def _fits(data: bytes) -> bool:
    """True when calamine's grid of this sheet is surely small, without reading its cells one by one.

    calamine places a cell by its reference, or, without one, right of the cell before it (and a row
    without a number below the row before it). With no reference past row 999 or column IV, rows
    end by 999 + the number of row elements and columns by 256 + the number of elements: when that
    box is within MAX_ROWS_READ x MAX_COLS_READ cells nothing needs measuring."""
    if _FAR_REF_RE.search(data):
        return False
    rows = data.count(b"row")     # row elements (each counted twice or more: closing tags, prefixes)
    elements = data.count(b"<")   # cells among them
    return (_NEAR_ROWS + rows) * (MAX_COLS_READ + elements) <= MAX_ROWS_READ * MAX_COLS_READ


def _trim_xml(chunks, span: list) -> bytes:
    """Sheet XML keeping only rows <= MAX_ROWS_READ and columns <= MAX_COLS_READ, read chunk by chunk.
    Elements may carry a namespace prefix (<x:row>, as some generators write them)."""
    out = []
    buf = b""
    state = "head"
    prefix = b""
    close = re.compile(rb"</sheetData\s*>")
    next_row = 1
    for chunk in chunks:
        buf += chunk
        if state == "head":
            m = _SHEETDATA_RE.search(buf)
            if m is None:
                continue
            j = buf.find(b">", m.start())
            if j < 0:
                continue
            prefix = m.group(1) or b""
            close = re.compile(rb"</" + re.escape(prefix) + rb"sheetData\s*>")
            out.append(_DIMENSION_RE.sub(b"", buf[: j + 1]))
            buf, state = buf[j + 1:], "rows"
            if out[-1].endswith(b"/>"):
                state = "tail"
        if state == "rows":
            pos = 0
            for m in _ROW_RE.finditer(buf):
                pos = m.end()
                row = m.group(0)
                r = _row_number_of(row, next_row)
                next_row = r + 1
                span[0] = max(span[0], r)
                if r <= MAX_ROWS_READ:
                    out.append(_trim_row(row, r, span))
            buf = buf[pos:]
            end = close.search(buf)
            if end is not None and _ROW_START_RE.search(buf, 0, end.start()) is None:
                state, buf = "tail", buf[end.start():]
            elif len(buf) > 64 * 1024 * 1024:
                raise ValueError("row element too large")
        if state == "tail" and len(buf) > 4 * 1024 * 1024:
            buf = b"</" + prefix + b"sheetData>"   # what follows the data (merges, formats) is not needed for values
    out.append(buf if state == "tail" else b"</" + prefix + b"sheetData></" + prefix + b"worksheet>")
    text = b"".join(out)
    if not _WORKSHEET_END_RE.search(text[-64:]):
        text += b"</" + prefix + b"worksheet>"
    return text


_SHEETDATA_RE = re.compile(rb"<([\w.-]+:)?sheetData\b")
_ROW_START_RE = re.compile(rb"<" + _NS + rb"row\b")
_WORKSHEET_END_RE = re.compile(rb"</" + _NS + rb"worksheet\s*>")


def _row_number_of(row: bytes, next_row: int) -> int:
    """1-based number of a row element: its own r, or the one after the row before (as calamine reads it)."""
    num = _REF_RE.search(row[: row.find(b">") + 1])
    return _row_number(num.group(2)) if num else next_row


def _placed_cells(row: bytes, r: int):
    """(cell match, 1-based row, 1-based column) of each cell of row element number r, placed as
    calamine places it: by the cell's own reference (not the row's number), or right of the cell before."""
    col = 0
    for m in _CELL_ELEM_RE.finditer(row):
        cell = m.group(0)
        ref = _REF_RE.search(cell[: cell.find(b">") + 1])
        if ref is not None and ref.group(1):
            col, cell_row = _col_number(ref.group(1)), _row_number(ref.group(2))
        else:
            col, cell_row = col + 1, r
        yield m, cell_row, col


def _trim_row(row: bytes, r: int, span: list) -> bytes:
    """A row element without its cells past MAX_ROWS_READ x MAX_COLS_READ (placed as calamine does)."""
    out, last = [], 0
    for m, cell_row, col in _placed_cells(row, r):
        span[0], span[1] = max(span[0], cell_row), max(span[1], col)
        out.append(row[last:m.start()])
        if cell_row <= MAX_ROWS_READ and col <= MAX_COLS_READ:
            out.append(m.group(0))
        last = m.end()
    out.append(row[last:])
    return b"".join(out)


def trimmed_copy(path: Path, trimmed: dict):
    """A temporary copy of the workbook in which the oversized sheets are cut down (never the input itself)."""
    tmp = tempfile.TemporaryFile()
    with zipfile.ZipFile(path) as zf, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
        parts = sheet_parts(zf)
        cut = {part_key(parts[name]): name for name in trimmed}
        for info in zf.infolist():
            if part_key(info.filename) in cut:   # every member calamine might take for the sheet
                span = [0, 0]
                with zf.open(info) as fh:
                    out.writestr(info.filename, _trim_xml(iter(lambda: fh.read(1 << 20), b""), span))
                known = trimmed[cut[part_key(info.filename)]]
                known[0], known[1] = max(known[0], span[0]), max(known[1], span[1])
            else:
                with zf.open(info) as src, out.open(info.filename, "w", force_zip64=True) as dst:
                    while chunk := src.read(1 << 20):
                        dst.write(chunk)
    return tmp


def _formulas_without_result(data: bytes) -> dict[tuple[int, int], str]:
    """0-based (row, col) -> formula text of the formula cells that hold no cached result, placed as
    calamine places cells: by their own reference, or right of the cell before (a row without a
    number below the row before), as some generators write cells without references."""
    found: dict[tuple[int, int], str] = {}
    # every match of _FORMULA_RE starts so (a sheet whose root has a prefix may prefix its formulas too)
    if not _ANY_FORMULA_RE.search(data) and not (_PREFIXED_ROOT_RE.match(data[:512]) and _ANY_PREFIXED_FORMULA_RE.search(data)):
        return found
    next_row = 1
    for row_match in _ROW_RE.finditer(data):
        row = row_match.group(0)
        r = _row_number_of(row, next_row)
        next_row = r + 1
        for m, cell_row, col in _placed_cells(row, r):
            cell = m.group(0)
            head_end = cell.find(b">") + 1
            body = cell[head_end:] if not cell[:head_end].endswith(b"/>") else b""
            f = _FORMULA_RE.search(body)
            if f and not _VALUE_RE.search(body):
                found[(cell_row - 1, col - 1)] = (f.group(1) or b"").decode("utf-8", "replace")
    return found
