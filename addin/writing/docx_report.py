"""The report as it is published (Word .docx): title, 一 to 六 in the official order, the tables with their official merged headers."""
from __future__ import annotations

import datetime
import os
from pathlib import Path

from addin.formats import FormatDef
from addin.printorder import heading_number
from addin.reporters.content import show
from addin.values import flat_values
from addin.writing.atomic import atomic_write
from addin.writing.template import FIXED_TIME, Plan, format_line, paragraphs, plan, report_title

TITLE_FONT, HEADING_FONT, BODY_FONT, TABLE_FONT = "宋体", "黑体", "仿宋", "宋体"
TITLE_PT, HEADING_PT, BODY_PT = 18, 16, 14
TABLE_PT = {True: 7.5, False: 9}   # wide tables (more than 8 columns) in smaller type to fit A4 portrait
WIDE_TABLE = 8
MARGIN_CM = 2.0


def build_docx(fmt: FormatDef, document: dict, notes: dict | None = None,
               created: datetime.datetime | None = None):
    """A python-docx Document of the report in `document` (the checked data document of `fmt`);
    `notes`: table id -> the short text printed under that table (default: the document's own notes)."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    cover, texts = document.get("cover") or {}, document.get("text") or {}
    notes = (document.get("notes") or {}) if notes is None else notes
    unit, year = cover.get("单位名称"), cover.get("报告年度")
    p = plan(fmt, year, unit, texts)
    values = flat_values(fmt, document)

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = Cm(MARGIN_CM)
    props = doc.core_properties
    props.title = report_title(fmt, year, unit)
    props.subject = format_line(fmt)
    props.author = props.last_modified_by = "gkreport"
    props.created = props.modified = created or FIXED_TIME
    props.revision = 1

    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(title, props.title, TITLE_FONT, TITLE_PT, bold=True)

    # 一 to 六 in the order of their numbers: the narrative sections and the tables, as the template prints them
    parts = [(s["heading"], "text", s) for s in fmt.layout["cover"]["sections"]]
    parts += [(t["heading"], "table", t) for t in fmt.tables()]
    for heading, kind, item in sorted(parts, key=lambda part: heading_number(part[0])):
        para = doc.add_paragraph()
        para.paragraph_format.space_before = Pt(HEADING_PT * 0.75)
        para.paragraph_format.keep_with_next = True
        _run(para, heading, HEADING_FONT, HEADING_PT)
        if kind == "text":
            for line in paragraphs(texts.get(item["key"])):
                body = doc.add_paragraph()
                body.paragraph_format.first_line_indent = Cm(0.035 * BODY_PT * 2)   # two characters
                _run(body, line, BODY_FONT, BODY_PT)
        else:
            _table(doc, p, item, values)
            for line in paragraphs(notes.get(item["id"])):
                _run(doc.add_paragraph(), line, BODY_FONT, BODY_PT)
    return doc


def write_docx(path: str | os.PathLike, fmt: FormatDef, document: dict, notes: dict | None = None,
               created: datetime.datetime | None = None) -> Path:
    """Write the published form of the report at `path` (atomically)."""
    doc = build_docx(fmt, document, notes, created)
    return atomic_write(path, lambda tmp: doc.save(str(tmp)), suffix=".docx")


def _run(paragraph, text: str, font: str, size: float, bold: bool = False):
    """A run in `font` for Chinese text too (Word takes East Asian text from w:eastAsia)."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run = paragraph.add_run(text)
    run.font.name = font
    run.font.size = Pt(size)
    run.font.bold = bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
    return run


def _table(doc, p: Plan, table: dict, values: dict) -> None:
    """The table placed as the template places it: label cells merged as the official table, numbers
    in the data cells (a data cell spanning several columns merged too)."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    sp = p.sheet(table["sheet"])
    first, last = sp.table_rows
    width = sp.width
    size = TABLE_PT[width > WIDE_TABLE]
    grid = doc.add_table(rows=last - first + 1, cols=width)
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    # the template's column widths, scaled to the page: label columns wide, number columns narrow
    scale = (21.0 - 2 * MARGIN_CM) / sum(sp.column_widths)
    for j, w in enumerate(sp.column_widths):
        grid.columns[j].width = Cm(w * scale)   # the grid LibreOffice lays out by
        for cell in grid.columns[j].cells:      # the cell widths Word lays out by
            cell.width = Cm(w * scale)
    cells = [(lab.row, lab.col, lab.rowspan, lab.colspan, lab.text, lab.role == "header")
             for lab in p.labels if lab.sheet == sp.name and first <= lab.row <= last]
    cells += [(ic.row, ic.col, 1, ic.colspan, show(values.get(key)), None)
              for key, ic in p.inputs.items() if ic.kind == "data" and ic.sheet == sp.name]
    for row, col, rowspan, colspan, text, centred in cells:
        top = grid.cell(row - first, col - 1)
        if rowspan > 1 or colspan > 1:
            top = top.merge(grid.cell(row - first + rowspan - 1, col + colspan - 2))
        para = top.paragraphs[0]
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER if centred is not False else WD_ALIGN_PARAGRAPH.LEFT
        _run(para, text, TABLE_FONT, size)
