"""`gkreport check` over many files: options, resume, previous-year matching, progress, JSONL and summary outputs."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from addin.result import FileResult


def add_arguments(p) -> None:
    g = p.add_argument_group("批量校验")
    g.add_argument("--workers", type=int, metavar="N", help="并行进程数（默认：全部 CPU 核心；1 表示在本进程内依次校验）")
    g.add_argument("--summary", metavar="汇总.xlsx", help="写出汇总工作簿（汇总、问题清单、规则统计、合计）")
    g.add_argument("--jsonl", metavar="FILE", help="每校验完一个文件即追加一行 JSON 结果")
    g.add_argument("--resume", action="store_true", help="跳过 --jsonl 中已记录且内容未变的文件")
    g.add_argument("--timeout", type=float, default=None, metavar="秒", help="单个文件的校验时限（默认 60 秒）")
    g.add_argument("--previous", metavar="FILE", help="上一年度的报告，用于跨年度核对（XY-01 等）")
    g.add_argument("--previous-dir", metavar="DIR", help="上一年度报告所在文件夹，按单位名称与本年度报告配对")
    g.add_argument("--dask", metavar="ADDRESS", help="在已有的 Dask 集群上校验（需安装 gkreport[dask]）")


def wanted(args) -> bool:
    """True when the plain one-by-one check is not enough."""
    if any(getattr(args, k, None) for k in ("workers", "summary", "jsonl", "resume", "timeout", "previous",
                                            "previous_dir", "dask")):
        return True
    return any(os.path.isdir(p) or (not os.path.exists(p) and any(c in p for c in "*?[")) for p in args.paths)


def _usage(message: str) -> int:
    sys.stderr.write(f"用法错误：{message}\n")
    return 2


def run(args) -> int:
    from addin import batch
    from addin.pipeline import Options
    from addin.reporters import console, json_report

    if args.resume and not args.jsonl:
        return _usage("--resume 需要同时指定 --jsonl。")
    if args.previous and args.previous_dir:
        return _usage("--previous 与 --previous-dir 只能指定一个。")
    if args.out_dir and not args.annotate:
        return _usage("--out-dir 只能与 --annotate 一起使用。")
    if args.workers is not None and args.workers < 1:
        return _usage("--workers 至少为 1。")
    timeout = args.timeout if args.timeout is not None else batch.DEFAULT_TIMEOUT
    if timeout <= 0:
        return _usage("--timeout 应大于 0。")
    # origins only serve the cross-year findings' cell addresses; otherwise the workers need not send them
    options = Options(lenient=args.lenient, schema_dir=args.schema_dir,
                      keep_origins=bool(args.previous or args.previous_dir))
    inputs = batch.expand_inputs(args.paths)
    for arg in inputs.missing:
        sys.stderr.write(f"没有与“{arg}”匹配的文件。\n")
    if not inputs.files:
        return _usage("没有要校验的文件。")
    files = inputs.files
    copies = None
    own_outputs: list[str] = []
    if args.annotate:
        from addin.reporters.annotate import BatchCopies, is_output

        # Copies from an earlier run found in the folder are not reports to copy again (named ones are).
        named = {str(Path(a)) for a in args.paths}
        own_outputs = [f for f in files if is_output(f) and f not in named]
        files = [f for f in files if f not in own_outputs]
        if not files:
            return _usage("没有要校验的文件。")
        copies = BatchCopies.plan(files, args.out_dir)
    workers = args.workers or min(batch.default_workers(), len(files))

    done: dict[str, object] = {}
    if args.resume and os.path.exists(args.jsonl):
        done = _recorded(args.jsonl, files)
        if copies is not None:
            # a recorded file whose marked-up copy is not where this run puts it is checked again
            done = {path: r for path, r in done.items() if r.status == "unreadable" or _copy_in_place(r, copies, path)}

    previous_of = _previous_matcher(args, options, workers, timeout, batch)
    results: list = [None] * len(files)
    for i, path in enumerate(files):
        if path in done:
            results[i] = done[path]
    todo = [i for i in range(len(files)) if results[i] is None]

    sink = _JsonlSink(args.jsonl, append=args.resume) if args.jsonl else None
    # Memory flat in the number of files: without --json, only a small record per file stays in
    # memory; what the summary workbook needs (findings, documents) waits in a temporary JSONL.
    spill = None
    if args.summary and not args.json:
        from addin.writing.spill import SpilledResults

        spill = SpilledResults(len(files))
        for i, r in enumerate(results):
            if r is not None:
                spill.put(i, r)
                results[i] = _slim(r)
    progress = _Progress(len(files), len(files) - len(todo)) if sys.stdout.isatty() and not args.json else None
    try:
        def on_result(j: int, result) -> None:
            i = todo[j]
            if previous_of is not None:
                checked = result
                result = previous_of(result)
                if copies is not None and result.annotated and _cell_findings_added(checked, result):
                    # the worker wrote the copy before last year's report was matched: write it
                    # again with the cross-year findings (only reports that have some)
                    result = copies(files[i], result)
            result.path = files[i]
            # only what the summary needs is kept, so memory stays flat in the number of files
            result.origins = {}
            result.not_evaluated = list(result.not_evaluated) if args.json else []
            if result.status != "passed":
                result.document = None if not (sink or args.json) else result.document
            results[i] = result
            if sink:
                sink.write(result)
            if not args.json:
                console.write_result(result, sys.stdout, verbose=args.verbose)
                if result.annotated:
                    sys.stdout.write(f"  标注副本：{result.annotated}\n\n")
            if progress:
                progress.advance(result)
            if not args.json:
                if spill:
                    spill.put(i, result)
                results[i] = _slim(result)

        paths = [files[i] for i in todo]
        if progress:
            progress.start()
        _run(batch, paths, options, workers, timeout, args.dask, on_result, copies)
    finally:
        if progress:
            progress.stop()
        if sink:
            sink.close()
    unmatched = [r for r in results if any(f.code == "XY-10" for f in r.findings)] if previous_of else []
    if args.summary:
        from addin.writing.summary import write_summary

        try:
            write_summary(args.summary, spill if spill is not None else results, locks_skipped=len(inputs.locks_skipped),
                          unmatched=unmatched, previous_mode=previous_of is not None, options=options)
        finally:
            if spill is not None:
                spill.close()
    if args.json:
        sys.stdout.write(json_report.run_document(results) + "\n")
    else:
        console.write_summary(results, sys.stdout)
        if len(results) < 2:
            pass
        if own_outputs:
            sys.stdout.write(f"已跳过此前生成的标注副本 {len(own_outputs)} 个。\n")
        if inputs.locks_skipped:
            sys.stdout.write(f"已跳过 Office 锁文件（~$ 开头）{len(inputs.locks_skipped)} 个。\n")
        if done:
            sys.stdout.write(f"其中 {len(done)} 个文件内容未变，沿用 {args.jsonl} 中的结果。\n")
        if unmatched:
            names = "、".join(f"{r.unit or '（未填写单位）'}（{r.path}）" for r in unmatched[:20])
            more = f" 等 {len(unmatched)} 个" if len(unmatched) > 20 else ""
            sys.stdout.write(f"未找到上一年度报告的单位：{names}{more}。\n")
        if args.summary:
            sys.stdout.write(f"汇总工作簿已写入：{args.summary}\n")
    # As for one file: a requested copy that could not be written is a failure.
    no_copy = any(f.code == "OUT-01" for r in results for f in r.findings)
    return 0 if all(r.ok for r in results) and not no_copy else 1


def _copy_in_place(result, copies, path: str) -> bool:
    annotated = result.annotated
    return bool(annotated) and os.path.isfile(annotated) and \
        os.path.normcase(os.path.abspath(os.path.dirname(annotated))) == os.path.normcase(os.path.abspath(copies.folder(path)))


def _cell_findings_added(before, after) -> bool:
    """Findings the cross-year step added other than XY-10 (which notes a missing report, not a cell)."""
    known = {(f.code, f.pointer, f.sheet, f.cell, f.message) for f in before.findings}
    return any((f.code, f.pointer, f.sheet, f.cell, f.message) not in known and f.code != "XY-10" for f in after.findings)


def _slim(result):
    """What stays in memory of a finished file without --json: identity, status, its copy, and the
    findings the end of the run still asks about (XY-10 unmatched units, OUT-01 failed copies)."""
    keep = [f for f in result.findings if f.code in ("XY-10", "OUT-01")]
    return FileResult(path=result.path, status=result.status, format_version=result.format_version,
                      report_year=result.report_year, unit=result.unit, findings=keep, content_hash=result.content_hash,
                      annotated=result.annotated)


def _run(batch, paths, options, workers, timeout, dask, on_result, then=None) -> None:
    if not paths:
        return
    if dask:
        batch.run_dask(paths, options, dask, timeout, on_result, then=then)
    else:   # one worker too runs apart: a reader that aborts the process (calamine on a hostile .xls) loses no file
        batch.run_isolated(paths, options, workers, timeout, on_result, then)


def _previous_matcher(args, options, workers, timeout, batch):
    """A function adding XY findings to a result, or None without --previous/--previous-dir."""
    from addin.validation import cross_year

    if not (args.previous or args.previous_dir):
        return None
    paths = [args.previous] if args.previous else batch.expand_inputs([args.previous_dir]).files
    prev: list = [None] * len(paths)

    def keep(i, r):
        prev[i] = r

    _run(batch, paths, options, min(workers, len(paths)) or 1, timeout, args.dask, keep)
    formats = options.formats()
    if args.previous:
        only = prev[0]
        return lambda r: cross_year.apply(r, only, formats)
    by_unit: dict[str, list] = {}
    for r in prev:
        if r.document is not None and r.unit:
            by_unit.setdefault(cross_year.unit_key(r.unit), []).append(r)

    def match(r):
        candidates = by_unit.get(cross_year.unit_key(r.unit), []) if r.unit else []
        exact = [c for c in candidates if r.report_year and c.report_year == r.report_year - 1]
        return cross_year.apply(r, (exact or [None])[0], formats)

    return match


def _recorded(jsonl: str, files: list[str]) -> dict[str, object]:
    """Results already in the JSONL file whose recorded content hash still matches the file."""
    from addin import batch, jsonio

    latest: dict[str, dict] = {}
    with open(jsonl, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            try:
                item = jsonio.loads(line)
            except ValueError:
                continue  # the last line of an interrupted run may be cut off
            if isinstance(item, dict) and item.get("path") and item.get("sha256"):
                latest[item["path"]] = item
    out = {}
    for path in files:
        item = latest.get(path)
        if item and batch.sha256_of(path) == item["sha256"]:
            out[path] = FileResult.from_dict(item)
    return out


class _JsonlSink:
    """One JSON line per finished file, flushed at once, so an interrupted run keeps what it did."""

    def __init__(self, path: str, append: bool):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.fh = open(path, "a" if append else "w", encoding="utf-8")
        if append and self.fh.tell() > 0:
            with open(path, "rb") as check:
                check.seek(-1, os.SEEK_END)
                if check.read(1) != b"\n":
                    self.fh.write("\n")   # end the line an interrupted run left half written

    def write(self, result) -> None:
        from addin import jsonio

        item = result.as_dict()
        item["document"] = result.document
        self.fh.write(jsonio.dumps(item) + "\n")
        self.fh.flush()

    def close(self) -> None:
        self.fh.close()


class _Progress:
    """rich progress bar: files done/total, rate, failures so far (only on a terminal)."""

    def __init__(self, total: int, already: int):
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                   TimeRemainingColumn)

        self.failures = 0
        self.progress = Progress(TextColumn("校验中"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[rate]} 个/秒"), TextColumn("未通过 {task.fields[failures]}"),
                                 TimeElapsedColumn(), TimeRemainingColumn(), transient=False)
        self.task = self.progress.add_task("check", total=total, completed=already, rate="-", failures=0)

    def start(self) -> None:
        import time

        self.t0 = time.monotonic()
        self.n = 0
        self.progress.start()

    def advance(self, result) -> None:
        import time

        self.n += 1
        if not result.ok:
            self.failures += 1
        rate = self.n / max(time.monotonic() - self.t0, 1e-6)
        self.progress.update(self.task, advance=1, rate=f"{rate:.1f}", failures=self.failures)

    def stop(self) -> None:
        self.progress.stop()
