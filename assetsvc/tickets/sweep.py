"""The SLA sweep (a scheduled job): mark breaches as they happen and escalate them.

A stage is breached once it is strictly late (a stage done exactly at its limit is met), so the
query asks for deadlines before now, not at it. Deadlines are stored on each ticket whenever it changes (lifecycle.refresh), so finding the
tickets whose clock ran out is one indexed query comparing columns with now; only those tickets
get the calendar arithmetic again (clocks.settle), which confirms the breach, stores it at the
deadline, writes the timeline event and queues the notices. Suspended tickets are swept too: a
pause stops only the stages the contract names (restore by default), so respond and arrive may
run out during one. Tickets whose deadline is unknown (terms missing, a year's working days not
loaded yet) are re-tried hourly.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from assetsvc import bulk, db
from assetsvc.tickets import config as ticket_config
from assetsvc.tickets.lifecycle import refresh
from assetsvc.tickets.store import JobOutcome
from assetsvc.tickets.tables import Ticket

CHUNK = 100  # tickets per write transaction
RETRY_UNKNOWN_S = 3600
RUNNING = ("open", "acknowledged", "on_site", "resolved", "reopened", "suspended")

DUE = f"""SELECT id FROM ticket WHERE state IN ({",".join("?" * len(RUNNING))}) AND (
    (respond_due < ? AND respond_breached_at IS NULL AND acknowledged_at IS NULL AND on_site_at IS NULL
        AND restored_at IS NULL)
    OR (arrive_due < ? AND arrive_breached_at IS NULL AND on_site_at IS NULL AND restored_at IS NULL)
    OR (restore_due < ? AND restore_breached_at IS NULL AND restored_at IS NULL)
    OR (escalated_at IS NULL AND (respond_breached_at <= ? OR arrive_breached_at <= ? OR restore_breached_at <= ?))
    OR (contract IS NOT NULL AND restore_due IS NULL AND restored_at IS NULL AND updated_at <= ?)
) ORDER BY id"""


@dataclass
class Outcome(JobOutcome):
    checked: int = 0


async def due(now: float) -> list[int]:
    """Tickets whose stored clocks say something may have changed by `now`."""
    escalate = now - ticket_config.current().escalate_after_s
    rows = await bulk.fetch(Ticket, DUE, [*RUNNING, now, now, now, escalate, escalate, escalate,
                                          now - RETRY_UNKNOWN_S])
    return [row["id"] for row in rows]


async def run(now: float | None = None) -> Outcome:
    now = time.time() if now is None else now
    outcome = Outcome()
    ids = await due(now)
    for start in range(0, len(ids), CHUNK):
        try:
            async with db.write_transaction():
                for ticket_id in ids[start:start + CHUNK]:
                    await refresh(ticket_id, now, running_only=True)
            outcome.checked += len(ids[start:start + CHUNK])
        except Exception as exc:  # noqa: BLE001 - one bad chunk must not stop the others
            outcome.errors.append(f"{type(exc).__name__}: {exc}"[:300])
    return outcome
