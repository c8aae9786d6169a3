"""`gkreport submit`: write the clean submission workbook (and data JSON) from a report without errors."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from addin.batch import DEFAULT_TIMEOUT, CallFailed, call_isolated
from addin.commands import CommandError, usage_error
from addin.formats import available_formats
from addin.os_messages import describe
from addin.pipeline import Options, check_file
from addin.reporters import console
from addin.safe_text import for_terminal
from addin.writing.docx_report import write_docx
from addin.writing.submission import SubmissionError, default_name, same_file, write_submission


def add_parser(sub) -> None:
    p = sub.add_parser("submit", help="生成报送文件（校验无错误后）",
                       description="校验报告工作簿；没有错误时，按官方格式重新生成一份干净的报送文件（只含数值和正文，"
                       "不含批注、标注、公式、宏、外部链接和隐藏工作表），内嵌校验数据并在文档属性中记录其摘要（SHA-256），"
                       "可用 gkreport verify 逐部件核对。有错误时拒绝生成（警告允许）。"
                       "退出码：0 已生成，1 有错误或无法写入，2 用法错误。")
    p.add_argument("path", metavar="FILE", help="已填写的报告工作簿")
    p.add_argument("-o", "--output", metavar="OUT.xlsx",
                   help="报送文件的输出路径或文件夹（默认：与 FILE 同一文件夹，"
                        "文件名“<单位名称><年度>年政府信息公开工作年度报告.xlsx”）")
    p.add_argument("--json", metavar="OUT.json", help="同时写出规范化的数据文件（JSON，键排序，UTF-8）")
    p.add_argument("--docx", metavar="报告.docx",
                   help="同时写出可公开发布的报告（Word 文档）：标题，一至六部分按官方顺序，三张表格按官方表头")
    p.add_argument("--schema-dir", metavar="DIR", help=argparse.SUPPRESS)
    p.set_defaults(run=run)



# option -> the extension its file must have: a name that says otherwise is refused, not written under it
_SUFFIXES = (("output", ".xlsx", "报送文件"), ("json", ".json", "数据文件"), ("docx", ".docx", "报告文档"))


def _is_folder(value: str) -> bool:
    return os.path.isdir(value) or value.endswith(("/", os.sep))


def _check_names(args) -> None:
    for option, suffix, what in _SUFFIXES:
        value = getattr(args, option)
        if value and not _is_folder(value) and not value.lower().endswith(suffix):
            shown = "-o" if option == "output" else f"--{option}"
            raise usage_error(f"{what}（{shown} {value}）必须以 {suffix} 结尾。")


def output_path(args, result) -> Path:
    """-o as given; a folder (or no -o: the input's folder) gets the report's standard file name."""
    if args.output and not _is_folder(args.output):
        return Path(args.output)
    folder = Path(args.output) if args.output else Path(args.path).parent
    fmt = available_formats(args.schema_dir)[result.format_version]
    return folder / default_name(fmt, result.unit, result.report_year)


def run(args) -> int:
    _check_names(args)
    given = [v for v in (args.output, args.json, args.docx) if v and not _is_folder(v)]
    if any(same_file(a, b) for i, a in enumerate(given) for b in given[i + 1:]):
        raise usage_error("-o、--json、--docx 不能是同一个文件。")
    # Always strict: lenient mode turns blanks into warnings, which a submission must not hide.
    # the input is read as in `check`: in a process of its own, under the same time limit
    try:
        result = call_isolated(check_file, (args.path, Options(lenient=False, schema_dir=args.schema_dir)), DEFAULT_TIMEOUT)
    except CallFailed as exc:
        raise CommandError(f"未生成报送文件：校验 {for_terminal(args.path)} 时{exc}。") from exc
    console.write_result(result, sys.stdout)
    if not result.ok:
        print(f"未生成报送文件：校验未通过（错误 {result.counts['error']} 项），请改正上述错误后重试。")
        return 1
    target = output_path(args, result)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        sub = write_submission(result, target, args.json, schema_dir=args.schema_dir)
        docx = None
        if args.docx:
            docx = write_docx(args.docx, available_formats(args.schema_dir)[result.format_version], sub.document)
    except SubmissionError as exc:
        raise CommandError(f"未生成报送文件：{exc}") from exc
    except OSError as exc:
        raise CommandError(f"无法写入 {for_terminal(str(exc.filename or target))}：{describe(exc)}。") from exc
    if result.counts["warning"]:
        print(f"注意：有 {result.counts['warning']} 项警告（见上），已允许生成，请核实。")
    print(f"已生成报送文件：{sub.path}")
    if sub.json_path:
        print(f"已写出数据文件：{sub.json_path}")
    if docx:
        print(f"已写出报告文档：{docx}")
    print(f"数据摘要（SHA-256）：{sub.sha256}")
    print(f"校验时间：{sub.validated_at}（北京时间）")
    return 0
