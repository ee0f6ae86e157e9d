"""Verification of a contractor's "fixed" by the system's own checks (a scheduled job).

A resolve makes the device's checks due at once (lifecycle.request_verification); the workers run
them like any other probe. This job reads the results that came after the resolve, in time order,
and the first one that speaks to the ticket's fault decides:
- it passes: the ticket closes as verified, restored at the check's time;
- it fails: the ticket reopens and the restore clock, which never stopped, keeps running.
Which results speak to which fault is the monitoring engine's own mapping, asked through the
monitoring service (first_check_after): reach for down, reboot loops and manual tickets; stream;
picture (the image-quality verdict of a snapshot or frame); clock; registry drift needs an
inventory result and no open drift flag.
A ticket with no deciding result by the verify timeout is flagged to the office once; it waits.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Mapping

from assetsvc import bulk, db
from assetsvc.monitoring import service as monitoring
from assetsvc.tickets import config as ticket_config
from assetsvc.tickets.faults import aspect_of
from assetsvc.tickets.lifecycle import SYSTEM, event, load, notify, system_close, system_reopen, update
from assetsvc.tickets.store import JobOutcome
from assetsvc.tickets.tables import Ticket


@dataclass
class Outcome(JobOutcome):
    verified: int = 0
    reopened: int = 0
    overdue: int = 0
    waiting: int = 0


async def run(now: float | None = None) -> Outcome:
    now = time.time() if now is None else now
    config = ticket_config.current()
    outcome = Outcome()
    # A paper work order's repair is the time recorded on it, confirmed by the office's recorded close.
    waiting = await bulk.fetch(Ticket, "SELECT id, subject_type, subject_id, fault, cause, resolved_at, "
                                       "verify_overdue_at FROM ticket WHERE state = 'resolved' AND "
                                       "source <> 'paper' ORDER BY id")
    for ticket in waiting:
        try:
            await _one(ticket, config, now, outcome)
        except Exception as exc:  # noqa: BLE001 - one bad ticket must not stop the others
            outcome.errors.append(f"ticket {ticket['id']}: {type(exc).__name__}: {exc}"[:300])
    return outcome


async def _one(ticket: Mapping[str, Any], config, now: float, outcome: Outcome) -> None:
    # A stalled or slow stream (the ticket's cause) is decided only by reading the stream for a while.
    verdict = await monitoring.first_check_after(ticket["subject_type"], ticket["subject_id"], ticket["resolved_at"],
                                                 aspect_of(ticket["fault"]), ticket["cause"] or "")
    async with db.write_transaction():
        locked = await load(ticket["id"], lock=True)
        if locked is None or locked["state"] != "resolved" or locked["resolved_at"] != ticket["resolved_at"]:
            return  # acted on meanwhile
        data = {"probe": verdict.probe, "checked_at": verdict.at, "cause": verdict.cause} if verdict else {}
        if verdict is not None and verdict.passed:
            await system_close(locked, "verified", verdict.at, now, f"check passed ({verdict.probe})", data)
            outcome.verified += 1
        elif verdict is not None:
            await system_reopen(locked, now, f"check failed ({verdict.probe}: {verdict.cause or 'failing'})", data)
            outcome.reopened += 1
        elif now - locked["resolved_at"] >= config.verify_timeout_s and locked["verify_overdue_at"] is None:
            await update(locked["id"], {"verify_overdue_at": now}, now)
            await event(locked["id"], now, SYSTEM, "verification_overdue",
                        note="no check result since the resolve; is the device probed?")
            await notify("ticket.verification_overdue", locked, now)
            outcome.overdue += 1
        else:
            outcome.waiting += 1
