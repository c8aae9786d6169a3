"""Check many files: input expansion, isolated worker processes with time limits, streaming JSONL, resume."""
from __future__ import annotations

import glob
import os
import pickle
import selectors
import signal
import struct
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import addin
from addin import catalogue
from addin.pipeline import check_file
from addin.result import TIMED_OUT, UNREADABLE, FileResult
from addin.reading.guard import MAX_FILE_BYTES
from addin.reading.load import FOLDER_SUFFIXES as WORKBOOK_SUFFIXES   # the reader table's suffixes, kept current
from addin.reading.source import read_source
LOCK_PREFIX = "~$"                 # Office owner files left next to an open workbook
DEFAULT_TIMEOUT = 60.0
FAULT_ENV = "GKREPORT_FAULT_INJECTION"   # test hook: lets tests make a worker crash or hang on purpose


@dataclass
class Inputs:
    files: list[str]
    locks_skipped: list[str]
    missing: list[str]             # arguments that named nothing
    others: list[str] = field(default_factory=list)   # files in folders of no kind the reader knows (PDF, images...)


def expand_inputs(args: Iterable[str]) -> Inputs:
    """Files, folders (recursive) and glob patterns, each file once, in a stable order. Found in folders, the
    files of the reader table's folder suffixes are checked; every other file is listed in `others`, so that a
    collection can say what it is rather than skip it silently."""
    files: list[str] = []
    locks: list[str] = []
    missing: list[str] = []
    others: list[str] = []
    seen: set[str] = set()

    def add(p: Path, explicit: bool) -> None:
        if p.name.startswith(LOCK_PREFIX):
            locks.append(str(p))
            return
        key = os.path.realpath(p)
        if key in seen:
            return
        seen.add(key)
        (files if explicit or p.suffix.lower() in WORKBOOK_SUFFIXES else others).append(str(p))

    for arg in args:
        p = Path(arg)
        if p.is_dir():
            # every entry but a folder: a dangling link, a FIFO or a socket gets a result saying what it is
            for sub in sorted(q for q in p.rglob("*") if not q.is_dir()):
                add(sub, explicit=False)
        elif p.exists() or p.is_symlink():
            add(p, explicit=True)
        elif glob.has_magic(arg):
            matched = sorted(glob.glob(arg, recursive=True))
            hits = [Path(m) for m in matched if not Path(m).is_dir()]
            for d in (Path(m) for m in matched if Path(m).is_dir()):
                hits += sorted(q for q in d.rglob("*") if not q.is_dir())
            for q in hits:
                add(q, explicit=False)
            if not hits:
                missing.append(arg)
        else:
            # kept as an input: the reader turns it into a FILE-01 result, so nothing is lost silently
            add(p, explicit=True)
    return Inputs(files, locks, missing, others)


def sha256_of(path: str) -> str | None:
    """The digest of a regular file within the size limit (None otherwise: a FIFO is never waited on)."""
    try:
        return read_source(path, MAX_FILE_BYTES).sha256
    except OSError:
        return None


# -- the unit of work -------------------------------------------------------------------------------

def check_one(path: str, options, then=None):
    """check_file (with the hash of the bytes it checked); what every worker (local or Dask) runs for one file.
    `then(path, result) -> result`, a picklable per-file step (the marked-up copy), runs in the
    same process, so the file is not handled by the parent and stays under the time limit."""
    _inject_fault(path)
    result = check_file(path, options)   # its content_hash is of the bytes it read
    if then is not None:
        result = then(path, result)   # the marked-up copy needs the origins
    if not getattr(options, "keep_origins", True):
        result.origins = {}   # three quarters of the pickled result, and the parent would drop them
    return result


