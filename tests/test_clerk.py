"""A clerk's year end, through the command line: blank template, filled by a program, checked, submitted, published."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from addin.formats import available_formats
from addin.pipeline import check_file
from addin.writing.docprops import PROP_VALIDATED_AT, read_custom_properties
from addin.writing.template import plan
from tests.factory import consistent_values
from tests.helpers import base_texts
from tests.long_text import long_overview
from tests.office import convert, needs_office

ROOT = Path(__file__).resolve().parent.parent
UNIT = "某某市某某区某某街道办事处"
YEAR = 2026
STANDARD_NAME = f"{UNIT}{YEAR}年政府信息公开工作年度报告"


def gk(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "addin", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, **kwargs)


def words(text: str) -> str:
    return "".join(re.findall(r"\w", text))


def pdf_words(pdf: Path) -> str:
    return words(subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True,
                                check=True).stdout)


def fill_like_a_program(template: Path, target: Path, texts: dict) -> Path:
    """Type the numbers (not the totals: they are formulas) and one paragraph per row into the blank
    template with openpyxl, which saves the formulas without results, as many generators do."""
    fmt = available_formats()["2021"]
    p = plan(fmt, YEAR, UNIT)
    wb = openpyxl.load_workbook(template)
    for pointer, value in consistent_values(fmt).items():
        if pointer not in p.totals:
            sheet, ref = p.address(pointer)
            wb[sheet][ref].value = value
    for key, text in texts.items():
        for i, line in enumerate(text.split("\n")):
            sheet, ref = p.address(("text", key) if i == 0 else ("text", key, i))
            wb[sheet][ref].value = line
    wb.save(target)
    return target


@pytest.fixture(scope="module")
def texts():
    texts = base_texts("2021", YEAR)
    texts["一"] = long_overview(YEAR) + "\n" + texts["一"]
    assert len(texts["一"]) >= 4000 and texts["一"].count("\n") < 10   # fits the template's paragraph rows
    return texts


@pytest.fixture(scope="module")
def filled(tmp_path_factory, texts):
    tmp = tmp_path_factory.mktemp("clerk")
    made = gk("template", "--year", YEAR, "--unit", UNIT, "-o", tmp / "模板.xlsx")
    assert made.returncode == 0, made.stderr
    return fill_like_a_program(tmp / "模板.xlsx", tmp / "填报.xlsx", texts)


def test_filled_template_checks_clean_and_reads_the_text_back_exactly(filled, texts):
    run = gk("check", "--json", filled)
    result = json.loads(run.stdout)["results"][0]
    assert [f for f in result["findings"] if f["severity"] == "error"] == []
    assert run.returncode == 0
    assert check_file(filled).document["text"] == {k: texts[k] for k in ("一", "五", "六")}


@needs_office
def test_long_overview_survives_submit_and_docx_and_prints_whole(filled, texts, tmp_path):
    out = tmp_path / "报送"
    out.mkdir()
    run = gk("submit", filled, "-o", out, "--docx", out / "报告.docx", "--json", out / "data.json")
    assert run.returncode == 0, run.stdout + run.stderr
    submission = out / f"{STANDARD_NAME}.xlsx"
    assert submission.is_file()
    data = json.loads((out / "data.json").read_text(encoding="utf-8"))
    assert data["text"] == {k: texts[k] for k in ("一", "五", "六")}     # not cut
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", read_custom_properties(submission)[PROP_VALIDATED_AT])
    for printed in (submission, out / "报告.docx"):
        flat = pdf_words(convert(printed, "pdf", tmp_path / printed.suffix[1:]))
        for paragraph in texts["一"].split("\n"):
            assert words(paragraph) in flat, (printed.name, paragraph[:20])
        assert sum(len(words(p)) for p in texts["一"].split("\n")) >= 3600


def test_submit_without_output_uses_the_standard_name_beside_the_input(filled, tmp_path):
    src = tmp_path / filled.name
    src.write_bytes(filled.read_bytes())
    run = gk("submit", src)
    assert run.returncode == 0, run.stdout + run.stderr
    assert (tmp_path / f"{STANDARD_NAME}.xlsx").is_file()


@pytest.mark.parametrize("option, name", [("-o", "报送.xls"), ("--json", "数据.txt"), ("--docx", "报告.doc")])
def test_submit_refuses_a_name_whose_extension_does_not_match(filled, tmp_path, option, name):
    run = gk("submit", filled, option, tmp_path / name, *(["-o", tmp_path] if option != "-o" else []))
    assert run.returncode == 2 and "必须以" in run.stderr
    assert list(tmp_path.iterdir()) == []


@needs_office
def test_uncached_totals_are_worked_out_as_libreoffice_computes_them(filled, tmp_path):
    """openpyxl saved the template's SUM formulas without results: the checker works them out from the
    cells they add, and gets what LibreOffice's recalculation stores."""
    import python_calamine

    from addin.reading.load import load_workbook

    fmt = available_formats()["2021"]
    p = plan(fmt, YEAR, UNIT)
    uncached = {s.name: s.uncached_formulas for s in load_workbook(filled).sheets}
    assert sum(len(f) for f in uncached.values()) == len(p.totals) == 34
    ours = check_file(filled)
    recalculated = python_calamine.CalamineWorkbook.from_path(str(convert(filled, "xlsx", tmp_path)))
    for pointer in p.totals:
        sheet, ref = p.address(pointer)
        row, col = openpyxl.utils.cell.coordinate_to_tuple(ref)
        theirs = recalculated.get_sheet_by_name(sheet).to_python()[row - 1][col - 1]
        node = ours.document
        for token in pointer.split("/")[1:]:
            node = node[token]
        assert node == theirs, pointer
    assert not [f for f in ours.findings if f.code == "FML-01"]


