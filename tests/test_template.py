"""Tests of the standard workbook template (addin/writing/template.py) on real generated files."""
from __future__ import annotations

import datetime
import os
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils.cell import range_boundaries

from addin.formats import available_formats
from addin.textfit import MAX_ROW_HEIGHT, paragraph_height
from addin.writing import template as tpl
from addin.writing.template import TemplateError, build_workbook, plan, resolve_format, write_template
from tests.factory import consistent_values
from tests.helpers import base_texts
from tests.long_text import long_overview
from tests.official_labels import MERGES, OFFICIAL
from tests.office import convert, needs_office, pdf_pages

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "workbook_templates" / "template-2026.xlsx"
YEAR_OF = {"2019": 2020, "2021": 2026}


@pytest.fixture(scope="module")
def formats():
    return available_formats()


@pytest.fixture(scope="module")
def generated(tmp_path_factory, formats):
    """version -> (path, FormatDef, Plan) of a freshly written template."""
    out = {}
    for version, fmt in formats.items():
        path = write_template(tmp_path_factory.mktemp(f"t{version}") / "template.xlsx", YEAR_OF[version])
        out[version] = (path, fmt, plan(fmt, YEAR_OF[version]))
    return out


def clean_values(fmt):
    """A consistent report typed as a clerk types it into the template: totals left to their formulas."""
    return {k: v for k, v in consistent_values(fmt).items() if k not in plan(fmt).totals}


def table_sheet(fmt, table_id):
    return next(t["sheet"] for t in fmt.layout["tables"] if t["id"] == table_id)


def texts_in_order(ws):
    """Printed texts (labels), without the total formulas."""
    return [v for row in ws.iter_rows(values_only=True) for v in row
            if v not in (None, "") and not (isinstance(v, str) and v.startswith("=SUM("))]


def merged(ws):
    """top-left value -> list of (rowspan, colspan) of merged ranges."""
    out = {}
    for rng in ws.merged_cells.ranges:
        out.setdefault(ws.cell(rng.min_row, rng.min_col).value, []).append(
            (rng.max_row - rng.min_row + 1, rng.max_col - rng.min_col + 1))
    return out


def covers(sqref, ref):
    row, col = openpyxl.utils.cell.coordinate_to_tuple(ref)
    for part in str(sqref).split():
        min_col, min_row, max_col, max_row = range_boundaries(part)
        if min_row <= row <= max_row and min_col <= col <= max_col:
            return True
    return False


# --- labels and merges, against the hand-typed official texts -------------------------------


@pytest.mark.parametrize("version", ["2019", "2021"])
@pytest.mark.parametrize("table_id", ["T2", "T3", "T4"])
def test_table_labels_are_official(generated, version, table_id):
    path, fmt, _ = generated[version]
    ws = openpyxl.load_workbook(path)[table_sheet(fmt, table_id)]
    assert texts_in_order(ws) == OFFICIAL[version][table_id]


@pytest.mark.parametrize("version", ["2019", "2021"])
@pytest.mark.parametrize("table_id", ["T3", "T4"])
def test_header_merges_match_spec(generated, version, table_id):
    path, fmt, _ = generated[version]
    ws = openpyxl.load_workbook(path)[table_sheet(fmt, table_id)]
    spans = merged(ws)
    for text, rowspan, colspan in MERGES[version][table_id]:
        assert (rowspan, colspan) in spans.get(text, []), (text, spans.get(text))


def test_cover_sections_and_title(generated):
    path, fmt, _ = generated["2021"]
    wb = openpyxl.load_workbook(path)
    ws = wb[fmt.layout["cover"]["sheet"]]
    texts = texts_in_order(ws)
    assert texts[0] == "2026年政府信息公开工作年度报告"
    assert any("格式版本" in str(t) and "国办公开办函〔2021〕30号" in str(t) for t in texts)
    assert 2026 in texts  # 报告年度 pre-filled
    headings = [t for name in wb.sheetnames for t in texts_in_order(wb[name]) if isinstance(t, str)]
    for heading in ("一、总体情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项"):
        assert heading in headings


@pytest.mark.parametrize("version", ["2019", "2021"])
def test_printed_in_the_official_order(generated, version):
    """Sheets print 封面, 一 (text), 二, 三, 四 (tables), 五, 六 (text): the order of the published report."""
    path, fmt, p = generated[version]
    wb = openpyxl.load_workbook(path)
    headings = {(lab.sheet, lab.ref): lab.text for lab in p.labels if lab.role in ("heading", "section_heading")}
    printed = [ws[ref].value for ws in wb.worksheets for (sheet, ref) in sorted(headings, key=lambda k: int(k[1][1:]))
               if sheet == ws.title]
    assert [h[0] for h in printed] == list("一二三四五六")
    assert wb.sheetnames[0] == fmt.layout["cover"]["sheet"]


