"""Normalisation of labels and cell values (rules.md §1 and §2): raw text in, typed value and notices out."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

# NORM-02: every kind of whitespace that appears in extracted or typed cells
WHITESPACE = " \t\r\n\u00a0\u3000\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u200b\ufeff\u202f\u205f"
_WS_RE = re.compile(f"[{re.escape(WHITESPACE)}\\s]+")
_QUOTES = str.maketrans({c: '"' for c in "“”\"「」‘’'『』"})
ARTEFACT_RE = re.compile(r"\[bookmark:[^\]]*\]")
_ITEM_NUMBER_RE = re.compile(r"^(\d{1,2})[、.．](?=\D)")
_LAST_PAREN_RE = re.compile(r"^(.+)\([^()]*\)$")

PLACEHOLDERS = {"-", "—", "–", "/", "／", "无", "空", "不适用", "n/a", "na", "×", "——", "--", "-—", "—-", "－", "―", "\\", "null", "none"}
COUNT_UNITS = ("件", "条", "个", "项", "次")
MONEY_UNITS = ("万元", "元")
_MINUS = {"－": "-", "−": "-", "﹣": "-", "‐": "-", "‑": "-", "＋": "+"}
_NUMBER_RE = re.compile(r"^[+-]?\d+(?:\.\d+)?$")
_THOUSANDS_RE = re.compile(r"^([+-]?)(\d{1,3}(?:,\d{3})+)(\.\d+)?$")
_INNER_SPACE_RE = re.compile(r"\d[\s\u00a0\u3000]+\d")
_FULLWIDTH_DIGIT_RE = re.compile("[０-９]")


def norm_label(text: Any) -> str:
    """Label text for matching: NFKC, no whitespace at all, one quote class, no extraction artefacts."""
    if text is None:
        return ""
    if isinstance(text, str) and len(text) <= 300:
        return norm_short_label(text)
    return _norm_label(str(text))


@lru_cache(maxsize=1 << 16)
def norm_short_label(text: str) -> str:
    """norm_label of a str of at most 300 characters, remembered: the same label texts recur in every
    report and in every locate loop, so each is normalised once."""
    return _norm_label(text)


def _norm_label(text: str) -> str:
    s = ARTEFACT_RE.sub("", text)
    s = unicodedata.normalize("NFKC", s)
    s = _WS_RE.sub("", s)
    # "1、属于国家秘密" and "1．属于国家秘密" are the template's "1.属于国家秘密"
    s = _ITEM_NUMBER_RE.sub(r"\1.", s)
    return s.translate(_QUOTES)


@lru_cache(maxsize=1 << 14)
def label_heads(text: str) -> frozenset[str]:
    """Every label a normalised cell text stands for: itself and each head left after stripping
    trailing parenthetical notes one at a time (so the template's own parentheticals stay)."""
    out = {text}
    head = text
    while (m := _LAST_PAREN_RE.match(head)) is not None:
        head = m.group(1)
        out.add(head)
    return frozenset(out)


def label_matches(cell_text: str, expected_norm: str) -> tuple[bool, bool]:
    """(matches, with an added explanation): NORM-08 tolerates trailing parenthetical notes."""
    if cell_text == expected_norm:
        return True, False
    return (True, True) if expected_norm in label_heads(cell_text) else (False, False)


@dataclass
class Notice:
    """A normalisation notice; the extractor turns it into a Finding at the cell."""

    code: str
    variant: str = "default"
    severity: str | None = None
    fields: dict = field(default_factory=dict)


@dataclass
class Parsed:
    state: str                 # NUM | BLANK | PLACEHOLDER | TEXT | FORMULA_ERROR
    value: Any = None          # int or Decimal for NUM, normalised text for TEXT
    notices: list[Notice] = field(default_factory=list)
    unit: str | None = None


def show_raw(raw: Any) -> str:
    """Raw cell text with invisible characters made visible, for messages."""
    if raw is None:
        return ""
    names = {"\u3000": "〔全角空格〕", "\u00a0": "〔不间断空格〕", "\t": "〔制表符〕", "\n": "〔换行〕", "\r": "〔回车〕",
             "\u200b": "〔零宽空格〕", "\ufeff": "〔BOM〕"}
    text = str(raw)
    if len(text) > 80:
        text = text[:80] + "…"
    return "".join(names.get(ch, ch) for ch in text)


def _describe_ws(chars: str) -> str:
    kinds = []
    for ch, name in (("\u3000", "全角空格"), ("\u00a0", "不间断空格"), (" ", "半角空格"), ("\t", "制表符")):
        if ch in chars:
            kinds.append(name)
    if not kinds:
        kinds.append("不可见字符")
    return "、".join(kinds)


def _number(text: str) -> Decimal | None:
    if not _NUMBER_RE.match(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _typed(d: Decimal):
    return int(d) if d == d.to_integral_value() and "." not in str(d) else d


def parse_value(raw: Any, kind: str, unit: str | None = None) -> Parsed:
    """Parse one data cell of column type `kind` (count | signed | money) whose header states `unit`."""
    if raw is None:
        return Parsed("BLANK")
    if isinstance(raw, bool):
        return Parsed("TEXT", str(raw).upper())
    if isinstance(raw, float) and (raw != raw or raw in (float("inf"), float("-inf"))):
        return Parsed("TEXT", str(raw))
    if isinstance(raw, (int, float, Decimal)):
        if isinstance(raw, float):
            # 15 significant digits, as Excel shows the number: a formula's 0.1+0.2 is 0.3, not 0.30000000000000004
            value = int(raw) if raw.is_integer() and abs(raw) < 2**53 else _typed(Decimal(f"{raw:.15g}"))
        else:
            value = _typed(raw) if isinstance(raw, Decimal) else raw
        return Parsed("NUM", value, _money_checks(kind, unit, value, None))
    if isinstance(raw, (datetime, date, time)):
        return Parsed("TEXT", str(raw))
    text = str(raw)
    notices: list[Notice] = []
    core = text.strip(WHITESPACE)
    if not core:
        return Parsed("BLANK")
    if core.startswith("#") and core.endswith(("!", "?", "A")) and core.upper() in {
            "#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#GETTING_DATA", "#SPILL!", "#CALC!"}:
        return Parsed("FORMULA_ERROR", core)
    s = unicodedata.normalize("NFKC", core)
    if _FULLWIDTH_DIGIT_RE.search(core):
        notices.append(Notice("VAL-08"))
    if core != text:
        notices.append(Notice("VAL-07", fields={"chars": _describe_ws(text.replace(core, "", 1))}))
    if s.lower() in PLACEHOLDERS or s in PLACEHOLDERS:
        return Parsed("PLACEHOLDER", None, notices)
    for a, b in _MINUS.items():
        s = s.replace(a, b)
    if _INNER_SPACE_RE.search(s):
        return Parsed("TEXT", s, notices + [Notice("VAL-07", "inner", "warning")])
    s = _WS_RE.sub("", s)
    found_unit = None
    for u in (MONEY_UNITS + COUNT_UNITS):
        if s.endswith(u) and len(s) > len(u):
            found_unit, s = u, s[: -len(u)]
            break
    m = _THOUSANDS_RE.match(s)
    if m:
        s = m.group(1) + m.group(2).replace(",", "") + (m.group(3) or "")
        notices.append(Notice("NORM-06"))
    number = _number(s)
    if number is None:
        return Parsed("TEXT", unicodedata.normalize("NFKC", core), notices)
    value = _typed(number)
    if s.startswith("+") and kind == "signed":
        notices.append(Notice("VAL-04", "plus", "info"))
    if found_unit:
        if kind == "money":
            if unit and found_unit != unit:
                return Parsed("NUM", value, notices + [Notice("VAL-05", "wrong_unit", "error", {"unit": found_unit})], found_unit)
            if unit:
                notices.append(Notice("VAL-05", "unit_repeated", "info"))
            else:
                notices.append(Notice("VAL-06", "unit_recorded", "info", {"unit": found_unit}))
        elif found_unit in MONEY_UNITS:
            return Parsed("TEXT", unicodedata.normalize("NFKC", core), notices)
        else:
            notices.append(Notice("VAL-09", fields={"unit": found_unit}))
    return Parsed("NUM", value, notices + _money_checks(kind, unit, value, found_unit), found_unit)


def _money_checks(kind: str, unit: str | None, value, found_unit: str | None) -> list[Notice]:
    if kind != "money":
        return []
    if unit and isinstance(value, Decimal) and -value.as_tuple().exponent > 4:
        return [Notice("VAL-05", "precision", "warning")]
    if not unit and not found_unit and value > 0:
        return [Notice("VAL-06", "unit_unknown", "warning")]
    return []
