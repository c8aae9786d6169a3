"""Hostile and broken input: each case gets a clear finding, no traceback, no hang, bounded memory; inputs never change."""
from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import pytest

from addin import jsonio
from addin.pipeline import check_file
from addin.reading.model import parse_a1
from tests import hostile

ROOT = Path(__file__).resolve().parent.parent

# generator -> (status, the code that must be among the findings)
EXPECTED = {
    "empty": ("unreadable", "FILE-04"),
    "random_bytes": ("unreadable", "FILE-04"),
    "truncated_zip": ("unreadable", "FILE-04"),
    "zip_without_workbook": ("unreadable", "FILE-04"),
    "encrypted": ("unreadable", "FILE-03"),
    "with_macros": ("passed", "FILE-06"),
    "docx_renamed": ("failed", "FILE-13"),     # read as the Word document it is; it holds no report
    "billion_laughs": ("unreadable", "FILE-04"),
    "zip_bomb": ("unreadable", "FILE-05"),
    "million_rows": ("passed", "FILE-10"),
    "long_text": ("failed", "VAL-03"),
    "uncached_formula": ("failed", "FML-01"),
    "external_link": ("passed", "FILE-07"),
    "hidden_tables": ("passed", "WB-01"),
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("hostile")
    secret = d.parent / f"secret-{os.getpid()}.txt"
    secret.write_text("TOPSECRET-4711")
    made = {name: getattr(hostile, name)(d) for name in EXPECTED}
    made["xxe"] = hostile.xxe(d, secret)
    return d, made


def _digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_every_hostile_file_gets_its_finding_and_the_batch_goes_on(corpus, tmp_path):
    d, made = corpus
    before = {p.name: _digest(p) for p in made.values()}
    out = tmp_path / "r.jsonl"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.run([sys.executable, "-m", "addin", "check", str(d), "--workers", "2", "--jsonl", str(out),
                        "--summary", str(tmp_path / "s.xlsx")], cwd=ROOT, env=env, capture_output=True, text=True,
                       timeout=300)
    assert "Traceback" not in p.stderr and "Traceback" not in p.stdout
    assert p.returncode == 1
    items = {Path(i["path"]).name: i for i in map(jsonio.loads, out.read_text(encoding="utf-8").splitlines())}
    assert len(items) == len(made)
    for name, (status, code) in EXPECTED.items():
        item = items[made[name].name]
        assert item["status"] == status, (name, item["findings"][:3])
        assert code in [f["code"] for f in item["findings"]], (name, item["findings"][:3])
        for f in item["findings"]:
            assert any("\u4e00" <= ch <= "\u9fff" for ch in f["message"]), f   # a Chinese message
            assert "{" not in f["message"], f                                     # every placeholder filled
            assert len(f["message"]) < 600
    xxe = items[made["xxe"].name]
    assert xxe["status"] == "unreadable" and xxe["findings"][0]["code"] == "FILE-04"
    assert "TOPSECRET" not in out.read_text(encoding="utf-8") and "TOPSECRET" not in p.stdout
    assert {p.name: _digest(p) for p in made.values()} == before


# Peak memory of the child is read from /proc/self/status (VmHWM: this process image only);
# ru_maxrss would also count the size of the test runner the child was forked from.


def test_million_row_sheet_is_read_in_bounded_memory_and_time(corpus):
    _, made = corpus
    code = ("import resource, sys, time; from addin.pipeline import check_file; t = time.monotonic(); "
            f"r = check_file({str(made['million_rows'])!r}); "
            "print(r.status, int(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM'))), time.monotonic() - t)")
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, PYTHONPATH=str(ROOT)))
    status, peak_kb, seconds = p.stdout.split()
    assert status == "passed"
    assert int(peak_kb) < 200 * 1024, f"peak {int(peak_kb) // 1024} MB"   # calamine alone took ~550 MB before the cut
    assert float(seconds) < 30


