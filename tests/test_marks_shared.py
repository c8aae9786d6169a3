"""One marking state for both tools: the add-in's marks are undone by `check --annotate` and the reverse."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.comments import Comment

os.environ["XLWINGS_LICENSE_KEY"] = "noncommercial"

import addin  # noqa: E402
from addin.formats import available_formats  # noqa: E402
from addin.pipeline import check_file  # noqa: E402
from addin.reporters import annotate, content, markstate  # noqa: E402
from addin.writing.template import build_workbook, save_workbook  # noqa: E402
from tests.office_js import Client  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SEED = json.loads((ROOT / "tests" / "cases" / "seed_2020" / "values.json").read_text(encoding="utf-8"))
USER_NOTE = "填报人的说明"


@pytest.fixture
def report(tmp_path):
    """The seed report with a note of the user's own on one error cell."""
    fmt = available_formats()[SEED["format_version"]]
    wb = build_workbook(fmt, SEED["year"], SEED["unit"], SEED["values"])
    path = tmp_path / "report.xlsx"
    save_workbook(wb, path)
    errors = sorted((f.sheet, f.cell) for f in check_file(path).findings if f.severity == "error" and f.cell)
    wb = load_workbook(path)
    sheet, cell = errors[0]
    wb[sheet][cell].comment = Comment(USER_NOTE, "张三")
    wb.save(path)
    return path


def _look(path_or_wb, skip=(markstate.SHEET,)):
    """Sheet order, and (sheet, cell) -> (fill, note text) of every cell with a fill or a note."""
    wb = load_workbook(path_or_wb) if isinstance(path_or_wb, (str, Path)) else path_or_wb
    cells = {}
    for ws in wb.worksheets:
        if ws.title in skip:
            continue
        for row in ws.iter_rows():
            for c in row:
                fill = c.fill.fgColor.rgb[-6:] if c.fill is not None and c.fill.fill_type == "solid" else None
                note = c.comment.text if c.comment is not None else None
                if fill or note:
                    cells[(ws.title, c.coordinate)] = (fill, note)
    return wb.sheetnames, cells


def _annotate_cli(path: Path, out_dir: Path) -> Path:
    proc = subprocess.run([sys.executable, "-m", "addin", "check", "--annotate", "--out-dir", str(out_dir), str(path)],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr   # the seed has errors
    return annotate.copy_path(path, out_dir)


def _addin_run(path: Path, saved: Path, clear=False) -> Client:
    client = Client(path)
    book = client.book()
    addin.clear_marks(book) if clear else addin.validate(book)
    client.apply(book.json()["actions"])
    client.save(path, saved)
    return client


def test_annotate_replaces_the_addins_marks(report, tmp_path):
    marked = tmp_path / "marked.xlsx"
    _addin_run(report, marked)
    names, cells = _look(marked)
    wb = load_workbook(marked)
    assert wb[markstate.SHEET].sheet_state == "veryHidden"
    assert content.RESULTS_SHEET in names
    added = [k for k, (_, note) in cells.items() if note and note.startswith("gkreport")]
    assert added and all(wb[s][c].comment.author != content.NOTE_AUTHOR for s, c in added)

    fresh = _annotate_cli(report, tmp_path / "fresh")
    again = _annotate_cli(marked, tmp_path / "again")
    # The copy of the add-in's workbook looks exactly like the copy of the unmarked report: the
    # add-in's notes, fills and results sheet were undone first, not stacked under the new ones.
    assert _look(again) == _look(fresh)
    names, cells = _look(again)
    assert names.count(content.RESULTS_SHEET) == 1 and not any("（2）" in n for n in names)
    for _, note in cells.values():
        if note:
            assert note.count("gkreport 校验：") == 1

    # clear_marks on the add-in's saved workbook gives back the report as it was
    wb = load_workbook(marked)
    restored = annotate.clear_marks(wb)
    assert restored == len(markstate.decode(load_workbook(marked)[markstate.SHEET].iter_rows(values_only=True)).cells)
    assert restored > 0
    assert _look(wb) == _look(report)


def test_addin_replaces_the_annotated_copys_marks(report, tmp_path):
    copy = _annotate_cli(report, tmp_path / "out")
    from_copy = _addin_run(copy, tmp_path / "copy-addin.xlsx")
    from_report = _addin_run(report, tmp_path / "report-addin.xlsx")
    assert from_copy.fills == from_report.fills
    assert from_copy.note_text == from_report.note_text
    assert from_copy.note_text[next(k for k, v in from_report.note_text.items() if v == USER_NOTE)] == USER_NOTE
    names = [s["name"] for s in from_copy.payload["sheets"]]
    assert sorted(names) == sorted(s["name"] for s in from_report.payload["sheets"])

    # and the add-in's clear undoes what `check --annotate` did to the copy
    cleared = _addin_run(copy, tmp_path / "copy-cleared.xlsx", clear=True)
    original = Client(report)
    assert cleared.fills == original.fills
    assert cleared.note_text == original.note_text
    assert content.RESULTS_SHEET not in [s["name"] for s in cleared.payload["sheets"]]


def test_state_values_survive_a_real_save_and_load_as_text(tmp_path):
    """Names Excel would retype (a formula, leading zeros, a number) come back as written."""
    from openpyxl import Workbook

    cells = [markstate.CellRecord("=SUM(A1)", "B7", "#FFF2CC", markstate.NOTE_OURS),
             markstate.CellRecord("007", "C3", "", markstate.NOTE_USER, None, "1", "2", (144, 79)),
             markstate.CellRecord("表二", "D4", None, markstate.NOTE_NONE, "<patternFill/>")]
    state = markstate.State("校验结果（2）", cells)
    wb = Workbook()
    for row in markstate.encode(state):
        wb.active.append([v or None for v in row])
    wb.save(tmp_path / "s.xlsx")
    rows = list(load_workbook(tmp_path / "s.xlsx").active.iter_rows(values_only=True))
    assert all(isinstance(v, str) for row in rows for v in row if v is not None)
    assert markstate.decode(rows) == state
    assert markstate.decode([["gkreport-marks-v1", "sheet"]]) is None
