"""`gkreport check`: validate report workbooks and print what is wrong, for people or machines."""
from __future__ import annotations

import argparse
import math
import os

from addin.batch import DEFAULT_TIMEOUT
from addin.check_run import CheckRun, CheckSettings
from addin.commands import usage_error

# Options that make a run a batch (a progress bar, always worker processes), besides folders and patterns.
BATCH_OPTIONS = ("workers", "summary", "jsonl", "resume", "timeout", "previous", "previous_dir", "dask")


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
    g = p.add_argument_group("批量校验")
    g.add_argument("--workers", type=int, metavar="N", help="并行进程数（默认：全部 CPU 核心；1 表示在本进程内依次校验）")
    g.add_argument("--summary", metavar="汇总.xlsx", help="写出汇总工作簿（汇总、问题清单、规则统计、合计）")
    g.add_argument("--jsonl", metavar="FILE", help="每校验完一个文件即追加一行 JSON 结果")
    g.add_argument("--resume", action="store_true", help="跳过 --jsonl 中已记录且内容未变的文件")
    g.add_argument("--timeout", type=float, default=None, metavar="秒", help="单个文件的校验时限（默认 60 秒）")
    g.add_argument("--previous", metavar="FILE", help="上一年度的报告，用于跨年度核对（XY-01 等）")
    g.add_argument("--previous-dir", metavar="DIR", help="上一年度报告所在文件夹，按单位名称与本年度报告配对")
    g.add_argument("--dask", metavar="ADDRESS", help="在已有的 Dask 集群上校验（需安装 gkreport[dask]）")
    p.set_defaults(run=run)


def settings_from_args(args) -> CheckSettings:
    """The parsed arguments as settings, or a usage error (exit status 2) for options that do not fit together."""
    if args.resume and not args.jsonl:
        raise usage_error("--resume 需要同时指定 --jsonl。")
    if args.previous and args.previous_dir:
        raise usage_error("--previous 与 --previous-dir 只能指定一个。")
    if args.out_dir and not args.annotate:
        raise usage_error("--out-dir 只能与 --annotate 一起使用。")
    if args.workers is not None and args.workers < 1:
        raise usage_error("--workers 至少为 1。")
    timeout = args.timeout if args.timeout is not None else DEFAULT_TIMEOUT
    if not math.isfinite(timeout) or timeout <= 0:   # nan compares false with everything: no file would time out
        raise usage_error("--timeout 应为大于 0 的秒数。")
    many = any(getattr(args, k) for k in BATCH_OPTIONS) or \
        any(os.path.isdir(p) or (not os.path.exists(p) and any(c in p for c in "*?[")) for p in args.paths)
    return CheckSettings(paths=list(args.paths), json=args.json, lenient=args.lenient, verbose=args.verbose,
                         annotate=args.annotate, out_dir=args.out_dir, schema_dir=args.schema_dir, workers=args.workers,
                         summary=args.summary, jsonl=args.jsonl, resume=args.resume, timeout=timeout,
                         previous=args.previous, previous_dir=args.previous_dir, dask=args.dask, many=many)


def run(args) -> int:
    return CheckRun(settings_from_args(args)).run()
