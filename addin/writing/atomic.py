"""Atomic output: write to a temporary file beside the target, then rename it into place."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable


def atomic_write(path: str | os.PathLike, write: Callable[[Path], None], suffix: str = "") -> Path:
    """Call `write(tmp)` for a temporary file in the target's directory, then os.replace it onto
    `path`. On any failure the temporary file is removed and `path` is left as it was."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    # Same directory so os.replace is a rename on one file system; a reader never sees half a file.
    # The suffix lets readers that go by extension (xlsx) accept the temporary file.
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + suffix, dir=directory)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        # mkstemp creates 0600; give the file the permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))
