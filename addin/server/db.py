"""Database tables (SQLAlchemy 2), the engine for a URL, and the schema upgrade (Alembic) run on start."""
from __future__ import annotations

import contextlib
import datetime as dt
import os
from pathlib import Path

from sqlalchemy import (Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, create_engine,
                        event, select, text)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, sessionmaker

if os.name == "nt":
    import msvcrt
else:
    import fcntl

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# PostgreSQL advisory lock key of the start-up work (any constant bigint; "gkrp" in ASCII)
START_LOCK_KEY = 0x676B7270


def utcnow() -> dt.datetime:
    """Naive UTC: SQLite keeps no time zone, so every time is stored as UTC without one."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class Setting(Base):
    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Collection(Base):
    __tablename__ = "collections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    units: Mapped[list["Unit"]] = relationship(back_populates="collection", order_by="Unit.position")


class Unit(Base):
    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("collection_id", "key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200))
    parent: Mapped[str] = mapped_column(String(200), default="")
    category: Mapped[str] = mapped_column(String(100), default="")
    contact: Mapped[str] = mapped_column(String(200), default="")
    token: Mapped[str] = mapped_column(String(64), unique=True)
    collection: Mapped[Collection] = relationship(back_populates="units")


class Check(Base):
    """One uploaded file and its check result; `id` is the unguessable handle the uploader gets."""
    __tablename__ = "checks"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True, nullable=True)
    file_key: Mapped[str] = mapped_column(String(80), index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20))
    result_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Submission(Base):
    """A submitted version of a unit's report (the file of a check without errors)."""
    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("unit_id", "version"), Index("ix_submissions_check_id", "check_id", unique=True))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    check_id: Mapped[str] = mapped_column(ForeignKey("checks.id"))
    file_key: Mapped[str] = mapped_column(String(80))
    digest: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    check: Mapped[Check] = relationship()


class LoginAttempt(Base):
    """Failed logins, for the rate limits per address and per account (schema revisions 0002, 0004)."""
    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    username: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    ok: Mapped[bool] = mapped_column(Boolean, default=False)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(conn, _record):
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")     # readers do not block the one writer
            cur.execute("PRAGMA synchronous=FULL")     # a committed row survives a power cut
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def alembic_config(engine: Engine, connection=None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    cfg.attributes["connection"] = connection
    return cfg


@contextlib.contextmanager
def start_lock(engine: Engine):
    """Serialise the start-up work (schema upgrade, the first secret key and setup link) between instances
    that start at once on one database. PostgreSQL: a session advisory lock on a connection of its own,
    released at the end or when the process dies. SQLite: an exclusive lock on a file beside the database
    (Python's sqlite3 runs DDL outside a transaction, so two upgrades at once could both create a table);
    an in-memory database has no second instance."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": START_LOCK_KEY})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": START_LOCK_KEY})
                conn.commit()
        return
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.start-lock", "a+b") as fh:
        _lock_file(fh)
        yield   # closing the file releases the lock


def _lock_file(fh) -> None:
    """Block until this process holds the exclusive lock on the open file `fh`."""
    if os.name == "nt":
        fh.seek(0)
        while True:
            try:
                msvcrt.locking(fh.fileno(), msvcrt.LK_LOCK, 1)   # retries for 10 s, then raises
                return
            except OSError:
                continue
    fcntl.flock(fh.fileno(), fcntl.LOCK_EX)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (on start: head). Existing rows are kept."""
    from alembic import command

    with engine.begin() as conn:
        command.upgrade(alembic_config(engine, conn), revision)


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def previous_revisions() -> list[str]:
    """Every revision before the head, oldest first (the databases an upgrade must handle)."""
    from alembic.script import ScriptDirectory

    revs = [r.revision for r in ScriptDirectory(str(MIGRATIONS)).walk_revisions()]
    return revs[::-1][:-1]


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def sessions(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)


def setting(session, key: str) -> str | None:
    return session.scalar(select(Setting.value).where(Setting.key == key))
