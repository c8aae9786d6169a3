"""The one walk from a nested data document to its flat pointer -> value map."""
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
