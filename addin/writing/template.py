"""The standard input workbook (标准填报模板) of a format version, placed from its layout.json."""
from __future__ import annotations

import datetime
import os
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from openpyxl import Workbook
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.writer.excel import ExcelWriter

from addin.formats import FormatDef, available_formats, escape, format_for_year
from addin.geometry import column_positions, place_html_rows
from addin.printorder import heading_number
from addin.reading.model import a1
from addin.safe_text import for_cell
from addin.textfit import MAX_ROW_HEIGHT, NARROW, TEXT_WIDTH, display_len, paragraph_height, text_height
from addin.totals import add_up, sum_formula, totals
from addin.writing.atomic import atomic_write

PROP_FORMAT_VERSION = "gkreport.format_version"
PROP_REPORT_YEAR = "gkreport.report_year"

# Fixed timestamps so that regenerating a template yields the same content.
FIXED_TIME = datetime.datetime(2000, 1, 1)

COVER_WIDTH = 4          # grid columns of the cover sheet: label column + value spanning the rest
PARAGRAPH_ROWS = 10      # paragraph rows of a blank section (a longer text gets one row per paragraph)
NOTE_ROW_HEIGHT = 40     # points: the box under a table for its short text
YEAR_RANGE = (2019, 2100)
SIGNED_LIMIT = 999_999_999  # Excel "whole number" needs bounds; any realistic count fits


class TemplateError(Exception):
    """A template cannot be made as asked (unknown year, wrong format version, bad values)."""


# ---------------------------------------------------------------------------------------------
# Placement (pure; no openpyxl)


@dataclass(frozen=True)
class LabelCell:
    """A printed, locked cell. row/col are 1-based sheet coordinates of the top-left cell."""

    sheet: str
    row: int
    col: int
    rowspan: int
    colspan: int
    text: str
    role: str  # title|heading|caption|header|row_label|field_label|section_heading|info

    @property
    def ref(self) -> str:
        return a1(self.row - 1, self.col - 1)

    @property
    def range(self) -> str:
        return _range(self.row, self.col, self.rowspan, self.colspan)


@dataclass(frozen=True)
class InputCell:
    """An unlocked cell the filer types into: a data cell, a cover field value or a section text."""

    sheet: str
    row: int
    col: int
    colspan: int
    kind: str   # data|field|text|note
    key: str    # pointer, field key, section key or table id (the box under a table)
    type: str   # count|signed|money (data), text|year (field), text (text)

    @property
    def ref(self) -> str:
        return a1(self.row - 1, self.col - 1)

    @property
    def range(self) -> str:
        return _range(self.row, self.col, 1, self.colspan)


@dataclass
class SheetPlan:
    name: str
    kind: str                 # cover|text|table
    width: int                # grid columns used
    height: int = 0           # last used row
    column_widths: list[float] = field(default_factory=list)
    row_heights: dict[int, float] = field(default_factory=dict)
    print_title_rows: str | None = None
    table_rows: tuple[int, int] | None = None  # first/last row of the bordered table grid

    @property
    def landscape(self) -> bool:
        return self.width > 5


@dataclass
class Plan:
    """Where everything goes: label cells, and input cells keyed by pointer, ("cover", key), ("text", key)
    (a section's first paragraph row; ("text", key, i) the following ones) and ("note", table id)."""

    title: str
    sheets: list[SheetPlan]
    labels: list[LabelCell]
    inputs: dict[object, InputCell]
    totals: dict[str, tuple[str, ...]] = field(default_factory=dict)   # total pointer -> pointers it adds up

    @property
    def data(self) -> dict[str, InputCell]:
        return {k: v for k, v in self.inputs.items() if isinstance(k, str)}

    def address(self, key) -> tuple[str, str]:
        """(sheet, "B7") of an input cell: a pointer, ("cover", field key), ("text", section key)..."""
        cell = self.inputs[key]
        return cell.sheet, cell.ref

    def sheet(self, name: str) -> SheetPlan:
        return next(s for s in self.sheets if s.name == name)


def _range(row: int, col: int, rowspan: int, colspan: int) -> str:
    first = a1(row - 1, col - 1)
    if rowspan == 1 and colspan == 1:
        return first
    return f"{first}:{a1(row + rowspan - 2, col + colspan - 2)}"


