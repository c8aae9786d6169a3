"""Read a report published as PDF: paragraphs in reading order and ruled tables as grids with merges laid out."""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from addin import catalogue
from addin.findings import Finding
from addin.reading.model import SheetData, WorkbookData

SHEET = "PDF"
MAX_PAGES = 300              # a report has a few dozen pages; more are not read (FILE-16)
MAX_CHARS = 1_500_000        # characters read over all pages (a report has some 20,000)
MAX_SECONDS = 60.0           # pdfminer's layout analysis is slow on hostile pages: stop reading after this
MAX_PAGE_GRAPHICS = 20_000   # lines and rectangles on one page beyond which no table is looked for
MAX_COLS = 256
MARGIN_BAND = 0.1            # share of the page height at its top and bottom where running headers/footers sit
MAX_FURNITURE_CHARS = 40     # a running header or footer is a short line
EDGE_TOLERANCE = 2.5         # points: cell borders of one column on different rows/pages differ by less
PDF_MAGIC = b"%PDF-"

# a line that is only a page number ("- 3 -", "第 3 页 共 9 页", "3/9") is the page's furniture
_PAGE_NUMBER_RE = re.compile(r"^[\s\-—–－]*(?:第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?|\d+(?:\s*/\s*\d+)?)[\s\-—–－]*$")
# the start of a numbered heading or item: never the continuation of the line before
_HEADING_START_RE = re.compile(r"^\s*(?:[一二三四五六七八九十]+\s*[、.．]|[（(]\s*[一二三四五六七八九十\d]+\s*[)）]|\d{1,2}\s*[、.．](?!\d))")
_SPLIT_NUMBER_RE = re.compile(r"^[+\-]?[\d,，.．\s]+$")


class Refused(Exception):
    """The PDF cannot be read; carries the file-level finding that says why."""

    def __init__(self, finding: Finding):
        super().__init__(finding.message)
        self.finding = finding


@dataclass
class _Part:
    """A table as printed on one page: its cells (row on page, x0, x1, text) and where it stands."""

    page: int
    top: float
    bottom: float
    rows: list[list[tuple[float, float, str | None]]]
    page_bottom: float = 0.0


@dataclass
class _Table:
    """One table, possibly continued over several pages."""

    number: int
    parts: list[_Part] = field(default_factory=list)


def looks_like_pdf(head: bytes) -> bool:
    # a PDF may have a few bytes of junk before its header (readers accept 1024)
    return PDF_MAGIC in head[:1024]


def read_pdf(path: str | Path) -> WorkbookData:
    """The report's text lines joined into paragraphs (one-cell rows) and its ruled tables as grids,
    in page order; each row remembers where it was printed (SheetData.places)."""
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    try:
        pdf = pdfplumber.open(str(path))
        pages = pdf.pages
    except Exception as exc:  # pdfminer raises many types for damage; pdfplumber wraps some of them
        inner = exc.args[0] if exc.args and isinstance(exc.args[0], Exception) else exc
        if isinstance(inner, (PDFPasswordIncorrect, PDFEncryptionError)) or "password" in str(exc).lower():
            raise Refused(catalogue.make("FILE-03", "pdf")) from exc
        raise Refused(catalogue.make("FILE-04", "pdf", reason="文件结构不完整或不是有效的 PDF"
                                     f"（{catalogue.shorten(str(inner) or type(inner).__name__, 80)}）")) from exc
    try:
        return _read_pages(pdf, pages)
    finally:
        pdf.close()


def _read_pages(pdf, pages) -> WorkbookData:
    items: list[tuple] = []          # ("line", page, line dict) | ("table", _Table)
    findings: list[Finding] = []
    image_pages: list[int] = []
    chars = 0
    deadline = time.monotonic() + MAX_SECONDS
    tables: list[_Table] = []
    last_kind = None
    n_pages = len(pages)
    for index, page in enumerate(pages):
        number = index + 1
        if index >= MAX_PAGES or chars > MAX_CHARS or time.monotonic() > deadline:
            findings.append(catalogue.make("FILE-16", read=index, pages=n_pages))
            break
        try:
            page_items, page_chars, has_images = _read_page(page, number)
        except Exception as exc:  # one damaged page: say so and read the rest
            findings.append(catalogue.make("FILE-04", "pdf_page", page=number,
                                           reason=f"页面内容结构有误：{catalogue.shorten(str(exc) or type(exc).__name__, 80)}",
                                           severity="warning"))
            continue
        finally:
            page.close()
        chars += page_chars
        if page_chars == 0 and has_images:
            image_pages.append(number)
        for item in page_items:
            if item[0] == "table":
                part = item[1]
                previous = tables[-1] if tables and last_kind == "table" else None
                if previous is not None and previous.parts[-1].page == number - 1 and _continues(previous.parts[-1], part):
                    previous.parts.append(part)
                    continue
                tables.append(_Table(len(tables) + 1, [part]))
                items.append(("table", tables[-1]))
            else:
                items.append(item)
            last_kind = item[0]
    if chars == 0 and not findings:
        raise Refused(catalogue.make("FILE-14", "scanned" if image_pages else "empty"))
    if image_pages:
        findings.append(catalogue.make("FILE-14", "pages", severity="warning", pages=_page_list(image_pages)))
    rows, places = _layout(_without_furniture(items, min(len(pages), MAX_PAGES)))
    return WorkbookData([SheetData(SHEET, rows, places=places)], findings)


