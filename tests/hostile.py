"""Generators of hostile and broken input files (no committed binaries): each writes one file and returns its path."""
from __future__ import annotations

import os
import struct
import zipfile
import zlib
from pathlib import Path

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
