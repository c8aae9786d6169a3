"""The totals of the current submissions in the official layout (the standard workbook, filled with sums)."""
from __future__ import annotations

import io
from collections import defaultdict
from decimal import Decimal

from addin.formats import available_formats
from addin.result import PASSED
from addin.values import flat_values
from addin.writing.template import build_workbook, resolve_format, save_workbook


def totals_workbook(collection, results) -> bytes | None:
    """Sums of every data cell over the passed reports of the collection's year, in the year's template."""
    fmt = resolve_format(collection.year)
    formats = available_formats()
    reports = [r for r in results if r.status == PASSED and r.document and r.format_version == fmt.version]
    if not reports:
        return None
    sums: dict[str, object] = defaultdict(int)
    for r in reports:
        for pointer, v in flat_values(formats[fmt.version], r.document).items():
            if isinstance(v, (int, Decimal)) and not isinstance(v, bool):
                sums[pointer] += v
    wb = build_workbook(fmt, collection.year, f"{collection.title}（{len(reports)} 份报告合计）", values=dict(sums))
    buffer = io.BytesIO()
    save_workbook(wb, buffer)
    return buffer.getvalue()
