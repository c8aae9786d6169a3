"""Generators of hostile and broken input files (no committed binaries): each writes one file and returns its path."""
from __future__ import annotations

import os
import struct
import zipfile
import zlib
from pathlib import Path

from addin import jsonio
from addin.formats import available_formats
from tests.factory import consistent_values, write_report
from tests.helpers import base_texts


def _base(path: Path, **kw) -> Path:
    return write_report(path, "2021", 2022, kw.pop("unit", "甲局"), kw.pop("values", None))


def _rewrite(src: Path, dst: Path, replace: dict[str, bytes | None] = {}, add: dict[str, bytes] = {}) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename in replace:
                if replace[info.filename] is not None:
                    zout.writestr(info.filename, replace[info.filename])
            else:
                zout.writestr(info, zin.read(info.filename))
        for name, data in add.items():
            zout.writestr(name, data)
    return dst


def empty(d: Path) -> Path:
    p = d / "empty.xlsx"
    p.write_bytes(b"")
    return p


def random_bytes(d: Path) -> Path:
    p = d / "random.xlsx"
    p.write_bytes(os.urandom(50_000))
    return p


def truncated_zip(d: Path) -> Path:
    full = _base(d / "_full.xlsx").read_bytes()
    (d / "_full.xlsx").unlink()
    p = d / "truncated.xlsx"
    p.write_bytes(full[: len(full) // 2])
    return p


def zip_without_workbook(d: Path) -> Path:
    p = d / "nowb.xlsx"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("readme.txt", "hello")
    return p


def encrypted(d: Path) -> Path:
    from msoffcrypto.format.ooxml import OOXMLFile

    src = _base(d / "_plain.xlsx")
    p = d / "encrypted.xlsx"
    with open(src, "rb") as fin, open(p, "wb") as fout:
        OOXMLFile(fin).encrypt("secret", fout)
    src.unlink()
    return p


def with_macros(d: Path) -> Path:
    src = _base(d / "_m.xlsx")
    p = _rewrite(src, d / "macros.xlsm", add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0" + os.urandom(2000)})
    src.unlink()
    return p


def docx_renamed(d: Path) -> Path:
    p = d / "word.xlsx"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml",
                    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                    '<w:body><w:p><w:r><w:t>致函</w:t></w:r></w:p></w:body></w:document>')
    return p


def xxe(d: Path, secret: Path) -> Path:
    src = _base(d / "_x.xlsx")
    doc = (f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file://{secret}">]>'
           '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
           '<si><t>&e;</t></si></sst>').encode()
    with zipfile.ZipFile(src) as z:
        has = "xl/sharedStrings.xml" in z.namelist()
    p = _rewrite(src, d / "xxe.xlsx", replace={"xl/sharedStrings.xml": doc} if has else {},
                 add={} if has else {"xl/sharedStrings.xml": doc})
    src.unlink()
    return p


def billion_laughs(d: Path) -> Path:
    src = _base(d / "_b.xlsx")
    ents = '<!ENTITY a0 "lol">' + "".join(f'<!ENTITY a{i} "{("&a%d;" % (i - 1)) * 10}">' for i in range(1, 10))
    with zipfile.ZipFile(src) as z:
        sheet = z.read("xl/worksheets/sheet3.xml").decode()
    sheet = sheet.replace("<worksheet", f'<!DOCTYPE worksheet [{ents}]><worksheet', 1)
    sheet = sheet.replace('<?xml version="1.0" encoding="UTF-8"?>', "", 1) if sheet.startswith("<?xml") else sheet
    sheet = sheet.replace("<sheetData>", '<sheetData><row r="200"><c r="A200" t="inlineStr"><is><t>&a9;</t></is></c></row>', 1)
    p = _rewrite(src, d / "laughs.xlsx", replace={"xl/worksheets/sheet3.xml": sheet.encode()})
    src.unlink()
    return p


def zip_bomb(d: Path, gigabytes: int = 2) -> Path:
    """A ~2 MB zip whose one part inflates to `gigabytes` GB of zeros, built from one repeated deflate block."""
    src = _base(d / "_z.xlsx")
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    mb = bytes(1 << 20)
    block = co.compress(mb) + co.flush(zlib.Z_FULL_FLUSH)   # byte-aligned and independent of what precedes it
    n = gigabytes * 1024
    crc = 0
    for _ in range(n):
        crc = zlib.crc32(mb, crc)
    size = n << 20
    p = d / "bomb.xlsx"
    name = b"xl/sharedStrings.xml"
    with zipfile.ZipFile(src) as zin, open(p, "wb") as out:
        entries = []
        for info in zin.infolist():
            data = zin.read(info.filename)
            comp = zlib.compressobj(6, zlib.DEFLATED, -15)
            body = comp.compress(data) + comp.flush()
            entries.append((info.filename.encode(), zlib.crc32(data), len(body), len(data), body))
        entries.append((name, crc, len(block) * n + 2, size, None))
        central = b""
        for fname, fcrc, csize, usize, body in entries:
            offset = out.tell()
            out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, fcrc, csize, usize, len(fname), 0) + fname)
            if body is None:
                for _ in range(n):
                    out.write(block)
                out.write(b"\x03\x00")   # final empty fixed-Huffman block
            else:
                out.write(body)
            central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, fcrc, csize, usize,
                                   len(fname), 0, 0, 0, 0, 0, offset) + fname
        start = out.tell()
        out.write(central)
        out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), start, 0))
    src.unlink()
    return p


