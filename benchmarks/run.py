"""One command for the speed figures: `python benchmarks/run.py [--files 2000]` (generates its own workbooks)."""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def generate(d: Path, distinct: int) -> list[Path]:
    """Report workbooks of both format versions, half of them with typical errors."""
    from addin.formats import available_formats
    from tests.factory import broken_values, consistent_values, write_report

    files = []
    for i in range(distinct):
        version = "2021" if i % 2 else "2019"
        fmt = available_formats()[version]
        values = broken_values(fmt, i) if i % 4 >= 2 else consistent_values(fmt, i)
        year = 2022 if version == "2021" else 2020
        files.append(write_report(d / f"r{i:03d}_{version}.xlsx", version, year, f"第{i}单位", values))
    return files


def per_file(files: list[Path], repeat: int) -> dict[str, tuple[float, float]]:
    """Seconds per file (mean over files of the per-file median, and of the per-file best) for a
    check, a python-calamine read and an openpyxl full load. The check and the calamine read run
    interleaved, file by file and round by round, so that drift in the machine's speed falls on both
    alike; the openpyxl loads (15x slower, and heavy on memory) run in rounds of their own."""
    import openpyxl
    import python_calamine as pc

    from addin.pipeline import check_file

    def calamine_read(p):
        book = pc.CalamineWorkbook.from_path(str(p))
        for name in book.sheet_names:
            book.get_sheet_by_name(name).to_python()
        book.close()

    def openpyxl_load(p):
        wb = openpyxl.load_workbook(p)
        for ws in wb:
            for row in ws.iter_rows(values_only=True):
                pass

    def measure(runs: dict, rounds: int) -> dict[str, dict[Path, list[float]]]:
        times = {k: {p: [] for p in files} for k in runs}
        for p in files:   # warm up (imports, caches)
            for fn in runs.values():
                fn(p)
        for _ in range(rounds):
            for p in files:
                for name, fn in runs.items():
                    t = time.perf_counter()
                    fn(p)
                    times[name][p].append(time.perf_counter() - t)
        return times

    times = measure({"check": check_file, "calamine": calamine_read}, repeat)
    times.update(measure({"openpyxl": openpyxl_load}, max(3, repeat // 4)))
    return {name: (statistics.mean(statistics.median(v) for v in by_file.values()),
                   statistics.mean(min(v) for v in by_file.values()))
            for name, by_file in times.items()}


def batch(d: Path, workers: int, timeout: float = 600) -> tuple[float, int]:
    """Seconds and peak resident memory (KB; the CLI and its largest worker) of `gkreport check DIR`."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "addin", "check", str(d), "--workers", str(workers),
                             "--jsonl", str(d.parent / f"out-{d.name}-{workers}.jsonl")],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - t, usage.ru_maxrss


def cold_start(path: Path, repeat: int = 5) -> float:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "addin", "check", str(path)], cwd=ROOT, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--files", type=int, default=2000, help="files in the batch runs")
    ap.add_argument("--distinct", type=int, default=40, help="distinct generated workbooks (copied up to --files)")
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    from addin.batch import default_workers

    n = default_workers()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores ({n} usable), Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}")
    with tempfile.TemporaryDirectory(prefix="gkbench-") as tmp:
        tmp = Path(tmp)
        src = tmp / "distinct"
        src.mkdir()
        files = generate(src, args.distinct)
        figures = per_file(files[:8], args.repeat)
        (check, check_best), (cal, cal_best), (opx, opx_best) = (figures[k] for k in ("check", "calamine", "openpyxl"))
        print(f"per file (mean of 8 files; median of {args.repeat} runs, check and calamine interleaved, and best of them):")
        print(f"  gkreport check (in-process) {check * 1000:7.2f} ms  (best {check_best * 1000:.2f} ms)")
        print(f"  python-calamine read        {cal * 1000:7.2f} ms  (best {cal_best * 1000:.2f} ms)   "
              f"check/calamine = {check / cal:.2f}x, best {check_best / cal_best:.2f}x (target <= 3x)")
        print(f"  openpyxl full load          {opx * 1000:7.2f} ms  (best {opx_best * 1000:.2f} ms)   "
              f"openpyxl/check = {opx / check:.2f}x (target >= 8x)")
        peaks = {}
        for count in sorted({max(1, args.files // 4), args.files}):
            d = tmp / f"batch{count}"
            d.mkdir()
            for i in range(count):
                shutil.copyfile(files[i % len(files)], d / f"f{i:05d}.xlsx")
            for w in sorted({1, n}):
                seconds, peak = batch(d, w)
                peaks[(count, w)] = peak
                print(f"batch {count:5d} files, --workers {w}: {seconds:6.2f} s, {count / seconds:7.1f} files/s, "
                      f"peak memory {peak / 1024:.0f} MB")
        print(f"cold start `gkreport check FILE`: {cold_start(files[0]):.3f} s (target <= 0.6 s)")


if __name__ == "__main__":
    main()
