"""Each table's note (表下说明, layout table_notes): the short text printed with a table, up to the next heading."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from addin.formats import FormatDef
from addin.reading import outline
from addin.reading.extraction import Extraction, Origin
from addin.reading.labels import LabelIndex
from addin.reading.model import a1, filled_cells, parse_a1
from addin.reading.normalise import norm_label
from addin.reading.plans import reading_plan

NOTE_ROWS_LIMIT = 60   # rows read below (and above) a table for its note
# a heading numbered in figures as well as in Chinese numerals («3、收到和处理…», normalised «3.收到和处理…»),
# without figures in its words: one that names a statutory subject ends a note even where the outline
# (Chinese numerals only) did not take it for a heading
_NUMBERED_RE = re.compile(r"^(?:[一二三四五六七八九十]{1,3}[、.]|\d{1,2}\.|\([一二三四五六七八九十]{1,3}\))(?P<words>[^。;\d]{2,40}?)[。:]?$")
TITLE_SLACK = 12   # characters a line may add to a statutory heading's words («表三：…», «（单位：件）») and still be that heading
_HAS_WORDS_RE = re.compile(r"[^\W\d_]")

BLANK, SKIP, TEXT, END, CAPTION = range(5)


@dataclass(frozen=True)
class NoteRules:
    """What reading a note takes from the format alone (compiled once per format)."""

    skip: re.Pattern                    # lines near a table that are not its note (the unit line)
    caption: re.Pattern                 # a line captioning the table below it («表1», «附表2：…»)
    subjects: tuple[re.Pattern, ...]    # every statutory section's subject: a numbered line naming one is a heading
    own: dict[str, re.Pattern]          # table id -> its own section's subject
    titles: tuple[str, ...]             # every statutory heading's words, normalised (a line holding one is a heading)

    def heading(self, text: str) -> str | None:
        """The words of a line that reads as a heading of the statutory outline, else None: numbered
        (in any of the usual ways) and naming a statutory subject, or a short line holding a statutory
        heading's words («表三 收到和处理政府信息公开申请情况»)."""
        m = _NUMBERED_RE.match(text)
        if m and any(rx.search(m.group("words")) for rx in self.subjects):
            return m.group("words")
        if "。" not in text and any(t in text and len(text) <= len(t) + TITLE_SLACK for t in self.titles):
            return text
        return None


@cache
def note_rules(fmt: FormatDef) -> NoteRules | None:
    spec = fmt.layout.get("table_notes")
    if spec is None:
        return None
    sections = [s["subject"] for s in fmt.layout["cover"]["sections"]] + [t["subject"] for t in fmt.tables()]
    headings = [h for s in fmt.layout["cover"]["sections"] for h in [s["heading"], *s["variants"]]]
    headings += [t["heading"] for t in fmt.tables()]
    return NoteRules(re.compile(spec["skip"]), re.compile(spec["caption"]), tuple(re.compile(s) for s in sections),
                     {t["id"]: re.compile(t["subject"]) for t in fmt.tables()},
                     tuple(dict.fromkeys(norm_label(h.split("、", 1)[-1]) for h in headings)))


def read_notes(index: LabelIndex, fmt: FormatDef, ex: Extraction) -> dict[str, str]:
    """Table id -> its note, for every table read that has one, with its origin at /notes/<id>.

    A table's note is the text of its part of the report outside the table: the lines between the
    table's own heading and the table (where many published reports put their sentence), then the
    lines below the table up to the next heading, table or the end of the sheet (in the workbook, the
    box under the table or the row just below it). A footnote («注：…») is part of the note; the unit
    line («单位：件», layout table_notes.skip) and the table's own labels are not. Text above a table
    whose heading is not right above it belongs to whatever is above, never to the table."""
    rules = note_rules(fmt)
    if rules is None or not ex.tables_at:
        return {}
    rows = _Lines(index, fmt, ex, rules)
    notes = {}
    for table in fmt.tables():
        at = ex.tables_at.get(table["id"])
        if at is None:
            continue
        s, top, bottom = at
        heading = ex.outline.by_key.get(table["heading"][0]) if ex.outline is not None else None
        own = (heading.sheet, heading.row) if heading is not None else None
        parts = rows.above(s, top, table["id"], own) + rows.below(s, bottom)
        if not parts:
            continue
        sheet = index.sheets[s]
        r, c, raw = parts[0]
        notes[table["id"]] = "\n".join(str(raw).strip() for _r, _c, raw in parts)
        ex.origins["/notes/" + table["id"]] = Origin(sheet.name, a1(r, c), raw)
    return notes


