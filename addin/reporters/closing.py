"""The closing table of a batch for the terminal: who failed, who is missing, what was duplicated or not on the roster."""
from __future__ import annotations

from pathlib import Path
from typing import TextIO

from addin.collection import BASIS_ZH, STATUS_ZH, CollectionView, doubt_count, is_output_finding, main_problems, report_counts
from addin.result import STATUS_ZH as FILE_STATUS_ZH

# the groups a collector acts on, in this order
GROUPS = ("failed", "unreadable", "timeout", "missing")
MAX_LINES = 200   # per group; the summary workbook has them all


def write_file_line(result, out: TextIO) -> None:
    """A batch's line per file: status, counts, path (the findings are in the summary workbook or --verbose);
    then where its marked copy went, or why it could not be written (the tool's problem, not the unit's)."""
    c = report_counts(result)
    status = FILE_STATUS_ZH.get(result.status, result.status)
    doubts = doubt_count(result)
    out.write(f"{status}　错误 {c['error']}　警告 {c['warning']}　" + (f"读取存疑 {doubts}　" if doubts else "") + f"{result.path}\n")
    if result.annotated_note:
        out.write(f"  {result.annotated_note}\n")
    for f in result.findings:
        if is_output_finding(f):
            out.write(f"  {f.code}  {f.message}\n")


def write_closing(view: CollectionView, out: TextIO) -> None:
    counts = view.unit_counts()
    listed = [u for u in view.units if u.listed]
    scope = f"名单 {view.roster_size} 个单位" if view.roster_size else f"收到 {len(view.units)} 个单位的报告"
    parts = "，".join(f"{STATUS_ZH[s]} {counts[s]}" for s in ("passed",) + GROUPS if counts[s])
    year = f"{view.year}年度，" if view.year else ""
    other = f"；另有其他年度的报告 {len(view.other_years)} 份" if view.other_years else ""
    out.write(f"\n{year}{scope}：{parts or '无'}{other}。\n")
    units = listed if view.roster_size else list(view.units)
    for status in GROUPS:
        group = [u for u in units if u.status == status]
        if not group:
            continue
        out.write(f"{STATUS_ZH[status]}（{len(group)}）：\n")
        for u in group[:MAX_LINES]:
            detail = main_problems(u, limit=1)
            n = report_counts(u.result)["error"] + len(u.problems) if u.result else 0
            doubts = doubt_count(u.result) if status == "failed" else 0
            errors = (f"错误 {n} 项　" if status == "failed" else "") + (f"读取存疑 {doubts} 项　" if doubts else "")
            out.write(f"  {u.unit}　{errors}{detail}\n".rstrip() + "\n")
        if len(group) > MAX_LINES:
            out.write(f"  ……等 {len(group)} 个单位，见汇总工作簿。\n")
    duplicates = [u for u in view.units if u.superseded]
    if duplicates:
        out.write(f"重复报送（{len(duplicates)} 个单位，只计最新的一份）：\n")
        for u in duplicates[:MAX_LINES]:
            old = "、".join(Path(f.path).name for f in u.superseded)
            out.write(f"  {u.unit}：采用 {Path(u.current.path).name}，不计 {old}\n")
    if view.other_years:
        out.write(f"其他年度的报告（{len(view.other_years)} 份，不计入{view.year}年度）：\n")
        for f in view.other_years[:MAX_LINES]:
            out.write(f"  {f.unit or '（未识别单位）'}　{f.result.report_year}年度　{Path(f.path).name}\n")
        if len(view.other_years) > MAX_LINES:
            out.write(f"  ……等 {len(view.other_years)} 份，见汇总工作簿。\n")
    if view.unlisted:
        title = "不在名单中的文件" if view.roster_size else "未能识别单位的文件"
        out.write(f"{title}（{len(view.unlisted)}）：\n")
        for f in view.unlisted[:MAX_LINES]:
            out.write(f"  {f.unit or '（未识别单位）'}　{f.path}　{STATUS_ZH[f.status]}\n")
    t = view.totals
    out.write(f"合计：纳入 {len(t.included)} 个单位（{BASIS_ZH[t.basis]}），未纳入 {len(t.excluded)} 个。\n")
