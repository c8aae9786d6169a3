"""Note boxes sized to their text: one sizing (textfit.note_size) for the marked copy and the desktop add-in."""
from __future__ import annotations

import json
import os
import re
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest

os.environ["XLWINGS_LICENSE_KEY"] = "noncommercial"

import addin  # noqa: E402
from addin import excel  # noqa: E402
from addin.formats import available_formats  # noqa: E402
from addin.pipeline import check_file  # noqa: E402
from addin.reporters import annotate  # noqa: E402
from addin.reporters.content import marks_for  # noqa: E402
from addin.safe_text import for_cell  # noqa: E402
from addin.textfit import NOTE_MAX_CHARS, NOTE_MAX_HEIGHT_PX, PT_PER_PX, note_size  # noqa: E402
from addin.writing.template import build_workbook, save_workbook  # noqa: E402
from tests.office_js import Client  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SEED = json.loads((ROOT / "tests" / "cases" / "seed_2020" / "values.json").read_text(encoding="utf-8"))


@pytest.fixture
def seed_path(tmp_path):
    fmt = available_formats()[SEED["format_version"]]
    path = tmp_path / "seed.xlsx"
    save_workbook(build_workbook(fmt, SEED["year"], SEED["unit"], SEED["values"]), path)
    return path


def test_note_size_follows_the_longest_line_and_the_wrapped_lines():
    short_w, short_h = note_size("空")
    assert (short_w, short_h) == (120, 27)                      # the smallest box: one line
    one_w, one_h = note_size("应填 0" * 4)
    two_w, two_h = note_size("应填 0" * 4 + "\n" + "应填 0" * 4)
    assert one_w == two_w and two_h == one_h + 15               # a second line: one line taller, as wide
    cjk, ascii_ = note_size("校" * 20), note_size("x" * 20)
    assert (cjk[0], ascii_[0]) == (20 + 6 * 40, 20 + 6 * 20)    # CJK counts two character units
    wide = note_size("校" * 100)
    assert wide[0] == 20 + 6 * NOTE_MAX_CHARS                   # wraps at NOTE_MAX_CHARS units
    assert wide[1] == 12 + 15 * 4                               # 200 units in lines of 56: four lines
    assert note_size("行\n" * 500)[1] == NOTE_MAX_HEIGHT_PX      # never taller than this


def test_the_marked_copy_sizes_its_notes_with_note_size(seed_path, tmp_path):
    result = check_file(seed_path)
    copy = annotate.annotate(result, seed_path, tmp_path)
    marks = marks_for(result)
    assert marks
    with zipfile.ZipFile(copy.path) as z:
        vml = "".join(z.read(n).decode() for n in z.namelist() if n.endswith(".vml"))
    sizes = [(int(w), int(h)) for w, h in re.findall(r"width:(\d+)px;\s*height:(\d+)px", vml)]
    assert sorted(sizes) == sorted(note_size(for_cell(m.note)) for m in marks.values())


def test_size_note_sets_a_windows_comment_shape_in_points():
    """The decision on desktop Excel for Windows: xlwings' Note.api is the COM Comment, whose Shape is
    sized in points (this object stands in for the COM Comment: no Excel here)."""
    shape = SimpleNamespace(Width=108.0, Height=59.25)
    text = "表三 依申请公开!C7 应为 12\n" + "校" * 70
    assert excel.size_note(SimpleNamespace(api=SimpleNamespace(Shape=shape)), text)
    width, height = note_size(text)
    assert (shape.Width, shape.Height) == (width * PT_PER_PX, height * PT_PER_PX)


def test_size_note_leaves_the_remote_engines_notes_alone(seed_path):
    """xlwings' remote engine (Office.js, Book(json=...)) has no note size: the note is added, not sized."""
    client = Client(seed_path)
    book = client.book()
    sheet = book.sheets[0]
    note = sheet.range("C3").add_note("提示")
    assert isinstance(note.api, dict) and excel.size_note(note, "提示") is False
    assert excel.size_note(None, "提示") is False


def test_validate_sizes_every_note_it_adds(seed_path, monkeypatch):
    """The add-in passes every note it adds, with its text, to the one sizing path."""
    sized = []
    real = excel.size_note
    monkeypatch.setattr(excel, "size_note", lambda note, text: sized.append((note.api.get("address"), text))
                        or real(note, text))
    client = Client(seed_path)
    book = client.book()
    result = addin.validate(book)
    added = [(a["args"][0], a["args"][1]) for a in book.json()["actions"] if a["func"] == "addNote"]
    assert added and sorted(t for _, t in sized) == sorted(t for _, t in added)
    assert sorted(t for _, t in sized) == sorted(m.note for m in marks_for(result).values())
