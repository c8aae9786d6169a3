"""Hostile and broken input: each case gets a clear finding, no traceback, no hang, bounded memory; inputs never change."""
from __future__ import annotations

import argparse
import hashlib
import html
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


# -- issue 15: the attacks, each a test ---------------------------------------------------------



def _gk(*args, timeout: float = 120, limits: dict | None = None, cwd=ROOT, **kw) -> subprocess.CompletedProcess:
    """`python -m addin ARGS` in a child, optionally under resource limits {RLIMIT_X: value}."""
    import resource

    def preexec():
        for which, value in (limits or {}).items():
            resource.setrlimit(which, (value, value))

    env = dict(os.environ, PYTHONPATH=str(ROOT), **kw.pop("env", {}))
    return subprocess.run([sys.executable, "-m", "addin", *map(str, args)], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout, preexec_fn=preexec if limits else None, **kw)


def _no_traceback(p: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in p.stderr and "Traceback" not in p.stdout, (p.stdout + p.stderr)[-2000:]


def _jsonl(path: Path) -> dict[str, dict]:
    return {Path(i["path"]).name: i for i in map(jsonio.loads, path.read_text(encoding="utf-8").splitlines())}


# §1 nothing lost

def test_a_marked_up_copy_never_overwrites_an_input(tmp_path):
    good, bad = hostile.annotate_onto_input(tmp_path)
    before = _digest(bad)
    p = _gk("check", good, bad, "--annotate")
    _no_traceback(p)
    assert _digest(bad) == before
    assert p.returncode == 1 and "未通过" in p.stdout   # 乙局's failing report is still reported as failing


def test_every_input_gets_its_own_copy(tmp_path):
    made = hostile.copy_name_clash(tmp_path)
    before = {q: _digest(q) for q in made}
    p = _gk("check", tmp_path, "--annotate", "--jsonl", tmp_path / "r.jsonl")
    _no_traceback(p)
    items = _jsonl(tmp_path / "r.jsonl")
    copies = [items[q.name].get("annotated") for q in made]
    assert all(copies) and len(set(copies)) == 3, copies
    assert {q: _digest(q) for q in made} == before


def test_submit_refuses_one_path_for_two_outputs(tmp_path):
    src = hostile._base(tmp_path / "r.xlsx")
    p = _gk("submit", src, "-o", tmp_path / "s.xlsx", "--json", tmp_path / "s.xlsx")
    _no_traceback(p)
    assert p.returncode == 2 and not (tmp_path / "s.xlsx").exists()


def test_the_hash_recorded_is_of_the_bytes_checked(tmp_path, monkeypatch):
    from addin import batch, pipeline
    from addin.pipeline import Options

    good = hostile._base(tmp_path / "r.xlsx")
    original = _digest(good)
    other = hostile._base(tmp_path / "_other.xlsx", unit="乙局").read_bytes()
    real = pipeline.load_workbook

    def read_then_replace(path):
        out = real(path)
        Path(path).write_bytes(other)   # the file changes after it was read, before it is hashed
        return out

    monkeypatch.setattr(pipeline, "load_workbook", read_then_replace)
    result = batch.check_one(str(good), Options())
    assert result.unit == "甲局" and result.content_hash == original
    assert _digest(good) != original   # the replacement did happen


def test_entries_that_are_not_regular_files_are_reported(tmp_path):
    made = hostile.odd_entries(tmp_path)
    p = _gk("check", tmp_path, "--jsonl", tmp_path / "r.jsonl", "--workers", "2", "--timeout", "5", timeout=60)
    _no_traceback(p)
    items = _jsonl(tmp_path / "r.jsonl")
    for name, q in made.items():
        assert q.name in items or f"{name}" in p.stdout, (name, p.stdout[-800:])


# §2 verify means "exactly the file gkreport wrote"

@pytest.fixture(scope="module")
def submission(tmp_path_factory):
    d = tmp_path_factory.mktemp("submission")
    src = hostile._base(d / "r.xlsx")
    p = _gk("submit", src, "-o", d / "s.xlsx")
    assert p.returncode == 0, p.stdout + p.stderr
    return d / "s.xlsx"


def test_verify_accepts_the_file_submit_wrote(submission):
    p = _gk("verify", submission)
    assert p.returncode == 0 and p.stdout.startswith("一致"), p.stdout


CELL_NAMED = {"number_format_999": "D6", "number_format_suffix": "D6", "stale_formula": "D6", "money_as_text": "D6",
              "label_note": "A9", "title_other_unit": "A1", "text_after_new_heading": "A40", "embedded_data_resealed": "A1"}


@pytest.mark.parametrize("variant", sorted(hostile.TAMPERS))
def test_verify_finds_what_the_reader_tolerates(submission, tmp_path, variant):
    changed = hostile.tamper(submission, tmp_path / f"{variant}.xlsx", variant)
    p = _gk("verify", changed)
    _no_traceback(p)
    assert p.returncode == 1 and not p.stdout.startswith("一致"), p.stdout
    assert "已被修改" in p.stdout
    if variant in CELL_NAMED:
        assert "!" + CELL_NAMED[variant] in p.stdout, p.stdout


def test_the_package_check_names_the_first_difference(tmp_path):
    import datetime

    from addin.pipeline import check_file
    from addin.writing.package_check import check_package, package_bytes
    from addin.writing.submission import canonical_document

    r = check_file(hostile._base(tmp_path / "r.xlsx"))
    sub = tmp_path / "s.xlsx"
    sub.write_bytes(package_bytes(canonical_document(r.document), r.format_version,
                                  datetime.datetime(2026, 3, 1, 9, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))))
    assert check_package(sub).status == "same"
    for variant in hostile.TAMPERS:
        c = check_package(hostile.tamper(sub, tmp_path / f"{variant}.xlsx", variant))
        assert c.status == "modified" and c.message, variant
        if variant in CELL_NAMED:
            assert any(f"!{CELL_NAMED[variant]}：" in cell for cell in c.cells), (variant, c.cells)


