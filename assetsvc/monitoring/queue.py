"""Claiming due probe tasks in batches with leases, and handing them back with their next due time.

PostgreSQL: `FOR UPDATE SKIP LOCKED` lets any number of workers on any machines claim at once
without waiting on each other or taking the same row. SQLite: the claim runs in an IMMEDIATE
transaction (one writer at a time), which gives the same guarantee within one machine.
A task whose lease has run out (its worker died) is due again and is claimed by another worker.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Sequence

from assetsvc import bulk, db
from assetsvc.monitoring.config import Backoff
from assetsvc.monitoring.tables import ProbeTask

_COLUMNS = "id, subject_type, subject_id, plan, due_at, failures"


@dataclass(frozen=True)
class Claimed:
    """A task this worker holds until `lease_until`."""

    id: int
    subject_type: str
    subject_id: int
    plan: str
    due_at: float
    failures: int


@dataclass(frozen=True)
class Done:
    """A task's outcome: when it is due next and its failure streak."""

    task_id: int
    next_due: float
    failures: int
    ran_at: float


async def claim(owner: str, now: float, limit: int, lease_s: float) -> list[Claimed]:
    """Take up to `limit` due tasks (oldest due first) that nobody holds a live lease on."""
    pick = ("SELECT id FROM probe_task WHERE due_at <= ? AND (lease_until IS NULL OR lease_until < ?) "
            "ORDER BY due_at LIMIT ?")
    if db.is_sqlite():
        sql = (f"UPDATE probe_task SET lease_owner = ?, lease_until = ? WHERE id IN ({pick}) "
               f"RETURNING {_COLUMNS}")
    else:
        sql = (f"UPDATE probe_task SET lease_owner = ?, lease_until = ? "
               f"WHERE id IN ({pick} FOR UPDATE SKIP LOCKED) RETURNING {_COLUMNS}")
    async with db.write_transaction():
        rows = await bulk.fetch(ProbeTask, sql, [owner, now + lease_s, now, now, limit])
    return sorted((Claimed(**row) for row in rows), key=lambda c: c.due_at)


async def held(owner: str, task_ids: Sequence[int]) -> set[int]:
    """Which of these tasks this owner still holds (inside the caller's transaction).

    A task whose lease expired and was claimed by another worker is no longer held: its late
    results are discarded, so no device is recorded twice for one cycle.
    """
    # PostgreSQL: lock the rows, so that a claim racing this check (the lease just ran out) skips
    # them until this transaction has moved their due time on.
    lock = "" if db.is_sqlite() else " ORDER BY id FOR UPDATE"
    rows = await bulk.fetch_in(ProbeTask, "SELECT id FROM probe_task WHERE lease_owner = ? AND id IN ({in})",
                               task_ids, [owner], lock)
    return {row["id"] for row in rows}


async def complete(owner: str, done: Sequence[Done]) -> None:
    """Hand tasks back with their next due time (inside the caller's transaction)."""
    rows = [[d.next_due, d.failures, d.ran_at, d.task_id, owner] for d in done]
    await bulk.execute_many(ProbeTask, "UPDATE probe_task SET due_at = ?, failures = ?, runs = runs + 1, "
                            "last_run_at = ?, lease_owner = NULL, lease_until = NULL "
                            "WHERE id = ? AND lease_owner = ?", rows)


async def renew(owner: str, task_ids: Sequence[int], now: float, lease_s: float) -> None:
    """Extend the leases of tasks still queued or running in this worker (they may wait on a busy
    NVR's limit far longer than one lease), so no other worker takes them meanwhile."""
    ids = sorted(set(task_ids))
    async with db.write_transaction():
        for start in range(0, len(ids), 500):
            part = ids[start:start + 500]
            await bulk.execute_many(ProbeTask, "UPDATE probe_task SET lease_until = ? WHERE lease_owner = ? "
                                    "AND id IN (" + ",".join("?" * len(part)) + ")", [[now + lease_s, owner, *part]])


async def release(owner: str) -> None:
    """Give back every lease this owner holds (a worker shutting down cleanly)."""
    async with db.write_transaction():
        await bulk.execute_many(ProbeTask, "UPDATE probe_task SET lease_owner = NULL, lease_until = NULL "
                                "WHERE lease_owner = ?", [[owner]])


def next_due(task: Claimed, now: float, every_s: float, failures: int, backoff: Backoff,
             recheck_s: float | None, rng: random.Random) -> float:
    """When the task runs next.

    Phase-locked: the next run is one interval after the *scheduled* time, so each device keeps its
    slot in the cycle and the load stays flat. A worker that fell behind (or a restart) does not
    produce a burst: a slot already in the past is re-spread uniformly over the next interval.
    Failing devices stretch the interval (back-off, bounded by max_factor); a first failure of a
    light check asks for a sooner re-check so that confirmation rules can decide quickly.
    """
    interval = every_s * backoff.stretch(failures)
    if recheck_s is not None:
        return now + min(recheck_s, interval)
    due = task.due_at + interval
    if due <= now:
        due = now + rng.uniform(0, interval)
    return due if math.isfinite(due) else now + interval
