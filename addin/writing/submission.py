"""The clean submission file (报送文件): the validated data written fresh from the layout, with a digest."""
from __future__ import annotations

import copy
import datetime
import hashlib
import os
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from addin import jsonio
from addin._version import __version__
from addin.formats import FormatDef, available_formats
from addin.values import flat_values
from addin.pipeline import Options, check_file
from addin.result import UNREADABLE, FileResult
from addin.writing.atomic import atomic_write, write_bytes_atomic
from addin.writing.docprops import read_custom_properties  # noqa: F401  (part of this module's API)
from addin.writing.template import PROP_FORMAT_VERSION, PROP_REPORT_YEAR, build_workbook, report_title, save_workbook

PROP_UNIT = "gkreport.unit"
PROP_VERSION = "gkreport.version"
PROP_VALIDATED_AT = "gkreport.validated_at"
PROP_SHA256 = "gkreport.sha256"
PROP_CONTACT = "gkreport.contact."   # + the cover's optional field (填报人, 联系电话…), when filled in
BEIJING = datetime.timezone(datetime.timedelta(hours=8))   # time stamps are in Beijing time (+08:00)
_NOT_IN_FILE_NAMES = str.maketrans({ch: "_" for ch in '\\/:*?"<>|'})


class SubmissionError(Exception):
    """The submission file cannot be made (errors remain, the output would overwrite the input...)."""


def canonical_document(document: dict) -> dict:
    """The document as it will read back from the submission file: money without trailing zeros
    (12.3400 is written, and re-read, as 12.34)."""
    def norm(node):
        if isinstance(node, dict):
            return {k: norm(v) for k, v in node.items()}
        if isinstance(node, list):
            return [norm(v) for v in node]
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


def default_name(fmt: FormatDef, unit: str | None, year: int | None) -> str:
    """`<单位名称><年度>年政府信息公开工作年度报告.xlsx`, safe as a file name on Windows too."""
    return (report_title(fmt, year, unit) + ".xlsx").translate(_NOT_IN_FILE_NAMES).strip()


@dataclass
class Submission:
    path: Path
    document: dict
    sha256: str
    validated_at: str
    json_path: Path | None = None


def build_submission(result: FileResult, validated_at: datetime.datetime, schema_dir: str | None = None):
    """(openpyxl workbook, canonical document, digest) for a result that has no errors."""
    from openpyxl.packaging.custom import StringProperty

    if result.counts["error"] or result.document is None or result.format_version is None:
        raise SubmissionError("校验未通过（仍有错误），不能生成报送文件。")
    fmt = available_formats(schema_dir)[result.format_version]
    document = canonical_document(result.document)
    # the cover's year and unit as the reader took them (the same values the document's cover holds)
    year, unit = result.report_year, result.unit
    texts = {k: v for k, v in (document.get("text") or {}).items() if v is not None}
    wb = build_workbook(fmt, year, unit, values=flat_values(fmt, document), texts=texts)
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
                        (PROP_SHA256, sha), *((PROP_CONTACT + k, v) for k, v in result.contacts.items())]:
        wb.custom_doc_props.append(StringProperty(name=name, value=value))
    return wb, document, sha


def write_submission(result: FileResult, out: str | os.PathLike, json_out: str | os.PathLike | None = None,
                     schema_dir: str | None = None) -> Submission:
    """Write the submission workbook (and optionally the canonical JSON) atomically; the workbook
    is re-read before it is put in place and must give back exactly the validated document."""

    out = Path(out)
    for target in filter(None, [out, json_out]):
        if Path(target).resolve() == Path(result.path).resolve():
            raise SubmissionError(f"输出文件不能与输入文件相同（{target}）。")
    now = datetime.datetime.now(BEIJING)
    wb, document, sha = build_submission(result, now, schema_dir)

    def write(tmp: Path) -> None:
        save_workbook(wb, tmp)
        again = check_file(tmp, Options(schema_dir=schema_dir))
        if again.counts["error"] or again.document is None or digest(again.document) != sha:
            raise SubmissionError("内部错误：报送文件重新读取后与校验数据不一致，未写入。")

    atomic_write(out, write, suffix=".xlsx")
    json_path = None
    if json_out:
        json_path = write_bytes_atomic(json_out, canonical_bytes(document))
    return Submission(out, document, sha, now.isoformat(timespec="seconds"), json_path)


@dataclass
class Verification:
    status: str                 # same|modified|no_digest|unreadable
    recorded: str | None = None
    actual: str | None = None
    result: FileResult | None = None

    @property
    def ok(self) -> bool:
        return self.status == "same"


def verify(path: str | os.PathLike, schema_dir: str | None = None) -> Verification:
    """Re-read a submission file with the normal engine and compare its data with the recorded digest."""
    result = check_file(path, Options(schema_dir=schema_dir))
    if result.status == UNREADABLE:
        return Verification("unreadable", result=result)
    try:
        recorded = read_custom_properties(path).get(PROP_SHA256)
    except (zipfile.BadZipFile, OSError, SyntaxError, ValueError):
        recorded = None
    if not recorded:
        return Verification("no_digest", result=result)
    actual = digest(canonical_document(result.document)) if result.document is not None else None
    return Verification("same" if actual == recorded.strip().lower() else "modified", recorded, actual, result)
