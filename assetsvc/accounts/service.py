"""Users, password hashing, bearer tokens and login (rate limit in throttle.py).

Every user change, API token, login (right or wrong) and logout is written to the change log
(entity `user` or `token`), never with a password, token or hash.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import secrets
import time
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from assetsvc import db
from assetsvc.accounts import throttle
from assetsvc.accounts.tables import Token, User
from assetsvc.accounts.throttle import Limits, RateLimited
from assetsvc.actor import Actor
from assetsvc.audit import service as audit
from assetsvc.errors import ValidationFailed, field_error
from assetsvc.registry.tables import Contractor

__all__ = ["Actor", "AccountError", "RateLimited", "ROLES", "add_user", "set_password", "set_active",
           "set_role", "issue_token", "login", "authenticate", "logout", "change_own_password"]

log = logging.getLogger("assetsvc.accounts")
# platform: a video platform's machine account; it may only push passive camera status.
# metrics: a monitoring server's account (Prometheus); it may only read /metrics.
ROLES = ("admin", "auditor", "contractor", "platform", "metrics")
MAX_TOKEN_DAYS = 365  # an explicit --hours/--days may not exceed this
LAST_USED_EVERY_S = 60  # a token's last_used_at is rewritten at most this often
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when the user does not exist, so a missing user costs the same time.
_DUMMY_HASH = _hasher.hash("not a password")


class AccountError(ValidationFailed):
    """A bad account request; `field` names the offending input (a ServiceError like any other)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, [field_error(field, "invalid", message)])
        self.field = field


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_password(password: str) -> None:
    if len(password) < 10:
        raise AccountError("password", "password must have at least 10 characters")
    if len(password) > 1024:
        raise AccountError("password", "password is longer than 1024 characters")


async def _user(username: str) -> User:
    user = await User.objects().where(User.username == username).first().run()
    if user is None:
        raise AccountError("username", f"no user {username!r}")
    return user


async def _contractor_id(role: str, contractor: str | None) -> int | None:
    if role != "contractor":
        if contractor:
            raise AccountError("contractor", "only contractor users are bound to a contractor")
        return None
    if not contractor:
        raise AccountError("contractor", "a contractor user needs --contractor NAME")
    row = await Contractor.select(Contractor.id).where(Contractor.name == contractor).first().run()
    if row is None:
        raise AccountError("contractor", f"no contractor named {contractor!r}")
    return row["id"]


async def add_user(username: str, password: str, role: str, contractor: str | None = None, *,
                   by: str = "cli", source: str = "cli", temporary: bool = False) -> User:
    """Create a user; a contractor user must name an existing contractor. A `temporary` password
    must be changed at the first login before anything else is allowed."""
    if role not in ROLES:
        raise AccountError("role", f"role {role!r} is not one of {', '.join(ROLES)}")
    if not username or len(username) > 64 or not username.isprintable() or " " in username:
        raise AccountError("username", "user name must be 1-64 printable characters without spaces")
    if await User.exists().where(User.username == username).run():
        raise AccountError("username", f"user {username!r} already exists")
    _check_password(password)
    contractor_id = await _contractor_id(role, contractor)
    user = User(username=username, password_hash=_hasher.hash(password), role=role,
                contractor=contractor_id, must_change_password=temporary)
    async with db.write_transaction():
        await user.save().run()
        await audit.record(by, "create", "user", user.id, username,
                           {"role": [None, role], "contractor": [None, contractor_id],
                            "password": [None, "*** (temporary)" if temporary else "***"]}, source)
    return user


async def _end_tokens(user_id: int, keep: str | None = None) -> int:
    """Delete the user's tokens (all, or all but the one `keep`); how many ended."""
    where = Token.user == user_id
    if keep is not None:
        where &= Token.token_hash != _digest(keep)
    ended = await Token.count().where(where).run()
    await Token.delete().where(where).run()
    return ended


