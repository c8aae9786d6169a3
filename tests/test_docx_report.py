"""The published report (.docx): built from a checked workbook, rendered by LibreOffice to PDF and read back."""
from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import pytest

from addin.formats import available_formats
from addin.pipeline import check_file
from addin.totals import totals
from addin.writing.docx_report import build_docx, write_docx
from addin.writing.template import build_workbook, save_workbook
from tests.factory import consistent_values
from tests.helpers import base_texts
from tests.long_text import long_overview
from tests.office import convert, needs_office, pdf_pages
from tests.official_labels import OFFICIAL

YEAR_OF = {"2019": 2020, "2021": 2026}
UNIT = "某某市某某区某某街道办事处"
NOTE = "我办在{year}年度平台未收到公开申请。"


def words(text: str) -> str:
    """Letters, digits and CJK only: PDF text extraction breaks lines inside cells and may set
    punctuation of a fallback font apart from its words."""
    return "".join(re.findall(r"\w", text))


def appears(label: str, flat: str) -> bool:
    """The label is in the extracted text: whole, or (a cell spanning many rows, whose lines the
    extraction interleaves with the rows beside it) its characters in order within a short stretch."""
    label = words(label)
    if label in flat:
        return True
    pattern = ".{0,40}?".join(map(re.escape, label))
    return any(len(m.group(0)) <= 4 * len(label) + 40 for m in re.finditer(pattern, flat))


@pytest.fixture(scope="module", params=["2019", "2021"])
def report(request, tmp_path_factory):
    """(format, checked document, texts, docx path) of a filled template with a 4,000-character 总体情况."""
    version = request.param
    fmt, year = available_formats()[version], YEAR_OF[version]
    tmp = tmp_path_factory.mktemp(f"docx{version}")
    texts = base_texts(version, year)
    texts["一"] = long_overview(year) + "\n" + texts["一"]
    values = {k: v for k, v in consistent_values(fmt).items() if k not in totals(fmt)}
    save_workbook(build_workbook(fmt, year, UNIT, values, texts), tmp / "filled.xlsx")
    result = check_file(tmp / "filled.xlsx")
    assert result.counts["error"] == 0
    path = write_docx(tmp / "报告.docx", fmt, result.document, {"T3": NOTE.format(year=year)})
    return fmt, result.document, texts, path


def test_docx_order_and_texts(report):
    fmt, document, texts, path = report
    doc = build_docx(fmt, document, {"T3": "表三下方的说明。"})
    paragraphs = [p.text for p in doc.paragraphs]
    assert paragraphs[0] == f"{UNIT}{document['cover']['报告年度']}年政府信息公开工作年度报告"
    headings = [p for p in paragraphs if re.match(r"^[一二三四五六]、", p)]
    assert [h[0] for h in headings] == list("一二三四五六")
    # every paragraph of the narrative, whole and in order, right after its heading
    first = paragraphs.index(headings[0]) + 1
    assert paragraphs[first:first + texts["一"].count("\n") + 1] == texts["一"].split("\n")
    assert "表三下方的说明。" in paragraphs
    assert len(doc.tables) == sum(1 for _ in fmt.tables())


def test_docx_tables_have_official_merges_and_values(report):
    fmt, document, _texts, path = report
    from docx import Document

    doc = Document(str(path))
    t3 = doc.tables[1]
    # the 3×3 note cell of 表三's header is one merged cell, as in the official table
    note = t3.cell(0, 0)
    assert note._tc is t3.cell(2, 2)._tc and note.text.startswith("（本列数据的勾稽关系为")
    total = document["T3"]["r_total"]["C7"]
    assert str(total) in [c.text for c in t3.rows[-2].cells]
    # no input fills: no cell shading anywhere in the document
    assert b"w:shd" not in zipfile.ZipFile(path).read("word/document.xml")


@needs_office
def test_docx_renders_whole_with_every_label(report, tmp_path):
    fmt, document, texts, path = report
    pdf = convert(path, "pdf", tmp_path)
    assert 3 <= pdf_pages(pdf) <= 10
    raw = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = words(raw)
    missing = [label for t in ("T2", "T3", "T4") for label in OFFICIAL[fmt.version][t] if not appears(str(label), flat)]
    assert missing == []
    # the 4,000-character 总体情况 is printed whole: every one of its characters, paragraph by paragraph
    assert len(texts["一"]) >= 4000
    for paragraph in texts["一"].split("\n"):
        assert words(paragraph) in flat
    assert words(NOTE.format(year=document["cover"]["报告年度"])) in flat
