"""Held passive batches: the office lists them and confirms (applies) or discards each one."""

from __future__ import annotations

import datetime as dt
from typing import Any

from assetsvc import bulk, db
from assetsvc.accounts.service import Actor
from assetsvc.audit import service as audit
from assetsvc.errors import Conflict, Forbidden, NotFound, ValidationFailed, field_error
from assetsvc.monitoring import passive
from assetsvc.monitoring.config import MonitoringConfig
from assetsvc.monitoring.tables import PassiveBatch
from assetsvc.monitoring.writer import apply

STATUSES = ("held", "confirmed", "discarded")
AUDIT_NAME = "passive_batch"


def _iso(at: float | None) -> str | None:
    return None if at is None else dt.datetime.fromtimestamp(at, dt.timezone.utc).isoformat()


def _view(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "username": row["username"], "status": row["status"],
            "received_at": _iso(row["received_at"]), "reports": len(bulk.json_column(row["reports"], [])),
            "offline": len(bulk.json_column(row["offline"], [])), "cameras": row["cameras"],
            "decided_by": row["decided_by"], "decided_at": _iso(row["decided_at"])}


async def list_batches(actor: Actor, status: str = "held") -> list[dict[str, Any]]:
    """Batches in one status (held by default), newest first; the office and auditors."""
    if actor.role not in ("admin", "auditor"):
        raise Forbidden("only the video office and auditors see held passive reports")
    if status not in STATUSES:
        raise ValidationFailed(f"status is one of {', '.join(STATUSES)}",
                               [field_error("status", "invalid", f"one of {', '.join(STATUSES)}")])
    rows = await PassiveBatch.select().where(PassiveBatch.status == status).order_by(
        PassiveBatch.id, ascending=False).limit(1000).run()
    return [_view(r) for r in rows]


async def _take_held(actor: Actor, batch_id: int) -> dict[str, Any]:
    if actor.role != "admin":
        raise Forbidden("only the video office confirms or discards held passive reports")
    rows = await bulk.fetch(PassiveBatch, "SELECT * FROM passive_batch WHERE id = ?"
                            + ("" if db.is_sqlite() else " FOR UPDATE"), [batch_id])
    if not rows or rows[0]["status"] == "applied":
        raise NotFound(f"no held batch {batch_id}")
    if rows[0]["status"] != "held":
        raise Conflict(f"batch {batch_id} is already {rows[0]['status']}")
    return rows[0]


async def _decide(actor: Actor, row: dict[str, Any], status: str, now: float) -> None:
    await PassiveBatch.update({PassiveBatch.status: status, PassiveBatch.decided_by: actor.username,
                               PassiveBatch.decided_at: now}).where(PassiveBatch.id == row["id"]).run()
    await audit.record(actor.username, "confirm" if status == "confirmed" else "discard",
                       AUDIT_NAME, row["id"], f"passive reports of {row['username']}",
                       {"status": ["held", status]})


async def confirm(actor: Actor, batch_id: int, config: MonitoringConfig, now: float) -> dict[str, Any]:
    """Apply a held batch as if it had just arrived (reports older than a camera's state are ignored)."""
    async with db.write_transaction():
        row = await _take_held(actor, batch_id)
        reports = [passive.Report(g, bool(o), float(a)) for g, o, a in bulk.json_column(row["reports"], [])]
        found = await passive.cameras(sorted({r.gb_id for r in reports}))
        batch, counts = await passive.plan(reports, found, config)
        await apply(batch, config.state_rules(), config.history_per_subject, now)
        await _decide(actor, row, "confirmed", now)
    return {"id": batch_id, "status": "confirmed", **counts}


async def discard(actor: Actor, batch_id: int, now: float) -> dict[str, Any]:
    """Drop a held batch: nothing of it is applied."""
    async with db.write_transaction():
        row = await _take_held(actor, batch_id)
        await _decide(actor, row, "discarded", now)
    return {"id": batch_id, "status": "discarded"}
