"""The table of readers: a new input kind registered there is read by `gkreport check` and picked up by a folder batch."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from addin.batch import WORKBOOK_SUFFIXES, expand_inputs
from addin.reading import load
from tests.gkt_kind import SUFFIX, register_gkt, write_gkt

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "seed-2020.xlsx"


@pytest.fixture
def gkt_registered():
    register_gkt()
    yield
    load.unregister("gkt")
    assert SUFFIX not in WORKBOOK_SUFFIXES


def test_built_in_kinds_and_folder_suffixes():
    assert set(load.READERS) == {"xlsx", "xls", "ods", "pdf", "html", "text", "docx"}
    # a folder batch checks every kind the reader knows (WPS's .et is an .xls container); other files are listed
    assert set(WORKBOOK_SUFFIXES) == {".xlsx", ".xlsm", ".xls", ".et", ".ods", ".pdf", ".html", ".htm", ".txt", ".docx"}
    assert WORKBOOK_SUFFIXES is load.FOLDER_SUFFIXES


def test_registered_kind_is_read_and_found_in_folders(tmp_path, gkt_registered):
    path = write_gkt(load.load_workbook(SEED), tmp_path / f"seed{SUFFIX}")
    (tmp_path / "notes.md").write_text("not a report", encoding="utf-8")
    assert SUFFIX in WORKBOOK_SUFFIXES
    assert expand_inputs([str(tmp_path)]).files == [str(path)]
    assert [s.name for s in load.load_workbook(path).sheets] == [s.name for s in load.load_workbook(SEED).sheets]


def _gk(*args, plugin_dir: Path | None):
    # the toy kind is registered at interpreter start (sitecustomize), in the command and in every batch worker
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(plugin_dir)] * bool(plugin_dir) + [str(ROOT)])}
    return subprocess.run([sys.executable, "-m", "addin", *map(str, args)], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=300)


def test_check_and_folder_batch_accept_a_registered_kind(tmp_path):
    plugin = tmp_path / "plugin"
    plugin.mkdir()
    (plugin / "sitecustomize.py").write_text("from tests.gkt_kind import register_gkt\nregister_gkt()\n", encoding="utf-8")
    folder = tmp_path / "reports"
    folder.mkdir()
    report = write_gkt(load.load_workbook(SEED), folder / f"seed{SUFFIX}")

    def key(result):
        return result["status"], result["format_version"], result["report_year"], result["unit"], \
            sorted((f["code"], f["sheet"], f["cell"]) for f in result["findings"])

    expected = key(json.loads(_gk("check", "--json", SEED, plugin_dir=None).stdout)["results"][0])
    assert expected[0] == "failed" and expected[1] == "2019" and len(expected[4]) > 5
    one = _gk("check", "--json", report, plugin_dir=plugin)
    assert one.returncode == 1, one.stderr
    batch = _gk("check", "--json", folder, plugin_dir=plugin)
    assert batch.returncode == 1, batch.stderr
    [single] = json.loads(one.stdout)["results"]
    [in_folder] = json.loads(batch.stdout)["results"]
    assert key(single) == key(in_folder) == expected
    assert in_folder["path"].endswith(f"seed{SUFFIX}")

    # without the registration the same file is not a report: named, FILE-02; in a folder, listed as such
    unknown = json.loads(_gk("check", "--json", report, plugin_dir=None).stdout)["results"][0]
    assert unknown["status"] == "unreadable" and unknown["findings"][0]["code"] == "FILE-02"
    empty = _gk("check", "--json", folder, plugin_dir=None)
    assert empty.returncode == 1, empty.stderr
    doc = json.loads(empty.stdout)
    assert doc["results"] == [] and doc["collection"]["files"] == [{"path": str(report), "status": "not_a_report"}]


@pytest.mark.parametrize("name, content", [
    ("report.pdf", b"not a pdf at all"),
    ("report.docx", b"x"),
    ("report.html", b"\x00\x01\x02\x03" * 8),
])
def test_a_kind_we_read_with_other_content_is_damaged_not_unsupported(tmp_path, name, content):
    """A .pdf/.docx/.html whose bytes are not of that kind: FILE-04 saying so, never «不支持的文件类型（.pdf）»
    (which would tell the user that PDF reports are not read at all)."""
    from addin.pipeline import check_file
    path = tmp_path / name
    path.write_bytes(content)
    result = check_file(path)
    assert [(f.code, f.severity) for f in result.findings] == [("FILE-04", "error")]
    assert "Excel" not in result.findings[0].message


def test_a_damaged_pdf_is_told_in_chinese(tmp_path):
    from addin.pipeline import check_file
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.4\ngarbage")
    finding = check_file(path).findings[0]
    assert finding.code == "FILE-04" and "不是有效的 PDF" in finding.message
