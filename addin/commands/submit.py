"""`gkreport submit`: write the clean submission workbook (and data JSON) from a report without errors."""
from __future__ import annotations

import argparse
import sys

from addin.batch import DEFAULT_TIMEOUT, CallFailed, call_isolated
from addin.commands import CommandError, usage_error
from addin.pipeline import Options, check_file
from addin.reporters import console
from addin.safe_text import for_terminal
from addin import os_messages
from addin.writing.submission import SubmissionError, same_file, write_submission


def add_parser(sub) -> None:
    p = sub.add_parser("submit", help="生成报送文件（校验无错误后）",
                       description="校验报告工作簿；没有错误时，按官方格式重新生成一份干净的报送文件（只含数值和正文，"
                       "不含批注、标注、公式、宏、外部链接和隐藏工作表），内嵌校验数据并在文档属性中记录其摘要（SHA-256），"
                       "可用 gkreport verify 逐部件核对。有错误时拒绝生成（警告允许）。"
                       "退出码：0 已生成，1 有错误或无法写入，2 用法错误。")
    p.add_argument("path", metavar="FILE", help="已填写的报告工作簿")
    p.add_argument("-o", "--output", required=True, metavar="OUT.xlsx", help="报送文件的输出路径")
    p.add_argument("--json", metavar="OUT.json", help="同时写出规范化的数据文件（JSON，键排序，UTF-8）")
    p.add_argument("--schema-dir", metavar="DIR", help=argparse.SUPPRESS)
    p.set_defaults(run=run)



def run(args) -> int:
    if not args.output.lower().endswith(".xlsx"):
        raise usage_error("报送文件必须保存为 .xlsx（不含宏的工作簿）。")
    if args.json and same_file(args.output, args.json):
        raise usage_error("-o 与 --json 不能是同一个文件。")
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
    try:
        sub = write_submission(result, args.output, args.json, schema_dir=args.schema_dir)
    except SubmissionError as exc:
        raise CommandError(f"未生成报送文件：{exc}") from exc
    except OSError as exc:
        raise CommandError(f"无法写入报送文件：{os_messages.describe(exc)}（{for_terminal(exc.filename or args.output)}）") from exc
    if result.counts["warning"]:
        print(f"注意：有 {result.counts['warning']} 项警告（见上），已允许生成，请核实。")
    print(f"已生成报送文件：{sub.path}")
    if sub.json_path:
        print(f"已写出数据文件：{sub.json_path}")
    print(f"数据摘要（SHA-256）：{sub.sha256}")
    return 0