def _column_widths(table: dict, grid_labels: list[tuple[int, int, int, int, str]]) -> list[float]:
    """Label columns fit their single-cell labels (capped, they wrap); group-only label columns are
    narrow; data columns fit their leaf header."""
    width, label_width = table["width"], table["label_width"]
    widths = []
    for col in range(width):
        single = [display_len(t) for _r, c, rs, cs, t in grid_labels if c == col and cs == 1 and rs == 1]
        if col < label_width:
            widths.append(min(max(single) + 2, 44) if single else 12)
        else:
            widths.append(max(10, min(max(single, default=8) + 2, 16)))
    return widths


def paragraphs(text: str | None) -> list[str]:
    """A narrative text as the rows it is written in: one paragraph per row (blank lines dropped, as
    the checker joins the text of the rows under a heading with line breaks)."""
    return [line for line in (text or "").split("\n") if line.strip()]


def plan(fmt: FormatDef, year: int | None = None, unit: str | None = None,
         texts: dict | None = None, notes: dict | None = None) -> Plan:
    """Place the cover, the narrative sections and every table of `fmt` on sheets (1-based rows/cols).
    `texts` (section key -> text) only decides how many paragraph rows each section gets, `notes`
    (table id -> text) how high the box under each table is."""
    layout = fmt.layout
    cover = layout["cover"]
    title = report_title(fmt, year, unit)
    labels: list[LabelCell] = []
    inputs: dict[object, InputCell] = {}
    texts = texts or {}

    # Cover sheet: title, fields (the official ones, then the office's own optional ones), format line.
    cs = SheetPlan(cover["sheet"], "cover", COVER_WIDTH, column_widths=[14] + [30] * (COVER_WIDTH - 1))
    labels.append(LabelCell(cs.name, 1, 1, 1, COVER_WIDTH, title, "title"))
    cs.row_heights[1] = 36
    row = 3
    for f in [*cover["fields"], *cover.get("optional_fields", [])]:
        labels.append(LabelCell(cs.name, row, 1, 1, 1, f["label"], "field_label"))
        inputs[("cover", f["key"])] = InputCell(cs.name, row, 2, COVER_WIDTH - 1, "field", f["key"], f["type"])
        cs.row_heights[row] = 22
        row += 1
    row += 1
    labels.append(LabelCell(cs.name, row, 1, 1, COVER_WIDTH, format_line(fmt), "info"))
    cs.height = row
    placed: list[tuple[int, SheetPlan]] = []   # (heading number, sheet) of every sheet after the cover

    # Narrative sections: a heading, then one row per paragraph in one wide unmerged column, so that
    # Excel and LibreOffice fit each row to its text (they cannot fit merged cells) and print it whole.
    by_sheet: dict[str, SheetPlan] = {cs.name: cs}
    for s in cover["sections"]:
        name = s.get("sheet", cs.name)
        sp = by_sheet.get(name)
        if sp is None:
            sp = by_sheet[name] = SheetPlan(name, "text", 1, column_widths=[TEXT_WIDTH])
            placed.append((heading_number(s["heading"]), sp))
        row = sp.height + 2 if sp.height else 1
        labels.append(LabelCell(sp.name, row, 1, 1, sp.width, s["heading"], "section_heading"))
        sp.row_heights[row] = 24
        lines = paragraphs(texts.get(s["key"]))
        for i in range(max(PARAGRAPH_ROWS, len(lines))):
            key = ("text", s["key"]) if i == 0 else ("text", s["key"], i)
            inputs[key] = InputCell(sp.name, row + 1 + i, 1, sp.width, "text", s["key"], "text")
            if i < len(lines):
                sp.row_heights[row + 1 + i] = paragraph_height(lines[i])
        sp.height = row + max(PARAGRAPH_ROWS, len(lines))

    # Table sheets: heading, one blank row, then the blocks back to back like the Word template, and
    # below them a box for the short text real reports put under a table.
    for table in layout["tables"]:
        sp = SheetPlan(table["sheet"], "table", table["width"])
        placed.append((heading_number(table["heading"]), sp))
        labels.append(LabelCell(sp.name, 1, 1, 1, table["width"], table["heading"], "heading"))
        sp.row_heights[1] = 28
        first = 3
        grid = 0  # 0-based grid row relative to `first`
        grid_labels = []
        header_end = None
        for block in table["blocks"]:
            positions = column_positions(block)
            occupied: set[tuple[int, int]] = set()
            parts = ([("caption", [block["caption"]])] if block.get("caption") else []) + [("header", block["header"])]
            for role, rows in parts:
                for r, c, rs, csp, cell in place_html_rows(rows, occupied, grid):
                    grid_labels.append((r, c, rs, csp, cell["text"]))
                    labels.append(LabelCell(sp.name, first + r, c + 1, rs, csp, cell["text"], role))
                grid += len(rows)
            if header_end is None and len(table["blocks"]) == 1:
                header_end = first + grid - 1
            label_rows = [row_def["cells"] for row_def in block["rows"]]
            for r, c, rs, csp, cell in place_html_rows(label_rows, occupied, grid):
                grid_labels.append((r, c, rs, csp, cell["text"]))
                labels.append(LabelCell(sp.name, first + r, c + 1, rs, csp, cell["text"], "row_label"))
            for i, row_def in enumerate(block["rows"]):
                for column in block["columns"]:
                    c, csp = positions[column["key"]]
                    pointer = block["pointer"].format(row=escape(row_def["key"]), column=escape(column["key"]))
                    inputs[pointer] = InputCell(sp.name, first + grid + i, c + 1, csp, "data", pointer, column["type"])
            grid += len(block["rows"])
        sp.table_rows = (first, first + grid - 1)
        sp.column_widths = _column_widths(table, grid_labels)
        sp.print_title_rows = f"1:{header_end or 1}"
        # Row heights: enough lines for the longest single-row label in each grid row.
        for r in range(grid):
            need = 20.0
            for gr, c, rs, csp, text in grid_labels:
                if gr == r and rs == 1:
                    need = max(need, text_height(text, sum(sp.column_widths[c:c + csp])))
            sp.row_heights[first + r] = need
        note_row = first + grid + 1
        inputs[("note", table["id"])] = InputCell(sp.name, note_row, 1, table["width"], "note", table["id"], "text")
        note = (notes or {}).get(table["id"])
        # a note longer than the box grows it (the submission prints it whole, up to what a row holds)
        sp.row_heights[note_row] = min(max(NOTE_ROW_HEIGHT, text_height(note, sum(sp.column_widths) * NARROW)),
                                       MAX_ROW_HEIGHT) if note else NOTE_ROW_HEIGHT
        sp.height = note_row

    missing = set(c.pointer for c in fmt.cells) - set(k for k in inputs if isinstance(k, str))
    if missing:
        raise TemplateError(f"格式数据有误：{len(missing)} 个数据单元格没有位置，例如 {sorted(missing)[0]}。")
    _check_no_overlap(labels, inputs.values())
    sheets = [cs] + [sp for _n, sp in sorted(placed, key=lambda item: item[0])]
    return Plan(title, sheets, labels, inputs, totals(fmt))


