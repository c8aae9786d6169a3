"""What reading takes from a format alone, compiled once per format and cached here (keyed by the FormatDef)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from itertools import groupby

from addin.formats import FormatDef
from addin.geometry import anchor_column, column_positions
from addin.reading.normalise import norm_label


@cache
def reading_plan(fmt: FormatDef) -> "ReadingPlan":
    """What extraction needs from this format that does not depend on the workbook, worked out once."""
    return plan_reading(fmt)


@cache
def block_plans(fmt: FormatDef) -> dict[int, "BlockPlan"]:
    """id(block) -> what locating the block needs from the layout alone, worked out once."""
    return {id(b): plan_block(b) for t in fmt.tables() for b in t["blocks"]}


@dataclass(frozen=True)
class BlockPlan:
    """What locating a block takes from the layout alone, worked out once per format (plans.block_plans)."""

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
    """What extraction takes from a format alone (plans.reading_plan), so no report recomputes it."""

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
