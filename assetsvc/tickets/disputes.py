"""False alarms (误报) and disputes (申诉): the two ways a ticket ends without penalty.

- The office marks a picture ticket a false alarm: the ticket is cancelled (`close_reason`
  `false_alarm`) and its fault frame joins the camera's baseline (monitoring/service.py), so the same
  scene is not flagged again.
- A contractor disputes a ticket with a reason and evidence (attachments of the ticket). The office
  upholds it (the ticket is cancelled, `dispute_upheld`) or rejects it (the ticket goes on as
  before). A cancelled ticket never counts in the monthly score (docs/sla.md), and the opener does
  not open a new ticket for the same fault streak (opener._waived).
Each step runs in one transaction with its timeline event, an audit row and the webhook notice.
"""

from __future__ import annotations

import json
import time
from typing import Any, Mapping

from assetsvc import bulk, db
from assetsvc.actor import Actor
from assetsvc.audit import service as audit
from assetsvc.errors import Conflict, Forbidden, NotFound, ValidationFailed, field_error
from assetsvc.monitoring import service as monitoring
from assetsvc.tickets.lifecycle import (_drop_pending_pauses, _fields, _may_act, _note, check_visible, event,
                                        keep_evidence, load, notify, refresh, update)
from assetsvc.tickets.store import ACTIVE
from assetsvc.tickets.tables import TicketAttachment, TicketDispute

WAIVED = ("false_alarm", "dispute_upheld")  # close reasons of tickets cancelled without penalty
DISPUTE_DECISIONS = {"uphold": "upheld", "reject": "rejected"}
MAX_EVIDENCE = 20
FALSE_ALARM_NOTE = "marked a false alarm"  # the decision note of a dispute upheld by a false-alarm mark


async def _waive(actor: Actor, ticket: Mapping[str, Any], reason: str, note: str, now: float,
                 data: Mapping[str, Any]) -> dict[str, Any]:
    """Cancel a ticket without penalty (caller's transaction, ticket locked), audited."""
    columns = {"state": "cancelled", "close_reason": reason, "closed_at": now, "resume_state": None}
    await update(ticket["id"], columns, now)
    await _drop_pending_pauses(ticket["id"], actor.username, now)
    await event(ticket["id"], now, actor.username, reason, ticket["state"], "cancelled", note, data)
    await audit.record(actor.username, "update", "ticket", ticket["id"], f"ticket {ticket['id']}",
                       audit.diff({"state": ticket["state"], "close_reason": ticket["close_reason"]},
                                  {"state": "cancelled", "close_reason": reason}))
    fresh = await refresh(ticket["id"], now, actor.username)
    await notify("ticket.cancelled", fresh, now, by=actor.username, reason=reason)
    return fresh


async def _decide(actor: Actor, ticket_id: int, dispute_id: int, status: str, note: str, now: float) -> None:
    """Store the office's decision of an open dispute, audited (caller's transaction, ticket locked)."""
    await bulk.execute_many(TicketDispute, "UPDATE ticket_dispute SET status = ?, decided_by = ?, decided_at = ?, "
                            "decision_note = ? WHERE id = ?", [[status, actor.username, now, note, dispute_id]])
    await audit.record(actor.username, "update", "ticket_dispute", dispute_id, f"ticket {ticket_id}",
                       {"status": ["open", status], "decision_note": ["", note]})


async def false_alarm(actor: Actor, ticket_id: int, body: Any, now: float | None = None) -> dict[str, Any]:
    """The office marks a picture ticket's verdict a false alarm (active or closed: a closed one would
    still count in the score). An open dispute of it is upheld at the same time."""
    body = _fields(body, ("note",))
    note = _note(body.get("note"), True)
    now = time.time() if now is None else now
    async with db.write_transaction():
        ticket = check_visible(actor, await load(ticket_id, lock=True), ticket_id)
        if actor.role != "admin":
            raise Forbidden("only the video office may mark a false alarm")
        if ticket["fault"] != "picture" or ticket["subject_type"] != "camera":
            raise Conflict(f"ticket {ticket_id} is a {ticket['fault']} ticket; only a camera's picture verdict "
                           f"can be marked a false alarm (cancel other tickets, or uphold a dispute)")
        if ticket["state"] == "cancelled":
            raise Conflict(f"ticket {ticket_id} is cancelled already")
        waiting = await bulk.fetch(TicketDispute, "SELECT id FROM ticket_dispute WHERE ticket = ? AND "
                                   "status = 'open' ORDER BY id", [ticket_id])
        for row in waiting:  # decided as the office's uphold would be: stored and audited
            await _decide(actor, ticket_id, row["id"], "upheld", FALSE_ALARM_NOTE, now)
        learned = await monitoring.accept_false_alarm(ticket_id, actor.username, now)
        data: dict[str, Any] = {"frame": learned.id if learned else None, "baseline": learned is not None}
        if waiting:
            data["disputes"] = [row["id"] for row in waiting]
        await _waive(actor, ticket, "false_alarm", note, now, data)
        await keep_evidence(ticket_id, True, now)
    return {"id": ticket_id, "state": "cancelled", "close_reason": "false_alarm",
            "baseline_updated": learned is not None, "frame_id": learned.id if learned else None}


