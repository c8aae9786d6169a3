"""Regenerate the example workbooks in examples/ from the seed report data and the clean test base."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from addin import jsonio  # noqa: E402
from addin.formats import available_formats  # noqa: E402
from addin.writing.template import build_workbook, plan, save_workbook  # noqa: E402


def build(data_file: Path, target: Path) -> None:
    data = jsonio.loads(data_file.read_text(encoding="utf-8"))
    fmt = available_formats()[data["format_version"]]
    wb = build_workbook(fmt, data["year"], data["unit"], data["values"], data.get("texts"), data.get("notes"))
    if data.get("title"):
        # the seed's own title line, with its extraction artefacts, as the clerk's file had it
        title = next(lab for lab in plan(fmt, data["year"]).labels if lab.role == "title")
        wb[title.sheet].cell(title.row, title.col).value = data["title"]
    save_workbook(wb, target)
    print(f"written {target}")


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "examples"
    cases = ROOT / "tests" / "cases"
    build(cases / "seed_2020" / "values.json", out / "seed-2020.xlsx")
    build(cases / "_base" / "2021.json", out / "clean-2025.xlsx")
    build(cases / "_base" / "2019.json", out / "clean-2020.xlsx")
