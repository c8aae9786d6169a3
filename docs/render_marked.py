"""Render docs/marked-cells.png: the seed report marked by the add-in (remote engine), via LibreOffice."""
from __future__ import annotations

import json
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


def main(out_png: Path, sheet_index: int = 1) -> None:
    seed = json.loads((ROOT / "tests/cases/seed_2020/values.json").read_text(encoding="utf-8"))
    fmt = available_formats()[seed["format_version"]]
    tmp = Path(tempfile.mkdtemp())
    src = tmp / "seed.xlsx"
    save_workbook(build_workbook(fmt, seed["year"], seed["unit"], seed["values"]), src)
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
    keep = wb.sheetnames[sheet_index]
    for name in wb.sheetnames:
        if name != keep:
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
