"""Consistency rules as data (schema/<version>/rules.json): expansion and evaluation, one function per kind."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any, Iterator, Mapping

from addin import catalogue
from addin.findings import Finding
from addin.formats import FormatDef, escape

NUMBER_TYPES = (int, Decimal)


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


PREVIOUS_REPORT = "/previous"   # cross-year rules point into {"this": ..., "previous": ...}


def bindings(fmt: FormatDef, foreach: Mapping[str, Any] | None, base: dict | None = None) -> Iterator[dict]:
    """Expand a foreach object (variable -> domain) into binding dicts, nested in key order."""
    base = dict(base or {})
    items = list((foreach or {}).items())
    if not items:
        yield base
        return
    (name, domain), rest = items[0], dict(items[1:])
    for value in _domain(fmt, domain, base):
        yield from bindings(fmt, rest, {**base, name: value})


def _domain(fmt: FormatDef, domain, binding: dict) -> list[str]:
    if isinstance(domain, list):
        return domain
    if "rows_of" in domain:
        return fmt.rows_of(domain["rows_of"].format(**binding), domain.get("tag"))
    return fmt.columns_of(domain["columns_of"].format(**binding))


def _pointer(template: str, binding: dict) -> str:
    return template.format(**{k: escape(v) for k, v in binding.items()})


def _terms(fmt: FormatDef, terms: list, binding: dict) -> list[str]:
    out = []
    for term in terms:
        if isinstance(term, str):
            out.append(_pointer(term, binding))
        else:
            out.extend(_pointer(term["pointer"], b) for b in bindings(fmt, term["each"], binding))
    return out


def expand_pointers(fmt: FormatDef, rule: dict) -> set[str]:
    """Every cell pointer the rule can touch (used to check rules against the layout on load)."""
    if rule["kind"] in ("text", "unit"):
        return {p for p in [rule.get("pointer"), *rule.get("pointers", ()), *rule.get("only_if_positive", ())] if p}
    if rule["kind"] != "linear":
        return set()
    found = set()
    for binding in bindings(fmt, rule.get("foreach")):
        found.add(_pointer(rule["mark"], binding))
        for side in ("lhs", "rhs"):
            for sign in ("plus", "minus"):
                found.update(_terms(fmt, rule[side].get(sign, []), binding))
    return found


# -- evaluation ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Instance:
    """One binding of a linear rule, expanded once per format: its operands with their signs."""

    binding: dict
    mark: str
    lhs: tuple[tuple[str, int], ...]
    rhs: tuple[tuple[str, int], ...]
    operands: tuple[str, ...]
    coefficient: dict
    positive: tuple[str, ...] = ()   # lhs - rhs as sum(positive) - sum(negative): the whole-number fast path
    negative: tuple[str, ...] = ()


def compile_linear(fmt: FormatDef, rule: dict) -> list[_Instance]:
    """Every binding of a linear rule with its pointers (what _linear used to expand on every call)."""
    out = []
    for binding in bindings(fmt, rule.get("foreach")):
        sides: dict[str, list] = {}
        coefficient: dict[str, int] = {}
        for side, side_sign in (("lhs", 1), ("rhs", -1)):
            for sign_name, sign in (("plus", 1), ("minus", -1)):
                for p in _terms(fmt, rule[side].get(sign_name, []), binding):
                    sides.setdefault(side, []).append((p, sign))
                    coefficient[p] = coefficient.get(p, 0) + side_sign * sign
        operands = tuple(p for side in sides.values() for p, _ in side)
        lhs, rhs = tuple(sides.get("lhs", ())), tuple(sides.get("rhs", ()))
        positive = tuple(p for p, s in lhs if s > 0) + tuple(p for p, s in rhs if s < 0)
        negative = tuple(p for p, s in lhs if s < 0) + tuple(p for p, s in rhs if s > 0)
        out.append(_Instance(binding, _pointer(rule["mark"], binding), lhs, rhs, operands, coefficient, positive, negative))
    return out


def _linear(fmt: FormatDef, rule: dict, values: Mapping[str, Any], violations: list, skipped: list,
            all_whole: bool = False) -> None:
    """all_whole: every value of the report is a whole number, so no operand needs its type checked."""
    compiled = fmt.compiled_rules.get(id(rule))
    op = rule["op"]
    get = values.__getitem__
    for inst in compiled if compiled is not None else compile_linear(fmt, rule):
        if all_whole or set(map(type, map(values.get, inst.operands))) <= _WHOLE:
            # every operand a whole number (nearly every cell of a report): exact, and cheap in C
            d = sum(map(get, inst.positive)) - sum(map(get, inst.negative))
            if d == 0 if op == "==" else d >= 0 if op == ">=" else d <= 0:
                continue
        mark = inst.mark
        blocked = tuple(p for p in inst.operands if not _is_number(values.get(p)))
        if blocked:
            skipped.append(NotEvaluated(rule["id"], mark, blocked))
            continue
        lhs = sum((values[p] * s for p, s in inst.lhs), 0)
        rhs = sum((values[p] * s for p, s in inst.rhs), 0)
        op = rule["op"]
        holds = lhs == rhs if op == "==" else lhs >= rhs if op == ">=" else lhs <= rhs
        if holds:
            continue
        actual = values[mark]
        c = inst.coefficient.get(mark, 0)
        # Solve lhs - rhs (op) 0 for the marked cell: the value (or bound) it would need.
        rest = (lhs - rhs) - c * actual
        bound = -rest / c if c else None
        if isinstance(bound, Decimal) and bound == bound.to_integral_value():
            bound = int(bound)
        elif isinstance(bound, float) and bound.is_integer():
            bound = int(bound)
        if op == "==":
            expected = bound
        else:
            mark_op = op if c > 0 else {">=": "<=", "<=": ">="}[op]
            expected = f"{'≥' if mark_op == '>=' else '≤'} {bound}"
        violations.append(Violation(rule["id"], inst.binding, mark, actual, expected,
                                    {"lhs": lhs, "rhs": rhs, "bound": bound, "total": lhs}))


_WHOLE = frozenset({int})


def _total_consequence(rule: dict, violations: list) -> None:
    """T3-04: a total-column failure of a column identity is a consequence, reported once.

    The total column is the sum of the other columns, so if the row totals hold, a column identity
    that fails in the total column also fails in some other column (report only those); and if it
    fails in the total column alone, the wrong cells are the row totals (report them as T3-04)."""
    variable, total = rule["variable"], rule["total"]
    by_column = [v for v in violations if v.rule in rule["column_rules"]]
    in_total = [v for v in by_column if v.binding.get(variable) == total]
    by_row = [v for v in violations if v.rule == rule["row_rule"]]
    if not in_total:
        return
    if not by_row:
        if len(in_total) < len(by_column):
            for v in in_total:
                violations.remove(v)
        return
    if len(in_total) == len(by_column):
        for v in by_column + by_row:
            violations.remove(v)
        violations.extend(Violation(rule["id"], v.binding, v.mark, v.actual, v.expected, v.fields) for v in by_row)


def _is_number(value) -> bool:
    return type(value) is int or type(value) is Decimal or (isinstance(value, NUMBER_TYPES) and not isinstance(value, bool))


def evaluate(fmt: FormatDef, values: Mapping[str, Any]) -> tuple[list[Violation], list[NotEvaluated]]:
    """Run every rule of the format over the flat pointer -> value map."""
    violations: list[Violation] = []
    skipped: list[NotEvaluated] = []
    # a clean report holds whole numbers only: then one look at all values replaces one per rule binding
    # (every operand is a cell of the layout, so all of them are among the values)
    all_whole = set(map(type, values.values())) <= _WHOLE and fmt.by_pointer.keys() <= values.keys()
    for rule in fmt.rules:
        if rule["kind"] == "linear":
            _linear(fmt, rule, values, violations, skipped, all_whole)
        elif rule["kind"] == "total_consequence":
            _total_consequence(rule, violations)
    return violations, skipped


def held(fmt: FormatDef, found_codes: set[str], skipped: list[NotEvaluated]) -> list[str]:
    """Arithmetic rules evaluated in every binding without a violation: what the report is shown to
    satisfy (a T3-04 finding is a failure of the column and row rules it stands for)."""
    failed = set(found_codes) | {n.rule for n in skipped}
    for rule in fmt.rules:
        if rule["kind"] == "total_consequence" and rule["id"] in found_codes:
            failed |= set(rule["column_rules"]) | {rule["row_rule"]}
    return list(dict.fromkeys(r["id"] for r in fmt.rules if r["kind"] == "linear" and r["id"] not in failed))


def to_findings(fmt: FormatDef, violations: list[Violation]) -> list[Finding]:
    findings = []
    for v in violations:
        cell = fmt.by_pointer[v.mark]
        findings.append(catalogue.make(v.rule, pointer=v.mark, expected=v.expected, actual=v.actual,
                                       where=cell.where, **v.fields))
    return findings


def text_findings(fmt: FormatDef, texts: Mapping[str, Any], located: set[str], year: int | None = None,
                  values: Mapping[str, Any] | None = None, unit: str | None = None) -> list[Finding]:
    """Rules on the narrative sections; a section whose heading is not in the workbook is not judged."""
    findings = []
    compacted: dict[str, tuple[str, str]] = {}
    for rule in fmt.rules:
        if rule["kind"] != "text" or rule["section"] not in located:
            continue
        pointer = "/text/" + escape(rule["section"])
        if rule["section"] not in compacted:
            text = (texts.get(rule["section"]) or "").strip()
            compacted[rule["section"]] = (text, "".join(text.split()))
        text, compact = compacted[rule["section"]]
        check = rule["check"]
        # a rule about what a table's non-zero figure obliges the text to say (T3-05) waits for that figure
        counted = _positive_total(rule["only_if_positive"], values) if "only_if_positive" in rule else None
        if counted == 0:
            continue
        if check == "present" and not compact:
            findings.append(catalogue.make(rule["id"], pointer=pointer))
        elif check == "contains_none":
            hit = next((p for p in rule["phrases"] if p in compact), None)
            if hit:
                findings.append(catalogue.make(rule["id"], pointer=pointer, phrase=hit))
        elif check == "contains_any" and not any(p in compact for p in rule["phrases"]):
            if compact or not any(r["kind"] == "text" and r["check"] == "present" and r["section"] == rule["section"]
                                  for r in fmt.rules):
                findings.append(catalogue.make(rule["id"], "default" if compact else "empty", pointer=pointer,
                                               count=counted))
        elif check == "aspects" and compact:
            missing = [a["name"] for a in rule["aspects"] if not any(w in compact for w in a["any"])]
            if missing:
                findings.append(catalogue.make(rule["id"], pointer=pointer, missing="、".join(missing)))
        elif check == "pattern" and year is not None:
            findings += _pattern_finding(rule, texts, located, year, pointer)
        elif check == "jurisdiction" and compact and unit:
            findings += _jurisdiction_finding(rule, compact, unit, pointer)
        elif check in ("number", "zero") and compact and values is not None:
            findings += _number_finding(fmt, rule, compact, values)
        elif check == "repeated_subject" and compact:
            findings += _repeated_subject_findings(fmt, rule, text, texts, located, pointer)
    return findings


_SUB_ITEM_RE = re.compile(r"(?m)^\s*[（(][一二三四五六七八九十]{1,3}[）)]")


def _repeated_subject_findings(fmt: FormatDef, rule: dict, text: str, texts: Mapping[str, Any], located: set[str],
                               pointer: str) -> list[Finding]:
    """TXT-08: a sub-item of this section on a subject that has its own section (the old outline's
    "(五)…存在的主要问题" in 一 next to section 五) saying something else than that section."""
    from addin.validation.cross_year import text_overlap

    starts = [m.start() for m in _SUB_ITEM_RE.finditer(text)] + [len(text)]
    items = [text[a:b].strip() for a, b in zip(starts, starts[1:])]
    headings = {s["key"]: s["heading"] for s in fmt.layout["cover"]["sections"]}
    findings = []
    for subject in rule["subjects"]:
        other = subject["other"]
        if other not in located:
            continue
        item = next((i for i in items if _compiled(subject["item"]).match(i)), None)
        if item is None:
            continue
        # the sub-item's own words: what follows its heading (up to the first 。 or ：)
        heading, *rest = re.split(r"[。：:]", item, maxsplit=1)
        body = rest[0].strip() if rest else ""
        compact_body = "".join(body.split())
        other_text = (texts.get(other) or "").strip()
        compact_other = "".join(other_text.split())
        if not compact_body or _compiled(subject["none"]).match(compact_body) or not compact_other:
            continue   # the sub-item says nothing (or "无"): nothing to contradict
        says_none = bool(_compiled(subject["none"]).match(compact_other))
        if says_none or (subject["conflict"] == "different" and text_overlap(body, other_text) < subject["min_overlap"]):
            findings.append(catalogue.make(rule["id"], "none" if says_none else "default", pointer=pointer,
                                           name=subject["name"], item=catalogue.shorten(heading, 30),
                                           other=headings.get(other, other), excerpt=catalogue.shorten(body, 30),
                                           other_excerpt=catalogue.shorten(other_text, 30)))
    return findings


def _stated_number(digits: str) -> int | Decimal:
    # amounts in 万元 may carry decimals (行政事业性收费 12.35万元); counts are whole
    return Decimal(digits) if "." in digits else int(digits)


def _positive_total(pointers: list[str], values: Mapping[str, Any] | None) -> int:
    """The sum of the cells when every one holds a number, else 0 (a blank or invalid cell has its own finding)."""
    parts = [values.get(p) for p in pointers] if values is not None else []
    return sum(parts) if parts and all(_is_number(v) for v in parts) and sum(parts) > 0 else 0


def unit_findings(fmt: FormatDef, unit: str | None, values: Mapping[str, Any]) -> list[Finding]:
    """Rules on cells that depend on the kind of body the unit is, told by its name (T2-03, T2-07)."""
    if not unit:
        return []
    name = "".join(unit.split())
    findings = []
    for rule in fmt.rules:
        if rule["kind"] != "unit":
            continue
        level = next((lv["level"] for lv in rule["levels"] if _unit_is_of(lv, name)), None)
        if level is None:
            continue
        for pointer in rule["pointers"]:
            value = values.get(pointer)
            if not _is_number(value) or (value > 0) != (rule["check"] == "zero"):
                continue
            findings.append(catalogue.make(rule["id"], pointer=pointer, unit=unit, level=level,
                                           where=fmt.by_pointer[pointer].where, actual=value))
            if rule["check"] == "zero":
                break   # one finding says the row should not be there; the other cells add nothing
    return findings


def _unit_is_of(level: dict, name: str) -> bool:
    """A unit (name without whitespace) is of a level: its name matches `unit` and not `unless`."""
    return bool(_compiled(level["unit"]).search(name)) and not (level.get("unless") and _compiled(level["unless"]).search(name))


def _regex(rule: dict, year: int):
    # {year}/{next_year} are replaced literally: the pattern's own braces ({4}) stay regex quantifiers
    return _compiled(rule["pattern"].replace("{year}", str(year)).replace("{next_year}", str(year + 1)))


@lru_cache(maxsize=1024)
def _compiled(pattern: str) -> "re.Pattern":
    """A rule's regular expression, compiled once (text rules run on every report)."""
    return re.compile(pattern)