def _check_no_overlap(labels, inputs) -> None:
    """A layout whose spans collide would silently overwrite cells; refuse it instead."""
    seen: dict[tuple[str, int, int], int] = {}
    spans = [(c.sheet, c.row, c.col, c.rowspan, c.colspan, c.text) for c in labels]
    spans += [(c.sheet, c.row, c.col, 1, c.colspan, c.key) for c in inputs]
    for i, (sheet, row, col, rowspan, colspan, what) in enumerate(spans):
        for r in range(row, row + rowspan):
            for c in range(col, col + colspan):
                other = seen.setdefault((sheet, r, c), i)
                if other != i:
                    raise TemplateError(f"格式数据有误：工作表“{sheet}”的 {a1(r - 1, c - 1)} "
                                        f"同时属于“{spans[other][5]}”和“{what}”。")


def report_title(fmt: FormatDef, year: int | None, unit: str | None) -> str:
    return fmt.layout["cover"]["title"].format(unit=unit or "", year="" if year is None else year)


def format_line(fmt: FormatDef) -> str:
    return f"格式版本：《{fmt.name}》（{fmt.notice}）"


# ---------------------------------------------------------------------------------------------
# Format choice


def resolve_format(year: int, format_version: str | None = None) -> FormatDef:
    """The format a report of `year` must use; refuse a `format_version` that does not apply."""
    if isinstance(year, bool) or not isinstance(year, int):
        raise TemplateError(f"报告年度必须是整数年份，收到的是“{year}”。")
    formats = available_formats()
    fmt = format_for_year(year, formats)
    if fmt is None:
        spans = "；".join(
            f"{f.version}版：{f.meta['years']['first']}年度"
            + (f"至{f.meta['years']['last']}年度" if f.meta["years"]["last"] else "起")
            for f in formats.values())
        raise TemplateError(f"{year}年度没有适用的政府信息公开工作年度报告格式（{spans}）。")
    if format_version is not None:
        wanted = str(format_version)
        if wanted not in formats:
            raise TemplateError(f"未知的格式版本“{wanted}”，可用的版本：{'、'.join(formats)}。")
        if wanted != fmt.version:
            raise TemplateError(f"{year}年度报告应使用{fmt.version}版格式（{fmt.notice}），不能使用{wanted}版格式。")
    return fmt


