"""Block location: find each official table block by its anchor, its columns by their header labels and its rows."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import chain

from addin import catalogue
from addin.formats import column_label
from addin.reading.extraction import Extraction
from addin.reading.labels import LabelIndex, SheetTexts
from addin.reading.model import SheetData, a1
from addin.reading.normalise import label_heads, label_matches
from addin.reading.plans import BlockPlan, plan_block
from addin.reading.variants import variant_of

HEADER_SLACK = 1        # extra rows allowed inside a header (a clerk's inserted blank row)
ROW_SEARCH_LIMIT = 40   # rows searched below the previous match for the next expected row label
COLUMN_TOLERANCE = 3    # columns a data column may sit away from its place in the layout (added columns)


@dataclass
class Located:
    sheet: SheetData
    columns: dict[str, int]
    rows: dict[str, int]
    row_columns: dict[str, dict[str, int]] | None = None   # per row, when read in sequence
    top: int | None = None   # the block's first printed row (its anchor's): where text above the table ends

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


def locate_block(index: LabelIndex, table: dict, block: dict, ex: Extraction, code: str,
                 plan: BlockPlan | None = None) -> Located | None:
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
        if not candidates and leaf not in first_hit:
            # a header printed with a word more or less, or a character mistyped (「先行有效件数」)
            candidates = [(abs(c - place), c, r, False) for head, hits in first_hit.items()
                          if variant_of(head, plan.leaves, exclude=plan.leaf_set) == leaf
                          for c, r, _ in hits if lo <= c < hi]
            if candidates:
                _, c, r, _ = min(candidates)
                note_variant(ex, table, sheet, r, c, col["path"][-1], "列")
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
        return Located(sheet, columns, rows, row_columns, top=ar)
    for col in missing:
        ex.findings.append(catalogue.make(code, "missing_column", table=table["name"], label=column_label(col["path"]),
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
    shifted = {key: seq for key, r in rows.items() if (seq := _shifted(sheet, tx, r, label_cols, columns, plan, block))}
    if shifted:
        # a header cell spanning more columns than the value cells below it (web-page exports): the
        # numbers stand right after their row label, one per column; read so, and say it (STR-08)
        finding = catalogue.make("STR-08", "sequence", table=table["name"], n=len(block["columns"]),
                                 sheet=sheet.name, cell=a1(ar, ac))
        if not any(f.code == "STR-08" and f.message == finding.message for f in ex.findings):
            ex.findings.append(finding)
        return Located(sheet, columns, rows, {key: shifted.get(key, columns) for key in rows}, top=ar)
    return Located(sheet, columns, rows, top=ar)


def _shifted(sheet, tx, r: int, label_cols, columns: dict, plan: BlockPlan, block: dict) -> dict | None:
    """The row's columns read in sequence, when every cell under the header's columns is empty and
    each cell right after the row label holds a value; else None (a blank row stays blank)."""
    if not columns or len(columns) < len(block["columns"]):
        return None
    if any(sheet.value(r, c) not in (None, "") for c in columns.values()):
        return None
    seq = _sequence_columns(tx, r, label_cols, plan, block)
    if seq == columns or any(sheet.value(r, c) in (None, "") for c in seq.values()):
        return None
    return seq


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
            # a label printed with a word more or less (「规范性文件」 for 「行政规范性文件」), in the rows
            # up to the next expected row
            found = _variant_row(sheet, tx, table, ex, cursor, label_cols, target, row["label"], plan)
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


def _variant_row(sheet, tx, table, ex, cursor, label_cols, target, label, plan) -> int | None:
    """The first row below the cursor whose label is a near-variant of the expected one and of no other
    row label of the block (it stops at a row carrying another expected label)."""
    for r in range(cursor, cursor + ROW_SEARCH_LIMIT):
        texts = _row_label_texts(tx, r, label_cols)
        if any(t in plan.row_label_set for t in texts):
            return None
        for t in texts:
            if variant_of(t, plan.row_targets, exclude=plan.row_label_set) == target:
                note_variant(ex, table, sheet, r, next(c for c in label_cols if tx.at(r, c) == t), label, "行")
                return r
    return None


def note_variant(ex: Extraction, table: dict, sheet, r: int, c: int, label: str, what: str) -> None:
    """NORM-09 once per printed variant of a table (a header repeated in each block is one misprint)."""
    finding = catalogue.make("NORM-09", table=table["name"], raw=str(sheet.value(r, c)).strip(), label=label,
                             what=what, sheet=sheet.name, cell=a1(r, c))
    if not any(f.code == "NORM-09" and f.message == finding.message for f in ex.findings):
        ex.findings.append(finding)


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
        ex.findings.append(catalogue.make(code, "unplaced_row" if ex.in_document else "extra_row", severity="warning",
                                          table=table["name"], label=raw_label,
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
