"""Reports published as PDF: made from this project's own workbooks and pages by LibreOffice, read like the rest."""
from __future__ import annotations

import html
import random
import re
from collections import Counter
from pathlib import Path

import pytest

from addin.formats import available_formats
from addin.pipeline import check_file
from addin.reading.model import parse_a1
from addin.reading.pdf import read_pdf
from tests.helpers import build_case, load_case
from tests.office import convert, needs_office
from tests.test_html import table_html
from tests.test_real_layout import seed_lines

pytestmark = needs_office
HTML_FILTER = "HTML (StarWriter)"   # a page imported as a Writer document (Writer/Web drops the first paragraph)
LONG_NUMBER = "1234567890123"       # wider than its column: printed over two lines (a break allowed after 7 digits)


def _codes(result) -> Counter:
    return Counter(f.code for f in result.findings if not f.code.startswith("FILE-"))


def _variant_page(title: str = "鹤岗市南山区大陆街道办事处2020年政府信息公开工作年度报告") -> str:
    """The seed report as a web page, with table three drawn wide (it runs over several pages, its
    three header rows repeated on each), 「商 业 企 业」 letter-spaced so it breaks over two lines,
    and one number too long for its column."""
    fmt = available_formats()["2019"]
    lines = seed_lines()
    p = lambda text: f"<p>{html.escape(text)}</p>"  # noqa: E731
    rows = table_html(fmt, "T3").split("\n")
    t3 = ("<table border='1' cellpadding='7'><thead>" + "\n".join(rows[1:4]) + "</thead><tbody>"
          + "\n".join(rows[4:-1]) + "</tbody></table>")
    t3 = t3.replace("<p>商业企业</p>", "<p>商 业 企 业</p>")
    # the first value of 「一、本年新收政府信息公开申请数量」 (自然人)
    t3 = re.sub(r"(本年新收政府信息公开申请数量</p></td><td[^>]*><p>)[^<]*", lambda m: m.group(1) + LONG_NUMBER[:7] + "&#8203;" + LONG_NUMBER[7:], t3, count=1)
    body = [p(title)] + [p(x) for x in lines[1:12]] + [table_html(fmt, "T2"), p(lines[86]), p(lines[87]), t3,
                                                      p(lines[372]), p(lines[373]), table_html(fmt, "T4")]
    body += [p(x) for x in lines[418:425]]
    return "<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>" + "\n".join(body) + "</body></html>"


@pytest.fixture(scope="module")
def variant(tmp_path_factory):
    d = tmp_path_factory.mktemp("pdf")
    page = d / "report.html"
    page.write_text(_variant_page(), encoding="utf-8")
    return page, convert(page, "pdf:writer_pdf_Export", d / "out", infilter=HTML_FILTER)


def test_a_page_printed_to_pdf_gives_the_page_findings(variant):
    page, pdf = variant
    from_page, from_pdf = check_file(page), check_file(pdf)
    assert (from_pdf.unit, from_pdf.report_year, from_pdf.format_version) == ("鹤岗市南山区大陆街道办事处", 2020, "2019")
    assert any(f.code == "FILE-15" for f in from_pdf.findings)
    # the same findings as the page itself (VAL-07: the page's padding spaces are not printed)
    page_codes = _codes(from_page)
    del page_codes["VAL-07"]
    assert _codes(from_pdf) == page_codes
    assert {"T3-01", "TT-01", "STR-05", "TXT-07"} <= set(page_codes)
    # the long number printed over two lines is one number, and no header row was taken for data
    assert from_pdf.document["T3"]["new"]["C1"] == int(LONG_NUMBER)
    assert not any(f.code == "STR-07" for f in from_pdf.findings)


def test_a_table_over_several_pages_keeps_where_each_value_is_printed(variant):
    _, pdf = variant
    result = check_file(pdf)
    sheet = read_pdf(pdf).sheets[0]
    pages = {sheet.places[parse_a1(o.cell)[0]][0] for p, o in result.origins.items() if p.startswith("/T3/")}
    assert len(pages) >= 3, pages   # table three runs over several pages and is read as one table
    t301 = next(f for f in result.findings if f.code == "T3-01")
    assert t301.sheet == "PDF" and re.fullmatch(r"第 \d+ 页 表三 第 \d+ 行第 \d+ 列", t301.cell), t301.cell
    # the header rows repeated on the later pages are not in the grid
    assert sum(1 for r in sheet.rows if "申请人情况" in r) == 1


def test_a_workbook_printed_to_pdf_gives_the_workbook_findings(tmp_path):
    workbook = build_case(load_case("t3_01_balance"), tmp_path / "report.xlsx")
    pdf = convert(workbook, "pdf", tmp_path / "out")
    from_book, from_pdf = check_file(workbook), check_file(pdf)
    assert [(f.sheet, f.cell, f.code) for f in from_book.findings] == [("表三 依申请公开", "D29", "T3-01")]
    assert [(f.sheet, f.cell, f.code) for f in from_pdf.findings] == [("PDF", "第 4 页 表三 第 27 行第 4 列", "T3-01"),
                                                                       (None, None, "FILE-15")]
    # the arithmetic error is the report's; "read from a PDF, check against the original" is the reading's
    assert [f.kind for f in from_pdf.findings] == ["report", "reading"]
    assert [from_pdf.document[t] for t in ("T2", "T3", "T4")] == [from_book.document[t] for t in ("T2", "T3", "T4")]
    assert (from_pdf.unit, from_pdf.report_year) == (from_book.unit, from_book.report_year)


