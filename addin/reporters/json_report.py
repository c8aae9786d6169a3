"""Machine-readable results: one JSON document for the whole run on standard output."""
from __future__ import annotations

import sys

from addin import jsonio
from addin._version import __version__
from addin.reporters.base import Reporter, RunEnd
from addin.result import FileResult


def run_document(results: list[FileResult], collection=None, ascii_only: bool = False) -> str:
    """The run as one JSON object; a batch adds its `collection` (addin.collection.CollectionView.as_dict);
    ascii_only escapes every character beyond ASCII (a console that cannot show them)."""
    doc = {"gkreport": __version__, "results": [r.as_dict() for r in results]}
    if collection is not None:
        doc["collection"] = collection.as_dict()
    return jsonio.dumps(doc, indent=2, ascii_only=ascii_only)


def _shows(stream, text: str) -> bool:
    """Whether the stream's encoding can write `text` as it is (a GBK or cp1252 console may not)."""
    try:
        text.encode(getattr(stream, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


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
        text = run_document(end.results, end.collection)
        if not _shows(self.out, text):
            text = run_document(end.results, end.collection, ascii_only=True)   # still the same JSON, escaped
        self.out.write(text + "\n")
