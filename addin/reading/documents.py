"""Reports that are not workbooks: a Word document, or its text export, laid out as sheet rows."""
from __future__ import annotations

import io
import zipfile

from addin.reading.html_tables import decode
from addin.reading.model import SheetData, WorkbookData

MAX_ROWS = 20_000
MAX_COLS = 256
MAX_LINES = 200_000    # lines of a text export read at most (a report has a few hundred)
MAX_DOCUMENT_XML = 32 * 1024 * 1024   # a parsed XML tree takes many times its text: larger is refused
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def read_text_export(data: bytes, name: str = "文本") -> WorkbookData:
    """A report as plain text: a paragraph per line. Tables in either of two layouts: Word's text export
    (as the seed reports), where each cell is a line starting with a tab and a blank line ends a table
    row; or a row per line with its cells separated by tabs (what a browser or Excel copy gives) or by
    '|' (what a page copied as Markdown or stored by a page archive gives). Merged cells are lost, so
    columns may not line up with the header: the table locator then reads in sequence (STR-08)."""
    rows: list[list] = []
    cells: list = []
    # line by line, never a list of every line: a hostile file of newlines stays cheap
    for n, line in enumerate(io.StringIO(decode(data), newline=None)):
        line = line.rstrip("\n")
        if len(rows) >= MAX_ROWS or n >= MAX_LINES:
            break
        if _is_tab_row(line):
            if cells:
                rows.append(cells)
                cells = []
            rows.append([cell if cell.strip() else None for cell in line.split("\t", MAX_COLS)[:MAX_COLS]])
            continue
        if "|" in line:
            piped = _pipe_cells(line)
            if piped is not None:
                if cells:
                    rows.append(cells)
                    cells = []
                if piped:
                    rows.append(piped)
                continue
        if line.startswith("\t"):
            if len(cells) < MAX_COLS:
                cells.append(line[1:] or None)
            continue
        if cells:
            rows.append(cells)
            cells = []
        if line.strip():
            rows.append([line])
    if cells:
        rows.append(cells)
    return WorkbookData([SheetData(name, rows)], paragraphs=True)


def _is_tab_row(line: str) -> bool:
    """A table row with tab-separated cells: a tab after the first character, or two tabs or more (a
    line of Word's export holds one cell after its single leading tab)."""
    tab = line.find("\t", 1)
    return tab > 0 and any(not c.isspace() for c in line)


def _pipe_cells(line: str) -> list | None:
    """The cells of a '|'-separated row, or None when the line is prose with a stray '|'. A row with one
    filled cell is that cell alone (a title or a part heading followed by the empty cells of its row, as
    «第二十条第（一）项 |»); a line of bars and dashes only (a Markdown rule, or a row's leftover bar) gives
    no row ([])."""
    parts = line.split("|", MAX_COLS)[:MAX_COLS]
    if line.lstrip().startswith("|"):
        parts = parts[1:]
    while parts and not parts[-1].strip():
        parts.pop()
    filled = [part.strip() for part in parts if part.strip() and part.strip(" -:")]
    if len(filled) <= 1:
        rule = all(not part.strip(" -:") for part in parts)
        if filled:
            return [filled[0]]
        return [] if rule else None
    return [part.strip() or None for part in parts]


def read_docx(zf: zipfile.ZipFile, name: str = "文档") -> WorkbookData:
    """Paragraphs as one-cell rows; tables cell by cell with horizontal spans (gridSpan) laid out and
    vertically merged continuations (vMerge) left empty, as a pasted table looks in a sheet."""
    from defusedxml import ElementTree as ET

    if zf.getinfo("word/document.xml").file_size > MAX_DOCUMENT_XML:
        raise ValueError(f"document.xml 超过 {MAX_DOCUMENT_XML // 1048576} MB")
    body = ET.fromstring(zf.read("word/document.xml")).find(f"{_W}body")
    rows: list[list] = []
    for element in (body if body is not None else []):
        if len(rows) >= MAX_ROWS:
            break
        if element.tag == f"{_W}p":
            text = _text(element)
            if text.strip():
                rows.append([text])
        elif element.tag == f"{_W}tbl":
            for tr in element.iter(f"{_W}tr"):
                row: list = []
                for tc in tr.findall(f"{_W}tc"):
                    props = tc.find(f"{_W}tcPr")
                    span, continued = 1, False
                    if props is not None:
                        grid = props.find(f"{_W}gridSpan")
                        if grid is not None:
                            span = max(1, min(int(grid.get(f"{_W}val", "1") or 1), MAX_COLS))
                        merge = props.find(f"{_W}vMerge")
                        continued = merge is not None and merge.get(f"{_W}val", "continue") != "restart"
                    text = "\n".join(_text(p) for p in tc.findall(f"{_W}p"))
                    row.append(None if continued else (text or None))
                    row.extend([None] * (span - 1))
                rows.append(row[:MAX_COLS])
                if len(rows) >= MAX_ROWS:
                    break
            rows.append([])
    return WorkbookData([SheetData(name, rows)], paragraphs=True)


def _text(paragraph) -> str:
    parts = []
    for node in paragraph.iter():
        if node.tag == f"{_W}t" and node.text:
            parts.append(node.text)
        elif node.tag == f"{_W}tab":
            parts.append("\t")
        elif node.tag in (f"{_W}br", f"{_W}cr"):
            parts.append("\n")
    return "".join(parts)
