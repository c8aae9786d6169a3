"""Checks for the service: a pool of single-threaded checker processes, each running the batch's isolated
check (a forked worker per file, with the per-file time limit), so a hostile file never reaches the server."""
from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import addin
from addin import batch, catalogue
from addin.formats import available_formats
from addin.pipeline import Options, check_data, check_file
from addin.reading.model import WorkbookData
from addin.reporters.copies import BatchCopies
from addin.result import TIMED_OUT, UNREADABLE, FileResult
from addin.writing.docx_report import write_docx
from addin.writing.submission import SubmissionError, canonical_document, write_submission
from addin.writing.template import write_template

GRID_PATH = "（单元格数据）"


@dataclass(frozen=True)
class SubmissionFile:
    """Per-file step run in the worker after the check: the clean submission file when there are no errors
    (with `docx`, the published report written from the same validated document instead)."""

    out: str
    docx: bool = False

    def __call__(self, path: str, result):
        if result.ok:
            try:
                if self.docx:
                    document = canonical_document(result.document)
                    write_docx(self.out, available_formats()[result.format_version], document)
                else:
                    write_submission(result, self.out)
                result.annotated = self.out
            except (SubmissionError, OSError):
                pass
        return result


def marked_copy_step(out_dir: str, path: str, stem: str):
    """The batch's own marked-copy step (the same function `check --annotate` uses), for one file."""
    return BatchCopies(out_dir, None, ((path, stem),))


def warm_up() -> None:
    """Check a blank template of every format version here, once: the lazily built parts of the engine
    (compiled schemas and rules, caches) are then inherited by every forked worker instead of being
    built again in each one (about 150 ms a check)."""
    with tempfile.TemporaryDirectory() as d:
        for fmt in available_formats().values():
            year = next(y for y in range(2019, 2101) if fmt.covers_year(y))
            check_file(write_template(os.path.join(d, f"{fmt.version}.xlsx"), year))


def checker_main() -> None:
    """A checker process: read (path, options, timeout, then) jobs, answer with the FileResult."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    try:
        warm_up()
    except Exception:  # only a speed-up: checks work (slower) without it
        pass
    while True:
        try:
            job = batch._recv(0)
        except EOFError:
            return
        if job is None:
            return
        what, options, timeout, then = job
        batch._send(out, _grid(what, options, timeout) if isinstance(what, WorkbookData) else _file(what, options, timeout, then))


def _file(path: str, options, timeout: float, then):
    got = []
    batch.run_isolated([path], options, 1, timeout, lambda i, r: got.append(r), then)
    return got[0]


def _grid(workbook: WorkbookData, options, timeout: float):
    """Cells sent by an add-in: no file reader is involved, only the engine, cut off after the time limit."""
    def alarm(signum, frame):
        raise TimeoutError

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        return check_data(workbook, GRID_PATH, options)
    except TimeoutError:
        return batch.lost_result(GRID_PATH, TIMED_OUT, "FILE-08", seconds=f"{timeout:g}")
    except Exception as exc:  # an engine bug on strange cells is this request's finding, never a dead checker
        return FileResult(path=GRID_PATH, status=UNREADABLE,
                          findings=[catalogue.make("FILE-09", reason=f"{exc.__class__.__name__}: {exc}"[:200])])
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


class _Checker:
    def __init__(self):
        env = dict(os.environ)
        root = str(Path(addin.__file__).resolve().parent.parent)
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        self.proc = subprocess.Popen([sys.executable, "-c", "from addin.server.checker import checker_main; checker_main()"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     env=env, bufsize=0, close_fds=True)

    def run(self, job):
        batch._send(self.proc.stdin, job)
        return batch._recv(self.proc.stdout.fileno())

    def close(self) -> None:
        try:
            batch._send(self.proc.stdin, None)
            self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired, ValueError):
            self.proc.kill()
            self.proc.wait()


class CheckerPool:
    """Blocking `check(path)` for request threads; at most `size` checks run at once."""

    def __init__(self, size: int, timeout: float, options=None):
        self.size = size
        self.timeout = timeout
        self.options = options or Options()
        self.idle: queue.Queue = queue.Queue()
        self.all: list[_Checker] = []
        self.lock = threading.Lock()
        for _ in range(size):
            self._add()

    def _add(self) -> None:
        c = _Checker()
        with self.lock:
            self.all.append(c)
        self.idle.put(c)

    def check(self, what, then=None, options=None):
        """Check a file (path) or cells (WorkbookData) in a checker process; always a FileResult."""
        what = what if isinstance(what, WorkbookData) else str(what)
        path = GRID_PATH if isinstance(what, WorkbookData) else what
        c = self.idle.get()
        try:
            result = c.run((what, options or self.options, self.timeout, then))
        except (EOFError, OSError, ValueError):
            with self.lock:
                self.all.remove(c)
            try:
                c.proc.kill()
                c.proc.wait()
            except OSError:
                pass
            self._add()
            return batch.lost_result(str(path), UNREADABLE, "FILE-09", reason="校验进程意外退出")
        self.idle.put(c)
        return result

    def close(self) -> None:
        with self.lock:
            checkers, self.all = self.all, []
        for c in checkers:
            c.close()