FAR_AWAY = {   # two cells at opposite corners, written the ways calamine accepts
    "double_quotes": b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',
    "single_quotes": b"<row r='1048576'><c r='XFD1048576' t='n'><v>1</v></c></row>",
    "spaces": b'<row r = "1048576"><c r = "XFD1048576" t="n"><v>1</v></c></row>',
    "lower_case": b"<row r='1048576'><c r='xfd1048576'><v>1</v></c></row>",
    # a far row whose cell has no reference of its own (calamine places it by the row), with a wide row
    "row_number_only": b'<row r="3000"><c r="IV3000"><v>1</v></c></row><row r="1048576"><c><v>1</v></c></row>',
    # the cell's reference places it, not the row it sits in
    "cell_in_near_row": b'<row r="5"><c r="IV1048576"><v>1</v></c></row>',
    "prefixed": b'<x:row r="1048576"><x:c r="XFD1048576"><x:v>1</x:v></x:c></x:row>',
    # a row number of 5,000 digits (more than int() takes from text)
    "endless_digits": b'<row r="3"><c r="IV3"><v>1</v></c></row><row r="' + b"9" * 5000 + b'"><c r="A' + b"9" * 5000 + b'"><v>1</v></c></row>',
    # cells and rows without references: calamine puts each right of (or below) the one before
    "implicit_columns": b'<row r="900"><c r="A900"><v>1</v></c></row><row>' + b"<c><v>1</v></c>" * 20_000 + b"</row>",
    "implicit_rows": b'<row r="3"><c r="IV3"><v>1</v></c></row>' + b"<row><c><v>1</v></c></row>" * 30_000,
}


