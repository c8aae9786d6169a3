"""JSON Pointers (RFC 6901) and the expansion of a rule's pointer templates over a format's layout."""
from __future__ import annotations

from typing import Any, Iterator, Mapping


def escape(token: str) -> str:
    """Escape one JSON Pointer reference token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def pointer_tokens(pointer: str) -> tuple[str, ...]:
    """"/T3/a~1b/c" -> ("T3", "a/b", "c")."""
    return tuple(unescape(t) for t in pointer.split("/")[1:])


def bindings(fmt, foreach: Mapping[str, Any] | None, base: dict | None = None) -> Iterator[dict]:
    """Expand a foreach object (variable -> domain) into binding dicts, nested in key order.
    fmt is any object with the FormatDef's rows_of/columns_of (this module does not import formats)."""
    base = dict(base or {})
    items = list((foreach or {}).items())
    if not items:
        yield base
        return
    (name, domain), rest = items[0], dict(items[1:])
    for value in _domain(fmt, domain, base):
        yield from bindings(fmt, rest, {**base, name: value})


def _domain(fmt, domain, binding: dict) -> list[str]:
    if isinstance(domain, list):
        return domain
    if "rows_of" in domain:
        return fmt.rows_of(domain["rows_of"].format(**binding), domain.get("tag"))
    return fmt.columns_of(domain["columns_of"].format(**binding))


def fill(template: str, binding: dict) -> str:
    """A pointer template with its {variables} replaced by the binding's escaped keys."""
    return template.format(**{k: escape(v) for k, v in binding.items()})


def terms(fmt, items: list, binding: dict) -> list[str]:
    """The pointers of one side's plus or minus terms (a term is a template or {"pointer", "each"})."""
    out = []
    for term in items:
        if isinstance(term, str):
            out.append(fill(term, binding))
        else:
            out.extend(fill(term["pointer"], b) for b in bindings(fmt, term["each"], binding))
    return out


def expand_pointers(fmt, rule: dict) -> set[str]:
    """Every cell pointer the rule can touch (used to check rules against the layout on load)."""
    if rule["kind"] in ("text", "unit"):
        return {p for p in [rule.get("pointer"), *rule.get("pointers", ()), *rule.get("only_if_positive", ())] if p}
    if rule["kind"] != "linear":
        return set()
    found = set()
    for binding in bindings(fmt, rule.get("foreach")):
        found.add(fill(rule["mark"], binding))
        for side in ("lhs", "rhs"):
            for sign in ("plus", "minus"):
                found.update(terms(fmt, rule[side].get(sign, []), binding))
    return found
