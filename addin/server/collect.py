"""A collection's state through the collection model (addin/collection.py): statuses, feedback and reminder
texts, totals; the service adds only what its links know and a folder does not (已报送, the unit of a file)."""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

from addin import collection as model
from addin.result import FileResult

NOT_RECEIVED, FAILED, PASSED, SUBMITTED = "未报送", "未通过", "已通过", "已报送"
STATUSES = (NOT_RECEIVED, FAILED, PASSED, SUBMITTED)
TOTALS_BASIS = "balanced"   # the command line's default (check --summary)

RosterUnit = model.RosterUnit
RosterError = model.RosterError
parse_roster_text = model.parse_roster_text
year_on_year = model.year_on_year


def roster_of(units) -> list[RosterUnit]:
    return [RosterUnit(u.name, u.parent or None, u.category or None, u.contact or None) for u in units]


def _received(unit, record: dict, at: dt.datetime, name: str) -> model.Received:
    """A stored check as a file the collection received from `unit`: its unit is the link's, not the name
    typed in the file (which may differ from the roster), and its name carries the unit for unreadable files."""
    result = dataclasses.replace(FileResult.from_dict(record), unit=unit.name, path=name)
    return model.Received(name, result, at.replace(tzinfo=dt.timezone.utc), model.REPORT)


def submissions_view(collection, units, submissions_by_unit) -> model.CollectionView:
    """The collection of the current submitted versions (what the totals and the summary workbook are of)."""
    received = []
    for u in units:
        if submissions_by_unit.get(u.id):
            s = submissions_by_unit[u.id][-1]
            received.append(_received(u, s.result, s.submitted_at, f"{u.name}-第{s.version}版{s.file_key[64:]}"))
    return model.build(collection.year, roster_of(units), received, TOTALS_BASIS)


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
    """Status of each unit: 已报送 once a version was submitted; else the collection model's status of what came
    in through its link (passed: 已通过, failed/unreadable/timeout: 未通过, missing: 未报送)."""
    received, records = [], {}
    for u in units:
        for c in checks_by_unit.get(u.id, []):
            name = f"{u.name}-{c.id}{c.file_key[64:]}"
            received.append(_received(u, c.result, c.created_at, name))
            records[name] = c
    view = model.build(year, roster_of(units), received, TOTALS_BASIS)
    by_unit = {v.unit: v for v in view.units}
    rows = []
    for u in units:
        v = by_unit.get(u.name)
        subs = submissions_by_unit.get(u.id, [])
        if subs:
            row = UnitRow(u, SUBMITTED, subs[-1].submitted_at, len(subs), subs[-1].result)
        elif v is not None and v.current is not None:
            c = records[v.current.path]
            row = UnitRow(u, PASSED if v.status == model.PASSED else FAILED, c.created_at, 0, c.result)
        else:
            row = UnitRow(u, NOT_RECEIVED)
        if row.latest:
            counts = row.latest.get("counts", {})
            row.errors, row.warnings = counts.get("error", 0), counts.get("warning", 0)
            row.findings = row.latest.get("findings", [])
        row.feedback = _feedback(row, view.feedback.get(u.name), year, local)
        rows.append(row)
    return rows


def _feedback(row: UnitRow, model_text: str | None, year: int, local) -> str:
    """The text to send the unit, ready to copy: the model's 退回意见 for a report to correct, else ours."""
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
    return f"{name}：{model_text}" if model_text else f"{name}：贵单位上传的报告校验未通过，请改正后重新报送。"