@cache
def _labels_text(fmt: FormatDef) -> str:
    """Every normalised label of the format's tables in one text, to find a line that is a piece of one."""
    return "\n".join(sorted(reading_plan(fmt).label_keys))


class _Lines:
    """The rows of a report's sheets as a note reads them: blank, skipped, text or the end of a note."""

    def __init__(self, index: LabelIndex, fmt: FormatDef, ex: Extraction, rules: NoteRules):
        self.index, self.rules, self.plan = index, rules, reading_plan(fmt)
        self.labels = _labels_text(fmt)
        names = {sheet.name: s for s, sheet in enumerate(index.sheets)}
        ends = {(h.sheet, h.row) for h in (ex.outline.headings if ex.outline is not None else ())}
        # where a narrative section's text starts (the reader found it, maybe by a heading the outline skipped)
        for section in fmt.layout["cover"]["sections"]:
            origin = ex.origins.get("/text/" + section["key"])
            if origin is not None and origin.sheet in names:
                ends.add((names[origin.sheet], parse_a1(origin.cell)[0]))
        self.ends = ends

    def kind(self, s: int, r: int) -> tuple[int, str, int, object]:
        """(kind, normalised text, column, raw value) of sheet s's row r: a caption ends a note below a
        table and is skipped above one (it belongs to the table under it)."""
        sheet = self.index.sheets[s]
        i = r - sheet.row_offset
        row = sheet.rows[i] if 0 <= i < len(sheet.rows) else ()
        filled = filled_cells(row)
        if not filled:
            return BLANK, "", 0, None
        if len(filled) > 1:
            return END, "", 0, None   # a row of cells: another table, or more of this one
        j, raw = filled[0]
        col = j + sheet.col_offset
        text = self.index.texts(sheet).cell(i, j)
        if (s, r) in self.ends or outline.CHROME_LINE_RE.match(text) or text in self.plan.stops:
            return END, text, col, raw
        # a table's label, or a piece of one (a cell broken over lines by a page or a PDF), is the table's
        if not isinstance(raw, str) or not _HAS_WORDS_RE.search(text) or text in self.labels \
                or self.rules.skip.match(text):
            return SKIP, text, col, raw
        if self.rules.heading(text) is not None:
            return END, text, col, raw
        if self.rules.caption.match(text):
            return CAPTION, text, col, raw
        return TEXT, text, col, raw

    def below(self, s: int, bottom: int) -> list[tuple[int, int, object]]:
        """(row, col, raw) of the note's lines under the table, up to the next heading or table."""
        sheet = self.index.sheets[s]
        found, at_end = [], True
        for r in range(bottom + 1, min(bottom + 1 + NOTE_ROWS_LIMIT, sheet.n_rows)):
            kind, _text, col, raw = self.kind(s, r)
            if kind in (END, CAPTION):   # a caption starts the next table
                at_end = False
                break
            if kind == TEXT:
                found.append((r, col, raw))
        # the date and signature closing a report that ends with this table are not its note
        return found[:len(outline.without_closing([str(raw) for _r, _c, raw in found], at_end))]

    def above(self, s: int, top: int, table_id: str, own: tuple[int, int] | None) -> list[tuple[int, int, object]]:
        """(row, col, raw) of the lines between the table's own heading and the table; none when the
        line that ends them upwards is not that heading."""
        sheet = self.index.sheets[s]
        found = []
        for r in range(top - 1, max(sheet.row_offset, top - NOTE_ROWS_LIMIT) - 1, -1):
            kind, text, _col, raw = self.kind(s, r)
            if kind == TEXT:
                found.append((r, _col, raw))
            elif kind == END:
                if (s, r) == own or self._names_table(text, table_id):
                    return found[::-1]
                return []
        return []

    def _names_table(self, text: str, table_id: str) -> bool:
        m = outline.HEADING_RE.match(text)
        words = self.rules.heading(text) or (m.group("words") if m else None)
        return words is not None and bool(self.rules.own[table_id].search(words))
