"""The order a report is printed in: 一 to 六 by the numbers of their headings, and the sheets that hold them."""
from __future__ import annotations

from addin.formats import FormatDef

NUMERALS = "一二三四五六七八九十"


def heading_number(text: str) -> int:
    """1 for "一、总体情况", 2 for "二、…": the place of a heading in the printed report (unnumbered: last)."""
    head = text.split("、", 1)[0]
    return sum(NUMERALS.index(ch) + 1 for ch in head if ch in NUMERALS) if "、" in text else len(NUMERALS) + 1


def sheet_order(fmt: FormatDef) -> list[str]:
    """The template's sheets as printed: the cover, then the sheets of the sections and tables by the
    numbers of the headings on them."""
    cover = fmt.layout["cover"]
    placed = [(heading_number(s["heading"]), s.get("sheet", cover["sheet"])) for s in cover["sections"]]
    placed += [(heading_number(t["heading"]), t["sheet"]) for t in fmt.tables()]
    return list(dict.fromkeys([cover["sheet"], *(name for _n, name in sorted(placed, key=lambda p: p[0]))]))
