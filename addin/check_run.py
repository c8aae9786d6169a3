"""One check run over one file or many: inputs, isolated workers, copies, resume, last year's reports, reporters."""
from __future__ import annotations

import errno
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from addin import batch, collection, jsonio, os_messages
from addin.commands import EXIT_FAILED, EXIT_OK, CommandError, usage_error
from addin.pipeline import Options
from addin.reporters.annotate import is_output
from addin.reporters.base import RunEnd
from addin.reporters.copies import BatchCopies, path_key
from addin.reporters.registry import REPORTER_BY_NAME
from addin.result import FileResult
from addin.safe_text import for_terminal
from addin.validation import cross_year
from addin.writing.spill import SpilledResults


@dataclass
class CheckSettings:
    """What `gkreport check` was asked to do, parsed and checked for usage errors by commands/check.py."""

    paths: list[str]
    json: bool = False
    lenient: bool = False
    verbose: bool = False
    annotate: bool = False
    out_dir: str | None = None
    schema_dir: str | None = None
    workers: int | None = None
    summary: str | None = None
    jsonl: str | None = None
    resume: bool = False
    timeout: float = batch.DEFAULT_TIMEOUT
    previous: str | None = None
    previous_dir: str | None = None
    dask: str | None = None
    many: bool = False              # folders, patterns or batch options: a progress bar, always worker processes
    file_count: int = 0             # set by the run once the inputs are expanded
    # the collection (a batch is one reporting round: addin/collection.py)
    roster: str | None = None       # --roster: the file of expected units
    roster_units: list | None = None   # the units read from it (commands/check.py reads it, for a usage error)
    year: int | None = None         # --year: a report of another year is an error for the collector
    totals: str = "balanced"        # --totals: which current reports the totals sum
    totals_out: str | None = None   # --totals-out: the standalone totals workbook
    feedback_dir: str | None = None   # --feedback-dir: one 退回意见 text per unit, and the 催报 list
    quiet: bool = False             # --quiet: only the closing table
    command: str = ""               # the command line, recorded in the summary's 说明

    @property
    def collecting(self) -> bool:
        """Collection options were given: the JSONL closes with the collection's record."""
        return bool(self.roster or self.year or self.totals_out or self.feedback_dir)

    @property
    def reporter_names(self) -> list[str]:
        """The outputs asked for, in the order they finish: files first, the terminal or JSON last."""
        names = [n for n, wanted in (("jsonl", self.jsonl), ("summary", self.summary), ("totals", self.totals_out),
                                     ("feedback", self.feedback_dir)) if wanted]
        return names + ["json" if self.json else "console"]


