"""How far the cells of an .xls (BIFF5/8) workbook reach, read before calamine builds its dense grid."""
from __future__ import annotations

import struct

# Records that place a value cell: (row, column) are their first two 16-bit fields. calamine keeps
# these in a sheet's grid; BLANK/MULBLANK (formatted empty cells) it leaves out, as in .xlsx.
_CELL_RECORDS = {
    0x0006,   # FORMULA
    0x0203,   # NUMBER
    0x0204,   # LABEL
    0x0205,   # BOOLERR
    0x027E,   # RK
    0x00FD,   # LABELSST
    0x00D6,   # RSTRING
}
_MULRK = 0x00BD        # row, first column, RK values..., last column (the record's last 16 bits)
_BOF, _EOF, _FILEPASS = 0x0809, 0x000A, 0x002F
_STREAMS = ("Workbook", "Book")   # BIFF8, BIFF5


class NotChecked(Exception):
    """The container or its records cannot be read far enough to bound the grid."""


def widest_sheet(data: bytes) -> tuple[int, int]:
    """(rows, columns) of the largest grid calamine would build for one sheet of this workbook
    (rows and columns counted from its first value cell), (0, 0) for an encrypted one (whose records
    cannot be read; calamine then asks for the password)."""
    import io

    import olefile

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            name = next((s for s in _STREAMS if ole.exists(s)), None)
            if name is None:
                raise NotChecked("没有 Workbook 数据流")
            stream = ole.openstream(name).read()
    except NotChecked:
        raise
    except Exception as exc:   # olefile raises its own and struct errors on damaged containers
        raise NotChecked(str(exc) or exc.__class__.__name__) from exc
    return _widest(stream)


def _widest(stream: bytes) -> tuple[int, int]:
    widest = (0, 0)
    box: list[int] | None = None   # min row, max row, min col, max col of the current sheet
    pos, end = 0, len(stream)
    while pos + 4 <= end:
        kind, size = struct.unpack_from("<HH", stream, pos)
        body = stream[pos + 4:pos + 4 + size]
        pos += 4 + size
        if kind == _FILEPASS:
            return (0, 0)
        if kind == _BOF:
            box = None
        elif kind == _EOF and box is not None:
            widest, box = _larger(widest, box), None
        elif (kind in _CELL_RECORDS or kind == _MULRK) and len(body) >= 4:
            row, first = struct.unpack_from("<HH", body)
            last = struct.unpack_from("<H", body, len(body) - 2)[0] if kind == _MULRK and len(body) >= 6 else first
            lo, hi = min(first, last), max(first, last)
            if box is None:
                box = [row, row, lo, hi]
            else:
                box[0], box[1] = min(box[0], row), max(box[1], row)
                box[2], box[3] = min(box[2], lo), max(box[3], hi)
    return widest if box is None else _larger(widest, box)   # box: a sheet without its EOF (truncated stream)


def _larger(widest: tuple[int, int], box: list[int]) -> tuple[int, int]:
    """The larger (by cells) of the widest grid so far and a sheet's box (min row, max row, min col, max col)."""
    return max(widest, (box[1] - box[0] + 1, box[3] - box[2] + 1), key=lambda rc: rc[0] * rc[1])
