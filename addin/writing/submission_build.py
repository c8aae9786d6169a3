"""The submission workbook built from the canonical data document, as bytes (no file is touched)."""
from __future__ import annotations

import copy
import datetime
import hashlib
import io
import zipfile
from decimal import Decimal
from xml.sax.saxutils import escape

from addin import jsonio
from addin._version import __version__
from addin.formats import FormatDef, available_formats
from addin.result import PASSED, FileResult
from addin.safe_text import for_cell
from addin.values import flat_values
from addin.writing.docprops import PROP_VALIDATED_AT
from addin.writing.template import (PROP_FORMAT_VERSION, PROP_REPORT_YEAR, FixedTimeZip, build_workbook, report_title,
                                    save_workbook)

DATA_PART = "customXml/item1.xml"      # the canonical data document, where Office keeps custom XML data
DATA_REL_ID = "rIdGkreportData"
DATA_REL_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/customXml"
DATA_NS = "urn:gkreport:submission-data:1"
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"

PROP_UNIT = "gkreport.unit"
PROP_VERSION = "gkreport.version"
PROP_SHA256 = "gkreport.sha256"
MAX_PROPERTY_CHARS = 255   # Office's limit for a custom property's text; the cover cell keeps the whole value


class SubmissionError(Exception):
    """The submission file cannot be made (errors remain, the output would overwrite the input...)."""


def canonical_document(document: dict) -> dict:
    """The document as it will read back from the submission file: money without trailing zeros
    (12.3400 is written, and re-read, as 12.34), text without the control characters a worksheet cannot hold."""
    def norm(node):
        if isinstance(node, dict):
            return {k: norm(v) for k, v in node.items()}
        if isinstance(node, list):
            return [norm(v) for v in node]
        if isinstance(node, str):
            return for_cell(node)   # as the worksheet stores it (Word's line break _x000B_ as a newline)
        if isinstance(node, Decimal):
            n = node.normalize()
            # normalize() turns 100 into 1E+2; keep the plain exponent-free form.
            return n.quantize(Decimal(1)) if n == n.to_integral_value() else n
        return node
    return norm(copy.deepcopy(document))


def canonical_bytes(document: dict) -> bytes:
    return jsonio.dumps(document, canonical=True).encode("utf-8")


def digest(document: dict) -> str:
    """SHA-256 of the canonical JSON text of the data document."""
    return hashlib.sha256(canonical_bytes(document)).hexdigest()


def build_submission(result: FileResult, validated_at: datetime.datetime, schema_dir: str | None = None):
    """(openpyxl workbook, canonical document, digest) for a result that has no errors."""
    from openpyxl.packaging.custom import StringProperty

    if result.counts["error"] or result.document is None or result.format_version is None:
        raise SubmissionError("校验未通过（仍有错误），不能生成报送文件。")
    fmt = available_formats(schema_dir)[result.format_version]
    document = canonical_document(result.document)
    # the cover's year and unit as the reader took them (the same values the document's cover holds)
    year, unit = result.report_year, for_cell(result.unit) if result.unit else result.unit
    sections = {s["key"] for s in fmt.layout["cover"]["sections"]}   # the preamble has no place in the workbook
    texts = {k: v for k, v in (document.get("text") or {}).items() if v is not None and k in sections}
    notes = {k: v for k, v in (document.get("notes") or {}).items() if v is not None}   # each in the box under its table
    contacts = cover_contacts(fmt, document)
    wb = build_workbook(fmt, year, unit, values=flat_values(fmt, document), texts=texts, notes=notes,
                        contacts={key: value for key, _label, value in contacts})
    props = wb.properties
    props.title = report_title(fmt, year, unit)
    props.creator = props.lastModifiedBy = "gkreport"
    stamp = validated_at.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    props.created = props.modified = stamp
    sha = digest(document)
    # build_workbook already records format version and year; replace rather than duplicate.
    keep = [p for p in wb.custom_doc_props.props if p.name not in (PROP_FORMAT_VERSION, PROP_REPORT_YEAR)]
    wb.custom_doc_props.props = keep
    for name, value in [(PROP_UNIT, unit), (PROP_REPORT_YEAR, str(year)), (PROP_FORMAT_VERSION, fmt.version),
                        (PROP_VERSION, __version__), (PROP_VALIDATED_AT, validated_at.isoformat(timespec="seconds")),
                        (PROP_SHA256, sha)]:
        wb.custom_doc_props.append(StringProperty(name=name, value=value))
    # the cover's optional fields, by their printed labels: who to call, seen in the file's properties
    for _key, label, value in contacts:
        wb.custom_doc_props.append(StringProperty(name=label, value=value[:MAX_PROPERTY_CHARS]))
    return wb, document, sha


def cover_contacts(fmt: FormatDef, document: dict) -> list[tuple[str, str, str]]:
    """(key, label, value) of the cover's optional fields the document holds, in layout order; a document
    made before they were kept has none, and its submission is written (and verified) as it was then."""
    cover = document.get("cover") or {}
    return [(f["key"], f["label"], str(cover[f["key"]])) for f in fmt.layout["cover"].get("optional_fields", [])
            if cover.get(f["key"]) not in (None, "")]


def data_part(document: dict) -> bytes:
    """The embedded data part: the canonical JSON text (the digested bytes) as XML character data."""
    text = escape(canonical_bytes(document).decode("utf-8"))
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<data xmlns="{DATA_NS}" format="json">{text}</data>').encode("utf-8")


def embed(workbook_bytes: bytes, document: dict) -> bytes:
    """The saved workbook with the data document added as a custom XML part of the workbook."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook_bytes)) as zin, \
            FixedTimeZip(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in zin.namelist():
            data = zin.read(name)
            if name == WORKBOOK_RELS:
                rel = f'<Relationship Type="{DATA_REL_TYPE}" Target="../{DATA_PART}" Id="{DATA_REL_ID}"/>'
                data = data.replace(b"</Relationships>", rel.encode() + b"</Relationships>")
            zout.writestr(name, data)
        zout.writestr(DATA_PART, data_part(document))
    return out.getvalue()


def package_bytes(document: dict, format_version: str, validated_at: datetime.datetime,
                  schema_dir: str | None = None) -> bytes:
    """Exactly the bytes of every part `submit` writes for this (canonical) document and time."""
    validated_at = validated_at.replace(microsecond=0)   # recorded to the second; verify rebuilds from that
    fmt = available_formats(schema_dir)[format_version]
    year, unit = cover_year_unit(fmt, document)
    result = FileResult(path="", status=PASSED, format_version=format_version, report_year=year, unit=unit,
                        document=document)
    wb, document, _ = build_submission(result, validated_at, schema_dir)
    buffer = io.BytesIO()
    save_workbook(wb, buffer)
    return embed(buffer.getvalue(), document)


def cover_year_unit(fmt: FormatDef, document: dict) -> tuple:
    """The report year and unit name held in the document's cover, taken as the reader takes them
    (the year field; the unit from the other fields, the last one read)."""
    cover = document.get("cover") or {}
    year = unit = None
    for f in fmt.layout["cover"]["fields"]:
        if f["type"] == "year":
            year = cover.get(f["key"])
        else:
            unit = cover.get(f["key"])
    return year, unit
