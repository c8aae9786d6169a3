"""The label index: every short text cell of a workbook by its normalised label, for position-free lookup."""
from __future__ import annotations

import re
from functools import cached_property
from itertools import compress

from addin.reading.model import SheetData, WorkbookData
from addin.reading.normalise import label_matches, norm_label, norm_short_label

MAX_LABEL_LEN = 300     # longer cells are text, never labels


class LabelIndex:
    """Every short text cell of the workbook by its normalised label, for position-free lookup."""

    def __init__(self, workbook: WorkbookData):
        self.sheets = workbook.sheets
        self.by_label: dict[str, list[tuple[int, int, int]]] = {}
        self._texts: dict[int, SheetTexts] = {}
        for s_index, sheet in enumerate(workbook.sheets):
            texts = self._texts[id(sheet)] = SheetTexts(sheet)
            r0, c0 = sheet.row_offset, sheet.col_offset
            for i, (row, norm) in enumerate(zip(sheet.rows, texts.grid)):
                # only cells with a non-empty normalised text (compress keeps the truthy ones)
                for j, key in zip(compress(range(len(norm)), norm), filter(None, norm)):
                    if type(row[j]) is str:   # texts only (a grid value asked for earlier may be a number's)
                        self.by_label.setdefault(key, []).append((s_index, i + r0, j + c0))

    def texts(self, sheet: SheetData) -> "SheetTexts":
        """The normalised texts of one of the workbook's sheets."""
        return self._texts[id(sheet)]

    def find(self, label: str, prefixes=()) -> list[tuple[int, int, int, str | None]]:
        """Cells equal to the label (or a prefix + label, or label + an explanation in brackets)."""
        target = norm_label(label)
        hits = [(s, r, c, None) for s, r, c in self.by_label.get(target, [])]
        for prefix in prefixes:
            hits += [(s, r, c, "prefix") for s, r, c in self.by_label.get(norm_label(prefix) + target, [])]
        if not hits:
            for key, cells in self.by_label.items():
                if key.startswith(target) and label_matches(key, target)[0]:
                    hits += [(s, r, c, "note") for s, r, c in cells]
        return sorted(hits, key=lambda h: (h[0], h[1], h[2]))

    def contains(self, label: str) -> bool:
        return norm_label(label) in self.by_label

    @cached_property
    def numbered(self) -> dict[str, list[tuple[str, tuple[int, int, int]]]]:
        """Texts that start with an item number ("三、", "3、", "（三）") by that number, built once."""
        out: dict[str, list] = {}
        for key, cells in self.by_label.items():
            if key[0] in _NUMBER_STARTS and (m := NUMBERING_RE.match(key)):
                out.setdefault(m.group(0), []).append((key, cells[0]))
        return out


def _text(sheet: SheetData, row: int, col: int) -> str:
    v = sheet.value(row, col)
    return norm_label(v) if isinstance(v, str) else ("" if v is None else norm_label(str(v)))


_PLAIN_NUMBERS = frozenset({int, float})


class SheetTexts:
    """Every cell of a sheet as its normalised label text (what _text gives), worked out in one pass.

    grid[i][j] belongs to sheet.rows[i][j]. None marks a number, a long text or another value (a
    date), whose text is worked out when first asked for: they are never labels, and the locator
    reads few of them. A number's text is str(number) (normalising it changes nothing:
    tests/test_normalise.py)."""

    def __init__(self, sheet: SheetData):
        self.sheet = sheet
        self.grid = [[(norm_short_label(v) if len(v) <= MAX_LABEL_LEN else None) if type(v) is str
                      else "" if v is None else None for v in row] for row in sheet.rows]
        self.n_cols = sheet.n_cols

    def _resolve(self, i: int, j: int) -> str:
        v = self.sheet.rows[i][j]
        t = self.grid[i][j] = str(v) if type(v) in _PLAIN_NUMBERS else _text(self.sheet, i + self.sheet.row_offset,
                                                                                j + self.sheet.col_offset)
        return t

    def cell(self, i: int, j: int) -> str:
        """The text of sheet.rows[i][j] (indices into the rows, not sheet coordinates)."""
        t = self.grid[i][j]
        return t if t is not None else self._resolve(i, j)

    def at(self, r: int, c: int) -> str:
        i, j = r - self.sheet.row_offset, c - self.sheet.col_offset
        if 0 <= i < len(self.grid):
            row = self.grid[i]
            if 0 <= j < len(row):
                t = row[j]
                return t if t is not None else self._resolve(i, j)
        return ""

    def labels(self, r: int, start: int, stop: int) -> list[str]:
        """The non-empty texts of columns start .. stop-1 of row r, left to right."""
        i = r - self.sheet.row_offset
        if not 0 <= i < len(self.grid):
            return []
        out = self.grid[i][max(start - self.sheet.col_offset, 0):max(stop - self.sheet.col_offset, 0)]
        if None in out:
            return [t for t in self.row(r, start, stop) if t]
        return [t for t in out if t]

    def row(self, r: int, start: int, stop: int) -> list[str]:
        """The texts of columns start .. stop-1 of row r ("" outside the sheet)."""
        if stop <= start:
            return []
        i = r - self.sheet.row_offset
        if not 0 <= i < len(self.grid):
            return [""] * (stop - start)
        row = self.grid[i]
        a, b = start - self.sheet.col_offset, stop - self.sheet.col_offset
        out = row[max(a, 0):max(b, 0)]
        if None in out:
            first = max(a, 0)
            out = [t if t is not None else self._resolve(i, first + k) for k, t in enumerate(out)]
        if a < 0:
            out = [""] * min(-a, stop - start) + out
        if len(out) < stop - start:
            out += [""] * (stop - start - len(out))
        return out


_NUMBER_STARTS = frozenset("一二三四五六七八九十0123456789(")
NUMBERING_RE = re.compile(r"^(?:[一二三四五六七八九十]+[、.]|\d+[、.]|\([一二三四五六七八九十\d]+\))")


def numbered_heading(index: LabelIndex, heading: str, table_labels: set[str]):
    number = norm_label(heading).split("、")[0] + "、"
    found = [cell for key, cell in index.numbered.get(number, ()) if key not in table_labels]
    return min(found) if found else None
