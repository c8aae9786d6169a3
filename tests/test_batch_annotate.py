"""`check --annotate` over folders: one copy per input from the workers, no clashes, failed copies recorded."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from openpyxl import load_workbook

from addin.formats import available_formats
from addin.pipeline import check_file
from addin.reporters import annotate, content, markstate
from addin.reporters.copies import BatchCopies
from tests.factory import broken_values, write_report
from tests.test_batch import gk, read_jsonl


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def folder(tmp_path):
    """Two 报告.xlsx in different folders (one failing, one passing) and a third report."""
    d = tmp_path / "in"
    (d / "east").mkdir(parents=True)
    (d / "west").mkdir()
    write_report(d / "east" / "报告.xlsx", "2021", 2022, "东区局", broken_values(available_formats()["2021"], 3))
    write_report(d / "west" / "报告.xlsx", "2021", 2022, "西区局", seed=1)
    write_report(d / "third.xlsx", "2019", 2020, "第三办", seed=2)
    return d


def _located(path: Path) -> set:
    return {(f.sheet, f.cell, f.code) for f in check_file(path).findings if f.cell}


def test_folder_with_workers_writes_one_copy_per_input_without_clashes(folder, tmp_path):
    inputs = sorted(folder.rglob("*.xlsx"))
    before = {p: _digest(p) for p in inputs}
    out = tmp_path / "out"
    jsonl = tmp_path / "r.jsonl"
    p = gk(folder, "--annotate", "--out-dir", out, "--workers", "2", "--jsonl", jsonl)
    assert p.returncode == 1, p.stderr   # east fails
    assert "Traceback" not in p.stderr
    assert {q: _digest(q) for q in inputs} == before

    east, west, third = out / "east" / "报告.校验.xlsx", out / "west" / "报告.校验.xlsx", out / "third.校验.xlsx"
    assert sorted(out.rglob("*.xlsx")) == sorted([east, west, third])
    recorded = {Path(i["path"]).relative_to(folder).as_posix(): i.get("annotated") for i in read_jsonl(jsonl)}
    assert recorded == {"east/报告.xlsx": str(east), "west/报告.xlsx": str(west), "third.xlsx": str(third)}
    assert f"已生成标注副本（标注 " in p.stdout and f"）：{east}" in p.stdout

    # each copy is the copy of its own input: same findings, and the marks of that input's errors
    wb = load_workbook(east)
    assert wb.sheetnames[0] == content.RESULTS_SHEET
    errors = {(f.sheet, f.cell) for f in check_file(folder / "east" / "报告.xlsx").findings
              if f.severity == "error" and f.cell}
    assert errors
    for sheet, cell in errors:
        assert wb[sheet][cell].fill.fgColor.rgb[-6:] == content.SEVERITY_FILL["error"]
    assert len(markstate.decode(wb[markstate.SHEET].iter_rows(values_only=True)).cells) >= len(errors)
    assert _located(east) >= _located(folder / "east" / "报告.xlsx")
    assert check_file(west).status == "passed"
    assert check_file(west).unit == "西区局" and check_file(east).unit == "东区局"


def test_copies_next_to_inputs_are_not_checked_again(folder):
    first = gk(folder, "--annotate", "--workers", "2")
    assert first.returncode == 1, first.stderr
    copies = sorted(folder.rglob(f"*.{annotate.COPY_TAG}.xlsx"))
    assert [c.relative_to(folder).as_posix() for c in copies] == [
        "east/报告.校验.xlsx", "third.校验.xlsx", "west/报告.校验.xlsx"]
    stamps = {c: c.stat().st_mtime_ns for c in copies}
    second = gk(folder, "--annotate", "--workers", "2")
    assert "已跳过此前生成的标注副本 3 个" in second.stdout
    assert sorted(folder.rglob(f"*.{annotate.COPY_TAG}.xlsx")) == copies   # no 报告.校验.校验.xlsx
    assert all(c.stat().st_mtime_ns != stamps[c] for c in copies)          # rewritten, not stacked


def test_copy_that_cannot_be_written_is_recorded_and_the_batch_goes_on(folder, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "west").write_text("a file where the folder for west/ would go")
    jsonl = tmp_path / "r.jsonl"
    p = gk(folder, "--annotate", "--out-dir", out, "--workers", "2", "--jsonl", jsonl)
    assert p.returncode == 1 and "Traceback" not in p.stderr
    items = {Path(i["path"]).relative_to(folder).as_posix(): i for i in read_jsonl(jsonl)}
    west = items["west/报告.xlsx"]
    assert west["status"] == "passed"       # the report itself is fine
    assert [f["code"] for f in west["findings"] if f["code"] == "OUT-01"] == ["OUT-01"]
    assert "annotated" not in west
    assert Path(items["third.xlsx"]["annotated"]).is_file()
    assert Path(items["east/报告.xlsx"]["annotated"]).is_file()
    assert not any(f["code"] == "OUT-01" for k in ("third.xlsx", "east/报告.xlsx") for f in items[k]["findings"])


def test_passing_batch_exits_1_only_because_a_copy_failed(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    write_report(d / "a.xlsx", "2021", 2022, "甲局", seed=1)
    write_report(d / "b.xlsx", "2021", 2022, "乙局", seed=2)
    ok = gk(d, "--annotate", "--out-dir", tmp_path / "good", "--workers", "2")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    (tmp_path / "bad").write_text("not a folder")
    bad = gk(d, "--annotate", "--out-dir", tmp_path / "bad", "--workers", "2")
    assert bad.returncode == 1 and "OUT-01" in bad.stdout


def test_out_dir_needs_annotate_in_batch_mode_too(folder, tmp_path):
    p = gk(folder, "--out-dir", tmp_path / "out", "--workers", "2")
    assert p.returncode == 2 and "--annotate" in p.stderr


def test_plan_mirrors_folders_and_keeps_extensions_where_names_clash(tmp_path):
    files = [str(tmp_path / "a" / "报告.xlsx"), str(tmp_path / "a" / "报告.xls"), str(tmp_path / "b" / "报告.xlsx")]
    plan = BatchCopies.plan(files, str(tmp_path / "out"))
    targets = [annotate.copy_path(f, plan.folder(f), plan.stem(f)) for f in files]
    assert [t.relative_to(tmp_path / "out").as_posix() for t in targets] == [
        "a/报告.xlsx.校验.xlsx", "a/报告.xls.校验.xlsx", "b/报告.校验.xlsx"]
    beside = BatchCopies.plan(files, None)
    assert [annotate.copy_path(f, beside.folder(f), beside.stem(f)) for f in files] == [
        tmp_path / "a" / "报告.xlsx.校验.xlsx", tmp_path / "a" / "报告.xls.校验.xlsx", tmp_path / "b" / "报告.校验.xlsx"]


def _results_codes(copy: Path) -> set:
    """Finding codes listed on a copy's results sheet."""
    wb = load_workbook(copy, read_only=True)
    return {v for row in wb[content.RESULTS_SHEET].iter_rows(values_only=True) for v in row
            if isinstance(v, str) and v[:3] in ("XY-", "VAL", "T3-", "T2-", "STR", "TXT")}


