"""Guards against hostile files: size and zip-bomb limits, and safe reads of a workbook's zip parts and XML."""
from __future__ import annotations

import html
import io
import re
import zipfile
import zlib
from pathlib import Path

from addin import catalogue, os_messages
from addin.reading.source import NotRegular, Source, TooLarge, read_source
from addin.reading.xls_extent import NotChecked, widest_sheet

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
MAX_TEXT_CELLS = 200_000                   # text cells per sheet (a report has a few hundred)

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
# An OLE file is an Excel 97-2003 workbook when it holds a "Workbook" (BIFF8) or "Book" (BIFF5) stream.
XLS_STREAMS = ("Workbook".encode("utf-16-le"), "Book\x00".encode("utf-16-le"))
NS_PREFIX = rb"(?:[\w.-]+:)?"   # an element's namespace prefix, if any (<x:c>, as some generators write)


class Unreadable(Exception):
    """The file cannot be read as a workbook; carries the finding that says why (and the digest of the
    bytes that were read, when they were)."""

    def __init__(self, finding, sha256: str | None = None):
        super().__init__(finding.message)
        self.finding = finding
        self.sha256 = sha256


def read_input(path: Path) -> Source:
    """The file's bytes and their digest, read once (every later check and the reader use these bytes, so
    the digest recorded is of the bytes checked); FILE-01/04/05 when it cannot be read. Never opens
    anything but a regular file: a FIFO named like a workbook is refused, not waited on."""
    try:
        src = read_source(path, MAX_FILE_BYTES)
    except TooLarge as exc:
        raise Unreadable(catalogue.make("FILE-05", reason=f"文件大小 {exc.size // 1048576} MB 超过上限 {MAX_FILE_BYTES // 1048576} MB")) from exc
    except OSError as exc:
        raise Unreadable(catalogue.make("FILE-01", reason=str(exc) if isinstance(exc, NotRegular) else os_messages.describe(exc))) from exc
    if not src.data:
        raise Unreadable(catalogue.make("FILE-04", reason="文件为空（0 字节）"), src.sha256)
    return src


def check_ole(data: bytes) -> None:
    """An OLE container must be an Excel 97-2003 workbook: FILE-03 when it is an encrypted package, FILE-02 when
    it is another Office 97-2003 file."""
    # the stream names sit in the directory sectors, so a bounded byte search is enough and needs no OLE parser
    directory = data[:8 * 1024 * 1024]
    if ENCRYPTED_STREAM in directory:
        raise Unreadable(catalogue.make("FILE-03"))
    if not any(name in directory for name in XLS_STREAMS):
        raise Unreadable(catalogue.make("FILE-02", kind="旧版 Office 文件（不是 Excel 工作簿，可能是 Word 或 PowerPoint 97-2003 文件）"))


def open_zip(blob: io.BytesIO) -> tuple[zipfile.ZipFile, dict[str, zipfile.ZipInfo]]:
    """The archive and its members by name, after the zip-bomb checks (total size, compression ratio)."""
    try:
        zf = zipfile.ZipFile(blob)
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise Unreadable(catalogue.make("FILE-04", reason=os_messages.describe(exc))) from exc
    members = {i.filename: i for i in infos}
    total = sum(i.file_size for i in infos)
    if total > MAX_UNZIPPED_BYTES:
        raise Unreadable(catalogue.make("FILE-05", reason=f"解压后共 {total // 1048576} MB，超过上限 {MAX_UNZIPPED_BYTES // 1048576} MB（疑似压缩炸弹）"))
    for info in infos:
        if info.file_size > 16 * 1024 * 1024 and info.file_size > MAX_PART_RATIO * max(info.compress_size, 1):
            raise Unreadable(catalogue.make("FILE-05", reason=f"部件 {info.filename} 压缩比异常（疑似压缩炸弹）"))
    return zf, members


def check_xls_extent(data: bytes) -> None:
    """An .xls cannot be cut down like an .xlsx: one whose cells would make calamine build a grid
    larger than the read box (a cell at row and column 65,535 asks for 137 GB) is refused."""
    try:
        rows, cols = widest_sheet(data)
    except NotChecked as exc:
        raise Unreadable(catalogue.make("FILE-04", reason=f"旧版 Excel 文件的结构无法检查（{catalogue.shorten(str(exc), 80)}）")) from exc
    if rows * cols > MAX_ROWS_READ * MAX_COLS_READ:
        raise Unreadable(catalogue.make("FILE-05", reason=f"工作表的单元格分布在 {rows} 行 × {cols} 列的范围内，超出读取范围"
                                                          f"（{MAX_ROWS_READ} 行 × {MAX_COLS_READ} 列）；请删除多余内容或另存为 .xlsx"))


def sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> part name, from workbook.xml and its relationships.

    Read with regular expressions over the bytes: no entity is ever expanded (so no XXE or
    billion-laughs risk), any namespace prefix and either quote style is accepted, and it costs a
    small fraction of an XML parse (this runs for every file of a batch)."""
    wb = _xml_text(read_part(zf, "xl/workbook.xml"))
    rels = _xml_text(read_part(zf, "xl/_rels/workbook.xml.rels"))
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


def part_key(name: str) -> str:
    # calamine finds a part whatever the case of its name, and takes "\" in member names for "/":
    # what it may read must be found (and checked) the same way
    return name.replace("\\", "/").lower()


def parts_by_key(zf: zipfile.ZipFile) -> dict[str, list[zipfile.ZipInfo]]:
    """Every member under its part_key, duplicates and all, in archive order."""
    out: dict[str, list[zipfile.ZipInfo]] = {}
    for info in zf.infolist():
        out.setdefault(part_key(info.filename), []).append(info)
    return out


def _find_part(zf: zipfile.ZipFile, name: str) -> zipfile.ZipInfo:
    """The member of that name, else the first whose name differs only as calamine ignores."""
    try:
        return zf.getinfo(name)
    except KeyError:
        key = part_key(name)
        return next(i for i in zf.infolist() if part_key(i.filename) == key)


def read_part(zf: zipfile.ZipFile, part: str | zipfile.ZipInfo, head: int | None = None) -> bytes:
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


_SST_START_RE = re.compile(rb"<" + NS_PREFIX + rb"sst\b([^>]*)>")
_DECLARED_COUNT_RE = re.compile(rb"""\b(?:count|uniqueCount)\s*=\s*["']\s*([0-9]+)""")
_PART_HEAD = 64 * 1024   # the root start tag of a part sits in its first bytes (declaration, comments)


def check_shared_strings(zf: zipfile.ZipFile, by_key: dict) -> None:
    """calamine reserves room for as many shared strings as the table declares (24 bytes each):
    a declared count that the part could not hold (every entry takes at least 5 bytes, "<si/>")
    would make it allocate gigabytes and abort, so such a file is refused."""
    for key, infos in by_key.items():
        if not key.endswith("sharedstrings.xml"):
            continue
        for info in infos:
            head = read_part(zf, info, _PART_HEAD)
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