def test_optional_cover_fields_are_there_but_never_required(tmp_path, generated):
    path, fmt, p = generated["2021"]
    wb = openpyxl.load_workbook(path)
    labels = [f["label"] for f in fmt.layout["cover"]["optional_fields"]]
    assert labels == ["填报人", "联系电话", "审核人", "报送日期"]
    for f in fmt.layout["cover"]["optional_fields"]:
        sheet, ref = p.address(("cover", f["key"]))
        assert wb[sheet][ref].protection.locked is False
        row, col = openpyxl.utils.cell.coordinate_to_tuple(ref)
        assert wb[sheet].cell(row, col - 1).value == f["label"]
    # a report that leaves them blank has no finding about them
    from addin.pipeline import check_file

    filled = tmp_path / "filled.xlsx"
    tpl.save_workbook(build_workbook(fmt, 2026, "某某市某某局", clean_values(fmt), base_texts("2021", 2026)), filled)
    result = check_file(filled)
    assert result.counts["error"] == 0
    assert not [f for f in result.findings if f.cell in {p.address(("cover", k["key"]))[1]
                                                          for k in fmt.layout["cover"]["optional_fields"]}
                and f.sheet == fmt.layout["cover"]["sheet"]]


def test_narrative_one_paragraph_per_row(tmp_path, formats):
    """A long text goes in one unmerged row per paragraph (rows Excel and LibreOffice can fit and print
    whole) and is read back exactly."""
    from addin.pipeline import check_file

    fmt = formats["2021"]
    texts = base_texts("2021", 2026)
    texts["一"] = long_overview(2026) + "\n" + texts["一"]
    wb = build_workbook(fmt, 2026, "某某市某某局", clean_values(fmt), texts)
    path = tmp_path / "long.xlsx"
    tpl.save_workbook(wb, path)
    back = openpyxl.load_workbook(path)
    p = plan(fmt, 2026, texts=texts)
    lines = texts["一"].split("\n")
    for i, line in enumerate(lines):
        sheet, ref = p.address(("text", "一") if i == 0 else ("text", "一", i))
        cell = back[sheet][ref]
        assert cell.value == line and cell.alignment.wrap_text
        assert not any(ref in rng for rng in back[sheet].merged_cells.ranges)
        row = openpyxl.utils.cell.coordinate_to_tuple(ref)[0]
        assert paragraph_height(line) <= back[sheet].row_dimensions[row].height <= MAX_ROW_HEIGHT
    result = check_file(path)
    assert result.document["text"] == {k: texts[k] for k in ("一", "五", "六")}
    assert result.counts["error"] == 0


def test_wide_value_cells_span_like_their_header(generated):
    _, fmt, p = generated["2021"]
    # F2021 表二 A5: 本年处理决定数量 spans the three value columns, so does its value cell.
    cell = p.inputs["/T2/A5/行政许可/本年处理决定数量"]
    assert cell.colspan == 3 and cell.col == 2
    path = generated["2021"][0]
    ws = openpyxl.load_workbook(path)[cell.sheet]
    assert cell.range in {str(r) for r in ws.merged_cells.ranges}


def test_duplicate_leaf_labels_are_matched_in_order(formats):
    block = formats["2021"].block("T4")
    pos = tpl.column_positions(block)
    assert [pos[f"D{i}"][0] for i in range(1, 16)] == list(range(15))


# --- input cells, protection, validation ----------------------------------------------------


@pytest.mark.parametrize("version", ["2019", "2021"])
def test_every_pointer_has_one_unlocked_validated_cell(generated, version):
    path, fmt, p = generated[version]
    wb = openpyxl.load_workbook(path)
    refs = {}
    for dc in fmt.cells:
        sheet, ref = p.address(dc.pointer)
        assert (sheet, ref) not in refs.values(), dc.pointer
        refs[dc.pointer] = (sheet, ref)
        ws = wb[sheet]
        if dc.pointer in p.totals:
            continue   # a locked formula (test_totals_are_locked_sum_formulas)
        assert ws[ref].protection.locked is False
        dvs = [dv for dv in ws.data_validations.dataValidation if covers(dv.sqref, ref)]
        assert len(dvs) == 1, dc.pointer
        dv = dvs[0]
        expected = {"count": ("whole", "greaterThanOrEqual", "0"), "signed": ("whole", "between", None),
                    "money": ("decimal", "greaterThanOrEqual", "0")}[dc.type]
        assert dv.type == expected[0] and dv.operator == expected[1], dc.pointer
        if expected[2] is not None:
            assert dv.formula1 == expected[2]
        else:
            assert int(dv.formula1) < 0 < int(dv.formula2)
        assert dv.error and dv.prompt
    assert len(refs) == len(fmt.cells)
    # No unlocked cell other than the planned input cells.
    planned = {(c.sheet, c.ref) for k, c in p.inputs.items() if k not in p.totals}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if not isinstance(cell, openpyxl.cell.cell.MergedCell) and cell.protection.locked is False:
                    assert (ws.title, cell.coordinate) in planned, (ws.title, cell.coordinate)


