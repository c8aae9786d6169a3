"""Canonical results of a fixed corpus, to prove a speed change leaves every result byte for byte the same.

Usage: `python benchmarks/canonical.py --corpus /tmp/gkcorpus --out before.json` (the corpus is generated
into --corpus once and reused), then after a change the same command with `--out after.json` and `cmp`.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# raw cell texts a clerk types instead of a clean number (every branch of the value parser)
DEFECTS = ["", "\u3000", "—", "无", "-3", "2.5", "abc", "１２", "12件", "12万元", "1,234", "\u00a07", "7 8",
           "#DIV/0!", "+4", "0.12345", "3元", " 5 ", "n/a", "－2", "1e3", "12条"]


def generate(d: Path) -> list[Path]:
    from addin.formats import available_formats
    from tests import hostile
    from tests.factory import broken_values, consistent_values, write_report
    from tests.helpers import CASES, build_case

    d.mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(40):   # the benchmark's own workbooks
        version = "2021" if i % 2 else "2019"
        fmt = available_formats()[version]
        values = broken_values(fmt, i) if i % 4 >= 2 else consistent_values(fmt, i)
        files.append(write_report(d / f"bench{i:03d}_{version}.xlsx", version, 2022 if version == "2021" else 2020,
                                  f"第{i}单位", values))
    rnd = random.Random(20240601)
    for i in range(24):   # random defects in random cells
        version = "2021" if i % 2 else "2019"
        fmt = available_formats()[version]
        values = consistent_values(fmt, 1000 + i)
        for cell in rnd.sample(fmt.cells, 6):
            values[cell.pointer] = rnd.choice(DEFECTS)
        files.append(write_report(d / f"random{i:03d}_{version}.xlsx", version, 2022 if version == "2021" else 2020,
                                  f"随机{i}", values))
    for case_dir in sorted(p for p in CASES.iterdir() if (p / "case.json").is_file()):
        case = json.loads((case_dir / "case.json").read_text(encoding="utf-8"))
        files.append(build_case(case, d / f"case_{case_dir.name}.xlsx"))
    from tests.test_seed import seed_workbook

    seed_dir = d / "seed"
    seed_dir.mkdir(exist_ok=True)
    files.append(seed_workbook(seed_dir))
    hdir = d / "hostile"
    hdir.mkdir(exist_ok=True)
    for name in ("empty", "random_bytes", "truncated_zip", "zip_without_workbook", "encrypted", "with_macros",
                 "docx_renamed", "billion_laughs", "long_text", "uncached_formula", "external_link", "hidden_tables"):
        files.append(getattr(hostile, name)(hdir))
    files.append(hostile.million_rows(hdir, rows=25_000))
    files += odd_containers(d / "odd")
    for example in sorted((ROOT / "examples").iterdir()):
        if example.suffix in (".xlsx", ".txt"):
            files.append(Path(shutil.copy(example, d / f"example_{example.name}")))
    return files


def odd_containers(d: Path) -> list[Path]:
    """Workbooks whose package is written unlike openpyxl's: sheet names with XML entities, prefixed
    namespaces, single-quoted attributes, parts in other folders, formulas without results in them."""
    import re
    import zipfile

    from addin.formats import available_formats
    from addin.writing.template import build_workbook, save_workbook
    from tests.factory import consistent_values
    from tests.helpers import base_texts

    d.mkdir(parents=True, exist_ok=True)
    fmt = available_formats()["2021"]
    wb = build_workbook(fmt, 2022, "奇异&单位", consistent_values(fmt, 3), base_texts("2021", 2022))
    for i, ws in enumerate(wb.worksheets):
        ws.title = ["A&B <封面> \"引\"", "表'二' & 主动", "表三 依申请公开", "表四 复议诉讼", "正文"][i % 5] if i < 5 else ws.title
    target = next(c for row in wb.worksheets[1].iter_rows() for c in row if isinstance(c.value, int))
    target.value = "=1+2"
    base = d / "entities.xlsx"
    save_workbook(wb, base)
    out = [base]

    def rewrite(name: str, edit) -> None:
        with zipfile.ZipFile(base) as zin, zipfile.ZipFile(d / name, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                data = zin.read(info.filename)
                new_name, data = edit(info.filename, data)
                zout.writestr(new_name, data)
        out.append(d / name)

    def prefixed(name, data):
        if name == "xl/workbook.xml":
            data = re.sub(rb"<(/?)(?!\?)([A-Za-z]+)([ >/])", rb"<\1x:\2\3", data)
            data = data.replace(b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
                                b'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"')
        return name, data

    def single_quoted(name, data):
        if name in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
            data = re.sub(rb'(\s[\w:]+)="([^"]*)"', lambda m: m.group(1) + b"='" + m.group(2).replace(b"'", b"&apos;") + b"'", data)
        return name, data

    def moved(name, data):
        if name.startswith("xl/worksheets/sheet"):
            name = name.replace("xl/worksheets/sheet", "xl/data/part")
        if name == "xl/_rels/workbook.xml.rels":
            data = data.replace(b"/xl/worksheets/sheet", b"/xl/data/part").replace(b"worksheets/sheet", b"/xl/data/part")
        if name == "[Content_Types].xml":
            data = data.replace(b"/xl/worksheets/sheet", b"/xl/data/part")
        return name, data

    rewrite("prefixed.xlsx", prefixed)
    rewrite("single_quoted.xlsx", single_quoted)
    rewrite("moved_parts.xlsx", moved)
    from tests.office import SOFFICE, convert

    if SOFFICE:   # the same report as LibreOffice writes it, and as .xls / .ods (when LibreOffice is installed)
        source = d / "lo_source.xlsx"
        save_workbook(build_workbook(fmt, 2022, "乙局", consistent_values(fmt, 4), base_texts("2021", 2022)), source)
        for target in ("xlsx", "xls", "ods"):
            converted = convert(source, target, d / f"lo_{target}")
            out.append(converted)
        source.unlink()
    return out


def corpus(d: Path) -> list[Path]:
    marker = d / ".complete"
    if not marker.exists():
        generate(d)
        marker.write_text("ok")
    return sorted(p for p in d.rglob("*") if p.is_file() and p.name != ".complete")


def canonical(files: list[Path], base: Path) -> dict:
    from addin.pipeline import Options, check_file

    out = {}
    for path in files:
        for lenient in (False, True):
            r = check_file(path, Options(lenient=lenient))
            out[f"{path.relative_to(base)}|{'lenient' if lenient else 'strict'}"] = {
                "status": r.status, "format_version": r.format_version, "report_year": r.report_year, "unit": r.unit,
                "findings": [[f.code, f.severity, f.sheet, f.cell, f.pointer, f.message, str(f.expected), str(f.actual)]
                             for f in r.findings],
                "not_evaluated": [[n.rule, n.mark, list(n.blocked_by)] for n in r.not_evaluated],
                "document": repr(r.document),   # repr keeps int vs Decimal and key order
                "origins": {p: [o.sheet, o.cell, repr(o.raw)] for p, o in sorted(r.origins.items())},
            }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--corpus", type=Path, default=Path("/tmp/gkreport-canonical-corpus"))
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    files = corpus(args.corpus)
    from addin import jsonio

    text = jsonio.dumps(canonical(files, args.corpus), canonical=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"{len(files)} files, {len(text)} bytes, sha256 {hashlib.sha256(text.encode()).hexdigest()[:16]}")


if __name__ == "__main__":
    main()
