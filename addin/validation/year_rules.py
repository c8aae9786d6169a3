"""Rule kinds only cross-year rules use (notice, repeat_tables, repeat_text): this year's report against last year's."""
from __future__ import annotations

from addin.findings import Finding
from addin.validation.context import PREVIOUS_REPORT, THIS_REPORT, Context
from addin.validation.pointers import escape
from addin.validation.text import text_overlap


def notice(ctx: Context, rule: dict) -> list[Finding]:
    """XY-05: a remark that holds whenever the version pair applies."""
    return [ctx.make(rule["id"], prev_year=ctx.prev_year)]


def repeat_tables(ctx: Context, rule: dict) -> list[Finding]:
    """XY-06: every table value as last year's (same format), enough of them not zero to mean something."""
    values = ctx.values
    this = {p[len(THIS_REPORT):]: v for p, v in values.items() if p.startswith(THIS_REPORT + "/")}
    if any(v != values.get(PREVIOUS_REPORT + p) for p, v in this.items()):
        return []
    nonzero = sum(1 for v in this.values() if v not in (None, 0))
    if nonzero < rule["min_nonzero"]:
        return []
    return [ctx.make(rule["id"], "tables", n=nonzero, prev_year=ctx.prev_year)]


def repeat_text(ctx: Context, rule: dict) -> list[Finding]:
    """XY-06 / XY-07: the sections' text nearly the same as last year's (each report judged by its own text)."""
    keys = rule["sections"]
    now = "\n".join(ctx.texts.get(k) or "" for k in keys)
    before = "\n".join(ctx.previous_texts.get(k) or "" for k in keys)
    if len("".join(now.split())) < rule["min_chars"] or not before.strip():
        return []
    share = text_overlap(now, before)
    if share < rule["threshold"]:
        return []
    headings = {s["key"]: s["heading"] for s in ctx.fmt.layout["cover"]["sections"]}
    pointer = "/text/" + escape(keys[0])
    return [ctx.make(rule["id"], "text", pointer=pointer, **ctx.locate(pointer), prev_year=ctx.prev_year,
                     share=int(share * 100), sections="、".join(headings.get(k, k) for k in keys))]