def _without_furniture(items: list[tuple], n_pages: int) -> list[tuple]:
    """Without the running header and footer: a line in the top or bottom margin band printed the same
    on at least half the pages (and three or more) is the page's furniture, not the report's text."""
    if n_pages < 3:
        return items
    seen: dict[tuple, set[int]] = {}
    for item in items:
        if item[0] == "line" and _in_margin_band(item[2]):
            seen.setdefault(_furniture_key(item[2]), set()).add(item[1])
    repeated = {key for key, on in seen.items() if len(on) >= max(3, n_pages / 2)}
    if not repeated:
        return items
    return [item for item in items
            if not (item[0] == "line" and _in_margin_band(item[2]) and _furniture_key(item[2]) in repeated)]


def _in_margin_band(line: dict) -> bool:
    if len(line["text"]) > MAX_FURNITURE_CHARS:
        return False
    return line["top"] < MARGIN_BAND * line["page_height"] or line["bottom"] > (1 - MARGIN_BAND) * line["page_height"]


def _furniture_key(line: dict) -> tuple[str, int]:
    # printed at the same height on every page; a running footer that counts pages («第 3 页») differs only in its digits
    text = re.sub(r"\s+", "", line["text"])
    return (re.sub(r"\d+", "#", text) if "页" in text else text), round(line["top"])


def _page_list(pages: list[int]) -> str:
    shown = "、".join(str(p) for p in pages[:10])
    return shown + (f" 等 {len(pages)} 页" if len(pages) > 10 else "")


def _read_page(page, number: int):
    """Text lines outside tables and table parts of one page, ordered top to bottom."""
    graphics = len(page.objects.get("line", ())) + len(page.objects.get("rect", ())) + len(page.objects.get("curve", ()))
    found = page.find_tables() if graphics <= MAX_PAGE_GRAPHICS else []
    parts = []
    for table in found:
        part = _part(table, number, page.height)
        if part is not None:
            parts.append(part)
    boxes = [t.bbox for t in found]

    def outside(obj) -> bool:
        if obj.get("object_type") != "char":
            return True
        cx, cy = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return not any(x0 <= cx <= x1 and top <= cy <= bottom for x0, top, x1, bottom in boxes)

    text_page = page.filter(outside) if boxes else page
    lines = [{**ln, "page_width": page.width, "page_height": page.height} for ln in text_page.extract_text_lines(return_chars=False)
             if ln["text"].strip() and not _PAGE_NUMBER_RE.match(ln["text"])]
    n_chars = sum(1 for c in page.chars if c.get("text", "").strip())
    has_images = bool(page.objects.get("image"))
    items = [(ln["top"], ("line", number, ln)) for ln in lines] + [(p.top, ("table", p)) for p in parts]
    items.sort(key=lambda x: x[0])
    return [item for _, item in items], n_chars, has_images


def _part(table, page: int, page_height: float) -> _Part | None:
    texts = table.extract()
    rows = []
    for row, row_texts in zip(table.rows, texts):
        cells = []
        for bbox, text in zip(row.cells, row_texts):
            if bbox is not None:
                cells.append((bbox[0], bbox[2], _cell_text(text)))
        rows.append(cells)
    if not any(text for row in rows for _, _, text in row):
        return None
    x0, top, x1, bottom = table.bbox
    return _Part(page, top, bottom, rows, page_height)


def _cell_text(text: str | None) -> str | None:
    if not text or not text.strip():
        return None
    text = text.strip()
    # a number wrapped in a narrow cell ("12\n34") is one number
    if "\n" in text and _SPLIT_NUMBER_RE.match(text):
        return re.sub(r"\s+", "", text)
    return text


def _continues(before: _Part, after: _Part) -> bool:
    """A table at the top of a page continues the one that ended the page before when their
    columns line up (the same outer edges)."""
    def edges(part):
        xs = [x for row in part.rows for x0, x1, _ in row for x in (x0, x1)]
        return min(xs), max(xs)

    (b0, b1), (a0, a1) = edges(before), edges(after)
    return abs(b0 - a0) <= EDGE_TOLERANCE and abs(b1 - a1) <= EDGE_TOLERANCE


