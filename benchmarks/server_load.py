"""Bounded load test of `gkreport serve` on 127.0.0.1: N clients (one unit each) upload a mix of good, bad and
hostile files through the unit API; every upload must be answered, every accepted one stored exactly once, the
service must stay responsive. Prints p50/p95 of the check round trip beside the in-process check time.

    python benchmarks/server_load.py [--clients 20] [--uploads 400] [--db URL] [--record]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import shutil
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "load test password"


def make_files(d: Path) -> list[tuple[Path, str]]:
    """(file, kind): passing reports, reports with errors, and hostile files from the test generators."""
    from addin.formats import available_formats
    from tests import hostile
    from tests.factory import broken_values, write_report

    fmt = available_formats()["2019"]
    d.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(6):
        out.append((write_report(d / f"good{i}.xlsx", "2019", 2020, f"第{i}单位", seed=i), "good"))
    for i in range(3):
        out.append((write_report(d / f"bad{i}.xlsx", "2019", 2020, f"第{i}单位", broken_values(fmt, i)), "bad"))
    for make in (hostile.empty, hostile.random_bytes, hostile.truncated_zip, hostile.zip_without_workbook,
                 hostile.billion_laughs):
        sub = d / make.__name__
        sub.mkdir()
        out.append((make(sub), "hostile"))
    return out


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def in_process_times(files: list[tuple[Path, str]], rounds: int = 5) -> list[float]:
    from addin.pipeline import check_file

    times = []
    for _ in range(rounds):
        for f, _kind in files:
            t = time.perf_counter()
            check_file(f)
            times.append(time.perf_counter() - t)
    return times


def _csrf(http, url: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', http.get(url).text).group(1)


def run(clients: int = 20, uploads: int = 400, db: str | None = None, checkers: int = 0) -> dict:
    import httpx

    from addin.server.settings import Settings
    from tests.server_support import start_server, stop_server

    work = Path(tempfile.mkdtemp(prefix="gkreport-load-"))
    files = make_files(work / "files")
    proc, setup, port = start_server(Settings(data_dir=work / "data", db_url=db), checkers=checkers)
    try:
        if not setup:
            raise RuntimeError("the server did not start")
        base = f"http://127.0.0.1:{port}"
        desk = httpx.Client(base_url=base, timeout=120)
        desk.post(f"/setup/{setup}", data={"csrf": _csrf(desk, f"/setup/{setup}"), "username": "load",
                                           "password": PASSWORD, "password2": PASSWORD})
        desk.post("/login", data={"csrf": _csrf(desk, "/login"), "username": "load", "password": PASSWORD})
        roster = "\n".join(f"负载单位{i:02d}" for i in range(clients))
        page = desk.post("/collections", data={"csrf": _csrf(desk, "/collections"), "year": "2020", "roster": roster},
                         follow_redirects=True)
        cid = int(re.search(r"/collections/(\d+)/summary", page.text).group(1))
        tokens = re.findall(r'/u/([A-Za-z0-9_-]{20,})"', page.text)
        assert len(tokens) == clients

        latencies: list[float] = []
        outcomes: dict[str, int] = {}
        accepted: dict[int, int] = {}
        problems: list[str] = []
        lock = threading.Lock()
        per_client = [uploads // clients + (1 if i < uploads % clients else 0) for i in range(clients)]

        def client(n: int) -> None:
            with httpx.Client(base_url=base, timeout=120) as h:
                for j in range(per_client[n]):
                    f, kind = files[(n * 7 + j) % len(files)]
                    t = time.perf_counter()
                    try:
                        r = h.post(f"/api/v1/units/{tokens[n]}/submissions", files={"file": (f.name, f.read_bytes())})
                    except httpx.HTTPError as exc:
                        with lock:
                            problems.append(f"{f.name}: {exc!r}")
                        continue
                    dt = time.perf_counter() - t
                    with lock:
                        latencies.append(dt)
                        outcomes[f"{kind}:{r.status_code}"] = outcomes.get(f"{kind}:{r.status_code}", 0) + 1
                        if r.status_code == 200:
                            accepted[n] = accepted.get(n, 0) + 1
                        elif r.status_code != 422:
                            problems.append(f"{f.name}: HTTP {r.status_code}")

        probes: list[float] = []
        done = threading.Event()

        def probe() -> None:   # is the service still responsive for someone opening the page?
            with httpx.Client(base_url=base, timeout=120) as h:
                while not done.is_set():
                    t = time.perf_counter()
                    h.get("/")
                    probes.append(time.perf_counter() - t)
                    time.sleep(0.25)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
        prober = threading.Thread(target=probe)
        start = time.perf_counter()
        prober.start()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - start
        done.set()
        prober.join()

        statuses = desk.get(f"/api/v1/collections/{cid}/statuses").json()["units"]
        stored = {u["name"]: u["versions"] for u in statuses}
        for n in range(clients):
            if stored[f"负载单位{n:02d}"] != accepted.get(n, 0):
                problems.append(f"负载单位{n:02d}: {accepted.get(n, 0)} accepted, {stored[f'负载单位{n:02d}']} stored")
        inproc = in_process_times(files)
        result = {
            "clients": clients, "uploads": uploads, "answered": len(latencies), "wall_s": round(wall, 1),
            "throughput_per_s": round(len(latencies) / wall, 1), "outcomes": outcomes,
            "round_trip_ms": {"p50": round(percentile(latencies, 0.5) * 1000, 1),
                              "p95": round(percentile(latencies, 0.95) * 1000, 1)},
            "in_process_check_ms": {"p50": round(percentile(inproc, 0.5) * 1000, 1),
                                    "p95": round(percentile(inproc, 0.95) * 1000, 1)},
            "page_probe_ms": {"p50": round(percentile(probes, 0.5) * 1000, 1), "max": round(max(probes) * 1000, 1)},
            "problems": problems, "database": "postgresql" if db else "sqlite",
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        }
        result["overhead_ratio_p50"] = round(result["round_trip_ms"]["p50"] / result["in_process_check_ms"]["p50"], 1)
        return result
    finally:
        stop_server(proc)
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--uploads", type=int, default=400)
    ap.add_argument("--db", help="postgresql+psycopg://... (default: SQLite in the data folder)")
    ap.add_argument("--checkers", type=int, default=0)
    args = ap.parse_args()
    result = run(args.clients, args.uploads, args.db, args.checkers)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 1 if result["problems"] or result["answered"] != args.uploads else 0


if __name__ == "__main__":
    sys.exit(main())
