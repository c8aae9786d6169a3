"""Open a workbook file safely and return its raw cell values, or a file-level finding saying why not."""
from __future__ import annotations

import html
import io
import re
import zipfile
import zlib
from pathlib import Path

from addin import catalogue
from addin.reading.html_tables import looks_like_html, read_html
from addin.reading.model import SheetData, WorkbookData

# Limits that keep a hostile file from exhausting the machine (documented in README).
MAX_FILE_BYTES = 64 * 1024 * 1024          # compressed size on disk
MAX_UNZIPPED_BYTES = 256 * 1024 * 1024     # all parts together, after decompression
MAX_PART_RATIO = 200                       # decompressed/compressed, per large part
MAX_DOCUMENT_BYTES = 16 * 1024 * 1024  # a web page or text export of a report
MAX_ROWS_READ = 20_000                     # rows per sheet handed to the engine
MAX_COLS_READ = 256                        # columns per sheet handed to the engine
# calamine holds a whole sheet as a dense grid (about 32 bytes a cell) of the cells' bounding box:
# a sheet bigger than this on disk, or spanning more rows/columns than the engine reads, is first
# cut down to MAX_ROWS_READ x MAX_COLS_READ by a streaming copy, so memory stays bounded.
MAX_SHEET_PART_BYTES = 8 * 1024 * 1024

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
SUPPORTED_SUFFIXES = {".xlsx", ".xlsm"}
CALAMINE_SUFFIXES = {".xls", ".ods"}       # other containers python-calamine reads
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
# An OLE file is an Excel 97-2003 workbook when it holds a "Workbook" (BIFF8) or "Book" (BIFF5) stream.
XLS_STREAMS = ("Workbook".encode("utf-16-le"), "Book\x00".encode("utf-16-le"))

_NS = rb"(?:[\w.-]+:)?"   # an element's namespace prefix, if any (<x:c>, as some generators write)
_FORMULA_RE = re.compile(rb"<" + _NS + rb"f(?:\s[^>]*)?>(.*?)</" + _NS + rb"f\s*>|<" + _NS + rb"f\s[^>]*/>", re.S)
_VALUE_RE = re.compile(rb"<" + _NS + rb"v>[^<]+</" + _NS + rb"v\s*>|<" + _NS + rb"is>", re.S)


class Unreadable(Exception):
    """The file cannot be read as a workbook; carries the finding that says why."""

    def __init__(self, finding):
        super().__init__(finding.message)
        self.finding = finding


def load_workbook(path: str | Path) -> WorkbookData:
    """Read every sheet's values with calamine after checking the container; raise Unreadable."""
    path = Path(path)
    kind, zip_parts, zf = _check_container(path)
    if kind in ("html", "text", "docx"):
        from addin.reading import documents

        if kind == "docx":
            try:
                workbook = documents.read_docx(zf)
            except Exception as exc:  # a damaged document.xml, or entities defusedxml refuses
                raise Unreadable(catalogue.make("FILE-04", reason=f"Word 文档内容无法解析（{catalogue.shorten(str(exc), 80)}）")) from exc
        else:
            size = path.stat().st_size
            if size > MAX_DOCUMENT_BYTES:   # a report's text is kilobytes; parsing more only costs time
                raise Unreadable(catalogue.make("FILE-05", reason=f"网页或文本文件 {size // 1048576} MB，超过上限 "
                                                                  f"{MAX_DOCUMENT_BYTES // 1048576} MB"))
            workbook = (read_html if kind == "html" else documents.read_text_export)(path.read_bytes())
        code = {"html": "FILE-11", "text": "FILE-12", "docx": "FILE-13"}[kind]
        workbook.findings.append(catalogue.make(code, suffix=path.suffix or "（无扩展名）"))
        return workbook
    findings = []
    names = set(zip_parts)
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        findings.append(catalogue.make("FILE-06"))
    links = sorted(n for n in names if n.startswith("xl/externalLinks/") and n.endswith(".xml"))
    if links:
        findings.append(catalogue.make("FILE-07", detail=f"{len(links)} 处"))
    if kind == "xls":
        _check_xls_extent(path)
    uncached, trimmed = _scan_sheets(zf) if kind == "xlsx" else ({}, {})
    source = _trimmed_copy(path, trimmed) if trimmed else None
    for name, span in trimmed.items():
        findings.append(catalogue.make("FILE-10", sheet=name, rows=span[0], cols=span[1], max_rows=MAX_ROWS_READ,
                                       max_cols=MAX_COLS_READ))
    try:
        import python_calamine as pc

        # from_filelike detects the container from its content, not from the (maybe wrong) file name
        # zf.fp is the file's bytes in memory, already read for the container checks
        with (source or (zf.fp if zf is not None else path.open("rb"))) as fh:
            fh.seek(0)
            book = pc.CalamineWorkbook.from_filelike(fh)
    except BaseException as exc:  # calamine raises its own error types for every kind of damage
        if not _calamine_failed(exc):
            raise
        raise Unreadable(_damage(exc)) from exc
    sheets = []
    try:
        for meta in book.sheets_metadata:
            if meta.typ != pc.SheetTypeEnum.WorkSheet:
                continue
            sheet = book.get_sheet_by_name(meta.name)
            start = sheet.start or (0, 0)
            rows = sheet.to_python(nrows=MAX_ROWS_READ) if sheet.height else []
            sheets.append(SheetData(meta.name, [_clean_row(r) for r in rows], start[0], start[1],
                                    meta.visible == pc.SheetVisibleEnum.Visible, uncached.get(meta.name, {})))
    except BaseException as exc:
        if not _calamine_failed(exc):
            raise
        raise Unreadable(_damage(exc)) from exc
    finally:
        book.close()
    return WorkbookData(sheets, findings)