def million_rows(d: Path, rows: int = 1_000_000) -> Path:
    src = _base(d / "_mr.xlsx")
    p = d / "million.xlsx"
    part = "xl/worksheets/sheet4.xml"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename != part:
                zout.writestr(info, data)
                continue
            head, _, tail = data.partition(b"</sheetData>")
            with zout.open(part, "w", force_zip64=True) as fh:
                fh.write(head)
                for start in range(100, 100 + rows, 10_000):
                    fh.write(b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (r, r, r)
                                      for r in range(start, min(start + 10_000, 100 + rows))))
                fh.write(b"</sheetData>" + tail)
    src.unlink()
    return p


def long_text(d: Path) -> Path:
    from addin.writing.template import build_workbook, save_workbook

    fmt = available_formats()["2021"]
    values = consistent_values(fmt, 0)
    values["/T3/new/C1"] = "长" * 50_000
    wb = build_workbook(fmt, 2022, "甲局", values, texts={"一": "文" * 50_000})
    p = d / "longtext.xlsx"
    save_workbook(wb, p)
    return p


def uncached_formula(d: Path) -> Path:
    from addin.writing.template import build_workbook, save_workbook

    fmt = available_formats()["2021"]
    wb = build_workbook(fmt, 2022, "甲局", consistent_values(fmt, 0), base_texts("2021", 2022))
    ws = wb["表四 复议诉讼"]
    target = next(c for row in ws.iter_rows() for c in row if isinstance(c.value, int))
    target.value = "=1+1"   # openpyxl stores formulas without a cached result
    p = d / "formula.xlsx"
    save_workbook(wb, p)
    return p


def external_link(d: Path) -> Path:
    src = _base(d / "_e.xlsx")
    link = (b'<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b'<externalBook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" r:id="rId1"/>'
            b'</externalLink>')
    p = _rewrite(src, d / "extlink.xlsx", add={"xl/externalLinks/externalLink1.xml": link})
    src.unlink()
    return p


def hidden_tables(d: Path) -> Path:
    from addin.writing.template import build_workbook, save_workbook

    fmt = available_formats()["2021"]
    wb = build_workbook(fmt, 2022, "甲局", consistent_values(fmt, 0), base_texts("2021", 2022))
    wb["表三 依申请公开"].sheet_state = "hidden"
    p = d / "hidden.xlsx"
    save_workbook(wb, p)
    return p


# -- issue 15 -----------------------------------------------------------------------------------
# §1 outputs planned against inputs and each other


