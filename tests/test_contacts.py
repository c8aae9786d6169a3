"""The cover's optional contact fields (填报人, 联系电话, 审核人, 报送日期): data document, submission, verify."""
from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from jsonschema import Draft202012Validator

from addin.formats import available_formats
from addin.pipeline import check_file
from addin.validation.schema_check import precheck
from addin.writing.docprops import read_custom_properties
from addin.writing.package_check import check_package
from addin.writing.template import plan
from tests.factory import write_report

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
# made by main at 67ce8e9 (before the contacts were kept) from contacts-filled-2025.xlsx: its embedded
# document has no contact keys, and its cover cells and properties none either
OLD_SUBMISSION = DATA / "submission-made-by-67ce8e9.xlsx"
OLD_INPUT = DATA / "contacts-filled-2025.xlsx"
GIVEN = {"填报人": "张三", "联系电话": "0451-12345678", "审核人": "李四", "报送日期": "2026-01-15"}
YEAR, UNIT = 2025, "某某区某某局"


def gk(*args, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "addin", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, encoding="utf-8")


def report(path: Path, contacts: dict, version: str = "2021", year: int = YEAR) -> Path:
    write_report(path, version, year, UNIT, seed=3)
    p = plan(available_formats()[version], year, UNIT)
    wb = openpyxl.load_workbook(path)
    for key, value in contacts.items():
        sheet, ref = p.address(("cover", key))
        wb[sheet][ref].value = value
    wb.save(path)
    return path


def cell_of(version: str, key: str) -> tuple[str, str]:
    return plan(available_formats()[version], YEAR, UNIT).address(("cover", key))


def rewrite(src: Path, dst: Path, part: str, old: bytes, new: bytes) -> Path:
    with zipfile.ZipFile(src) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    assert parts[part].count(old) == 1, part
    parts[part] = parts[part].replace(old, new)
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return dst


@pytest.mark.parametrize("version", ["2019", "2021"])
def test_the_report_schema_declares_the_layouts_optional_fields_as_optional(version):
    fmt = available_formats()[version]
    cover = fmt.report_schema["properties"]["cover"]
    optional = [f["key"] for f in fmt.layout["cover"]["optional_fields"]]
    assert optional == ["填报人", "联系电话", "审核人", "报送日期"]
    assert set(optional) <= set(cover["properties"]) and not set(optional) & set(cover["required"])


@pytest.mark.parametrize("version", ["2019", "2021"])
def test_filled_contacts_are_in_the_document_and_a_submission_holds_them(tmp_path, version):
    year = 2020 if version == "2019" else YEAR
    path = report(tmp_path / "填报.xlsx", {**GIVEN, "报送日期": datetime.datetime(2026, 1, 15)}, version, year)
    result = check_file(path)
    assert result.status == "passed" and result.counts == {"error": 0, "warning": 0, "info": 0}
    assert {k: result.document["cover"][k] for k in GIVEN} == result.contacts == GIVEN   # a date cell as ISO date
    origin = result.origins["/cover/联系电话"]
    assert (origin.sheet, origin.cell) == cell_of(version, "联系电话")

    out = tmp_path / "报送.xlsx"
    run = gk("submit", path, "-o", out, "--docx", tmp_path / "报告.docx")
    assert run.returncode == 0, run.stdout + run.stderr
    props = read_custom_properties(out)
    assert {k: props[k] for k in GIVEN} == GIVEN
    wb = openpyxl.load_workbook(out)
    for key, value in GIVEN.items():
        sheet, ref = cell_of(version, key)
        assert wb[sheet][ref].value == value
    assert check_file(out).document == result.document   # the submission reads back to the same document
    run = gk("verify", out)
    assert run.returncode == 0 and run.stdout.startswith("一致"), run.stdout
    # the published report has no contact block (and a clerk's phone is not for publication)
    from docx import Document

    doc = Document(str(tmp_path / "报告.docx"))
    text = "\n".join(p.text for p in doc.paragraphs) + "".join(c.text for t in doc.tables for r in t.rows for c in r.cells)
    assert "张三" not in text and "0451-12345678" not in text and "填报人" not in text


