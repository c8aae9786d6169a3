"""The walks from a nested data document to its values: the flat pointer -> value map, the cover's year and unit."""
from __future__ import annotations

from addin.formats import FormatDef


def flat_values(fmt: FormatDef, document: dict | None) -> dict:
    """pointer -> value of every data cell of the format in a nested data document (None where absent)."""
    out = {}
    if not document:
        return out
    for pointer, tokens in fmt.pointer_paths.items():
        node = document
        for token in tokens:
            node = node.get(token) if isinstance(node, dict) else None
            if node is None:
                break
        out[pointer] = node
    return out


def cover_year_unit(fmt: FormatDef, document: dict) -> tuple:
    """The report year and unit name held in the document's cover, taken as the reader takes them
    (the year field; the unit from the other fields, the last one read)."""
    cover = document.get("cover") or {}
    year = unit = None
    for f in fmt.layout["cover"]["fields"]:
        if f["type"] == "year":
            year = cover.get(f["key"])
        else:
            unit = cover.get(f["key"])
    return year, unit