def test_a_text_cell_too_long_to_show_whole_gets_an_info(tmp_path, texts):
    """One cell holding the whole 4,000 characters cannot be shown or printed whole (a row is at most
    409 points): WB-03 at that cell. The same text as paragraph rows, or in a Word text export, has none."""
    from addin.writing.template import build_workbook, save_workbook

    fmt = available_formats()["2021"]
    values = {k: v for k, v in consistent_values(fmt).items()}
    path = tmp_path / "one-cell.xlsx"
    wb = build_workbook(fmt, YEAR, UNIT, values, texts)
    p = plan(fmt, YEAR, UNIT, texts)
    sheet, first = p.address(("text", "一"))
    wb[sheet][first].value = texts["一"].replace("\n", "")
    for i in range(1, texts["一"].count("\n") + 1):
        wb[sheet][p.address(("text", "一", i))[1]].value = None
    save_workbook(wb, path)
    found = [(f.sheet, f.cell, f.severity) for f in check_file(path).findings if f.code == "WB-03"]
    assert found == [(sheet, first, "info")]
    rows = tmp_path / "rows.xlsx"
    save_workbook(build_workbook(fmt, YEAR, UNIT, values, texts), rows)
    assert not [f for f in check_file(rows).findings if f.code == "WB-03"]
    text = tmp_path / "report.txt"
    text.write_text("\n".join([f"{UNIT}{YEAR}年政府信息公开工作年度报告", "一、总体情况", texts["一"].replace("\n", "")]),
                    encoding="utf-8")
    assert not [f for f in check_file(text).findings if f.code == "WB-03"]


# --- a Chinese Windows console, and other things a user hit ------------------------------------------


