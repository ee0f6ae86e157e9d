"""Recording a paper work order's events with the times they happened, and voiding a wrong entry.

Only the video office enters them (a contractor reads the timeline, void marks included). Every
entry keeps who entered it, when (`entered_at`) and for what time (`at`); a wrong entry is never
deleted: a `void` line names it and the reason, and the ticket is replayed from the entries that
stand (replay.py). The ticket's times, pauses and stored SLA clocks follow the recorded times, so
the figures and the monthly score read them like those of any ticket. Audited through the audit slice.
"""

from __future__ import annotations

import time
from typing import Any, Mapping

from assetsvc import bulk, db
from assetsvc.actor import Actor
from assetsvc.audit import service as audit
from assetsvc.errors import Conflict, Forbidden, NotFound, ValidationFailed, field_error
from assetsvc.tickets import clocks, instants, lifecycle
from assetsvc.tickets.paper.replay import KINDS, VOID, Entry, OutOfOrder, Replayed, replay
from assetsvc.tickets.store import TERMS
from assetsvc.tickets.tables import TicketEvent, TicketSuspension


async def _office(actor: Actor, ticket_id: int, what: str) -> None:
    """Only the office enters; a contractor gets 403 on its own ticket and 404 on another's."""
    if actor.role != "admin":
        lifecycle.check_visible(actor, await lifecycle.load(ticket_id), ticket_id)
        raise Forbidden(f"only the video office may {what} a paper work order's events")


def _paper(ticket: Mapping[str, Any]) -> None:
    if ticket["source"] != lifecycle.PAPER:
        raise Conflict(f"ticket {ticket['id']} is not a paper work order (it was opened live): its events are "
                       f"the actions taken on it; a paper work order is opened with opened_at")
    if ticket["state"] == "cancelled":
        raise Conflict(f"ticket {ticket['id']} is cancelled: nothing more is recorded on it")


async def entries(ticket_id: int) -> tuple[list[Entry], dict[int, int]]:
    """The ticket's recorded entries that stand, and {voided entry id: id of the void line}."""
    rows = await bulk.fetch(TicketEvent, "SELECT id, kind, at, actor, note, data, voids FROM ticket_event "
                                         "WHERE ticket = ? ORDER BY id", [ticket_id])
    voided = {row["voids"]: row["id"] for row in rows if row["kind"] == VOID and row["voids"] is not None}
    kept = [Entry(row["id"], row["kind"], row["at"], row["actor"],
                  str(bulk.json_column(row["data"], {}).get("reason") or ""), row["note"] or "")
            for row in rows if row["kind"] in KINDS and row["id"] not in voided]
    return kept, voided


async def _apply(ticket: Mapping[str, Any], result: Replayed, actor: str, now: float) -> dict[str, Any]:
    """Store what the entries make of the ticket: its times, its pauses, each entry's move, its clocks."""
    ticket_id = ticket["id"]
    await lifecycle.update(ticket_id, result.columns, now)
    # A paper ticket's pauses are made only by its entries, so they are rebuilt from them.
    await bulk.execute_many(TicketSuspension, "DELETE FROM ticket_suspension WHERE ticket = ?", [[ticket_id]])
    await bulk.execute_many(TicketSuspension, "INSERT INTO ticket_suspension (ticket, reason, note, status, "
                            "requested_by, requested_at, decided_by, decided_at, decision_note, ended_by, ended_at) "
                            "VALUES (?,?,?,?,?,?,?,?,'',?,?)",
                            [[ticket_id, p.reason, p.note, p.status, p.requested_by, p.requested_at, p.decided_by,
                              p.decided_at, p.ended_by, p.ended_at] for p in result.pauses])
    await bulk.execute_many(TicketEvent, "UPDATE ticket_event SET from_state = ?, to_state = ? WHERE id = ?",
                            [[a, b, entry_id] for entry_id, (a, b) in result.moves.items() if entry_id is not None])
    return await lifecycle.refresh(ticket_id, now, actor)


def _body(body: Any) -> Mapping[str, Any]:
    return lifecycle._fields(body, ("kind", "at", "note", "reason"))


