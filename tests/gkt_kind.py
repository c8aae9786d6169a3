"""A toy input kind for the reader-table tests: a report's sheets as JSON rows in a ".gkt" file."""
from __future__ import annotations

import json
from pathlib import Path

from addin.reading.load import Reader, Source, register
from addin.reading.model import SheetData, WorkbookData

SUFFIX = ".gkt"


def read_gkt(src: Source) -> WorkbookData:
    sheets = json.loads(src.path.read_text(encoding="utf-8"))
    return WorkbookData([SheetData(s["name"], s["rows"], s["row_offset"], s["col_offset"], s["visible"]) for s in sheets], [])


def write_gkt(workbook: WorkbookData, path: Path) -> Path:
    path.write_text(json.dumps([{"name": s.name, "rows": s.rows, "row_offset": s.row_offset, "col_offset": s.col_offset,
                                 "visible": s.visible} for s in workbook.sheets], ensure_ascii=False, default=str),
                    encoding="utf-8")
    return path


def register_gkt() -> None:
    register("gkt", Reader((SUFFIX,), read_gkt, sniff=lambda head, suffix: suffix == SUFFIX))
