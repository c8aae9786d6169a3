"""Locate the official tables by their labels and extract every value with where it came from."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property, partial
from itertools import chain, compress, groupby
from typing import Any, NamedTuple

from addin import catalogue
from addin.findings import Finding
from addin.formats import FormatDef, escape, pointer_tokens
from addin.geometry import anchor_column, column_positions
from addin.reading.model import SheetData, WorkbookData, a1
from addin.reading.normalise import (ARTEFACT_RE, label_heads, label_matches, norm_label, norm_short_label,
                                    parse_value, show_raw)

HEADER_SLACK = 1        # extra rows allowed inside a header (a clerk's inserted blank row)
ROW_SEARCH_LIMIT = 40   # rows searched below the previous match for the next expected row label
COLUMN_TOLERANCE = 3    # columns a data column may sit away from its place in the layout (added columns)
MAX_LABEL_LEN = 300     # longer cells are text, never labels
MIN_LABEL_SHARE = 0.2   # share of a version's labels that must be present to call its tables found


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
            if key[0] in _NUMBER_STARTS and (m := _NUMBERING_RE.match(key)):
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


# -- format detection and cover ------------------------------------------------------------------

def detect_versions(index: LabelIndex, formats: dict[str, FormatDef]) -> tuple[str | None, list[str]]:
    """(version whose tables the workbook holds, other versions whose own labels also appear).

    The tables belong to the version with the largest share of its labels present (ties: more labels);
    labels that only another version prints are that version's fingerprints (a mix is a defect)."""
    labels = {v: f.reading_plan.label_keys for v, f in formats.items()}
    present = {v: {t for t in ls if t in index.by_label} for v, ls in labels.items()}
    ranked = sorted(formats, key=lambda v: (len(present[v]) / len(labels[v]), len(present[v])), reverse=True)
    best = ranked[0] if ranked and len(present[ranked[0]]) >= MIN_LABEL_SHARE * len(labels[ranked[0]]) else None
    if best is None:
        return None, []
    mixed = [v for v in ranked[1:] if present[v] - labels[best]]
    return best, mixed


def _field_value(index: LabelIndex, label: str):
    """The first non-empty cell right of a label cell ("单位名称" or "单位名称："), and where it is."""
    for candidate in (label, label + "：", label + ":"):
        for s, r, c, _ in index.find(candidate):
            sheet = index.sheets[s]
            for cc in range(c + 1, c + 8):
                v = sheet.value(r, cc)
                if v not in (None, "") and not (isinstance(v, str) and not v.strip()):
                    return v, sheet.name, a1(r, cc), True
            return None, sheet.name, a1(r, c + 1), True
    return None, None, None, False


def read_cover(index: LabelIndex, fmt: FormatDef, ex: Extraction) -> dict:
    cover = {}
    ex.title = _title(index, fmt)
    title_year, title_unit = (int(ex.title[0].group("year")), ex.title[0].group("unit") or None) if ex.title else (None, None)
    for fdef in fmt.layout["cover"]["fields"]:
        raw, sheet, cell, found = _field_value(index, fdef["label"])
        pointer = "/cover/" + escape(fdef["key"])
        if sheet:
            ex.origins[pointer] = Origin(sheet, cell, raw)
        if fdef["type"] == "year":
            year = _parse_year(raw)
            if year is None and title_year is not None and raw is None:
                year = title_year
            if year is None:
                variant = "invalid" if raw is not None else "missing"
                ex.findings.append(catalogue.make("COV-02", variant, pointer=pointer, sheet=sheet, cell=cell, raw=show_raw(raw)))
            cover[fdef["key"]] = year
            ex.year = year
        else:
            text = " ".join(str(raw).split()) if raw is not None else (title_unit if title_unit else None)
            if not text:
                ex.findings.append(catalogue.make("COV-01", pointer=pointer, sheet=sheet, cell=cell))
                text = None
            cover[fdef["key"]] = text
            ex.unit = text
    return cover


def _parse_year(raw) -> int | None:
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, (int, float)) and float(raw).is_integer():
        year = int(raw)
    else:
        m = re.fullmatch(r"\s*((?:19|20)\d{2})\s*年?\s*度?\s*", norm_label(str(raw)))
        if not m:
            return None
        year = int(m.group(1))
    return year if 1990 <= year <= 2100 else None


