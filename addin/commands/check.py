"""`gkreport check`: validate report workbooks and print what is wrong, for people or machines."""
from __future__ import annotations

import argparse
import sys


def add_parser(sub) -> None:
    p = sub.add_parser("check", help="校验报告工作簿",
                       description="校验一个或多个年度报告工作簿（.xlsx/.xlsm/.xls/.ods），可以是文件、文件夹或通配符。"
                       "退出码：0 全部通过（允许有警告和提示），1 有文件未通过或无法读取，2 用法错误。")
    p.add_argument("paths", nargs="+", metavar="PATH", help="要校验的工作簿、文件夹（含子文件夹）或通配符")
    p.add_argument("--json", action="store_true", help="以 JSON 格式输出到标准输出")
    p.add_argument("--lenient", action="store_true", help="宽松模式：空白或占位符按 0 处理，只给出警告")
    p.add_argument("--verbose", action="store_true", help="逐条列出所有提示")
    p.add_argument("--annotate", action="store_true",
                   help="生成标注副本“<文件名>.校验.xlsx”：问题单元格着色并加批注，首页为“校验结果”工作表；原文件不会被修改")
    p.add_argument("--out-dir", metavar="DIR", help="标注副本的存放目录（默认与原文件相同）")
    p.add_argument("--schema-dir", metavar="DIR", help=argparse.SUPPRESS)
    from addin import batch_cli

    batch_cli.add_arguments(p)
    p.set_defaults(run=run)



def _annotate(result, path, copies, out) -> bool:
    from addin.reporters.annotate import AnnotateError, annotate

    try:
        folder = copies.folder(path)
        if copies.out_dir:
            import os

            os.makedirs(folder, exist_ok=True)
        outcome = annotate(result, path, folder, copies.stem(path))
    except AnnotateError as exc:
        out.write(f"  {exc}\n")
        return False
    except OSError as exc:
        out.write(f"  无法写入标注副本：{exc}\n")
        return False
    out.write(f"  {outcome.message()}\n\n")
    return True


def run(args) -> int:
    from addin import batch_cli

    if batch_cli.wanted(args):
        return batch_cli.run(args)
    from addin.batch import DEFAULT_TIMEOUT, can_isolate_cheaply, run_in_process, run_isolated
    from addin.pipeline import Options
    from addin.reporters import console, json_report

    if args.out_dir and not args.annotate:
        print("用法错误：--out-dir 只能与 --annotate 一起使用。", file=sys.stderr)
        return 2
    options = Options(lenient=args.lenient, schema_dir=args.schema_dir)
    results = []
    annotated_ok = True
    if args.annotate:
        from addin.reporters.annotate import BatchCopies

        # the same output names as in a batch run, so two inputs never write one copy
        copies = BatchCopies.plan(list(args.paths), args.out_dir)

    def on_result(index: int, result) -> None:
        nonlocal annotated_ok
        results.append(result)
        if not args.json:
            console.write_result(result, sys.stdout, verbose=args.verbose)
        if args.annotate:
            # With --json, stdout carries only the JSON document.
            annotated_ok &= _annotate(result, args.paths[index], copies, sys.stderr if args.json else sys.stdout)

    # One by one, in a forked copy of this process where forking is cheap (Linux): a file that aborts the
    # reader (calamine allocating what a hostile .xls asks for) then gives FILE-09 instead of ending the
    # command. Elsewhere in this process (a fresh interpreter would double the wait), where a hang is
    # still cut off after the time limit.
    if can_isolate_cheaply():
        run_isolated(list(args.paths), options, 1, DEFAULT_TIMEOUT, on_result)
    else:
        run_in_process(list(args.paths), options, DEFAULT_TIMEOUT, on_result)
    if args.json:
        sys.stdout.write(json_report.run_document(results) + "\n")
    else:
        console.write_summary(results, sys.stdout)
    # A requested copy that could not be written is a failure even when every file passed.
    return 0 if all(r.ok for r in results) and annotated_ok else 1
