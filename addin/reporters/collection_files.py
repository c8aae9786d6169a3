"""--totals-out FILE and --feedback-dir DIR: the collection's totals workbook and its 退回意见/催报 text files."""
from __future__ import annotations

from addin.reporters.base import Reporter, RunEnd
from addin.writing.feedback import write_feedback


class TotalsReporter(Reporter):
    """The standalone totals workbook: the official tables 二/三/四 filled with the totals."""

    def finish(self, end: RunEnd) -> None:
        from addin.writing.collection_book import write_totals

        write_totals(self.settings.totals_out, end.collection, end.options.formats())


class FeedbackReporter(Reporter):
    """One 退回意见 text per unit that must correct its report, and the 催报 list."""

    def finish(self, end: RunEnd) -> None:
        write_feedback(self.settings.feedback_dir, end.collection)
