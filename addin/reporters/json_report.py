"""Machine-readable results: one JSON object for a run, or one JSON line per file."""
from __future__ import annotations

from addin import jsonio
from addin._version import __version__
from addin.result import FileResult


def run_document(results: list[FileResult]) -> str:
    return jsonio.dumps({"gkreport": __version__, "results": [r.as_dict() for r in results]}, indent=2)
