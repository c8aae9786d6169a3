"""What every output of a check run offers: it is told of each file as it is done, then of the end of the run."""
from __future__ import annotations

from dataclasses import dataclass, field

from addin.result import FileResult


@dataclass
class RunEnd:
    """What the run knows at its end, for the reporters that sum it up."""

    results: list[FileResult]        # in input order; without --json only slim records (see check_run.slim)
    options: object = None           # the pipeline Options the files were checked with
    locks_skipped: int = 0           # Office lock files (~$...) left out
    own_outputs: int = 0             # marked-up copies of an earlier run left out
    resumed: int = 0                 # files whose recorded result (--resume) was reused
    unmatched: list[FileResult] = field(default_factory=list)   # reports without last year's (XY-10)
    previous_mode: bool = False      # --previous or --previous-dir was given
    collection: object = None        # a batch's addin.collection.CollectionView (None for named files alone)
    documents: object = None         # () -> (path, data document) pairs of every file, when results are slim
    previous: list | None = None     # last year's results (--previous/--previous-dir)
    lock_files: list[str] = field(default_factory=list)   # the Office lock files left out


class Reporter:
    """One output of a check run, built from the run's settings: `REPORTER_BY_NAME[name](settings)`.

    The run calls `resumed` for each file whose recorded result is reused (before any check), `file_done`
    for each checked file as it finishes (in the order they finish), `finish` once at the end and `close`
    always, also when the run is interrupted."""

    def __init__(self, settings) -> None:
        self.settings = settings

    def resumed(self, index: int, result: FileResult) -> None:
        pass

    def file_done(self, index: int, result: FileResult) -> None:
        pass

    def finish(self, end: RunEnd) -> None:
        pass

    def close(self) -> None:
        pass
