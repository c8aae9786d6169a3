"""The copy step of a check run: where each input's marked-up copy goes, and the per-file step that writes it."""
from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from addin import catalogue
from addin.os_messages import describe
from addin.findings import Finding
from addin.reporters.annotate import UNREADABLE_NOTE, AnnotateError, annotate, copy_path, results_path
from addin.result import UNREADABLE, FileResult


@dataclass(frozen=True)
class BatchCopies:
    """Where each input's copy goes in a batch run, and the per-file step that writes it (picklable,
    small: it is sent with every job and runs in the worker that checked the file).

    With an out-dir the inputs' folders are mirrored below it, relative to their common folder, so
    two `报告.xlsx` from different folders do not meet; inputs that would still share an output
    name (报告.xlsx and 报告.xls in one folder) keep their extension in it."""

    out_dir: str | None
    root: str | None                       # common folder of the inputs (None: not mirrored)
    stems: tuple[tuple[str, str], ...] = ()   # input path -> stem, only where the plain stem clashes

    @classmethod
    def plan(cls, files: list[str], out_dir: str | None, reserved: tuple[str, ...] = ()) -> "BatchCopies":
        """Every output name of the run planned before anything is written: no copy (nor results workbook)
        lands on an input, on a `reserved` path (the run's other outputs) or on another input's copy."""
        root = None
        if out_dir and files:
            try:
                root = os.path.commonpath([os.path.dirname(os.path.abspath(f)) for f in files])
            except ValueError:   # inputs on different drives: one flat folder, names made unique below
                root = None
        plain = cls(out_dir, root)
        taken = {path_key(f) for f in list(files) + list(reserved)}
        count = Counter((path_key(plain.folder(f)), Path(f).stem.casefold()) for f in files)
        stems: dict[str, str] = {}
        for f in files:
            folder = plain.folder(f)
            # stems shared in one folder (报告.xlsx, 报告.xls) keep their extension
            base = Path(f).stem if count[(path_key(folder), Path(f).stem.casefold())] < 2 else Path(f).name
            stem, n = base, 2
            while taken & _outputs(folder, stem):
                stem, n = f"{base}（{n}）", n + 1
            taken |= _outputs(folder, stem)
            if stem != Path(f).stem:
                stems[f] = stem
        return cls(out_dir, root, tuple(sorted(stems.items())))

    def folder(self, path: str) -> str:
        if not self.out_dir:
            return os.path.dirname(path) or "."
        if self.root is None:
            return self.out_dir
        return os.path.normpath(os.path.join(self.out_dir, os.path.relpath(os.path.dirname(os.path.abspath(path)),
                                                                            self.root)))

    def stem(self, path: str) -> str:
        return dict(self.stems).get(path, Path(path).stem)

    def __call__(self, path: str, result: FileResult) -> FileResult:
        """Write the copy; a copy that cannot be written becomes an OUT-01 finding, never an exception."""
        if result.status == UNREADABLE:
            # the file's own FILE-xx finding says why; no OUT-01 beside it
            result.annotated_note = UNREADABLE_NOTE
            return result
        try:
            folder = self.folder(path)
            os.makedirs(folder, exist_ok=True)
            outcome = annotate(result, path, folder, self.stem(path))
            result.annotated, result.annotated_note = str(outcome.path), outcome.message()
        except Exception as exc:  # any failure of the copy must leave the check's result intact
            reason = str(exc) if isinstance(exc, AnnotateError) else describe(exc)
            result.findings = sorted([*result.findings, catalogue.make("OUT-01", reason=reason)],
                                     key=Finding.sort_key)
        return result


def path_key(path: str) -> str:
    """One spelling per file: links resolved, case folded (Windows and macOS file systems ignore case)."""
    return os.path.normcase(os.path.realpath(path)).casefold()


def _outputs(folder: str, stem: str) -> set[str]:
    """The keys of both files a copy step may write for `stem` in `folder`."""
    return {path_key(str(where(os.path.join(folder, stem), folder, stem))) for where in (copy_path, results_path)}
