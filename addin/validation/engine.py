"""The one registry of rule kinds and the one loop that runs a format's rules (python-jsonschema style)."""
from __future__ import annotations

from typing import Callable, Iterable

from addin.findings import Finding
from addin.validation import rules, text, year_rules
from addin.validation.context import Context

# kind (rules.json "kind") -> function (context, rule) -> findings: a new kind is one function and one entry here
KINDS: dict[str, Callable[[Context, dict], list[Finding]]] = {
    "linear": rules.linear,
    "total_consequence": rules.total_consequence,
    "unit": rules.unit,
    "text": text.text_rule,
    "notice": year_rules.notice,
    "repeat_tables": year_rules.repeat_tables,
    "repeat_text": year_rules.repeat_text,
}


def run(ctx: Context, rule_list: Iterable[dict]) -> list[Finding]:
    """Every rule through its kind; the linear rules' violations (as total_consequence left them) come first."""
    found: list[Finding] = []
    for rule in rule_list:
        found += KINDS[rule["kind"]](ctx, rule)
    return [ctx.violation_finding(v) for v in ctx.violations] + found
