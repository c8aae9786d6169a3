"""Marked-up copies: input untouched, one note per cell, results sheet with links, no stacking on re-runs."""
from __future__ import annotations

import os
from copy import copy as plain
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest
from openpyxl.comments import Comment

from addin.catalogue import CATALOGUE
from addin.formats import available_formats
from addin.pipeline import check_file
from addin.reporters import annotate as ann
from addin.reporters import content
from addin.writing.template import build_workbook, save_workbook
from tests.helpers import base_data
from tests.office import convert, needs_office, pdf_pages

ROOT = Path(__file__).resolve().parents[1]
FMT = available_formats()["2019"]
SEVERITY_RGB = {"00" + v for v in content.SEVERITY_FILL.values()}


TEXTS = base_data("2019")["texts"]


def zeros() -> dict:
    return {c.pointer: 0 for c in FMT.cells}


def cell_of(pointer: str) -> tuple[str, str]:
    from addin.writing.template import plan

    return plan(FMT, 2020, "测试单位").address(pointer)


def make_book(path: Path, values: dict, notes: dict | None = None) -> Path:
    wb = build_workbook(FMT, 2020, "测试单位", values=values, texts=TEXTS)
    for (sheet, ref), text in (notes or {}).items():
        wb[sheet][ref].comment = Comment(text, "张三")
    save_workbook(wb, path)
    return path


def multi_error_values() -> dict:
    values = zeros()
    values["/T3/new/C7"] = "5\u00a0"                 # total column breaks its row sum, and carries a no-break space
    values["/T2/A1/规章/本年新制作数量"] = "\u3000"      # blank (full-width space)
    values["/T2/A1/规章/本年新公开数量"] = 3            # more published than exist in total: warnings
    return values


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "addin", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def annotated(src: Path, out_dir: Path) -> Path:
    out_dir.mkdir(exist_ok=True)
    outcome = ann.annotate(check_file(src), src, out_dir)
    assert not outcome.separate
    return outcome.path


def sheet_marks(path: Path) -> dict:
    """(sheet, cell) -> (fill rgb, note text, note author) of every cell gkreport could have marked."""
    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        if ws.title in (content.RESULTS_SHEET, content.STATE_SHEET):
            continue
        for row in ws.iter_rows():
            for c in row:
                rgb = c.fill.fgColor.rgb if c.fill and c.fill.fill_type == "solid" else None
                if c.comment is not None or rgb in SEVERITY_RGB:
                    out[(ws.title, c.coordinate)] = (rgb, c.comment.text if c.comment else None,
                                                     c.comment.author if c.comment else None)
    return out


@pytest.fixture
def multi(tmp_path) -> Path:
    return make_book(tmp_path / "multi.xlsx", multi_error_values(),
                     notes={("封面", "A1"): "用户自己的批注", (cell_of("/T2/A1/规章/本年新制作数量")): "请王科长核实"})


def test_cli_copy_leaves_input_unchanged_and_lists_each_finding_once_with_link(multi, tmp_path):
    before = multi.read_bytes()
    proc = run_cli("check", str(multi), "--annotate", "--out-dir", str(tmp_path / "out"))
    assert proc.returncode == 1, proc.stderr
    assert multi.read_bytes() == before
    copy = tmp_path / "out" / "multi.校验.xlsx"
    assert copy.exists() and "已生成标注副本" in proc.stdout

    result = check_file(multi)
    assert result.counts["error"] >= 2 and result.counts["warning"] >= 1 and result.counts["info"] >= 1
    wb = openpyxl.load_workbook(copy)
    assert wb.sheetnames[0] == content.RESULTS_SHEET
    ws = wb[content.RESULTS_SHEET]
    rows = list(ws.iter_rows())
    for f in result.findings:
        hits = [r for r in rows if r[1].value == f.code and r[2].value == f.sheet and r[3].value == f.cell]
        assert len(hits) == 1, f
        link = hits[0][3].hyperlink
        assert link is not None and link.location == f"'{f.sheet}'!{f.cell}"
        assert wb[f.sheet][f.cell] is not None
    # Findings in the order of the workbook (sheet, then row); legend rows come from the catalogue.
    places = [(r[2].value, r[3].value) for r in rows[content.results_sheet(result).header_row + 1:][:len(result.findings)]]
    assert places == [(f.sheet, f.cell) for f in content.ordered(result)]
    sheets = [s for s, _ in places]
    assert sheets == sorted(sheets, key=wb.sheetnames.index)
    legend = {r[0].value: r[2].value for r in rows if r[0].value in CATALOGUE}
    assert legend == {f.code: CATALOGUE[f.code].title for f in result.findings}
    assert ws.freeze_panes == f"A{content.results_sheet(result).header_row + 2}"
    assert ws["A4"].value == "结论" and ws["B4"].value == "未通过"


