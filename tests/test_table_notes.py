"""The short text printed with each table (表下说明): read into the data document, submitted, verified and published."""
from __future__ import annotations

import json
import subprocess
import tempfile
import zipfile
from pathlib import Path

import openpyxl
import pytest

from addin.formats import available_formats
from addin.pipeline import check_file
from addin.reading.documents import read_text_export
from addin.reading.model import parse_a1
from addin.reading.pdf import read_pdf
from addin.server.paper import sheets as paper_sheets
from addin.totals import totals
from addin.validation import schema_check
from addin.writing.docx_report import write_docx
from addin.writing.submission import verify, write_submission
from addin.textfit import MAX_ROW_HEIGHT
from addin.writing.template import NOTE_ROW_HEIGHT, build_workbook, plan, save_workbook
from tests.factory import consistent_values
from tests.helpers import base_texts
from tests.hostile import _part, _text_cell
from tests.office import convert, needs_office
from tests.published import render
from tests.test_docx_report import appears, words

SEED = Path(__file__).resolve().parent.parent / "examples" / "seed-2020.txt"   # the seed report verbatim
UNIT = "某某市某某区某某街道办事处"
YEAR_OF = {"2019": 2020, "2021": 2026}
T3_NOTE = "本年度收到的申请均已按期答复。\n注：本表不含咨询类来电。"
T4_NOTE = "本表数据统计截至{year}年12月31日。"


def _workbook(tmp: Path, version: str) -> tuple[Path, object]:
    """A filled template (totals left to their formulas), saved by gkreport: (path, plan)."""
    fmt, year = available_formats()[version], YEAR_OF[version]
    values = {k: v for k, v in consistent_values(fmt).items() if k not in totals(fmt)}
    path = tmp / f"filled-{version}.xlsx"
    save_workbook(build_workbook(fmt, year, UNIT, values, base_texts(version, year)), path)
    return path, plan(fmt, year, UNIT)


@pytest.fixture(scope="module", params=["2019", "2021"])
def filled(request, tmp_path_factory):
    """A clerk's workbook: 表三's note typed into its box (two lines), 表四's into the row just below the
    table instead of the box, 表二's box left blank (saved by openpyxl, as a program would)."""
    version = request.param
    tmp = tmp_path_factory.mktemp(f"notes{version}")
    path, p = _workbook(tmp, version)
    wb = openpyxl.load_workbook(path)
    sheet, ref = p.address(("note", "T3"))
    wb[sheet][ref] = T3_NOTE
    sheet4, box4 = p.address(("note", "T4"))
    below = f"B{parse_a1(box4)[0]}"      # the row between the table and the box, in another column
    wb[sheet4][below] = T4_NOTE.format(year=YEAR_OF[version])
    out = tmp / "clerk.xlsx"
    wb.save(out)
    return version, tmp, out, p, {"T3": (sheet, ref), "T4": (sheet4, below)}


def test_a_workbook_note_is_read_with_where_it_was_typed(filled):
    version, _tmp, path, _p, where = filled
    result = check_file(path)
    assert result.counts["error"] == 0, [f.message for f in result.findings if f.severity == "error"]
    assert result.document["notes"] == {"T3": T3_NOTE, "T4": T4_NOTE.format(year=YEAR_OF[version])}
    for table_id, (sheet, ref) in where.items():
        origin = result.origins["/notes/" + table_id]
        assert (origin.sheet, origin.cell) == (sheet, ref)
    # the document with its notes passes the report schema (not only the quick precheck)
    fmt = available_formats()[version]
    assert not list(schema_check.validator(fmt).iter_errors(json.loads(json.dumps(result.document, default=int))))


def test_blank_boxes_leave_the_document_as_before(tmp_path):
    path, _p = _workbook(tmp_path, "2021")
    assert "notes" not in check_file(path).document