def _title(index: LabelIndex, fmt: FormatDef):
    """The report's title line (layout cover.title_pattern): (match on its normalised text, its cell) or None."""
    pattern = fmt.layout["cover"].get("title_pattern")
    if not pattern:
        return None
    compiled = re.compile(pattern)
    for key, cells in index.by_label.items():
        m = compiled.search(key)
        if m:
            return m, cells[0]
    return None


def _judge_title(index: LabelIndex, fmt: FormatDef, ex: Extraction, title) -> None:
    """STR-02 when the title is not the statutory name, NORM-04 for text-extraction artefacts in it."""
    m, (s, r, c) = title
    sheet = index.sheets[s]
    raw = str(sheet.value(r, c)).strip()
    statutory = norm_label(fmt.layout["cover"]["title"].split("{year}年", 1)[-1])
    if statutory and statutory not in m.string:
        ex.findings.append(catalogue.make("STR-02", sheet=sheet.name, cell=a1(r, c), raw=raw,
                                          expected=f"{m.group('unit')}{m.group('year')}年{statutory}"))
    if ARTEFACT_RE.search(raw):
        ex.findings.append(catalogue.make("NORM-04", sheet=sheet.name, cell=a1(r, c), raw=raw))


_TOP_HEADING_RE = re.compile(r"^[一二三四五六七八九十]+[、.]")
TEXT_ROWS_LIMIT = 200   # rows read below a section heading for its text


def read_texts(index: LabelIndex, fmt: FormatDef, ex: Extraction) -> dict:
    """Each narrative section's text: every text cell below its heading, up to the next top-level heading."""
    texts = {}
    stops, table_labels = fmt.reading_plan.stops, fmt.reading_plan.label_keys
    for section in fmt.layout["cover"]["sections"]:
        value = None
        for heading in [section["heading"], *section["variants"]]:
            hits = index.find(heading)
            if hits:
                s, r, c, _ = hits[0]
                sheet = index.sheets[s]
                ex.origins["/text/" + escape(section["key"])] = Origin(sheet.name, a1(r + 1, c), sheet.value(r + 1, c))
                value = _section_text(index.texts(sheet), r + 1, stops)
                break
        else:
            # a heading in other words ("一、《条例》第三十二条规定的6个方面内容"): found by its number;
            # its own words are part of what the text rules read
            hit = _numbered_heading(index, section["heading"], table_labels)
            if hit:
                s, r, c = hit
                sheet = index.sheets[s]
                ex.origins["/text/" + escape(section["key"])] = Origin(sheet.name, a1(r, c), sheet.value(r, c))
                below = _section_text(index.texts(sheet), r + 1, stops)
                value = str(sheet.value(r, c)).strip() + ("\n" + below if below else "")
        texts[section["key"]] = value
    return texts


_NUMBER_STARTS = frozenset("一二三四五六七八九十0123456789(")
_NUMBERING_RE = re.compile(r"^(?:[一二三四五六七八九十]+[、.]|\d+[、.]|\([一二三四五六七八九十\d]+\))")


def check_headings(index: LabelIndex, fmt: FormatDef, ex: Extraction) -> None:
    """STR-03: the six top-level headings. Judged only where the report has its narrative (some heading of
    一/五/六 is there); a workbook of tables alone is not a report text."""
    if not any(p.startswith("/text/") for p in ex.origins):
        return
    headings = [(s["heading"], s["variants"]) for s in fmt.layout["cover"]["sections"]]
    headings += [(t["heading"], []) for t in fmt.tables()]
    table_labels = fmt.reading_plan.label_keys
    by_words = {}
    for number, entries in index.numbered.items():
        for key, cell in entries:
            if key not in table_labels:
                by_words.setdefault(key[len(number):], []).append((key, cell))
    for heading, variants in sorted(headings, key=lambda h: h[0]):
        if any(index.find(h) for h in [heading, *variants]) or _numbered_heading(index, heading, table_labels):
            continue
        words = [_NUMBERING_RE.sub("", norm_label(h)) for h in [heading, *variants]]
        hit = next((by_words[w][0] for w in words if w in by_words), None)
        if hit:
            key, (s, r, c) = hit
            ex.findings.append(catalogue.make("STR-03", "numbering", severity="warning", sheet=index.sheets[s].name, cell=a1(r, c),
                                              raw=str(index.sheets[s].value(r, c)).strip(), heading=heading))
        else:
            ex.findings.append(catalogue.make("STR-03", heading=heading))


def _numbered_heading(index: LabelIndex, heading: str, table_labels: set[str]):
    number = norm_label(heading).split("、")[0] + "、"
    found = [cell for key, cell in index.numbered.get(number, ()) if key not in table_labels]
    return min(found) if found else None