def _inject_fault(path: str) -> None:
    # Only when the test hook is set: a file whose name says so crashes or hangs the worker, because no
    # real workbook reliably does and the batch's guarantees must be tested against real process death.
    if not os.environ.get(FAULT_ENV):
        return
    name = os.path.basename(path)
    if name.startswith("__exit__"):
        os._exit(3)
    if name.startswith("__segv__"):
        import ctypes

        ctypes.string_at(0)
    if name.startswith("__hang__"):
        while True:
            time.sleep(1)


def lost_result(path: str, status: str, code: str, **fields):
    """The result of a file whose worker did not answer: timed out (FILE-08) or died (FILE-09)."""
    # no content hash: the parent never opens an input (a FIFO would block it), and a file that was not
    # checked must not be skipped by --resume
    return FileResult(path=path, status=status, findings=[catalogue.make(code, **fields)])


# -- worker processes -------------------------------------------------------------------------------

def _send(fh, obj) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    fh.write(struct.pack("<Q", len(data)) + data)
    fh.flush()


def _recv_exact(fd: int, n: int) -> bytes:
    chunks = []
    while n:
        b = os.read(fd, min(n, 1 << 20))
        if not b:
            raise EOFError
        chunks.append(b)
        n -= len(b)
    return b"".join(chunks)


def _recv(fd: int):
    (n,) = struct.unpack("<Q", _recv_exact(fd, 8))
    return pickle.loads(_recv_exact(fd, n))


