"""Read a report saved as a web page (or an "xls" that is really HTML) into sheet rows with merges laid out."""
from __future__ import annotations

import re
from html.parser import HTMLParser

from addin import catalogue
from addin.reading.model import SheetData, WorkbookData

MAX_SPAN = 256          # a colspan/rowspan beyond this is hostile or broken; it is cut to this
MAX_GRID_COLS = 256
MAX_ROWS = 20_000
MAX_NESTING = 32        # tables inside tables beyond this depth are read as text of their cell
MAX_CELLS = 100_000     # table cells parsed at most: a report has about a thousand; parsing one costs ~15 us
_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "title", "section", "article"}
_LAYOUT_BREAKS = {"br", "tr", "td", "th"}   # in page flow (a layout table's cells) each ends a paragraph
_CHARSET_RE = re.compile(rb"""charset\s*=\s*["']?([A-Za-z0-9_\-]+)""", re.I)
# page chrome around the article (site navigation, breadcrumbs, share bars, footers): never report text
_CHROME_TAGS = {"nav", "footer", "aside"}
_CHROME_CONTAINERS = {"div", "nav", "footer", "aside", "ul", "ol", "section", "header", "span", "p", "dl"}   # always closed
CHROME_MAX_CHARS = 1500   # chrome is short: a longer "footer" (or one never closed) is the article after all
# whole class/id words only: a prefix ("nav-content") may well be the article's own container
_CHROME_NAME_RE = re.compile(r"^(?:foot|footer|nav|navbar|menu|crumb|crumbs|breadcrumb|breadcrumbs|share|bdshare|"
                             r"copyright|qrcode|related|position|location)$", re.I)


_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def _bom(data: bytes) -> tuple[int, str] | None:
    """(length, codec) of a byte-order mark: Notepad and Word save "Unicode" text as UTF-16 with one."""
    return next(((len(mark), codec) for mark, codec in _BOMS if data.startswith(mark)), None)


def looks_like_text(head: bytes) -> bool:
    """Text in one of the encodings `decode` reads (a NUL byte outside UTF-16 means a binary file)."""
    bom = _bom(head)
    return (bom is not None and bom[1].startswith("utf-16")) or b"\x00" not in head


def looks_like_html(head: bytes) -> bool:
    bom = _bom(head)
    if bom is not None and bom[1].startswith("utf-16"):
        head = head[bom[0]:len(head) - (len(head) - bom[0]) % 2].decode(bom[1], "replace").encode("utf-8")
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith((b"<!doctype html", b"<html", b"<table", b"<meta", b"<head", b"<body")) or \
        (text.startswith(b"<") and b"<table" in head.lower())


def decode(data: bytes) -> str:
    """A byte-order mark, else the declared charset, then UTF-8, then GB18030 (Chinese government pages are often GBK)."""
    bom = _bom(data)
    if bom is not None:
        return data[bom[0]:].decode(bom[1], "replace")
    m = _CHARSET_RE.search(data[:4096])
    candidates = [m.group(1).decode("ascii")] if m else []
    for enc in candidates + ["utf-8", "gb18030"]:
        try:
            return data.decode(enc)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", "replace")