def _section_text(tx: SheetTexts, first_row: int, stops: frozenset[str]) -> str | None:
    parts = []
    sheet = tx.sheet
    rows, offset = sheet.rows, sheet.row_offset
    for r in range(max(first_row, offset), min(first_row + TEXT_ROWS_LIMIT, sheet.n_rows)):
        row = rows[r - offset]
        filled = [j for j, v in enumerate(row) if isinstance(v, str) and v.strip()]
        # the cell directly below the heading is the section's own text, whatever it starts with
        if filled and r > first_row:
            texts = [tx.cell(r - offset, j) for j in filled]
            if _TOP_HEADING_RE.match(texts[0]) or any(t in stops for t in texts):
                break
        parts.extend(row[j] for j in filled)
    return "\n".join(parts) if parts else None


# -- tables ---------------------------------------------------------------------------------------

@dataclass
class _Located:
    sheet: SheetData
    columns: dict[str, int]
    rows: dict[str, int]
    row_columns: dict[str, dict[str, int]] | None = None   # per row, when read in sequence

    def column(self, row: str, column: str) -> int | None:
        if self.row_columns is not None:
            return self.row_columns.get(row, {}).get(column)
        return self.columns.get(column)


def _pick(hits, index: LabelIndex, preferred_sheet: str):
    """Prefer the layout's sheet, then visible sheets, then the first in workbook order."""
    def rank(h):
        sheet = index.sheets[h[0]]
        return (sheet.name != preferred_sheet, not sheet.visible, h[0], h[1], h[2])
    return sorted(hits, key=rank)


@dataclass(frozen=True)
class BlockPlan:
    """What locating a block takes from the layout alone, worked out once per format (FormatDef.block_plans)."""

    places: dict[str, tuple[int, int]]   # column key -> (grid column, colspan)
    anchor_col: int                      # grid column of the anchor label
    leaves: tuple[str, ...]              # each column's normalised leaf label, in layout order
    leaf_set: frozenset[str]
    row_label_set: frozenset[str]        # every normalised text of the rows' label cells (groups too)
    row_targets: tuple[str, ...]         # each expected row's normalised label ("" for an unlabelled row)
    group_labels: dict                   # normalised group label -> the group
    column_groups: tuple[tuple[str, str], ...]   # each column group's label and its normalised text
    note: str | None                     # the block's normalised note line, if it has one


def plan_block(block: dict) -> BlockPlan:
    leaves = tuple(norm_label(col["path"][-1]) for col in block["columns"])
    row_labels = frozenset(norm_label(c["text"]) for row in block["rows"] for c in row["cells"])
    targets = tuple(norm_label(row["label"]) for row in block["rows"])
    groups = {norm_label(g["label"]): g for g in block.get("groups", [])}
    column_groups = tuple((g, norm_label(g)) for g in dict.fromkeys(g for col in block["columns"] for g in col["path"][:-1]))
    note = norm_label(block["note"]) if block.get("note") else None
    return BlockPlan(column_positions(block), anchor_column(block), leaves, frozenset(leaves), row_labels, targets, groups,
                     column_groups, note)


@dataclass(frozen=True)
class ReadingPlan:
    """What extraction takes from a format alone (FormatDef.reading_plan), so no report recomputes it."""

    label_keys: frozenset[str]                    # normalised labels of the tables (version fingerprints)
    stops: frozenset[str]                         # normalised table anchors: where a narrative section ends
    cells_by_block: dict[tuple[str, str], tuple]  # (table id, block id) -> runs of its cells by row (_row_runs)
    pointers_by_table: dict[str, tuple[str, ...]]
    nest_paths: dict[str, tuple[tuple[str, ...], str]]   # pointer -> (parent tokens, leaf token)


def plan_reading(fmt: FormatDef) -> ReadingPlan:
    cells_by_block: dict[tuple[str, str], list] = {}
    pointers_by_table: dict[str, list] = {}
    for cell in fmt.cells:
        cells_by_block.setdefault((cell.table, cell.block), []).append(cell)
        pointers_by_table.setdefault(cell.table, []).append(cell.pointer)
    return ReadingPlan(
        label_keys=frozenset(norm_label(t) for t in fmt.labels),
        stops=frozenset(norm_label(b["anchor"]) for t in fmt.tables() for b in t["blocks"]),
        cells_by_block={k: _row_runs(v) for k, v in cells_by_block.items()},
        pointers_by_table={k: tuple(v) for k, v in pointers_by_table.items()},
        nest_paths=_nest_paths(fmt.pointer_paths))


