"""The ticket life cycle: opening, every action by the office and contractors, and what follows each.

States: open -> acknowledged -> on_site -> resolved (awaiting verification) -> closed, with
reopened (a failed check, or the office), suspended (an approved pause) and cancelled (office).
Every change runs in one write transaction holding the ticket's row lock, writes a timeline event,
refreshes the stored SLA clocks (clocks.settle) and queues the webhook notices in the same
transaction (the outbox), so a change and its notice are never separated.

Who may do what (docs/tickets.md, 'Access'): contractors act only on their own tickets (another
contractor's ticket is "not found", never "forbidden": ids do not leak); the office (admin) may do
everything but act as the contractor's hands on site is allowed too; auditors only read.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Iterator, Mapping

from assetsvc import bulk, db
from assetsvc.actor import Actor
from assetsvc.audit import service as audit
from assetsvc.errors import Conflict, Forbidden, NotFound, ValidationFailed, field_error
from assetsvc.monitoring import service as monitoring
from assetsvc.runtime import settings
from assetsvc.tickets import clocks, config as ticket_config, instants
from assetsvc.tickets.faults import Fault, aspect_of
from assetsvc.tickets.store import ACTIVE, FINISHED, TERMS, Contracts, devices, dumps, terms_version
from assetsvc.tickets.tables import Ticket, TicketDispute, TicketEvent, TicketSuspension

SYSTEM = "system"
PAPER = "paper"  # the source of a paper work order: its events are recorded afterwards, never acted live
MAX_NOTE = 2000
# action -> (states it may start from, state it leads to, who: "contractor" = the ticket's
# contractor or the office, "office" = admin only)
ACTIONS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "acknowledge": (("open", "reopened"), "acknowledged", "contractor"),
    "arrive": (("open", "acknowledged", "reopened"), "on_site", "contractor"),
    "resolve": (("open", "acknowledged", "on_site", "reopened"), "resolved", "contractor"),
    "cancel": (tuple(s for s in ACTIVE), "cancelled", "office"),
    "close": (("open", "acknowledged", "on_site", "resolved", "reopened"), "closed", "office"),
    "reopen": (("closed",), "reopened", "office"),
}
STAMPS = {"acknowledged": "acknowledged_at", "on_site": "on_site_at", "resolved": "resolved_at"}

# ---- reading with access control --------------------------------------------------------------

_SELECT = "SELECT t.*, t.contract AS contract_id, t.contractor AS contractor_id FROM ticket t"


async def load(ticket_id: int, *, lock: bool = False) -> dict[str, Any] | None:
    tail = "" if db.is_sqlite() or not lock else " FOR UPDATE"
    rows = await bulk.fetch(Ticket, f"{_SELECT} WHERE t.id = ?{tail}", [ticket_id])
    return rows[0] if rows else None


def can_read(actor: Actor) -> None:
    if actor.role not in ("admin", "auditor", "contractor"):
        raise Forbidden("this account may not read tickets")


def check_visible(actor: Actor, ticket: Mapping[str, Any] | None, ticket_id: int) -> Mapping[str, Any]:
    """The ticket if the actor may see it; contractors get NotFound for others' tickets."""
    can_read(actor)
    if ticket is None or (actor.is_contractor and ticket["contractor_id"] != actor.contractor_id):
        raise NotFound(f"no ticket {ticket_id}")
    return ticket


def _may_act(actor: Actor, who: str, action: str) -> None:
    if actor.role == "admin":
        return
    if who == "office" or actor.role != "contractor":
        raise Forbidden(f"only the video office may {action} a ticket" if who == "office"
                        else f"this account may not {action} tickets")


def live_only(ticket: Mapping[str, Any], action: str) -> None:
    """A paper work order's events are recorded with their times, never acted now (cancel aside)."""
    if ticket["source"] == PAPER:
        raise Conflict(f"ticket {ticket['id']} is a paper work order: record its events with the times they "
                       f"happened (POST /api/v1/tickets/{ticket['id']}/events, `assetsvc tickets record`), "
                       f"not {action}")


