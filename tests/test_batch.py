"""Batch checking: every input gets one result, crashes and hangs are contained, JSONL/resume, summary, cross-year."""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from addin import jsonio
from addin.formats import available_formats
from tests.factory import broken_values, consistent_values, write_report
from tests.office import convert

ROOT = Path(__file__).resolve().parent.parent


def gk(*args, env_extra=None, timeout=300):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "addin", "check", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def read_jsonl(path):
    items = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            items.append(jsonio.loads(line))
        except ValueError:
            pass   # the half line an interrupted run leaves
    return items


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("batch")
    f21 = available_formats()["2021"]
    write_report(d / "ok1.xlsx", "2021", 2022, "甲局", seed=1)
    (d / "sub").mkdir()
    write_report(d / "sub" / "ok2.xlsx", "2019", 2020, "乙办", seed=2)
    write_report(d / "sub" / "bad.xlsx", "2021", 2022, "丙局", broken_values(f21, 3))
    (d / "~$ok1.xlsx").write_bytes(b"\x00lock")
    (d / "empty.xlsx").write_bytes(b"")
    (d / "notes.txt").write_text("not a workbook")
    return d


def test_folder_batch_counts_add_up_and_skips_lock_files(corpus, tmp_path):
    out = tmp_path / "r.jsonl"
    p = gk(corpus, "--workers", "2", "--jsonl", out)
    assert p.returncode == 1, p.stderr
    items = read_jsonl(out)
    # a text file in a folder is read like Word's text export (it holds no report: failed, and the
    # collection calls it not a report)
    assert sorted(Path(i["path"]).name for i in items) == ["bad.xlsx", "empty.xlsx", "notes.txt", "ok1.xlsx", "ok2.xlsx"]
    status = {Path(i["path"]).name: i["status"] for i in items}
    assert status == {"ok1.xlsx": "passed", "ok2.xlsx": "passed", "bad.xlsx": "failed", "empty.xlsx": "unreadable",
                      "notes.txt": "failed"}
    for i in items:
        assert len(i["sha256"]) == 64
    assert "锁文件" in p.stdout and "1 个" in p.stdout
    assert "Traceback" not in p.stderr


