"""JSON text with exact decimals: money is written digit for digit, never through a binary float."""
from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

_MARK = "\u0000dec:"
_MARK_RE = re.compile(r'"\\u0000dec:([-0-9.E+]+)"')


class _Encoder(json.JSONEncoder):
    def default(self, o):
        if isinstance(o, Decimal):
            return _MARK + format(o, "f")
        return super().default(o)


def dumps(obj: Any, *, canonical: bool = False, indent: int | None = None, ascii_only: bool = False) -> str:
    """canonical=True: sorted keys, no insignificant whitespace (the form that is hashed); ascii_only=True:
    every character beyond ASCII as a \\uXXXX escape (for a console that cannot show it)."""
    text = json.dumps(obj, cls=_Encoder, ensure_ascii=ascii_only, sort_keys=canonical, indent=None if canonical else indent,
                      separators=(",", ":") if canonical else None)
    return _MARK_RE.sub(lambda m: m.group(1), text)


def loads(text: str) -> Any:
    """Numbers with a fraction come back as Decimal, integers as int."""
    return json.loads(text, parse_float=Decimal)