async def set_password(username: str, password: str, *, by: str = "cli", source: str = "cli",
                       keep_token: str | None = None, temporary: bool = False) -> int:
    """Change a password; every API token and every session ends (but `keep_token`, the session
    of a user changing their own password). A `temporary` one must be changed at the next login.
    Returns how many tokens ended."""
    _check_password(password)
    user = await _user(username)
    async with db.write_transaction():
        await User.update({User.password_hash: _hasher.hash(password),
                           User.must_change_password: temporary}).where(User.id == user.id).run()
        ended = await _end_tokens(user.id, keep_token)
        changes: dict[str, list[Any]] = {"password": ["***", "*** (temporary)" if temporary else "*** (new)"],
                                         "tokens_ended": [None, ended]}
        if user.must_change_password != temporary:
            changes["must_change_password"] = [user.must_change_password, temporary]
        await audit.record(by, "update", "user", user.id, username, changes, source)
    return ended


async def change_own_password(actor: Actor, current: str, new: str, token: str) -> None:
    """A user sets a new password, proving the current one; the session `token` stays, every
    other session and API token of the user ends, and a temporary password is one no more."""
    user = await User.objects().where(User.id == actor.user_id).first().run()
    if user is None or not await _verify(user, current):
        raise AccountError("current_password", "the current password is wrong")
    if new == current:
        raise AccountError("new_password", "the new password must differ from the current one")
    try:
        _check_password(new)
    except AccountError as exc:
        raise AccountError("new_password", str(exc)) from None
    await set_password(user.username, new, by=actor.username, source="api", keep_token=token)


async def set_active(username: str, active: bool, *, by: str = "cli", source: str = "cli") -> int:
    """Enable or disable a user; disabling ends all its sessions and API tokens at once.
    Returns how many tokens ended."""
    user = await _user(username)
    async with db.write_transaction():
        await User.update({User.active: active}).where(User.id == user.id).run()
        ended = 0 if active else await _end_tokens(user.id)
        changes: dict[str, list[Any]] = {"active": [user.active, active]}
        if ended:
            changes["tokens_ended"] = [None, ended]
        await audit.record(by, "update", "user", user.id, username, changes, source)
    return ended


async def set_role(username: str, role: str, contractor: str | None = None, *, by: str = "cli",
                   source: str = "cli") -> None:
    """Give a user another role (a contractor user names its contractor); it holds from the
    user's next request, tokens included."""
    if role not in ROLES:
        raise AccountError("role", f"role {role!r} is not one of {', '.join(ROLES)}")
    user = await _user(username)
    contractor_id = await _contractor_id(role, contractor)
    async with db.write_transaction():
        await User.update({User.role: role, User.contractor: contractor_id}).where(User.id == user.id).run()
        await audit.record(by, "update", "user", user.id, username,
                           audit.diff({"role": user.role, "contractor": user.contractor},
                                      {"role": role, "contractor": contractor_id}), source)


def token_lifetime(kind: str, hours: int | None, days: int | None, default_days: int) -> dt.timedelta:
    """An API token's lifetime: --hours or --days (at most MAX_TOKEN_DAYS), else the default."""
    if hours is not None and days is not None:
        raise AccountError("hours", "give --hours or --days, not both")
    asked = dt.timedelta(hours=hours) if hours is not None else (
        dt.timedelta(days=days) if days is not None else dt.timedelta(days=default_days))
    if asked <= dt.timedelta(0):
        raise AccountError("hours", "a token's lifetime must be positive")
    if kind == "api" and asked > dt.timedelta(days=MAX_TOKEN_DAYS):
        raise AccountError("hours", f"an API token lives at most {MAX_TOKEN_DAYS} days")
    return asked


