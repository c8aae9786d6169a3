"""--summary FILE: the collector's summary workbook, written at the end of the run from every file's full result."""
from __future__ import annotations

from addin.reporters.base import Reporter, RunEnd
from addin.result import FileResult
from addin.writing.spill import SpilledResults
from addin.writing.summary import write_summary


class SummaryReporter(Reporter):
    """Without --json the run keeps only slim records in memory; the full results wait here in a
    temporary JSONL (writing.spill), so memory stays flat in the number of files. With --json the
    run keeps the full results anyway and the workbook is built from them."""

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.spill: SpilledResults | None = None
        if not settings.json:
            self.spill = SpilledResults(settings.file_count)

    def resumed(self, index: int, result: FileResult) -> None:
        if self.spill is not None:
            self.spill.put(index, result)

    def file_done(self, index: int, result: FileResult) -> None:
        if self.spill is not None:
            self.spill.put(index, result)

    def finish(self, end: RunEnd) -> None:
        write_summary(self.settings.summary, self.spill if self.spill is not None else end.results,
                      locks_skipped=end.locks_skipped, unmatched=end.unmatched, previous_mode=end.previous_mode,
                      options=end.options)

    def close(self) -> None:
        if self.spill is not None:
            self.spill.close()