def _nest_paths(paths: dict[str, tuple[str, ...]]) -> dict[str, tuple[tuple[str, ...], str]]:
    # one tuple object per parent, so _nest tells a run of siblings by identity
    parents: dict[tuple[str, ...], tuple[str, ...]] = {}
    return {p: (parents.setdefault(tokens[:-1], tokens[:-1]), tokens[-1]) for p, tokens in paths.items()}


def _row_runs(cells: list) -> tuple:
    """A block's cells in layout order as runs of one row: (row key, ((column key, pointer, plain, cell), ...)).
    plain: a whole number in this cell needs no parsing (count columns; money is always parsed)."""
    return tuple((row, tuple((c.column, c.pointer, c.type != "money", c) for c in run))
                 for row, run in groupby(cells, key=lambda c: c.row))


def locate_block(index: LabelIndex, table: dict, block: dict, ex: Extraction, code: str,
                 plan: BlockPlan | None = None) -> _Located | None:
    plan = plan or plan_block(block)
    hits = index.find(block["anchor"], block.get("anchor_prefixes", ()))
    if not hits:
        return None
    hits = _pick(hits, index, table["sheet"])
    s, ar, ac, how = hits[0]
    sheet = index.sheets[s]
    others = {index.sheets[h[0]].name for h in hits[1:]} - {sheet.name}
    if others:
        ex.findings.append(catalogue.make("WB-02", sheet=sheet.name, cell=a1(ar, ac), table=table["name"], other="、".join(sorted(others))))
    if how == "prefix":
        ex.findings.append(catalogue.make(code, "prefix", severity="info", sheet=sheet.name, cell=a1(ar, ac),
                                          table=table["name"], raw=str(sheet.value(ar, ac)).strip()))
    elif how == "note":
        ex.findings.append(catalogue.make("NORM-08", sheet=sheet.name, cell=a1(ar, ac), raw=str(sheet.value(ar, ac)).strip(), label=block["anchor"]))
    has_caption = bool(block.get("caption"))
    h_start = ar + 1 if has_caption else ar
    h_stop = h_start + len(block["header"]) + HEADER_SLACK
    scan_from = ac if has_caption else max(0, ac - table["label_width"])
    tx = index.texts(sheet)
    width = tx.n_cols
    # The header rows' normalised texts (columns scan_from .. width-1): the loops below read them often.
    grid = {r: tx.row(r, scan_from, width) for r in range(h_start, h_stop)}

    def text_at(r: int, c: int) -> str:
        return grid[r][c - scan_from] if scan_from <= c < width and r in grid else tx.at(r, c)

    # Each label a header cell stands for (label_heads) -> the header columns holding it, with the
    # topmost row and whether the cell adds a note: what matching every column label needs.
    first_hit: dict[str, list[tuple[int, int, bool]]] = {}
    for k, c in enumerate(range(scan_from, width)):
        seen = set()
        for r in range(h_start, h_stop):
            t = grid[r][k]
            if not t and "" not in plan.leaf_set:
                continue   # an empty cell is no column's label
            for head in label_heads(t):
                if head not in seen:
                    seen.add(head)
                    first_hit.setdefault(head, []).append((c, r, head != t))

    columns: dict[str, int] = {}
    missing: list[dict] = []
    header_end = h_start + len(block["header"]) - 1
    origin = ac - plan.anchor_col   # sheet column of the block's grid column 0
    prev = scan_from - 1
    for col, leaf in zip(block["columns"], plan.leaves):
        place = origin + plan.places[col["key"]][0]
        # only columns within COLUMN_TOLERANCE of the layout's place can be candidates
        lo, hi = max(prev + 1, place - COLUMN_TOLERANCE), min(width, place + COLUMN_TOLERANCE + 1)
        candidates = [(abs(c - place), c, r, noted) for c, r, noted in first_hit.get(leaf, ()) if lo <= c < hi]
        if not candidates:
            missing.append(col)
            continue
        # duplicate leaves (表四 结果维持 ×3): take the occurrence nearest the column's place in the layout
        _, c, r, noted = min(candidates)
        if noted:
            ex.findings.append(catalogue.make("NORM-08", sheet=sheet.name, cell=a1(r, c),
                                              raw=str(sheet.value(r, c)).strip(), label=col["path"][-1]))
        columns[col["key"]] = c
        prev = c
    # A header whose labels are all there but not above their columns (a Word table pasted without its
    # merged cells) is read in sequence: each row's numbers are the cells after its label, left to right.
    in_sequence = bool(missing) and _all_leaves_present(block, plan, grid)
    if in_sequence:
        columns = {}
        right_edge = _right_edge(grid, range(h_start, h_stop), scan_from, ac)
        ex.findings.append(catalogue.make("STR-08", "sequence", table=table["name"], n=len(block["columns"]),
                                          sheet=sheet.name, cell=a1(ar, ac)))
        label_cols = range(scan_from, right_edge + 1)
        header_end = max(r for r in range(h_start, h_stop) if any(label_heads(t) & plan.leaf_set for t in grid[r] if t))
        rows = _locate_rows(sheet, tx, table, block, ex, code, header_end, label_cols, columns, plan)
        row_columns = {key: _sequence_columns(tx, r, label_cols, plan, block)
                       for key, r in rows.items()}
        return _Located(sheet, columns, rows, row_columns)
    for col in missing:
        ex.findings.append(catalogue.make(code, "missing_column", table=table["name"], label="›".join(col["path"]),
                                          sheet=sheet.name, cell=a1(h_start, ac)))
    if columns:
        # the header ends at its lowest row holding a column label (at least where the layout ends it)
        leaves = plan.leaf_set
        lowest = header_end if len(columns) == len(block["columns"]) else h_start
        places = [c - scan_from for c in columns.values()]
        header_end = next((r for r in range(h_stop - 1, lowest, -1) if any(label_heads(grid[r][k]) & leaves for k in places)),
                          lowest)
    header_texts = set(chain.from_iterable(grid[r] for r in range(h_start, header_end + 1)))
    for group, group_text in plan.column_groups:
        if group_text not in header_texts and not any(label_matches(t, group_text)[0] for t in header_texts):
            ex.findings.append(catalogue.make(code, "missing_label", severity="warning", table=table["name"], label=group,
                                              sheet=sheet.name, cell=a1(h_start, ac)))
    if plan.note is not None:
        if plan.note not in header_texts:
            ex.findings.append(catalogue.make(code, "note", severity="warning", table=table["name"], label=block["note"],
                                              sheet=sheet.name, cell=a1(h_start, scan_from)))
    first_data_col = min(columns.values()) if columns else scan_from + table["label_width"]
    right_edge = _right_edge(grid, range(h_start, header_end + 1), scan_from, first_data_col)
    label_cols = range(scan_from, first_data_col)
    for r in range(h_start, header_end + 1):
        if not any("小计" in t for t in grid[r]):
            continue
        for c in range(first_data_col, right_edge + 1):
            text = text_at(r, c)
            if "小计" in text and c not in columns.values():
                ex.findings.append(catalogue.make("STR-09", "added", table=table["name"], label=str(sheet.value(r, c)).strip(),
                                                  sheet=sheet.name, cell=a1(r, c)))
                ex.subtotals.append(("column", sheet, c, block, columns, table["name"], str(sheet.value(r, c)).strip()))
    rows = _locate_rows(sheet, tx, table, block, ex, code, header_end, label_cols, columns, plan)
    _check_row_width(sheet, table, block, ex, rows, right_edge)
    return _Located(sheet, columns, rows)