def test_glob_and_in_process_give_same_results_as_workers(corpus, tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    gk(str(corpus / "**" / "*.xlsx"), "--workers", "1", "--jsonl", a)
    gk(corpus, "--workers", "2", "--jsonl", b)
    key = lambda items: sorted((Path(i["path"]).name, i["status"], json.dumps(i["findings"], sort_keys=True, default=str))
                               for i in items)
    # the folder also reads notes.txt (a text document); the glob asked for workbooks only
    assert key(read_jsonl(a)) == key([i for i in read_jsonl(b) if i["path"].endswith(".xlsx")])


@pytest.mark.parametrize("workers", ["1", "2"])
def test_crashing_and_hanging_workers_still_give_one_result_each(corpus, tmp_path, workers):
    d = tmp_path / "in"
    d.mkdir()
    write_report(d / "good.xlsx", "2021", 2022, "甲局", seed=1)
    for name in ("__exit__x.xlsx", "__segv__x.xlsx", "__hang__x.xlsx"):
        (d / name).write_bytes((d / "good.xlsx").read_bytes())
    for i in range(4):
        write_report(d / f"more{i}.xlsx", "2021", 2022, f"单位{i}", seed=10 + i)
    out = tmp_path / "r.jsonl"
    p = gk(d, "--workers", workers, "--timeout", "3", "--jsonl", out, env_extra={"GKREPORT_FAULT_INJECTION": "1"})
    items = {Path(i["path"]).name: i for i in read_jsonl(out)}
    assert len(items) == 8
    assert items["__exit__x.xlsx"]["status"] == "unreadable"
    assert [f["code"] for f in items["__exit__x.xlsx"]["findings"]] == ["FILE-09"]
    assert [f["code"] for f in items["__segv__x.xlsx"]["findings"]] == ["FILE-09"]
    assert items["__hang__x.xlsx"]["status"] == "timed_out"
    assert [f["code"] for f in items["__hang__x.xlsx"]["findings"]] == ["FILE-08"]
    assert all(items[n]["status"] == "passed" for n in items if not n.startswith("__"))
    assert p.returncode == 1


def test_resume_skips_recorded_unchanged_files(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    for i in range(3):
        write_report(d / f"r{i}.xlsx", "2021", 2022, f"单位{i}", seed=i)
    out = tmp_path / "r.jsonl"
    gk(d, "--workers", "1", "--jsonl", out)
    first = read_jsonl(out)
    assert len(first) == 3
    # an interrupted run: the last line is cut in half; one file changed since
    text = out.read_text(encoding="utf-8").splitlines(keepends=True)
    out.write_text("".join(text[:2]) + text[2][:40], encoding="utf-8")
    changed = d / "r0.xlsx"
    write_report(changed, "2021", 2022, "单位0", broken_values(available_formats()["2021"], 0))
    p = gk(d, "--workers", "1", "--jsonl", out, "--resume", "--summary", tmp_path / "s.xlsx")
    names = [Path(i["path"]).name for i in read_jsonl(out)]
    # r0 changed and r2's line was cut: only those two are checked again, r1 is taken from the record
    assert names[:2] == ["r0.xlsx", "r1.xlsx"] and sorted(names[2:]) == ["r0.xlsx", "r2.xlsx"]
    assert read_jsonl(out)[-2 if names[-2] == "r0.xlsx" else -1]["status"] == "failed"
    assert "沿用" in p.stdout
    wb = openpyxl.load_workbook(tmp_path / "s.xlsx")
    assert wb["汇总"].max_row == 4       # header + every input, checked now or resumed


HOSTILE_TEXT = ['=HYPERLINK("http://example.invalid","点我")', "+cmd|' /C calc'!A0", "-1+1", "@SUM(1,1)", "=1+1"]


def test_summary_writes_input_text_as_text(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    f21 = available_formats()["2021"]
    for i, unit in enumerate(HOSTILE_TEXT):
        values = consistent_values(f21, i) if i % 2 == 0 else broken_values(f21, i)
        write_report(d / f"r{i}.xlsx", "2021", 2022, unit, values)
    summary = tmp_path / "汇总.xlsx"
    gk(d, "--workers", "2", "--summary", summary)
    wb = openpyxl.load_workbook(summary)
    ws = wb["汇总"]
    units = {ws.cell(r, 1).value: ws.cell(r, 1).data_type for r in range(2, ws.max_row + 1)}
    assert set(units) == set(HOSTILE_TEXT)
    assert set(units.values()) == {"s"}
    assert all(c.data_type != "f" for sheet in wb for row in sheet.iter_rows() for c in row)
    # LibreOffice must show the same text, not a computed value
    csv_file = convert(summary, "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,1",
                       tmp_path / "lo")
    with open(csv_file, encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert {r[0] for r in rows[1:]} == set(HOSTILE_TEXT)


def test_summary_totals_cover_balanced_reports_in_the_official_layout(tmp_path):
    from addin.writing.template import plan

    d = tmp_path / "in"
    d.mkdir()
    f21 = available_formats()["2021"]
    v1, v2 = consistent_values(f21, 1), consistent_values(f21, 2)
    write_report(d / "a.xlsx", "2021", 2022, "甲", v1)
    write_report(d / "b.xlsx", "2021", 2022, "乙", v2)
    write_report(d / "c.xlsx", "2021", 2022, "丙", broken_values(f21, 3))
    summary = tmp_path / "s.xlsx"
    gk(d, "--summary", summary)
    sheet, cell = plan(f21, 2022).address("/T3/new/C1")
    ws = openpyxl.load_workbook(summary)["合计 " + sheet]
    assert ws[cell].value == v1["/T3/new/C1"] + v2["/T3/new/C1"]
    first = openpyxl.load_workbook(summary)["合计 " + f21.tables()[0]["sheet"]]   # the units are listed beside 表二
    listed = [c.value for row in first.iter_rows() for c in row if isinstance(c.value, str)]
    assert "纳入合计的单位（2 个）" in listed and "丙" in listed


def _pair(tmp_path, match: bool):
    f21 = available_formats()["2021"]
    prev, this = consistent_values(f21, 1), consistent_values(f21, 2)
    if match:
        # this year's carried-in equals last year's carried-out; keep T3-01 by moving the difference into 'new'
        for c in ["C1", "C2", "C3", "C4", "C5", "C6", "C7"]:
            delta = prev[f"/T3/carried_out/{c}"] - this[f"/T3/carried_in/{c}"]
            this[f"/T3/carried_in/{c}"] += delta
            this[f"/T3/new/{c}"] -= delta
            if this[f"/T3/new/{c}"] < 0:
                this[f"/T3/r_total/{c}"] -= this[f"/T3/new/{c}"]
                this[f"/T3/carried_out/{c}"] += 0
                this[f"/T3/new/{c}"] = 0
    p = write_report(tmp_path / "2021.xlsx", "2021", 2021, "某市 某局", prev)
    t = write_report(tmp_path / "2022.xlsx", "2021", 2022, "某市某局", this)
    return p, t, prev, this


def test_xy01_fails_when_carried_in_differs(tmp_path):
    prev_file, this_file, prev, this = _pair(tmp_path, match=False)
    p = gk(this_file, "--previous", prev_file, "--jsonl", tmp_path / "r.jsonl")
    item = read_jsonl(tmp_path / "r.jsonl")[0]
    xy = [(f["cell"], f["expected"], f["actual"]) for f in item["findings"] if f["code"] == "XY-01"]
    differing = [c for c in ["C1", "C2", "C3", "C4", "C5", "C6", "C7"]
                 if prev[f"/T3/carried_out/{c}"] != this[f"/T3/carried_in/{c}"]]
    assert len(xy) == len(differing) > 0
    assert item["status"] == "failed" and p.returncode == 1
    assert {e for _, e, _ in xy} <= {prev[f"/T3/carried_out/{c}"] for c in differing}


def test_xy01_passes_when_carried_in_matches(tmp_path):
    prev_file, this_file, _, _ = _pair(tmp_path, match=True)
    gk(this_file, "--previous", prev_file, "--jsonl", tmp_path / "r.jsonl")
    item = read_jsonl(tmp_path / "r.jsonl")[0]
    assert not [f for f in item["findings"] if f["code"] == "XY-01"]
    assert not [f for f in item["findings"] if f["severity"] == "error"]


def test_previous_dir_matches_by_normalised_unit_and_lists_unmatched(tmp_path):
    prev_file, this_file, _, _ = _pair(tmp_path, match=False)
    prev_dir, this_dir = tmp_path / "p", tmp_path / "t"
    prev_dir.mkdir()
    this_dir.mkdir()
    prev_file.rename(prev_dir / prev_file.name)
    this_file.rename(this_dir / this_file.name)
    write_report(this_dir / "other.xlsx", "2021", 2022, "无上年单位", seed=5)
    p = gk(this_dir, "--previous-dir", prev_dir, "--jsonl", tmp_path / "r.jsonl", "--summary", tmp_path / "s.xlsx")
    items = {Path(i["path"]).name: i for i in read_jsonl(tmp_path / "r.jsonl")}
    assert any(f["code"] == "XY-01" for f in items["2022.xlsx"]["findings"])
    assert [f["code"] for f in items["other.xlsx"]["findings"]] == ["XY-10"]
    assert "无上年单位" in p.stdout and "未找到上一年度报告" in p.stdout
    notes = openpyxl.load_workbook(tmp_path / "s.xlsx")["说明"]
    assert "无上年单位" in [c.value for row in notes.iter_rows() for c in row]


def test_xls_and_ods_from_libreoffice_give_same_findings(tmp_path):
    f21 = available_formats()["2021"]
    src = write_report(tmp_path / "orig.xlsx", "2021", 2022, "甲局", broken_values(f21, 7))
    for target in ("xls", "ods", "xlsx:Calc MS Excel 2007 XML"):
        convert(src, target, tmp_path / target.split(":")[0])
    from addin.pipeline import check_file

    def key(path):
        r = check_file(path)
        return r.status, r.unit, [(f.code, f.sheet, f.cell) for f in r.findings]

    original = key(src)
    assert original[0] == "failed"
    for converted in (tmp_path / "xls" / "orig.xls", tmp_path / "ods" / "orig.ods", tmp_path / "xlsx" / "orig.xlsx"):
        assert key(converted) == original, converted


def test_dask_cluster_gives_identical_results(corpus, tmp_path):
    distributed = pytest.importorskip("distributed")
    d = tmp_path / "in"
    d.mkdir()
    for p in corpus.rglob("*.xlsx"):
        if not p.name.startswith("~$"):
            (d / p.name).write_bytes(p.read_bytes())
    (d / "__exit__crash.xlsx").write_bytes((d / "ok1.xlsx").read_bytes())
    (d / "__hang__slow.xlsx").write_bytes((d / "ok1.xlsx").read_bytes())
    os.environ["GKREPORT_FAULT_INJECTION"] = "1"
    try:
        with distributed.LocalCluster(n_workers=2, processes=False, dashboard_address=":0") as cluster:
            from addin.batch import expand_inputs, run_dask, run_isolated
            from addin.pipeline import Options

            files = expand_inputs([str(d)]).files
            got_dask, got_local = {}, {}
            run_dask(files, Options(), cluster.scheduler_address, 3.0, lambda i, r: got_dask.setdefault(i, r), chunk=2)
            run_isolated(files, Options(), 2, 3.0, lambda i, r: got_local.setdefault(i, r))
    finally:
        del os.environ["GKREPORT_FAULT_INJECTION"]
    assert sorted(got_dask) == list(range(len(files)))
    norm = lambda r: (Path(r.path).name, r.status, [(f.code, f.sheet, f.cell) for f in r.findings], r.content_hash)
    assert [norm(got_dask[i]) for i in range(len(files))] == [norm(got_local[i]) for i in range(len(files))]
    by_name = {Path(r.path).name: r for r in got_dask.values()}
    assert by_name["__exit__crash.xlsx"].findings[0].code == "FILE-09"
    assert by_name["__hang__slow.xlsx"].status == "timed_out"


_START_METHOD_PROBE = """
import json, sys, threading
from addin import batch
from addin.pipeline import Options
stop = threading.Event()
if sys.argv[1] == "thread":   # another thread alive: forking is unsafe, workers must be spawned
    threading.Thread(target=stop.wait).start()
got = {}
forked = batch._can_fork()   # what run_isolated decides as it starts
try:
    batch.run_isolated(sys.argv[3:], Options(), 2, 3.0, lambda i, r: got.setdefault(i, r))
finally:
    stop.set()
print(json.dumps({"forked": forked,
                  "codes": [[got[i].status, [f.code for f in got[i].findings]] for i in range(len(got))]}))
"""


@pytest.mark.parametrize("thread_running", [False, True], ids=["forked", "spawned"])
def test_isolated_workers_contain_crashes_whether_forked_or_spawned(tmp_path, thread_running):
    write_report(tmp_path / "good.xlsx", "2021", 2022, "甲局", seed=1)
    for name in ("__exit__x.xlsx", "__segv__x.xlsx", "__hang__x.xlsx"):
        (tmp_path / name).write_bytes((tmp_path / "good.xlsx").read_bytes())
    files = [str(tmp_path / n) for n in ("good.xlsx", "__exit__x.xlsx", "__segv__x.xlsx", "__hang__x.xlsx", "good.xlsx")]
    # a fresh interpreter: threads other tests leave behind (Dask) would make this one spawn in both cases
    env = dict(os.environ, PYTHONPATH=str(ROOT), GKREPORT_FAULT_INJECTION="1")
    p = subprocess.run([sys.executable, "-c", _START_METHOD_PROBE, "thread" if thread_running else "alone", "--", *files],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    out = json.loads(p.stdout)
    assert out["forked"] == (sys.platform.startswith("linux") and not thread_running)
    assert out["codes"][1:4] == [["unreadable", ["FILE-09"]], ["unreadable", ["FILE-09"]], ["timed_out", ["FILE-08"]]]
    assert out["codes"][0][0] == out["codes"][4][0] == "passed"


_LIMITED_CHECK = """
import resource, runpy, sys
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))   # a reader that runs away fails fast
sys.argv = ["gkreport", "check", *sys.argv[1:]]
runpy.run_module("addin", run_name="__main__")
"""


def test_an_xls_whose_cells_would_blow_up_the_grid_is_refused_before_calamine_reads_it(tmp_path):
    """A cell at row and column 65,535 of an .xls makes calamine allocate a 65,536 x 65,536 grid and
    abort the process; an .xls cannot be cut down, so its records are measured first and it is refused."""
    (tmp_path / "in").mkdir()
    src = write_report(tmp_path / "in" / "good.xlsx", "2021", 2022, "甲局", seed=1)
    data = bytearray(convert(src, "xls", tmp_path / "xls").read_bytes())
    at = data.find(b"\xfd\x00\x0a\x00")   # the first LABELSST record: row, column, format, string index
    data[at + 4:at + 8] = b"\xff\xff\xff\xff"   # row and column 65,535
    bad = tmp_path / "in" / "bad.xls"
    bad.write_bytes(data)
    probe = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30)); "
             "import python_calamine as pc; b = pc.CalamineWorkbook.from_path(sys.argv[1]); "
             "[b.get_sheet_by_name(n).to_python() for n in b.sheet_names]")
    assert subprocess.run([sys.executable, "-c", probe, str(bad)], capture_output=True).returncode != 0
    single = _limited_check(bad, src, "--json")
    assert single.returncode == 1 and "Traceback" not in single.stderr
    files = {Path(f["path"]).name: f for f in json.loads(single.stdout)["results"]}
    assert [f["code"] for f in files["bad.xls"]["findings"]] == ["FILE-05"]
    assert files["good.xlsx"]["status"] == "passed"
    assert subprocess.run([sys.executable, "-c", probe, str(convert(src, "xls", tmp_path / "ok"))]).returncode == 0
    assert _limited_check(tmp_path / "ok" / "good.xls").returncode == 0   # the unpatched .xls is read as before


def _limited_check(*args, env_extra=None):
    return subprocess.run([sys.executable, "-c", _LIMITED_CHECK, *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env=dict(os.environ, PYTHONPATH=str(ROOT), **(env_extra or {})))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the plain check isolates files where it can fork")
def test_the_plain_check_contains_a_file_that_kills_its_process(tmp_path):
    good = write_report(tmp_path / "good.xlsx", "2021", 2022, "甲局", seed=1)
    crash = tmp_path / "__segv__x.xlsx"
    crash.write_bytes(good.read_bytes())
    p = _limited_check(crash, good, "--json", env_extra={"GKREPORT_FAULT_INJECTION": "1"})
    assert p.returncode == 1 and "Traceback" not in p.stderr
    files = {Path(f["path"]).name: f for f in json.loads(p.stdout)["results"]}
    assert [f["code"] for f in files["__segv__x.xlsx"]["findings"]] == ["FILE-09"]
    assert files["good.xlsx"]["status"] == "passed"
