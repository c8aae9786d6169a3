"""The gkreport command line as a user runs it: exit codes, JSON shape, Chinese output, bad files."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from addin.formats import available_formats
from addin.totals import totals
from tests.helpers import build_case

ROOT = Path(__file__).resolve().parent.parent


def gk(*args, cwd=ROOT):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "addin", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120)


def test_check_clean_and_seed_examples():
    ok = gk("check", ROOT / "examples" / "clean-2025.xlsx")
    assert ok.returncode == 0, ok.stderr
    assert "结果：通过" in ok.stdout
    bad = gk("check", ROOT / "examples" / "seed-2020.xlsx", ROOT / "examples" / "clean-2020.xlsx")
    assert bad.returncode == 1
    assert "VAL-01" in bad.stdout and "表二 主动公开!B6" in bad.stdout and "共校验 2 个文件" in bad.stdout


def test_json_output_shape(tmp_path):
    path = build_case({"format_version": "2021", "values": {"/T4/D5": 9,
                       "/T2/A8/行政事业性收费/本年收费金额（单位：万元）": "96171.6"}}, tmp_path / "r.xlsx")
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(os.urandom(2048))
    run = gk("check", "--json", path, junk)
    assert run.returncode == 1
    doc = json.loads(run.stdout)
    assert set(doc) == {"gkreport", "results"}
    first, second = doc["results"]
    assert set(first) >= {"path", "status", "format_version", "report_year", "unit", "counts", "findings"}
    assert (first["status"], first["format_version"], first["report_year"]) == ("failed", "2021", 2025)
    assert first["counts"] == {"error": 1, "warning": 0, "info": 0}
    finding = first["findings"][0]
    assert set(finding) == {"code", "severity", "kind", "sheet", "cell", "pointer", "message", "expected", "actual"}
    assert (finding["code"], finding["sheet"], finding["cell"], finding["pointer"]) == ("T4-01", "表四 复议诉讼", "E6", "/T4/D5")
    assert finding["kind"] == "report"    # an arithmetic error is a defect of the report
    assert first["counts_by_kind"]["report"]["error"] == 1 and not any(first["counts_by_kind"]["reading"].values())
    assert (finding["expected"], finding["actual"]) == (2, 9)
    assert second["status"] == "unreadable" and second["format_version"] is None
    assert [f["code"] for f in second["findings"]] == ["FILE-04"]


def test_unreadable_files_give_one_plain_finding_each(tmp_path):
    cases = {
        "empty.xlsx": b"",
        "random.xlsx": os.urandom(4096),
        "report.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024,
        "notes.pdf": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    with zipfile.ZipFile(tmp_path / "letter.xlsx", "w") as zf:
        zf.writestr("word/document.xml",
                    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                    '<w:body><w:p><w:r><w:t>致函</w:t></w:r></w:p></w:body></w:document>')
        zf.writestr("[Content_Types].xml", "<Types/>")
    good = build_case({"format_version": "2021"}, tmp_path / "good.xlsx")
    (tmp_path / "truncated.xlsx").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    names = sorted(cases) + ["letter.xlsx", "truncated.xlsx"]
    before = {n: (tmp_path / n).read_bytes() for n in names}
    run = gk("check", "--json", *[tmp_path / n for n in names], tmp_path / "missing.xlsx")
    assert run.returncode == 1 and "Traceback" not in run.stderr
    results = {Path(r["path"]).name: r for r in json.loads(run.stdout)["results"]}
    # a Word document renamed .xlsx is read as the Word document it is (and holds no report)
    letter = results.pop("letter.xlsx")
    assert letter["status"] == "failed" and "FILE-13" in [f["code"] for f in letter["findings"]]
    assert "STR-04" in [f["code"] for f in letter["findings"]]
    codes = {n: [f["code"] for f in r["findings"]] for n, r in results.items()}
    assert codes == {"empty.xlsx": ["FILE-04"], "random.xlsx": ["FILE-04"], "report.xls": ["FILE-02"],
                     "notes.pdf": ["FILE-04"], "truncated.xlsx": ["FILE-04"], "missing.xlsx": ["FILE-01"]}
    assert all(r["status"] == "unreadable" for r in results.values())
    assert all(r["findings"][0]["message"] for r in results.values())
    assert before == {n: (tmp_path / n).read_bytes() for n in names}  # inputs untouched


def test_usage_errors_exit_2(tmp_path):
    assert gk("check").returncode == 2
    assert gk("frobnicate").returncode == 2
    refused = gk("template", "--year", "2025", "--format-version", "2019", "-o", tmp_path / "t.xlsx")
    assert refused.returncode == 2 and "2021版格式" in refused.stderr
    assert not (tmp_path / "t.xlsx").exists()
    assert gk("template", "--year", "2015", "-o", tmp_path / "t.xlsx").returncode == 2


def test_template_command_writes_a_checkable_blank(tmp_path):
    out = tmp_path / "模板.xlsx"
    run = gk("template", "--year", "2026", "--unit", "某县人民政府办公室", "-o", out)
    assert run.returncode == 0, run.stderr
    result = json.loads(gk("check", "--json", out).stdout)["results"][0]
    # a blank template: every data cell but the totals (SUM formulas, 0) is reported empty, and the
    # empty sections 五 and 六
    assert (result["format_version"], result["report_year"], result["unit"]) == ("2021", 2026, "某县人民政府办公室")
    assert {f["code"] for f in result["findings"]} == {"VAL-01", "TXT-04", "TXT-05", "TXT-10"}
    assert result["counts"]["error"] == 200 - len(totals(available_formats()["2021"])) + 1


def test_help_is_chinese():
    run = gk("check", "--help")
    assert run.returncode == 0 and "宽松模式" in run.stdout