def worker_main() -> None:
    """Entry point of a worker process: read (index, path, options) jobs from stdin, answer on stdout."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)       # stray prints from libraries must not corrupt the result stream
    while True:
        try:
            job = _recv(0)
        except EOFError:
            return
        if job is None:
            return
        index, path, options, then = job
        _send(out, (index, check_one(path, options, then)))


class _Worker:
    def __init__(self, fork: bool = False):
        self.proc = _Forked() if fork else _spawn()
        self.fd = self.proc.stdout.fileno()
        self.job: tuple[int, str] | None = None
        self.deadline = 0.0

    def give(self, index: int, path: str, options, timeout: float, then=None) -> None:
        self.job = (index, path)
        self.deadline = time.monotonic() + timeout
        _send(self.proc.stdin, (index, path, options, then))

    def kill(self) -> None:
        try:
            self.proc.kill()
        except OSError:
            pass
        self.proc.wait()
        for fh in (self.proc.stdin, self.proc.stdout):
            try:
                fh.close()
            except OSError:
                pass

    def close(self) -> None:
        try:
            _send(self.proc.stdin, None)
            self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired, ValueError):
            self.kill()
        else:
            self.proc.stdout.close()


def _spawn() -> subprocess.Popen:
    """A fresh interpreter running worker_main (imports everything itself: about 0.3 s)."""
    env = dict(os.environ)
    root = str(Path(addin.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return subprocess.Popen([sys.executable, "-c", "from addin.batch import worker_main; worker_main()"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            env=env, bufsize=0, close_fds=True)


class _Forked:
    """A forked copy of this process running worker_main, with the parts of Popen that _Worker uses."""

    def __init__(self):
        job_r, job_w = os.pipe()
        out_r, out_w = os.pipe()
        pid = os.fork()
        if pid == 0:   # the child: never returns into the parent's code, whatever happens
            code = 1
            try:
                os.dup2(job_r, 0)
                os.dup2(out_w, 1)
                os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
                # the parent's other descriptors (sibling workers' pipes, the JSONL) must not stay
                # open here: a sibling would then never see end-of-file when the parent dies
                os.closerange(3, _MAX_FD)
                worker_main()
                code = 0
            finally:
                os._exit(code)
        os.close(job_r)
        os.close(out_w)
        self.pid = pid
        self.returncode: int | None = None
        self.stdin = os.fdopen(job_w, "wb", buffering=0)
        self.stdout = os.fdopen(out_r, "rb", buffering=0)

    def _status(self, flags: int) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, flags)
            except ChildProcessError:
                return self.returncode
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)   # negative: killed by that signal
        return self.returncode

    def poll(self) -> int | None:
        return self._status(os.WNOHANG)

    def wait(self, timeout: float | None = None) -> int | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired("worker", timeout)
            time.sleep(0.005)
        return self.returncode

    def kill(self) -> None:
        if self.poll() is None:
            os.kill(self.pid, 9)


_MAX_FD = os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 256


def _can_fork() -> bool:
    """Fork on Linux only (macOS frameworks are not fork-safe), and only from a single-threaded process:
    a lock another thread held at the fork (a Dask worker runs tasks in threads) stays locked in the child."""
    return sys.platform.startswith("linux") and threading.active_count() == 1


def _preload(options) -> None:
    """Everything a check needs, loaded once here so that forked workers start with it."""
    import python_calamine  # noqa: F401

    options.formats()


def run_isolated(paths: list[str], options, workers: int, timeout: float,
                 on_result: Callable[[int, object], None], then=None) -> None:
    """Check paths in worker processes; every path gets exactly one on_result call, whatever happens."""
    pending = list(enumerate(paths))[::-1]
    pool: list[_Worker] = []
    # Linux: fork workers from this process with the engine loaded once (a spawned worker re-imports
    # everything, about 0.3 s each); elsewhere, or with threads running, spawn fresh interpreters.
    fork = _can_fork()
    if fork:
        _preload(options)
    sel = selectors.DefaultSelector()

    def start() -> _Worker | None:
        try:
            w = _Worker(fork)
        except OSError:   # a process or descriptor limit (ulimit -u / -n): go on with the workers there are
            return None
        pool.append(w)
        sel.register(w.fd, selectors.EVENT_READ, w)
        return w

    def refill() -> None:
        w = start()
        if w is not None:
            feed(w)

    def retire(w: _Worker) -> None:
        sel.unregister(w.fd)
        pool.remove(w)
        w.kill()

    def feed(w: _Worker) -> None:
        if pending:
            index, path = pending.pop()
            try:
                w.give(index, path, options, timeout, then)
            except (BrokenPipeError, OSError):
                # died before taking the job (it could not start under a process or descriptor limit): the
                # job waits for another worker, or for this process when none can be started
                retire(w)
                pending.append((index, path))

    try:
        for _ in range(max(1, min(workers, len(paths)))):
            w = start()
            if w is None:
                break
            feed(w)
        while any(w.job for w in pool) or (pending and _one_more(start, feed)):
            now = time.monotonic()
            wait = max(0.0, min(w.deadline for w in pool if w.job) - now)
            for key, _ in sel.select(timeout=min(wait, 1.0)):
                w = key.data
                try:
                    index, result = _recv(w.fd)
                except (EOFError, OSError, pickle.UnpicklingError, struct.error):
                    if w.job is None:   # an idle worker died (it could not start under the limits): drop it
                        retire(w)
                        continue
                    index, path = w.job
                    code = w.proc.poll()
                    retire(w)
                    why = f"进程退出，代码 {code}" if code is not None and code >= 0 else f"进程被信号 {-(code or 0)} 终止"
                    on_result(index, lost_result(path, UNREADABLE, "FILE-09", reason=why))
                    if pending:
                        refill()
                    continue
                w.job = None
                on_result(index, result)
                feed(w)
            now = time.monotonic()
            for w in [w for w in pool if w.job and w.deadline <= now]:
                index, path = w.job
                retire(w)
                on_result(index, lost_result(path, TIMED_OUT, "FILE-08", seconds=f"{timeout:g}"))
                if pending:
                    refill()
    finally:
        for w in list(pool):
            sel.unregister(w.fd)
            w.close()
        sel.close()
    if pending:
        # not even one worker could be started: the rest in this process, one at a time, still under the
        # time limit, so that every file gets its result
        rest = pending[::-1]
        run_in_process([p for _, p in rest], options, timeout, lambda j, r: on_result(rest[j][0], r), then)


def _one_more(start, feed) -> bool:
    """Jobs wait and no worker runs: start one and give it a job (False when that cannot be done)."""
    w = start()
    if w is None:
        return False
    feed(w)
    return w.job is not None   # False: it died before taking the job, which waits again


class CallFailed(Exception):
    """An isolated call gave no answer: it ran out of time or its process died (message in Chinese)."""


def call_isolated(fn, args: tuple, timeout: float):
    """fn(*args) in a forked copy of this process, killed at the time limit (Linux, single-threaded);
    elsewhere in this process, cut off by SIGALRM. What `submit` and `verify` run an input through,
    so that they stand under the same limit and isolation as `check`. Raises CallFailed."""
    if not can_isolate_cheaply():
        try:
            with _time_limit(timeout):
                return fn(*args)
        except _Timeout:
            raise CallFailed(f"超过时限 {timeout:g} 秒") from None
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:   # the child: never returns into the parent's code
        code = 1
        try:
            os.close(r)
            with os.fdopen(w, "wb") as out:
                pickle.dump(fn(*args), out, protocol=pickle.HIGHEST_PROTOCOL)
            code = 0
        finally:
            os._exit(code)
    os.close(w)
    chunks, deadline = [], time.monotonic() + timeout
    with os.fdopen(r, "rb", buffering=0) as fh, selectors.DefaultSelector() as sel:
        sel.register(fh, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(timeout=left):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                raise CallFailed(f"超过时限 {timeout:g} 秒")
            chunk = fh.read(1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    if status != 0 or not chunks:
        raise CallFailed("处理此文件的进程意外中止")
    return pickle.loads(b"".join(chunks))


def can_isolate_cheaply() -> bool:
    """Whether run_isolated forks its workers (no interpreter start, so fine even for one file)."""
    return _can_fork()


class _Timeout(BaseException):
    """Raised by SIGALRM inside a _time_limit block (a BaseException: no `except Exception` swallows it)."""


@contextmanager
def _time_limit(timeout: float):
    """A Python-level hang inside the block is cut off after `timeout` seconds (_Timeout); off the main
    thread, or without SIGALRM (Windows), there is no limit."""
    if not (hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread()):
        yield
        return

    def alarm(signum, frame):
        raise _Timeout

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def run_in_process(paths: list[str], options, timeout: float, on_result, then=None) -> None:
    """Where workers cannot be forked, a single check runs here: no isolation from crashes, but a
    Python-level hang is still cut off by SIGALRM."""
    for index, path in enumerate(paths):
        try:
            with _time_limit(timeout):
                result = check_one(path, options, then)
        except _Timeout:
            result = lost_result(path, TIMED_OUT, "FILE-08", seconds=f"{timeout:g}")
        on_result(index, result)


def run_dask(paths: list[str], options, address: str, timeout: float, on_result, chunk: int = 25,
             then=None) -> None:
    """The same isolated per-file work on a Dask cluster: each task checks a chunk in its own worker process."""
    from distributed import Client, as_completed

    chunks = [list(range(i, min(i + chunk, len(paths)))) for i in range(0, len(paths), chunk)]
    with Client(address) as client:
        futures = {client.submit(_dask_chunk, [paths[i] for i in idx], options, timeout, then, pure=False): idx
                   for idx in chunks}
        for future in as_completed(futures):
            idx = futures[future]
            try:
                results = future.result()
            except Exception as exc:  # e.g. KilledWorker: the whole chunk's worker died every time it was tried
                reason = f"Dask 任务失败：{exc.__class__.__name__}"
                results = [lost_result(paths[i], UNREADABLE, "FILE-09", reason=reason) for i in idx]
            for i, r in zip(idx, results):
                on_result(i, r)


def _dask_chunk(paths: list[str], options, timeout: float, then=None) -> list:
    out: list = [None] * len(paths)

    def keep(i, r):
        out[i] = r

    run_isolated(paths, options, 1, timeout, keep, then)
    return out


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1
