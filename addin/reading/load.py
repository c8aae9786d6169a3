"""Open a report file: sniff its kind, check it, and read it with that kind's reader from one table of readers."""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from addin import catalogue
from addin.reading import documents, pdf
from addin.reading.guard import (MAX_DOCUMENT_BYTES, MAX_COLS_READ, MAX_ROWS_READ, OLE_MAGIC, ZIP_MAGIC, Unreadable,
                                 check_ole, check_xls_extent, open_zip, read_input, sheet_parts)
from addin.reading.html_tables import looks_like_html, looks_like_text, read_html
from addin.reading.model import SheetData, WorkbookData
from addin.reading.sheet_xml import scan_sheets, trimmed_copy

__all__ = ["READERS", "FOLDER_SUFFIXES", "Reader", "Source", "Unreadable", "load_workbook", "register", "sheet_parts", "unregister"]

ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
SNIFF_BYTES = 4096   # what a plain file's kind is told from
WPS_SUFFIX = ".et"   # WPS 表格's own name, for BIFF and, from newer versions, for an .xlsx zip as well


@dataclass
class Source:
    """A file whose kind is known and whose container passed the guards, handed to its reader."""

    path: Path
    kind: str
    data: bytes = b""                                                  # the file's bytes, read once
    sha256: str | None = None                                          # their digest
    zf: zipfile.ZipFile | None = None                                 # a zip's archive over its bytes in memory
    members: dict[str, zipfile.ZipInfo] = field(default_factory=dict)   # a zip's members by name


@dataclass(frozen=True)
class Reader:
    """One input kind: the suffixes it is known by, how it is read, and how a plain file is recognised."""

    suffixes: tuple[str, ...]
    read: Callable[[Source], WorkbookData]
    # a plain (neither zip nor OLE) file is of this kind when sniff(first bytes, lower-case suffix) is true;
    # None: the kind is a container, recognised by its structure
    sniff: Callable[[bytes, str], bool] | None = None
    notice: str | None = None   # finding code saying the report was read from this kind (not a workbook)
    in_folders: bool = True     # a folder given to a batch picks up files with these suffixes
    # a workbook container's name, for FILE-17 when a file of this kind carries another workbook kind's suffix
    container: str | None = None


def _read_xlsx(src: Source) -> WorkbookData:
    """The zip guards' findings, the sheet scan (uncached formulas, oversized sheets cut down), then calamine."""
    findings = _package_findings(src.members)
    uncached, trimmed = scan_sheets(src.zf)
    source = trimmed_copy(io.BytesIO(src.data), trimmed) if trimmed else None
    for name, span in trimmed.items():
        findings.append(catalogue.make("FILE-10", sheet=name, rows=span[0], cols=span[1], max_rows=MAX_ROWS_READ,
                                       max_cols=MAX_COLS_READ))
    return WorkbookData(_calamine_sheets(lambda: source or src.zf.fp, uncached), findings)


def _read_ods(src: Source) -> WorkbookData:
    findings = _package_findings(src.members)
    return WorkbookData(_calamine_sheets(lambda: src.zf.fp, {}), findings)


def _read_xls(src: Source) -> WorkbookData:
    check_xls_extent(src.data)
    return WorkbookData(_calamine_sheets(lambda: io.BytesIO(src.data), {}), [])


def _read_docx(src: Source) -> WorkbookData:
    try:
        return documents.read_docx(src.zf)
    except Exception as exc:  # a damaged document.xml, or entities defusedxml refuses
        raise Unreadable(catalogue.make("FILE-04", "document", reason=f"Word 文档内容无法解析（{catalogue.shorten(str(exc), 80)}）")) from exc


def _document_bytes(src: Source) -> bytes:
    size = len(src.data)
    if size > MAX_DOCUMENT_BYTES:   # a report's text is kilobytes; parsing more only costs time
        raise Unreadable(catalogue.make("FILE-05", reason=f"网页或文本文件 {size // 1048576} MB，超过上限 "
                                                          f"{MAX_DOCUMENT_BYTES // 1048576} MB"))
    return src.data