async def record(actor: Actor, ticket_id: int, body: Any, now: float | None = None) -> dict[str, Any]:
    """Record one event of a paper work order: {kind, at, note?, reason? (a pause's, required)}."""
    now = time.time() if now is None else now
    await _office(actor, ticket_id, "record")
    body = _body(body)
    kind = body.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        raise ValidationFailed(f"kind must be one of {', '.join(KINDS)}",
                               [field_error("kind", "invalid" if kind else "required", f"one of {', '.join(KINDS)}")])
    at = instants.parse(body.get("at"), "at", now)
    note = lifecycle._note(body.get("note"), False)
    reason = lifecycle._note(body.get("reason"), kind == "pause_requested", "reason")
    if reason and kind != "pause_requested":
        raise ValidationFailed("a reason is recorded with a pause request only",
                               [field_error("reason", "unknown", "only pause_requested takes a reason")])
    async with db.write_transaction():
        ticket = lifecycle.check_visible(actor, await lifecycle.load(ticket_id, lock=True), ticket_id)
        _paper(ticket)
        if at < ticket["opened_at"]:
            message = f"{instants.shown(at)} is before the ticket opened ({instants.shown(ticket['opened_at'])})"
            raise ValidationFailed(f"at: {message}", [field_error("at", "before_open", message)])
        if kind == "pause_requested":
            await _allowed_reason(ticket, reason)
        kept, _ = await entries(ticket_id)
        entry = Entry(None, kind, at, actor.username, reason, note)
        try:
            result = replay(ticket["opened_at"], [*kept, entry])
        except OutOfOrder as exc:
            raise ValidationFailed(f"at: out of order with the ticket's other events: {exc}",
                                   [field_error("at", "out_of_order", str(exc))]) from None
        event_id = await lifecycle.event(ticket_id, at, actor.username, kind, note=note,
                                         data={"reason": reason} if reason else {}, entered_at=now)
        result.moves[event_id] = result.moves.pop(None)
        await audit.record(actor.username, "create", "ticket_event", event_id,
                           f"ticket {ticket_id} {kind} at {instants.shown(at)}",
                           {"ticket": [None, ticket_id], "kind": [None, kind], "at": [None, at],
                            "entered_at": [None, now], **({"reason": [None, reason]} if reason else {})})
        fresh = await _apply(ticket, result, actor.username, now)
    return {"id": event_id, "ticket": ticket_id, "kind": kind, "at": at, "entered_at": now,
            "entered_by": actor.username, "state": fresh["state"]}


async def _allowed_reason(ticket: Mapping[str, Any], reason: str) -> None:
    """A recorded pause stops the clocks only for a reason the ticket's contract allows."""
    terms = clocks.terms_of(ticket, await TERMS.for_tickets([ticket]))
    allowed = dict(getattr(terms, "suspension_reasons", {}) or {})
    if reason not in allowed:
        hint = f"one of {', '.join(sorted(allowed))}" if allowed else "none: the contract allows no pauses"
        raise ValidationFailed("this reason does not pause the clocks under the contract",
                               [field_error("reason", "not_allowed", f"reason {reason!r}; allowed: {hint}")])


async def void(actor: Actor, ticket_id: int, event_id: int, body: Any, now: float | None = None) -> dict[str, Any]:
    """Void a wrong entry with a reason: a correcting line, after which the entry no longer counts."""
    now = time.time() if now is None else now
    await _office(actor, ticket_id, "void")
    reason = lifecycle._note(lifecycle._fields(body, ("reason",)).get("reason"), True, "reason")
    async with db.write_transaction():
        ticket = lifecycle.check_visible(actor, await lifecycle.load(ticket_id, lock=True), ticket_id)
        _paper(ticket)
        rows = await bulk.fetch(TicketEvent, "SELECT id, kind, at FROM ticket_event WHERE id = ? AND ticket = ?",
                                [event_id, ticket_id])
        if not rows:
            raise NotFound(f"ticket {ticket_id} has no event {event_id}")
        target = rows[0]
        kept, voided = await entries(ticket_id)
        if target["id"] in voided:
            raise Conflict(f"event {event_id} is already voided (by #{voided[target['id']]})")
        if target["kind"] not in KINDS:
            raise Conflict(f"event {event_id} ({target['kind']}) is not a recorded event: only "
                           f"{', '.join(KINDS)} are voided (a wrong opening: cancel the ticket and enter it again)")
        try:
            result = replay(ticket["opened_at"], [e for e in kept if e.id != event_id])
        except OutOfOrder as exc:
            raise Conflict(f"voiding event {event_id} ({target['kind']}) leaves the later events out of order: "
                           f"{exc}; void those first") from None
        void_id = await lifecycle.event(ticket_id, now, actor.username, VOID, note=reason,
                                        data={"kind": target["kind"], "at": target["at"]}, entered_at=now,
                                        voids=event_id)
        await audit.record(actor.username, "void", "ticket_event", event_id,
                           f"ticket {ticket_id} {target['kind']} at {instants.shown(target['at'])}",
                           {"voided_by": [None, void_id], "reason": [None, reason]})
        fresh = await _apply(ticket, result, actor.username, now)
    return {"id": void_id, "ticket": ticket_id, "voids": event_id, "entered_at": now, "entered_by": actor.username,
            "state": fresh["state"]}