# ---------------------------------------------------------------------------------------------
# Workbook

THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
# Input cells pale green, computed totals grey: both far from the marks' red, amber and blue.
INPUT_COLOUR = "E2EFDA"
TOTAL_COLOUR = "D9D9D9"
INPUT_FILL = PatternFill("solid", fgColor=INPUT_COLOUR)
TOTAL_FILL = PatternFill("solid", fgColor=TOTAL_COLOUR)
FONT = "宋体"

_ROLE_STYLE = {
    # role: (font size, bold, horizontal alignment, bordered)
    "title": (16, True, "center", False),
    "heading": (13, True, "left", False),
    "caption": (11, True, "left", True),
    "header": (11, True, "center", True),
    "row_label": (11, False, "left", True),
    "field_label": (11, True, "center", True),
    "section_heading": (12, True, "left", False),
    "info": (9, False, "left", False),
}

_INPUT_ALIGNMENT = {
    # input kind: horizontal, vertical, wrap
    "data": ("center", "center", False),
    "field": ("left", "center", True),
    "text": ("left", "top", True),
    "note": ("left", "top", True),
}

_DV_RULES = {
    # input type: DataValidation arguments, prompt (Chinese)
    "count": (dict(type="whole", operator="greaterThanOrEqual", formula1="0"), "请填写大于或等于0的整数（没有发生请填0）。"),
    "signed": (dict(type="whole", operator="between", formula1=str(-SIGNED_LIMIT), formula2=str(SIGNED_LIMIT)),
               "请填写整数，减少用负数表示（如 -8），没有变化请填0。"),
    "money": (dict(type="decimal", operator="greaterThanOrEqual", formula1="0"), "请填写大于或等于0的数字（金额），没有请填0。"),
    "year": (dict(type="whole", operator="between", formula1=str(YEAR_RANGE[0]), formula2=str(YEAR_RANGE[1])),
             f"请填写四位年份（{YEAR_RANGE[0]}–{YEAR_RANGE[1]}）。"),
}


def _style_range(ws, row: int, col: int, rowspan: int, colspan: int, border: bool) -> None:
    # A merged cell only shows borders that are set on each cell it covers.
    if rowspan > 1 or colspan > 1:
        ws.merge_cells(start_row=row, start_column=col, end_row=row + rowspan - 1, end_column=col + colspan - 1)
    if border:
        for r in range(row, row + rowspan):
            for c in range(col, col + colspan):
                ws.cell(r, c).border = BORDER


