"""Ticket reads for the API and CLI: filtered lists, a ticket's detail with timeline and SLA figures,
and attachments (type- and size-checked uploads kept in the database beside the ticket)."""

from __future__ import annotations

import hashlib
import re
import time
import unicodedata
from typing import Any, Mapping

from assetsvc import bulk, db
from assetsvc.actor import Actor
from assetsvc.errors import NotFound, ValidationFailed, field_error
from assetsvc.monitoring import service as monitoring
from assetsvc.monitoring.uptime_scope import region_condition, region_ref
from assetsvc.runtime import settings
from assetsvc.tickets import clocks
from assetsvc.tickets.disputes import disputes_of
from assetsvc.tickets.lifecycle import _may_act, can_read, check_visible, event, load
from assetsvc.tickets.store import ACTIVE, FINISHED, TERMS
from assetsvc.tickets.tables import Ticket, TicketAttachment

STATES = (*ACTIVE, *FINISHED)
# restore_due: tickets without a deadline last on both engines (SQLite puts NULLs first, PostgreSQL last).
SORTS = {"opened": "t.opened_at", "-opened": "t.opened_at DESC", "restore_due": "t.restore_due IS NULL, t.restore_due",
         "severity": "t.severity", "id": "t.id", "-id": "t.id DESC"}
MAX_PAGE = 500
MAX_INT = 2**31 - 1
FILTERS = ("contractor", "state", "severity", "breached", "region", "min_age_h", "max_age_h", "subject_type",
           "subject_id", "fault", "source", "sort", "page", "per_page")
# Accepted uploads, told by their first bytes (the client's declared type is not trusted).
SIGNATURES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"%PDF-", "application/pdf"))


def _bad(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, [field_error(field, "invalid", message)])


def _int(raw: Any, field: str, low: int = 0) -> int:
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise _bad(field, f"{field} {raw!r} must be a whole number") from None
    if value < low:
        raise _bad(field, f"{field} must be at least {low}")
    if value > MAX_INT:  # beyond a database integer (PostgreSQL refuses the parameter)
        raise _bad(field, f"{field} must be at most {MAX_INT}")
    return value


def _hours(raw: Any, field: str) -> float:
    try:
        value = float(str(raw).strip())
    except ValueError:
        raise _bad(field, f"{field} {raw!r} must be a number of hours") from None
    if not 0 <= value <= 24 * 3650:
        raise _bad(field, f"{field} must be between 0 and {24 * 3650} hours")
    return value


def _where(actor: Actor, query: Mapping[str, Any], now: float) -> tuple[list[str], list[Any]]:
    unknown = sorted(set(query) - set(FILTERS))
    if unknown:
        raise ValidationFailed(f"unknown filter(s) {', '.join(unknown)}; filters: {', '.join(FILTERS)}",
                               [field_error(n, "unknown", "not a filter") for n in unknown])
    where, args = [], []
    if actor.is_contractor:
        where.append("t.contractor = ?")
        args.append(actor.contractor_id)
    if query.get("contractor") not in (None, ""):
        where.append("t.contractor = ?")
        args.append(_int(query["contractor"], "contractor", 1))
    for name, allowed in (("state", STATES), ("severity", None), ("fault", None), ("subject_type", ("camera", "upstream")),
                          ("source", ("auto", "manual", "paper"))):
        raw = query.get(name)
        if raw in (None, ""):
            continue
        values = [v.strip() for v in str(raw).split(",") if v.strip()]
        if name == "state" and values == ["active"]:
            values = list(ACTIVE)
        bad = [v for v in values if allowed and v not in allowed]
        if bad or not values or any(len(v) > 24 for v in values):
            raise _bad(name, f"{name} {raw!r}: give one or more of {', '.join(allowed or ('the names in use',))}"
                             + (" (or state=active)" if name == "state" else ""))
        where.append(f"t.{name} IN ({','.join('?' * len(values))})")
        args.extend(values)
    if query.get("subject_id") not in (None, ""):
        where.append("t.subject_id = ?")
        args.append(_int(query["subject_id"], "subject_id", 1))
    breached = query.get("breached")
    if breached not in (None, ""):
        flag = str(breached).lower()
        if flag not in ("true", "false", "1", "0"):
            raise _bad("breached", "breached must be true or false")
        any_breach = "(t.respond_breached_at IS NOT NULL OR t.arrive_breached_at IS NOT NULL OR " \
                     "t.restore_breached_at IS NOT NULL)"
        where.append(any_breach if flag in ("true", "1") else f"NOT {any_breach}")
    if query.get("region") not in (None, ""):
        sql, values = region_condition(region_ref(str(query["region"]), "region"), "t.region_code")
        where.append(sql)
        args.extend(values)
    if query.get("min_age_h") not in (None, ""):
        where.append("t.opened_at <= ?")
        args.append(now - _hours(query["min_age_h"], "min_age_h") * 3600)
    if query.get("max_age_h") not in (None, ""):
        where.append("t.opened_at >= ?")
        args.append(now - _hours(query["max_age_h"], "max_age_h") * 3600)
    return where, args