async def issue_token(username: str, kind: str, name: str = "", hours: int | None = None, *,
                      days: int | None = None, by: str | None = None, source: str = "cli",
                      lifetime: dt.timedelta | None = None) -> str:
    """Create a bearer token and return it; only its digest is stored. An API token without a
    lifetime lives ASSETSVC_API_TOKEN_DAYS; a login session passes its `lifetime`; the creation
    of an API token is audited (never the token)."""
    from assetsvc.runtime import settings

    user = await _user(username)
    if not user.active:
        raise AccountError("username", f"user {username!r} is disabled")
    token = secrets.token_urlsafe(32)
    expires = _now() + (lifetime or token_lifetime(kind, hours, days, settings().api_token_days))
    row = Token(user=user.id, token_hash=_digest(token), kind=kind, name=name[:100], expires_at=expires)
    async with db.write_transaction():
        await row.save().run()
        if kind == "api":
            await audit.record(by or username, "create", "token", row.id, f"{username}: {name}"[:200],
                               {"kind": [None, kind], "name": [None, name[:100]],
                                "expires_at": [None, expires.isoformat()]}, source)
    return token


async def _verify(user: User | None, password: str) -> bool:
    """Whether the password is the user's (argon2 off the event loop; a missing user costs alike)."""
    try:
        await asyncio.to_thread(_hasher.verify, user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    return user is not None and user.active


async def login(username: str, password: str, client: str, *, max_failures: int,
                window_s: int, session: dt.timedelta, kind: str = "session") -> str:
    """Check a password (throttle.py: hard limit per address, back-off per account) and return a
    session token living `session` (kind `session`: bearer; `browser`: the UI's cookie). Every
    attempt heard is audited, right or wrong."""
    username, now = username[:64], time.time()
    attempt = await throttle.admit(username, client, Limits(max_failures, window_s), now)
    user = await User.objects().where(User.username == username).first().run()
    ok = await _verify(user, password)
    async with db.write_transaction():
        if ok:
            await throttle.settle_success(username, client, attempt)
        await audit.record(username, "login", "user", user.id if user else 0, username,
                           {"outcome": [None, "ok" if ok else "refused"], "client": [None, client[:64]]},
                           "api")
        await throttle.forget_before(now, window_s)
    if not ok:
        raise AccountError("password", "wrong user name or password")
    return await issue_token(username, kind, lifetime=session)


async def _touch(token_id: int, last_used: dt.datetime | None) -> None:
    """Record when a token was used, at most once a minute (so a request rarely writes)."""
    now = _now()
    horizon = now - dt.timedelta(seconds=LAST_USED_EVERY_S)
    if last_used is not None and last_used >= horizon:
        return
    try:
        await Token.update({Token.last_used_at: now}).where(
            (Token.id == token_id) & (Token.last_used_at.is_null() | (Token.last_used_at < horizon))).run()
    except Exception as exc:  # noqa: BLE001 - bookkeeping must not refuse a valid token (busy database)
        log.warning("token %s: last use not recorded (%s)", token_id, type(exc).__name__)


async def authenticate(token: str) -> Actor | None:
    """The actor behind a bearer token, or None for an unknown, expired or disabled one."""
    row = (
        await Token.select(Token.id, Token.expires_at, Token.last_used_at, Token.user.id,
                           Token.user.username, Token.user.role, Token.user.contractor, Token.user.active,
                           Token.user.must_change_password)
        .where(Token.token_hash == _digest(token))
        .first()
        .run()
    )
    if row is None or not row["user.active"]:
        return None
    if row["expires_at"] is not None and row["expires_at"] < _now():
        return None
    await _touch(row["id"], row["last_used_at"])
    return Actor(row["user.id"], row["user.username"], row["user.role"], row["user.contractor"],
                 bool(row["user.must_change_password"]))


async def logout(token: str, actor: Actor | None = None) -> None:
    """Revoke one token (audited when the caller is known)."""
    row = await Token.select(Token.id).where(Token.token_hash == _digest(token)).first().run()
    if row is None:
        return
    async with db.write_transaction():
        await Token.delete().where(Token.id == row["id"]).run()
        if actor is not None:
            await audit.record(actor.username, "logout", "token", row["id"], actor.username, {}, "api")