def _calamine_failed(exc: BaseException) -> bool:
    """An error of calamine's: its own exception types, or pyo3's PanicException when its Rust code
    panics (e.g. on a date cell holding -1e308), which is a BaseException like KeyboardInterrupt."""
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"


def _check_xls_extent(path: Path) -> None:
    """An .xls cannot be cut down like an .xlsx: one whose cells would make calamine build a grid
    larger than the read box (a cell at row and column 65,535 asks for 137 GB) is refused."""
    from addin.reading.xls_extent import NotChecked, widest_sheet

    try:
        rows, cols = widest_sheet(path.read_bytes())
    except NotChecked as exc:
        raise Unreadable(catalogue.make("FILE-04", reason=f"旧版 Excel 文件的结构无法检查（{catalogue.shorten(str(exc), 80)}）")) from exc
    if rows * cols > MAX_ROWS_READ * MAX_COLS_READ:
        raise Unreadable(catalogue.make("FILE-05", reason=f"工作表的单元格分布在 {rows} 行 × {cols} 列的范围内，超出读取范围"
                                                          f"（{MAX_ROWS_READ} 行 × {MAX_COLS_READ} 列）；请删除多余内容或另存为 .xlsx"))


def _clean_row(row: list) -> list:
    # calamine gives floats for every number and "" for empty cells; the engine wants ints and None
    return [(v or None) if type(v) is str else
            int(v) if type(v) is float and v.is_integer() and -_EXACT_FLOAT < v < _EXACT_FLOAT else v
            for v in row]


_EXACT_FLOAT = float(2**53)   # every whole float below this in size is exactly an int


def _damage(exc: BaseException):
    text = str(exc) or exc.__class__.__name__
    if type(exc).__name__ == "PanicException":
        return catalogue.make("FILE-04", reason=f"文件中有读取程序无法处理的值（{catalogue.shorten(text, 80)}）")
    if "password" in text.lower() or "encrypt" in text.lower():
        return catalogue.make("FILE-03")
    return catalogue.make("FILE-04", reason=catalogue.shorten(text))