def _right_edge(grid: dict, rows: range, first: int, default: int) -> int:
    """The rightmost column holding text in the given grid rows (grid rows start at column `first`)."""
    edges = []
    for r in rows:
        row = grid[r]
        k = next((k for k in range(len(row) - 1, -1, -1) if row[k]), -1)
        if k >= 0:
            edges.append(first + k)
    return max(edges) if edges else default


def _all_leaves_present(block: dict, plan: BlockPlan, grid: dict) -> bool:
    """Every data column's leaf label is somewhere in the header rows (as often as the layout has it)."""
    from collections import Counter

    texts = Counter(t for row in grid.values() for t in row if t)
    needed = Counter(plan.leaves)
    return all(sum(n for t, n in texts.items() if leaf in label_heads(t)) >= k for leaf, k in needed.items())


def _sequence_columns(tx: SheetTexts, r: int, label_cols, plan: BlockPlan, block: dict) -> dict[str, int]:
    """Column of each data column in row r: the cells right after the row's last label cell."""
    labels = plan.row_label_set
    last = max((c for c in label_cols if tx.at(r, c) in labels), default=label_cols.start - 1)
    return {col["key"]: last + 1 + i for i, col in enumerate(block["columns"])}


def _row_label_texts(tx: SheetTexts, r: int, label_cols: range) -> list[str]:
    return tx.labels(r, label_cols.start, label_cols.stop)


