"""Workbooks whose name says another container than their bytes: WPS's zip .et, an .xls that is an .xlsx or a page."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from addin import jsonio
from addin.collection import read_roster
from addin.formats import available_formats
from addin.pipeline import check_file
from tests.factory import broken_values, consistent_values, write_report
from tests.helpers import base_texts
from tests.office import convert, needs_office

ROOT = Path(__file__).resolve().parent.parent
YEAR = 2025
FMT = available_formats()["2021"]


def _codes(result) -> list[tuple]:
    return sorted((f.code, f.severity, f.sheet, f.cell) for f in result.findings)


def _report(path: Path, values=None) -> Path:
    return write_report(path, "2021", YEAR, "青山区财政局", values or broken_values(FMT, 3),
                        texts=base_texts("2021", YEAR))


def _gk(*args):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "addin", "check", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_an_et_that_is_an_xlsx_zip_reads_like_the_xlsx_with_a_notice(tmp_path):
    xlsx = _report(tmp_path / "报告.xlsx")
    et = tmp_path / "报告.et"
    shutil.copy(xlsx, et)
    plain, wps = check_file(xlsx), check_file(et)
    notice = [f for f in wps.findings if f.code == "FILE-17"]
    assert [(f.severity, f.cell) for f in notice] == [("info", None)]
    assert "扩展名是 .et" in notice[0].message and "WPS" in notice[0].message and ".xlsx 格式" in notice[0].message
    assert _codes(wps) == sorted(_codes(plain) + [("FILE-17", "info", None, None)])
    assert wps.status == plain.status == "failed" and wps.unit == plain.unit and wps.report_year == YEAR
    assert not [f for f in plain.findings if f.code == "FILE-17"]


def test_a_zip_et_gets_a_full_marked_copy_that_checks_like_the_input(tmp_path):
    """openpyxl refuses the name .et; the copy is made from the bytes, a real marked .xlsx, not the results-only book."""
    src = tmp_path / "in"
    src.mkdir()
    et = src / "报告.et"
    shutil.move(_report(tmp_path / "报告.xlsx"), et)
    before = et.read_bytes()
    p = _gk(src, "--annotate", "--out-dir", tmp_path / "out", "--workers", "1")
    assert "Traceback" not in p.stderr and p.returncode == 1, p.stdout + p.stderr
    copy = tmp_path / "out" / "报告.校验.xlsx"
    assert copy.is_file() and not (tmp_path / "out" / "报告.校验结果.xlsx").exists(), p.stdout
    assert "已生成标注副本" in p.stdout and "OUT-01" not in p.stdout
    again, first = check_file(copy), check_file(et)
    assert _codes(again) == [c for c in _codes(first) if c[0] != "FILE-17"]
    assert et.read_bytes() == before   # the input is never modified


def test_a_roster_saved_as_zip_et_is_read(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["单位名称", "联系人"])
    wb.active.append(["青山区财政局", "甲"])
    wb.active.append(["青山区教育局", "乙"])
    wb.save(tmp_path / "名单.xlsx")
    shutil.move(tmp_path / "名单.xlsx", tmp_path / "名单.et")
    assert [(u.name, u.contact) for u in read_roster(tmp_path / "名单.et")] == [("青山区财政局", "甲"), ("青山区教育局", "乙")]


@needs_office
def test_libreoffice_files_under_the_other_workbook_name(tmp_path):
    """Real files written by LibreOffice: an .xlsx saved under .xls and .et, a BIFF .xls under .xlsx, an .ods
    under .xlsx; each read by its content with FILE-17 naming the container, findings otherwise unchanged.
    A BIFF .et (WPS's classic format) and files under their own names get no notice."""
    source = _report(tmp_path / "源.xlsx", consistent_values(FMT, 7))
    xlsx = convert(source, "xlsx:Calc MS Excel 2007 XML", tmp_path / "lo-xlsx")
    xls = convert(source, "xls", tmp_path / "lo-xls")
    ods = convert(source, "ods", tmp_path / "lo-ods")
    baseline = _codes(check_file(xlsx))
    assert baseline == _codes(check_file(xls)) == _codes(check_file(ods))
    cases = [(xlsx, ".xls", ".xlsx 格式", "default"), (xlsx, ".et", ".xlsx 格式", "wps"),
             (xls, ".xlsx", ".xls 格式", "default"), (ods, ".xlsx", ".ods 格式", "default"),
             (xls, ".et", None, None)]
    for i, (made, suffix, container, variant) in enumerate(cases):
        renamed = tmp_path / f"改名{i}{suffix}"
        shutil.copy(made, renamed)
        result = check_file(renamed)
        notices = [f for f in result.findings if f.code == "FILE-17"]
        assert result.status == "passed", (suffix, result.findings)
        if container is None:
            assert not notices and _codes(result) == baseline
            continue
        assert len(notices) == 1 and container in notices[0].message and f"扩展名是 {suffix}" in notices[0].message
        assert ("WPS" in notices[0].message) == (variant == "wps")
        assert _codes(result) == sorted(baseline + [("FILE-17", "info", None, None)])


def test_an_xls_that_is_a_web_page_keeps_its_html_notice(tmp_path):
    """Older report systems export «xls» files that are HTML: FILE-11 (the page reader), not FILE-17."""
    page = tmp_path / "导出.xls"
    page.write_text("<html><body><p>政府信息公开工作年度报告</p><table><tr><td>信息内容</td></tr></table></body></html>",
                    encoding="utf-8")
    codes = [f.code for f in check_file(page).findings]
    assert "FILE-11" in codes and "FILE-17" not in codes


def test_json_of_a_zip_et_in_a_folder_batch(tmp_path):
    d = tmp_path / "收集"
    d.mkdir()
    shutil.move(_report(tmp_path / "甲.xlsx", consistent_values(FMT, 5)), d / "甲.et")
    doc = jsonio.loads(_gk(d, "--year", YEAR, "--json", "--workers", "1").stdout)
    assert [f["status"] for f in doc["collection"]["files"]] == ["passed"]
    assert [f["code"] for f in doc["results"][0]["findings"]] == ["FILE-17"]
