"""The text rule kind of rules.json: checks on the narrative sections, one function per check in TEXT_CHECKS."""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any, Callable, Mapping

from addin import catalogue
from addin.findings import Finding
from addin.formats import FormatDef
from addin.validation import prose
from addin.validation.context import Context, is_number
from addin.validation.pointers import escape

N_GRAM = 8   # characters: long enough that shared n-grams mean shared sentences, not shared words
MAX_COMPARED = 100_000   # characters of each text compared (a few MB of n-grams at most)


@dataclass(frozen=True)
class Section:
    """The section a text rule is about, as its check sees it."""

    pointer: str       # "/text/<key>"
    text: str          # stripped
    compact: str       # without whitespace
    counted: int | None   # the figure of only_if_positive (None: the rule has none)
    labels: dict       # {section} heading, {table}/{label} of the rule's first cell: the layout's words for messages


def text_rule(ctx: Context, rule: dict) -> list[Finding]:
    """A rule on a narrative section; a section whose heading is not in the workbook is not judged.
    A rule naming tables in "notes" reads the note printed with each of them too (the same check, a
    finding the section already gave not repeated)."""
    if rule["section"] not in ctx.located:
        return []
    text, compact = ctx.section(rule["section"])
    # a rule about what a table's non-zero figure obliges the text to say (T3-05) waits for that figure
    counted = _positive_total(rule["only_if_positive"], ctx.values) if "only_if_positive" in rule else None
    if counted == 0:
        return []
    check, labels = TEXT_CHECKS[rule["check"]], _rule_labels(ctx.fmt).get(id(rule)) or _labels(ctx.fmt, rule)
    found = check(ctx, rule, Section("/text/" + escape(rule["section"]), text, compact, counted, labels))
    for table_id in rule.get("notes", ()):
        note = (ctx.notes.get(table_id) or "").strip()
        if note:
            section = Section("/notes/" + escape(table_id), note, "".join(note.split()), counted,
                              {**labels, "section": note_name(ctx.fmt, table_id)})
            found += [f for f in check(ctx, rule, section) if f not in found]
    return found


def note_name(fmt: FormatDef, table_id: str) -> str:
    """What the note under a table is called (layout table_notes.name: «表三下方的说明»)."""
    table = next(t for t in fmt.tables() if t["id"] == table_id)
    spec = fmt.layout.get("table_notes") or {}
    return spec.get("name", "{table}").format(table=table["name"])


@cache
def _rule_labels(fmt: FormatDef) -> dict[int, dict]:
    """The message labels of each of the format's text rules, worked out once per format (by the rule's
    identity: the format keeps its rules, and the cache keeps the format)."""
    return {id(rule): _labels(fmt, rule) for rule in fmt.rules if rule.get("kind") == "text"}


def _labels(fmt: FormatDef, rule: dict) -> dict:
    """The layout's words a text rule's messages name: its section's heading, its first cell's table and row."""
    first = next((p for p in [*rule.get("pointers", ()), rule.get("pointer"), *rule.get("only_if_positive", ())] if p), None)
    cell = fmt.by_pointer.get(first) if first else None
    return {"section": _headings(fmt).get(rule["section"], rule["section"]),
            "table": cell.table_name if cell else "", "label": (cell.row_label or "") if cell else ""}


@cache
def _headings(fmt: FormatDef) -> dict[str, str]:
    return {s["key"]: s["heading"] for s in fmt.layout["cover"]["sections"]}


def _make(ctx: Context, rule: dict, s: Section, variant: str = "default", **fields) -> Finding:
    return ctx.make(rule["id"], variant, severity=rule.get("severity"), **s.labels, **fields)


def _present(ctx: Context, rule: dict, s: Section) -> list[Finding]:
    return [] if s.compact else [_make(ctx, rule, s, pointer=s.pointer)]


def _contains_none(ctx: Context, rule: dict, s: Section) -> list[Finding]:
    hit = next((p for p in rule["phrases"] if p in s.compact), None)
    return [_make(ctx, rule, s, pointer=s.pointer, phrase=hit)] if hit else []


