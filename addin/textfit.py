"""How much text one spreadsheet cell or note box can show whole (row heights of the template's texts, note sizes)."""
from __future__ import annotations

import math
import unicodedata

TEXT_WIDTH = 78          # character units of the one column of a narrative sheet: A4 portrait at 100%
                         # in LibreOffice too (which does not scale a sheet of one tall column to fit)
MAX_ROW_HEIGHT = 409     # points: the most Excel allows a row
LINE_PT = 15.0           # points per line of 11-point 宋体, with leading
PAD_PT = 6.0
NARROW = 0.9             # Excel sets CJK a little wider than two character units: count on 90% of the width


def display_len(text: str) -> int:
    """Width in Excel character units: CJK and full-width characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def text_height(text: str, width_chars: float, line_pt: float = LINE_PT, pad: float = PAD_PT) -> float:
    """Points a wrapped cell `width_chars` wide needs for `text` (every line break starts a line)."""
    lines = sum(max(1, math.ceil(display_len(part) / max(width_chars - 1, 1))) for part in text.split("\n"))
    return lines * line_pt + pad


def paragraph_height(text: str) -> float:
    """Points a paragraph row of the template needs to show `text` whole (capped at what a row holds)."""
    return min(text_height(text, TEXT_WIDTH * NARROW), MAX_ROW_HEIGHT)


def fits_in_a_row(text: str) -> bool:
    """Whether `text` in one cell as wide as the template's text column can show and print whole: a row
    is at most 409 points high, so a longer text is cut off on screen and on paper."""
    return text_height(text, TEXT_WIDTH * NARROW) <= MAX_ROW_HEIGHT


NOTE_MAX_CHARS = 56      # character units of a note's widest line before it wraps
NOTE_MAX_HEIGHT_PX = 800
PT_PER_PX = 0.75         # a note's VML box is sized in pixels (96 dpi); Excel's COM Shape in points


def note_size(text: str) -> tuple[int, int]:
    """(width, height) in pixels of a note box as wide as its longest line (up to NOTE_MAX_CHARS) and as
    tall as its wrapped lines: the one sizing of the marked copy's notes and the desktop add-in's."""
    lines = text.split("\n")
    width_chars = min(max(max(display_len(line) for line in lines), 1), NOTE_MAX_CHARS)
    rows = sum(max(1, math.ceil(display_len(line) / width_chars)) for line in lines)
    return max(120, 20 + 6 * width_chars), min(12 + 15 * rows, NOTE_MAX_HEIGHT_PX)
