"""`gkreport check`: validate report workbooks and print what is wrong, for people or machines."""
from __future__ import annotations

import argparse
import math
import os
import sys

from addin.batch import DEFAULT_TIMEOUT, default_workers
from addin.check_run import CheckRun, CheckSettings
from addin.collection import BASES, RosterError, read_roster
from addin.commands import usage_error

# Options that make a run a batch (a progress bar, always worker processes), besides folders and patterns.
BATCH_OPTIONS = ("workers", "summary", "jsonl", "resume", "timeout", "previous", "previous_dir", "dask",
                 "roster", "year", "totals_out", "feedback_dir", "quiet")
YEARS = (2000, 2100)


def add_parser(sub) -> None:
    p = sub.add_parser("check", help="校验报告工作簿",
                       description="校验一个或多个年度报告（Excel/WPS 工作簿、网页、Word 文档、PDF 或纯文本），可以是文件、文件夹或通配符。"
                       "退出码：0 全部通过（允许有警告和提示），1 有文件未通过或无法读取，2 用法错误。")
    p.add_argument("paths", nargs="+", metavar="PATH", help="要校验的报告文件、文件夹（含子文件夹）或通配符")
    p.add_argument("--json", action="store_true", help="以 JSON 格式输出到标准输出")
    p.add_argument("--lenient", action="store_true", help="宽松模式：空白或占位符按 0 处理，只给出警告")
    p.add_argument("--verbose", action="store_true", help="逐条列出所有提示")
    p.add_argument("--annotate", action="store_true",
                   help="生成标注副本“<文件名>.校验.xlsx”：问题单元格着色并加批注，首页为“校验结果”工作表；原文件不会被修改")
    p.add_argument("--out-dir", metavar="DIR", help="标注副本的存放目录（默认与原文件相同）")
    p.add_argument("--schema-dir", metavar="DIR", help=argparse.SUPPRESS)
    g = p.add_argument_group("批量校验")
    g.add_argument("--workers", type=int, metavar="N", help="并行进程数（默认：全部 CPU 核心）；每个文件都在单独的进程中校验，1 表示只用一个这样的进程依次校验")
    g.add_argument("--summary", metavar="汇总.xlsx", help="写出汇总工作簿（汇总、问题清单、规则统计、合计）")
    g.add_argument("--jsonl", metavar="FILE", help="每校验完一个文件即追加一行 JSON 结果")
    g.add_argument("--resume", action="store_true", help="跳过 --jsonl 中已记录且内容未变的文件")
    g.add_argument("--timeout", type=float, default=None, metavar="秒", help="单个文件的校验时限（默认 60 秒）")
    g.add_argument("--previous", metavar="FILE", help="上一年度的报告，用于跨年度核对（XY-01 等）")
    g.add_argument("--previous-dir", metavar="DIR", help="上一年度报告所在文件夹，按单位名称与本年度报告配对")
    g.add_argument("--dask", metavar="ADDRESS", help="在已有的 Dask 集群上校验（需安装 gkreport[dask]）")
    c = p.add_argument_group("收集（应报单位、合计、退回意见）")
    c.add_argument("--roster", metavar="名单", help="应报单位名单（.xlsx/.csv/.txt：每行一个单位，可带上级单位、类别、"
                                                   "联系人、别名列），用于找出未报送、重复报送和名单外的单位")
    c.add_argument("--year", type=int, metavar="YYYY", help="本次收集的报告年度：其他年度的报告按错误处理")
    c.add_argument("--totals", choices=BASES, default="balanced",
                   help="合计口径：passed 只计校验通过的报告；balanced（默认）计表格数值和勾稽关系无误的报告，"
                        "不论正文问题；readable 计能读出表格的全部报告")
    c.add_argument("--totals-out", metavar="合计.xlsx", help="另存合计工作簿（官方表二、表三、表四格式）")
    c.add_argument("--feedback-dir", metavar="DIR", help="每个需要修改的单位写一份退回意见（.txt），另写催报名单")
    c.add_argument("--quiet", action="store_true", help="只输出最后的汇总表（未通过、未报送、重复的单位）")
    p.set_defaults(run=run)


def settings_from_args(args) -> CheckSettings:
    """The parsed arguments as settings, or a usage error (exit status 2) for options that do not fit together."""
    if args.resume and not args.jsonl:
        raise usage_error("--resume 需要同时指定 --jsonl。")
    if args.previous and args.previous_dir:
        raise usage_error("--previous 与 --previous-dir 只能指定一个。")
    # a missing last-year report must not silently turn the cross-year check off
    if args.previous and not os.path.isfile(args.previous):
        raise usage_error(f"--previous 指定的上一年度报告 {args.previous} 不存在（或不是文件）。")
    if args.previous_dir and not os.path.isdir(args.previous_dir):
        raise usage_error(f"--previous-dir 指定的文件夹 {args.previous_dir} 不存在（或不是文件夹）。")
    if args.out_dir and not args.annotate:
        raise usage_error("--out-dir 只能与 --annotate 一起使用。")
    if args.workers is not None and args.workers < 1:
        raise usage_error("--workers 至少为 1。")
    # more worker processes than cores only compete for them (and for memory): --workers 1000 means all cores
    workers = min(args.workers, default_workers()) if args.workers is not None else None
    timeout = args.timeout if args.timeout is not None else DEFAULT_TIMEOUT
    if not math.isfinite(timeout) or timeout <= 0:   # nan compares false with everything: no file would time out
        raise usage_error("--timeout 应为大于 0 的秒数。")
    roster_units = None
    if args.roster:
        try:
            roster_units = read_roster(args.roster)
        except RosterError as exc:
            raise usage_error(str(exc)) from exc
    if args.year is not None and not YEARS[0] <= args.year <= YEARS[1]:
        raise usage_error(f"--year 应为四位年份，收到的是 {args.year}。")
    many = any(getattr(args, k) for k in BATCH_OPTIONS) or \
        any(os.path.isdir(p) or (not os.path.exists(p) and any(c in p for c in "*?[")) for p in args.paths)
    return CheckSettings(paths=list(args.paths), json=args.json, lenient=args.lenient, verbose=args.verbose,
                         annotate=args.annotate, out_dir=args.out_dir, schema_dir=args.schema_dir, workers=workers,
                         summary=args.summary, jsonl=args.jsonl, resume=args.resume, timeout=timeout,
                         previous=args.previous, previous_dir=args.previous_dir, dask=args.dask, many=many,
                         roster=args.roster, roster_units=roster_units, year=args.year, totals=args.totals,
                         totals_out=args.totals_out, feedback_dir=args.feedback_dir, quiet=args.quiet,
                         command=_command_line())


def _command_line() -> str:
    """The command as typed, for the summary's 说明 (arguments with spaces quoted)."""
    return "gkreport " + " ".join(f'"{a}"' if any(ch.isspace() for ch in a) else a for a in sys.argv[1:])


def run(args) -> int:
    return CheckRun(settings_from_args(args)).run()