def _contains_any(ctx: Context, rule: dict, s: Section) -> list[Finding]:
    if any(p in s.compact for p in rule["phrases"]):
        return []
    # a report may say it in a section of its own outside the official six («五、信息处理费收取情况»)
    if "or_headed" in rule:
        headed = _compiled(rule["or_headed"])
        for heading, body in ctx.extra_sections:
            own = "".join((heading + (body or "")).split())
            if headed.search(heading) and any(p in own for p in rule["phrases"]):
                return []
    # an empty section is reported once, by its "present" rule when it has one
    if s.compact or not any(r["kind"] == "text" and r["check"] == "present" and r["section"] == rule["section"]
                            for r in ctx.fmt.rules):
        return [_make(ctx, rule, s, "default" if s.compact else "empty", pointer=s.pointer, count=s.counted)]
    return []


def _aspects(ctx: Context, rule: dict, s: Section) -> list[Finding]:
    if not s.compact:
        return []
    missing = [a["name"] for a in rule["aspects"] if not any(w in s.compact for w in a["any"])]
    return [_make(ctx, rule, s, pointer=s.pointer, missing="、".join(missing))] if missing else []


def _pattern(ctx: Context, rule: dict, s: Section) -> list[Finding]:
    year = ctx.year
    if year is None:
        return []
    # {year}/{next_year} are replaced literally: the pattern's own braces ({4}) stay regex quantifiers
    regex = _compiled(rule["pattern"].replace("{year}", str(year)).replace("{next_year}", str(year + 1)))
    if rule["when"] == "present":
        text = s.text   # the section's, or the note of a table the rule names
        m = regex.search(text)
        if not m:
            return []
        start = max(0, m.start() - 5)
        excerpt = " ".join(text[start:m.end() + 25].split())
        return [_make(ctx, rule, s, rule.get("message", "default"), pointer=s.pointer, excerpt=excerpt, year=year,
                      next_year=year + 1)]
    sections = [k for k in rule.get("sections", [rule["section"]]) if k in ctx.located]
    if any(regex.search(ctx.texts.get(k) or "") for k in sections):
        return []
    return [_make(ctx, rule, s, pointer=s.pointer, year=year)]


def _jurisdiction(ctx: Context, rule: dict, s: Section) -> list[Finding]:
    """TXT-07: words of another administrative level than the unit's own (a district office writing 全县)."""
    if not s.compact or not ctx.unit:
        return []
    name = "".join(ctx.unit.split())
    for level in rule["levels"]:
        if not unit_is_of(level, name):
            continue
        for pattern in level["foreign"]:
            m = _compiled(pattern).search(s.compact)
            if m:
                start = max(0, m.start() - 10)
                return [_make(ctx, rule, s, pointer=s.pointer, unit=ctx.unit, level=level["level"], word=m.group(0),
                                 excerpt=s.compact[start:m.end() + 15])]
    return []


def _number(ctx: Context, rule: dict, s: Section) -> list[Finding]:
    """check=number: the number the text states must equal the cell (or the sum of the cells);
    check=zero: where the text says there was none, the cells must sum to 0. A table the report does
    not have (no cell of it was read) is reported once where it is missing, never compared with."""
    if not s.compact:
        return []
    m = _compiled(rule["pattern"]).search(s.compact)   # the section's text without whitespace
    if not m:
        return []
    pointers = rule.get("pointers") or [rule["pointer"]]
    if ctx.origins and not any(p in ctx.origins for p in pointers):
        return []
    parts = [ctx.values.get(p) for p in pointers]
    where = ctx.fmt.by_pointer[pointers[0]].where
    if rule["check"] == "zero" and "contradicted_by" in rule:
        other = _compiled(rule["contradicted_by"]).search(s.compact)
        if other and int(other.group(1)) > 0:
            return [_make(ctx, rule, s, "text", pointer=s.pointer, quote=m.group(0), other=other.group(0))]
    stated = 0 if rule["check"] == "zero" else _stated_number(m.group(1))
    if all(v is None for v in parts) and "when_blank" in rule:
        # a 总计 left blank: what the columns it totals add up to is what the table says
        parts = [ctx.values.get(p) for p in rule["when_blank"]]
    if all(v is None for v in parts):
        if stated > 0:
            return [_make(ctx, rule, s, "blank", pointer=pointers[0], where=where, quote=m.group(0),
                             expected=stated, actual=None)]
        return []
    if not all(is_number(v) for v in parts):
        return []   # a blank or invalid part: the sum is not known (the cell has its own finding)
    total = sum(parts)
    if total != stated and not any(_sum_is(ctx, alt, stated) for alt in rule.get("also_equal", ())):
        return [_make(ctx, rule, s, pointer=pointers[0], where=where, quote=m.group(0),
                         expected=stated, actual=total)]
    return []


