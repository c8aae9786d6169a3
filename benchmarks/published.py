"""Check the corpus of real published reports (benchmarks/published/) and count the findings per code.

Usage: `python benchmarks/published.py [--set holdout-2] [--out table.md] [--detail]`. Every file listed in
benchmarks/published/index.json goes through the one check path (pipeline.check_file); the script prints
the unit and year found for each report, the findings per code and kind (defect of the report or doubt of
the reading) over the corpus, and with --detail every
finding, for reading them against the reports (benchmarks/PUBLISHED.md records that reading).
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "benchmarks" / "published"
sys.path.insert(0, str(ROOT))


def run(detail: bool = False, subset: str | None = None) -> tuple[list[dict], Counter]:
    from addin.pipeline import check_file

    index = json.loads((CORPUS / "index.json").read_text(encoding="utf-8"))["reports"]
    if subset:
        index = [entry for entry in index if entry.get("set") == subset]
    rows, per_code = [], Counter()
    for entry in index:
        result = check_file(CORPUS / entry["file"])
        codes = Counter(f.code for f in result.findings)
        per_code.update((f.code, f.kind, f.severity) for f in result.findings)
        rows.append({"file": entry["file"], "year": entry["year"], "unit_found": result.unit,
                     "year_found": result.report_year, "format": result.format_version, "status": result.status,
                     "codes": dict(sorted(codes.items())),
                     "findings": [(f.code, f.severity, f.kind, f.cell, f.message) for f in result.findings] if detail else []})
    return rows, per_code


def table(rows: list[dict], per_code: Counter) -> str:
    from addin.catalogue import CATALOGUE
    from addin.findings import KINDS

    by_kind = {kind: sum(n for (_code, k, _s), n in per_code.items() if k == kind) for kind in KINDS}
    out = [f"Reports checked: {len(rows)}; year found for {sum(1 for r in rows if r['year_found'])}, "
           f"unit found for {sum(1 for r in rows if r['unit_found'])}; findings: {sum(per_code.values())} "
           f"({', '.join(f'{kind} {n}' for kind, n in by_kind.items())})", "",
           "| code | kind | severity | title | findings | reports |", "| --- | --- | --- | --- | --- | --- |"]
    # defects of the report first, then the doubts of the reading (what the tool could not read or place)
    for (code, kind, severity), n in sorted(per_code.items(), key=lambda item: (KINDS.index(item[0][1]), item[0])):
        reports = sum(1 for r in rows if code in r["codes"])
        out.append(f"| {code} | {kind} | {severity} | {CATALOGUE[code].title} | {n} | {reports} |")
    out += ["", "| file | year (index) | unit found | year found | codes |", "| --- | --- | --- | --- | --- |"]
    for r in rows:
        codes = ", ".join(f"{c}x{n}" if n > 1 else c for c, n in r["codes"].items())
        out.append(f"| {r['file']} | {r['year'] or ''} | {r['unit_found'] or ''} | {r['year_found'] or ''} | {codes} |")
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="also write the table (Markdown) to this file")
    parser.add_argument("--detail", action="store_true", help="print every finding of every report")
    parser.add_argument("--set", dest="subset", help="only the reports of this set in index.json (tuning-1, holdout-2)")
    args = parser.parse_args(argv)
    rows, per_code = run(args.detail, args.subset)
    text = table(rows, per_code)
    sys.stdout.write(text)
    if args.detail:
        for r in rows:
            sys.stdout.write(f"\n## {r['file']}  unit={r['unit_found']} year={r['year_found']}\n")
            for code, severity, kind, cell, message in r["findings"]:
                sys.stdout.write(f"- {code} {severity} {kind} {cell or ''}: {message}\n")
    if args.out:
        from addin.writing.atomic import atomic_write

        atomic_write(args.out, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
