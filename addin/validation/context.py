"""What a rule kind is given: the format, the values and texts of the report (and of last year's), and where
its findings go."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Mapping

from addin import catalogue
from addin.findings import Finding
from addin.formats import FormatDef

NUMBER_TYPES = (int, Decimal)
PREVIOUS_REPORT = "/previous"   # cross-year rules point into {"this": ..., "previous": ...}
THIS_REPORT = "/this"


@dataclass(frozen=True)
class Violation:
    rule: str
    binding: dict
    mark: str
    actual: Any
    expected: Any
    fields: dict = field(default_factory=dict)


@dataclass(frozen=True)
class NotEvaluated:
    """A rule that could not be evaluated: some operand is not a number, or (cross-year rules, mark
    None, blocked by "/previous") last year's report was not given."""

    rule: str
    mark: str | None
    blocked_by: tuple[str, ...]

    @property
    def waits_for_previous(self) -> bool:
        return self.blocked_by == (PREVIOUS_REPORT,)


@dataclass
class Context:
    """One report (or one pair of reports, for cross-year rules) as the rule kinds see it."""

    fmt: FormatDef
    values: Mapping[str, Any]                  # pointer -> value ("/this/..." and "/previous/..." across years)
    texts: Mapping[str, Any] = field(default_factory=dict)      # section key -> text of this year's report
    notes: Mapping[str, Any] = field(default_factory=dict)      # table id -> the note printed with that table
    located: set = field(default_factory=set)  # the sections whose heading was found in the workbook
    year: int | None = None
    unit: str | None = None
    origins: Mapping[str, Any] = field(default_factory=dict)    # pointer -> where the value was read
    all_whole: bool = False                    # every value a whole number: no operand needs its type checked
    prefix: str = ""                           # "/this" across years: what a marked pointer carries before the cell's
    extra_sections: tuple = ()                 # (heading, text) of the report's sections outside the official outline
    previous_texts: Mapping[str, Any] = field(default_factory=dict)
    prev_year: int | None = None
    violations: list[Violation] = field(default_factory=list)   # linear rules' failures, before they become findings
    skipped: list[NotEvaluated] = field(default_factory=list)
    _sections: dict = field(default_factory=dict, init=False, repr=False)   # section key -> (text, compact)

    def make(self, code: str, variant: str = "default", **kw) -> Finding:
        """A finding of a code this format's rules raise, its message from the format's findings.json."""
        return catalogue.make(code, variant, entries=catalogue.entries_of(self.fmt), **kw)

    def section(self, key: str) -> tuple[str, str]:
        """A section's text stripped, and without any whitespace (worked out once per section)."""
        if key not in self._sections:
            text = (self.texts.get(key) or "").strip()
            self._sections[key] = (text, "".join(text.split()))
        return self._sections[key]

    def locate(self, pointer: str) -> dict:
        """sheet/cell of a pointer's origin, as keyword arguments of make()."""
        origin = self.origins.get(pointer)
        return {"sheet": origin.sheet, "cell": origin.cell} if origin else {"sheet": None, "cell": None}

    def violation_finding(self, v: Violation) -> Finding:
        pointer = v.mark[len(self.prefix):]
        cell = self.fmt.by_pointer[pointer]
        return self.make(v.rule, pointer=pointer, expected=v.expected, actual=v.actual, where=cell.where,
                         table=cell.table_name, label=cell.row_label or "", prev_year=self.prev_year,
                         **self.locate(pointer), **v.fields)


def is_number(value) -> bool:
    return type(value) is int or type(value) is Decimal or (isinstance(value, NUMBER_TYPES) and not isinstance(value, bool))
