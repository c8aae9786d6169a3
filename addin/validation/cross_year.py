"""Cross-year rules (rules.md §5): this year's report against last year's, evaluated by the linear rule engine."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import replace

from addin import catalogue
from addin.findings import Finding
from addin.formats import FormatDef, available_formats, escape, unescape
from addin.result import FAILED, PASSED, FileResult
from addin.validation import rules

THIS, PREVIOUS = "/this", rules.PREVIOUS_REPORT


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
        kind = rule["kind"]
        if kind == "linear":
            violations: list = []
            rules._linear(fmt, rule, values, violations, [])
            for v in violations:
                pointer = v.mark[len(THIS):]
                origin = this.origins.get(pointer)
                found.append(catalogue.make(v.rule, pointer=pointer, expected=v.expected, actual=v.actual,
                                            where=fmt.by_pointer[pointer].where, prev_year=previous.report_year,
                                            sheet=origin.sheet if origin else None, cell=origin.cell if origin else None))
        elif kind == "notice":
            found.append(catalogue.make(rule["id"], prev_year=previous.report_year))
        elif kind == "repeat_tables":
            found += _repeated_tables(rule, values, previous.report_year)
        elif kind == "repeat_text":
            found += _repeated_text(fmt, rule, this, previous)
    return found


def _repeated_tables(rule: dict, values: dict, prev_year: int) -> list[Finding]:
    """XY-06: every table value as last year's (same format), enough of them not zero to mean something."""
    this = {p[len(THIS):]: v for p, v in values.items() if p.startswith(THIS + "/")}
    if any(v != values.get(PREVIOUS + p) for p, v in this.items()):
        return []
    nonzero = sum(1 for v in this.values() if v not in (None, 0))
    if nonzero < rule["min_nonzero"]:
        return []
    return [catalogue.make(rule["id"], "tables", n=nonzero, prev_year=prev_year)]


N_GRAM = 8   # characters: long enough that shared n-grams mean shared sentences, not shared words


def text_overlap(text: str, previous: str) -> float:
    """Share of this text's character n-grams (whitespace removed) that also occur in last year's."""
    a, b = "".join(text.split()), "".join(previous.split())
    grams = {a[i:i + N_GRAM] for i in range(max(len(a) - N_GRAM + 1, 0))}
    if not grams:
        return 0.0
    seen = {b[i:i + N_GRAM] for i in range(max(len(b) - N_GRAM + 1, 0))}
    return len(grams & seen) / len(grams)


def _repeated_text(fmt: FormatDef, rule: dict, this: FileResult, previous: FileResult) -> list[Finding]:
    """XY-06 / XY-07: the sections' text nearly the same as last year's (each report judged by its own text)."""
    keys = rule["sections"]
    now = "\n".join((this.document.get("text") or {}).get(k) or "" for k in keys)
    before = "\n".join((previous.document.get("text") or {}).get(k) or "" for k in keys)
    if len("".join(now.split())) < rule["min_chars"] or not before.strip():
        return []
    share = text_overlap(now, before)
    if share < rule["threshold"]:
        return []
    headings = {s["key"]: s["heading"] for s in fmt.layout["cover"]["sections"]}
    pointer = "/text/" + escape(keys[0])
    origin = this.origins.get(pointer)
    return [catalogue.make(rule["id"], "text", pointer=pointer, sheet=origin.sheet if origin else None,
                           cell=origin.cell if origin else None, prev_year=previous.report_year,
                           share=int(share * 100), sections="、".join(headings.get(k, k) for k in keys))]


def pending(fmt: FormatDef, year: int | None, formats: dict[str, FormatDef]) -> list[rules.NotEvaluated]:
    """The cross-year rules a report of this year would be checked by against last year's report:
    listed as not evaluated until a previous report is given (none for the first year of the formats)."""
    if year is None:
        return []
    previous = next((v for v, f in formats.items() if f.covers_year(year - 1)), None)
    ids = dict.fromkeys(r["id"] for r in fmt.cross_year if previous in r["previous_versions"])
    return [rules.NotEvaluated(rule_id, None, (PREVIOUS,)) for rule_id in ids]


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