def test_cell_with_two_findings_has_one_note_naming_both(multi, tmp_path):
    result = check_file(multi)
    by_cell = {}
    for f in result.findings:
        by_cell.setdefault((f.sheet, f.cell), []).append(f)
    double = [k for k, v in by_cell.items() if k[1] and len({f.code for f in v}) >= 2]
    assert double, "the case must have a cell with two findings"
    marks = sheet_marks(annotated(multi, tmp_path / "out"))
    for key, items in by_cell.items():
        if not key[1]:
            continue
        rgb, note, author = marks[key]
        assert all(f.code in note for f in items)
        worst = min(items, key=lambda f: ["error", "warning", "info"].index(f.severity)).severity
        assert rgb == "00" + content.SEVERITY_FILL[worst]
        assert note.count("gkreport 校验") == 1
    for key in double:
        assert marks[key][2] == content.NOTE_AUTHOR


def test_reannotating_replaces_marks_and_keeps_user_notes(multi, tmp_path):
    first = annotated(multi, tmp_path / "a")
    second = annotated(first, tmp_path / "b")
    assert sheet_marks(first) == sheet_marks(second)
    wb = openpyxl.load_workbook(second)
    assert wb.sheetnames.count(content.RESULTS_SHEET) == 1 and wb.sheetnames[0] == content.RESULTS_SHEET
    assert wb[content.STATE_SHEET].sheet_state == "veryHidden"
    # A user's note on an unmarked cell is untouched; on a marked cell it comes first, ours once.
    assert (wb["封面"]["A1"].comment.text, wb["封面"]["A1"].comment.author) == ("用户自己的批注", "张三")
    sheet, ref = cell_of("/T2/A1/规章/本年新制作数量")
    text = wb[sheet][ref].comment.text
    assert text.startswith("请王科长核实") and text.count("gkreport 校验") == 1

    # Undoing our marks gives back the input's fills and notes exactly.
    ann.clear_marks(wb)
    original = openpyxl.load_workbook(multi)
    assert wb.sheetnames == original.sheetnames
    for ws in original.worksheets:
        for row in ws.iter_rows():
            for c in row:
                other = wb[ws.title][c.coordinate]
                assert plain(other.fill) == plain(c.fill), (ws.title, c.coordinate)
                assert (other.comment.text if other.comment else None) == (c.comment.text if c.comment else None)


def test_clean_workbook_copy_has_no_marks_and_passes(tmp_path):
    src = make_book(tmp_path / "clean.xlsx", zeros())
    copy = annotated(src, tmp_path / "out")
    assert sheet_marks(copy) == {}
    ws = openpyxl.load_workbook(copy)[content.RESULTS_SHEET]
    assert (ws["A4"].value, ws["B4"].value) == ("结论", "通过")
    assert ws["B3"].value == "错误 0 个，警告 0 个，提示 0 个"   # counts as one readable line