def test_a_report_without_contacts_keeps_its_document_and_submission_as_before(tmp_path):
    path = write_report(tmp_path / "r.xlsx", "2021", YEAR, UNIT, seed=3)
    result = check_file(path)
    assert set(result.document["cover"]) == {"单位名称", "报告年度"} and result.contacts == {}
    out = tmp_path / "报送.xlsx"
    assert gk("submit", path, "-o", out).returncode == 0
    assert not set(read_custom_properties(out)) & set(GIVEN)
    assert gk("verify", out).returncode == 0


def test_changing_the_phone_number_in_a_submission_is_named_by_verify(tmp_path):
    path = report(tmp_path / "填报.xlsx", GIVEN)
    out = tmp_path / "报送.xlsx"
    assert gk("submit", path, "-o", out).returncode == 0
    new, old = "0451-99999999".encode(), GIVEN["联系电话"].encode()

    changed = rewrite(out, tmp_path / "属性.xlsx", "docProps/custom.xml", old, new)
    run = gk("verify", changed)
    assert run.returncode == 1
    assert "文档属性“联系电话”：应为 “0451-12345678”，现为 “0451-99999999”" in run.stdout
    check = check_package(changed)
    assert check.status == "modified" and check.message.startswith("自定义文档属性与校验时不同（1 处")

    sheet, ref = cell_of("2021", "联系电话")
    changed = rewrite(out, tmp_path / "单元格.xlsx", "xl/worksheets/sheet1.xml", old, new)
    run = gk("verify", changed)
    assert run.returncode == 1 and f"{sheet}!{ref}：应为 “0451-12345678”，现为 “0451-99999999”" in run.stdout


@pytest.mark.parametrize("key, value, code", [
    ("联系电话", "张三家里", "COV-06"), ("联系电话", "123", "COV-06"), ("联系电话", "0451—12345678", "COV-06"),
    ("报送日期", "下周一", "COV-07"), ("报送日期", "2026-13-01", "COV-07"), ("报送日期", "20260115", "COV-07"),
])
def test_a_doubtful_phone_or_date_is_only_an_info_finding_at_its_cell(tmp_path, key, value, code):
    path = report(tmp_path / "r.xlsx", {key: value})
    result = check_file(path)
    assert [(f.sheet, f.cell, f.code, f.severity) for f in result.findings] == [(*cell_of("2021", key), code, "info")]
    assert result.status == "passed" and value in result.findings[0].message
    assert gk("submit", path, "-o", tmp_path / "报送.xlsx").returncode == 0   # never stops the submission


@pytest.mark.parametrize("key, value", [
    ("联系电话", "(0451)12345678"), ("联系电话", "（0451）1234 5678"), ("联系电话", "13800000001"),
    ("联系电话", "0451-12345678转8001"), ("联系电话", "0451-12345678 ext. 8001"), ("联系电话", "0451-1234567、13800000001"),
    ("联系电话", 13800000001), ("报送日期", "2026/1/15"), ("报送日期", "2026.01.15"), ("报送日期", "2026年1月15日"),
    ("报送日期", "二〇二六年一月十五日"),
])
def test_phone_and_date_as_clerks_write_them_pass_without_a_finding(tmp_path, key, value):
    result = check_file(report(tmp_path / "r.xlsx", {key: value}))
    assert result.findings == [] and result.contacts == {key: str(value)}


@pytest.mark.parametrize("value", ["0451-12345678", "张三", "2026-01-15", "0451-1234567、13800000001", "下周一"])
def test_the_fast_precheck_agrees_with_jsonschema_on_the_patterns(value):
    fmt = available_formats()["2021"]
    document = check_file(OLD_INPUT).document
    full = Draft202012Validator(fmt.inlined_schema)
    for key in ("联系电话", "报送日期"):
        doc = {**document, "cover": {**document["cover"], key: value}}
        # the precheck may only say "fine" (and skip jsonschema) when jsonschema finds nothing
        assert precheck(fmt)(doc) == (not list(full.iter_errors(doc))), (key, value)