def _check_container(path: Path) -> tuple[str, dict[str, zipfile.ZipInfo], zipfile.ZipFile | None]:
    """Magic bytes, size and zip-bomb checks; returns the kind (xlsx|xls|ods), the zip members by name
    and, for a zip, the archive over the file's bytes in memory (read and indexed once: the checks,
    the formula scan and calamine share them)."""
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(8)
            # read(n) allocates n bytes up front: ask for the size the file has, not for the limit
            blob = io.BytesIO(head + fh.read(size)) if head.startswith(ZIP_MAGIC) and size <= MAX_FILE_BYTES else None
    except OSError as exc:
        raise Unreadable(catalogue.make("FILE-01", reason=exc.strerror or str(exc))) from exc
    suffix = path.suffix.lower()
    if size == 0:
        raise Unreadable(catalogue.make("FILE-04", reason="文件为空（0 字节）"))
    if size > MAX_FILE_BYTES:
        raise Unreadable(catalogue.make("FILE-05", reason=f"文件大小 {size // 1048576} MB 超过上限 {MAX_FILE_BYTES // 1048576} MB"))
    if head.startswith(OLE_MAGIC):
        directory = _ole_head(path)
        if ENCRYPTED_STREAM in directory:
            raise Unreadable(catalogue.make("FILE-03"))
        if not any(name in directory for name in XLS_STREAMS):
            raise Unreadable(catalogue.make("FILE-02", kind="旧版 Office 文件（不是 Excel 工作簿，可能是 Word 或 PowerPoint 97-2003 文件）"))
        return "xls", {}, None
    if not head.startswith(ZIP_MAGIC):
        with path.open("rb") as fh:
            start = fh.read(4096)
        if looks_like_html(start):
            return "html", {}, None   # a web page, or an "xls" export that is really HTML
        if suffix == ".txt" and b"\x00" not in start:
            return "text", {}, None   # Word's text export of a report
        kind = f"{suffix} 文件" if suffix and suffix not in SUPPORTED_SUFFIXES | CALAMINE_SUFFIXES else "不是 Excel 工作簿"
        if suffix in SUPPORTED_SUFFIXES | CALAMINE_SUFFIXES:
            raise Unreadable(catalogue.make("FILE-04", reason="文件内容不是 Excel 工作簿格式（可能是改了扩展名的其他文件）"))
        raise Unreadable(catalogue.make("FILE-02", kind=kind))
    try:
        zf = zipfile.ZipFile(blob)
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise Unreadable(catalogue.make("FILE-04", reason=f"压缩包结构损坏（{catalogue.shorten(str(exc), 80)}）")) from exc
    members = {i.filename: i for i in infos}
    total = sum(i.file_size for i in infos)
    if total > MAX_UNZIPPED_BYTES:
        raise Unreadable(catalogue.make("FILE-05", reason=f"解压后共 {total // 1048576} MB，超过上限 {MAX_UNZIPPED_BYTES // 1048576} MB（疑似压缩炸弹）"))
    for info in infos:
        if info.file_size > 16 * 1024 * 1024 and info.file_size > MAX_PART_RATIO * max(info.compress_size, 1):
            raise Unreadable(catalogue.make("FILE-05", reason=f"部件 {info.filename} 压缩比异常（疑似压缩炸弹）"))
    if "xl/workbook.xml" not in members and "xl/workbook.bin" not in members:
        if "word/document.xml" in members:
            return "docx", members, zf
        if any(n.startswith("ppt/") for n in members):
            raise Unreadable(catalogue.make("FILE-02", kind="PowerPoint 演示文稿"))
        if "content.xml" in members and "mimetype" in members:
            mimetype = zf.read("mimetype")[:100].strip()
            if mimetype == ODS_MIMETYPE:
                return "ods", members, zf
            raise Unreadable(catalogue.make("FILE-02", kind="OpenDocument 文档（不是电子表格）"))
        raise Unreadable(catalogue.make("FILE-04", reason="压缩包中没有工作簿内容（xl/workbook.xml）"))
    if "xl/workbook.bin" in members:
        raise Unreadable(catalogue.make("FILE-02", kind="Excel 二进制工作簿 .xlsb"))
    if suffix not in SUPPORTED_SUFFIXES | CALAMINE_SUFFIXES:
        raise Unreadable(catalogue.make("FILE-02", kind=f"{suffix or '无扩展名'} 文件"))
    return "xlsx", members, zf


