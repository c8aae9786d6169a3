"""Folders and globs accept every kind the reader accepts (issue 13 class 8): pages, Word, PDF, text, WPS."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from addin.batch import expand_inputs
from tests.test_html import seed_page

ROOT = Path(__file__).resolve().parent.parent
SEED_TEXT = ROOT / "examples" / "seed-2020.txt"
SEED_BOOK = ROOT / "examples" / "seed-2020.xlsx"


def _folder(tmp_path: Path) -> Path:
    pages = tmp_path / "pages"
    (pages / "sub").mkdir(parents=True)
    (pages / "a.html").write_bytes(seed_page())
    (pages / "sub" / "b.htm").write_bytes(seed_page())
    shutil.copy(SEED_TEXT, pages / "c.txt")
    shutil.copy(SEED_BOOK, pages / "d.xlsx")
    (pages / "notes.md").write_text("不是报告", encoding="utf-8")   # not a kind the reader accepts
    (pages / "picture.png").write_bytes(b"\x89PNG\r\n")
    return pages


def test_a_folder_picks_up_every_readable_kind(tmp_path):
    pages = _folder(tmp_path)
    names = sorted(Path(f).name for f in expand_inputs([str(pages)]).files)
    assert names == ["a.html", "b.htm", "c.txt", "d.xlsx"]


def test_a_glob_of_pages(tmp_path):
    pages = _folder(tmp_path)
    assert [Path(f).name for f in expand_inputs([str(pages / "*.html")]).files] == ["a.html"]
    assert sorted(Path(f).name for f in expand_inputs([str(pages / "**" / "*.htm*")]).files) == ["a.html", "b.htm"]


def test_checking_a_folder_of_pages(tmp_path):
    pages = _folder(tmp_path)
    for extra in ("notes.md", "picture.png", "c.txt", "d.xlsx"):
        (pages / extra).unlink()
    run = subprocess.run([sys.executable, "-m", "addin", "check", "--json", "--workers", "1", str(pages)],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert "Traceback" not in run.stderr and "没有要校验的文件" not in run.stdout + run.stderr
    results = json.loads(run.stdout)["results"]
    assert sorted(Path(r["path"]).name for r in results) == ["a.html", "b.htm"]
    assert all(r["unit"] == "鹤岗市南山区大陆街道办事处" and r["report_year"] == 2020 for r in results)