def annotate_onto_input(d: Path) -> tuple[Path, Path]:
    """y.xlsx (passing) and y.校验.xlsx, another unit's failing report that y.xlsx's copy would overwrite."""
    from tests.factory import broken_values

    fmt = available_formats()["2021"]
    good = write_report(d / "y.xlsx", "2021", 2022, "甲局")
    bad = write_report(d / "y.校验.xlsx", "2021", 2022, "乙局", broken_values(fmt))
    return good, bad


def copy_name_clash(d: Path) -> list[Path]:
    """x.xlsx, x.xlsm and x.xlsx.xlsm: two of them would both be marked up as x.xlsx.校验.xlsx."""
    return [write_report(d / name, "2021", 2022, unit) for name, unit in
            (("x.xlsx", "甲局"), ("x.xlsm", "乙局"), ("x.xlsx.xlsm", "丙局"))]


def odd_entries(d: Path) -> dict[str, Path]:
    """A folder holding a report and entries that are not regular files, all named like workbooks."""
    import socket

    out = {"report": _base(d / "report.xlsx")}
    out["dangling"] = d / "dangling.xlsx"
    out["dangling"].symlink_to(d / "nowhere.xlsx")
    out["fifo"] = fifo(d)
    out["socket"] = d / "sock.xlsx"
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(out["socket"]))
    s.close()
    return out


def fifo(d: Path, name: str = "f.xlsx") -> Path:
    """A named pipe with a workbook's name: opening it for reading waits for a writer, forever."""
    p = d / name
    os.mkfifo(p)
    return p


# §2 a submission changed in ways the tolerant reader does not see (applied to the parts of a
# submission written by `gkreport submit`; each returns the changed parts)

_CELL_NUMBER_RE = rb'<c r="([A-Z]+[0-9]+)" s="([0-9]+)" t="n"><v>([0-9]+)</v></c>'


def _part(parts: dict, name_prefix: str) -> str:
    """The worksheet part of the sheet whose name starts with `name_prefix` (found through workbook.xml and its
    relationships, so the tampering follows the template's sheet order)."""
    import re

    rels = dict(re.findall(rb'Id="([^"]+)"[^>]*Target="([^"]+)"', parts["xl/_rels/workbook.xml.rels"]) +
                [(i, t) for t, i in re.findall(rb'Target="([^"]+)"[^>]*Id="([^"]+)"', parts["xl/_rels/workbook.xml.rels"])])
    for name, rid in re.findall(rb'<sheet [^>]*name="([^"]+)"[^>]*r:id="([^"]+)"', parts["xl/workbook.xml"]):
        if name.decode().startswith(name_prefix):
            target = rels[rid].decode().lstrip("/")
            return target if target.startswith("xl/") else "xl/" + target
    raise KeyError(name_prefix)


def _first_number(xml: bytes):
    import re

    return next(m for m in re.finditer(_CELL_NUMBER_RE, xml) if int(m.group(3)) > 0)


def _number_format(parts: dict, code: str) -> dict:
    """A number cell shown through a format of its own: LibreOffice shows `code`, the reader the value."""
    import re
    from xml.sax.saxutils import quoteattr

    styles = parts["xl/styles.xml"].decode()
    fmt = f"<numFmt numFmtId=\"200\" formatCode={quoteattr(code)}/>"
    if "<numFmts" in styles:
        styles = re.sub(r"<numFmts count=\"(\d+)\">", lambda m: f'<numFmts count="{int(m.group(1)) + 1}">' + fmt, styles)
    else:
        styles = styles.replace("<fonts", f'<numFmts count="1">{fmt}</numFmts><fonts', 1)
    count = int(re.search(r'<cellXfs count="(\d+)"', styles).group(1))
    styles = styles.replace("</cellXfs>", '<xf numFmtId="200" fontId="0" fillId="0" borderId="0" applyNumberFormat="1"/></cellXfs>')
    styles = re.sub(r'<cellXfs count="\d+"', f'<cellXfs count="{count + 1}"', styles)
    part = _part(parts, "表三")
    sheet = parts[part]
    m = _first_number(sheet)
    cell = m.group(0).replace(b's="' + m.group(2) + b'"', b's="%d"' % count)
    return {**parts, "xl/styles.xml": styles.encode(), part: sheet.replace(m.group(0), cell, 1)}