def test_copy_keeps_layout_styles_and_settings(multi, tmp_path):
    copy = annotated(multi, tmp_path / "out")
    a, b = openpyxl.load_workbook(multi), openpyxl.load_workbook(copy)
    marked = set(sheet_marks(copy))
    for ws in a.worksheets:
        wc = b[ws.title]
        assert sorted(map(str, ws.merged_cells.ranges)) == sorted(map(str, wc.merged_cells.ranges))
        assert {k: d.width for k, d in ws.column_dimensions.items()} == {k: d.width for k, d in wc.column_dimensions.items()}
        assert [str(d.sqref) for d in ws.data_validations.dataValidation] == [str(d.sqref) for d in wc.data_validations.dataValidation]
        assert (ws.page_setup.orientation, ws.print_title_rows, ws.print_area) == (wc.page_setup.orientation, wc.print_title_rows, wc.print_area)
        assert ws.protection.sheet == wc.protection.sheet
        for row in ws.iter_rows():
            for c in row:
                d = wc[c.coordinate]
                assert d.value == c.value and plain(d.font) == plain(c.font) and plain(d.border) == plain(c.border)
                if (ws.title, c.coordinate) not in marked:
                    assert plain(d.fill) == plain(c.fill)
    # The copy reads back to the same findings and data.
    r1, r2 = check_file(multi), check_file(copy)
    assert [(f.sheet, f.cell, f.code) for f in r1.findings] == [(f.sheet, f.cell, f.code) for f in r2.findings]
    assert r1.document == r2.document


def _png(width=4, height=4) -> bytes:
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_image_workbook_gets_separate_results_workbook(tmp_path):
    pytest.importorskip("PIL")
    from openpyxl.drawing.image import Image

    (tmp_path / "logo.png").write_bytes(_png())
    wb = build_workbook(FMT, 2020, "测试单位", values=multi_error_values(), texts=TEXTS)
    wb["封面"].add_image(Image(str(tmp_path / "logo.png")), "F2")
    src = tmp_path / "pic.xlsx"
    wb.save(src)
    assert any(n.startswith("xl/media/") for n in zipfile.ZipFile(src).namelist())
    before = src.read_bytes()

    proc = run_cli("check", str(src), "--annotate")
    assert src.read_bytes() == before
    assert not (tmp_path / "pic.校验.xlsx").exists()
    out = tmp_path / "pic.校验结果.xlsx"
    assert out.exists()
    assert "未生成标注副本" in proc.stdout and "图片" in proc.stdout
    res = openpyxl.load_workbook(out)
    assert res.sheetnames == [content.RESULTS_SHEET]
    result = check_file(src)
    ws = res[content.RESULTS_SHEET]
    linked = {(r[2].value, r[3].value): r[3].hyperlink for r in ws.iter_rows() if r[1].value in CATALOGUE and r[3].value}
    for f in result.findings:
        if f.cell:
            link = linked[(f.sheet, f.cell)]
            assert link.target == "pic.xlsx" and link.location == f"'{f.sheet}'!{f.cell}"


def test_macro_workbook_is_not_copied(tmp_path):
    src = make_book(tmp_path / "m.xlsm", zeros())
    with zipfile.ZipFile(src, "a") as z:
        z.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0" + b"\0" * 508)
    outcome = ann.annotate(check_file(src), src)
    assert outcome.separate and "宏（VBA 项目）" in outcome.reasons
    assert outcome.path.name == "m.校验结果.xlsx"


def test_failed_write_leaves_no_output(multi, tmp_path, monkeypatch):
    from openpyxl.writer import excel

    def broken(self):
        self._archive.writestr("partial", b"x" * 1000)
        raise OSError(28, "No space left on device")

    out = tmp_path / "out"
    out.mkdir()
    result = check_file(multi)
    monkeypatch.setattr(excel.ExcelWriter, "write_data", broken)
    with pytest.raises(OSError):
        ann.annotate(result, multi, out)
    assert os.listdir(out) == []


def test_output_never_overwrites_input(tmp_path):
    src = make_book(tmp_path / "x.校验.xlsx", zeros())
    # x.校验.xlsx annotated into its own folder is x.校验.校验.xlsx, never itself.
    outcome = ann.annotate(check_file(src), src)
    assert outcome.path.name == "x.校验.校验.xlsx"


