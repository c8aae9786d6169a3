"""Render docs/collection-summary.png and docs/collection-totals.png: a small generated round through the command line."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from openpyxl import load_workbook  # noqa: E402

from addin.formats import available_formats  # noqa: E402
from tests.factory import broken_values, consistent_values, write_report  # noqa: E402
from tests.helpers import base_texts  # noqa: E402

sys.path.insert(0, str(ROOT / "docs"))
from render_marked import first_page_png  # noqa: E402

YEAR = 2025
UNITS = ["青山区财政局", "青山区教育局", "青山区民政局", "青山区司法局", "青山区商务局", "青山区审计局", "青山区统计局",
         "青山区东风街道办事处", "青山区红旗街道办事处", "青山区胜利街道办事处", "青山区解放街道办事处", "青山区和平街道办事处"]


def make_round(folder: Path) -> Path:
    """12 expected units: two fail, one resubmits, one sends last year's report, one a PDF, one nothing."""
    fmt = available_formats()["2021"]
    inbox = folder / "收集"
    inbox.mkdir(parents=True)
    texts = base_texts("2021", YEAR)
    old = 1_700_000_000
    for i, unit in enumerate(UNITS):
        values = consistent_values(fmt, i)
        if "街道" in unit:
            for cell in fmt.cells:
                if cell.row == "规章":
                    values[cell.pointer] = 0
        if i == 0:   # a broken original, then the 修改版
            p = write_report(inbox / f"{unit}.xlsx", "2021", YEAR, unit, broken_values(fmt, 50), texts=texts)
            os.utime(p, (old, old))
            write_report(inbox / f"{unit}（修改版）.xlsx", "2021", YEAR, unit, values, texts=texts)
        elif i == 1:
            write_report(inbox / f"{unit}.xlsx", "2021", YEAR, unit, broken_values(fmt, 51), texts=texts)
        elif i == 2:
            write_report(inbox / f"{unit}.xlsx", "2021", YEAR, unit, values, texts={**texts, "六": "无。"})
        elif i == 3:
            write_report(inbox / f"{unit}2024.xlsx", "2021", YEAR - 1, unit, values, texts=base_texts("2021", YEAR - 1))
        elif i == 4:
            (inbox / f"{unit}年报.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
        elif i == 5:
            continue
        else:
            write_report(inbox / f"{unit}.xlsx", "2021", YEAR, unit, values, texts=texts)
    roster = folder / "名单.txt"
    roster.write_text("单位名称\t联系人\n" + "\n".join(f"{u}\t联系人{i} 1380000{i:04d}" for i, u in enumerate(UNITS)),
                      encoding="utf-8")
    return inbox


def render(book: Path, keep: list[str], out_png: Path, tmp: Path, dpi: int = 90) -> None:
    wb = load_workbook(book)
    for name in wb.sheetnames:
        if name not in keep:
            del wb[name]
    only = tmp / f"{out_png.stem}.xlsx"
    wb.save(only)
    first_page_png(only, out_png, tmp, dpi)


def main(docs: Path) -> None:
    tmp = Path(tempfile.mkdtemp())
    try:
        inbox = make_round(tmp)
        summary = tmp / "汇总.xlsx"
        subprocess.run([sys.executable, "-m", "addin", "check", str(inbox), "--roster", str(tmp / "名单.txt"),
                        "--year", str(YEAR), "--summary", str(summary), "--quiet"], cwd=ROOT, check=False)
        render(summary, ["汇总"], docs / "collection-summary.png", tmp, dpi=110)
        render(summary, ["合计 表三 依申请公开"], docs / "collection-totals.png", tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs")