def _read_html(src: Source) -> WorkbookData:
    return read_html(_document_bytes(src))


def _read_text(src: Source) -> WorkbookData:
    return documents.read_text_export(_document_bytes(src))


def _read_pdf(src: Source) -> WorkbookData:
    try:
        return pdf.read_pdf(src.path)
    except pdf.Refused as exc:
        raise Unreadable(exc.finding) from exc


READERS: dict[str, Reader] = {
    "xlsx": Reader((".xlsx", ".xlsm"), _read_xlsx, container="Excel 工作簿（.xlsx 格式）"),
    # WPS saves its .et spreadsheets in the same container (newer WPS versions also as .xlsx's zip: FILE-17)
    "xls": Reader((".xls", ".et"), _read_xls, container="Excel 97-2003 工作簿（.xls 格式）"),
    "ods": Reader((".ods",), _read_ods, container="OpenDocument 电子表格（.ods 格式）"),
    # a report published as PDF (pdfplumber is imported only when one is read)
    "pdf": Reader((".pdf",), _read_pdf, sniff=lambda head, suffix: pdf.looks_like_pdf(head), notice="FILE-15"),
    # a web page, or an "xls" export that is really HTML, whatever its name
    "html": Reader((".html", ".htm"), _read_html, sniff=lambda head, suffix: looks_like_html(head),
                   notice="FILE-11"),
    # Word's text export of a report
    "text": Reader((".txt",), _read_text, sniff=lambda head, suffix: suffix == ".txt" and looks_like_text(head),
                   notice="FILE-12"),
    "docx": Reader((".docx",), _read_docx, notice="FILE-13"),
}
# The suffixes a folder given to a batch is searched for (batch.WORKBOOK_SUFFIXES is this set, kept current).
FOLDER_SUFFIXES: set[str] = set()


def register(kind: str, reader: Reader) -> None:
    """Add (or replace) an input kind: load_workbook reads it, and a folder batch picks up its suffixes."""
    READERS[kind] = reader
    _collect_folder_suffixes()


def unregister(kind: str) -> None:
    """Remove an input kind (a test's toy kind, say) from the table and its suffixes from the folder search."""
    READERS.pop(kind, None)
    _collect_folder_suffixes()


def _collect_folder_suffixes() -> None:
    FOLDER_SUFFIXES.clear()
    FOLDER_SUFFIXES.update(s for r in READERS.values() if r.in_folders for s in r.suffixes)


_collect_folder_suffixes()


WORKBOOK_KINDS = ("xlsx", "xls", "ods")   # the kinds calamine reads, whatever the file's name says


def _spreadsheet_suffix(suffix: str) -> bool:
    """A suffix only a workbook may have: such a file that is not one is damaged, not of another kind."""
    return any(suffix in READERS[k].suffixes for k in WORKBOOK_KINDS if k in READERS)


def load_workbook(path: str | Path) -> WorkbookData:
    """Read every sheet's values after checking the container, with the reader of the file's kind; raise Unreadable.
    The workbook carries the SHA-256 of the bytes read (an Unreadable too, once they were read)."""
    path = Path(path)
    data = read_input(path)
    try:
        src = sniff(path, data.data, data.sha256)
        reader = READERS[src.kind]
        workbook = reader.read(src)
    except Unreadable as exc:
        exc.sha256 = exc.sha256 or data.sha256
        raise
    if reader.notice:
        workbook.findings.append(catalogue.make(reader.notice, suffix=path.suffix or "（无扩展名）"))
    mismatch = _container_mismatch(reader, path.suffix.lower())
    if mismatch is not None:
        workbook.findings.append(mismatch)
    workbook.sha256 = data.sha256
    return workbook


def _container_mismatch(reader: Reader, suffix: str):
    """FILE-17 when a workbook's container is not the one its (workbook) suffix names: an .et or .xls that is
    really an .xlsx zip, an .xlsx that is really BIFF. Read all the same, since calamine goes by the content."""
    if reader.container is None or suffix in reader.suffixes or not _spreadsheet_suffix(suffix):
        return None
    variant = "wps" if suffix == WPS_SUFFIX else "default"
    return catalogue.make("FILE-17", variant, suffix=suffix, container=reader.container)


