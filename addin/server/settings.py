"""What a running service is configured with: data folder, database, limits, allowed origins."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

MAX_UPLOAD = 64 * 1024 * 1024        # the reader's own limit for a workbook (README, 安全限制)
DEFAULT_DATA = "gkreport-data"
RETENTION_DAYS = 30.0                # anonymous clerk checks are deleted after this many days
RETENTION_ENV = "GKREPORT_RETENTION_DAYS"


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path(DEFAULT_DATA)
    db_url: str | None = None            # None: SQLite file in data_dir
    max_upload: int = MAX_UPLOAD
    check_timeout: float = 60.0
    checkers: int = 0                    # checker processes; 0: one per CPU core
    cors_origins: tuple[str, ...] = ()
    base_url: str = ""                   # what links printed for people start with (setup link)
    secure_cookies: bool = False         # True behind HTTPS
    login_limit: int = 5                 # failed logins per address and 15 minutes
    account_login_limit: int = 10        # failed logins per user name and 15 minutes, from any address
    sweep_grace: float | None = None     # seconds; None: 0 on SQLite (one service per data folder), else
                                         # longer than an upload's check, since other instances may be storing
    retention_days: float = RETENTION_DAYS   # anonymous checks (clerk page, API) kept this long; 0: for ever
    retention_interval: float = 3600.0       # seconds between expiry sweeps while running
    extra: dict = field(default_factory=dict)

    @property
    def database_url(self) -> str:
        return self.db_url or f"sqlite:///{(self.data_dir / 'gkreport.sqlite3').resolve()}"

    @property
    def orphan_grace(self) -> float:
        if self.sweep_grace is not None:
            return self.sweep_grace
        return 0.0 if self.database_url.startswith("sqlite") else self.upload_grace

    @property
    def upload_grace(self) -> float:
        """Seconds an upload may take from its stored file to its committed row (the check in between)."""
        return self.check_timeout + 60

    @property
    def checker_count(self) -> int:
        if self.checkers:
            return self.checkers
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:
            return os.cpu_count() or 1