def _note(raw: Any, required: bool, name: str = "note") -> str:
    if raw is None or raw == "":
        if required:
            raise ValidationFailed(f"{name} is required", [field_error(name, "required", f"give a {name}")])
        return ""
    if not isinstance(raw, str):
        raise ValidationFailed(f"{name} must be text", [field_error(name, "invalid", f"{name} must be text")])
    text = raw.strip()
    if "\x00" in text:
        raise ValidationFailed(f"{name} holds a NUL character", [field_error(name, "invalid", "no NUL characters")])
    if len(text) > MAX_NOTE:
        raise ValidationFailed(f"{name} is too long", [field_error(name, "too_long", f"at most {MAX_NOTE} characters")])
    if required and not text:
        raise ValidationFailed(f"{name} is required", [field_error(name, "required", f"give a {name}")])
    return text


def _fields(body: Any, allowed: tuple[str, ...]) -> Mapping[str, Any]:
    """An action's body: none at all, or a JSON object with only the named fields."""
    if body is None:
        return {}
    if not isinstance(body, Mapping):
        raise ValidationFailed("send a JSON object (or no body)",
                               [field_error("body", "invalid", f"expected a JSON object with {', '.join(allowed)}")])
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise ValidationFailed(f"unknown field(s) {', '.join(map(str, unknown))}; this takes {', '.join(allowed)}",
                               [field_error(str(k), "unknown", "not a field here") for k in unknown])
    return body


# ---- writing ----------------------------------------------------------------------------------

async def event(ticket_id: int, at: float, actor: str, kind: str, from_state: str | None = None,
                to_state: str | None = None, note: str = "", data: Mapping[str, Any] | None = None, *,
                entered_at: float | None = None, voids: int | None = None) -> int:
    """Append a timeline line; `at` is when it happened, `entered_at` when it was entered (default `at`)."""
    rows = await bulk.fetch(TicketEvent, "INSERT INTO ticket_event (ticket, at, actor, kind, from_state, to_state, "
                                         "note, data, entered_at, voids) VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING id",
                            [ticket_id, at, actor, kind, from_state, to_state, note, dumps(data or {}),
                             at if entered_at is None else entered_at, voids])
    return rows[0]["id"]


async def update(ticket_id: int, columns: Mapping[str, Any], now: float) -> None:
    names = [*columns, "updated_at"]
    sets = ", ".join(f"{n} = ?" for n in names)
    await bulk.execute_many(Ticket, f"UPDATE ticket SET {sets} WHERE id = ?",
                            [[*columns.values(), now, ticket_id]])


# Set while an import writes closed, past work orders: their notices would tell of nothing live.
_no_notices: ContextVar[bool] = ContextVar("ticket_no_notices", default=False)


@contextmanager
def without_notices() -> Iterator[None]:
    """Inside (this task only): no webhook notice about any ticket is queued; the timeline is written as ever."""
    token = _no_notices.set(True)
    try:
        yield
    finally:
        _no_notices.reset(token)


async def notify(event_name: str, ticket: Mapping[str, Any], at: float, **extra: Any) -> None:
    """Queue a webhook notice about the ticket (office endpoints and the ticket's contractor's)."""
    from assetsvc.webhooks import outbox

    if _no_notices.get():
        return

    payload = {"ticket": summary(ticket), **extra}
    await outbox.enqueue(event_name, payload, contractor_id=ticket["contractor_id"], at=at)