@pytest.mark.parametrize("variant", sorted(FAR_AWAY) + ["all_prefixed"])
def test_cells_far_away_do_not_blow_up_the_grid(tmp_path, variant):
    # calamine would allocate the cells' whole bounding box (up to 1M x 16K cells, hundreds of GB)
    src = hostile._base(tmp_path / "_c.xlsx")
    with zipfile.ZipFile(src) as z:
        sheet = z.read("xl/worksheets/sheet4.xml")
    if variant == "all_prefixed":   # every element with a namespace prefix (as some generators write), cut down too
        sheet = sheet.replace(b"</sheetData>", FAR_AWAY["double_quotes"] + b"</sheetData>")
        sheet = re.sub(rb"<(/?)([A-Za-z]+)([ >/])", rb"<\1x:\2\3", sheet).replace(
            b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
            b'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"')
    else:
        sheet = sheet.replace(b"</sheetData>", FAR_AWAY[variant] + b"</sheetData>")
    p = hostile._rewrite(src, tmp_path / "corner.xlsx", replace={"xl/worksheets/sheet4.xml": sheet})
    # the child may not take more than 3 GB of address space: a regression fails fast instead of swapping
    code = ("import resource; resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30)); "
            "from addin.pipeline import check_file; "
            f"r = check_file({str(p)!r}); print(r.status, ','.join(f.code for f in r.findings), "
            "int(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM'))))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert out.returncode == 0, out.stderr[-500:]
    status, codes, peak_kb = out.stdout.split()
    assert "FILE-10" in codes.split(",")
    # far cells alone leave the report as it was; 30,000 rows of ones below table 四 are read as its rows
    assert status == ("failed" if variant == "implicit_rows" else "passed"), codes
    # implicit_rows fills the whole read box (20,000 rows x 256 columns: ~260 MB); the others stay small
    assert int(peak_kb) < (400 if variant == "implicit_rows" else 200) * 1024


PACKAGING = ["other_case", "backslashes", "duplicate_far_first", "duplicate_far_last", "relationships_other_case"]


@pytest.mark.parametrize("variant", PACKAGING)
def test_a_far_sheet_is_found_however_the_package_names_it(tmp_path, variant):
    """calamine finds parts whatever the case of their names, takes "\\" for "/" and may take either of
    two members of one name: the sheet it reads must be the one checked (else: ~512 GB, abort)."""
    src = hostile._base(tmp_path / "_c.xlsx")
    part = "xl/worksheets/sheet4.xml"
    with zipfile.ZipFile(src) as z:
        members = [(i.filename, z.read(i)) for i in z.infolist()]
    far = dict(members)[part].replace(b"</sheetData>", FAR_AWAY["double_quotes"] + b"</sheetData>")
    out = []
    for name, data in members:
        if name == part:
            out += {"other_case": [("xl/worksheets/Sheet4.xml", far)],
                    "backslashes": [("xl\\worksheets\\sheet4.xml", far)],
                    "duplicate_far_first": [(name, far), (name, data)],
                    "duplicate_far_last": [(name, data), (name, far)],
                    "relationships_other_case": [(name, far)]}[variant]
        elif name == "xl/_rels/workbook.xml.rels" and variant == "relationships_other_case":
            out.append(("xl/_rels/Workbook.xml.rels", data))
        else:
            out.append((name, data))
    p = tmp_path / f"{variant}.xlsx"
    with warnings.catch_warnings(), zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as z:
        warnings.simplefilter("ignore")   # zipfile warns about the duplicate name
        for name, data in out:
            z.writestr(name, data)
    before = p.read_bytes()
    code = ("import resource; resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30)); "
            "from addin.pipeline import check_file; "
            f"r = check_file({str(p)!r}); print(r.status, ','.join(f.code for f in r.findings))")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert run.returncode == 0, run.stderr[-500:]
    status, codes = run.stdout.split()
    assert status == "passed" and "FILE-10" in codes.split(","), run.stdout
    assert p.read_bytes() == before


def _with_date_style(styles: bytes) -> tuple[bytes, int]:
    """styles.xml with one more cell format, a date (built-in format 14), and that format's index."""

    count = int(re.search(rb'<cellXfs count="(\d+)"', styles).group(1))
    styles = styles.replace(b"</cellXfs>", b'<xf numFmtId="14" fontId="0" fillId="0" borderId="0" applyNumberFormat="1"/></cellXfs>')
    return re.sub(rb'<cellXfs count="\d+"', b'<cellXfs count="%d"' % (count + 1), styles), count


@pytest.mark.parametrize("variant", ["shared_strings_count", "date_out_of_range"])
def test_values_that_break_the_reader_give_a_finding(tmp_path, variant):
    """A shared-string table declaring 4 billion entries (calamine reserves 96 GB and aborts) is refused;
    a date cell holding -1e308 (calamine's Rust code panics, a BaseException in Python) is a finding."""
    src = hostile._base(tmp_path / "_c.xlsx")
    with zipfile.ZipFile(src) as z:
        sheet, styles = z.read("xl/worksheets/sheet4.xml"), z.read("xl/styles.xml")
    if variant == "shared_strings_count":
        sst = (b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
               b'count="4000000000" uniqueCount="4000000000"><si><t>x</t></si></sst>')
        p = hostile._rewrite(src, tmp_path / "sst.xlsx", add={"xl/sharedStrings.xml": sst})
        expected = ("unreadable", "FILE-05")
    else:
        styles, date = _with_date_style(styles)
        sheet = sheet.replace(b"</sheetData>", b'<row r="40"><c r="A40" s="%d"><v>-1e308</v></c></row></sheetData>' % date)
        p = hostile._rewrite(src, tmp_path / "date.xlsx", replace={"xl/worksheets/sheet4.xml": sheet, "xl/styles.xml": styles})
        expected = ("unreadable", "FILE-04")
    code = ("import resource; resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30)); "
            "from addin.pipeline import check_file; "
            f"r = check_file({str(p)!r}); print(r.status, ','.join(f.code for f in r.findings))")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr[-500:]
    assert tuple(run.stdout.split()) == expected


def _drop_implied_references(xml: bytes) -> bytes:
    """The sheet as generators that omit references write it: a cell's r only where it is not the
    cell right of the one before (and a row's r only where it is not the row after the one before)."""
    def row(m):
        head, body = m.group(1), m.group(2)
        last = [-1]

        def cell(c):
            r, col = parse_a1(c.group(1).decode())
            implied = col == last[0] + 1
            last[0] = col
            return b"<c" + (b"" if implied else b' r="' + c.group(1) + b'"')

        return head + re.sub(rb'<c r="([A-Z]+[0-9]+)"', cell, body)

    return re.sub(rb'(<row\b[^>]*>)(.*?</row>)', row, xml, flags=re.S)


@pytest.mark.parametrize("style", ["prefixed", "single_quotes", "implied_references"])
def test_formula_without_result_is_found_however_written(tmp_path, style):
    # the same uncached formula (FML-01), in a sheet whose elements carry a prefix or whose
    # references are in single quotes
    src = hostile.uncached_formula(tmp_path)
    with zipfile.ZipFile(src) as z:
        names = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
        parts = {n: z.read(n) for n in names}
    rewritten = {}
    for name, xml in parts.items():
        if style == "prefixed":
            xml = re.sub(rb"<(/?)([A-Za-z]+)([ >/])", rb"<\1x:\2\3", xml).replace(
                b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
                b'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"')
        elif style == "implied_references":
            xml = _drop_implied_references(xml)
        else:
            xml = re.sub(rb' r="([A-Z]+[0-9]+)"', rb" r='\1'", xml)
        rewritten[name] = xml
    p = hostile._rewrite(src, tmp_path / f"formula_{style}.xlsx", replace=rewritten)
    before = {(f.sheet, f.cell, f.code) for f in check_file(src).findings if f.code == "FML-01"}
    after = {(f.sheet, f.cell, f.code) for f in check_file(p).findings if f.code == "FML-01"}
    assert before and after == before