def test_submission_keeps_the_notes_and_verify_names_a_changed_note(filled):
    version, tmp, path, p, _where = filled
    result = check_file(path)
    sub = write_submission(result, tmp / "报送.xlsx", tmp / "报送.json")
    assert sub.document["notes"]["T3"] == T3_NOTE
    assert json.loads(sub.json_path.read_text(encoding="utf-8"))["notes"] == sub.document["notes"]
    assert verify(sub.path).ok
    # the submission prints each note in the box under its table, and reads back the same
    again = check_file(sub.path)
    assert again.document["notes"] == result.document["notes"]
    sheet, box = p.address(("note", "T4"))
    assert openpyxl.load_workbook(sub.path)[sheet][box].value == T4_NOTE.format(year=YEAR_OF[version])

    with zipfile.ZipFile(sub.path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet3, box3 = p.address(("note", "T3"))
    changed = _text_cell(parts, _part(parts, "表三"), box3, "本年度收到的申请已按期答复。")
    bad = tmp / "改过说明.xlsx"
    with zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in changed.items():
            z.writestr(name, data)
    check = verify(bad)
    assert check.status == "modified"
    assert any(c.startswith(f"{sheet3}!{box3}：") for c in check.cells), check.cells


def test_the_clerk_page_draws_the_note_under_its_table(filled):
    _version, _tmp, path, p, _where = filled
    result = check_file(path)
    stored = {**result.as_dict(), "document": result.document,
              "origins": {k: list(v) for k, v in result.origins.items()}}
    sheet, _ref = p.address(("note", "T3"))
    drawn = next(s for s in paper_sheets(stored) if s.name == sheet)
    last = [c for c in drawn.rows[-1] if c.kind == "input"]
    assert [c.text for c in last] == [T3_NOTE] and last[0].role == "note"


@needs_office
def test_the_published_report_prints_the_note_under_its_table_and_reads_back_from_pdf(filled):
    version, tmp, path, _p, _where = filled
    result = check_file(path)
    fmt = available_formats()[version]
    docx = write_docx(tmp / "报告.docx", fmt, result.document)
    # the Word document, read as a published report, gives the notes back as written
    assert check_file(docx).document["notes"] == result.document["notes"]
    pdf = convert(docx, "pdf", tmp / "pdf")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = words(text)
    assert appears("本年度收到的申请均已按期答复", flat) and appears("本表不含咨询类来电", flat)
    # printed after table three and before the heading of four
    at = flat.index(words("本年度收到的申请均已按期答复"))
    assert flat.rfind(words("结转下年度继续办理"), 0, at) > 0 and flat.find(words("四、政府信息公开行政复议"), at) > at
    # the PDF, read as a published report, gives the note back under table three
    back = check_file(pdf)
    assert words(back.document.get("notes", {}).get("T3", "")) == words(T3_NOTE)
    assert back.origins["/notes/T3"].sheet == "PDF"


# -- published reports read like workbooks ----------------------------------------------------------

def test_the_seed_notes_are_read_from_its_text():
    result = check_file(SEED)
    notes = result.document["notes"]
    assert notes["T3"] == "我办在2020年度平台未收到公开申请。"
    assert notes["T4"] == "我办在2020年度无政府信息公开行政复议、诉讼情况。"
    assert notes["T2"].startswith("本单位在2020年度政府信息公开平台")
    # the section after table 四 keeps its own text; the heading numbered «3、» is not part of 表二's note
    assert result.document["text"]["五"].startswith("存在的问题主要表现在")
    assert "收到和处理" not in notes["T2"]
    sheet = read_text_export(SEED.read_bytes()).sheets[0]
    assert sheet.value(*parse_a1(result.origins["/notes/T3"].cell)) == notes["T3"]


def _page(kind: str, replace: list) -> dict:
    return {"format_version": "2021", "year": 2025, "unit": UNIT, "kind": kind, "chrome": kind == "html",
            "texts": {"一、总体情况": "本年度，我办认真贯彻落实《条例》，统计期限为2025年1月1日至2025年12月31日。",
                      "五、存在的主要问题及改进情况": "存在问题：公开内容不够丰富。改进措施：下一步将加强培训。",
                      "六、其他需要报告的事项": "本年度未收取信息处理费。"},
            "replace": replace}


AFTER_T3_HTML = ("<p>四、政府信息公开行政复议、行政诉讼情况</p>",
                 "<p>（单位：件）</p><p>注：本表“其他处理”含申请人撤回申请2件。</p><p>四、政府信息公开行政复议、行政诉讼情况</p>")


def test_a_web_page_note_under_table_three():
    suffix, data = render(_page("html", [AFTER_T3_HTML]))
    result = _check_bytes(suffix, data)
    assert result.document["notes"] == {"T3": "注：本表“其他处理”含申请人撤回申请2件。"}
    # a page without it has no notes: the headings right after each table are not notes
    suffix, data = render(_page("html", []))
    plain = _check_bytes(suffix, data)
    assert "notes" not in plain.document
    assert plain.document["text"]["五"] == result.document["text"]["五"] == "存在问题：公开内容不够丰富。改进措施：下一步将加强培训。"


@needs_office
def test_a_pdf_note_under_table_three(tmp_path):
    suffix, data = render(_page("html", [AFTER_T3_HTML]))
    page = tmp_path / ("report" + suffix)
    page.write_bytes(data)
    pdf = convert(page, "pdf:writer_pdf_Export", tmp_path / "out", infilter="HTML (StarWriter)")
    result = check_file(pdf)
    assert words(result.document["notes"]["T3"]) == words("注：本表“其他处理”含申请人撤回申请2件。")
    assert set(result.document["notes"]) == {"T3"}
    # read from a line of the page, not from a table
    sheet = read_pdf(pdf).sheets[0]
    origin = result.origins["/notes/T3"]
    assert origin.sheet == sheet.name and sheet.places[parse_a1(origin.cell)[0] - sheet.row_offset][1] == 0


def _check_bytes(suffix: str, data: bytes):
    """The check of a published report given as its bytes."""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / ("report" + suffix)
        path.write_bytes(data)
        return check_file(path)


def test_a_heading_right_after_a_table_is_not_a_note_and_the_unit_line_is_not_part_of_one():
    # Word's text export: table 四 followed at once by section 五's heading and text
    suffix, data = render(_page("text", []))
    result = _check_bytes(suffix, data)
    assert "notes" not in result.document
    assert result.document["text"]["五"].startswith("存在问题")
    # between a table's own heading and the table: its note, the unit line left out
    heading3 = "三、收到和处理政府信息公开申请情况\n"
    suffix, data = render(_page("text", [(heading3, heading3 + "单位：件\n本年度收到申请情况如下表。\n")]))
    result = _check_bytes(suffix, data)
    assert result.document["notes"] == {"T3": "本年度收到申请情况如下表。"}
    # text above a table whose own heading is not right above it belongs to what is above (here 一)
    suffix, data = render(_page("text", [("二、主动公开政府信息情况\n", "本年度主动公开情况如下表。\n")]))
    result = _check_bytes(suffix, data)
    assert "notes" not in result.document
    assert result.document["text"]["一"].endswith("本年度主动公开情况如下表。")
    # headings in other forms end a note too: «（五）…» after table 四, a title line «表四 …» after table 三
    suffix, data = render(_page("text", [("五、存在的主要问题及改进情况\n", "（五）存在的主要问题及改进情况\n")]))
    assert "notes" not in _check_bytes(suffix, data).document
    heading4 = "四、政府信息公开行政复议、行政诉讼情况\n"
    suffix, data = render(_page("text", [(heading4, "本表数据截至年底。\n表四 政府信息公开行政复议、行政诉讼情况\n")]))
    assert _check_bytes(suffix, data).document["notes"] == {"T3": "本表数据截至年底。"}
    # a piece of a table's label (a cell broken over lines in a PDF or page) is the table's, not a note
    suffix, data = render(_page("text", [(heading3, "第二十条第（六\n" + heading3)]))
    assert "notes" not in _check_bytes(suffix, data).document
    # captions («表1», «附表2») belong to the table under them: never a note, and they end the note above
    case = _page("html", [AFTER_T3_HTML])
    case["outline"] = ["一、总体情况", "二、主动公开政府信息情况", "T2", "三、收到和处理政府信息公开申请情况", "T3",
                       "四、政府信息公开行政复议、行政诉讼情况", "T4", "五、存在的主要问题及改进情况", "六、其他需要报告的事项"]
    case["table_headings"] = {"T2": "表1", "T3": "表2", "T4": "附表3"}
    case["replace"] = [("<p>四、政府信息公开行政复议、行政诉讼情况</p>", "<p>注：本表不含咨询。</p><p>四、政府信息公开行政复议、行政诉讼情况</p>")]
    suffix, data = render(case)
    assert _check_bytes(suffix, data).document["notes"] == {"T3": "注：本表不含咨询。"}
    case["outline"] = [x for x in case["outline"] if x.startswith(("一", "五", "六", "T"))]   # no table headings at all
    case["replace"] = [("<p>附表3</p>", "<p>注：本表不含咨询。</p><p>附表3</p>")]
    suffix, data = render(case)
    assert _check_bytes(suffix, data).document["notes"] == {"T3": "注：本表不含咨询。"}


# -- text rules see a table's note where their data says so -------------------------------------

def test_a_note_contradicting_its_table_is_found_there(filled):
    version, tmp, path, p, _where = filled
    fmt = available_formats()[version]
    wb = openpyxl.load_workbook(path)
    sheet, ref = p.address(("note", "T3"))
    wb[sheet][ref] = "本年度我办未收到政府信息公开申请。"
    bad = tmp / "contradiction.xlsx"
    wb.save(bad)
    result = check_file(bad)
    tt03 = [f for f in result.findings if f.code == "TT-03"]
    assert tt03 and consistent_values(fmt)["/T3/new/C7"] > 0
    assert all("未收到政府信息公开申请" in f.message for f in tt03)
    # the same sentence in the note of a table the rule does not name is not read by it
    wb = openpyxl.load_workbook(path)
    sheet2, ref2 = p.address(("note", "T2"))
    wb[sheet2][ref2] = "本年度我办未收到政府信息公开申请。"
    wb[sheet][ref] = None
    other = tmp / "other-table.xlsx"
    wb.save(other)
    assert not [f for f in check_file(other).findings if f.code == "TT-03"]


def test_a_long_note_grows_its_box():
    fmt = available_formats()["2021"]
    note = "本表中“其他处理”含申请人逾期未按收费通知要求缴纳费用的情形，已在正文第六部分说明。" * 6
    wb = build_workbook(fmt, 2026, UNIT, notes={"T3": note})
    sheet, ref = plan(fmt, 2026, UNIT).address(("note", "T3"))
    row = parse_a1(ref)[0] + 1
    assert wb[sheet][ref].value == note
    assert NOTE_ROW_HEIGHT < wb[sheet].row_dimensions[row].height <= MAX_ROW_HEIGHT
    blank = build_workbook(fmt, 2026, UNIT)
    assert blank[sheet].row_dimensions[row].height == NOTE_ROW_HEIGHT