def test_a_scanned_pdf_says_so_and_gives_no_zeros(tmp_path):
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1240, 1754), "white")
    ImageDraw.Draw(image).rectangle((100, 300, 1100, 900), outline="black", width=3)
    path = tmp_path / "scan.pdf"
    image.save(path, "PDF", resolution=150)
    result = check_file(path)
    assert result.status == "unreadable"
    assert [(f.code, f.severity, f.kind) for f in result.findings] == [("FILE-14", "error", "reading")]
    assert "扫描件，无法提取文字" in result.findings[0].message and result.document is None


def test_a_page_that_is_an_image_is_named(tmp_path):
    from PIL import Image

    Image.new("RGB", (600, 800), "gray").save(tmp_path / "table.png")
    page = tmp_path / "mixed.html"
    page.write_text("<html><head><meta charset='utf-8'></head><body><p>某街道办事处2024年政府信息公开工作年度报告</p>"
                    "<p style='page-break-before: always'><img src='table.png' width='500' height='680'></p>"
                    "</body></html>", encoding="utf-8")
    pdf = convert(page, "pdf:writer_pdf_Export", tmp_path / "out", infilter=HTML_FILTER)
    result = check_file(pdf)
    image_pages = [f for f in result.findings if f.code == "FILE-14"]
    assert [(f.severity, f.kind, "第 2 页" in f.message) for f in image_pages] == [("warning", "reading", True)]


def test_an_encrypted_pdf(tmp_path):
    page = tmp_path / "secret.html"
    page.write_text("<html><body><p>某街道办事处2024年政府信息公开工作年度报告</p></body></html>", encoding="utf-8")
    options = ('pdf:writer_pdf_Export:{"EncryptFile":{"type":"boolean","value":"true"},'
               '"DocumentOpenPassword":{"type":"string","value":"gk"}}')
    pdf = convert(page, options, tmp_path / "out", infilter=HTML_FILTER)
    result = check_file(pdf)
    assert (result.status, [f.code for f in result.findings]) == ("unreadable", ["FILE-03"])
    assert "PDF" in result.findings[0].message


def test_broken_pdfs_get_a_file_finding_never_a_traceback(variant, tmp_path):
    _, pdf = variant
    data = pdf.read_bytes()
    rng = random.Random(13)
    cases = {"header_only": b"%PDF-1.7\n", "truncated": data[: len(data) // 3], "garbage": b"%PDF-1.4\n" + bytes(rng.randrange(256) for _ in range(4000))}
    for n in range(12):
        mutant = bytearray(data)
        for _ in range(40):
            mutant[rng.randrange(len(mutant))] = rng.randrange(256)
        cases[f"mutant{n}"] = bytes(mutant)
    for name, blob in cases.items():
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(blob)
        result = check_file(path)
        codes = {f.code for f in result.findings}
        assert "FILE-09" not in codes, (name, result.findings)
        if result.status == "unreadable":
            assert codes & {"FILE-04", "FILE-14"}, (name, codes)
    assert check_file(tmp_path / "header_only.pdf").findings[0].code == "FILE-04"


def test_limits_are_kept(variant, monkeypatch):
    from addin.reading import pdf as reader

    _, pdf = variant
    monkeypatch.setattr(reader, "MAX_PAGES", 2)
    result = check_file(pdf)
    cut = [f for f in result.findings if f.code == "FILE-16"]
    assert len(cut) == 1 and "前 2 页" in cut[0].message


def test_running_headers_and_footers_are_not_report_text(tmp_path):
    import docx

    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "黄渡镇人民政府"   # another unit's name: must not read as a signature
    document.sections[0].footer.paragraphs[0].text = "政务公开专栏 第 1 页"
    lines = ["白渡镇人民政府2024年政府信息公开工作年度报告", "本报告中所列数据的统计期限自2024年1月1日起至2024年12月31日止。",
             "一、总体情况"] + [f"第{i}段：本镇主动公开政府信息，加强政府信息管理、政府信息公开平台建设和监督保障，"
                               f"依申请公开工作规范有序。" for i in range(60)] + ["六、其他需要报告的事项", "本年度未收取信息处理费。"]
    for line in lines:
        document.add_paragraph(line)
    source = tmp_path / "report.docx"
    document.save(source)
    pdf = convert(source, "pdf", tmp_path / "out")
    rows = [r[0] for r in read_pdf(pdf).sheets[0].rows if r]
    assert rows == lines   # each paragraph once and whole, across page breaks; no header or footer line
    result = check_file(pdf)
    assert (result.unit, result.report_year) == ("白渡镇人民政府", 2024)
    assert not {"COV-04", "TXT-10"} & {f.code for f in result.findings}


def test_annotate_gives_the_results_workbook_for_a_pdf(variant, tmp_path):
    """No copy can be marked up on a PDF: --annotate writes the results workbook, not an OUT-01 warning."""
    import subprocess
    import sys

    from openpyxl import load_workbook

    _, pdf = variant
    root = Path(__file__).resolve().parent.parent
    run = subprocess.run([sys.executable, "-m", "addin", "check", str(pdf), "--annotate", "--out-dir", str(tmp_path)],
                         capture_output=True, text=True, cwd=root, timeout=300)
    assert "Traceback" not in run.stderr and "OUT-01" not in run.stdout
    [book] = tmp_path.glob("*.xlsx")
    rows = [[c.value for c in r] for r in load_workbook(book).worksheets[0].iter_rows()]
    assert any(r[1] == "T3-01" and r[2] == "PDF" and str(r[3]).startswith("第 ") for r in rows if len(r) > 3)
