"""What extraction gives: the data document, the origin of every value and what reading found."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from addin.findings import Finding
from addin.formats import FormatDef


class Origin(NamedTuple):
    """Where a value came from: sheet, A1 cell and the raw cell content (one per data cell: kept light)."""

    sheet: str
    cell: str
    raw: Any


@dataclass
class Extraction:
    """The data document of one workbook, with the origin of every value and what reading found."""

    fmt: FormatDef | None
    document: dict | None = None
    values: dict[str, Any] = field(default_factory=dict)
    origins: dict[str, Origin] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    year: int | None = None
    unit: str | None = None
    expected_fmt: FormatDef | None = None
    subtotals: list = field(default_factory=list)
    row_positions: dict = field(default_factory=dict)
    title: tuple | None = None   # (match, cell) of the title line, found while reading the cover
    # pointer -> (sheet, cell, formula, where) of data cells holding a formula without its result
    pending_formulas: dict[str, tuple[str, str, str, str]] = field(default_factory=dict)
    padded: list = field(default_factory=list)   # (VAL-07 finding, characters) of numbers read despite padding
    contacts: dict[str, str] = field(default_factory=dict)   # optional cover fields that are filled in
    in_cells: bool = True   # texts are in spreadsheet cells, whose rows cannot grow past 409 points
    # a published document (web page, Word, text, PDF), not a workbook: a table not found there may be an image,
    # and a row not placed may be a misprint; the tool doubts its reading rather than blaming the report
    in_document: bool = False
    outline: Any = None          # the report's top-level headings (reading/outline.Outline), found while reading texts
    # table id -> (sheet index, first row, last row) where the table was read: its note is read around it
    tables_at: dict[str, tuple[int, int, int]] = field(default_factory=dict)

    @property
    def extra_sections(self) -> tuple:
        """(heading, text) of the report's sections outside the official outline."""
        return tuple((h.raw, h.text) for h in self.outline.extras) if self.outline is not None else ()
