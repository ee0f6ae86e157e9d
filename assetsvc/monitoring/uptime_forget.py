"""Dropping rolled-up camera-days (uptime_day) when a write changes what a closed day's figures come from.

The rollup (uptime_rollup.py) stores a camera's sums only for a closed day: one that ended at least
GRACE_S ago. Every writer of what those sums come from calls forget() in its own transaction:
history import and undo (intervals and windows of the past), maintenance windows created over the
past, and the state writer when a transition lands more than GRACE_S in the past (a stale sweep,
a late platform report). A write dated within GRACE_S of now can touch no rolled-up day, so the
live writer's usual transitions cost nothing here. Registry changes (service periods, site,
upstream, region) are found by the rollup itself (a fingerprint per camera): the registry may not
call monitoring (pyproject.toml's layers).

Fills and drops are serialised: the fill holds LOCK_KEY (PostgreSQL advisory lock; SQLite's
BEGIN IMMEDIATE serialises every write transaction) while it reads the intervals and stores its
rows, and forget() takes it before deleting. A drop that waits for a fill deletes what the fill
stored; a fill that waits for a drop reads the committed change.
"""

from __future__ import annotations

import time
from typing import Iterable

from assetsvc import bulk, db
from assetsvc.monitoring.tables import UptimeDay
from assetsvc.monitoring.uptime_math import union

GRACE_S = 3600.0  # a day may be rolled up this long after its end (writers' lag stays below it)
LOCK_KEY = 7_301_119  # pg_advisory_xact_lock key of the rollup (the leader's job locks hash names)
OPEN_END = 1e18  # the end of a still-open interval, as a number both engines bind


def closed(day_end: float, now: float) -> bool:
    """Whether a day ending at `day_end` may be rolled up at `now`."""
    return day_end + GRACE_S <= now


async def lock() -> None:
    """Serialise with fills and drops until the transaction ends (call inside one)."""
    if not db.is_sqlite():
        await bulk.fetch(UptimeDay, "SELECT pg_advisory_xact_lock(?) AS held", [LOCK_KEY])


async def forget(spans: Iterable[tuple[int, float, float | None]], now: float | None = None) -> int:
    """Drop camera c's rolled-up days overlapping [a, b) (b None: up to now and on), for each (c, a, b).

    Spans starting within GRACE_S of now are left out: no rolled-up day reaches them. Returns how
    many spans were applied (a figure for tests and logs, not the rows deleted).
    """
    at = time.time() if now is None else now
    rows = sorted({(int(c), float(a), OPEN_END if b is None else float(b)) for c, a, b in spans
                   if a < at - GRACE_S and (b is None or b > a)})
    if not rows:
        return 0
    async with db.write_transaction():
        await lock()
        await bulk.execute_many(UptimeDay, "DELETE FROM uptime_day WHERE camera_id = ? AND day_end > ? "
                                           "AND day_start < ?", [[c, a, b] for c, a, b in rows])
        # Every camera set's days over that time (a set's day adds up its cameras' rows).
        await bulk.execute_many(UptimeDay, "DELETE FROM uptime_scope_day WHERE day_end > ? AND day_start < ?",
                                [list(r) for r in union(((a, b) for _, a, b in rows), -OPEN_END, OPEN_END)])
    return len(rows)
