"""The one seam between the Excel add-in and branch `annotate` (marking content, submission writer).

Used from there when importable (checked against that branch's working tree):
    annotate.RESULTS_SHEET; annotate.marks_for(result) -> {(sheet, cell): Mark(.severity, .note, .fill "RRGGBB")};
    annotate.results_sheet(result) -> ResultsSheet(.rows, .links {(row, col): (sheet, cell)});
    submission.write_submission(result, path) -> Submission(.path).
The add-in itself only calls cell_marks(result), results_rows(result) and write_submission(result, path)
below. The stand-ins in the `else` branches exist only so this branch runs alone; delete them at merge.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

try:  # pragma: no cover - which branch is present decides
    from addin.reporters import annotate as _annotate  # type: ignore
    HAVE_ANNOTATE = hasattr(_annotate, "marks_for") and hasattr(_annotate, "results_sheet")
except ImportError:
    HAVE_ANNOTATE = False

try:  # pragma: no cover
    from addin.writing import submission as _submission  # type: ignore
    HAVE_SUBMISSION = hasattr(_submission, "write_submission")
except ImportError:
    HAVE_SUBMISSION = False


@dataclass(frozen=True)
class _CellMark:
    sheet: str
    cell: str
    severity: str
    fill: str
    note: str


@dataclass(frozen=True)
class _Link:
    row: int
    col: int
    sheet: str
    cell: str


if HAVE_ANNOTATE:  # branch `annotate`: marks_for / results_sheet / link columns
    RESULTS_SHEET = _annotate.RESULTS_SHEET

    def cell_marks(result):
        return [_CellMark(sheet, cell, m.severity, "#" + m.fill.lstrip("#"), m.note)
                for (sheet, cell), m in _annotate.marks_for(result).items()]

    def results_rows(result):
        content = _annotate.results_sheet(result)
        links = [_Link(r, c, sheet, cell or "A1") for (r, c), (sheet, cell) in sorted(content.links.items())]
        return content.rows, links

else:
    RESULTS_SHEET = "校验结果"
    _FILLS = {"error": "#FFC7CE", "warning": "#FFEB9C", "info": "#DDEBF7"}

    def cell_marks(result):
        """Stand-in: one mark per (sheet, cell), coloured by the worst severity, note lists all findings."""
        from addin.findings import SEVERITY_ZH

        by_cell: dict[tuple[str, str], list] = {}
        for f in result.findings:  # already sorted errors first
            if f.sheet and f.cell:
                by_cell.setdefault((f.sheet, f.cell), []).append(f)
        return [_CellMark(sheet, cell, fs[0].severity, _FILLS[fs[0].severity],
                          "\n".join(f"【{SEVERITY_ZH[f.severity]}】{f.code} {f.message}" for f in fs))
                for (sheet, cell), fs in by_cell.items()]

    def results_rows(result):
        """Stand-in: a header and one row per finding; the cell column links to the cell."""
        from addin.findings import SEVERITY_ZH

        rows = [["序号", "级别", "代码", "工作表", "单元格", "说明"]]
        links = []
        for i, f in enumerate(result.findings, start=1):
            rows.append([i, SEVERITY_ZH[f.severity], f.code, f.sheet or "", f.cell or "", f.message])
            if f.sheet and f.cell:
                links.append(_Link(len(rows) - 1, 4, f.sheet, f.cell))
        return rows, links

if HAVE_SUBMISSION:
    def write_submission(result, path) -> Path:
        return Path(_submission.write_submission(result, path).path)

else:
    def write_submission(result, path) -> Path:
        """Stand-in: the standard workbook filled with the checked values, saved atomically."""
        import os
        import tempfile

        from addin.formats import available_formats, unescape
        from addin.writing.template import build_workbook, save_workbook

        fmt = available_formats()[result.format_version]
        values = {}
        for cell in fmt.cells:
            node = result.document
            for token in cell.pointer.strip("/").split("/"):
                node = node.get(unescape(token)) if isinstance(node, dict) else None
            if node is not None:
                values[cell.pointer] = node
        texts = {k: v for k, v in (result.document.get("text") or {}).items() if v}
        wb = build_workbook(fmt, result.report_year, result.unit, values, texts)
        path = Path(path)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        try:
            save_workbook(wb, tmp)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path
