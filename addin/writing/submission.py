"""The clean submission file (报送文件): the validated data written fresh from the layout, with a digest."""
from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from pathlib import Path

from addin.formats import FormatDef
from addin.pipeline import Options, check_file
from addin.result import FileResult
from addin.writing.atomic import atomic_write, write_bytes_atomic
from addin.writing.package_check import PackageCheck, check_package
# the names callers of the writer use (submit, verify, the add-in, tests)
from addin.writing.submission_build import (SubmissionError, canonical_bytes, canonical_document,  # noqa: F401
                                            digest, package_bytes)
from addin.writing.template import report_title

BEIJING = datetime.timezone(datetime.timedelta(hours=8))   # time stamps are in Beijing time (+08:00)
_NOT_IN_FILE_NAMES = str.maketrans({ch: "_" for ch in '\\/:*?"<>|'})


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


def write_submission(result: FileResult, out: str | os.PathLike, json_out: str | os.PathLike | None = None,
                     schema_dir: str | None = None) -> Submission:
    """Write the submission workbook (and optionally the canonical JSON) atomically; the workbook
    is checked before it is put in place: it must read back as exactly the validated document and
    pass the package check that `verify` makes."""
    out = Path(out)
    for target in filter(None, [out, json_out]):
        if same_file(target, result.path):
            raise SubmissionError(f"输出文件不能与输入文件相同（{target}）。")
    if json_out and same_file(out, json_out):
        raise SubmissionError(f"报送文件与数据文件不能是同一个文件（{out}）。")
    # whole seconds: the time is recorded as text, and verify rebuilds the file from that text
    now = datetime.datetime.now(BEIJING).replace(microsecond=0)
    if result.counts["error"] or result.document is None or result.format_version is None:
        raise SubmissionError("校验未通过（仍有错误），不能生成报送文件。")
    document = canonical_document(result.document)
    sha = digest(document)
    data = package_bytes(document, result.format_version, now, schema_dir)

    def write(tmp: Path) -> None:
        tmp.write_bytes(data)
        again = check_file(tmp, Options(schema_dir=schema_dir))
        if again.counts["error"] or again.document is None or digest(again.document) != sha:
            raise SubmissionError("内部错误：报送文件重新读取后与校验数据不一致，未写入。")
        if not check_package(tmp, schema_dir).ok:
            raise SubmissionError("内部错误：报送文件未通过逐部件核对，未写入。")

    atomic_write(out, write, suffix=".xlsx")
    json_path = None
    if json_out:
        json_path = write_bytes_atomic(json_out, canonical_bytes(document))
    return Submission(out, document, sha, now.isoformat(timespec="seconds"), json_path)


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """The two paths name one file (links and case-insensitive file systems included), existing or not."""
    try:
        if os.path.exists(a) and os.path.exists(b):
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def verify(path: str | os.PathLike, schema_dir: str | None = None) -> PackageCheck:
    """The submission compared part by part with the one gkreport writes for the data embedded in it."""
    return check_package(path, schema_dir)
