"""An input's bytes, read once from a regular file (never a pipe or device), with their SHA-256."""
from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

# what a directory entry is, when it is not a file that can be read
_KINDS = ((stat.S_ISDIR, "文件夹"), (stat.S_ISFIFO, "命名管道（FIFO）"), (stat.S_ISSOCK, "套接字"),
          (stat.S_ISCHR, "字符设备"), (stat.S_ISBLK, "块设备"))


class NotRegular(OSError):
    """The path names something that is not a regular file; `kind` says what, in Chinese."""

    def __init__(self, kind: str):
        super().__init__(f"不是普通文件，而是{kind}")
        self.kind = kind


class TooLarge(OSError):
    def __init__(self, size: int):
        super().__init__(f"{size} 字节")
        self.size = size


@dataclass(frozen=True)
class Source:
    data: bytes
    sha256: str


def kind_of(mode: int) -> str | None:
    """Chinese name of a non-regular file type, None for a regular file."""
    return None if stat.S_ISREG(mode) else next((name for test, name in _KINDS if test(mode)), "特殊文件")


def read_source(path: str | os.PathLike, limit: int) -> Source:
    """The file's bytes (at most `limit`) and their digest. Opened without waiting (O_NONBLOCK: a
    FIFO's open would wait for a writer forever) and checked on the open descriptor, so a path
    swapped between a check and the open cannot slip a pipe in. Raises NotRegular, TooLarge, OSError."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(Path(path), flags)
    try:
        st = os.fstat(fd)
        kind = kind_of(st.st_mode)
        if kind is not None:
            raise NotRegular(kind)
        if st.st_size > limit:
            raise TooLarge(st.st_size)
        chunks, size = [], 0
        while chunk := os.read(fd, min(1 << 20, limit + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:   # grew while read
                raise TooLarge(size)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    return Source(data, hashlib.sha256(data).hexdigest())