def _replace_cell(parts: dict, new: bytes) -> dict:
    part = _part(parts, "表三")
    m = _first_number(parts[part])
    return {**parts, part: parts[part].replace(m.group(0), new.replace(b"REF", m.group(1)), 1)}


def _add_sheet(parts: dict, part: str, rel_id: str, name: str, state: str = "visible") -> dict:
    wb = parts["xl/workbook.xml"].replace(
        b"</sheets>", f'<sheet xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
        f'name="{name}" sheetId="9" state="{state}" r:id="{rel_id}"/></sheets>'.encode())
    rels = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>", f'<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        f'Target="/{part}" Id="{rel_id}"/></Relationships>'.encode())
    ct = parts["[Content_Types].xml"].replace(
        b"</Types>", f'<Override PartName="/{part}" ContentType="application/vnd.openxmlformats-officedocument.'
        f'spreadsheetml.worksheet+xml"/></Types>'.encode())
    other = parts["xl/worksheets/sheet3.xml"].replace(_first_number(parts["xl/worksheets/sheet3.xml"]).group(0), b"", 1)
    return {**parts, "xl/workbook.xml": wb, "xl/_rels/workbook.xml.rels": rels, "[Content_Types].xml": ct, part: other}


def _text_cell(parts: dict, sheet: str, ref: str, text: str) -> dict:
    """A cell (new or replaced) of `sheet` holding `text` as an inline string."""
    import re
    from xml.sax.saxutils import escape

    xml = parts[sheet].decode()
    cell = f'<c r="{ref}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'
    pattern = re.compile(rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)', re.S)
    if pattern.search(xml):
        xml = pattern.sub(lambda m: cell, xml, count=1)
    else:
        row = re.search(r"\d+", ref).group(0)
        xml = re.sub(rf'(<row r="{row}"[^>]*>)', lambda m: m.group(1) + cell, xml, count=1) if f'<row r="{row}"' in xml \
            else xml.replace("</sheetData>", f'<row r="{row}">{cell}</row></sheetData>', 1)
    return {**parts, sheet: xml.encode()}


def _relabel(parts: dict) -> dict:
    """A row label given a note: the reader tolerates it, a reader of the file sees other units."""
    import html
    import re

    part = _part(parts, "表二")
    xml = parts[part].decode()
    m = next(m for m in re.finditer(r'<c r="([A-Z]+[0-9]+)"[^>]*t="inlineStr"><is><t>([^<]*)</t>', xml)
             if "行政许可" in html.unescape(m.group(2)))
    return _text_cell(parts, part, m.group(1), html.unescape(m.group(2)) + "（单位：千件）")


def _reseal(parts: dict) -> dict:
    """The embedded data and its digest changed together (the cells left alone)."""
    import html
    import re
    from xml.sax.saxutils import escape

    from addin.writing.package_check import DATA_PART
    from addin.writing.submission import canonical_bytes, digest

    xml = parts[DATA_PART].decode()
    body = re.search(r">(\{.*\})<", xml, re.S).group(1)
    data = jsonio.loads(html.unescape(body))
    data["cover"]["单位名称"] += "乙"
    custom = re.sub(rb"[0-9a-f]{64}", digest(data).encode(), parts["docProps/custom.xml"])
    return {**parts, DATA_PART: xml.replace(body, escape(canonical_bytes(data).decode())).encode(),
            "docProps/custom.xml": custom}


