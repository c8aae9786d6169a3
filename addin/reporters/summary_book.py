"""--summary FILE: the collector's workbook (汇总, 退回意见, 催报, 合计, 同比, 说明), written at the end of the run."""
from __future__ import annotations

from addin.reporters.base import Reporter, RunEnd

LOCK_REASON = "Office 临时锁文件（~$ 开头），不是报告"


class SummaryReporter(Reporter):
    """Built from the run's collection; the data documents come back from the run's spill file (writing.spill)
    without --json, so memory stays flat in the number of files."""

    def finish(self, end: RunEnd) -> None:
        from addin.writing.collection_book import write_book

        s = self.settings
        write_book(s.summary, end.collection, command=s.command, roster_path=s.roster,
                   skipped=[(p, LOCK_REASON) for p in end.lock_files], formats=end.options.formats(),
                   previous=end.previous if s.previous_dir else None, documents=end.documents,
                   unmatched=[(r.unit or "", r.path) for r in end.unmatched])
