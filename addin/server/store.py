"""Content-addressed file store under the data folder: names come from the SHA-256, never from user input."""
from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterable

from addin.reading.load import READERS

# The suffixes of the reader table, and WPS's .et (stored under the suffix of its container, see below);
# anything else is stored as ".bin" (the reader then says it is unsupported).
WPS_SUFFIX = ".et"
KNOWN_SUFFIXES = tuple(sorted({s for r in READERS.values() for s in r.suffixes} | {WPS_SUFFIX}))
_SHA_RE = re.compile(r"[0-9a-f]{64}")
CHUNK = 1 << 20


class TooLarge(Exception):
    """The upload is larger than the configured limit."""


def too_large_message(limit: int) -> str:
    return f"文件太大：上传的文件不能超过 {limit // (1024 * 1024)} MB。请检查是否选错了文件。"


def safe_suffix(filename: str | None) -> str:
    """The file's suffix if it is one the reader knows, else ".bin"; the only part of a user's name kept."""
    suffix = os.path.splitext(os.path.basename((filename or "").replace("\\", "/")))[1].lower()
    return suffix if suffix in KNOWN_SUFFIXES else ".bin"


@dataclass(frozen=True)
class Stored:
    sha256: str
    suffix: str
    size: int

    @property
    def key(self) -> str:
        return self.sha256 + self.suffix


class FileStore:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.files = self.root / "files"
        self.tmp = self.root / "tmp"
        self.files.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        """Path of a stored file; the key is checked, so no caller can reach outside the store."""
        sha, suffix = key[:64], key[64:]
        if not _SHA_RE.fullmatch(sha) or suffix not in (*KNOWN_SUFFIXES, ".bin"):
            raise ValueError("bad store key")
        return self.files / sha[:2] / f"{sha}{suffix}"

    def put(self, stream: BinaryIO, suffix: str, limit: int) -> Stored:
        """Copy a stream into the store: temp file, fsync, rename (a file is there completely or not at all)."""
        fd, tmp_name = _mkstemp(self.tmp)
        h = hashlib.sha256()
        size = 0
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise TooLarge
                    h.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            stored = Stored(h.hexdigest(), _container_suffix(tmp_name) if suffix == WPS_SUFFIX else suffix, size)
            target = self.path(stored.key)
            target.parent.mkdir(exist_ok=True)
            os.replace(tmp_name, target)
            _fsync_dir(target.parent)
            return stored
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise

    def scratch(self) -> Path:
        """A fresh private folder for one request's outputs (marked copy, submission file)."""
        d = self.tmp / ("w-" + secrets.token_hex(8))
        d.mkdir()
        return d

    def discard(self, keys: Iterable[str], grace: float = 0.0) -> list[str]:
        """Remove the stored files of `keys` (no row refers to them any more), except those younger than
        `grace` seconds: put() renames a fresh file over an existing one, so a young file is a new upload's."""
        cutoff = time.time() - grace
        removed = []
        for key in keys:
            p = self.path(key)
            if p.exists() and _mtime(p) <= cutoff:
                p.unlink(missing_ok=True)
                removed.append(key)
        return removed

    def sweep(self, referenced: Iterable[str], grace: float = 0.0) -> list[str]:
        """Remove temp files and stored files no row refers to (left by a crash between rename and commit).
        `grace` seconds: younger entries are kept, as they may be another running instance's uploads."""
        cutoff = time.time() - grace
        for p in self.tmp.iterdir():
            if _mtime(p) <= cutoff:
                shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
        keep = set(referenced)
        removed = []
        for p in self.files.glob("*/*"):
            if p.name not in keep and _mtime(p) <= cutoff:
                p.unlink(missing_ok=True)
                removed.append(p.name)
        return removed


def _mtime(p: Path) -> float:
    try:
        return p.stat().st_mtime
    except OSError:
        return 0.0


def _container_suffix(path: str) -> str:
    """WPS saves .et as an OLE (BIFF, like .xls) or a zip (like .xlsx) container; the readers go by suffix."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return ".xls"
    return ".xlsx" if head.startswith(b"PK") else WPS_SUFFIX


def _mkstemp(folder: Path) -> tuple[int, str]:
    return tempfile.mkstemp(prefix="up-", suffix=".part", dir=folder)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:   # Windows cannot open a folder; its rename is durable enough
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