async def list_tickets(actor: Actor, query: Mapping[str, Any], now: float | None = None) -> dict[str, Any]:
    can_read(actor)
    now = time.time() if now is None else now
    where, args = _where(actor, query, now)
    sort = str(query.get("sort") or "-opened")
    if sort not in SORTS:
        raise _bad("sort", f"sort {sort!r}: one of {', '.join(SORTS)}")
    page = _int(query.get("page") or 1, "page", 1)
    per_page = _int(query.get("per_page") or 50, "per_page", 1)
    if per_page > MAX_PAGE:
        raise _bad("per_page", f"per_page is at most {MAX_PAGE}")
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    total = (await bulk.fetch(Ticket, f"SELECT COUNT(*) AS n FROM ticket t{clause}", args))[0]["n"]
    rows = await bulk.fetch(Ticket, f"SELECT t.*, t.contract AS contract_id, t.contractor AS contractor_id, "
                                    f"c.name AS contractor_name FROM ticket t LEFT JOIN contractor c ON "
                                    f"c.id = t.contractor{clause} ORDER BY {SORTS[sort]}, t.id DESC LIMIT ? OFFSET ?",
                            [*args, per_page, (page - 1) * per_page])
    return {"total": total, "page": page, "per_page": per_page, "items": [_row(r, now) for r in rows]}


def _row(row: Mapping[str, Any], now: float) -> dict[str, Any]:
    keys = ("id", "subject_type", "subject_id", "fault", "cause", "source", "title", "severity", "area",
            "region_code", "contractor_id", "contract_id", "state", "fault_since", "opened_at", "acknowledged_at",
            "on_site_at", "resolved_at", "restored_at", "closed_at", "close_reason", "fault_cleared_at",
            "reopen_count", "affected_count", "respond_due", "arrive_due", "restore_due", "respond_breached_at",
            "arrive_breached_at", "restore_breached_at", "escalated_at", "sla_note", "verify_overdue_at", "updated_at")
    out = {k: row.get(k) for k in keys}
    out["contractor_name"] = row.get("contractor_name")
    out["breached"] = any(row.get(f"{s}_breached_at") is not None for s in ("respond", "arrive", "restore"))
    out["age_h"] = round(((row["closed_at"] or now) - row["opened_at"]) / 3600, 2)
    return out


async def detail(actor: Actor, ticket_id: int, now: float | None = None) -> dict[str, Any]:
    now = time.time() if now is None else now
    ticket = check_visible(actor, await load(ticket_id), ticket_id)
    suspensions = (await clocks.suspensions_of([ticket_id])).get(ticket_id, [])
    clock = clocks.clock(ticket, suspensions, await TERMS.for_tickets([ticket]), now)
    events = await bulk.fetch(Ticket, "SELECT id, at, entered_at, actor, kind, from_state, to_state, note, data, "
                                      "voids FROM ticket_event WHERE ticket = ? ORDER BY at, id", [ticket_id])
    # A paper work order's line shows when it happened (at) and when it was entered; a voided
    # line stays, marked with the line that voids it.
    voided = {item["voids"]: item["id"] for item in events if item["voids"] is not None}
    for item in events:
        item["data"] = bulk.json_column(item["data"], {})
        item["entered_at"] = item["at"] if item["entered_at"] is None else item["entered_at"]
        item["voided_by"] = voided.get(item["id"])
    cameras = await bulk.fetch(Ticket, "SELECT l.camera_id, l.linked_at, l.recovered_at, c.name, c.gb_id FROM "
                                       "ticket_camera l LEFT JOIN camera c ON c.id = l.camera_id WHERE l.ticket = ? "
                                       "ORDER BY l.camera_id", [ticket_id])
    files = await bulk.fetch(Ticket, "SELECT id, filename, content_type, size, sha256, uploaded_by, uploaded_at FROM "
                                     "ticket_attachment WHERE ticket = ? ORDER BY id", [ticket_id])
    table = "camera" if ticket["subject_type"] == "camera" else "upstream_device"
    device = await bulk.fetch(Ticket, f"SELECT id, name, gb_id, ipv4, region_code, status FROM {table} WHERE id = ?",
                              [ticket["subject_id"]])
    pauses = [{k: s[k] for k in ("id", "reason", "note", "status", "requested_by", "requested_at", "decided_by",
                                 "decided_at", "decision_note", "ended_by", "ended_at")} for s in suspensions]
    names = await bulk.fetch(Ticket, "SELECT name FROM contractor WHERE id = ?", [ticket["contractor_id"]])
    ticket = {**ticket, "contractor_name": names[0]["name"] if names else None}  # as the list shows it
    return {**_row(ticket, now), "device": device[0] if device else None, "sla": clocks.figures_json(clock),
            "timeline": events, "suspensions": pauses, "cameras": cameras, "attachments": files,
            "disputes": await disputes_of(ticket_id), "evidence": await _evidence(ticket_id),
            "downtime": await _downtime(ticket, now)}


