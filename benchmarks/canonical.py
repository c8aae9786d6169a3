"""Canonical results of a fixed corpus, to prove a speed change leaves every result byte for byte the same.

Usage: `python benchmarks/canonical.py --corpus /tmp/gkcorpus --out before.json` (the corpus is generated
into --corpus once and reused), then after a change the same command with `--out after.json` and `cmp`.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
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
    return files


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