def _pattern_finding(rule, texts, located, year, pointer) -> list[Finding]:
    regex = _regex(rule, year)
    if rule["when"] == "present":
        text = texts.get(rule["section"]) or ""
        m = regex.search(text)
        if not m:
            return []
        start = max(0, m.start() - 5)
        excerpt = " ".join(text[start:m.end() + 25].split())
        return [catalogue.make(rule["id"], pointer=pointer, excerpt=excerpt, year=year, next_year=year + 1)]
    sections = [s for s in rule.get("sections", [rule["section"]]) if s in located]
    if any(regex.search(texts.get(s) or "") for s in sections):
        return []
    return [catalogue.make(rule["id"], pointer=pointer, year=year)]


def _jurisdiction_finding(rule: dict, compact: str, unit: str, pointer: str) -> list[Finding]:
    """TXT-07: words of another administrative level than the unit's own (a district office writing 全县)."""
    name = "".join(unit.split())
    for level in rule["levels"]:
        if not _unit_is_of(level, name):
            continue
        for pattern in level["foreign"]:
            m = _compiled(pattern).search(compact)
            if m:
                start = max(0, m.start() - 10)
                return [catalogue.make(rule["id"], pointer=pointer, unit=unit, level=level["level"], word=m.group(0),
                                       excerpt=compact[start:m.end() + 15])]
    return []


def _number_finding(fmt: FormatDef, rule: dict, compact: str, values: Mapping[str, Any]) -> list[Finding]:
    """check=number: the number the text states must equal the cell (or the sum of the cells);
    check=zero: where the text says there was none, the cells must sum to 0."""
    m = _compiled(rule["pattern"]).search(compact)   # the section's text without whitespace
    if not m:
        return []
    pointers = rule.get("pointers") or [rule["pointer"]]
    parts = [values.get(p) for p in pointers]
    stated = 0 if rule["check"] == "zero" else _stated_number(m.group(1))
    where = fmt.by_pointer[pointers[0]].where
    if all(v is None for v in parts):
        if stated > 0:
            return [catalogue.make(rule["id"], "blank", pointer=pointers[0], where=where, quote=m.group(0),
                                   expected=stated, actual=None)]
        return []
    if not all(_is_number(v) for v in parts):
        return []   # a blank or invalid part: the sum is not known (the cell has its own finding)
    total = sum(parts)
    if total != stated:
        return [catalogue.make(rule["id"], pointer=pointers[0], where=where, quote=m.group(0),
                               expected=stated, actual=total)]
    return []
