"""A collection's state from its rows: unit statuses, feedback and reminder texts, the roster.

Stand-in until the collection model (addin/collection.py) is on main: `unit_rows` is the one function
the dashboard calls, and it will call collection.build instead."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from addin.validation.cross_year import unit_key

NOT_RECEIVED, FAILED, PASSED, SUBMITTED = "未报送", "未通过", "已通过", "已报送"
STATUSES = (NOT_RECEIVED, FAILED, PASSED, SUBMITTED)
ROSTER_COLUMNS = ("name", "parent", "category", "contact")
MAX_FEEDBACK_ITEMS = 20


@dataclass(frozen=True)
class RosterUnit:
    name: str
    parent: str = ""
    category: str = ""
    contact: str = ""


def parse_roster_text(text: str) -> list[RosterUnit]:
    """One unit a line: 名称[, 上级单位[, 类别[, 联系人]]] separated by tabs or commas (as pasted from a
    spreadsheet); a header line starting with 单位 is skipped; a unit named twice is kept once."""
    out, seen = [], set()
    for line in text.splitlines():
        parts = [p.strip() for p in re.split(r"\t|,|，", line)]
        if not parts or not parts[0] or parts[0] in ("单位", "单位名称", "名称"):
            continue
        key = unit_key(parts[0])
        if key in seen:
            continue
        seen.add(key)
        parts += [""] * (4 - len(parts))
        out.append(RosterUnit(*parts[:4]))
    return out


@dataclass
class UnitRow:
    unit: object                      # the db Unit
    status: str
    at: dt.datetime | None = None     # time of the check or submission the status comes from
    versions: int = 0
    latest: dict | None = None        # the result the status comes from
    feedback: str = ""
    errors: int = 0
    warnings: int = 0
    findings: list = field(default_factory=list)


def unit_rows(units, checks_by_unit: dict, submissions_by_unit: dict, year: int, local) -> list[UnitRow]:
    """Status of each unit: 已报送 once a version was submitted; else from its latest check through its link
    (未通过 with errors, 已通过 without); 未报送 when nothing came in. `local` formats a time for people."""
    rows = []
    for u in units:
        subs = submissions_by_unit.get(u.id, [])
        checks = checks_by_unit.get(u.id, [])
        if subs:
            s = subs[-1]
            row = UnitRow(u, SUBMITTED, s.submitted_at, len(subs), s.result)
        elif checks:
            c = checks[-1]
            row = UnitRow(u, FAILED if c.status != "passed" else PASSED, c.created_at, 0, c.result)
        else:
            row = UnitRow(u, NOT_RECEIVED)
        if row.latest:
            counts = row.latest.get("counts", {})
            row.errors, row.warnings = counts.get("error", 0), counts.get("warning", 0)
            row.findings = row.latest.get("findings", [])
        row.feedback = feedback(row, year, local)
        rows.append(row)
    return rows


def feedback(row: UnitRow, year: int, local) -> str:
    """The text to send the unit, ready to copy."""
    name = row.unit.name
    if row.status == SUBMITTED:
        return (f"{name}：已收到贵单位报送的{year}年政府信息公开工作年度报告（第 {row.versions} 版，"
                f"{local(row.at)}），校验通过。谢谢！")
    if row.status == NOT_RECEIVED:
        return (f"{name}：尚未收到贵单位的{year}年政府信息公开工作年度报告。请通过报送链接上传报告，"
                f"校验无误后点击“提交”。谢谢！")
    if row.status == PASSED:
        return (f"{name}：贵单位{local(row.at)}上传的报告已校验通过，但尚未点击“提交”。"
                f"请打开报送链接重新上传并提交。谢谢！")
    errors = [f for f in row.findings if f.get("severity") == "error"]
    lines = [f"{name}：贵单位{local(row.at)}上传的报告校验未通过，有 {len(errors)} 处错误，请改正后重新报送："]
    for i, f in enumerate(errors[:MAX_FEEDBACK_ITEMS], 1):
        where = f"{f['sheet']}!{f['cell']} " if f.get("sheet") and f.get("cell") else ""
        lines.append(f"{i}. {where}{f['message']}")
    if len(errors) > MAX_FEEDBACK_ITEMS:
        lines.append(f"……另有 {len(errors) - MAX_FEEDBACK_ITEMS} 处，详见标注副本。")
    return "\n".join(lines)
