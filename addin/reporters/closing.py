"""The closing table of a batch for the terminal: who failed, who is missing, what was duplicated or not on the roster."""
from __future__ import annotations

from pathlib import Path
from typing import TextIO

from addin.collection import BASIS_ZH, STATUS_ZH, CollectionView, main_problems

# the groups a collector acts on, in this order
GROUPS = ("failed", "unreadable", "timeout", "missing")
MAX_LINES = 200   # per group; the summary workbook has them all


def write_closing(view: CollectionView, out: TextIO) -> None:
    counts = view.unit_counts()
    listed = [u for u in view.units if u.listed]
    scope = f"名单 {view.roster_size} 个单位" if view.roster_size else f"收到 {len(view.units)} 个单位的报告"
    parts = "，".join(f"{STATUS_ZH[s]} {counts[s]}" for s in ("passed",) + GROUPS if counts[s])
    year = f"{view.year}年度，" if view.year else ""
    out.write(f"\n{year}{scope}：{parts or '无'}。\n")
    units = listed if view.roster_size else list(view.units)
    for status in GROUPS:
        group = [u for u in units if u.status == status]
        if not group:
            continue
        out.write(f"{STATUS_ZH[status]}（{len(group)}）：\n")
        for u in group[:MAX_LINES]:
            detail = main_problems(u, limit=1)
            errors = f"错误 {u.result.counts['error']} 项　" if u.result and status == "failed" else ""
            out.write(f"  {u.unit}　{errors}{detail}\n".rstrip() + "\n")
        if len(group) > MAX_LINES:
            out.write(f"  ……等 {len(group)} 个单位，见汇总工作簿。\n")
    duplicates = [u for u in view.units if u.superseded]
    if duplicates:
        out.write(f"重复报送（{len(duplicates)} 个单位，只计最新的一份）：\n")
        for u in duplicates[:MAX_LINES]:
            old = "、".join(Path(f.path).name for f in u.superseded)
            out.write(f"  {u.unit}：采用 {Path(u.current.path).name}，不计 {old}\n")
    if view.unlisted:
        title = "不在名单中的文件" if view.roster_size else "未能识别单位的文件"
        out.write(f"{title}（{len(view.unlisted)}）：\n")
        for f in view.unlisted[:MAX_LINES]:
            out.write(f"  {f.unit or '（未识别单位）'}　{f.path}　{STATUS_ZH[f.status]}\n")
    t = view.totals
    out.write(f"合计：纳入 {len(t.included)} 个单位（{BASIS_ZH[t.basis]}），未纳入 {len(t.excluded)} 个。\n")
