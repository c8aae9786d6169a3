"""The outputs of a check run by name; a run builds `REPORTER_BY_NAME[name](settings)` for each one it is asked for."""
from __future__ import annotations

from addin.reporters.base import Reporter
from addin.reporters.collection_files import FeedbackReporter, TotalsReporter
from addin.reporters.console import ConsoleReporter
from addin.reporters.json_report import JsonReporter
from addin.reporters.jsonl import JsonlReporter
from addin.reporters.summary_book import SummaryReporter

REPORTER_BY_NAME: dict[str, type[Reporter]] = {
    "console": ConsoleReporter,    # findings per file for people (the default)
    "json": JsonReporter,          # --json: one JSON document on stdout
    "jsonl": JsonlReporter,        # --jsonl FILE: one line per file as it finishes
    "summary": SummaryReporter,    # --summary FILE: the summary workbook
    "totals": TotalsReporter,      # --totals-out FILE: the totals in the official tables
    "feedback": FeedbackReporter,  # --feedback-dir DIR: 退回意见 per unit, 催报 list
}