def _layout(items) -> tuple[list[list], list[tuple]]:
    """Rows for the engine and, per row, (page, table number or 0, printed row or line number)."""
    rows: list[list] = []
    places: list[tuple] = []
    margins = _margins(items)
    line_no: dict[int, int] = {}
    last = None   # the last text line, while a paragraph is open
    for item in items:
        if item[0] == "table":
            last = None
            _table_rows(item[1], rows, places)
            continue
        _, page, line = item
        line_no[page] = line_no.get(page, 0) + 1
        text = line["text"].strip()
        if last is not None and _joins(last, (page, line), margins):
            rows[-1][0] += text
        else:
            rows.append([text])
            places.append((page, 0, line_no[page]))
        last = (page, line)
    return rows, places


def _margins(items) -> dict[int, tuple[float, float]]:
    """Per page, the leftmost start and rightmost end of the text lines of all pages of its width
    (a page with a few short lines would otherwise take its longest line for the margin)."""
    widths: dict[int, float] = {}
    by_width: dict[float, tuple[float, float]] = {}
    for item in items:
        if item[0] == "line":
            _, page, line = item
            width = widths[page] = round(line["page_width"])
            x0, x1 = by_width.get(width, (line["x0"], line["x1"]))
            by_width[width] = (min(x0, line["x0"]), max(x1, line["x1"]))
    return {page: by_width[width] for page, width in widths.items()}


def _joins(last, current, margins) -> bool:
    """A line continues the paragraph of the line before (on this page or the one before) when
    that one ran to the right margin and this one starts at the left margin without an indent and
    is not a numbered heading."""
    (before_page, before), (page, line) = last, current
    size = max(line["bottom"] - line["top"], 6.0)
    left, right = margins[page]
    # a centred line under a full one (a wrapped title) runs on as well
    centred = abs((line["x0"] - left) - (right - line["x1"])) <= 2 * size and line["x0"] > left + 2 * size
    return (before["x1"] >= margins[before_page][1] - 1.5 * size and (line["x0"] <= left + 0.5 * size or centred)
            and not _HEADING_START_RE.match(line["text"]))


def _table_rows(table: _Table, rows: list[list], places: list[tuple]) -> None:
    """The table's parts as one grid: columns from every cell edge of every part, merged cells
    at their top-left position, header rows repeated on a later page dropped, and a row broken by
    the page end joined with its rest."""
    edges = _column_edges(table)
    first_rows: list[list] = []
    for n, part in enumerate(table.parts):
        grid_rows = [_grid_row(cells, edges) for cells in part.rows]
        start = 0
        if n == 0:
            first_rows = grid_rows
        else:
            start = _repeated_header(first_rows, grid_rows)
            if start < len(grid_rows) and _is_broken_row(rows[-1], grid_rows[start]):
                rows[-1] = [_join_cell(a, b) for a, b in zip(rows[-1], grid_rows[start])]
                start += 1
        for i in range(start, len(grid_rows)):
            rows.append(grid_rows[i])
            places.append((part.page, table.number, i + 1))
    rows.append([])   # a blank row after each table, as when it is pasted into a sheet
    places.append((table.parts[-1].page, 0, 0))


def _column_edges(table: _Table) -> list[float]:
    xs = sorted(x for part in table.parts for row in part.rows for x0, x1, _ in row for x in (x0, x1))
    edges: list[float] = []
    for x in xs:
        if not edges or x - edges[-1] > EDGE_TOLERANCE:
            edges.append(x)
    return edges[:MAX_COLS + 1]


def _grid_row(cells, edges: list[float]) -> list:
    width = len(edges) - 1
    row: list = [None] * max(width, 1)
    for x0, x1, text in cells:
        c = _nearest(edges, x0)
        if c < width:
            row[c] = text
    return row


def _nearest(edges: list[float], x: float) -> int:
    return min(range(len(edges)), key=lambda i: abs(edges[i] - x))


def _repeated_header(first_rows: list[list], rows: list[list]) -> int:
    """How many rows at the top of a continuation repeat the table's first rows (a repeated header)."""
    k = 0
    while k < len(rows) and k < len(first_rows) and _same_text(rows[k], first_rows[k]) and any(rows[k]):
        k += 1
    return k


def _same_text(a: list, b: list) -> bool:
    def norm(row):
        return [re.sub(r"\s+", "", v) if isinstance(v, str) else None for v in row]
    return norm(a) == norm(b)


def _is_broken_row(before: list, after: list) -> bool:
    """The first row of a continuation is the rest of the row the page cut: it holds only text, and
    only in columns where that row has text too (a label running on); a row of its own has numbers
    or starts a label where the row before has none."""
    filled = [(a, b) for a, b in zip(before, after) if b is not None]
    if not filled or len(before) != len(after):
        return False
    return all(isinstance(a, str) and not _SPLIT_NUMBER_RE.match(b) and not _SPLIT_NUMBER_RE.match(a)
               for a, b in filled)


def _join_cell(a, b):
    if b is None:
        return a
    if a is None:
        return b
    return f"{a}\n{b}"
