"""Arithmetic and unit rule kinds of rules.json (linear, total_consequence, unit): the linear rules compiled once per format."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any, Mapping

from addin.findings import Finding
from addin.formats import FormatDef
from addin.validation.context import Context, NotEvaluated, Violation, is_number
from addin.validation.pointers import bindings, fill, terms
from addin.validation.text import unit_is_of

_WHOLE = frozenset({int})


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
    """Every binding of a linear rule with its pointers."""
    out = []
    for binding in bindings(fmt, rule.get("foreach")):
        sides: dict[str, list] = {}
        coefficient: dict[str, int] = {}
        for side, side_sign in (("lhs", 1), ("rhs", -1)):
            for sign_name, sign in (("plus", 1), ("minus", -1)):
                for p in terms(fmt, rule[side].get(sign_name, []), binding):
                    sides.setdefault(side, []).append((p, sign))
                    coefficient[p] = coefficient.get(p, 0) + side_sign * sign
        operands = tuple(p for side in sides.values() for p, _ in side)
        lhs, rhs = tuple(sides.get("lhs", ())), tuple(sides.get("rhs", ()))
        positive = tuple(p for p, s in lhs if s > 0) + tuple(p for p, s in rhs if s < 0)
        negative = tuple(p for p, s in lhs if s < 0) + tuple(p for p, s in rhs if s > 0)
        out.append(_Instance(binding, fill(rule["mark"], binding), lhs, rhs, operands, coefficient, positive, negative))
    return out


@cache
def compiled_rules(fmt: FormatDef) -> dict:
    """id(rule) -> the linear rule's bindings expanded once (the engine evaluates them per report)."""
    return {id(r): compile_linear(fmt, r) for r in [*fmt.rules, *fmt.cross_year] if r["kind"] == "linear"}


def all_whole(fmt: FormatDef, values: Mapping[str, Any]) -> bool:
    """A clean report holds whole numbers only: then one look at all values replaces one per rule binding
    (every operand is a cell of the layout, so all of them are among the values)."""
    return set(map(type, values.values())) <= _WHOLE and fmt.by_pointer.keys() <= values.keys()


def linear(ctx: Context, rule: dict) -> list[Finding]:
    """lhs (op) rhs in every binding; a failure is kept as a Violation (total_consequence may fold it)."""
    values = ctx.values
    compiled = compiled_rules(ctx.fmt).get(id(rule))
    op = rule["op"]
    get = values.__getitem__
    for inst in compiled if compiled is not None else compile_linear(ctx.fmt, rule):
        if ctx.all_whole or set(map(type, map(values.get, inst.operands))) <= _WHOLE:
            # every operand a whole number (nearly every cell of a report): exact, and cheap in C
            d = sum(map(get, inst.positive)) - sum(map(get, inst.negative))
            if d == 0 if op == "==" else d >= 0 if op == ">=" else d <= 0:
                continue
        mark = inst.mark
        blocked = tuple(p for p in inst.operands if not is_number(values.get(p)))
        if blocked:
            ctx.skipped.append(NotEvaluated(rule["id"], mark, blocked))
            continue
        lhs = sum((values[p] * s for p, s in inst.lhs), 0)
        rhs = sum((values[p] * s for p, s in inst.rhs), 0)
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
        ctx.violations.append(Violation(rule["id"], inst.binding, mark, actual, expected,
                                        {"lhs": lhs, "rhs": rhs, "bound": bound, "total": lhs}))
    return []


def total_consequence(ctx: Context, rule: dict) -> list[Finding]:
    """T3-04: a total-column failure of a column identity is a consequence, reported once.

    The total column is the sum of the other columns, so if the row totals hold, a column identity
    that fails in the total column also fails in some other column (report only those); and if it
    fails in the total column alone, the wrong cells are the row totals (report them as T3-04)."""
    violations = ctx.violations
    variable, total = rule["variable"], rule["total"]
    by_column = [v for v in violations if v.rule in rule["column_rules"]]
    in_total = [v for v in by_column if v.binding.get(variable) == total]
    by_row = [v for v in violations if v.rule == rule["row_rule"]]
    if not in_total:
        return []
    if not by_row:
        if len(in_total) < len(by_column):
            for v in in_total:
                violations.remove(v)
        return []
    if len(in_total) == len(by_column):
        for v in by_column + by_row:
            violations.remove(v)
        violations.extend(Violation(rule["id"], v.binding, v.mark, v.actual, v.expected, v.fields) for v in by_row)
    return []


def unit(ctx: Context, rule: dict) -> list[Finding]:
    """Cells that depend on the kind of body the unit is, told by its name (T2-03, T2-07)."""
    if not ctx.unit:
        return []
    name = "".join(ctx.unit.split())
    level = next((lv["level"] for lv in rule["levels"] if unit_is_of(lv, name)), None)
    if level is None:
        return []
    findings = []
    for pointer in rule["pointers"]:
        value = ctx.values.get(pointer)
        if not is_number(value) or (value > 0) != (rule["check"] == "zero"):
            continue
        findings.append(ctx.make(rule["id"], pointer=pointer, unit=ctx.unit, level=level,
                                 where=ctx.fmt.by_pointer[pointer].where, actual=value))
        if rule["check"] == "zero":
            break   # one finding says the row should not be there; the other cells add nothing
    return findings


def held(fmt: FormatDef, found_codes: set[str], skipped: list[NotEvaluated]) -> list[str]:
    """Arithmetic rules evaluated in every binding without a violation: what the report is shown to
    satisfy (a T3-04 finding is a failure of the column and row rules it stands for)."""
    failed = set(found_codes) | {n.rule for n in skipped}
    for rule in fmt.rules:
        if rule["kind"] == "total_consequence" and rule["id"] in found_codes:
            failed |= set(rule["column_rules"]) | {rule["row_rule"]}
    return list(dict.fromkeys(r["id"] for r in fmt.rules if r["kind"] == "linear" and r["id"] not in failed))
