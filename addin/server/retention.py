"""Expiry of anonymous clerk checks: rows older than the retention, and the stored files no row refers to any more."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select

from addin.server.db import Check, Submission, utcnow

BATCH = 500   # rows deleted per statement (bounded parameter lists on every database)


@dataclass(frozen=True)
class Expired:
    checks: int
    files: tuple[str, ...]


def expire_anonymous_checks(Session, store, days: float, grace: float, now: dt.datetime | None = None) -> Expired:
    """Delete the checks made without a unit link (the clerk page, the API) older than `days`, and their
    stored files once no check or submission refers to them. A unit's checks and submissions are never
    touched. Files younger than `grace` seconds stay: an upload of the same content may be under way."""
    if not days or days <= 0:
        return Expired(0, ())
    cutoff = (now or utcnow()) - dt.timedelta(days=days)
    with Session() as s:
        old = s.execute(select(Check.id, Check.file_key)
                        .where(Check.unit_id.is_(None), Check.created_at < cutoff,
                               Check.id.not_in(select(Submission.check_id)))).all()
        ids = [i for i, _key in old]
        for start in range(0, len(ids), BATCH):
            s.execute(delete(Check).where(Check.id.in_(ids[start:start + BATCH])))
        s.commit()
        keys = sorted({key for _i, key in old})
        kept: set[str] = set()
        for start in range(0, len(keys), BATCH):
            part = keys[start:start + BATCH]
            kept.update(s.scalars(select(Check.file_key).where(Check.file_key.in_(part))))
            kept.update(s.scalars(select(Submission.file_key).where(Submission.file_key.in_(part))))
    return Expired(len(ids), tuple(store.discard([k for k in keys if k not in kept], grace)))
