"""--jsonl: one JSON line per finished file (with its document), flushed at once, so an interrupted run keeps it."""
from __future__ import annotations

import os
from pathlib import Path

from addin import jsonio
from addin.reporters.base import Reporter, RunEnd
from addin.result import FileResult


class JsonlReporter(Reporter):
    """--jsonl FILE: appended to with --resume, where the recorded lines are the files to skip."""

    def __init__(self, settings) -> None:
        super().__init__(settings)
        path, append = settings.jsonl, settings.resume
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.fh = open(path, "a" if append else "w", encoding="utf-8")
        if append and self.fh.tell() > 0:
            with open(path, "rb") as check:
                check.seek(-1, os.SEEK_END)
                if check.read(1) != b"\n":
                    self.fh.write("\n")   # end the line an interrupted run left half written

    def file_done(self, index: int, result: FileResult) -> None:
        self.fh.write(jsonio.dumps(result.as_dict(with_document=True)) + "\n")
        self.fh.flush()

    def finish(self, end: RunEnd) -> None:
        # with collection options the file ends with the collection: {"collection": ...} after the files' lines
        if self.settings.collecting and end.collection is not None:
            self.fh.write(jsonio.dumps({"collection": end.collection.as_dict()}) + "\n")
            self.fh.flush()

    def close(self) -> None:
        self.fh.close()