def test_batch_copies_carry_the_cross_year_findings(tmp_path):
    from tests.helpers import build_case
    from tests.test_cross_year import CARRIED

    # last year's report of 甲局 carries 5/8 applications out; this year's takes 4/7 in (XY-01 at C1, C7)
    last = tmp_path / "last"
    this = tmp_path / "this"
    last.mkdir()
    this.mkdir()
    build_case({"format_version": "2019", "year": 2020, "unit": "甲局",
                "values": {"/T3/carried_out/C1": 5, "/T3/carried_out/C7": 8, "/T3/r_total/C1": 48,
                           "/T3/r_total/C7": 55, "/T3/r_open/C1": 19, "/T3/r_open/C7": 22}}, last / "甲局2020.xlsx")
    build_case({"format_version": "2021", "year": 2021, "unit": "甲局", "values": CARRIED}, this / "甲局2021.xlsx")
    out = tmp_path / "out"
    p = gk(this, "--previous-dir", last, "--annotate", "--out-dir", out, "--workers", "2")
    assert p.returncode == 1, p.stderr
    copy = out / "甲局2021.校验.xlsx"
    assert "XY-01" in _results_codes(copy)
    from addin.validation.cross_year import apply

    xy = [f for f in apply(check_file(this / "甲局2021.xlsx"), check_file(last / "甲局2020.xlsx")).findings
          if f.code == "XY-01"]
    assert len(xy) == 2 and all(f.cell for f in xy)
    wb = load_workbook(copy)
    for f in xy:
        assert wb[f.sheet][f.cell].fill.fgColor.rgb[-6:] == content.SEVERITY_FILL["error"]


def test_resume_writes_the_copies_a_recorded_run_did_not(folder, tmp_path):
    jsonl = tmp_path / "r.jsonl"
    assert gk(folder, "--jsonl", jsonl, "--workers", "2").returncode == 1   # no copies asked for
    out = tmp_path / "out"
    p = gk(folder, "--jsonl", jsonl, "--resume", "--annotate", "--out-dir", out, "--workers", "2")
    assert p.returncode == 1, p.stderr
    assert len(sorted(out.rglob("*.xlsx"))) == 3
    assert "沿用" not in p.stdout                     # every file was checked again for its copy
    # a second resume finds the copies in place and checks nothing again
    p = gk(folder, "--jsonl", jsonl, "--resume", "--annotate", "--out-dir", out, "--workers", "2")
    assert "其中 3 个文件内容未变" in p.stdout, p.stdout
