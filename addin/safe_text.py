"""Text from an input made safe for where it goes: a terminal line, or a cell an .xlsx writer accepts."""
from __future__ import annotations

import re

MAX_CELL_TEXT = 32_767   # Excel's limit on the characters of one cell

# C0 controls (a newline too: a file name holding one would forge an output line), DEL, C1 controls
# (ESC-less CSI and OSC on some terminals), and the bidirectional overrides that reorder what is shown
_TERMINAL_UNSAFE_RE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# what the XML of a worksheet cannot hold (openpyxl raises IllegalCharacterError for these)
_CELL_UNSAFE_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Word's manual line break (vertical tab, stored by Excel as _x000B_) and a form feed are line breaks
_CELL_LINE_BREAKS = str.maketrans({"\x0b": "\n", "\x0c": "\n"})


def _escape(m: re.Match) -> str:
    code = ord(m.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def for_terminal(text) -> str:
    """The text with every control character shown as an escape (\\n, \\x1b ...), never obeyed."""
    text = str(text)
    return _TERMINAL_UNSAFE_RE.sub(_escape, text) if _TERMINAL_UNSAFE_RE.search(text) else text


def for_cell(text: str) -> str:
    """The text as a worksheet can store it: line-break controls as newlines, other controls dropped.
    Applied before the data is digested, so the file written reads back as the data validated."""
    if not _CELL_UNSAFE_RE.search(text):
        return text
    return _CELL_UNSAFE_RE.sub("", text.translate(_CELL_LINE_BREAKS))