def test_labels_locked_and_sheets_protected(generated):
    path, _, p = generated["2021"]
    wb = openpyxl.load_workbook(path)
    for lab in p.labels:
        assert wb[lab.sheet][lab.ref].protection.locked is True
    for ws in wb.worksheets:
        assert ws.protection.sheet is True
        assert not ws.protection.password


def test_cover_fields(generated):
    path, fmt, p = generated["2021"]
    wb = openpyxl.load_workbook(path)
    sheet, ref = p.address(("cover", "报告年度"))
    ws = wb[sheet]
    assert ws[ref].value == 2026 and ws[ref].protection.locked is False
    dv = [d for d in ws.data_validations.dataValidation if covers(d.sqref, ref)]
    assert len(dv) == 1 and dv[0].type == "whole" and (dv[0].formula1, dv[0].formula2) == ("2019", "2100")
    sheet, ref = p.address(("cover", "单位名称"))
    assert wb[sheet][ref].value is None and wb[sheet][ref].protection.locked is False
    for section in fmt.layout["cover"]["sections"]:
        sheet, ref = p.address(("text", section["key"]))
        cell = wb[sheet][ref]
        assert cell.protection.locked is False and cell.alignment.wrap_text
        # The text box sits directly below its heading.
        row, col = openpyxl.utils.cell.coordinate_to_tuple(ref)
        assert wb[sheet].cell(row - 1, col).value == section["heading"]


# --- document properties and printing -------------------------------------------------------


def test_properties_and_page_setup(generated):
    for version, (path, fmt, p) in generated.items():
        wb = openpyxl.load_workbook(path)
        props = {prop.name: prop.value for prop in wb.custom_doc_props.props}
        assert props["gkreport.format_version"] == version
        assert props["gkreport.report_year"] == str(YEAR_OF[version])
        assert wb.properties.title == f"{YEAR_OF[version]}年政府信息公开工作年度报告"
        assert wb.properties.created == wb.properties.modified == datetime.datetime(2000, 1, 1)
        sections = list(dict.fromkeys(s["sheet"] for s in fmt.layout["cover"]["sections"]))
        assert wb.sheetnames == ([fmt.layout["cover"]["sheet"], sections[0]] + [t["sheet"] for t in fmt.layout["tables"]]
                                 + sections[1:])
        widths = {fmt.layout["cover"]["sheet"]: 4} | {t["sheet"]: t["width"] for t in fmt.layout["tables"]}
        widths |= {s: 1 for s in sections}
        for ws in wb.worksheets:
            assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4) == 9
            assert ws.page_setup.orientation == ("landscape" if widths[ws.title] > 5 else "portrait")
            assert int(ws.page_setup.fitToWidth) == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
            assert ws.print_area


def test_unit_goes_into_title_and_field(tmp_path):
    path = write_template(tmp_path / "u.xlsx", 2026, unit="某某市某某局")
    wb = openpyxl.load_workbook(path)
    assert wb.properties.title == "某某市某某局2026年政府信息公开工作年度报告"
    fmt = resolve_format(2026)
    sheet, ref = plan(fmt, 2026).address(("cover", "单位名称"))
    assert wb[sheet][ref].value == "某某市某某局"


# --- format choice --------------------------------------------------------------------------


@pytest.mark.parametrize("year,version", [(2019, "2019"), (2020, "2019"), (2021, "2021"), (2025, "2021"),
                                          (2026, "2021")])
def test_resolve_format_by_year(year, version):
    assert resolve_format(year).version == version
    assert resolve_format(year, version).version == version