@pytest.mark.parametrize("encoding", ["gbk", "cp1252"])
def test_every_output_survives_a_narrow_console_encoding(filled, tmp_path, encoding):
    """Output redirected on Chinese Windows is GBK (cp1252 on a Western one): no traceback, the exit code
    of the check, every output file written, JSON still JSON."""
    import os

    seed = ROOT / "examples" / "seed-2020.xlsx"
    env = {**os.environ, "PYTHONIOENCODING": encoding}
    env = dict(env=env, encoding=encoding)   # read the output back in the console's encoding
    one = gk("check", seed, **env)
    assert one.returncode == 1 and "Traceback" not in one.stderr and one.stdout.strip()
    folder = tmp_path / "报告"
    folder.mkdir()
    for name, src in (("甲.xlsx", seed), ("乙.xlsx", filled)):
        (folder / name).write_bytes(src.read_bytes())
    batch = gk("check", folder, "--summary", tmp_path / "汇总.xlsx", "--workers", "1", **env)
    assert batch.returncode == 1 and "Traceback" not in batch.stderr
    assert openpyxl.load_workbook(tmp_path / "汇总.xlsx")["汇总"].max_row == 3
    as_json = gk("check", "--json", seed, filled, **env)
    assert as_json.returncode == 1 and "Traceback" not in as_json.stderr
    results = json.loads(as_json.stdout)["results"]
    assert [r["status"] for r in results] == ["failed", "passed"]
    assert results[0]["unit"] == "鹤岗市南山区大陆街道办事处"   # escaped where the console cannot show it
    for run in (one, batch, as_json):
        assert "›" not in run.stdout


def test_messages_need_no_characters_outside_gbk():
    from addin import catalogue
    from addin.pipeline import check_file as check

    seed = check(ROOT / "examples" / "seed-2020.xlsx")
    for f in seed.findings:
        f.message.encode("gbk")
    for entry in catalogue.CATALOGUE.values():
        for template in entry.templates.values():
            template.encode("gbk")


def test_operating_system_errors_are_said_in_chinese(tmp_path):
    run = gk("check", tmp_path / "不存在.xlsx")
    assert run.returncode == 1 and "不存在" in run.stdout and "No such file" not in run.stdout
    broken = tmp_path / "坏.xlsx"
    broken.write_bytes(b"PK\x03\x04" + b"\0" * 100)
    run = gk("check", broken, "--annotate")
    assert "BadZipFile" not in run.stdout + run.stderr and "Traceback" not in run.stderr


@pytest.mark.parametrize("option", ["--previous", "--previous-dir"])
def test_a_missing_previous_report_is_a_usage_error(filled, tmp_path, option):
    run = gk("check", filled, option, tmp_path / "不存在")
    assert run.returncode == 2 and "不存在" in run.stderr


def test_an_unknown_option_prints_the_commands_usage(filled):
    run = gk("check", filled, "-o", "x")
    assert run.returncode == 2
    assert "gkreport check" in run.stderr and "-o" in run.stderr


def test_workers_one_is_described_the_same_in_help_and_readme():
    help_text = gk("check", "--help").stdout
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "本进程内" not in help_text
    assert "`--workers 1` 也是如此" in readme and "1 表示只用一个这样的进程依次校验" in help_text


def test_a_cover_year_against_the_title_points_at_the_year_cell(tmp_path):
    from tests.helpers import build_case

    case = {"format_version": "2021", "year": 2025, "edits": [{"op": "set", "sheet": "封面", "cell": "B4", "value": 2024}]}
    result = check_file(build_case(case, tmp_path / "year.xlsx"))
    cells = {(f.sheet, f.cell) for f in result.findings if f.severity == "error"}
    assert cells == {("封面", "B4")}


def test_optional_cover_fields_reach_the_json_and_do_not_stop_the_submission(filled, tmp_path):
    fmt = available_formats()["2021"]
    p = plan(fmt, YEAR, UNIT)
    wb = openpyxl.load_workbook(filled)
    given = {"填报人": "张三", "联系电话": "0451-12345678", "审核人": "李四"}
    for key, value in given.items():
        sheet, ref = p.address(("cover", key))
        wb[sheet][ref].value = value
    report = tmp_path / "报告" / "填报.xlsx"
    report.parent.mkdir()
    wb.save(report)
    assert check_file(report).contacts == given
    run = gk("check", "--json", report)
    assert json.loads(run.stdout)["results"][0]["contacts"] == given
    run = gk("submit", report, "-o", tmp_path / "报送.xlsx")
    # the contacts are part of the embedded data, so verify rebuilds them too (tests/test_contacts.py)
    assert run.returncode == 0, run.stdout + run.stderr
    assert {k: v for k, v in read_custom_properties(tmp_path / "报送.xlsx").items() if k in given} == given
