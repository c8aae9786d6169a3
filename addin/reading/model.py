"""What every reader produces: a workbook as sheets of raw cell values, independent of the library."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from addin.findings import Finding


@dataclass
class SheetData:
    """Raw values of one sheet; rows[i][j] is the cell at 0-based (row_offset + i, col_offset + j)."""

    name: str
    rows: list[list[Any]]
    row_offset: int = 0
    col_offset: int = 0
    visible: bool = True
    # 0-based (row, col) -> formula text, for formula cells whose file holds no cached result
    uncached_formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    # documents with pages (PDF): per row, (page, table number or 0, printed row of the table on
    # that page or line of the page), so that a finding can say where it is printed
    places: list[tuple[int, int, int]] | None = None

    def value(self, row: int, col: int) -> Any:
        i, j = row - self.row_offset, col - self.col_offset
        if 0 <= i < len(self.rows):
            r = self.rows[i]
            if 0 <= j < len(r):
                return r[j]
        return None

    @property
    def n_rows(self) -> int:
        return self.row_offset + len(self.rows)

    @property
    def n_cols(self) -> int:
        return self.col_offset + max((len(r) for r in self.rows), default=0)


def place_text(place: tuple[int, int, int], col: int, table: str | None) -> str:
    """Where a cell is printed: «第 3 页 表三 第 5 行第 4 列» (the table's own name when known)."""
    page, number, line = place
    if not number:
        return f"第 {page} 页 第 {line} 行" if line else f"第 {page} 页"
    return f"第 {page} 页 {table or f'第 {number} 个表格'} 第 {line} 行第 {col + 1} 列"


@dataclass
class WorkbookData:
    """A workbook as the engine sees it, plus file-level findings made while reading it."""

    sheets: list[SheetData]
    findings: list[Finding] = field(default_factory=list)
    properties: dict[str, str] = field(default_factory=dict)
    sha256: str | None = None   # of the file's bytes as they were read (None: not read from a file)
    # a document read as a grid (web page, Word, text): its "cells" are paragraphs, not spreadsheet cells
    # that a row height limits
    paragraphs: bool = False

    @property
    def is_document(self) -> bool:
        """A published document (web page, Word, text, PDF) rather than a workbook of cells."""
        return self.paragraphs or any(sheet.places is not None for sheet in self.sheets)


def holds_something(value: Any) -> bool:
    """A cell value that is there: not None and not only whitespace."""
    return value is not None and not (isinstance(value, str) and not value.strip())


def filled_cells(row) -> list[tuple[int, Any]]:
    """(index, value) of the cells of a row that hold something."""
    return [(j, v) for j, v in enumerate(row) if holds_something(v)]


@lru_cache(maxsize=1 << 16)
def a1(row: int, col: int) -> str:
    """0-based (row, col) -> "B3"."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"


def parse_a1(ref: str) -> tuple[int, int]:
    """"B3" -> 0-based (2, 1)."""
    letters = ref.rstrip("0123456789")
    col = 0
    for ch in letters.upper():
        col = col * 26 + (ord(ch) - 64)
    return int(ref[len(letters):]) - 1, col - 1