def test_resolve_format_refuses_mismatch():
    with pytest.raises(TemplateError) as err:
        resolve_format(2025, "2019")
    assert str(err.value) == "2025年度报告应使用2021版格式（国办公开办函〔2021〕30号），不能使用2019版格式。"
    with pytest.raises(TemplateError, match="2020年度报告应使用2019版格式"):
        resolve_format(2020, "2021")
    with pytest.raises(TemplateError, match="未知的格式版本"):
        resolve_format(2026, "2030")
    with pytest.raises(TemplateError, match="2018年度没有适用"):
        resolve_format(2018)
    with pytest.raises(TemplateError, match="整数"):
        resolve_format("2026")


def test_write_template_refuses_without_leaving_files(tmp_path):
    with pytest.raises(TemplateError):
        write_template(tmp_path / "x.xlsx", 2025, "2019")
    assert list(tmp_path.iterdir()) == []
    path = write_template(tmp_path / "ok.xlsx", 2026)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.xlsx"]
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0600


# --- pre-filled workbooks -------------------------------------------------------------------


@pytest.mark.parametrize("version", ["2019", "2021"])
def test_values_round_trip(tmp_path, formats, version):
    fmt = formats[version]
    values = {}
    for i, dc in enumerate(fmt.cells):
        values[dc.pointer] = {"count": i, "signed": -i, "money": Decimal("12.5")}[dc.type]
    raw = ["\u3000\u3000", "0\u00a0", "=1+1", "-", "12 "]
    for pointer, text in zip([c.pointer for c in fmt.cells[::7]], raw):
        values[pointer] = text
    texts = {s["key"]: f"第{s['key']}部分正文\n第二行" for s in fmt.layout["cover"]["sections"]}
    wb = build_workbook(fmt, YEAR_OF[version], values=values, texts=texts)
    path = tmp_path / "filled.xlsx"
    tpl.save_workbook(wb, path)
    back = openpyxl.load_workbook(path)
    p = plan(fmt, YEAR_OF[version])
    for pointer, value in values.items():   # a total given a value holds the value, not its formula
        sheet, ref = p.address(pointer)
        got = back[sheet][ref].value
        if isinstance(value, Decimal):
            assert Decimal(str(got)) == value
        else:
            assert got == value, pointer
        if isinstance(value, str):
            assert back[sheet][ref].data_type == "s"
    for key, text in texts.items():
        sheet, ref = p.address(("text", key))
        assert back[sheet][ref].value == text.split("\n")[0]
        sheet, ref = p.address(("text", key, 1))
        assert back[sheet][ref].value == "第二行"


def test_unknown_value_keys_are_refused(formats):
    with pytest.raises(TemplateError):
        build_workbook(formats["2021"], 2026, values={"/T2/A9/政府集中采购/采购项目数量": 1})
    with pytest.raises(TemplateError):
        build_workbook(formats["2021"], 2026, texts={"二": "x"})


# --- committed template and determinism -----------------------------------------------------


def snapshot(path):
    """Everything a user or reader can see, independent of zip timestamps."""
    wb = openpyxl.load_workbook(path)
    out = {"sheets": wb.sheetnames, "title": wb.properties.title,
           "custom": sorted((p.name, p.value) for p in wb.custom_doc_props.props)}
    for ws in wb.worksheets:
        out[ws.title] = {
            "values": {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None},
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "validations": sorted((str(d.sqref), d.type, d.operator, d.formula1, d.formula2, d.error, d.prompt)
                                  for d in ws.data_validations.dataValidation),
            "unlocked": sorted(c.coordinate for row in ws.iter_rows() for c in row
                               if not isinstance(c, openpyxl.cell.cell.MergedCell) and c.protection.locked is False),
            "print": (ws.page_setup.orientation, ws.print_area, ws.print_title_rows),
        }
    return out


def test_committed_template_is_up_to_date(tmp_path):
    fresh = write_template(tmp_path / "template-2026.xlsx", 2026)
    assert COMMITTED.is_file(), "workbook_templates/template-2026.xlsx is missing"
    assert snapshot(fresh) == snapshot(COMMITTED), \
        "regenerate: gkreport template --year 2026 -o workbook_templates/template-2026.xlsx"


def test_regeneration_is_deterministic(tmp_path):
    a = write_template(tmp_path / "a.xlsx", 2026)
    b = write_template(tmp_path / "b.xlsx", 2026)
    assert snapshot(a) == snapshot(b)
    assert a.read_bytes() == b.read_bytes()


# --- printing through LibreOffice -----------------------------------------------------------


@needs_office
@pytest.mark.parametrize("version", ["2019", "2021"])
def test_libreoffice_prints_sane_page_count(tmp_path, generated, version):
    pdf = convert(generated[version][0], "pdf", tmp_path)
    assert 4 <= pdf_pages(pdf) <= 12