def summary(ticket: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("id", "subject_type", "subject_id", "fault", "cause", "title", "severity", "area", "region_code",
            "contractor_id", "contract_id", "state", "opened_at", "respond_due", "arrive_due", "restore_due",
            "restored_at", "closed_at", "close_reason")
    return {k: ticket.get(k) for k in keys}


async def refresh(ticket_id: int, now: float, actor: str = SYSTEM, *, running_only: bool = False) -> dict[str, Any]:
    """Re-read the ticket (locked), store its clocks, and act on new breaches and escalation.

    running_only: leave the ticket alone if it was finished meanwhile (the sweep)."""
    ticket = await load(ticket_id, lock=True)
    assert ticket is not None
    if running_only and ticket["state"] in FINISHED:
        return ticket
    suspensions = (await clocks.suspensions_of([ticket_id])).get(ticket_id, [])
    clock = clocks.clock(ticket, suspensions, await TERMS.for_tickets([ticket]), now)
    settled = clocks.settle(ticket, clock, ticket_config.current().escalate_after_s, now)
    await update(ticket_id, settled.columns, now)
    ticket.update(settled.columns)
    entered = await entered_at(ticket) if settled.breached or settled.escalate else None
    for stage in settled.breached:
        deadline = settled.columns[f"{stage}_due"]
        await event(ticket_id, now, actor, "breached", note=f"{stage} deadline passed",
                    data={"stage": stage, "deadline": deadline})
        if not _past_at_entry(deadline, entered):
            await notify("ticket.breached", ticket, now, stage=stage)
    for stage in settled.withdrawn:
        await event(ticket_id, now, actor, "breach_withdrawn", note=f"{stage} deadline moved by a pause",
                    data={"stage": stage})
    if settled.escalate:
        await event(ticket_id, now, actor, "escalated", note="breached and still not restored: the office is told")
        first = min(ticket[f"{s}_breached_at"] for s in clocks.STAGES if ticket[f"{s}_breached_at"] is not None)
        if not _past_at_entry(first + ticket_config.current().escalate_after_s, entered):
            await notify("ticket.escalated", ticket, now)
    return ticket


async def entered_at(ticket: Mapping[str, Any]) -> float | None:
    """When a paper work order was entered (its opening line's entry time); None for a live ticket."""
    if ticket["source"] != PAPER:
        return None
    rows = await bulk.fetch(TicketEvent, "SELECT entered_at FROM ticket_event WHERE ticket = ? AND kind = 'opened' "
                                         "ORDER BY id LIMIT 1", [ticket["id"]])
    return rows[0]["entered_at"] if rows else None


def _past_at_entry(deadline: float | None, entered: float | None) -> bool:
    """A paper work order's deadline that had passed when it was entered: its breach or escalation
    is on the timeline and in the figures, but no notice is sent (docs/webhooks.md, 'Paper and
    imported work orders'); a deadline still ahead at entry is told like a live one."""
    return entered is not None and deadline is not None and deadline <= entered


async def open_ticket(*, subject_type: str, subject_id: int, fault: str, cause: str, since: float, source: str,
                      actor: str, now: float, contracts: Contracts, device: Mapping[str, Any] | None = None,
                      severity: str | None = None, note: str = "", affected: int = 0,
                      opened_at: float | None = None) -> int:
    """Insert a ticket (in the caller's transaction) with its opening event and notice; returns its id.

    opened_at: a paper work order's opening, earlier than `now`, when it is entered."""
    opened = now if opened_at is None else opened_at
    if device is None:
        device = (await devices(subject_type, [subject_id])).get(subject_id)
        if device is None:
            raise NotFound(f"no {subject_type} {subject_id}")
    assignment = contracts.assign(device)
    terms = (await TERMS.get([assignment.contract_id])).get(assignment.contract_id)
    area = terms.area_of(device["region_code"] or "") if terms is not None and not isinstance(terms, Exception) else "urban"
    rule = "set by the office"
    if severity is None:
        point = {"subject": subject_type, "fault": fault, "point_class": device.get("point_class"),
                 "key_category": device.get("key_category"), "owner_class": device.get("owner_class"),
                 "affected": affected}
        severity, rule = ticket_config.current().severity_of(point)
    title = f"{fault}: {device['name']}"[:200]
    rows = await bulk.fetch(Ticket, """INSERT INTO ticket (subject_type, subject_id, fault, cause, source, title,
        severity, area, region_code, contractor, contract, state, fault_since, opened_at, reopen_count,
        affected_count, sla_note, terms_version, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,'open',?,?,0,?,?,?,?)
        RETURNING id""", [subject_type, subject_id, fault, cause[:64], source, title, severity, area,
                          device["region_code"] or "", assignment.contractor_id, assignment.contract_id,
                          since, opened, affected, assignment.note[:200],
                          await terms_version(assignment.contract_id), now])
    ticket_id = rows[0]["id"]
    if subject_type == "camera" and fault == "picture":  # the frame that showed it, and the last good one
        await monitoring.hold_evidence(subject_id, ticket_id, since, cause)
    await event(ticket_id, opened, actor, "opened", None, "open", note,
                {"cause": cause, "fault_since": since, "severity": severity, "severity_rule": rule,
                 "contract_id": assignment.contract_id, "assignment": assignment.note or "by contract"},
                entered_at=now)
    ticket = await refresh(ticket_id, now, actor)
    await notify("ticket.opened", ticket, now)
    return ticket_id


async def open_manual(actor: Actor, body: Any, now: float | None = None) -> dict[str, Any]:
    """The office opens a ticket by hand: {subject_type, subject_id, note, severity?, fault?, opened_at?}.

    With `opened_at` (a past time) it is a paper work order (source `paper`): taken by phone or on
    paper, its later events are recorded with the times they happened (tickets/paper/)."""
    if actor.role != "admin":
        raise Forbidden("only the video office may open tickets by hand")
    if not isinstance(body, Mapping):
        raise ValidationFailed("send a JSON object", [field_error("body", "invalid", "expected a JSON object")])
    now = time.time() if now is None else now
    errors = []
    opened_at = None
    if body.get("opened_at") is not None:
        try:
            opened_at = instants.parse(body["opened_at"], "opened_at", now)
        except ValidationFailed as exc:
            errors += exc.errors
    unknown = sorted(set(body) - {"subject_type", "subject_id", "note", "severity", "fault", "opened_at"})
    errors += [field_error(k, "unknown", "not a ticket field") for k in unknown]
    subject_type = body.get("subject_type", "camera")
    if subject_type not in ("camera", "upstream"):
        errors.append(field_error("subject_type", "invalid", "camera or upstream"))
    subject_id = body.get("subject_id")
    if isinstance(subject_id, bool) or not isinstance(subject_id, int) or subject_id < 1:
        errors.append(field_error("subject_id", "invalid", "a device id (a positive integer)"))
    fault = body.get("fault", ticket_config.MANUAL)
    if fault not in (*ticket_config.FAULTS, ticket_config.MANUAL):
        errors.append(field_error("fault", "invalid", f"one of {', '.join((*ticket_config.FAULTS, 'manual'))}"))
    severity = body.get("severity")
    if severity is not None and (not isinstance(severity, str) or not 1 <= len(severity.strip()) <= 16):
        errors.append(field_error("severity", "invalid", "a severity name such as P1 (at most 16 characters)"))
    try:
        note = _note(body.get("note"), True)
    except ValidationFailed as exc:
        errors += exc.errors
    if errors:
        raise ValidationFailed("the ticket was not opened", errors)
    opened = now if opened_at is None else opened_at
    async with db.write_transaction():
        device = (await devices(subject_type, [subject_id])).get(subject_id)
        if device is None:
            raise ValidationFailed("the ticket was not opened",
                                   [field_error("subject_id", "unknown_reference", f"no {subject_type} {subject_id}")])
        # A paper work order is assigned by the contracts in force on the day it was opened.
        ticket_id = await open_ticket(subject_type=subject_type, subject_id=subject_id, fault=fault,
                                      cause="manual", since=opened, source="manual" if opened_at is None else PAPER,
                                      actor=actor.username, now=now, contracts=await Contracts.load(opened),
                                      device=device, severity=severity.strip() if severity else None, note=note,
                                      opened_at=opened_at)
        if opened_at is not None:
            await audit.record(actor.username, "create", "ticket", ticket_id, f"paper work order {ticket_id}",
                               {"opened_at": [None, opened_at], "entered_at": [None, now],
                                "subject": [None, f"{subject_type} {subject_id}"]})
    return {"id": ticket_id}


async def act(actor: Actor, ticket_id: int, action: str, body: Any, now: float | None = None) -> dict[str, Any]:
    """Carry out a state action (acknowledge, arrive, resolve, cancel, close, reopen) on a ticket."""
    if action not in ACTIONS:
        raise NotFound(f"no ticket action {action!r} (actions: {', '.join(ACTIONS)})")
    starts, target, who = ACTIONS[action]
    body = _fields(body, ("note", "reason"))
    given = [k for k in ("note", "reason") if body.get(k) not in (None, "")]
    if len(given) == 2:
        raise ValidationFailed("give a note or a reason, not both",
                               [field_error("reason", "conflict", "send the text once, as note or as reason")])
    name = given[0] if given else ("reason" if action == "cancel" else "note")
    note = _note(body.get(name), action in ("cancel", "close", "reopen"), name)
    now = time.time() if now is None else now
    async with db.write_transaction():
        ticket = check_visible(actor, await load(ticket_id, lock=True), ticket_id)
        _may_act(actor, who, action)
        if action != "cancel":
            live_only(ticket, action)
        state = ticket["state"]
        if state not in starts:
            raise Conflict(f"ticket {ticket_id} is {state}; {action} needs it {' or '.join(starts)}")
        columns: dict[str, Any] = {"state": target}
        stamp = STAMPS.get(target)
        if stamp and (ticket[stamp] is None or target == "resolved"):  # a second resolve is a new claim
            columns[stamp] = now
        if target in ("on_site", "resolved") and ticket["acknowledged_at"] is None:
            columns["acknowledged_at"] = now  # working on it (on site, or fixed remotely) acknowledges it
        if target in FINISHED:
            columns.update(closed_at=now, close_reason="cancelled" if target == "cancelled" else "office",
                           resume_state=None)
            await _drop_pending_pauses(ticket_id, actor.username, now)
            if target == "closed":  # the office's word stands in for a check (a device we cannot probe)
                columns["restored_at"] = ticket["restored_at"] or now
        if action == "reopen":
            await _no_active_twin(ticket)
            columns.update(closed_at=None, close_reason=None, restored_at=None, resolved_at=None,
                           reopen_count=ticket["reopen_count"] + 1, escalated_at=None, verify_overdue_at=None)
        if target == "resolved":
            columns["verify_overdue_at"] = None
        await update(ticket_id, columns, now)
        if target in FINISHED or action == "reopen":
            await keep_evidence(ticket_id, target in FINISHED, now)
        await event(ticket_id, now, actor.username, action if action != "arrive" else "on_site", state, target, note)
        if target == "resolved":
            await request_verification(ticket, now)
        ticket = await refresh(ticket_id, now, actor.username)
        await notify(f"ticket.{target}", ticket, now, by=actor.username)
    return {"id": ticket_id, "state": target}


async def keep_evidence(ticket_id: int, finished: bool, now: float) -> None:
    """A ticket's evidence frames are held while it is active or disputed; once it is finished (and no
    dispute is open) they are kept ASSETSVC_EVIDENCE_KEEP_DAYS more, then may be evicted."""
    disputed = await bulk.fetch(TicketDispute, "SELECT id FROM ticket_dispute WHERE ticket = ? AND status = 'open'",
                                [ticket_id])
    if finished and not disputed:
        await monitoring.evidence_hold(ticket_id, False, now + settings().evidence_keep_days * 86400)
    else:
        await monitoring.evidence_hold(ticket_id, True)


async def _drop_pending_pauses(ticket_id: int, actor: str, now: float) -> None:
    """A finished ticket has no pause running or waiting for a decision (an approval later would
    backdate a pause over the time it was closed)."""
    await bulk.execute_many(TicketSuspension, "UPDATE ticket_suspension SET status = 'ended', ended_by = ?, "
                            "ended_at = ? WHERE ticket = ? AND status = 'approved'", [[actor, now, ticket_id]])
    await bulk.execute_many(TicketSuspension, "UPDATE ticket_suspension SET status = 'rejected', decided_by = ?, "
                            "decided_at = ?, decision_note = 'the ticket was finished' WHERE ticket = ? AND "
                            "status = 'requested'", [[actor, now, ticket_id]])


async def _no_active_twin(ticket: Mapping[str, Any]) -> None:
    """An automatic ticket cannot be reopened beside a newer active one for the same device and fault."""
    if ticket["source"] != "auto":
        return
    marks = ",".join("?" * len(ACTIVE))
    twins = await bulk.fetch(Ticket, f"SELECT id FROM ticket WHERE source = 'auto' AND subject_type = ? AND "
                                     f"subject_id = ? AND fault = ? AND id <> ? AND state IN ({marks})",
                             [ticket["subject_type"], ticket["subject_id"], ticket["fault"], ticket["id"], *ACTIVE])
    if twins:
        raise Conflict(f"{ticket['subject_type']} {ticket['subject_id']} already has an active {ticket['fault']} "
                       f"ticket #{twins[0]['id']}; work on that one")


async def request_verification(ticket: Mapping[str, Any], now: float) -> None:
    """Make the device's checks due now, so the next worker round verifies the contractor's fix."""
    await monitoring.make_due(ticket["subject_type"], ticket["subject_id"], aspect_of(ticket["fault"]), now)


async def add_note(actor: Actor, ticket_id: int, body: Any, now: float | None = None) -> dict[str, Any]:
    body = _fields(body, ("note",))
    note = _note(body.get("note"), True)
    now = time.time() if now is None else now
    async with db.write_transaction():
        check_visible(actor, await load(ticket_id, lock=True), ticket_id)
        _may_act(actor, "contractor", "comment on")
        await event(ticket_id, now, actor.username, "note", note=note)
    return {"id": ticket_id}


# ---- suspensions (挂起) -------------------------------------------------------------------------

SUSPENDABLE = ("open", "acknowledged", "on_site", "reopened")
DECISIONS = {"approve": "approved", "reject": "rejected", "end": "ended"}  # decision -> the pause's new status


async def request_suspension(actor: Actor, ticket_id: int, body: Any, now: float | None = None) -> dict[str, Any]:
    """The contractor asks to pause the clocks for a reason its contract allows."""
    body = _fields(body, ("reason", "note"))
    now = time.time() if now is None else now
    async with db.write_transaction():
        ticket = check_visible(actor, await load(ticket_id, lock=True), ticket_id)
        _may_act(actor, "contractor", "ask to suspend")
        live_only(ticket, "ask for a pause")
        if ticket["state"] not in SUSPENDABLE:
            raise Conflict(f"ticket {ticket_id} is {ticket['state']}; a pause can be asked while it is "
                           f"{', '.join(SUSPENDABLE)}")
        terms = clocks.terms_of(ticket, await TERMS.for_tickets([ticket]))
        allowed = dict(getattr(terms, "suspension_reasons", {}) or {})
        reason = body.get("reason")
        if not isinstance(reason, str) or reason not in allowed:  # a list or object is no reason (and unhashable)
            hint = f"one of {', '.join(sorted(allowed))}" if allowed else "none: the contract allows no pauses"
            raise ValidationFailed("this reason does not pause the clocks under the contract",
                                   [field_error("reason", "not_allowed", f"reason {reason!r}; allowed: {hint}")])
        note = _note(body.get("note"), True)
        pending = await bulk.fetch(TicketSuspension, "SELECT id FROM ticket_suspension WHERE ticket = ? AND status "
                                                     "IN ('requested', 'approved')", [ticket_id])
        if pending:
            raise Conflict(f"ticket {ticket_id} already has a pause requested or running (#{pending[0]['id']})")
        rows = await bulk.fetch(TicketSuspension, "INSERT INTO ticket_suspension (ticket, reason, note, status, "
                                "requested_by, requested_at, decision_note) VALUES (?,?,?,'requested',?,?,'') "
                                "RETURNING id", [ticket_id, reason, note, actor.username, now])
        await event(ticket_id, now, actor.username, "suspension_requested", note=note,
                    data={"suspension": rows[0]["id"], "reason": reason})
        await notify("ticket.suspension_requested", ticket, now, reason=reason)
    return {"id": rows[0]["id"], "status": "requested"}


async def decide_suspension(actor: Actor, ticket_id: int, suspension_id: int, decision: str, body: Any,
                            now: float | None = None) -> dict[str, Any]:
    """approve | reject (office only; an approved pause stops the clock from the approval, or from the
    request where the contract's suspension_rules say so) | end (either side)."""
    if decision not in DECISIONS:
        raise NotFound(f"no pause decision {decision!r} (decisions: {', '.join(DECISIONS)})")
    body = _fields(body, ("note",))
    note = _note(body.get("note"), decision == "reject")
    now = time.time() if now is None else now
    async with db.write_transaction():
        ticket = check_visible(actor, await load(ticket_id, lock=True), ticket_id)
        if decision in ("approve", "reject") and actor.role != "admin":
            raise Forbidden(f"only the video office may {decision} a pause"
                            + (" (a contractor cannot approve its own pause)" if actor.is_contractor else ""))
        _may_act(actor, "contractor", f"{decision} a pause of")
        live_only(ticket, f"{decision} a pause")
        rows = await bulk.fetch(TicketSuspension, "SELECT * FROM ticket_suspension WHERE id = ? AND ticket = ?",
                                [suspension_id, ticket_id])
        if not rows:
            raise NotFound(f"ticket {ticket_id} has no pause {suspension_id}")
        pause = rows[0]
        wanted = {"approve": "requested", "reject": "requested", "end": "approved"}[decision]
        if pause["status"] != wanted:
            raise Conflict(f"pause {suspension_id} is {pause['status']}; {decision} needs it {wanted}")
        if decision == "approve":
            if ticket["state"] not in SUSPENDABLE:
                raise Conflict(f"ticket {ticket_id} is {ticket['state']}; it can no longer be paused")
            await bulk.execute_many(TicketSuspension, "UPDATE ticket_suspension SET status = 'approved', decided_by = ?, "
                                    "decided_at = ?, decision_note = ? WHERE id = ?",
                                    [[actor.username, now, note, suspension_id]])
            await update(ticket_id, {"state": "suspended", "resume_state": ticket["state"]}, now)
            rule = clocks.pause_rule(clocks.terms_of(ticket, await TERMS.for_tickets([ticket])))
            start = clocks.pause_start(rule, {**pause, "decided_at": now})
            await event(ticket_id, now, actor.username, "suspended", ticket["state"], "suspended", note,
                        {"suspension": suspension_id, "reason": pause["reason"], "from": start,
                         "stops": sorted(rule.stops)})
        elif decision == "reject":
            await bulk.execute_many(TicketSuspension, "UPDATE ticket_suspension SET status = 'rejected', decided_by = ?, "
                                    "decided_at = ?, decision_note = ? WHERE id = ?",
                                    [[actor.username, now, note, suspension_id]])
            await event(ticket_id, now, actor.username, "suspension_rejected", note=note,
                        data={"suspension": suspension_id})
        else:
            await bulk.execute_many(TicketSuspension, "UPDATE ticket_suspension SET status = 'ended', ended_by = ?, "
                                    "ended_at = ? WHERE id = ?", [[actor.username, now, suspension_id]])
            back = ticket["resume_state"] or "acknowledged"
            await update(ticket_id, {"state": back, "resume_state": None}, now)
            await event(ticket_id, now, actor.username, "resumed", "suspended", back, note,
                        {"suspension": suspension_id})
        ticket = await refresh(ticket_id, now, actor.username)
        if decision != "reject":
            await notify(f"ticket.{'suspended' if decision == 'approve' else 'resumed'}", ticket, now)
    return {"id": suspension_id, "status": DECISIONS[decision]}


# ---- system transitions (opener, verification) -----------------------------------------------

async def system_close(ticket: Mapping[str, Any], reason: str, restored_at: float, now: float, note: str,
                       data: Mapping[str, Any]) -> None:
    """Close a ticket as verified or self-recovered (caller's transaction, ticket locked)."""
    # Probe times and the job's clock differ by seconds: a recovery dated a moment before the
    # opening counts as restored at the opening, and a check dated after the job's `now` closes
    # the ticket no earlier than it, so the figures as of closing see the restore.
    restored_at = max(restored_at, ticket["opened_at"])
    now = max(now, restored_at)
    await update(ticket["id"], {"state": "closed", "close_reason": reason, "restored_at": restored_at,
                                "closed_at": now, "resume_state": None}, now)
    await _drop_pending_pauses(ticket["id"], SYSTEM, now)
    await keep_evidence(ticket["id"], True, now)
    await event(ticket["id"], now, SYSTEM, reason, ticket["state"], "closed", note, data)
    fresh = await refresh(ticket["id"], now)
    await notify("ticket.closed", fresh, now, reason=reason)


async def system_reopen(ticket: Mapping[str, Any], now: float, note: str, data: Mapping[str, Any]) -> None:
    """A resolve that failed its check: back to the contractor; the restore clock never stopped."""
    await update(ticket["id"], {"state": "reopened", "resolved_at": None, "reopen_count": ticket["reopen_count"] + 1},
                 now)
    await event(ticket["id"], now, SYSTEM, "verification_failed", ticket["state"], "reopened", note, data)
    fresh = await refresh(ticket["id"], now)
    await notify("ticket.reopened", fresh, now, reason=note)


def fault_note(fault: Fault) -> str:
    return f"{fault.kind} ({fault.cause})" if fault.cause else fault.kind
