"""Time and peak memory of `gkreport` on small inputs that once took slow paths: `python benchmarks/slow_inputs.py [NAME...]`."""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOAL_SECONDS = 10.0
GOAL_MB = 1024
# a fresh process per input: RUSAGE_CHILDREN then holds only that command (and its workers)
_MEASURE = """
import json, resource, subprocess, sys, time
t = time.monotonic()
try:
    p = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=float(sys.argv[1]))
    rc, err = p.returncode, p.stderr
except subprocess.TimeoutExpired as exc:   # killed and reaped: its CPU time still counts
    rc, err = None, exc.stderr or b""
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps([time.monotonic() - t, r.ru_utime + r.ru_stime, r.ru_maxrss // 1024, rc,
                  "Traceback" in err.decode("utf-8", "replace")]))
"""


def measure(args: list, timeout: float) -> dict:
    """Wall and CPU seconds, peak resident MB (largest process) and exit code of `gkreport ARGS`."""
    cmd = [sys.executable, "-c", _MEASURE, str(timeout), sys.executable, "-m", "addin", *map(str, args)]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout + 60)
    wall, cpu, mb, rc, traceback = json.loads(out.stdout)
    return {"wall": wall, "cpu": cpu, "mb": mb, "rc": rc, "traceback": traceback}


def main(argv: list[str] | None = None) -> int:
    from tests.hostile import SLOW_INPUTS

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("names", nargs="*", help=f"inputs to run (default: all of {', '.join(SLOW_INPUTS)})")
    ap.add_argument("--timeout", type=float, default=120, help="seconds before a run is given up")
    args = ap.parse_args(argv)
    names = args.names or list(SLOW_INPUTS)
    print(f"goal: under {GOAL_SECONDS:.0f} s and {GOAL_MB} MB per input (CPU seconds; wall clock depends on load)")
    print(f"{'input':<26}{'size':>10}{'wall s':>9}{'cpu s':>8}{'peak MB':>9}{'exit':>6}  goal")
    missed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            d = Path(tmp) / name
            d.mkdir()
            cmd = SLOW_INPUTS[name](d)
            size = sum(p.stat().st_size for p in d.iterdir() if p.is_file())
            m = measure(cmd, args.timeout)
            ok = m["rc"] is not None and m["cpu"] < GOAL_SECONDS and m["mb"] < GOAL_MB and not m["traceback"]
            missed += not ok
            why = " (traceback)" if m["traceback"] else " (stopped at the time-out)" if m["rc"] is None else ""
            print(f"{name:<26}{size / 1024:>8.0f}KB{m['wall']:>9.1f}{m['cpu']:>8.1f}{m['mb']:>9d}"
                  f"{'-' if m['rc'] is None else m['rc']:>6}  {'met' if ok else 'MISSED' + why}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
