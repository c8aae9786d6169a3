"""Machine-readable results: one JSON document for the whole run on standard output."""
from __future__ import annotations

import sys

from addin import jsonio
from addin._version import __version__
from addin.reporters.base import Reporter, RunEnd
from addin.result import FileResult


def run_document(results: list[FileResult], collection=None) -> str:
    """The run as one JSON object; a batch adds its `collection` (addin.collection.CollectionView.as_dict)."""
    doc = {"gkreport": __version__, "results": [r.as_dict() for r in results]}
    if collection is not None:
        doc["collection"] = collection.as_dict()
    return jsonio.dumps(doc, indent=2)


class JsonReporter(Reporter):
    """The run's JSON document at the end; what the copy step said goes to stderr, so stdout stays one document."""

    def __init__(self, settings, out=None, notes=None) -> None:
        super().__init__(settings)
        self.out = out or sys.stdout
        self.notes = notes or sys.stderr

    def file_done(self, index: int, result: FileResult) -> None:
        if result.annotated_note:
            self.notes.write(f"  {result.annotated_note}\n\n")

    def finish(self, end: RunEnd) -> None:
        self.out.write(run_document(end.results, end.collection) + "\n")
