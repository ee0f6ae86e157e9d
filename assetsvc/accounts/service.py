"""Users, password hashing, bearer tokens and the login rate limit."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from assetsvc.accounts.tables import LoginAttempt, Token, User
from assetsvc.actor import Actor
from assetsvc.errors import ValidationFailed, field_error
from assetsvc.registry.tables import Contractor

# platform: a video platform's machine account; it may only push passive camera status.
ROLES = ("admin", "auditor", "contractor", "platform")
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when the user does not exist, so a missing user costs the same time.
_DUMMY_HASH = _hasher.hash("not a password")


class AccountError(ValidationFailed):
    """A bad account request; `field` names the offending input (a ServiceError like any other)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, [field_error(field, "invalid", message)])
        self.field = field


class RateLimited(RuntimeError):
    """Too many failed logins for this user name or client."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_password(password: str) -> None:
    if len(password) < 10:
        raise AccountError("password", "password must have at least 10 characters")
    if len(password) > 1024:
        raise AccountError("password", "password is longer than 1024 characters")


async def add_user(username: str, password: str, role: str, contractor: str | None = None) -> User:
    """Create a user; a contractor user must name an existing contractor."""
    if role not in ROLES:
        raise AccountError("role", f"role {role!r} is not one of {', '.join(ROLES)}")
    if not username or len(username) > 64 or not username.isprintable() or " " in username:
        raise AccountError("username", "user name must be 1-64 printable characters without spaces")
    if await User.exists().where(User.username == username).run():
        raise AccountError("username", f"user {username!r} already exists")
    _check_password(password)
    contractor_id = None
    if role == "contractor":
        if not contractor:
            raise AccountError("contractor", "a contractor user needs --contractor NAME")
        row = await Contractor.select(Contractor.id).where(Contractor.name == contractor).first().run()
        if row is None:
            raise AccountError("contractor", f"no contractor named {contractor!r}")
        contractor_id = row["id"]
    elif contractor:
        raise AccountError("contractor", "only contractor users are bound to a contractor")
    user = User(username=username, password_hash=_hasher.hash(password), role=role,
                contractor=contractor_id)
    await user.save().run()
    return user


async def set_password(username: str, password: str) -> None:
    """Change a password and end the user's login sessions."""
    _check_password(password)
    user = await User.objects().where(User.username == username).first().run()
    if user is None:
        raise AccountError("username", f"no user {username!r}")
    user.password_hash = _hasher.hash(password)
    await user.save([User.password_hash]).run()
    await Token.delete().where((Token.user == user.id) & (Token.kind == "session")).run()


async def issue_token(username: str, kind: str, name: str = "", hours: int | None = None) -> str:
    """Create a bearer token and return it; only its digest is stored."""
    user = await User.objects().where(User.username == username).first().run()
    if user is None:
        raise AccountError("username", f"no user {username!r}")
    token = secrets.token_urlsafe(32)
    expires = _now() + dt.timedelta(hours=hours) if hours else None
    await Token(user=user.id, token_hash=_digest(token), kind=kind, name=name,
                expires_at=expires).save().run()
    return token


async def _failures_since(since: dt.datetime, username: str, client: str) -> int:
    return await LoginAttempt.count().where(
        (LoginAttempt.success.eq(False))
        & (LoginAttempt.at >= since)
        & ((LoginAttempt.username == username) | (LoginAttempt.client == client))
    ).run()


async def login(username: str, password: str, client: str, *, max_failures: int,
                window_s: int, session_hours: int) -> str:
    """Check a password (rate-limited per user name and per client) and return a session token."""
    username = username[:64]
    since = _now() - dt.timedelta(seconds=window_s)
    if await _failures_since(since, username, client) >= max_failures:
        raise RateLimited(f"too many failed logins; try again in {window_s // 60 or 1} minutes")
    user = await User.objects().where(User.username == username).first().run()
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        ok = user is not None and user.active
    except (VerificationError, InvalidHashError):
        ok = False
    await LoginAttempt(username=username, client=client[:64], success=ok).save().run()
    # Attempts older than the window no longer count; drop them so the table stays small.
    await LoginAttempt.delete().where(LoginAttempt.at < since).run()
    if not ok:
        raise AccountError("password", "wrong user name or password")
    return await issue_token(username, "session", hours=session_hours)


async def authenticate(token: str) -> Actor | None:
    """The actor behind a bearer token, or None for an unknown, expired or disabled one."""
    row = (
        await Token.select(Token.id, Token.expires_at, Token.user.id, Token.user.username,
                           Token.user.role, Token.user.contractor, Token.user.active)
        .where(Token.token_hash == _digest(token))
        .first()
        .run()
    )
    if row is None or not row["user.active"]:
        return None
    if row["expires_at"] is not None and row["expires_at"] < _now():
        return None
    return Actor(row["user.id"], row["user.username"], row["user.role"], row["user.contractor"])


async def logout(token: str) -> None:
    """Revoke one token."""
    await Token.delete().where(Token.token_hash == _digest(token)).run()