def _locate_rows(sheet, tx, table, block, ex, code, header_end, label_cols, columns, plan) -> dict[str, int]:
    rows: dict[str, int] = {}
    expected = block["rows"]
    if len(expected) == 1 and expected[0]["label"] is None:
        # a single unlabeled data row (table 四): the first row below the header holding anything
        for r in range(header_end + 1, header_end + 4):
            if any(sheet.value(r, c) not in (None, "") for c in columns.values()):
                rows[expected[0]["key"]] = r
                return rows
        rows[expected[0]["key"]] = header_end + 1
        return rows
    group_labels = plan.group_labels
    cursor = header_end + 1
    for row, target in zip(expected, plan.row_targets):
        found = None
        for r in range(cursor, cursor + ROW_SEARCH_LIMIT):
            for t in _row_label_texts(tx, r, label_cols):
                ok, noted = label_matches(t, target)
                if ok:
                    found = r
                    if noted:
                        ex.findings.append(catalogue.make("NORM-08", sheet=sheet.name, cell=a1(r, label_cols.start),
                                                          raw=t, label=row["label"]))
                    break
            if found is not None:
                break
        if found is None:
            ex.findings.append(catalogue.make(code, "missing_row", table=table["name"], label=row["label"],
                                              sheet=sheet.name, cell=a1(cursor, label_cols.start if label_cols else 0)))
            continue
        for r in range(cursor, found):
            _extra_row(sheet, tx, table, block, ex, code, r, label_cols, columns, group_labels)
        rows[row["key"]] = found
        cursor = found + 1
    # rows right below the last expected one that carry a label and numbers were added by the filer
    r = cursor
    while _row_label_texts(tx, r, label_cols) and any(sheet.value(r, c) not in (None, "") for c in columns.values()):
        _extra_row(sheet, tx, table, block, ex, code, r, label_cols, columns, group_labels)
        r += 1
    return rows


def _extra_row(sheet, tx, table, block, ex, code, r, label_cols, columns, group_labels) -> None:
    """A row between two expected rows: a subtotal of a group (STR-09) or an added row."""
    labels = _row_label_texts(tx, r, label_cols)
    has_data = any(sheet.value(r, c) not in (None, "") for c in columns.values())
    if not labels or not has_data:
        return
    group = next((group_labels[t] for t in labels if t in group_labels), None)
    label_col = next(c for c in label_cols if tx.at(r, c))
    raw_label = str(sheet.value(r, label_col)).strip()
    if group is None:
        ex.findings.append(catalogue.make(code, "extra_row", severity="warning", table=table["name"], label=raw_label,
                                          sheet=sheet.name, cell=a1(r, label_col)))
        return
    ex.findings.append(catalogue.make("STR-09", "added", table=table["name"], label=raw_label,
                                      sheet=sheet.name, cell=a1(r, label_col)))
    ex.subtotals.append(("row", sheet, r, group, columns, table["name"], raw_label))


def _check_row_width(sheet, table, block, ex, rows, right_edge) -> None:
    values, row_offset, start = sheet.rows, sheet.row_offset, right_edge + 1 - sheet.col_offset
    for key, r in rows.items():
        i = r - row_offset
        if not 0 <= i < len(values) or len(values[i]) <= start:
            continue   # the row ends within the table (the common case)
        extra = [a1(r, c) for c in range(right_edge + 1, right_edge + 4) if sheet.value(r, c) not in (None, "")]
        if extra:
            label = next((row["label"] for row in block["rows"] if row["key"] == key), None) or table["name"]
            ex.findings.append(catalogue.make("STR-08", table=table["name"], label=label, extra="、".join(extra),
                                              sheet=sheet.name, cell=extra[0]))


# -- values ---------------------------------------------------------------------------------------

_VALUE_CODES = {"BLANK": "VAL-01", "PLACEHOLDER": "VAL-02"}