def _sum_is(ctx: Context, pointers: list[str], stated) -> bool:
    parts = [ctx.values.get(p) for p in pointers]
    return all(is_number(v) for v in parts) and sum(parts) == stated


# spaces before the number, never line breaks: `^\s*` would rescan every following blank line at each line start
_SUB_ITEM_RE = re.compile(r"(?m)^[^\S\n]*[（(][一二三四五六七八九十]{1,3}[）)]")


def _repeated_subject(ctx: Context, rule: dict, s: Section) -> list[Finding]:
    """TXT-08: a sub-item of this section on a subject that has its own section (the old outline's
    "(五)…存在的主要问题" in 一 next to section 五) saying something else than that section."""
    if not s.compact:
        return []
    text = s.text
    starts = [m.start() for m in _SUB_ITEM_RE.finditer(text)] + [len(text)]
    items = [text[a:b].strip() for a, b in zip(starts, starts[1:])]
    headings = {sec["key"]: sec["heading"] for sec in ctx.fmt.layout["cover"]["sections"]}
    findings = []
    for subject in rule["subjects"]:
        other = subject["other"]
        if other not in ctx.located:
            continue
        item = next((i for i in items if _compiled(subject["item"]).match(i)), None)
        if item is None:
            continue
        # the sub-item's own words: what follows its heading (up to the first 。 or ：)
        heading, *rest = re.split(r"[。：:]", item, maxsplit=1)
        body = rest[0].strip() if rest else ""
        compact_body = "".join(body.split())
        other_text = (ctx.texts.get(other) or "").strip()
        compact_other = "".join(other_text.split())
        if not compact_body or _compiled(subject["none"]).match(compact_body) or not compact_other:
            continue   # the sub-item says nothing (or "无"): nothing to contradict
        says_none = bool(_compiled(subject["none"]).match(compact_other))
        if says_none or (subject["conflict"] == "different" and text_overlap(body, other_text) < subject["min_overlap"]):
            findings.append(_make(ctx, rule, s, "none" if says_none else "default", pointer=s.pointer,
                                     name=subject["name"], item=catalogue.shorten(heading, 30),
                                     other=headings.get(other, other), excerpt=catalogue.shorten(body, 30),
                                     other_excerpt=catalogue.shorten(other_text, 30)))
    return findings


# check -> function (context, rule, section) -> findings: a new check is one function and one entry here
TEXT_CHECKS: dict[str, Callable[[Context, dict, Section], list[Finding]]] = {
    "present": _present,
    "contains_none": _contains_none,
    "contains_any": _contains_any,
    "aspects": _aspects,
    "pattern": _pattern,
    "jurisdiction": _jurisdiction,
    "number": _number,
    "zero": _number,
    "repeated_subject": _repeated_subject,
    "prose_sum": prose.prose_sum,
}


def text_overlap(text: str, previous: str) -> float:
    """Share of this text's character n-grams (whitespace removed) that also occur in the other text,
    over the first MAX_COMPARED characters of each."""
    # a narrative runs to a few thousand characters: comparing more (a 16 MB paste) only costs memory
    a, b = "".join(text.split())[:MAX_COMPARED], "".join(previous.split())[:MAX_COMPARED]
    grams = {a[i:i + N_GRAM] for i in range(max(len(a) - N_GRAM + 1, 0))}
    if not grams:
        return 0.0
    seen = {b[i:i + N_GRAM] for i in range(max(len(b) - N_GRAM + 1, 0))}
    return len(grams & seen) / len(grams)


def unit_is_of(level: dict, name: str) -> bool:
    """A unit (name without whitespace) is of a level: its name matches `unit` and not `unless`."""
    return bool(_compiled(level["unit"]).search(name)) and not (level.get("unless") and _compiled(level["unless"]).search(name))


def _stated_number(digits: str) -> int | Decimal:
    # amounts in 万元 may carry decimals (行政事业性收费 12.35万元); counts are whole
    return Decimal(digits) if "." in digits else int(digits)


def _positive_total(pointers: list[str], values: Mapping[str, Any] | None) -> int:
    """The sum of the cells when every one holds a number, else 0 (a blank or invalid cell has its own finding)."""
    parts = [values.get(p) for p in pointers] if values is not None else []
    return sum(parts) if parts and all(is_number(v) for v in parts) and sum(parts) > 0 else 0


@lru_cache(maxsize=1024)
def _compiled(pattern: str) -> "re.Pattern":
    """A rule's regular expression, compiled once (text rules run on every report)."""
    return re.compile(pattern)