# §3 no hang

@pytest.mark.parametrize("how", [[], ["--workers", "2"], ["submit"], ["verify"]])
def test_a_fifo_named_like_a_workbook_does_not_hang(tmp_path, how):
    f = hostile.fifo(tmp_path)
    if how == ["submit"]:
        args = ["submit", f, "-o", tmp_path / "s.xlsx"]
    elif how == ["verify"]:
        args = ["verify", f]
    else:
        args = ["check", f, "--timeout", "3", *how]
    p = _gk(*args, timeout=60)
    _no_traceback(p)
    assert p.returncode == 1


@pytest.mark.parametrize("option", [["--timeout", "nan"], ["--timeout", "inf"], ["--timeout", "0"], ["--workers", "0"]])
def test_options_are_validated(tmp_path, option):
    src = hostile._base(tmp_path / "r.xlsx")
    p = _gk("check", src, *option, timeout=60)
    _no_traceback(p)
    assert p.returncode == 2 and "用法错误" in p.stderr


def test_workers_are_capped_at_the_cores():
    """--workers 1000 starts no more worker processes than there are cores."""
    from addin.batch import default_workers
    from addin.commands import check

    parser = argparse.ArgumentParser()
    check.add_parser(parser.add_subparsers())
    settings = check.settings_from_args(parser.parse_args(["check", "x.xlsx", "--workers", "1000"]))
    assert settings.workers == default_workers()
    assert check.settings_from_args(parser.parse_args(["check", "x.xlsx", "--workers", "1"])).workers == 1


# §4 no traceback

def test_control_characters_in_cells_are_written_and_never_printed(tmp_path):
    src = hostile.control_characters(tmp_path)
    for args in (["check", src], ["check", src, "--annotate"], ["submit", src, "-o", tmp_path / "s.xlsx"],
                 ["template", "--year", "2022", "--unit", "甲局\x0b\x1b[2J", "-o", tmp_path / "t.xlsx"]):
        p = _gk(*args)
        _no_traceback(p)
        assert "\x1b" not in p.stdout + p.stderr and "\x07" not in p.stdout + p.stderr, args
        assert p.returncode in (0, 1), (args, p.stderr)
    assert _gk("verify", tmp_path / "s.xlsx").returncode == 0


def test_a_file_name_cannot_forge_a_result_line(tmp_path):
    src = hostile.newline_name(tmp_path)
    bad = hostile._base(tmp_path / "z.xlsx", values={})
    p = _gk("check", src, bad)
    _no_traceback(p)
    assert not any(line.startswith("结果：通过") for line in p.stdout.splitlines()), p.stdout


@pytest.mark.parametrize("where", ["jsonl_full", "summary_directory", "summary_not_a_folder"])
def test_output_errors_are_messages_with_exit_codes(tmp_path, where):
    src = hostile._base(tmp_path / "r.xlsx")
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    args = {"jsonl_full": ["--jsonl", "/dev/full"], "summary_directory": ["--summary", tmp_path],
            "summary_not_a_folder": ["--summary", blocker / "s.xlsx"]}[where]
    p = _gk("check", src, *args)
    _no_traceback(p)
    # refused before the run where it can be told (2); a full device is found when written (1)
    assert p.returncode == (1 if where == "jsonl_full" else 2) and any("\u4e00" <= ch <= "\u9fff" for ch in p.stderr), p.stderr


