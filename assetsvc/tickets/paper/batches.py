"""Work-order import batches (导入批次): what a batch made, which numbers are imported, list, undo."""

from __future__ import annotations

import time
from typing import Any

from assetsvc import bulk, db
from assetsvc.actor import Actor
from assetsvc.audit import service as audit
from assetsvc.errors import Conflict, Forbidden, NotFound, ValidationFailed, field_error
from assetsvc.tickets.store import dumps
from assetsvc.tickets.tables import Ticket, TicketImportBatch, TicketImportRow

AUDIT_NAME = "ticket_import_batch"
MAX_LIST = 500


def require_admin(actor: Actor) -> None:
    if actor.role != "admin":
        raise Forbidden("only the video office (admin) may import, list or undo work orders")


async def imported_keys(keys: list[str]) -> dict[str, int]:
    """The work order numbers among `keys` that a standing batch holds, with that batch's id."""
    rows = await bulk.fetch_in(TicketImportRow, "SELECT r.key, r.batch FROM ticket_import_row r JOIN "
                               "ticket_import_batch b ON b.id = r.batch WHERE b.undone_at IS NULL AND "
                               "r.key IN ({in})", sorted(set(keys)))
    return {r["key"]: r["batch"] for r in rows}


async def record(filename: str, rows: int, written: list[tuple[str, int, int]], actor: Actor,
                 summary: dict[str, Any], source: str) -> int:
    """Store the batch and the tickets it made, (work order number, ticket id, sheet row) each,
    inside the import's transaction; its id."""
    found = await bulk.fetch(TicketImportBatch, "INSERT INTO ticket_import_batch (filename, rows, written, "
                             "created_by, created_at, undone_by, summary) VALUES (?,?,?,?,?,'',?) RETURNING id",
                             [filename[:255], rows, len(written), actor.username[:64], time.time(),
                              dumps(summary)])
    batch = found[0]["id"]
    await bulk.execute_many(TicketImportRow, "INSERT INTO ticket_import_row (batch, key, ticket_id, row) "
                            "VALUES (?,?,?,?)", [[batch, key, ticket, row] for key, ticket, row in written])
    await audit.record(actor.username, "create", AUDIT_NAME, batch, f"work orders {filename}"[:200],
                       audit.diff({}, {"file": filename, "rows": rows, "written": len(written)}), source)
    return batch


def _view(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "filename", "rows", "written", "created_by", "created_at", "undone_by", "undone_at")
    return {**{k: row[k] for k in keys}, "summary": bulk.json_column(row["summary"], {})}


async def list_batches(actor: Actor, limit: int = 100) -> list[dict[str, Any]]:
    """Batches, newest first (undone ones too, marked)."""
    require_admin(actor)
    if not 1 <= limit <= MAX_LIST:
        raise ValidationFailed("bad limit", [field_error("limit", "invalid", f"1..{MAX_LIST}")])
    rows = await bulk.fetch(TicketImportBatch, "SELECT * FROM ticket_import_batch ORDER BY id DESC LIMIT ?", [limit])
    return [_view(r) for r in rows]


async def undo(actor: Actor, batch_id: int, source: str = "api") -> dict[str, Any]:
    """Delete the tickets the batch made (with their timelines), in one transaction; the batch stays, undone."""
    require_admin(actor)
    async with db.write_transaction():
        rows = await bulk.fetch(TicketImportBatch, "SELECT * FROM ticket_import_batch WHERE id = ?", [batch_id])
        if not rows:
            raise NotFound(f"no work-order import batch {batch_id}")
        row = rows[0]
        if row["undone_at"] is not None:
            raise Conflict(f"batch {batch_id} was undone already, by {row['undone_by']}")
        await bulk.execute_many(Ticket, "DELETE FROM ticket WHERE id IN (SELECT ticket_id FROM ticket_import_row "
                                        "WHERE batch = ?)", [[batch_id]])
        await bulk.execute_many(TicketImportRow, "DELETE FROM ticket_import_row WHERE batch = ?", [[batch_id]])
        at = time.time()
        await bulk.execute_many(TicketImportBatch, "UPDATE ticket_import_batch SET undone_at = ?, undone_by = ? "
                                "WHERE id = ?", [[at, actor.username[:64], batch_id]])
        await audit.record(actor.username, "update", AUDIT_NAME, batch_id, f"work orders {row['filename']}"[:200],
                           {"undone_at": [None, at]}, source)
    return _view({**row, "undone_at": at, "undone_by": actor.username[:64]})
