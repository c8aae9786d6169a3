"""Passwords (argon2), tokens, CSRF tokens and the login rate limit."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from sqlalchemy import delete, func, select

from addin.server.db import LoginAttempt, Setting, User, utcnow

LOGIN_WINDOW = dt.timedelta(minutes=15)


def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def new_token(nbytes: int = 24) -> str:
    """An unguessable URL-safe token (192 bits by default)."""
    return secrets.token_urlsafe(nbytes)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


def secret_key(session) -> str:
    """The key that signs session cookies, made once and kept in the database (shared by all workers)."""
    row = session.get(Setting, "secret_key")
    if row is None:
        row = Setting(key="secret_key", value=secrets.token_hex(32))
        session.add(row)
        session.commit()
    return row.value


def setup_link_token(session) -> str | None:
    """On the first start (no account yet): a new one-time token; its digest is stored, never the token."""
    if session.scalar(select(func.count()).select_from(User)):
        return None
    token = new_token()
    row = session.get(Setting, "setup_token") or Setting(key="setup_token", value="")
    row.value = token_digest(token)
    session.add(row)
    session.commit()
    return token


def login_blocked(session, address: str, username: str, limit: int, account_limit: int) -> str | None:
    """Why a login is refused before its password is looked at: "address" (too many failures from this client
    address), "account" (too many failures for this user name from any address: a guess spread over many
    addresses, or one proxy address shared by all), or None. Unknown user names count like real ones, so the
    answer tells nothing about which accounts exist."""
    since = utcnow() - LOGIN_WINDOW
    failed = select(func.count()).select_from(LoginAttempt).where(LoginAttempt.at >= since, LoginAttempt.ok.is_(False))
    if session.scalar(failed.where(LoginAttempt.address == address[:64])) >= limit:
        return "address"
    if session.scalar(failed.where(LoginAttempt.username == username[:64])) >= account_limit:
        return "account"
    return None


def record_login(session, address: str, username: str, ok: bool) -> None:
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < utcnow() - LOGIN_WINDOW))
    if ok:
        session.execute(delete(LoginAttempt).where((LoginAttempt.address == address[:64])
                                                   | (LoginAttempt.username == username[:64])))
    else:
        session.add(LoginAttempt(address=address[:64], username=username[:64], ok=False))
    session.commit()
