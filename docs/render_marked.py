"""Render docs/marked-cells.png: a 2021 report marked by the add-in (remote engine), via LibreOffice."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from openpyxl import load_workbook  # noqa: E402
from openpyxl.comments import Comment  # noqa: E402
from openpyxl.styles import PatternFill  # noqa: E402

import addin  # noqa: E402
from addin.formats import available_formats  # noqa: E402
from addin.writing.template import build_workbook, save_workbook  # noqa: E402
from tests.office_js import Client  # noqa: E402


def sample_report(path: Path) -> Path:
    """A 2021-format street-office report with one error, one warning and one info in 表二, the other
    tables consistent (their totals left to the template's formulas)."""
    from addin.totals import totals
    from tests.factory import consistent_values
    from tests.helpers import base_texts

    fmt = available_formats()["2021"]
    values = {k: v for k, v in consistent_values(fmt).items() if k not in totals(fmt)}
    values["/T2/A1/规章/本年制发件数"] = 1                 # T2-03: a street office cannot make 规章 (warning)
    values["/T2/A1/规章/现行有效件数"] = 1
    values["/T2/A1/规章/本年废止件数"] = 0
    values["/T2/A1/行政规范性文件/本年废止件数"] = None      # VAL-01: left blank (error)
    values["/T2/A6/行政处罚/本年处理决定数量"] = " 19 "       # VAL-07: padded (info)
    save_workbook(build_workbook(fmt, 2025, "某某市某某区某某街道办事处", values, base_texts("2021", 2025)), path)
    return path


def main(out_png: Path, sheet_name: str = "表二 主动公开") -> None:
    tmp = Path(tempfile.mkdtemp())
    src = sample_report(tmp / "report.xlsx")
    client = Client(src)
    book = client.book()
    addin.validate(book)
    client.apply(book.json()["actions"])
    # Apply what the client now holds (fills, notes) to a copy, as Excel would show it.
    wb = load_workbook(src)
    for (sheet, cell), color in client.fills.items():
        if sheet in wb.sheetnames:
            wb[sheet][cell].fill = PatternFill("solid", fgColor=color.lstrip("#"))
    for (sheet, cell), text in client.note_text.items():
        if sheet in wb.sheetnames:
            wb[sheet][cell].comment = Comment(text, "gkreport")
    # Only the marked table goes into the picture.
    for name in wb.sheetnames:
        if name != sheet_name:
            del wb[name]
    marked = tmp / "marked.xlsx"
    wb.save(marked)
    first_page_png(marked, out_png, tmp)


def first_page_png(xlsx: Path, out_png: Path, tmp: Path, dpi: int = 80) -> None:
    """The workbook's first printed page as a PNG (LibreOffice, pdftoppm), its empty margins trimmed."""
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp}/lo", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp), str(xlsx)], check=True, capture_output=True, timeout=180)
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile", str(tmp / f"{xlsx.stem}.pdf"),
                    str(out_png.with_suffix(""))], check=True)
    try:  # trim the empty page margins when Pillow is there
        from PIL import Image, ImageChops

        img = Image.open(out_png).convert("RGB")
        box = ImageChops.difference(img, Image.new("RGB", img.size, "white")).getbbox()
        if box:
            img.crop((max(box[0] - 10, 0), max(box[1] - 10, 0), box[2] + 10, box[3] + 10)).save(out_png, optimize=True)
    except ImportError:
        pass


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "marked-cells.png")