TAMPERS = {
    "number_format_999": lambda p: _number_format(p, '"999"'),
    "number_format_suffix": lambda p: _number_format(p, '0"0"'),
    "stale_formula": lambda p: {**_replace_cell(p, b'<c r="REF" t="n"><f>1+1</f><v>1</v></c>'),
                                "xl/workbook.xml": p["xl/workbook.xml"].replace(b"</workbook>", b'<calcPr fullCalcOnLoad="1"/></workbook>')},
    "hidden_row": lambda p: {**p, "xl/worksheets/sheet3.xml": p["xl/worksheets/sheet3.xml"].replace(b'<row r="8"', b'<row r="8" hidden="1"', 1)},
    "hidden_sheet_lookalike": lambda p: _add_sheet({**p, "xl/workbook.xml": p["xl/workbook.xml"].replace(
        "name=\"表三 依申请公开\" sheetId=\"3\" state=\"visible\"".encode(), "name=\"表三 依申请公开\" sheetId=\"3\" state=\"hidden\"".encode())},
        "xl/worksheets/sheet9.xml", "rId99", "表三 依申请公开 (2)"),
    "money_as_text": lambda p: _replace_cell(p, "<c r=\"REF\" t=\"inlineStr\"><is><t>12.35元</t></is></c>".encode()),
    "label_note": _relabel,
    "duplicate_part_case": lambda p: {**p, "xl/worksheets/Sheet3.xml": p["xl/worksheets/sheet3.xml"].replace(
        _first_number(p["xl/worksheets/sheet3.xml"]).group(0), b"", 1)},
    "duplicate_relationship_id": lambda p: {**_add_sheet(p, "xl/worksheets/sheet9.xml", "rId3", "附表")},
    "title_other_unit": lambda p: _text_cell(p, "xl/worksheets/sheet1.xml", "A1", "乙局2022年政府信息公开工作年度报告"),
    "text_after_new_heading": lambda p: _text_cell(_text_cell(p, "xl/worksheets/sheet1.xml", "A40", "七、更正说明"),
                                                   "xl/worksheets/sheet1.xml", "A41", "表三数字以本说明为准：收到申请 99 件。"),
    "comments": lambda p: {**p, "xl/comments1.xml": b'<comments xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                           b'<authors><author>x</author></authors><commentList/></comments>'},
    "extra_sheet": lambda p: _add_sheet(p, "xl/worksheets/sheet9.xml", "rId99", "附表"),
    "macros": lambda p: {**p, "xl/vbaProject.bin": b"\xd0\xcf\x11\xe0" + bytes(2000)},
    "external_link": lambda p: {**p, "xl/externalLinks/externalLink1.xml": b'<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'},
    "defined_name": lambda p: {**p, "xl/workbook.xml": p["xl/workbook.xml"].replace(
        b"<definedNames>", "<definedNames><definedName name=\"合计\">'表三 依申请公开'!$D$6</definedName>".encode(), 1)},
    "core_properties": lambda p: {**p, "docProps/core.xml": p["docProps/core.xml"].replace(b">gkreport</dc:creator>", b">someone</dc:creator>", 1)},
    "embedded_data_resealed": _reseal,
}


def tamper(src: Path, dst: Path, variant: str) -> Path:
    """The submission `src` changed by TAMPERS[variant], written to `dst` (members in their order)."""
    import warnings

    with zipfile.ZipFile(src) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    changed = TAMPERS[variant](parts)
    with warnings.catch_warnings(), zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        warnings.simplefilter("ignore")
        for name, data in changed.items():
            z.writestr(name, data)
    return dst


# §4 text a writer cannot take and names a terminal must not obey


def control_characters(d: Path, name: str = "ctrl.xlsx") -> Path:
    """A passing report whose narrative holds Word's manual line break as Excel stores it (_x000B_)
    and a unit name with an escape sequence; calamine decodes both into control characters."""
    texts = base_texts("2021", 2022)
    texts["一"] = texts["一"] + "_x000B_第二行_x0007_。"
    return write_report(d / name, "2021", 2022, "甲局_x001B_[2J_x001B_]0;title_x0007_", texts=texts)


def newline_name(d: Path) -> Path:
    """A report whose file name holds a newline and a forged result line."""
    return _base(d / "r\n结果：通过\n.xlsx")


def long_narrative(d: Path, total: int = 40_000) -> Path:
    """A passing report whose section 一 continues over two cells holding `total` characters in all."""
    from openpyxl import load_workbook

    from addin.pipeline import check_file

    p = _base(d / "longnarrative.xlsx")
    origin = check_file(p).origins["/text/一"]
    wb = load_workbook(p)
    ws = wb[origin.sheet]
    first = ws[origin.cell]
    half = total // 2
    first.value = ("本机关主动公开政府信息。" * (half // 12 + 1))[:half]
    ws.cell(first.row + 1, first.column).value = ("依申请公开工作平稳有序。" * (half // 12 + 1))[:half]
    wb.save(p)
    return p


# §5 small inputs on slow paths


def docx_breaks(d: Path, n: int = 120_000) -> Path:
    """A Word report whose section 一 paragraph holds `n` manual line breaks (a few KB compressed)."""
    from tests.test_documents import W, _w_para
    from tests.test_real_layout import seed_lines

    lines = seed_lines()
    breaks = "<w:p><w:r><w:t>本机关</w:t>" + "<w:br/>" * n + "<w:t>结束</w:t></w:r></w:p>"
    body = [_w_para(x) for x in lines[0:3]] + [breaks] + [_w_para(x) for x in lines[3:12] + lines[418:425]]
    p = d / f"breaks{n}.docx"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", f"<w:document {W}><w:body>{''.join(body)}</w:body></w:document>")
    return p


def trailing_newlines(d: Path, n: int = 100_000) -> Path:
    """A report whose section 一 text ends in `n` newlines (a 14 KB .xlsx)."""
    texts = base_texts("2021", 2022)
    texts["一"] = texts["一"] + "\n" * n
    return write_report(d / f"newlines{n}.xlsx", "2021", 2022, "甲局", texts=texts)


def html_spans(d: Path, megabytes: int = 4) -> Path:
    """A web page: one cell spanning 256 x 256, then empty cells to fill `megabytes`."""
    cells = b"<td></td>" * (megabytes * (1 << 20) // 9)
    p = d / f"spans{megabytes}.html"
    p.write_bytes(b'<html><body><table><tr><td colspan=256 rowspan=256>x</td>' + cells + b"</tr></table></body></html>")
    return p


def near_labels(d: Path, rows: int = 20_000, cols: int = 10) -> Path:
    """A sheet of rows x cols cells that nearly name the cover's first label (单位名称(注)(注)…)."""
    p = d / f"near{rows * cols}.xlsx"
    _sheet_of(p, rows, cols, lambda r, c: "单位名称" + "(注)" * (1 + (r * cols + c) % 40))
    return p


def many_labels(d: Path, rows: int = 20_000, cols: int = 128) -> Path:
    """A sheet of rows x cols distinct short labels."""
    p = d / f"labels{rows}x{cols}.xlsx"
    _sheet_of(p, rows, cols, lambda r, c: f"标{r}_{c}")
    return p


def wide_sheet(d: Path, rows: int = 20_000, cols: int = 50) -> Path:
    """A report with one more sheet of rows x cols numbers: inside the 20,000 x 256 read box."""
    src = _base(d / "_w.xlsx")
    p = d / f"wide{rows}x{cols}.xlsx"
    _sheet_of(p, rows, cols, lambda r, c: r * cols + c, base=src)
    src.unlink()
    return p


def million_cells(d: Path, rows: int = 20_000, cols: int = 50) -> Path:
    """A report with one more sheet of a million number cells, to be marked up with --annotate."""
    src = _base(d / "_m.xlsx")
    p = d / "million_cells.xlsx"
    _sheet_of(p, rows, cols, lambda r, c: r + c, base=src)
    src.unlink()
    return p


def _sheet_of(p: Path, rows: int, cols: int, value, base: Path | None = None) -> None:
    """Write `p`: `base`'s sheets plus one sheet "附表" of rows x cols cells, streamed as XML."""
    from openpyxl.utils import get_column_letter
    from xml.sax.saxutils import escape

    letters = [get_column_letter(c + 1) for c in range(cols)]

    def cell(r, c):
        v = value(r, c)
        ref = f"{letters[c]}{r + 1}"
        return f'<c r="{ref}"><v>{v}</v></c>' if isinstance(v, int) else f'<c r="{ref}" t="inlineStr"><is><t>{escape(v)}</t></is></c>'

    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel_ns = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as z:
        names = {}
        if base is not None:
            with zipfile.ZipFile(base) as b:
                names = {n: b.read(n) for n in b.namelist()}
        else:
            names = {
                "[Content_Types].xml": b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                b'<Default Extension="xml" ContentType="application/xml"/>'
                b'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>',
                "_rels/.rels": f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
                f'Type="{rel_ns}/officeDocument" Target="xl/workbook.xml"/></Relationships>'.encode(),
                "xl/workbook.xml": f'<workbook {ns} xmlns:r="{rel_ns}"><sheets></sheets></workbook>'.encode(),
                "xl/_rels/workbook.xml.rels": b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"></Relationships>',
            }
        names["xl/workbook.xml"] = names["xl/workbook.xml"].replace(
            b"</sheets>", f'<sheet xmlns:r="{rel_ns}" name="附表" sheetId="99" r:id="rIdX"/></sheets>'.encode())
        names["xl/_rels/workbook.xml.rels"] = names["xl/_rels/workbook.xml.rels"].replace(
            b"</Relationships>", f'<Relationship Type="{rel_ns}/worksheet" Target="/xl/worksheets/extra.xml" Id="rIdX"/></Relationships>'.encode())
        names["[Content_Types].xml"] = names["[Content_Types].xml"].replace(
            b"</Types>", b'<Override PartName="/xl/worksheets/extra.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
        for n, data in names.items():
            z.writestr(n, data)
        with z.open("xl/worksheets/extra.xml", "w", force_zip64=True) as fh:
            fh.write(f"<worksheet {ns}><sheetData>".encode())
            for r in range(rows):
                fh.write(f'<row r="{r + 1}">{"".join(cell(r, c) for c in range(cols))}</row>'.encode())
            fh.write(b"</sheetData></worksheet>")


def big_text(d: Path, name: str = "big.txt", year: int = 2020, megabytes: int = 16) -> Path:
    """A text export just under the 16 MB limit: the seed report (made a report of `year`) with
    section 一 one paragraph of varied characters (every 4-character run differs, as the overlap sees them)."""
    import random

    from tests.test_real_layout import SEED_TEXT

    text = SEED_TEXT.read_text(encoding="utf-8").replace("2020年", f"{year}年")
    lines = text.split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("一、")) + 1
    chars = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
    room = (megabytes * (1 << 20) - len(text.encode("utf-8")) - 4096) // 3
    body = "".join(random.Random(name).choices(chars, k=room))
    p = d / name
    p.write_bytes("\n".join(lines[:at] + [body] + lines[at:]).encode("utf-8"))
    return p


def utf16_text(d: Path) -> Path:
    """The seed report saved by Notepad or Word as "Unicode" text: UTF-16 LE with a byte-order mark."""
    from tests.test_real_layout import SEED_TEXT

    p = d / "seed-utf16.txt"
    p.write_bytes(SEED_TEXT.read_text(encoding="utf-8").replace("\n", "\r\n").encode("utf-16"))
    return p


def _previous_pair(d: Path) -> list:
    return ["check", big_text(d, "big.txt"), "--previous", big_text(d, "big-last.txt", 2019)]


# name -> writes its input(s) in a folder and returns the arguments of the command that checks them
SLOW_INPUTS = {
    "docx_breaks": lambda d: ["check", docx_breaks(d)],
    "trailing_newlines": lambda d: ["check", trailing_newlines(d)],
    "html_spans": lambda d: ["check", html_spans(d, 15)],
    "near_labels": lambda d: ["check", near_labels(d)],
    "many_labels": lambda d: ["check", many_labels(d)],
    "annotate_million_cells": lambda d: ["check", million_cells(d), "--annotate"],
    "previous_16mb": _previous_pair,
    "wide_sheet": lambda d: ["check", wide_sheet(d)],
    "utf16_text": lambda d: ["check", utf16_text(d)],
}