def test_cli_json_output_stays_clean_and_out_dir_needs_annotate(tmp_path):
    src = make_book(tmp_path / "clean.xlsx", zeros())
    proc = run_cli("check", str(src), "--annotate", "--json", "--out-dir", str(tmp_path / "o"))
    assert proc.returncode == 0, proc.stderr
    assert __import__("json").loads(proc.stdout)
    assert "已生成标注副本" in proc.stderr and (tmp_path / "o" / "clean.校验.xlsx").exists()
    assert run_cli("check", str(src), "--out-dir", str(tmp_path / "o")).returncode == 2


def test_unreadable_file_gets_no_copy(tmp_path):
    src = tmp_path / "bad.xlsx"
    src.write_bytes(b"not a workbook")
    proc = run_cli("check", str(src), "--annotate")
    assert proc.returncode == 1 and "未生成标注副本" in proc.stdout
    assert sorted(os.listdir(tmp_path)) == ["bad.xlsx"]


@needs_office
def test_copy_opens_in_libreoffice(multi, tmp_path):
    copy = annotated(multi, tmp_path / "out")
    pdf = convert(copy, "pdf", tmp_path / "pdf")
    # Results sheet (at least one page) plus the four report sheets.
    assert 5 <= pdf_pages(pdf) <= 20


@needs_office
def test_copy_keeps_the_results_of_formulas(tmp_path):
    # a report whose totals are formulas, saved by a spreadsheet application (LibreOffice) with their
    # results: the marked-up copy keeps those results, so checking the copy finds what the input had
    wb = build_workbook(FMT, 2020, "测试单位", values=multi_error_values(), texts=TEXTS)
    ws = wb["表三 依申请公开"]
    totals = next(row for row in ws.iter_rows() if any(c.value == "（七）总计" for c in row))
    first = next(c for c in totals if isinstance(c.value, int))
    last = [c for c in totals if isinstance(c.value, int)][-2]
    first_col, last_col = first.column_letter, last.column_letter
    formula_cell = [c for c in totals if isinstance(c.value, int)][-1]
    formula_cell.value = f"=SUM({first_col}{first.row}:{last_col}{last.row})"
    src = tmp_path / "with_formulas.xlsx"
    save_workbook(wb, src)
    saved = convert(src, "xlsx", tmp_path / "lo")   # LibreOffice recalculates and stores the results
    original = check_file(saved)
    assert not [f for f in original.findings if f.code == "FML-01"]
    copy = annotated(saved, tmp_path / "out")
    again = check_file(copy)
    assert not [f for f in again.findings if f.code == "FML-01"]
    assert {(f.sheet, f.cell, f.code) for f in again.findings} == {(f.sheet, f.cell, f.code) for f in original.findings}
    with zipfile.ZipFile(copy) as z:
        assert any(b"<f>" in z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))   # still a formula


def test_results_sheet_says_what_held_and_what_was_not_checked():
    seed = Path(__file__).resolve().parent.parent / "examples" / "seed-2020.xlsx"
    sheet = content.results_sheet(check_file(seed))
    named, label = {}, None
    for r in sheet.rows[:sheet.header_row]:
        label = r[0] if r and r[0] else label
        if len(r) > 4 and r[1] in CATALOGUE:
            named.setdefault(label, []).append((r[1], r[4]))
    # the rules by code and by name, one per row
    assert [c for c, _ in named["核对无误"]] == ["T3-01", "T3-02", "T3-03", "T4-01", "T4-02", "T4-03"]
    assert [c for c, _ in named["未能核对"]] == ["T2-04", "T2-05", "T2-06"]
    assert [c for c, _ in named["未核对"]] == ["XY-01", "XY-03", "XY-04", "XY-06", "XY-07"]
    assert all(name == CATALOGUE[code].title for rows in named.values() for code, name in rows)
