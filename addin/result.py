"""The outcome of checking one file: status, identification, findings and the data document."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from addin.catalogue import finding_from_dict
from addin.findings import KINDS, SEVERITIES, Finding

PASSED, FAILED, UNREADABLE, TIMED_OUT = "passed", "failed", "unreadable", "timed_out"
# The one table of status words, for the console, the 校验结果 sheet and the summary workbook.
STATUS_ZH = {PASSED: "通过", FAILED: "未通过", UNREADABLE: "无法读取", TIMED_OUT: "超时"}


@dataclass
class FileResult:
    path: str
    status: str
    format_version: str | None = None
    report_year: int | None = None
    unit: str | None = None
    findings: list[Finding] = field(default_factory=list)
    not_evaluated: list = field(default_factory=list)
    rules_held: list[str] = field(default_factory=list)   # arithmetic rules evaluated everywhere without a violation
    document: dict | None = None
    origins: dict = field(default_factory=dict)
    content_hash: str | None = None
    annotated: str | None = None      # the marked-up copy (or results workbook) written for this file
    annotated_note: str | None = None  # what the copy step said (Chinese), for the console; not in the JSON
    contacts: dict[str, str] = field(default_factory=dict)   # the cover's optional fields (填报人, 联系电话…) filled in

    @property
    def counts(self) -> dict[str, int]:
        counts = {s: 0 for s in SEVERITIES}
        for f in self.findings:
            counts[f.severity] += 1
        return counts

    @property
    def kind_counts(self) -> dict[str, dict[str, int]]:
        """Per kind (defects of the report, doubts of the reading), the count of each severity."""
        counts = {k: {s: 0 for s in SEVERITIES} for k in KINDS}
        for f in self.findings:
            counts[f.kind][f.severity] += 1
        return counts

    def not_evaluated_rules(self, waiting_for_previous: bool) -> list[str]:
        """Sorted ids of the rules not evaluated: blocked by cells that are not numbers (False), or
        cross-year rules waiting for last year's report (True)."""
        return sorted({n.rule for n in self.not_evaluated if n.waits_for_previous == waiting_for_previous})

    @property
    def ok(self) -> bool:
        return self.status == PASSED

    def as_dict(self, with_document: bool = False) -> dict[str, Any]:
        """The JSON form; with_document adds the data document (the JSONL lines, read back by from_dict)."""
        out = {
            "path": self.path,
            "status": self.status,
            "format_version": self.format_version,
            "report_year": self.report_year,
            "unit": self.unit,
            "counts": self.counts,
            "counts_by_kind": self.kind_counts,
            "findings": [f.as_dict() for f in self.findings],
            "not_evaluated": [{"rule": n.rule, "pointer": n.mark, "blocked_by": list(n.blocked_by)} for n in self.not_evaluated],
            "rules_held": list(self.rules_held),
        }
        if self.content_hash:
            out["sha256"] = self.content_hash
        if self.annotated:
            out["annotated"] = self.annotated
        if self.contacts:
            out["contacts"] = dict(self.contacts)
        if with_document:
            out["document"] = self.document
        return out

    @classmethod
    def from_dict(cls, d: dict) -> "FileResult":
        """A FileResult back from its JSON form (findings and document; not-evaluated rules are not kept)."""
        findings = [finding_from_dict(f) for f in d.get("findings", [])]
        return cls(path=d["path"], status=d["status"], format_version=d.get("format_version"),
                   report_year=d.get("report_year"), unit=d.get("unit"), findings=findings,
                   rules_held=list(d.get("rules_held", [])), document=d.get("document"), content_hash=d.get("sha256"), annotated=d.get("annotated"),
                   contacts=dict(d.get("contacts") or {}))
