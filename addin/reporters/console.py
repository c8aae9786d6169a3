"""Human-readable Chinese report of check results for the terminal."""
from __future__ import annotations

import sys
from collections import defaultdict
from typing import TextIO

from addin.catalogue import CATALOGUE
from addin.findings import KIND_ZH, READING, READING_HEADING, SEVERITY_ZH
from addin.reporters import closing
from addin.reporters.base import Reporter, RunEnd
from addin.result import FAILED, PASSED, STATUS_ZH, TIMED_OUT, UNREADABLE, FileResult
from addin.safe_text import for_terminal

GROUP_INFOS_OVER = 3   # more infos of one code than this are shown as one summary line


def _location(f) -> str:
    if f.sheet and f.cell:
        return for_terminal(f"{f.sheet}!{f.cell}")
    return for_terminal(f.sheet) if f.sheet else "（整个文件）"   # workbook or document alike


def write_result(result: FileResult, out: TextIO, verbose: bool = False) -> None:
    c = result.counts
    # names and texts from the input are shown with control characters escaped: a newline in a file
    # name would forge a line, an escape sequence in a unit name would drive the terminal
    out.write(f"文件：{for_terminal(result.path)}\n")
    if result.status != UNREADABLE:
        fmt = f"{result.format_version}版" if result.format_version else "未识别"
        out.write(f"  单位：{for_terminal(result.unit) if result.unit else '（未填写）'}　年度：{result.report_year or '（未填写）'}　格式：{fmt}\n")
    doubts = [f for f in result.findings if f.kind == READING]
    out.write(f"  结果：{STATUS_ZH[result.status]}（错误 {c['error']} 项，警告 {c['warning']} 项，提示 {c['info']} 项"
              + (f"；其中读取存疑 {len(doubts)} 项" if doubts else "") + "）\n")
    _write_findings([f for f in result.findings if f.kind != READING], out, verbose)
    if doubts:
        out.write(f"  读取存疑 {len(doubts)} 项，{READING_HEADING}（不一定是报告的问题）：\n")
        _write_findings(doubts, out, verbose, tag=f"[{KIND_ZH[READING]}]")
    blocked = result.not_evaluated_rules(waiting_for_previous=False)
    if blocked:
        count = sum(not n.waits_for_previous for n in result.not_evaluated)
        out.write(f"  说明：{count} 项勾稽关系（{'、'.join(blocked)}）因相关单元格不是数字而未能核对，请先改正上述数值问题。\n")
    if result.rules_held:
        out.write(f"  勾稽关系核对无误：{'、'.join(result.rules_held)}。\n")
    cross = result.not_evaluated_rules(waiting_for_previous=True)
    if cross:
        out.write(f"  说明：跨年度核对（{'、'.join(cross)}）需要上一年度的报告，本次未核对"
                  f"（单个文件用 --previous 指定，批量用 --previous-dir）。\n")
    out.write("\n")


def _write_findings(findings: list, out: TextIO, verbose: bool, tag: str = "") -> None:
    """One line a finding; more than GROUP_INFOS_OVER infos of one code as one line (unless verbose)."""
    by_code = defaultdict(list)
    for f in findings:
        if f.severity == "info" and not verbose:
            by_code[f.code].append(f)
    grouped = {code for code, items in by_code.items() if len(items) > GROUP_INFOS_OVER}
    for f in findings:
        if f.code in grouped and f.severity == "info" and not verbose:
            continue
        out.write(f"  [{SEVERITY_ZH[f.severity]}]{tag} {_location(f)}  {f.code}  {for_terminal(f.message)}\n")
    for code in sorted(grouped):
        items = by_code[code]
        places = "、".join(_location(f) for f in items[:5])
        more = f" 等 {len(items)} 处" if len(items) > 5 else ""
        out.write(f"  [提示]{tag} {code}  {CATALOGUE[code].title}：{places}{more}（共 {len(items)} 处，加 --verbose 逐条列出）\n")


def write_summary(results: list[FileResult], out: TextIO) -> None:
    if len(results) < 2:
        return
    n = {s: sum(1 for r in results if r.status == s) for s in STATUS_ZH}
    out.write(f"共校验 {len(results)} 个文件：通过 {n[PASSED]}，未通过 {n[FAILED]}，无法读取 {n[UNREADABLE]}"
              + (f"，超时 {n[TIMED_OUT]}" if n[TIMED_OUT] else "") + "。\n")


class ConsoleReporter(Reporter):
    """Each file's findings as it is done, what the copy step said, then the run's totals and notes."""

    def __init__(self, settings, out: TextIO | None = None) -> None:
        super().__init__(settings)
        self.out = out or sys.stdout

    def file_done(self, index: int, result: FileResult) -> None:
        s = self.settings
        if s.quiet:
            return
        if s.many and s.file_count > 1 and not s.verbose:
            # a batch: one line a file; the findings are in the summary workbook, or with --verbose here
            closing.write_file_line(result, self.out)
            return
        write_result(result, self.out, verbose=s.verbose)
        if result.annotated_note:
            self.out.write(f"  {for_terminal(result.annotated_note)}\n\n")

    def finish(self, end: RunEnd) -> None:
        if not self.settings.quiet:
            self._notes(end)
        if end.collection is not None:
            closing.write_closing(end.collection, self.out)
        self._outputs(end)

    def _notes(self, end: RunEnd) -> None:
        out = self.out
        write_summary(end.results, out)
        if end.own_outputs:
            out.write(f"已跳过此前生成的标注副本 {end.own_outputs} 个。\n")
        if end.locks_skipped:
            out.write(f"已跳过 Office 锁文件（~$ 开头）{end.locks_skipped} 个。\n")
        if end.resumed:
            out.write(f"其中 {end.resumed} 个文件内容未变，沿用 {self.settings.jsonl} 中的结果。\n")
        if end.unmatched:
            names = "、".join(f"{r.unit or '（未填写单位）'}（{r.path}）" for r in end.unmatched[:20])
            more = f" 等 {len(end.unmatched)} 个" if len(end.unmatched) > 20 else ""
            out.write(f"未找到上一年度报告的单位：{names}{more}。\n")

    def _outputs(self, end: RunEnd) -> None:
        s, out = self.settings, self.out
        if s.summary:
            out.write(f"汇总工作簿已写入：{s.summary}\n")
        if s.totals_out:
            out.write(f"合计工作簿已写入：{s.totals_out}\n")
        if s.feedback_dir and end.collection is not None:
            view = end.collection
            out.write(f"退回意见已写入：{s.feedback_dir}（{len(view.feedback)} 个单位"
                      + ("，另有催报名单" if view.reminders else "") + "）\n")