def test_few_file_descriptors_still_give_every_result(tmp_path):
    import resource

    for i in range(4):
        hostile._base(tmp_path / f"r{i}.xlsx")
    p = _gk("check", tmp_path, "--workers", "2", "--jsonl", tmp_path / "out.jsonl", limits={resource.RLIMIT_NOFILE: 10})
    _no_traceback(p)
    assert len(_jsonl(tmp_path / "out.jsonl")) == 4


def test_a_long_narrative_round_trips_through_submit(tmp_path):
    src = hostile.long_narrative(tmp_path)
    p = _gk("submit", src, "-o", tmp_path / "s.xlsx")
    _no_traceback(p)
    assert p.returncode == 0, p.stdout + p.stderr
    assert _gk("verify", tmp_path / "s.xlsx").returncode == 0
    # Excel keeps at most 32,767 characters in a cell: a longer text is stored over several
    with zipfile.ZipFile(tmp_path / "s.xlsx") as z:
        texts = [t for n in z.namelist() if n.startswith("xl/worksheets/")
                 for t in re.findall(r"<t[^>]*>([^<]*)</t>", z.read(n).decode())]
    assert max(len(html.unescape(t)) for t in texts) <= 32_767


# §5 bounded time and memory (CPU seconds and peak memory of the command, measured in a fresh process)

def _measured(args: list, timeout: float = 60) -> tuple[float, int, subprocess.CompletedProcess]:
    """(CPU seconds, peak resident MB of the largest process, result) of `gkreport ARGS`."""
    code = ("import json, resource, subprocess, sys; p = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
            "r = resource.getrusage(resource.RUSAGE_CHILDREN); "
            "print(json.dumps([r.ru_utime + r.ru_stime, r.ru_maxrss // 1024, p.returncode, p.stdout[-3000:], p.stderr[-3000:]]))")
    out = subprocess.run([sys.executable, "-c", code, sys.executable, "-m", "addin", *map(str, args)], cwd=ROOT,
                         capture_output=True, text=True, timeout=timeout, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    cpu, mb, rc, stdout, stderr = jsonio.loads(out.stdout)
    return float(cpu), mb, subprocess.CompletedProcess(args, rc, stdout, stderr)


@pytest.mark.parametrize("name", sorted(hostile.SLOW_INPUTS))
def test_small_inputs_check_in_bounded_time_and_memory(tmp_path, name):
    args = hostile.SLOW_INPUTS[name](tmp_path)
    cpu, mb, p = _measured(args, timeout=120)
    _no_traceback(p)
    assert p.returncode in (0, 1), p.stderr
    assert cpu < 10 and mb < 1024, (cpu, mb)


def test_a_sheet_inside_the_read_box_is_read_whole(tmp_path):
    from addin.pipeline import check_file

    r = check_file(hostile.wide_sheet(tmp_path))
    assert "FILE-10" not in [f.code for f in r.findings]


def test_unicode_text_is_read_like_utf8(tmp_path):
    from addin.pipeline import check_file
    from tests.test_real_layout import SEED_TEXT

    a, b = check_file(hostile.utf16_text(tmp_path)), check_file(SEED_TEXT)
    assert a.unit == b.unit and [(f.code, f.cell) for f in a.findings] == [(f.code, f.cell) for f in b.findings]


def test_html_span_placement_is_linear():
    from addin.reading.html_tables import read_html

    # a 256 x 256 span fills every column: each later cell of those rows is dropped without a rescan
    page = b"<table><tr><td colspan=256 rowspan=256>x</td>" + b"<td></td>" * 50_000 + b"</tr></table>"
    import time

    t = time.process_time()
    rows = read_html(page).sheets[0].rows
    assert time.process_time() - t < 2 and len(rows) == 257


_ISOLATED_CALL = """
import os, sys, time
from addin.batch import CallFailed, call_isolated

def sleep_forever():
    while True:
        time.sleep(1)

def die():
    os._exit(3)

for fn in (sleep_forever, die):
    try:
        call_isolated(fn, (), 1.0)
        print("answered")
    except CallFailed as exc:
        print("failed", exc)
print(call_isolated(sum, ([1, 2],), 5.0))
"""


def test_submit_and_verify_read_their_input_isolated_and_under_the_time_limit():
    # in a fresh process: forked isolation needs a process without other threads (a test run may have some)
    p = subprocess.run([sys.executable, "-c", _ISOLATED_CALL], cwd=ROOT, capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, PYTHONPATH=str(ROOT)))
    lines = p.stdout.splitlines()
    assert lines[0].startswith("failed 超过时限") and lines[1].startswith("failed") and lines[2] == "3", p.stdout + p.stderr