def _read_block_cells(ex: Extraction, runs: tuple, located: _Located, lenient: bool) -> None:
    """Every data cell of a located block into ex.values, with its origin (the loop of every check)."""
    sheet = located.sheet
    name, rows, row_offset, col_offset = sheet.name, sheet.rows, sheet.row_offset, sheet.col_offset
    uncached = sheet.uncached_formulas
    found_rows, values, origins = located.rows, ex.values, ex.origins
    for row_key, cells in runs:
        r = found_rows.get(row_key)
        columns = located.columns if located.row_columns is None else located.row_columns.get(row_key, {})
        i = -1 if r is None else r - row_offset
        row = rows[i] if 0 <= i < len(rows) else ()
        for column_key, pointer, plain, cell_def in cells:
            c = columns.get(column_key)
            if r is None or c is None:
                values[pointer] = None
                continue
            j = c - col_offset
            raw = row[j] if 0 <= j < len(row) else None
            ref = a1(r, c)
            origins[pointer] = _new_origin((name, ref, raw))
            if plain and type(raw) is int and (not uncached or (r, c) not in uncached):
                # the common case: a whole number in a count column parses to itself with no notice
                values[pointer] = raw
            else:
                _read_cell(ex, cell_def, sheet, ref, uncached.get((r, c)) if uncached else None, raw, lenient)


_new_origin = partial(tuple.__new__, Origin)   # Origin without its Python-level __new__ (one per data cell)


def _read_cell(ex: Extraction, cell_def, sheet: SheetData, ref: str, formula: str | None, raw, lenient: bool) -> None:
    """A cell that needs more than taking its whole number: an uncached formula, or a value to parse."""
    pointer = cell_def.pointer
    where = cell_def.where
    if formula is not None:
        ex.findings.append(catalogue.make("FML-01", pointer=pointer, sheet=sheet.name, cell=ref, where=where, formula="=" + formula))
        ex.values[pointer] = None
        return
    parsed = parse_value(raw, cell_def.type, cell_def.unit)
    if parsed.state == "FORMULA_ERROR":
        ex.findings.append(catalogue.make("FML-02", pointer=pointer, sheet=sheet.name, cell=ref, where=where, raw=parsed.value))
        ex.values[pointer] = None
        return
    if parsed.state in _VALUE_CODES:
        shown = show_raw(raw)
        raw_note = f"（单元格内容为“{shown}”）" if raw not in (None, "") else ""
        ex.findings.append(catalogue.make(_VALUE_CODES[parsed.state], "lenient" if lenient else "default",
                                          severity="warning" if lenient else None, pointer=pointer, sheet=sheet.name,
                                          cell=ref, where=where, raw=shown, raw_note=raw_note, actual=shown, expected=0))
        ex.values[pointer] = 0 if lenient else None
    else:
        ex.values[pointer] = parsed.value
    if parsed.notices:
        shown = show_raw(raw)
        for n in parsed.notices:
            ex.findings.append(catalogue.make(n.code, n.variant, severity=n.severity, pointer=pointer, sheet=sheet.name,
                                              cell=ref, where=where, raw=shown, value=parsed.value, **n.fields))


def _check_subtotals(ex: Extraction, fmt: FormatDef, lenient: bool) -> None:
    for kind, sheet, at, spec, columns, table_name, label in ex.subtotals:
        if kind == "row":
            members = spec["rows"]
            block = next(b for t in fmt.tables() for b in t["blocks"] if spec in b.get("groups", []))
            member_keys = fmt.rows_of(f"{_table_of(fmt, block)}.{block['id']}", members) if isinstance(members, str) else members
            for col_key, c in columns.items():
                parts = [ex.values.get(_ptr(block, key, col_key)) for key in member_keys]
                _compare_subtotal(ex, sheet, at, c, parts, table_name, label, lenient)
        else:
            block = spec
            keys = list(columns)
            left = [k for k, c in columns.items() if c < at]
            if not left:
                continue
            group_of = {col["key"]: tuple(col["path"][:-1]) for col in block["columns"]}
            group = group_of[left[-1]]
            member_cols = [k for k in keys if group_of[k] == group and len(group) > 1]
            for row in block["rows"]:
                r = ex.row_positions.get((block["id"], row["key"]))
                if r is None:
                    continue
                parts = [ex.values.get(_ptr(block, row["key"], k)) for k in member_cols]
                _compare_subtotal(ex, sheet, r, at, parts, table_name, label, lenient)


def _table_of(fmt: FormatDef, block: dict) -> str:
    return next(t["id"] for t in fmt.tables() if block in t["blocks"])


def _ptr(block: dict, row: str, column: str) -> str:
    return block["pointer"].format(row=escape(row), column=escape(column))


