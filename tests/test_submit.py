"""Submission file: refused with errors, clean and digest-stamped otherwise, verifiable, LibreOffice-readable."""
from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from tests.office import convert, needs_office, pdf_pages
from addin import jsonio
from addin.formats import available_formats
from addin.pipeline import check_file
from addin.writing import submission
from addin.writing.template import build_workbook, plan, save_workbook

ROOT = Path(__file__).resolve().parents[1]
SEED = json.loads((ROOT / "tests" / "cases" / "seed_2020" / "values.json").read_text(encoding="utf-8"))
FMT = available_formats()["2019"]
UNIT = "测试市测试区人民政府办公室"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "addin", *args], cwd=ROOT, capture_output=True, text=True, timeout=180)


def clean_values() -> dict:
    """Consistent numbers, typed the way people type them: padded, full-width, money with trailing zeros."""
    values = {c.pointer: 0 for c in FMT.cells}
    values["/T2/A1/规章/本年新制作数量"] = "\u00a02 "
    values["/T2/A1/规章/本年新公开数量"] = "２"
    values["/T2/A1/规章/对外公开总数量"] = 10
    values["/T2/A6/行政处罚/处理决定数量"] = "\u3000\u300037"
    values["/T2/A9/政府集中采购/采购项目数量"] = 3
    values["/T2/A9/政府集中采购/采购总金额"] = "12.3400"
    return values


@pytest.fixture
def clean(tmp_path) -> Path:
    wb = build_workbook(FMT, 2020, UNIT, values=clean_values(), texts={"一": "  本年度总体情况。\n第二段。", "六": "无"})
    path = tmp_path / "clean.xlsx"
    save_workbook(wb, path)
    return path


@pytest.fixture
def submitted(clean, tmp_path):
    out, js = tmp_path / "报送.xlsx", tmp_path / "报送.json"
    proc = run_cli("submit", str(clean), "-o", str(out), "--json", str(js))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return clean, out, js, proc


def test_seed_workbook_is_refused(tmp_path):
    src = tmp_path / "seed.xlsx"
    save_workbook(build_workbook(FMT, SEED["year"], SEED["unit"], values=SEED["values"]), src)
    out = tmp_path / "out.xlsx"
    proc = run_cli("submit", str(src), "-o", str(out), "--json", str(tmp_path / "out.json"))
    assert proc.returncode == 1
    assert "未生成报送文件" in proc.stdout and proc.stdout.count("VAL-01") == 5
    assert not out.exists() and not (tmp_path / "out.json").exists()
    assert sorted(os.listdir(tmp_path)) == ["seed.xlsx"]


def test_submission_is_clean_typed_and_stamped(submitted):
    clean, out, js, proc = submitted
    source = check_file(clean)
    assert source.counts["error"] == 0 and source.counts["info"] >= 3   # padded/full-width values were noticed
    wb = openpyxl.load_workbook(out)
    names = zipfile.ZipFile(out).namelist()
    assert not [n for n in names if re.match(r"xl/(comments|drawings|externalLinks|vbaProject|media)", n)]
    assert all(ws.sheet_state == "visible" for ws in wb.worksheets)
    assert "校验结果" not in wb.sheetnames and "_gkreport" not in wb.sheetnames
    p = plan(FMT, 2020, UNIT)
    for pointer, cell in p.data.items():
        value = wb[cell.sheet][cell.ref].value
        assert wb[cell.sheet][cell.ref].data_type == "n", pointer
        kind = FMT.by_pointer[pointer].type
        assert isinstance(value, (int, float)) and not isinstance(value, bool)
        if kind in ("count", "signed"):
            assert isinstance(value, int), pointer
    assert wb[p.data["/T2/A1/规章/本年新公开数量"].sheet][p.data["/T2/A1/规章/本年新公开数量"].ref].value == 2
    assert wb[p.data["/T2/A6/行政处罚/处理决定数量"].sheet][p.data["/T2/A6/行政处罚/处理决定数量"].ref].value == 37
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.comment is None and c.data_type != "f"

    assert wb.properties.title == f"{UNIT}2020年政府信息公开工作年度报告"
    props = {p.name: p.value for p in wb.custom_doc_props.props}
    assert props["gkreport.unit"] == UNIT and props["gkreport.report_year"] == "2020"
    assert props["gkreport.format_version"] == "2019" and props["gkreport.version"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", props["gkreport.validated_at"])
    # The digest is that of the canonical data document, which is exactly the --json file.
    data = js.read_bytes()
    assert props["gkreport.sha256"] == hashlib.sha256(data).hexdigest()
    doc = jsonio.loads(data.decode("utf-8"))
    assert data.decode("utf-8") == jsonio.dumps(doc, canonical=True)
    assert doc["T2"]["A9"]["政府集中采购"]["采购总金额"] == Decimal("12.34")
    assert doc == submission.canonical_document(source.document)
    assert props["gkreport.sha256"] in proc.stdout


def test_check_of_submission_gives_identical_document(submitted):
    clean, out, js, _ = submitted
    again = check_file(out)
    assert again.counts["error"] == 0
    assert jsonio.dumps(again.document, canonical=True) == js.read_text(encoding="utf-8")
    proc = run_cli("check", str(out))
    assert proc.returncode == 0


def test_verify_detects_a_single_changed_cell(submitted, tmp_path):
    _, out, _, _ = submitted
    proc = run_cli("verify", str(out))
    assert proc.returncode == 0 and "一致" in proc.stdout

    edited = tmp_path / "edited.xlsx"
    wb = openpyxl.load_workbook(out)
    cell = plan(FMT, 2020, UNIT).data["/T2/A1/规章/对外公开总数量"]
    wb[cell.sheet][cell.ref].value = 11
    wb.save(edited)
    assert {p.name for p in openpyxl.load_workbook(edited).custom_doc_props.props} >= {"gkreport.sha256"}
    proc = run_cli("verify", str(edited))
    assert proc.returncode == 1 and "已被修改" in proc.stdout

    proc = run_cli("verify", str(submitted[0]))
    assert proc.returncode == 1 and "没有" in proc.stdout and "摘要" in proc.stdout


@needs_office
def test_submission_opens_in_libreoffice(submitted, tmp_path):
    _, out, _, _ = submitted
    pages = pdf_pages(convert(out, "pdf", tmp_path / "pdf"))
    assert 3 <= pages <= 12, pages


def test_failed_write_leaves_no_partial_output(clean, tmp_path, monkeypatch):
    from openpyxl.writer import excel

    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "报送.xlsx"
    out.write_bytes(b"previous version")
    result = check_file(clean)

    def broken(self):
        self._archive.writestr("xl/partial.xml", b"<x/>" * 1000)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(excel.ExcelWriter, "write_data", broken)
    with pytest.raises(OSError):
        submission.write_submission(result, out, out_dir / "报送.json")
    assert out.read_bytes() == b"previous version"
    assert sorted(os.listdir(out_dir)) == ["报送.xlsx"]


def test_output_may_not_overwrite_input(clean):
    before = clean.read_bytes()
    proc = run_cli("submit", str(clean), "-o", str(clean))
    assert proc.returncode == 1 and clean.read_bytes() == before


def test_output_must_be_xlsx(clean, tmp_path):
    proc = run_cli("submit", str(clean), "-o", str(tmp_path / "out.xlsm"))
    assert proc.returncode == 2 and not (tmp_path / "out.xlsm").exists()
