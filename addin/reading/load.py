"""Open a workbook file safely and return its raw cell values, or a file-level finding saying why not."""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

from addin import catalogue
from addin.reading.model import SheetData, WorkbookData, parse_a1

# Limits that keep a hostile file from exhausting the machine (documented in README).
MAX_FILE_BYTES = 64 * 1024 * 1024          # compressed size on disk
MAX_UNZIPPED_BYTES = 256 * 1024 * 1024     # all parts together, after decompression
MAX_PART_RATIO = 200                       # decompressed/compressed, per large part
MAX_ROWS_READ = 20_000                     # rows per sheet handed to the engine

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
SUPPORTED_SUFFIXES = {".xlsx", ".xlsm"}
CALAMINE_SUFFIXES = {".xls", ".ods"}       # other containers python-calamine reads
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
# An OLE file is an Excel 97-2003 workbook when it holds a "Workbook" (BIFF8) or "Book" (BIFF5) stream.
XLS_STREAMS = ("Workbook".encode("utf-16-le"), "Book\x00".encode("utf-16-le"))

_CELL_RE = re.compile(rb'<c\s[^>]*?r="([A-Z]+[0-9]+)"[^>]*?(?:/>|>(.*?)</c>)', re.S)
_FORMULA_RE = re.compile(rb"<f(?:\s[^>]*)?>(.*?)</f>|<f\s[^>]*/>", re.S)
_VALUE_RE = re.compile(rb"<v>[^<]+</v>|<is>", re.S)


class Unreadable(Exception):
    """The file cannot be read as a workbook; carries the finding that says why."""

    def __init__(self, finding):
        super().__init__(finding.message)
        self.finding = finding


def load_workbook(path: str | Path) -> WorkbookData:
    """Read every sheet's values with calamine after checking the container; raise Unreadable."""
    path = Path(path)
    kind, zip_parts = _check_container(path)
    findings = []
    names = set(zip_parts)
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        findings.append(catalogue.make("FILE-06"))
    links = sorted(n for n in names if n.startswith("xl/externalLinks/") and n.endswith(".xml"))
    if links:
        findings.append(catalogue.make("FILE-07", detail=f"{len(links)} 处"))
    uncached = _uncached_formulas(path, zip_parts) if kind == "xlsx" else {}
    try:
        import python_calamine as pc

        # from_filelike detects the container from its content, not from the (maybe wrong) file name
        with path.open("rb") as fh:
            book = pc.CalamineWorkbook.from_filelike(fh)
    except Exception as exc:  # calamine raises its own error types for every kind of damage
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
    except Exception as exc:
        raise Unreadable(_damage(exc)) from exc
    finally:
        book.close()
    return WorkbookData(sheets, findings)


def _clean_row(row: list) -> list:
    # calamine gives floats for every number and "" for empty cells; the engine wants ints and None
    return [None if v == "" else int(v) if isinstance(v, float) and v.is_integer() and abs(v) < 2**53 else v
            for v in row]