def _compare_subtotal(ex, sheet, r, c, parts, table_name, label, lenient) -> None:
    parsed = parse_value(sheet.value(r, c), "count")
    if parsed.state != "NUM" or any(not isinstance(p, (int,)) and p.__class__.__name__ != "Decimal" for p in parts):
        return
    expected = sum(parts)
    if parsed.value != expected:
        ex.findings.append(catalogue.make("STR-09", "mismatch", severity="error", sheet=sheet.name, cell=a1(r, c),
                                          table=table_name, label=label, expected=expected, actual=parsed.value))


def _nest(flat: dict[str, Any], skeleton: dict, paths: dict[str, tuple[tuple[str, ...], str]]) -> dict:
    """The flat pointer -> value map as the nested data document, in the map's order."""
    nodes: dict[tuple[str, ...], dict] = {(): skeleton}

    def node_at(parent: tuple[str, ...]) -> dict:
        node = nodes.get(parent)
        if node is None:
            node = nodes[parent] = node_at(parent[:-1]).setdefault(parent[-1], {})
        return node

    last_parent, node = None, skeleton
    for pointer, value in flat.items():
        split = paths.get(pointer)
        if split is None:
            tokens = pointer_tokens(pointer)
            split = (tokens[:-1], tokens[-1])
        parent, leaf = split
        if parent is not last_parent:   # cells of one row follow each other: look their node up once
            node = nodes.get(parent) or node_at(parent)
            last_parent = parent
        node[leaf] = value
    return skeleton


def extract(workbook: WorkbookData, formats: dict[str, FormatDef], lenient: bool = False) -> Extraction:
    """Detect the format version, read cover, texts and tables into a data document with origins."""
    index = LabelIndex(workbook)
    best, mixed = detect_versions(index, formats)
    fmt = formats[best] if best else None
    probe = fmt or next(iter(formats.values()))
    ex = Extraction(fmt)
    cover = read_cover(index, probe, ex)
    if ex.year is not None:
        ex.expected_fmt = next((f for f in formats.values() if f.covers_year(ex.year)), None)
    if mixed:
        ex.findings.append(catalogue.make("STR-04", "mixed", versions="、".join(formats[v].notice for v in [best, *mixed])))
    if ex.year is not None and ex.expected_fmt is None:
        supported = "、".join(f"{f.meta['years']['first']}—{f.meta['years']['last'] or ''}" for f in formats.values())
        ex.findings.append(catalogue.make("STR-04", "unsupported", year=ex.year, supported=supported))
    if fmt is None:
        fmt = ex.expected_fmt
        if fmt is None:
            ex.findings.append(catalogue.make("STR-04", "unknown"))
            return ex
    elif ex.expected_fmt is not None and ex.expected_fmt is not fmt:
        ex.findings.append(catalogue.make("STR-04", "wrong", year=ex.year, expected_name=ex.expected_fmt.name,
                                          expected_notice=ex.expected_fmt.notice, actual_name=fmt.name, actual_notice=fmt.notice))
    ex.fmt = fmt
    texts = read_texts(index, fmt, ex)
    check_headings(index, fmt, ex)
    if ex.title and any(p.startswith("/text/") for p in ex.origins):
        _judge_title(index, fmt, ex, ex.title)   # the title is judged where the report has its narrative
    plan = fmt.reading_plan
    for table in fmt.tables():
        located_any = False
        for block in table["blocks"]:
            located = locate_block(index, table, block, ex, table["structure_code"], fmt.block_plans[id(block)])
            if located is None:
                continue
            located_any = True
            if not located.sheet.visible:
                ex.findings.append(catalogue.make("WB-01", sheet=located.sheet.name, table=table["name"]))
            for key, r in located.rows.items():
                ex.row_positions[(block["id"], key)] = r
            _read_block_cells(ex, plan.cells_by_block[(table["id"], block["id"])], located, lenient)
        if not located_any:
            ex.findings.append(catalogue.make(table["structure_code"], "missing_table", table=table["name"],
                                              anchor=table["blocks"][0]["anchor"]))
        else:
            for block in table["blocks"]:
                if not any((block["id"], row["key"]) in ex.row_positions for row in block["rows"]) and len(table["blocks"]) > 1:
                    ex.findings.append(catalogue.make(table["structure_code"], "missing_block", table=table["name"], anchor=block["anchor"]))
        for pointer in plan.pointers_by_table[table["id"]]:
            ex.values.setdefault(pointer, None)
    _check_subtotals(ex, fmt, lenient)
    ex.document = _nest(ex.values, {"format_version": fmt.version, "cover": cover, "text": texts}, plan.nest_paths)
    return ex