async def _evidence(ticket_id: int) -> list[dict[str, Any]]:
    return [f.to_json(f"/api/v1/tickets/{ticket_id}/evidence") for f in await monitoring.ticket_evidence(ticket_id)]


async def evidence(actor: Actor, ticket_id: int) -> list[dict[str, Any]]:
    """A picture ticket's evidence frames: the frame that showed the fault and the camera's last good
    frame before it (monitoring keeps them; the ticket's scoping applies)."""
    check_visible(actor, await load(ticket_id), ticket_id)
    return await _evidence(ticket_id)


async def evidence_jpeg(actor: Actor, ticket_id: int, frame_id: int) -> bytes:
    check_visible(actor, await load(ticket_id), ticket_id)
    data = await monitoring.ticket_frame_jpeg(ticket_id, frame_id)
    if data is None:
        raise NotFound(f"ticket {ticket_id} has no evidence frame {frame_id}")
    return data


async def _downtime(ticket: Mapping[str, Any], now: float) -> dict[str, Any] | None:
    """The camera's fault time from the fault's start to its restore (or now), from the uptime service:
    down time, plus time degraded for the ticket's own fault kind (stream, picture, clock); maintenance
    never counts. The same figure the uptime API and the monthly score give for that span."""
    if ticket["subject_type"] != "camera":
        return None  # the uptime service measures cameras; an upstream device's outage shows on its cameras
    fault = ticket["fault"]
    rule = monitoring.DowntimeRule(causes=(fault,)) if fault in monitoring.DEGRADING else monitoring.DOWN_ONLY
    start = ticket["fault_since"] if ticket["fault_since"] is not None else ticket["opened_at"]
    until = ticket["restored_at"] if ticket["restored_at"] is not None else now
    found = await monitoring.fault_seconds([ticket["subject_id"]], start, max(start, until), rule, now=now)
    return {"from": start, "until": found.counted_until, "counts": list(rule.counts),
            "seconds": found.by_camera.get(ticket["subject_id"], 0.0)}


# ---- attachments ------------------------------------------------------------------------------

def sniff(data: bytes) -> str | None:
    return next((kind for magic, kind in SIGNATURES if data.startswith(magic)), None)


def clean_filename(raw: Any) -> str:
    name = str(raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C").strip()
    name = re.sub(r"\s+", " ", name)
    if len(name) > 200:  # keep the extension: people open attachments by it
        stem, dot, ext = name.rpartition(".")
        name = f"{stem[:199 - len(ext)]}.{ext}" if dot and 0 < len(ext) <= 10 else name[:200]
    return name or "attachment"


async def may_attach(actor: Actor, ticket_id: int) -> None:
    """Refuse early (404/403) a caller who may not attach to the ticket; attach() checks again when writing."""
    check_visible(actor, await load(ticket_id), ticket_id)
    _may_act(actor, "contractor", "attach files to")


async def attach(actor: Actor, ticket_id: int, filename: Any, data: bytes, now: float | None = None) -> dict[str, Any]:
    """Keep a photo (JPEG, PNG) or PDF with the ticket; the type is read from the bytes."""
    limit = settings().upload_max_mb * 2**20
    if not data:
        raise _bad("file", "the file is empty")
    if len(data) > limit:
        raise _bad("file", f"the file is {len(data)} bytes; the limit is {limit} (ASSETSVC_UPLOAD_MAX_MB)")
    kind = sniff(data)
    if kind is None:
        raise ValidationFailed("only JPEG or PNG photos and PDF documents can be attached",
                               [field_error("file", "unsupported_type", "the content is not JPEG, PNG or PDF")])
    now = time.time() if now is None else now
    name = clean_filename(filename)
    digest = hashlib.sha256(data).hexdigest()
    async with db.write_transaction():
        check_visible(actor, await load(ticket_id, lock=True), ticket_id)
        _may_act(actor, "contractor", "attach files to")
        rows = await bulk.fetch(TicketAttachment, "INSERT INTO ticket_attachment (ticket, filename, content_type, "
                                "size, sha256, content, uploaded_by, uploaded_at) VALUES (?,?,?,?,?,?,?,?) RETURNING id",
                                [ticket_id, name, kind, len(data), digest, data, actor.username, now])
        await event(ticket_id, now, actor.username, "attachment", note=name,
                    data={"attachment": rows[0]["id"], "content_type": kind, "size": len(data)})
    return {"id": rows[0]["id"], "filename": name, "content_type": kind, "size": len(data), "sha256": digest}


async def attachment(actor: Actor, ticket_id: int, attachment_id: int) -> tuple[str, str, bytes]:
    """(filename, content type, bytes) of one attachment the actor may see."""
    check_visible(actor, await load(ticket_id), ticket_id)
    rows = await bulk.fetch(TicketAttachment, "SELECT filename, content_type, content FROM ticket_attachment "
                                              "WHERE id = ? AND ticket = ?", [attachment_id, ticket_id])
    if not rows:
        from assetsvc.errors import NotFound
        raise NotFound(f"ticket {ticket_id} has no attachment {attachment_id}")
    return rows[0]["filename"], rows[0]["content_type"], bytes(rows[0]["content"])