def _setup_sheet(ws, sp: SheetPlan) -> None:
    for i, w in enumerate(sp.column_widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    for r, h in sp.row_heights.items():
        ws.row_dimensions[r].height = h
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if sp.landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    # A table prints on one page like the official one; the cover and the texts run over pages.
    ws.page_setup.fitToHeight = 1 if sp.kind == "table" else 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.print_area = f"A1:{a1(sp.height - 1, sp.width - 1)}"
    if sp.print_title_rows:
        ws.print_title_rows = sp.print_title_rows
    ws.sheet_view.showGridLines = sp.kind != "table"
    # Protected without a password: labels and totals cannot be changed by accident, inputs stay
    # editable, and rows can be inserted for more paragraphs.
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.protection.insertRows = sp.kind == "table"


def build_workbook(fmt: FormatDef, year: int, unit: str | None = None,
                   values: dict | None = None, texts: dict | None = None, notes: dict | None = None,
                   contacts: dict | None = None) -> Workbook:
    """The standard workbook of `fmt` for report `year`, optionally pre-filled: `values` by pointer,
    `texts` by section key (one row per paragraph), `notes` (the short text under a table) by table id,
    `contacts` (the cover's optional fields: 填报人, 联系电话...) by field key.

    A total cell holds its SUM formula with the result cached, unless `values` gives it a number (a
    submission file holds values only). Does not check that `fmt` applies to `year` (use
    resolve_format for that), so that tests can build deliberately mismatched workbooks."""
    unit = for_cell(unit) if unit else unit   # the title and properties hold it too
    values, texts, notes, contacts = values or {}, texts or {}, notes or {}, contacts or {}
    p = plan(fmt, year, unit, texts, notes)
    unknown = [k for k in values if k not in p.inputs or not isinstance(k, str)]
    if unknown:
        raise TemplateError(f"{fmt.version}版格式中没有数据单元格 {unknown[0]}。")
    unknown = [k for k in texts if ("text", k) not in p.inputs]
    if unknown:
        raise TemplateError(f"{fmt.version}版格式中没有正文部分“{unknown[0]}”。")
    unknown = [k for k in notes if ("note", k) not in p.inputs]
    if unknown:
        raise TemplateError(f"{fmt.version}版格式中没有表格“{unknown[0]}”。")
    optional = {f["key"] for f in fmt.layout["cover"].get("optional_fields", [])}
    unknown = [k for k in contacts if k not in optional]
    if unknown:
        raise TemplateError(f"{fmt.version}版格式的封面没有选填项“{unknown[0]}”。")

    wb = Workbook()
    wb.remove(wb.active)
    sheets = {}
    for sp in p.sheets:
        ws = wb.create_sheet(sp.name)
        sheets[sp.name] = ws
        _setup_sheet(ws, sp)

    for lab in p.labels:
        ws = sheets[lab.sheet]
        size, bold, horizontal, border = _ROLE_STYLE[lab.role]
        cell = ws.cell(lab.row, lab.col, lab.text)
        cell.data_type = "s"
        cell.font = Font(name=FONT, size=size, bold=bold)
        cell.alignment = Alignment(horizontal=horizontal, vertical="center", wrap_text=True)
        cell.protection = Protection(locked=True)
        _style_range(ws, lab.row, lab.col, lab.rowspan, lab.colspan, border)

    contents = _contents(p, fmt, year, unit, values, texts, notes)
    contents.update({("cover", k): v for k, v in contacts.items()})
    formulas = {ptr: parts for ptr, parts in p.totals.items() if ptr not in values}
    cached: dict[str, dict[str, object]] = {}
    validations: dict[tuple[str, str], list[str]] = {}
    for key, ic in p.inputs.items():
        ws = sheets[ic.sheet]
        cell = ws.cell(ic.row, ic.col)
        horizontal, vertical, wrap = _INPUT_ALIGNMENT[ic.kind]
        cell.font = Font(name=FONT, size=11)
        cell.alignment = Alignment(horizontal=horizontal, vertical=vertical, wrap_text=wrap)
        _style_range(ws, ic.row, ic.col, 1, ic.colspan, border=ic.kind != "text")
        if key in formulas:
            refs = [(p.inputs[part].row - 1, p.inputs[part].col - 1) for part in formulas[key]]
            cell.value = "=" + sum_formula(refs)
            cached.setdefault(ic.sheet, {})[ic.ref] = _total_value(key, p.totals, values)
            cell.fill = TOTAL_FILL
            cell.protection = Protection(locked=True)
            continue
        if contents.get(key) is not None:
            _put(cell, contents[key])
        cell.fill = INPUT_FILL
        cell.protection = Protection(locked=False)
        if ic.type in _DV_RULES:
            validations.setdefault((ic.sheet, ic.type), []).append(ic.range)

    for (sheet, kind), ranges in sorted(validations.items()):
        args, prompt = _DV_RULES[kind]
        dv = DataValidation(**args, allow_blank=True, showErrorMessage=True, showInputMessage=True,
                            errorStyle="stop", errorTitle="输入有误", error=prompt, promptTitle="填写说明",
                            prompt=prompt)
        dv.sqref = " ".join(ranges)
        sheets[sheet].add_data_validation(dv)

    wb.active = 0
    # Excel and LibreOffice recompute every formula on opening: a total edited by a program that does
    # not calculate (openpyxl, generators) shows its true sum, not a stale cached result
    wb.calculation.fullCalcOnLoad = True
    wb.gkreport_cached = cached   # written into the formula cells by save_workbook
    props = wb.properties
    props.title = p.title
    props.subject = format_line(fmt)
    props.creator = "gkreport"
    props.lastModifiedBy = "gkreport"
    props.created = props.modified = FIXED_TIME
    wb.custom_doc_props.append(StringProperty(name=PROP_FORMAT_VERSION, value=fmt.version))
    wb.custom_doc_props.append(StringProperty(name=PROP_REPORT_YEAR, value=str(year)))
    return wb


def _contents(p: Plan, fmt: FormatDef, year: int, unit: str | None, values: dict, texts: dict, notes: dict) -> dict:
    """Input key -> what is written in it: data values, cover defaults, paragraphs, notes."""
    out: dict[object, object] = dict(values)
    out.update({("cover", k): v for k, v in _cover_defaults(fmt, year, unit).items()})
    for key, text in texts.items():
        for i, line in enumerate(paragraphs(text)):
            out[("text", key) if i == 0 else ("text", key, i)] = line
    out.update({("note", k): v for k, v in notes.items()})
    return out


def _total_value(pointer: str, parts_of: dict[str, tuple[str, ...]], values: dict):
    """What the total's SUM formula gives: its parts as given (a part that is itself a total, as its own sum)."""
    def value(p):
        if p in values or p not in parts_of:
            return values.get(p)
        return _total_value(p, parts_of, values)
    return add_up([value(part) for part in parts_of[pointer]])


def _cover_defaults(fmt: FormatDef, year: int, unit: str | None) -> dict:
    out = {}
    for f in fmt.layout["cover"]["fields"]:
        if f["type"] == "year":
            out[f["key"]] = year
        elif f["type"] == "text" and unit:
            out[f["key"]] = unit
    return out


def _put(cell, value) -> None:
    if isinstance(value, bool):
        raise TemplateError(f"{cell.coordinate}：不能写入布尔值。")
    if isinstance(value, (int, float, Decimal)):
        cell.value = value
    elif isinstance(value, str):
        cell.value = for_cell(value)
        # Raw text stays text even if it looks like a formula ("=1+1").
        cell.data_type = "s"
    else:
        raise TemplateError(f"{cell.coordinate}：不支持的值类型 {type(value).__name__}。")


class FixedTimeZip(ZipFile):
    """A zip whose members carry a fixed date, so that the same workbook gives the same bytes."""

    def __init__(self, *args, cached: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.cached = cached or {}

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        name = zinfo_or_arcname.filename if isinstance(zinfo_or_arcname, ZipInfo) else zinfo_or_arcname
        if self.cached.get(name):
            data = _with_results(data.encode("utf-8") if isinstance(data, str) else data, self.cached[name])
        if not isinstance(zinfo_or_arcname, ZipInfo):
            zinfo_or_arcname = ZipInfo(zinfo_or_arcname, date_time=(1980, 1, 1, 0, 0, 0))
            zinfo_or_arcname.compress_type = self.compression
            zinfo_or_arcname.external_attr = 0o600 << 16
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        # openpyxl streams worksheets through a temporary file; its mtime must not leak in
        with open(filename, "rb") as fh:
            self.writestr(arcname or os.path.basename(filename), fh.read(), compress_type, compresslevel)


def save_workbook(wb: Workbook, path: str | os.PathLike) -> None:
    """Save keeping the fixed timestamps (openpyxl's own save stamps the current time), with the results
    of the total formulas cached as Excel caches them (openpyxl writes formulas without results)."""
    parts = {f"xl/worksheets/sheet{i}.xml": getattr(wb, "gkreport_cached", {}).get(ws.title)
             for i, ws in enumerate(wb.worksheets, start=1)}
    with FixedTimeZip(path, "w", ZIP_DEFLATED, allowZip64=True, cached=parts) as archive:
        ExcelWriter(wb, archive).write_data()


_UNCACHED_FORMULA_RE = re.compile(rb'<c r="([A-Z]+[0-9]+)"([^>]*)>(<f>[^<]*</f>)<v\s*(?:/>|></v>)</c>')


def _with_results(xml: bytes, results: dict[str, object]) -> bytes:
    def put(m: re.Match) -> bytes:
        value = results.get(m.group(1).decode())
        if value is None:
            return m.group(0)
        return b'<c r="%s"%s>%s<v>%s</v></c>' % (m.group(1), m.group(2), m.group(3), str(value).encode())
    return _UNCACHED_FORMULA_RE.sub(put, xml)


def write_template(path: str | os.PathLike, year: int, format_version: str | None = None,
                   unit: str | None = None) -> Path:
    """Resolve the format for `year`, build the workbook and save it atomically at `path`."""
    fmt = resolve_format(year, format_version)
    wb = build_workbook(fmt, year, unit)
    return atomic_write(path, lambda tmp: save_workbook(wb, tmp))

