"""The one value type for everything the validator reports about a workbook."""
from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

SEVERITIES = ("error", "warning", "info")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
SEVERITY_ZH = {"error": "错误", "warning": "警告", "info": "提示"}
# What a finding is about: a defect of the report itself, or a doubt of the reading (the tool could not read,
# place or compare something; the report may be right, a person checks the original). Defects come first.
REPORT, READING = "report", "reading"
KINDS = (REPORT, READING)
KIND_ZH = {REPORT: "报告问题", READING: "读取存疑"}

# how the doubts of the reading are introduced wherever they are listed apart (results sheet, console, feedback)
READING_HEADING = "以下内容工具未能确定，请人工核对"


def kinds_text(kinds) -> str:
    """The kinds a code was raised as, in words and in KINDS order («报告问题、读取存疑»)."""
    return "、".join(KIND_ZH[k] for k in KINDS if k in kinds)


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem or notice: a stable code, its severity, its kind, a Chinese message and where it is."""

    code: str
    severity: str
    message: str
    pointer: str | None = None
    sheet: str | None = None
    cell: str | None = None
    expected: Any = None
    actual: Any = None
    kind: str = REPORT    # from the catalogue entry (and its variant) when made: catalogue.make

    def at(self, sheet: str | None, cell: str | None) -> "Finding":
        return replace(self, sheet=sheet, cell=cell)

    def sort_key(self) -> tuple:
        return (SEVERITY_RANK[self.severity], self.sheet or "", _cell_order(self.cell), self.code)

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity,
            "sheet": self.sheet,
            "cell": self.cell,
            "pointer": self.pointer,
            "kind": self.kind,
            "message": self.message,
            "expected": _jsonable(self.expected),
            "actual": _jsonable(self.actual),
        }


def _cell_order(cell: str | None) -> tuple:
    """Sort A1 references by row, then column ("B10" after "C9")."""
    if not cell:
        return (0, 0)
    letters = cell.rstrip("0123456789")
    digits = cell[len(letters):]
    col = 0
    for ch in letters:
        col = col * 26 + (ord(ch) - 64)
    return (int(digits) if digits else 0, col)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (int, float, str, bool, Decimal)):
        return value
    return str(value)