def test_a_submission_made_before_contacts_were_kept_still_verifies(tmp_path):
    """Backward compatibility: a file made by main's code at 67ce8e9 (embedded document without contact keys,
    from a report whose cover had them filled) is still the file this version rebuilds from its data."""
    copy = shutil.copy(OLD_SUBMISSION, tmp_path / "旧报送.xlsx")
    with zipfile.ZipFile(copy) as z:
        assert b"0451-12345678" not in z.read("customXml/item1.xml")   # the old document dropped them
    check = check_package(copy)
    assert check.status == "same", check.message
    assert "填报人" not in check.document["cover"]
    run = gk("verify", copy)
    assert run.returncode == 0 and run.stdout.startswith("一致"), run.stdout
    # the same report submitted now carries its contacts
    new = tmp_path / "新报送.xlsx"
    assert gk("submit", OLD_INPUT, "-o", new).returncode == 0
    assert {k: read_custom_properties(new)[k] for k in GIVEN} == GIVEN
    assert check_package(new).document["cover"]["联系电话"] == GIVEN["联系电话"]


def test_the_addin_reads_the_same_contacts_as_the_file(tmp_path):
    """Through xlwings' remote engine (a date cell arrives as an ISO timestamp and becomes a datetime)."""
    os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
    from addin import excel
    from tests.office_js import Client

    path = report(tmp_path / "填报.xlsx", {**GIVEN, "报送日期": datetime.datetime(2026, 1, 15)})
    from_addin = excel.check_book(Client(path).book())
    assert from_addin.document["cover"] == check_file(path).document["cover"]
    assert from_addin.contacts == GIVEN and from_addin.findings == []


def test_a_long_contact_is_whole_in_the_cover_and_cut_to_offices_limit_in_its_property(tmp_path):
    from addin.writing.submission_build import MAX_PROPERTY_CHARS

    long_name = "张三（某某区某某局办公室综合科）" * 30
    path = report(tmp_path / "填报.xlsx", {"填报人": long_name})
    out = tmp_path / "报送.xlsx"
    assert gk("submit", path, "-o", out).returncode == 0
    assert read_custom_properties(out)["填报人"] == long_name[:MAX_PROPERTY_CHARS]
    sheet, ref = cell_of("2021", "填报人")
    assert openpyxl.load_workbook(out)[sheet][ref].value == long_name
    assert gk("verify", out).returncode == 0


def test_the_summary_workbook_lists_the_contacts_of_reports_and_of_submissions(tmp_path):
    """汇总's 联系人: from a report's cover, and from a submission's cover (which now holds them)."""
    folder = tmp_path / "收集"
    folder.mkdir()
    report(folder / "甲.xlsx", GIVEN)
    other = write_report(tmp_path / "乙填报.xlsx", "2021", YEAR, "某某区另一局", seed=4)
    wb = openpyxl.load_workbook(other)
    sheet, ref = cell_of("2021", "联系电话")
    wb[sheet][ref].value = "13800000001"
    wb.save(other)
    assert gk("submit", other, "-o", folder / "乙报送.xlsx").returncode == 0
    run = gk("check", folder, "--summary", tmp_path / "汇总.xlsx", "--workers", "2")
    assert run.returncode == 0, run.stdout + run.stderr
    rows = list(openpyxl.load_workbook(tmp_path / "汇总.xlsx")["汇总"].iter_rows(values_only=True))
    head = rows[0]
    contact = {r[head.index("文件")]: r[head.index("联系人")] for r in rows[1:] if r[head.index("文件")]}
    assert contact == {"甲.xlsx": "填报人：张三；联系电话：0451-12345678；审核人：李四；报送日期：2026-01-15",
                       "乙报送.xlsx": "联系电话：13800000001"}
