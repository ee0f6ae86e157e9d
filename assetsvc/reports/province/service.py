"""What the API and the CLI call: deliveries with their attempts and receipts, retry one, push a month.

Only the office (admin) sends or retries; auditors read. Every change is audited.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass
from typing import Any, Mapping

from assetsvc import bulk, db
from assetsvc.actor import Actor
from assetsvc.audit import service as audit
from assetsvc.errors import Conflict, Forbidden, NotFound, ValidationFailed, field_error
from assetsvc.reports.build import check_month
from assetsvc.reports.province import delivery, outbox
from assetsvc.reports.province.config import can_read
from assetsvc.reports.province.tables import ProvinceAttempt, ProvinceDelivery
from assetsvc.reports.tables import ReportVersion

STATES = ("pending", "delivered", "failed")
MAX_LIST = 500
MAX_ATTEMPTS_SHOWN = 50


def _admin(actor: Actor) -> None:
    if actor.role != "admin":
        raise Forbidden("only the video office (admin) sends reports to the provincial platform")


def _iso(at: float | None) -> str | None:
    return None if at is None else dt.datetime.fromtimestamp(at, dt.timezone.utc).isoformat(timespec="seconds")


def _receipt(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def render(row: Mapping[str, Any], attempts: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": row["id"], "month": row["month"], "version": row["version"], "kind": row["kind"],
            "replaces": row["replaces"], "idempotency_key": row["idempotency_key"], "state": row["state"],
            "attempts": row["attempts"], "next_at": _iso(row["next_at"]) if row["state"] == "pending" else None,
            "created_at": _iso(row["created_at"]), "delivered_at": _iso(row["delivered_at"]),
            "failed_at": _iso(row["failed_at"]), "last_status": row["last_status"], "last_error": row["last_error"],
            "receipt": _receipt(row["receipt"]),
            "tries": [{"at": _iso(a["at"]), "status": a["status"], "error": a["error"]} for a in attempts]}


async def _attempts(ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    for start in range(0, len(ids), bulk.IN_CHUNK):
        part = ids[start:start + bulk.IN_CHUNK]
        rows = await bulk.fetch(ProvinceAttempt, "SELECT delivery, at, status, error FROM province_attempt WHERE "
                                f"delivery IN ({','.join('?' * len(part))}) ORDER BY id DESC", part)
        for row in rows:
            if len(found[row["delivery"]]) < MAX_ATTEMPTS_SHOWN:
                found[row["delivery"]].append(row)
    return {i: list(reversed(rows)) for i, rows in found.items()}


async def list_deliveries(actor: Actor, *, month: str | None = None, state: str | None = None,
                          limit: int = 100) -> list[dict[str, Any]]:
    """Deliveries newest first, with their latest attempts (at most 50 each) and receipts."""
    can_read(actor)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIST:
        raise ValidationFailed(f"limit must be a whole number in 1..{MAX_LIST}",
                               [field_error("limit", "invalid", f"1..{MAX_LIST}")])
    where, args = "", []
    if month is not None:
        where += " AND month = ?"
        args.append(check_month(month, float("inf"))[0])
    if state is not None:
        if state not in STATES:
            raise ValidationFailed(f"state {state!r} is not one of {', '.join(STATES)}",
                                   [field_error("state", "invalid", f"one of {', '.join(STATES)}")])
        where += " AND state = ?"
        args.append(state)
    rows = await bulk.fetch(ProvinceDelivery, f"SELECT * FROM province_delivery WHERE 1 = 1{where} "
                            "ORDER BY id DESC LIMIT ?", [*args, limit])
    tries = await _attempts([r["id"] for r in rows])
    return [render(r, tries[r["id"]]) for r in rows]


async def get_delivery(actor: Actor, delivery_id: int) -> dict[str, Any]:
    can_read(actor)
    rows = await bulk.fetch(ProvinceDelivery, "SELECT * FROM province_delivery WHERE id = ?", [delivery_id])
    if not rows:
        raise NotFound(f"no province delivery with id {delivery_id}")
    return render(rows[0], (await _attempts([delivery_id]))[delivery_id])


async def status(actor: Actor) -> dict[str, Any]:
    """Deliveries per state and the failed ones (what the office must act on)."""
    can_read(actor)
    rows = await bulk.fetch(ProvinceDelivery, "SELECT state, COUNT(*) AS n FROM province_delivery GROUP BY state")
    counts = {s: 0 for s in STATES} | {r["state"]: r["n"] for r in rows}
    return {"deliveries": counts, "failed": await list_deliveries(actor, state="failed")}


async def retry(actor: Actor, delivery_id: int, *, now: float | None = None, source: str = "api") -> dict[str, Any]:
    """A failed or waiting delivery is due now, with a fresh give-up window."""
    _admin(actor)
    at = time.time() if now is None else now
    async with db.write_transaction():
        rows = await bulk.fetch(ProvinceDelivery, "SELECT state, month, version FROM province_delivery WHERE id = ?",
                                [delivery_id])
        if not rows:
            raise NotFound(f"no province delivery with id {delivery_id}")
        if rows[0]["state"] == "delivered":
            raise Conflict(f"province delivery {delivery_id} was delivered; there is nothing to retry")
        await bulk.execute_many(ProvinceDelivery, "UPDATE province_delivery SET state = 'pending', next_at = ?, "
                                "since = ?, failed_at = NULL WHERE id = ?", [[at, at, delivery_id]])
        await audit.record(actor.username, "update", "province_delivery", delivery_id,
                           f"report {rows[0]['month']} v{rows[0]['version']} to the province",
                           {"state": [rows[0]["state"], "pending"]}, source)
    return await get_delivery(actor, delivery_id)


async def push(actor: Actor, month: str | None = None, *, now: float | None = None,
               source: str = "api") -> dict[str, Any]:
    """Queue the month's approved version when it is not yet (one approved before the province was
    set up), then send what is due now; the counts and the month's deliveries."""
    _admin(actor)
    at = time.time() if now is None else now
    queued = False
    if month is not None:
        month = check_month(month, float("inf"))[0]
        async with db.write_transaction():
            rows = await bulk.fetch(ReportVersion, "SELECT id, month, version FROM report_version WHERE month = ? "
                                    "AND status = 'approved'", [month])
            if not rows:
                raise NotFound(f"the report for {month} has no approved version to send")
            queued = await outbox.enqueue(rows[0], at)
            if queued:
                await audit.record(actor.username, "create", "province_delivery", rows[0]["id"],
                                   f"report {month} v{rows[0]['version']} to the province", {"state": [None, "pending"]},
                                   source)
    sent = await delivery.deliver_due(at)
    return {"queued": queued, **sent, "deliveries": await list_deliveries(actor, month=month, limit=20)}


@dataclass(frozen=True)
class OutboxFigures:
    """The province outbox now (for /metrics): deliveries per state, the oldest pending one's age."""

    by_state: Mapping[str, int]
    oldest_pending_s: float  # since it was queued (approved); 0 when nothing is pending


async def outbox_figures(now: float) -> OutboxFigures:
    rows = await bulk.fetch(ProvinceDelivery, "SELECT state, COUNT(*) AS n, MIN(created_at) AS oldest "
                            "FROM province_delivery GROUP BY state")
    by_state = {s: 0 for s in STATES} | {r["state"]: int(r["n"]) for r in rows}
    oldest = next((r["oldest"] for r in rows if r["state"] == "pending"), None)
    return OutboxFigures(by_state, max(0.0, now - oldest) if oldest is not None else 0.0)
