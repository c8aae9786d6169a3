"""The batch's collection step: options, the roster, then the collection of all results and its outputs."""
from __future__ import annotations

import datetime
import os
import sys
from dataclasses import dataclass
from typing import TextIO

from addin.collection import BASES, CollectionView, Received, RosterError, RosterUnit, build, read_roster, receive

LOCK_REASON = "Office 临时锁文件（~$ 开头），不是报告"


def add_arguments(g) -> None:
    g.add_argument("--roster", metavar="名单", help="应报单位名单（.xlsx/.csv/.txt：每行一个单位，可带上级单位、类别、"
                                                   "联系人、别名列），用于找出未报送、重复报送和名单外的单位")
    g.add_argument("--year", type=int, metavar="YYYY", help="本次收集的报告年度：其他年度的报告按错误处理")
    g.add_argument("--totals", choices=BASES, default="balanced",
                   help="合计口径：passed 只计校验通过的报告；balanced（默认）计表格数值和勾稽关系无误的报告，"
                        "不论正文问题；readable 计能读出表格的全部报告")
    g.add_argument("--totals-out", metavar="合计.xlsx", help="另存合计工作簿（官方表二、表三、表四格式）")
    g.add_argument("--feedback-dir", metavar="DIR", help="每个需要修改的单位写一份退回意见（.txt），另写催报名单")
    g.add_argument("--quiet", action="store_true", help="只输出最后的汇总表（未通过、未报送、重复的单位）")


def wanted(args) -> bool:
    return any(getattr(args, k, None) for k in ("roster", "year", "totals_out", "feedback_dir", "quiet"))


class UsageError(Exception):
    """A collection option that cannot be used (the roster unreadable, a year out of range); exit status 2."""


@dataclass
class Setup:
    roster: list[RosterUnit] | None
    roster_path: str | None
    started: datetime.datetime
    command: str


def prepare(args, argv: list[str] | None = None) -> Setup:
    roster = None
    if args.roster:
        try:
            roster = read_roster(args.roster)
        except RosterError as exc:
            raise UsageError(str(exc)) from exc
    if args.year is not None and not 2000 <= args.year <= 2100:
        raise UsageError(f"--year 应为四位年份，收到的是 {args.year}。")
    command = "gkreport " + " ".join(_quoted(a) for a in (argv if argv is not None else sys.argv[1:]))
    return Setup(roster, args.roster, datetime.datetime.now().astimezone(), command)


def _quoted(arg: str) -> str:
    return f'"{arg}"' if any(c.isspace() for c in arg) else arg


def received_files(results, not_checked: list[str]) -> list[Received]:
    """Every file: the checked ones with their result, the others (not a kind the reader knows) without."""
    return [receive(r.path, r) for r in results] + [receive(p, None) for p in not_checked]


def finish(args, setup: Setup, received: list[Received], previous=None, locks=(), options=None, documents=None,
           unmatched=()) -> CollectionView:
    """Build the collection and write what was asked: the summary workbook, the totals workbook, feedback files.
    `documents` streams (path, data document) when the results in memory were slimmed (see collection.build)."""
    formats = options.formats() if options is not None else None
    view = build(args.year, setup.roster, received, args.totals, formats, documents)
    skipped = [(p, LOCK_REASON) for p in locks]
    if args.summary:
        from addin.writing.collection_book import write_book

        write_book(args.summary, view, command=setup.command, roster_path=setup.roster_path, skipped=skipped,
                   formats=formats, when=setup.started, previous=previous, documents=documents, unmatched=unmatched)
    if args.totals_out:
        from addin.writing.collection_book import write_totals

        write_totals(args.totals_out, view, formats)
    if args.feedback_dir:
        from addin.writing.feedback import write_feedback

        write_feedback(args.feedback_dir, view)
    return view


def all_passed(view: CollectionView) -> bool:
    """The run's exit status 0: every unit's current report passed, none missing, no unreadable stray file
    (superseded versions and files that are not reports do not count against it)."""
    return all(u.status == "passed" for u in view.units) and \
        not any(f.unit is None and f.status in ("failed", "unreadable", "timeout") for f in view.files)


def write_outputs_note(args, view: CollectionView, out: TextIO) -> None:
    """Where the collection's files went (after the closing table)."""
    if args.summary:
        out.write(f"汇总工作簿已写入：{args.summary}\n")
    if args.totals_out:
        out.write(f"合计工作簿已写入：{args.totals_out}\n")
    if args.feedback_dir:
        out.write(f"退回意见已写入：{os.path.join(args.feedback_dir, '')}（{len(view.feedback)} 个单位"
                  + ("，另有催报名单" if view.reminders else "") + "）\n")