def sniff(path: Path, data: bytes, sha256: str | None = None) -> Source:
    """The file's kind from its content (magic bytes, zip members, first bytes), after the size and zip-bomb
    guards; the suffix only decides among plain files and refuses a workbook with a name it cannot have."""
    suffix = path.suffix.lower()
    if data.startswith(OLE_MAGIC):
        check_ole(data)
        return Source(path, "xls", data, sha256)
    if not data.startswith(ZIP_MAGIC):
        return Source(path, _plain_kind(data[:SNIFF_BYTES], suffix), data, sha256)
    zf, members = open_zip(io.BytesIO(data))
    return Source(path, _zip_kind(zf, members, suffix), data, sha256, zf, members)


def _plain_kind(start: bytes, suffix: str) -> str:
    kind = next((k for k, r in READERS.items() if r.sniff is not None and r.sniff(start, suffix)), None)
    if kind is not None:
        return kind
    if _spreadsheet_suffix(suffix):
        raise Unreadable(catalogue.make("FILE-04", reason="文件内容不是 Excel 工作簿格式（可能是改了扩展名的其他文件）"))
    if any(suffix in r.suffixes for r in READERS.values()):
        # a kind we read (.pdf, .docx, .html …) whose bytes are not of that kind: damaged, not unsupported
        raise Unreadable(catalogue.make("FILE-04", "document", reason=f"扩展名是 {suffix}，但文件内容不是这种格式（可能已损坏，或是改了扩展名的其他文件）"))
    raise Unreadable(catalogue.make("FILE-02", kind=f"{suffix} 文件" if suffix else "不是 Excel 工作簿"))


def _zip_kind(zf: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], suffix: str) -> str:
    if "xl/workbook.xml" not in members and "xl/workbook.bin" not in members:
        if "word/document.xml" in members:
            return "docx"
        if any(n.startswith("ppt/") for n in members):
            raise Unreadable(catalogue.make("FILE-02", kind="PowerPoint 演示文稿"))
        if "content.xml" in members and "mimetype" in members:
            mimetype = zf.read("mimetype")[:100].strip()
            if mimetype == ODS_MIMETYPE:
                return "ods"
            raise Unreadable(catalogue.make("FILE-02", kind="OpenDocument 文档（不是电子表格）"))
        raise Unreadable(catalogue.make("FILE-04", reason="压缩包中没有工作簿内容（xl/workbook.xml）"))
    if "xl/workbook.bin" in members:
        raise Unreadable(catalogue.make("FILE-02", kind="Excel 二进制工作簿 .xlsb"))
    if not _spreadsheet_suffix(suffix):
        raise Unreadable(catalogue.make("FILE-02", kind=f"{suffix or '无扩展名'} 文件"))
    return "xlsx"


def _package_findings(members: Iterable[str]) -> list:
    """Notices about a package's parts: macros (FILE-06) and links to other workbooks (FILE-07)."""
    findings = []
    names = set(members)
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        findings.append(catalogue.make("FILE-06"))
    links = sorted(n for n in names if n.startswith("xl/externalLinks/") and n.endswith(".xml"))
    if links:
        findings.append(catalogue.make("FILE-07", detail=f"{len(links)} 处"))
    return findings


def _calamine_sheets(opener: Callable, uncached: dict) -> list[SheetData]:
    """Every worksheet's values as calamine reads them (at most MAX_ROWS_READ rows) from the file opener() gives.

    calamine detects the container from its content, not from the (maybe wrong) file name."""
    try:
        import python_calamine as pc

        with opener() as fh:
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
    return sheets


def _calamine_failed(exc: BaseException) -> bool:
    """An error of calamine's: its own exception types, or pyo3's PanicException when its Rust code
    panics (e.g. on a date cell holding -1e308), which is a BaseException like KeyboardInterrupt."""
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"


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
    # the library's own (English) words stay in brackets for whoever supports the user
    return catalogue.make("FILE-04", reason=f"文件内容无法解析（{catalogue.shorten(text, 80)}）")