class CheckRun:
    """`CheckRun(settings).run()` checks every input and returns the exit status: 0 when every file passed
    and every requested copy was written, 1 otherwise. One file is the one-file case of the same run."""

    def __init__(self, settings: CheckSettings):
        self.settings = settings
        # origins only serve the cross-year findings' cell addresses; otherwise the workers need not send them
        self.options = Options(lenient=settings.lenient, schema_dir=settings.schema_dir,
                               keep_origins=bool(settings.previous or settings.previous_dir))
        self.previous_results: list[FileResult] | None = None   # last year's reports, for the 同比 sheet

    def run(self) -> int:
        s = self.settings
        inputs = batch.expand_inputs(s.paths)
        for arg in inputs.missing:
            sys.stderr.write(f"没有与“{arg}”匹配的文件。\n")
        if not inputs.files and not inputs.others:
            raise usage_error("没有要校验的文件。")
        files = inputs.files
        copies = None
        own_outputs: list[str] = []
        if s.annotate:
            # Copies from an earlier run found in the folder are not reports to copy again (named ones are).
            named = {str(Path(a)) for a in s.paths}
            own_outputs = [f for f in files if is_output(f) and f not in named]
            files = [f for f in files if f not in own_outputs]
            if not files and not inputs.others:
                raise usage_error("没有要校验的文件。")
            copies = BatchCopies.plan(files, s.out_dir, reserved=tuple(filter(None, (s.jsonl, s.summary))))
        s.file_count = len(files)
        check_outputs({"--jsonl": s.jsonl, "--summary": s.summary}, files)
        # named files without batch options go one by one, so their results print in input order
        workers = s.workers or (min(batch.default_workers(), len(files)) if s.many else 1)

        done: dict[str, FileResult] = {}
        if s.resume and os.path.exists(s.jsonl):
            done = _recorded(s.jsonl, files)
            if copies is not None:
                # a recorded file whose marked-up copy is not where this run puts it is checked again
                done = {path: r for path, r in done.items() if r.status == "unreadable" or _copy_in_place(r, copies, path)}

        previous_of = self._previous_matcher(workers)
        results: list = [None] * len(files)
        outputs = _Outputs(s)
        # a batch is a collection: its totals read the data documents back from disk, memory stays flat
        documents = SpilledResults(len(files)) if s.many and not s.json else None
        try:
            for i, path in enumerate(files):
                if path in done:
                    outputs.call("resumed", i, done[path])
                    if documents is not None:
                        documents.put(i, done[path])
                    results[i] = done[path] if s.json else slim(done[path], s.many)
            todo = [i for i in range(len(files)) if results[i] is None]
            progress = _Progress(len(files), len(files) - len(todo)) if s.many and sys.stdout.isatty() and not s.json \
                else None

            def on_result(j: int, result: FileResult) -> None:
                i = todo[j]
                if previous_of is not None:
                    checked = result
                    result = previous_of(result)
                    if copies is not None and result.annotated and _cell_findings_added(checked, result):
                        # the worker wrote the copy before last year's report was matched: write it
                        # again with the cross-year findings (only reports that have some)
                        result = copies(files[i], result)
                result.path = files[i]
                result.origins = {}
                if documents is not None:
                    documents.put(i, result)
                if result.status != "passed" and not (s.jsonl or s.json):
                    result.document = None   # only the JSONL and the JSON ask for it (the totals read the spill)
                outputs.call("file_done", i, result)
                if progress:
                    progress.advance(result)
                # only what the end of the run needs stays in memory, so it stays flat in the number of files
                results[i] = result if s.json else slim(result, s.many)

            if progress:
                progress.start()
            try:
                self._check([files[i] for i in todo], workers, on_result, copies)
            finally:
                if progress:
                    progress.stop()
            unmatched = [r for r in results if any(f.code == "XY-10" for f in r.findings)] if previous_of else []
            stream = (lambda: ((r.path, r.document) for r in documents)) if documents is not None else None
            view = None
            if s.many:
                received = [collection.receive(r.path, r) for r in results] + \
                    [collection.receive(p) for p in inputs.others]
                view = collection.build(s.year, s.roster_units, received, s.totals, self.options.formats(), stream)
            end = RunEnd(results, self.options, locks_skipped=len(inputs.locks_skipped), own_outputs=len(own_outputs),
                         resumed=len(done), unmatched=unmatched, previous_mode=previous_of is not None,
                         collection=view, documents=stream, previous=self.previous_results,
                         lock_files=list(inputs.locks_skipped))
            outputs.call("finish", end)
        finally:
            outputs.call("close")
            if documents is not None:
                documents.close()
        outputs.raise_failures()
        # A requested copy that could not be written (OUT-01) is a failure even when every file passed.
        no_copy = any(f.code == "OUT-01" for r in results for f in r.findings)
        passed = collection.all_passed(view) if view is not None else all(r.ok for r in results)
        return EXIT_OK if passed and not no_copy else EXIT_FAILED

    def _check(self, paths: list[str], workers: int, on_result, then=None) -> None:
        """Every file in a worker process (one too: a reader that aborts the process, calamine on a hostile
        .xls, then gives FILE-09 and loses no other file), or on a Dask cluster. A plain check of named files
        where workers cannot be forked (a fresh interpreter would double the wait) runs in this process,
        where a hang is still cut off after the time limit."""
        s = self.settings
        if not paths:
            return
        if s.dask:
            batch.run_dask(paths, self.options, s.dask, s.timeout, on_result, then=then)
        elif s.many or batch.can_isolate_cheaply():
            batch.run_isolated(paths, self.options, workers, s.timeout, on_result, then)
        else:
            batch.run_in_process(paths, self.options, s.timeout, on_result, then)

    def _previous_matcher(self, workers: int):
        """A function adding XY findings to a result, or None without --previous/--previous-dir."""
        s = self.settings
        if not (s.previous or s.previous_dir):
            return None
        paths = [s.previous] if s.previous else batch.expand_inputs([s.previous_dir]).files
        prev: list = [None] * len(paths)

        def keep(i, r):
            prev[i] = r

        self._check(paths, min(workers, len(paths)) or 1, keep)
        self.previous_results = prev
        formats = self.options.formats()
        if s.previous:
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


