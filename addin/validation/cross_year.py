"""Cross-year rules (rules.md §5): this year's report against last year's, evaluated by the linear rule engine."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import replace

from addin import catalogue
from addin.findings import Finding
from addin.formats import FormatDef, available_formats, unescape
from addin.result import FAILED, PASSED, FileResult
from addin.validation import rules

THIS, PREVIOUS = "/this", "/previous"


def unit_key(unit: str | None) -> str:
    """Unit names match after NFKC with all whitespace removed."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", unit or ""))


def flat_values(fmt: FormatDef, document: dict | None) -> dict:
    """pointer -> value of every data cell present in a nested data document."""
    out = {}
    if not document:
        return out
    for cell in fmt.cells:
        node = document
        for token in cell.pointer.split("/")[1:]:
            node = node.get(unescape(token)) if isinstance(node, dict) else None
            if node is None:
                break
        out[cell.pointer] = node
    return out


def findings(this: FileResult, previous: FileResult, formats: dict[str, FormatDef] | None = None) -> list[Finding]:
    """XY findings for `this` given last year's result (only rules whose version pair applies)."""
    formats = formats or available_formats()
    fmt = formats.get(this.format_version or "")
    prev_fmt = formats.get(previous.format_version or "")
    if fmt is None or prev_fmt is None or this.document is None or previous.document is None:
        return []
    if this.report_year is None or previous.report_year != this.report_year - 1:
        return []
    values = {THIS + p: v for p, v in flat_values(fmt, this.document).items()}
    values.update({PREVIOUS + p: v for p, v in flat_values(prev_fmt, previous.document).items()})
    applicable = [r for r in fmt.cross_year if prev_fmt.version in r["previous_versions"]]
    found = []
    for rule in applicable:
        violations: list = []
        rules._linear(fmt, rule, values, violations, [])
        for v in violations:
            pointer = v.mark[len(THIS):]
            origin = this.origins.get(pointer)
            found.append(catalogue.make(v.rule, pointer=pointer, expected=v.expected, actual=v.actual,
                                        where=fmt.by_pointer[pointer].where, prev_year=previous.report_year,
                                        sheet=origin.sheet if origin else None, cell=origin.cell if origin else None))
    return found


def apply(this: FileResult, previous: FileResult | None, formats=None) -> FileResult:
    """`this` with its XY findings added and its status recomputed (a result without a previous report gets XY-10)."""
    if this.document is None:
        return this
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
