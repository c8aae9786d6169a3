"""The one layout of the very hidden `_gkreport` sheet: what gkreport marked, so any later run can undo it."""
from __future__ import annotations

from dataclasses import dataclass, field

SHEET = "_gkreport"
MAGIC = "gkreport-marks"
VERSION = "2"
# Row 1: the version marker in A1, then the column names; one record per row below it.
HEADER = [f"{MAGIC}:{VERSION}", "sheet", "cell", "fill", "fill_xml", "note", "user_note", "note_author", "note_size"]
# Every value is written as "<tag>|<text>" so Excel (or a user editing the sheet) never retypes it:
# "=…" stays text, "007" keeps its zeros, "1" does not become a number.
KIND_CELL, KIND_RESULTS = "cell", "results"
# `note`: what gkreport did to the cell's note, i.e. what undoing it means.
NOTE_OURS = "ours"      # gkreport added the note: delete it
NOTE_USER = "user"      # the user's note was extended: put `user_note` back
NOTE_NONE = "none"      # the note was not touched
NOTE_KINDS = (NOTE_OURS, NOTE_USER, NOTE_NONE)


@dataclass(frozen=True)
class CellRecord:
    """One cell gkreport marked and how it looked before."""

    sheet: str
    cell: str                          # A1 reference of the cell carrying the formatting
    fill: str | None                   # "#RRGGBB" solid colour, "" no fill, None unknown
    note: str = NOTE_NONE
    fill_xml: str | None = None        # exact openpyxl fill (patterns, theme colours) when known
    user_note: str | None = None       # with NOTE_USER: the user's note text
    note_author: str | None = None
    note_size: tuple[int, int] | None = None   # (width, height) in points of the user's note


@dataclass
class State:
    results: str | None = None                  # name of the results sheet gkreport added
    cells: list[CellRecord] = field(default_factory=list)


def _tag(value) -> str:
    return "" if value is None else f"v|{value}"


def _untag(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    return text[2:] if text.startswith("v|") else None


def encode(state: State) -> list[list[str]]:
    """Rows of the state sheet, all of the same width."""
    rows = [list(HEADER)]
    if state.results is not None:
        rows.append([_tag(KIND_RESULTS), _tag(state.results)] + [""] * (len(HEADER) - 2))
    for r in state.cells:
        size = f"{r.note_size[0]},{r.note_size[1]}" if r.note_size else None
        rows.append([_tag(KIND_CELL), _tag(r.sheet), _tag(r.cell), _tag(r.fill), _tag(r.fill_xml), _tag(r.note),
                     _tag(r.user_note), _tag(r.note_author), _tag(size)])
    return rows


def _size(text: str | None) -> tuple[int, int] | None:
    try:
        w, h = (int(float(x)) for x in (text or "").split(","))
    except ValueError:
        return None
    return (w, h)


def decode(rows) -> State | None:
    """The state recorded in `rows` (cell values as read back), or None when the sheet is not in
    this layout (another version, or damaged beyond its header). Damaged records are skipped."""
    rows = [list(r) if r is not None else [] for r in (rows or [])]
    if not rows or not rows[0] or str(rows[0][0] or "") != HEADER[0]:
        return None
    state = State()
    for row in rows[1:]:
        v = [_untag(x) for x in row] + [None] * len(HEADER)
        if v[0] == KIND_RESULTS and v[1]:
            state.results = v[1]
        elif v[0] == KIND_CELL and v[1] and v[2]:
            note = v[5] if v[5] in NOTE_KINDS else NOTE_NONE
            state.cells.append(CellRecord(v[1], v[2], v[3], note, v[4], v[6], v[7], _size(v[8])))
    return state