def _damage(exc: Exception):
    text = str(exc) or exc.__class__.__name__
    if "password" in text.lower() or "encrypt" in text.lower():
        return catalogue.make("FILE-03")
    return catalogue.make("FILE-04", reason=_short(text))


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def _check_container(path: Path) -> tuple[str, dict[str, zipfile.ZipInfo]]:
    """Magic bytes, size and zip-bomb checks; returns the kind (xlsx|xls|ods) and the zip members by name."""
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(8)
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
        return "xls", {}
    if not head.startswith(ZIP_MAGIC):
        kind = f"{suffix} 文件" if suffix and suffix not in SUPPORTED_SUFFIXES | CALAMINE_SUFFIXES else "不是 Excel 工作簿"
        if suffix in SUPPORTED_SUFFIXES | CALAMINE_SUFFIXES:
            raise Unreadable(catalogue.make("FILE-04", reason="文件内容不是 Excel 工作簿格式（可能是改了扩展名的其他文件）"))
        raise Unreadable(catalogue.make("FILE-02", kind=kind))
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise Unreadable(catalogue.make("FILE-04", reason=f"压缩包结构损坏（{_short(str(exc), 80)}）")) from exc
    members = {i.filename: i for i in infos}
    total = sum(i.file_size for i in infos)
    if total > MAX_UNZIPPED_BYTES:
        raise Unreadable(catalogue.make("FILE-05", reason=f"解压后共 {total // 1048576} MB，超过上限 {MAX_UNZIPPED_BYTES // 1048576} MB（疑似压缩炸弹）"))
    for info in infos:
        if info.file_size > 16 * 1024 * 1024 and info.file_size > MAX_PART_RATIO * max(info.compress_size, 1):
            raise Unreadable(catalogue.make("FILE-05", reason=f"部件 {info.filename} 压缩比异常（疑似压缩炸弹）"))
    if "xl/workbook.xml" not in members and "xl/workbook.bin" not in members:
        if "word/document.xml" in members:
            raise Unreadable(catalogue.make("FILE-02", kind="Word 文档（扩展名被改成了 Excel）"))
        if any(n.startswith("ppt/") for n in members):
            raise Unreadable(catalogue.make("FILE-02", kind="PowerPoint 演示文稿"))
        if "content.xml" in members and "mimetype" in members:
            with zipfile.ZipFile(path) as zf:
                mimetype = zf.read("mimetype")[:100].strip()
            if mimetype == ODS_MIMETYPE:
                return "ods", members
            raise Unreadable(catalogue.make("FILE-02", kind="OpenDocument 文档（不是电子表格）"))
        raise Unreadable(catalogue.make("FILE-04", reason="压缩包中没有工作簿内容（xl/workbook.xml）"))
    if "xl/workbook.bin" in members:
        raise Unreadable(catalogue.make("FILE-02", kind="Excel 二进制工作簿 .xlsb"))
    if suffix not in SUPPORTED_SUFFIXES | CALAMINE_SUFFIXES:
        raise Unreadable(catalogue.make("FILE-02", kind=f"{suffix or '无扩展名'} 文件"))
    return "xlsx", members


def _ole_head(path: Path) -> bytes:
    # An encrypted .xlsx is an OLE container with an "EncryptedPackage" stream, an .xls one with a
    # "Workbook" stream; the names sit in the directory sectors, so a bounded byte search is enough
    # and needs no OLE parser.
    with path.open("rb") as fh:
        return fh.read(8 * 1024 * 1024)


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> part name, from workbook.xml and its relationships."""
    from defusedxml import ElementTree as ET

    ns_main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    ns_rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    wb = ET.fromstring(zf.read("xl/workbook.xml"))
    rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels}
    out = {}
    for sheet in wb.iter(f"{ns_main}sheet"):
        target = targets.get(sheet.get(f"{ns_rel}id"), "")
        target = target.lstrip("/")
        out[sheet.get("name")] = target if target.startswith("xl/") else f"xl/{target}"
    return out


def _uncached_formulas(path: Path, members: dict) -> dict[str, dict[tuple[int, int], str]]:
    """Formula cells that carry no cached result, per sheet name (calamine cannot tell them from blanks)."""
    found: dict[str, dict[tuple[int, int], str]] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            parts = _sheet_parts(zf)
            for name, part in parts.items():
                if part not in members:
                    continue
                data = zf.read(part)
                if b"<f" not in data:
                    continue
                for m in _CELL_RE.finditer(data):
                    body = m.group(2) or b""
                    f = _FORMULA_RE.search(body)
                    if f and not _VALUE_RE.search(body):
                        formula = (f.group(1) or b"").decode("utf-8", "replace")
                        found.setdefault(name, {})[parse_a1(m.group(1).decode())] = formula
    except Exception:  # damaged parts are reported by the calamine read that follows
        return found
    return found
