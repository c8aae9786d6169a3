"""Test stand-in for the xlwings Office.js client: a workbook file as the JSON payload it sends, the
client's side of applying the returned actions (values, sheets, notes, fills), and saving the result."""
from __future__ import annotations

import copy

import xlwings as xw
from openpyxl import load_workbook

from addin.reading.model import a1


def _json_value(v):
    # Office.js sends numbers as JSON numbers (integers without ".0"), empty cells as "".
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if hasattr(v, "isoformat"):
        # as JavaScript's Date.toISOString() gives it: xlwings' remote engine cuts the "Z" off
        return v.isoformat(timespec="milliseconds") + "Z" if hasattr(v, "hour") else v.isoformat()
    return v


_VISIBILITY = {"visible": "Visible", "hidden": "Hidden", "veryHidden": "VeryHidden"}
EXCEL_USER = "填报人"   # Excel signs a note with the user's name, never with gkreport's


def _argb(cell):
    fill = cell.fill
    if fill is None or fill.fill_type != "solid" or not isinstance(fill.fgColor.rgb, str):
        return None
    return "#" + fill.fgColor.rgb[-6:].upper()


class Client:
    """A workbook as seen by the Office.js client: payload + the fills the payload does not carry."""

    def __init__(self, path, name=None):
        wb = load_workbook(path)
        self.fills: dict[tuple[str, str], str] = {}
        self.note_text: dict[tuple[str, str], str] = {}
        sheets = []
        for ws in wb.worksheets:
            n_rows, n_cols = ws.max_row, ws.max_column
            values = [[""] * n_cols for _ in range(n_rows)]
            notes = []
            for row in ws.iter_rows():
                for cell in row:
                    values[cell.row - 1][cell.column - 1] = _json_value(cell.value)
                    fill = _argb(cell)
                    if fill:
                        self.fills[(ws.title, cell.coordinate)] = fill
                    if cell.comment is not None:
                        notes.append({"address": f"${cell.column_letter}${cell.row}"})
                        self.note_text[(ws.title, cell.coordinate)] = cell.comment.text
            sheets.append({
                "name": ws.title, "values": values, "visibility": _VISIBILITY[ws.sheet_state],
                "pictures": [], "shapes": [], "charts": [], "tables": [], "pivot_tables": [], "notes": notes,
                "notes_supported": True, "show_gridlines": True, "print_area": None,
                "used_range_address": f"A1:{a1(n_rows - 1, n_cols - 1)}",
            })
        self.payload = {
            "client": "Office.js", "version": xw.__version__,
            "book": {"name": name or str(path).rsplit("/", 1)[-1], "active_sheet_index": 0, "selection": "A1"},
            "names": [], "sheets": sheets,
        }

    def save(self, original, path):
        """What Excel saves after the actions: `original` with the payload's sheets, values and
        visibility and the client's fills and notes, written to `path` with openpyxl."""
        from openpyxl.comments import Comment
        from openpyxl.styles import PatternFill

        wb = load_workbook(original)
        names = [s["name"] for s in self.payload["sheets"]]
        for ws in list(wb.worksheets):
            if ws.title not in names:
                wb.remove(ws)
        for sheet in self.payload["sheets"]:
            ws = wb[sheet["name"]] if sheet["name"] in wb.sheetnames else wb.create_sheet(sheet["name"])
            ws.sheet_state = {v: k for k, v in _VISIBILITY.items()}[sheet["visibility"]]
            values = sheet["values"]
            for row in ws.iter_rows():
                for cell in row:
                    r, c = cell.row - 1, cell.column - 1
                    if cell.value is not None and not (r < len(values) and c < len(values[r])):
                        cell.value = None
            for r, row in enumerate(values):
                for c, v in enumerate(row):
                    cell = ws.cell(r + 1, c + 1)
                    if _json_value(cell.value) != v:
                        cell.value = None if v == "" else v
            for row in ws.iter_rows():
                for cell in row:
                    key = (ws.title, cell.coordinate)
                    if _argb(cell) != self.fills.get(key):
                        cell.fill = PatternFill(fill_type=None)
                    if cell.comment is not None and key not in self.note_text:
                        cell.comment = None
            for (name, ref), color in self.fills.items():
                if name == ws.title and _argb(ws[ref]) != color:
                    ws[ref].fill = PatternFill("solid", fgColor=color.lstrip("#"))
            for (name, ref), text in self.note_text.items():
                if name == ws.title and (ws[ref].comment is None or ws[ref].comment.text != text):
                    ws[ref].comment = Comment(text, EXCEL_USER)
        wb._sheets = [wb[n] for n in names]
        wb.active = self.payload["book"]["active_sheet_index"]
        for ws in wb.worksheets:
            ws.sheet_view.tabSelected = ws is wb.active
        wb.save(path)
        return path

    def book(self):
        """A fresh xw.Book on the remote engine from a copy of the current payload (one request)."""
        return xw.Book(json=copy.deepcopy(self.payload))

    # -- the client's side of runActions -----------------------------------------------------

    def apply(self, actions):
        for action in actions:
            getattr(self, "_" + action["func"])(action)

    def _sheet(self, action):
        return self.payload["sheets"][action["sheet_position"]]

    def _cells(self, action):
        sheet = self._sheet(action)
        for i in range(action["row_count"]):
            for j in range(action["column_count"]):
                yield sheet, i, j, a1(action["start_row"] + i, action["start_column"] + j)

    def _addSheet(self, action):
        ix, name = action["args"]
        self.payload["sheets"].insert(ix, {"name": name, "values": [[""]], "visibility": "Visible", "pictures": [],
                                           "shapes": [], "charts": [], "tables": [], "pivot_tables": [], "notes": [],
                                           "notes_supported": True, "show_gridlines": True, "print_area": None,
                                           "used_range_address": None})
        self.payload["book"]["active_sheet_index"] = ix

    def _sheetDelete(self, action):
        name = self._sheet(action)["name"]
        del self.payload["sheets"][action["sheet_position"]]
        self.fills = {k: v for k, v in self.fills.items() if k[0] != name}
        self.payload["book"]["active_sheet_index"] = 0

    def _setSheetVisibility(self, action):
        self._sheet(action)["visibility"] = action["args"][0]

    def _activateSheet(self, action):
        self.payload["book"]["active_sheet_index"] = action["args"][0]

    def _setValues(self, action):
        sheet = self._sheet(action)
        values = sheet["values"]
        r0, c0 = action["start_row"], action["start_column"]
        rows = action["values"]
        need_r, need_c = r0 + len(rows), c0 + max(len(r) for r in rows)
        width = max(need_c, max(len(r) for r in values))
        for r in values:
            r.extend([""] * (width - len(r)))
        while len(values) < need_r:
            values.append([""] * width)
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                # Excel: a leading apostrophe makes the rest text; formulas keep their text here.
                values[r0 + i][c0 + j] = v[1:] if isinstance(v, str) and v.startswith("'") else ("" if v is None else v)
        self._used(sheet)

    def _used(self, sheet):
        values = sheet["values"]
        last_r = max((i for i, r in enumerate(values) if any(v != "" for v in r)), default=-1)
        last_c = max((j for r in values for j, v in enumerate(r) if v != ""), default=-1)
        sheet["values"] = [r[: last_c + 1] for r in values[: last_r + 1]] or [[""]]
        sheet["used_range_address"] = f"A1:{a1(last_r, last_c)}" if last_r >= 0 else None

    def _sheetClearContents(self, action):
        sheet = self._sheet(action)
        sheet["values"] = [[""]]
        sheet["used_range_address"] = None

    _sheetClear = _sheetClearContents

    def _setRangeColors(self, action):
        matrix = action["args"][0]
        for sheet, i, j, ref in self._cells(action):
            color = matrix[i][j]
            if color == "keep":
                continue
            if color is None:
                self.fills.pop((sheet["name"], ref), None)
            else:
                self.fills[(sheet["name"], ref)] = color.upper()

    def _setRangeColor(self, action):
        for sheet, _, _, ref in self._cells(action):
            if action["args"][0] is None:
                self.fills.pop((sheet["name"], ref), None)
            else:
                self.fills[(sheet["name"], ref)] = action["args"][0].upper()

    def _addNote(self, action):
        sheet = self._sheet(action)
        address, text = action["args"]
        sheet["notes"].append({"address": address})
        self.note_text[(sheet["name"], address.replace("$", ""))] = text

    def _deleteNote(self, action):
        sheet = self._sheet(action)
        address = action["args"][0]
        sheet["notes"] = [n for n in sheet["notes"] if n["address"].replace("$", "") != address.replace("$", "")]
        self.note_text.pop((sheet["name"], address.replace("$", "")), None)

    def _setFontProperty(self, action):
        pass

    def _setSheetAutofit(self, action):
        pass
