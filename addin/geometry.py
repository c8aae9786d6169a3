"""Grid geometry of layout blocks: HTML-style placement of header and row-label cells."""
from __future__ import annotations

from addin.formats import FormatError


def place_html_rows(rows: list[list[dict]], occupied: set[tuple[int, int]] | None = None, first_row: int = 0):
    """HTML-table placement: each cell goes to the next grid column of its row not covered by a
    rowspan from above. Yields (row, col, rowspan, colspan, cell) with 0-based grid coordinates;
    `occupied` carries rowspans across calls (row labels spanning several data rows)."""
    occupied = set() if occupied is None else occupied
    for r, cells in enumerate(rows, start=first_row):
        col = 0
        for cell in cells:
            while (r, col) in occupied:
                col += 1
            rowspan, colspan = cell.get("rowspan", 1), cell.get("colspan", 1)
            for dr in range(rowspan):
                for dc in range(colspan):
                    occupied.add((r + dr, col + dc))
            yield r, col, rowspan, colspan, cell
            col += colspan


def column_positions(block: dict) -> dict[str, tuple[int, int]]:
    """Data column key -> (grid column, colspan), from the header cell holding its leaf label.
    Duplicate leaves (表四 结果维持 ×3) are matched in order, left to right; only header cells that
    reach the bottom of the header count as leaves."""
    header = block["header"]
    placed = list(place_html_rows(header))
    leaves = sorted(((c, r, cs, cell["text"]) for r, c, rs, cs, cell in placed if r + rs == len(header)))
    used: set[int] = set()
    out = {}
    for column in block["columns"]:
        leaf = column["path"][-1]
        for i, (c, _r, cs, text) in enumerate(leaves):
            if text == leaf and i not in used:
                used.add(i)
                out[column["key"]] = (c, cs)
                break
        else:
            raise FormatError(f"格式数据有误：{block['id']} 的数据列“{leaf}”在表头中找不到对应的单元格。")
    return out


def anchor_column(block: dict) -> int:
    """Grid column of the block's anchor label inside its header (0 when the anchor is a caption)."""
    for _r, c, _rs, _cs, cell in place_html_rows(block["header"]):
        if cell["text"] == block["anchor"]:
            return c
    return 0