def test_colliding_layout_is_refused(formats):
    import copy

    fmt = copy.copy(formats["2021"])
    fmt.layout = copy.deepcopy(fmt.layout)
    # A row label widened over the data columns would sit on top of the row's value cells.
    block = fmt.layout["tables"][0]["blocks"][0]
    block["rows"][0]["cells"][0]["colspan"] = 2
    with pytest.raises(TemplateError, match="同时属于"):
        plan(fmt)


# --- totals ---------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["2019", "2021"])
def test_totals_are_locked_sum_formulas(generated, version):
    """表三's 总计 column and （七）总计 row and 表四's 总计 cells: locked SUM formulas over exactly the
    cells the format's sum rules total, with their results cached."""
    path, fmt, p = generated[version]
    wb = openpyxl.load_workbook(path)
    t3 = fmt.block("T3")["pointer"]
    expected = {t3.format(row=r, column="C7") for r in fmt.rows_of("T3")}
    expected |= {t3.format(row="r_total", column=c) for c in fmt.columns_of("T3")}
    expected |= {fmt.block("T4")["pointer"].format(row="", column=c) for c in fmt.columns_of("T4")
                 if c in ("D5", "D10", "D15")}
    assert set(p.totals) == expected
    for pointer, parts in p.totals.items():
        sheet, ref = p.address(pointer)
        cell = wb[sheet][ref]
        assert cell.protection.locked is True and cell.fill.fgColor.rgb.endswith(tpl.TOTAL_COLOUR)
        refs = {p.address(part)[1] for part in parts}
        formula = cell.value
        assert formula.startswith("=SUM(") and formula.endswith(")")
        covered = set()
        for rng in formula[5:-1].split(","):
            min_col, min_row, max_col, max_row = range_boundaries(rng)
            covered |= {openpyxl.utils.get_column_letter(c) + str(r)
                        for r in range(min_row, max_row + 1) for c in range(min_col, max_col + 1)}
        assert covered == refs, pointer


@needs_office
def test_cached_totals_equal_libreoffice_recalculation(tmp_path, formats):
    """The results written with the formulas are what LibreOffice computes (it recalculates on load)."""
    import python_calamine

    fmt = formats["2021"]
    values = clean_values(fmt)
    values["/T3/r_open/C2"] = "—"   # text in a summed cell counts for nothing, as in SUM
    src = tmp_path / "filled.xlsx"
    tpl.save_workbook(build_workbook(fmt, 2026, "某某市某某局", values, base_texts("2021", 2026)), src)
    again = convert(src, "xlsx", tmp_path / "lo")
    p = plan(fmt)

    def totals_of(path):
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        out = {}
        for pointer in p.totals:
            sheet, ref = p.address(pointer)
            row, col = openpyxl.utils.cell.coordinate_to_tuple(ref)
            out[pointer] = book.get_sheet_by_name(sheet).to_python()[row - 1][col - 1]
        return out
    ours, theirs = totals_of(src), totals_of(again)
    assert ours == theirs
    assert ours["/T3/r_total/C7"] == sum(v for k, v in consistent_values(fmt).items()
                                         if k.endswith("/C7") and "/r_total/" in k) - consistent_values(fmt)["/T3/r_open/C2"]


def test_fills_are_visibly_different():
    """Input, total and the marks' error, warning and info fills are far apart in CIELAB (ΔE*76 > 20;
    the old input FFF2CC and warning FFE699 were 21 apart and hard to tell in print)."""
    import itertools
    import math

    from addin.reporters.annotate import SEVERITY_FILL

    def lab(hex_rgb):
        def linear(c):
            return ((c + 0.055) / 1.055) ** 2.4 if c > 0.04045 else c / 12.92
        r, g, b = (linear(int(hex_rgb[i:i + 2], 16) / 255) for i in (0, 2, 4))
        xyz = ((r * 0.4124 + g * 0.3576 + b * 0.1805) / 0.95047, r * 0.2126 + g * 0.7152 + b * 0.0722,
               (r * 0.0193 + g * 0.1192 + b * 0.9505) / 1.08883)
        f = [v ** (1 / 3) if v > 0.008856 else 7.787 * v + 16 / 116 for v in xyz]
        return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])
    fills = {"input": tpl.INPUT_COLOUR, **SEVERITY_FILL}
    for (a, x), (b, y) in itertools.combinations(fills.items(), 2):
        assert math.dist(lab(x), lab(y)) > 24, (a, b)
    assert math.dist(lab(tpl.INPUT_COLOUR), lab(tpl.TOTAL_COLOUR)) > 10
