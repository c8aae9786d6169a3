"""A batch's per-file results kept on disk (temporary JSONL) and read back in input order, so memory stays flat."""
from __future__ import annotations

import tempfile
from array import array

from addin import jsonio
from addin.result import FileResult


class SpilledResults:
    """Re-iterable results in input order: each put() appends one JSON line; iterating reads them back one by one."""

    def __init__(self, size: int):
        self.fh = tempfile.TemporaryFile("w+b")
        self.offsets = array("q", [-1]) * size

    def put(self, index: int, result) -> None:
        self.fh.seek(0, 2)
        self.offsets[index] = self.fh.tell()
        self.fh.write(jsonio.dumps(result.as_dict(with_document=True)).encode("utf-8") + b"\n")

    def __len__(self) -> int:
        return len(self.offsets)

    def __iter__(self):
        for offset in self.offsets:
            if offset < 0:
                continue
            self.fh.seek(offset)
            yield FileResult.from_dict(jsonio.loads(self.fh.readline().decode("utf-8")))

    def close(self) -> None:
        self.fh.close()
