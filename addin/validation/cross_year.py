"""Cross-year rules (rules.md §5): this year's report against last year's, through the one registry of rule kinds."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import replace

from addin import catalogue
from addin.findings import Finding
from addin.formats import FormatDef, available_formats, format_for_year
from addin.result import FAILED, PASSED, FileResult
from addin.validation import engine
from addin.validation.context import PREVIOUS_REPORT, THIS_REPORT, Context, NotEvaluated
from addin.values import flat_values


def unit_key(unit: str | None) -> str:
    """Unit names match after NFKC with all whitespace removed."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", unit or ""))


def findings(this: FileResult, previous: FileResult, formats: dict[str, FormatDef] | None = None) -> list[Finding]:
    """XY findings for `this` given last year's result (only rules whose version pair applies)."""
    formats = formats or available_formats()
    fmt = formats.get(this.format_version or "")
    prev_fmt = formats.get(previous.format_version or "")
    if fmt is None or prev_fmt is None or this.document is None or previous.document is None:
        return []
    if this.report_year is None or previous.report_year != this.report_year - 1:
        return []
    values = {THIS_REPORT + p: v for p, v in flat_values(fmt, this.document).items()}
    values.update({PREVIOUS_REPORT + p: v for p, v in flat_values(prev_fmt, previous.document).items()})
    ctx = Context(fmt, values, texts=this.document.get("text") or {}, year=this.report_year, unit=this.unit,
                  origins=this.origins, prefix=THIS_REPORT, previous_texts=previous.document.get("text") or {},
                  prev_year=previous.report_year)
    return engine.run(ctx, [r for r in fmt.cross_year if prev_fmt.version in r["previous_versions"]])


def pending(fmt: FormatDef, year: int | None, formats: dict[str, FormatDef]) -> list[NotEvaluated]:
    """The cross-year rules a report of this year would be checked by against last year's report:
    listed as not evaluated until a previous report is given (none for the first year of the formats)."""
    if year is None:
        return []
    previous = format_for_year(year - 1, formats)
    ids = dict.fromkeys(r["id"] for r in fmt.cross_year if previous is not None and previous.version in r["previous_versions"])
    return [NotEvaluated(rule_id, None, (PREVIOUS_REPORT,)) for rule_id in ids]


def apply(this: FileResult, previous: FileResult | None, formats=None) -> FileResult:
    """`this` with its XY findings added and its status recomputed (a result without a previous report gets XY-10)."""
    if this.document is None:
        return this
    this = replace(this, not_evaluated=[n for n in this.not_evaluated if not n.waits_for_previous])
    if previous is None:
        more = [catalogue.make("XY-10", prev_year=(this.report_year - 1) if this.report_year else "上")]
    else:
        more = findings(this, previous, formats)
    if not more:
        return this
    all_findings = sorted(this.findings + more, key=Finding.sort_key)
    status = this.status
    if status in (PASSED, FAILED):
        status = FAILED if any(f.severity == "error" for f in all_findings) else PASSED
    return replace(this, findings=all_findings, status=status)