class _Page(HTMLParser):
    """Paragraphs become one-cell rows; each table becomes rows of its grid with spans placed (HTML rules).

    A table holding another table in a cell is page layout (government sites wrap whole articles in
    them): its cells read as paragraphs and the tables inside as tables, so only innermost tables
    become grids."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.rows: list[list] = []
        self.text: list[str] = []           # text of the current paragraph outside data tables
        self.tables: list[dict] = []        # stack of open tables, layout or data
        self.skip = 0                       # inside <script>/<style>
        self.chrome: list = []              # [tag, depth, skipped text] of the page-chrome element being skipped
        self.cells = 0                      # table cells seen, placed or not

    def _in_flow(self) -> bool:
        """Outside every data table: text makes paragraphs."""
        return not self.tables or self.tables[-1]["layout"]

    # -- paragraphs ----------------------------------------------------------------------------
    def _flush_text(self):
        text = "".join(self.text)
        self.text = []
        if text.strip() and len(self.rows) < MAX_ROWS:
            self.rows.append([text.strip("\r\n")])

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
            return
        if self.chrome:
            if tag != "table":
                self.chrome[1] += tag == self.chrome[0]
                if tag in _BLOCKS or tag in _LAYOUT_BREAKS:
                    self.chrome[2].append("\n")
                return
            self._not_chrome()   # a data table is never chrome: what was skipped is read after all
        if _is_chrome(tag, attrs) and not (self.tables and not self.tables[-1]["layout"]):
            self._flush_text()
            self.chrome = [tag, 1, []]
            return
        if tag == "table":
            top = self.tables[-1] if self.tables else None
            if top is not None and not top["layout"] and (top["depth"] or top["cell"] is not None):
                if top["depth"] or len(self.tables) >= MAX_NESTING:
                    top["depth"] += 1   # too deep: the inner table's text joins the cell
                    return
                self._to_layout(top)
            self._flush_text()
            self.tables.append({"grid": {}, "row": -1, "cell": None, "depth": 0, "layout": False})
            return
        if not self._in_flow():
            t = self.tables[-1]
            if t["depth"]:
                if tag in ("br", "p", "div", "tr"):
                    self._cell_text("\n")
                return
            if tag == "tr":
                t["row"] += 1
                t["col"] = 0
            elif tag in ("td", "th") and t["row"] >= 0:
                self.cells += 1
                a = dict(attrs)
                t["cell"] = {"colspan": _span(a.get("colspan")), "rowspan": _span(a.get("rowspan")), "text": []}
            elif tag in ("br", "p", "div") and t["cell"] is not None and t["cell"]["text"]:
                self._cell_text("\n")
            return
        if tag in _BLOCKS or tag in _LAYOUT_BREAKS:
            self._flush_text()

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip = max(0, self.skip - 1)
            return
        if self.chrome:
            if tag == self.chrome[0]:
                self.chrome[1] -= 1
                if not self.chrome[1]:
                    self.chrome = []
            return
        if self._in_flow():
            if tag in _BLOCKS or tag in _LAYOUT_BREAKS:
                self._flush_text()
            if tag == "table" and self.tables:
                self.tables.pop()   # the end of a layout table
            return
        t = self.tables[-1]
        if t["depth"]:
            if tag == "table":
                t["depth"] -= 1
            return
        if tag in ("td", "th") and t["cell"] is not None:
            self._place(t)
        elif tag == "table":
            if t["cell"] is not None:
                self._place(t)
            self._emit(self.tables.pop())

    def handle_data(self, data):
        if self.skip:
            return
        if self.chrome:
            self.chrome[2].append(data)
            if sum(map(len, self.chrome[2])) > CHROME_MAX_CHARS:
                self._not_chrome()
            return
        if self._in_flow():
            self.text.append(data)
        elif self.tables[-1]["cell"] is not None:
            self._cell_text(data)

    def _not_chrome(self):
        """Stop skipping: the element's text so far becomes paragraphs, as if it had not been taken for chrome."""
        skipped, self.chrome = self.chrome[2], []
        for line in "".join(skipped).split("\n"):
            if self._in_flow():
                self.text.append(line)
                self._flush_text()
            else:
                self._cell_text(line + "\n")

    def _to_layout(self, t):
        """A table found to hold a table: the rows read so far stay a grid, the open cell's text
        becomes paragraphs, and the rest of the table reads as page flow."""
        if t["grid"]:
            self._emit(t)
        cell = t["cell"]
        t.update(grid={}, cell=None, layout=True)
        for line in "".join(cell["text"]).split("\n"):
            self.text.append(line)
            self._flush_text()

    def _cell_text(self, data):
        cell = self.tables[-1]["cell"]
        if cell is not None:
            cell["text"].append(data)

    def _place(self, t):
        cell, t["cell"] = t["cell"], None
        grid, r = t["grid"], t["row"]
        c = t.get("col", 0)
        while c < MAX_GRID_COLS and (r, c) in grid:
            c += 1
        # a full row stays full: later cells of it are dropped without scanning the taken columns again
        t["col"] = c
        if c >= MAX_GRID_COLS or r >= MAX_ROWS:
            return
        text = "".join(cell["text"])
        # HTML source line breaks are layout, but the seed-style padding (NBSP, U+3000) is content
        text = re.sub(r"[\r\n\t]+", lambda m: "\n" if "\n" in m.group(0) and text.strip() else "", text)
        text = text.strip("\n ")
        for dr in range(cell["rowspan"]):
            for dc in range(cell["colspan"]):
                if c + dc < MAX_GRID_COLS:
                    grid[(r + dr, c + dc)] = text if (dr, dc) == (0, 0) else None
        t["col"] = c + cell["colspan"]

    def _emit(self, t):
        grid = t["grid"]
        if not grid:
            return
        height = max(r for r, _ in grid) + 1
        width = max(c for _, c in grid) + 1
        for r in range(height):
            if len(self.rows) >= MAX_ROWS:
                break
            self.rows.append([grid.get((r, c)) or None for c in range(width)])
        self.rows.append([])   # a blank row after each table, as when it is pasted into a sheet

    def close(self):
        super().close()
        while self.tables:
            t = self.tables.pop()
            if t["layout"]:
                self._flush_text()
            else:
                if t["cell"] is not None:
                    self._place(t)
                self._emit(t)
        self._flush_text()


def _is_chrome(tag: str, attrs) -> bool:
    """Site navigation, breadcrumbs, share bars and footers, told by their tag or class/id words."""
    if tag in _CHROME_TAGS:
        return True
    if tag not in _CHROME_CONTAINERS:
        return False
    names = " ".join(v for k, v in attrs if k in ("class", "id") and v)
    return any(_CHROME_NAME_RE.match(word) for word in names.split())


def _span(value) -> int:
    try:
        return max(1, min(int(str(value).strip() or 1), MAX_SPAN))
    except ValueError:
        return 1


def read_html(data: bytes, name: str = "网页") -> WorkbookData:
    page = _Page()
    text = decode(data)
    findings = []
    for start in range(0, len(text), 1 << 16):
        page.feed(text[start:start + (1 << 16)])
        if len(page.rows) >= MAX_ROWS:
            break   # nothing more can be placed: stop parsing
        if page.cells > MAX_CELLS:
            findings.append(catalogue.make("FILE-05", reason=f"网页中的表格单元格超过 {MAX_CELLS:,} 个"))
            break
    page.close()
    rows = [[v if v not in ("",) else None for v in row] for row in page.rows]
    return WorkbookData([SheetData(name, rows)], findings, paragraphs=True)