def _whole(value: Any) -> Any:
    """A JSON number that is a whole number as an int (JSON Schema's integer takes 331.0 too)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _evidence_ids(raw: Any) -> list[int]:
    if isinstance(raw, list):
        raw = [_whole(i) for i in raw]
    if (not isinstance(raw, list) or not raw or len(raw) > MAX_EVIDENCE
            or any(isinstance(i, bool) or not isinstance(i, int) or not 1 <= i < 2**31 for i in raw)):
        raise ValidationFailed("give the evidence as a list of the ticket's attachment ids",
                               [field_error("attachments", "invalid", f"1 to {MAX_EVIDENCE} attachment ids; "
                                            f"attach the photos or documents to the ticket first")])
    return sorted(set(raw))


async def dispute(actor: Actor, ticket_id: int, body: Any, now: float | None = None) -> dict[str, Any]:
    """A contractor disputes its ticket: {reason, attachments: [ids of the ticket's attachments]}."""
    body = _fields(body, ("reason", "attachments"))
    reason = _note(body.get("reason"), True, "reason")
    evidence = _evidence_ids(body.get("attachments"))
    now = time.time() if now is None else now
    async with db.write_transaction():
        ticket = check_visible(actor, await load(ticket_id, lock=True), ticket_id)
        _may_act(actor, "contractor", "dispute")
        if ticket["state"] == "cancelled":
            raise Conflict(f"ticket {ticket_id} is cancelled; there is nothing to dispute")
        found = await bulk.fetch_in(TicketAttachment, "SELECT id FROM ticket_attachment WHERE ticket = ? AND "
                                    "id IN ({in})", evidence, [ticket_id])
        missing = sorted(set(evidence) - {r["id"] for r in found})
        if missing:
            raise ValidationFailed(f"ticket {ticket_id} has no attachment {', '.join(map(str, missing))}",
                                   [field_error("attachments", "unknown_reference",
                                                f"not attachments of ticket {ticket_id}: {missing}")])
        if await bulk.fetch(TicketDispute, "SELECT id FROM ticket_dispute WHERE ticket = ? AND status = 'open'",
                            [ticket_id]):
            raise Conflict(f"ticket {ticket_id} already has a dispute waiting for the office")
        rows = await bulk.fetch(TicketDispute, "INSERT INTO ticket_dispute (ticket, reason, attachments, status, "
                                "raised_by, raised_at, decision_note) VALUES (?,?,?,'open',?,?,'') RETURNING id",
                                [ticket_id, reason, json.dumps(evidence), actor.username, now])
        dispute_id = rows[0]["id"]
        await event(ticket_id, now, actor.username, "disputed", note=reason,
                    data={"dispute": dispute_id, "attachments": evidence})
        await audit.record(actor.username, "create", "ticket_dispute", dispute_id, f"ticket {ticket_id}",
                           {"reason": [None, reason], "attachments": [None, evidence], "status": [None, "open"]})
        await keep_evidence(ticket_id, False, now)  # held while the office decides
        await notify("ticket.disputed", ticket, now, by=actor.username)
    return {"id": dispute_id, "status": "open"}


async def decide_dispute(actor: Actor, ticket_id: int, dispute_id: int, decision: str, body: Any,
                         now: float | None = None) -> dict[str, Any]:
    """The office upholds (the ticket is cancelled without penalty) or rejects (it goes on) a dispute."""
    if decision not in DISPUTE_DECISIONS:
        raise NotFound(f"no dispute decision {decision!r} (decisions: {', '.join(DISPUTE_DECISIONS)})")
    body = _fields(body, ("note",))
    note = _note(body.get("note"), True)
    now = time.time() if now is None else now
    async with db.write_transaction():
        ticket = check_visible(actor, await load(ticket_id, lock=True), ticket_id)
        if actor.role != "admin":
            raise Forbidden(f"only the video office may {decision} a dispute")
        rows = await bulk.fetch(TicketDispute, "SELECT * FROM ticket_dispute WHERE id = ? AND ticket = ?",
                                [dispute_id, ticket_id])
        if not rows:
            raise NotFound(f"ticket {ticket_id} has no dispute {dispute_id}")
        if rows[0]["status"] != "open":
            raise Conflict(f"dispute {dispute_id} is {rows[0]['status']} already")
        status = DISPUTE_DECISIONS[decision]
        await _decide(actor, ticket_id, dispute_id, status, note, now)
        if status == "upheld":
            await _waive(actor, ticket, "dispute_upheld", note, now, {"dispute": dispute_id})
        else:
            await event(ticket_id, now, actor.username, "dispute_rejected", note=note, data={"dispute": dispute_id})
            await notify("ticket.dispute_rejected", ticket, now, by=actor.username)
        await keep_evidence(ticket_id, status == "upheld" or ticket["state"] not in ACTIVE, now)
    return {"id": dispute_id, "status": status}


async def disputes_of(ticket_id: int) -> list[dict[str, Any]]:
    rows = await bulk.fetch(TicketDispute, "SELECT id, reason, attachments, status, raised_by, raised_at, "
                            "decided_by, decided_at, decision_note FROM ticket_dispute WHERE ticket = ? ORDER BY id",
                            [ticket_id])
    for row in rows:
        row["attachments"] = bulk.json_column(row["attachments"], [])
    return rows
