"""Login rate limit: a hard limit per client address, a growing delay per account (issue 15).

Each attempt is admitted in one write transaction that locks the two throttle rows (address,
account) and charges a failure up front; a right password refunds it afterwards. Parallel
attempts therefore queue on the rows, and at most `max_failures` per address are ever
evaluated in a window, by every process sharing the database (SQLite: BEGIN IMMEDIATE
serialises writers; PostgreSQL: SELECT ... FOR UPDATE on the rows, always in the same order).

An account is never locked: once it has `max_failures` failures in the window, an address
that has itself failed on it waits a delay doubling with each further failure (1 s, 2 s, 4 s
... at most the window). An address with no failure on the account is still heard, so the
owner logs in from a clean address while an attacker hammers the account.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from assetsvc import bulk, db
from assetsvc.accounts.tables import LoginAttempt, LoginThrottle


class RateLimited(RuntimeError):
    """Too many failed logins from this address, or too soon after failures on this account."""

    def __init__(self, message: str, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = max(1, math.ceil(retry_after_s))


@dataclass(frozen=True)
class Limits:
    """The rate limit's numbers (ASSETSVC_LOGIN_MAX_FAILURES, ASSETSVC_LOGIN_WINDOW_SECONDS)."""

    max_failures: int
    window_s: int


def backoff_s(failures: int, limits: Limits) -> float:
    """How long after its last failure an account is slowed, given its failures in the window."""
    extra = failures - limits.max_failures
    if extra < 0:
        return 0.0
    return float(min(2 ** min(extra, 30), limits.window_s))


def _keys(username: str, client: str) -> tuple[str, str]:
    # "addr:" sorts before "user:": every transaction locks the two rows in this one order.
    return f"addr:{client[:90]}", f"user:{username[:90]}"


async def _lock(keys: tuple[str, str], now: float, window_s: int) -> dict[str, dict]:
    """The two throttle rows, created when new and restarted when their window ran out, locked."""
    await bulk.execute_many(
        LoginThrottle, "INSERT INTO account_login_throttle (key, failures, window_start, last_failure_at) "
        "VALUES (?, 0, ?, 0) ON CONFLICT (key) DO NOTHING", [[k, now] for k in keys])
    lock = "" if db.is_sqlite() else " ORDER BY key FOR UPDATE"
    rows = await bulk.fetch(LoginThrottle, "SELECT key, failures, window_start, last_failure_at "
                            f"FROM account_login_throttle WHERE key IN (?, ?){lock}", list(keys))
    found = {r["key"]: r for r in rows}
    for key in keys:  # a stale row forgotten by another process meanwhile counts as new
        found.setdefault(key, {"key": key, "failures": 0, "window_start": now, "last_failure_at": 0.0})
    for row in found.values():
        if row["window_start"] < now - window_s:
            row.update(failures=0, window_start=now, last_failure_at=0.0)
    return found


async def _failed_here(username: str, client: str, since: float) -> bool:
    """Whether this address has failed (or is being heard) on this account within the window."""
    since_at = dt.datetime.fromtimestamp(since, dt.timezone.utc)
    return await LoginAttempt.exists().where(
        (LoginAttempt.username == username) & (LoginAttempt.client == client)
        & (LoginAttempt.success.eq(False)) & (LoginAttempt.at >= since_at)).run()


def _refuse_address(row: dict, now: float, limits: Limits) -> None:
    if row["failures"] >= limits.max_failures:
        wait = row["window_start"] + limits.window_s - now
        raise RateLimited(f"too many failed logins from this address; try again in {math.ceil(wait)} s", wait)


async def admit(username: str, client: str, limits: Limits, now: float) -> int:
    """Charge one failure to the address and the account and return the attempt's id, or raise
    RateLimited without the password being looked at."""
    keys = _keys(username, client)
    async with db.write_transaction():
        rows = await _lock(keys, now, limits.window_s)
        _refuse_address(rows[keys[0]], now, limits)
        account = rows[keys[1]]
        delay = backoff_s(account["failures"], limits)
        wait = account["last_failure_at"] + delay - now
        if delay > 0 and wait > 0 and await _failed_here(username, client, now - limits.window_s):
            raise RateLimited("too many failed logins on this account from this address; "
                              f"try again in {math.ceil(wait)} s", wait)
        await bulk.execute_many(
            LoginThrottle, "INSERT INTO account_login_throttle (key, failures, window_start, last_failure_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, "
            "window_start = excluded.window_start, last_failure_at = excluded.last_failure_at",
            [[k, rows[k]["failures"] + 1, rows[k]["window_start"], now] for k in keys])
        # Recorded as failed until proven right, so parallel attempts see it at once.
        [row] = await LoginAttempt.insert(
            LoginAttempt(username=username, client=client[:64], success=False)
        ).returning(LoginAttempt.id).run()
    return row["id"]


async def settle_success(username: str, client: str, attempt_id: int) -> None:
    """A right password: refund the failure charged on admission (inside the caller's transaction)."""
    await bulk.execute_many(
        LoginThrottle, "UPDATE account_login_throttle SET failures = CASE WHEN failures > 0 "
        "THEN failures - 1 ELSE 0 END WHERE key = ?", [[k] for k in _keys(username, client)])
    await LoginAttempt.update({LoginAttempt.success: True}).where(LoginAttempt.id == attempt_id).run()


async def forget_before(now: float, window_s: int) -> None:
    """Drop attempts and throttles older than the window, so the tables stay small (inside the
    caller's write transaction)."""
    since = now - window_s
    await LoginAttempt.delete().where(
        LoginAttempt.at < dt.datetime.fromtimestamp(since, dt.timezone.utc)).run()
    stale = "window_start < ? AND last_failure_at < ?"
    if not db.is_sqlite():  # rows an admission holds are left for next time: no lock-order deadlock
        stale = f"key IN (SELECT key FROM account_login_throttle WHERE {stale} FOR UPDATE SKIP LOCKED)"
    await bulk.execute_many(LoginThrottle, f"DELETE FROM account_login_throttle WHERE {stale}", [[since, since]])