def _copy_in_place(result, copies, path: str) -> bool:
    annotated = result.annotated
    return bool(annotated) and os.path.isfile(annotated) and \
        os.path.normcase(os.path.abspath(os.path.dirname(annotated))) == os.path.normcase(os.path.abspath(copies.folder(path)))


def _cell_findings_added(before, after) -> bool:
    """Findings the cross-year step added other than XY-10 (which notes a missing report, not a cell)."""
    known = {(f.code, f.pointer, f.sheet, f.cell, f.message) for f in before.findings}
    return any((f.code, f.pointer, f.sheet, f.cell, f.message) not in known and f.code != "XY-10" for f in after.findings)


def slim(result: FileResult, all_findings: bool = False) -> FileResult:
    """What stays in memory of a finished file without --json: identity, status, its copy, and the
    findings the end of the run still asks about (XY-10 unmatched units, OUT-01 failed copies; in a
    batch every finding: the collection's 退回意见 name each error). The data document stays on disk."""
    keep = list(result.findings) if all_findings else [f for f in result.findings if f.code in ("XY-10", "OUT-01")]
    return FileResult(path=result.path, status=result.status, format_version=result.format_version,
                      report_year=result.report_year, unit=result.unit, findings=keep, content_hash=result.content_hash,
                      annotated=result.annotated, contacts=result.contacts)


def _recorded(jsonl: str, files: list[str]) -> dict[str, FileResult]:
    """Results already in the JSONL file whose recorded content hash still matches the file."""
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
        self.t0 = time.monotonic()
        self.n = 0
        self.progress.start()

    def advance(self, result) -> None:
        self.n += 1
        if not result.ok:
            self.failures += 1
        rate = self.n / max(time.monotonic() - self.t0, 1e-6)
        self.progress.update(self.task, advance=1, rate=f"{rate:.1f}", failures=self.failures)

    def stop(self) -> None:
        self.progress.stop()


def check_outputs(outputs: dict[str, str | None], inputs: list[str]) -> None:
    """Before anything runs: each output file is none of the inputs nor another output, is not a folder,
    and can be created where it goes (a usage error in Chinese otherwise, never a traceback after the run)."""
    seen: dict[str, str] = {}
    keys = {path_key(f): f for f in inputs}
    for option, path in outputs.items():
        if not path:
            continue
        key = path_key(path)
        if key in keys:
            raise usage_error(f"{option} 的输出文件与输入文件 {for_terminal(keys[key])} 相同，为保护原文件不写入。")
        if key in seen:
            raise usage_error(f"{option} 与 {seen[key]} 指向同一个文件（{for_terminal(path)}）。")
        seen[key] = option
        if os.path.isdir(path):
            raise usage_error(f"{option} 指定的 {for_terminal(path)} 是一个文件夹，请给出文件名。")
        folder = Path(path).parent
        while not folder.exists() and folder != folder.parent:   # --jsonl creates missing folders
            folder = folder.parent
        try:
            if not folder.is_dir():
                raise NotADirectoryError(errno.ENOTDIR, "not a directory", str(folder))
            with tempfile.TemporaryFile(dir=folder):
                pass
        except OSError as exc:
            raise usage_error(f"{option} 的输出文件无法写入（{os_messages.describe(exc)}）：{for_terminal(path)}") from exc


class _Outputs:
    """The run's reporters, each called until it fails: an output that cannot be written (a full disk,
    /dev/full) stops only itself; the others are still written and the run ends with a message."""

    def __init__(self, settings):
        self.reporters, self.failures = [], []
        try:
            for name in settings.reporter_names:
                self.reporters.append((name, REPORTER_BY_NAME[name](settings)))
        except OSError as exc:
            self.call("close")
            raise CommandError(f"无法写入输出文件（{os_messages.describe(exc)}）：{for_terminal(exc.filename or name)}") from exc

    def call(self, method: str, *args) -> None:
        for entry in list(self.reporters):
            name, reporter = entry
            try:
                getattr(reporter, method)(*args)
            except OSError as exc:
                self.reporters.remove(entry)
                self.failures.append(f"--{name}：{os_messages.describe(exc)}")
                if method != "close":
                    try:
                        reporter.close()
                    except OSError:
                        pass

    def raise_failures(self) -> None:
        if self.failures:
            raise CommandError("以下输出未能写完：" + "；".join(self.failures) + "。")
