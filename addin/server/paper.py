"""The report's tables drawn as on paper: the format's own layout (the template plan), the values read
from the file at each place, and each cell's findings as a colour and a note."""
from __future__ import annotations

from dataclasses import dataclass, field

from addin.catalogue import finding_from_dict
from addin.findings import SEVERITY_RANK
from addin.formats import FormatDef, available_formats, unescape
from addin.reporters.content import SEVERITY_FILL, note_line, show
from addin.writing.template import plan

TEXT_PREVIEW = 600   # characters of a narrative section shown in the drawing (the whole text is in the note)


@dataclass
class PaperCell:
    text: str = ""
    rowspan: int = 1
    colspan: int = 1
    kind: str = "empty"        # label|input|empty
    role: str = ""
    severity: str | None = None
    note: str = ""
    where: str = ""            # the user's sheet!cell the value was read from

    @property
    def fill(self) -> str | None:
        return "#" + SEVERITY_FILL[self.severity] if self.severity else None


@dataclass
class PaperSheet:
    name: str
    kind: str                  # cover|table
    rows: list[list[PaperCell]] = field(default_factory=list)
    marked: int = 0


def _plan_key(pointer: str):
    """The template plan's key of a pointer: data pointers as they are, cover fields, texts and notes as pairs."""
    for prefix, kind in (("/cover/", "cover"), ("/text/", "text"), ("/notes/", "note")):
        if pointer.startswith(prefix):
            return kind, unescape(pointer[len(prefix):])
    return pointer


def sheets(result: dict, formats: dict[str, FormatDef] | None = None) -> list[PaperSheet]:
    """Drawings for a stored result (FileResult.as_dict plus "document" and "origins"); [] when the
    format was not recognised."""
    formats = formats or available_formats()
    fmt = formats.get(result.get("format_version") or "")
    if fmt is None:
        return []
    p = plan(fmt, result.get("report_year"), result.get("unit"))
    origins = result.get("origins") or {}
    by_key: dict[object, list[dict]] = {}
    for f in result.get("findings", []):
        if f.get("pointer"):
            by_key.setdefault(_plan_key(f["pointer"]), []).append(f)
    values: dict[object, tuple[str, str]] = {}
    for pointer, (sheet, cell, raw) in origins.items():
        values[_plan_key(pointer)] = (raw, f"{sheet}!{cell}")
    for table_id, text in ((result.get("document") or {}).get("notes") or {}).items():
        # the whole note under its table (its origin holds only the first line read)
        values[("note", table_id)] = (text or "", values.get(("note", table_id), ("", ""))[1])

    out = []
    for sp in p.sheets:
        grid: list[list[PaperCell | None]] = [[PaperCell() for _ in range(sp.width)] for _ in range(sp.height)]
        ps = PaperSheet(sp.name, sp.kind)

        def place(row: int, col: int, rowspan: int, colspan: int, cell: PaperCell) -> None:
            cell.rowspan, cell.colspan = rowspan, colspan
            grid[row - 1][col - 1] = cell
            for r in range(row - 1, row - 1 + rowspan):
                for c in range(col - 1, col - 1 + colspan):
                    if (r, c) != (row - 1, col - 1):
                        grid[r][c] = None   # covered by the merged cell

        for label in (lb for lb in p.labels if lb.sheet == sp.name):
            place(label.row, label.col, label.rowspan, label.colspan, PaperCell(label.text, kind="label", role=label.role))
        for key, inp in p.inputs.items():
            if inp.sheet != sp.name:
                continue
            raw, where = values.get(key, ("", ""))
            cell = PaperCell(raw if isinstance(raw, str) else show(raw), kind="input", role=inp.kind, where=where)
            found = by_key.get(key, [])
            if found:
                cell.severity = min((f["severity"] for f in found), key=SEVERITY_RANK.__getitem__)
                cell.note = "\n".join(_note(f) for f in found)
                ps.marked += 1
            if inp.kind == "text" and len(cell.text) > TEXT_PREVIEW:
                cell.note = (cell.note + "\n\n" if cell.note else "") + "（全文较长，此处只显示开头部分）"
                cell.text = cell.text[:TEXT_PREVIEW] + "……"
            place(inp.row, inp.col, 1, inp.colspan, cell)
        ps.rows = [[c for c in row if c is not None] for row in grid]
        out.append(ps)
    return out


def _note(f: dict) -> str:
    return note_line(finding_from_dict(f))