def _ole_head(path: Path) -> bytes:
    # An encrypted .xlsx is an OLE container with an "EncryptedPackage" stream, an .xls one with a
    # "Workbook" stream; the names sit in the directory sectors, so a bounded byte search is enough
    # and needs no OLE parser.
    with path.open("rb") as fh:
        return fh.read(8 * 1024 * 1024)


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> part name, from workbook.xml and its relationships.

    Read with regular expressions over the bytes: no entity is ever expanded (so no XXE or
    billion-laughs risk), any namespace prefix and either quote style is accepted, and it costs a
    small fraction of an XML parse (this runs for every file of a batch)."""
    wb = _xml_text(_read_part(zf, "xl/workbook.xml"))
    rels = _xml_text(_read_part(zf, "xl/_rels/workbook.xml.rels"))
    targets = {}
    for m in _REL_RE.finditer(rels):
        attrs = dict(_attributes(m.group(1)))
        if "Id" in attrs and "Target" in attrs:
            targets[attrs["Id"]] = attrs["Target"]
    out = {}
    for m in _SHEET_RE.finditer(wb):
        attrs = _attributes(m.group(1))
        name = next((v for k, v in attrs if k == "name"), None)
        rid = next((v for k, v in attrs if k.endswith(":id")), None)
        if name is None:
            continue
        target = targets.get(rid, "").lstrip("/")
        out[name] = target if target.startswith("xl/") else f"xl/{target}"
    return out


def _part_key(name: str) -> str:
    # calamine finds a part whatever the case of its name, and takes "\" in member names for "/":
    # what it may read must be found (and checked) the same way
    return name.replace("\\", "/").lower()


def _parts_by_key(zf: zipfile.ZipFile) -> dict[str, list[zipfile.ZipInfo]]:
    """Every member under its _part_key, duplicates and all, in archive order."""
    out: dict[str, list[zipfile.ZipInfo]] = {}
    for info in zf.infolist():
        out.setdefault(_part_key(info.filename), []).append(info)
    return out


def _find_part(zf: zipfile.ZipFile, name: str) -> zipfile.ZipInfo:
    """The member of that name, else the first whose name differs only as calamine ignores."""
    try:
        return zf.getinfo(name)
    except KeyError:
        key = _part_key(name)
        return next(i for i in zf.infolist() if _part_key(i.filename) == key)


def _read_part(zf: zipfile.ZipFile, part: str | zipfile.ZipInfo, head: int | None = None) -> bytes:
    """A part's bytes (only its first `head` bytes when given). A deflated part of an archive held
    in memory is inflated straight from its bytes (zipfile's reader costs several times more for the
    small parts of a report), never to more than its declared size; anything else goes through zipfile."""
    info = part if isinstance(part, zipfile.ZipInfo) else _find_part(zf, part)
    blob = zf.fp.getbuffer() if isinstance(zf.fp, io.BytesIO) else None
    if blob is None or info.compress_type != zipfile.ZIP_DEFLATED or info.flag_bits & 0x1:
        return _read_through_zipfile(zf, info, head)
    offset = info.header_offset
    header = bytes(blob[offset:offset + 30])
    if len(header) < 30 or header[:4] != ZIP_MAGIC:
        return _read_through_zipfile(zf, info, head)
    start = offset + 30 + int.from_bytes(header[26:28], "little") + int.from_bytes(header[28:30], "little")
    inflater = zlib.decompressobj(-15)
    data = inflater.decompress(blob[start:start + info.compress_size], min(head or info.file_size, info.file_size))
    del blob   # release the view, or the BytesIO can not be closed later
    if len(data) != info.file_size and (head is None or len(data) < min(head, info.file_size)):
        return _read_through_zipfile(zf, info, head)   # damaged or lying sizes: let zipfile raise its own error
    return data


def _read_through_zipfile(zf: zipfile.ZipFile, info: zipfile.ZipInfo, head: int | None) -> bytes:
    if head is None:
        return zf.read(info)
    with zf.open(info) as fh:
        return fh.read(head)


_COMMENT_RE = re.compile(r"<!--.*?-->", re.S)
_SHEET_RE = re.compile(r"<(?:[\w.-]+:)?sheet\s([^>]*)>")
_REL_RE = re.compile(r"<(?:[\w.-]+:)?Relationship\s([^>]*)>")
_ATTR_RE = re.compile(r"""([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ENCODING_RE = re.compile(rb"""^<\?xml[^>]*\bencoding\s*=\s*["']([\w.-]+)["']""")


def _attributes(text: str) -> list[tuple[str, str]]:
    # (name, "value", 'value'): one of the two values is "" by the alternation
    return [(k, html.unescape(v) if "&" in v else v) for k, dq, sq in _ATTR_RE.findall(text) for v in (dq or sq,)]


def _xml_text(data: bytes) -> str:
    """An XML part as text, decoded as its byte-order mark or declaration says, without comments."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        text = data.decode("utf-16")
    else:
        m = _ENCODING_RE.match(data.lstrip(b"\xef\xbb\xbf")[:200])
        try:
            text = data.decode(m.group(1).decode() if m else "utf-8", "replace")
        except LookupError:
            text = data.decode("utf-8", "replace")
    return _COMMENT_RE.sub("", text)


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


def _scan_sheets(zf: zipfile.ZipFile):
    """Uncached formulas per sheet name, and the sheets that must be cut down: name -> (rows, cols) spanned.

    Every member calamine might take for a sheet is checked (another case of its name, "\\" for "/",
    duplicate names); a sheet that cannot be checked is not handed to calamine at all."""
    uncached: dict[str, dict[tuple[int, int], str]] = {}
    trimmed: dict[str, tuple[int, int]] = {}
    try:
        by_key = _parts_by_key(zf)
        _check_shared_strings(zf, by_key)
        for name, part in _sheet_parts(zf).items():
            candidates = by_key.get(_part_key(part), [])
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


_SST_START_RE = re.compile(rb"<" + _NS + rb"sst\b([^>]*)>")
_DECLARED_COUNT_RE = re.compile(rb"""\b(?:count|uniqueCount)\s*=\s*["']\s*([0-9]+)""")
_PART_HEAD = 64 * 1024   # the root start tag of a part sits in its first bytes (declaration, comments)


def _check_shared_strings(zf: zipfile.ZipFile, by_key: dict) -> None:
    """calamine reserves room for as many shared strings as the table declares (24 bytes each):
    a declared count that the part could not hold (every entry takes at least 5 bytes, "<si/>")
    would make it allocate gigabytes and abort, so such a file is refused."""
    for key, infos in by_key.items():
        if not key.endswith("sharedstrings.xml"):
            continue
        for info in infos:
            head = _read_part(zf, info, _PART_HEAD)
            start = _SST_START_RE.search(head)
            if start is None:
                if len(head) >= _PART_HEAD:
                    raise Unreadable(catalogue.make("FILE-04", reason=f"部件 {info.filename} 开头 64 KB 内没有共享字符串表"))
                continue
            for digits in _DECLARED_COUNT_RE.findall(start.group(1)):
                declared = int(digits) if len(digits) <= 18 else 10**18
                if declared > info.file_size // 5 + 16:
                    raise Unreadable(catalogue.make("FILE-05", reason=f"共享字符串表声明了 {catalogue.shorten(digits.decode(), 20)} 条，"
                                                                      f"远超其实际大小所能容纳的条数（疑似恶意文件）"))


def _scan_sheet_part(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, trimmed: dict) -> dict:
    """One sheet part: its uncached formulas; records in `trimmed` when it must be cut down."""
    if info.file_size > MAX_SHEET_PART_BYTES:
        trimmed[name] = [0, 0]   # the span is measured while cutting it down
        return {}
    data = _read_part(zf, info)
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


def _trimmed_copy(path: Path, trimmed: dict):
    """A temporary copy of the workbook in which the oversized sheets are cut down (never the input itself)."""
    import tempfile

    tmp = tempfile.TemporaryFile()
    with zipfile.ZipFile(path) as zf, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
        parts = _sheet_parts(zf)
        cut = {_part_key(parts[name]): name for name in trimmed}
        for info in zf.infolist():
            if _part_key(info.filename) in cut:   # every member calamine might take for the sheet
                span = [0, 0]
                with zf.open(info) as fh:
                    out.writestr(info.filename, _trim_xml(iter(lambda: fh.read(1 << 20), b""), span))
                known = trimmed[cut[_part_key(info.filename)]]
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
