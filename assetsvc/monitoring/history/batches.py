"""History batches (导入批次): record what an import wrote, find rows imported before, list, undo."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from assetsvc import bulk, db
from assetsvc.actor import Actor
from assetsvc.audit import service as audit
from assetsvc.errors import Conflict, Forbidden, NotFound, ValidationFailed, field_error
from assetsvc.monitoring.history.kinds import KINDS, kind_named
from assetsvc.monitoring.history.plan import Planned
from assetsvc.monitoring.tables import HistoryBatch, HistoryRow
from assetsvc.monitoring.uptime_input import iso, parse_offset

AUDIT_NAME = "history_batch"
MAX_LIST = 500
# pg advisory lock class "assv", object "hist": one history write or undo at a time, so two imports
# never plan against the same stored history and both write (SQLite's IMMEDIATE transaction
# already serialises writers).
LOCK = (0x61737376, 0x68697374)


async def serialise() -> None:
    """Inside a write transaction: wait for any other history import or undo to finish first."""
    if not db.is_sqlite():
        await bulk.fetch(HistoryBatch, "SELECT pg_advisory_xact_lock(?, ?)", list(LOCK))


def require_admin(actor: Actor) -> None:
    if actor.role != "admin":
        raise Forbidden("only the video office (admin) may import, list or undo history")


@dataclass(frozen=True)
class BatchView:
    """A history batch as the API and CLI show it; undone_at None while it stands."""

    id: int
    kind: str
    file: str
    rows: int
    written: int
    clipped: int
    created_by: str
    created_at: str
    undone_by: str
    undone_at: str | None
    summary: dict[str, Any]


def _view(row: dict[str, Any], tz: str | None = None) -> BatchView:
    offset = parse_offset(tz)
    summary = bulk.json_column(row["summary"], {})
    return BatchView(row["id"], row["kind"], row["filename"], row["rows"], row["written"], row["clipped"],
                     row["created_by"], iso(row["created_at"], offset) or "", row["undone_by"],
                     iso(row["undone_at"], offset), summary if isinstance(summary, dict) else {})


async def imported_keys(kind: str, keys: list[str]) -> dict[str, int]:
    """The keys among `keys` that a standing batch of this kind holds, with that batch's id."""
    rows = await bulk.fetch_in(HistoryRow, "SELECT r.key, r.batch FROM history_row r JOIN history_batch b "
                               "ON b.id = r.batch WHERE b.kind = ? AND b.undone_at IS NULL AND r.key IN ({in})",
                               keys, [kind])
    return {r["key"]: r["batch"] for r in rows}


async def record(kind: str, filename: str, rows: int, written: list[tuple[Planned, int]], clipped: int,
                 actor: Actor, summary: dict[str, Any], source: str) -> int:
    """Store the batch and the records it wrote (inside the import's transaction); its id."""
    at = time.time()
    found = await bulk.insert_returning(HistoryBatch, [{
        "kind": kind, "filename": filename[:255], "rows": rows, "written": len(written), "clipped": clipped,
        "created_by": actor.username[:64], "created_at": at, "summary": summary}], '"id"')
    batch = found[0]["id"]
    await bulk.insert_rows(HistoryRow, [{"batch": batch, "key": p.key, "target_id": target, "row": p.row,
                                         "source": p.source} for p, target in written])
    await audit.record(actor.username, "create", AUDIT_NAME, batch, f"{kind} {filename}"[:200],
                       audit.diff({}, {"kind": kind, "file": filename, "rows": rows, "written": len(written),
                                       "clipped": clipped}), source)
    return batch


async def list_batches(actor: Actor, *, kind: str | None = None, tz: str | None = None,
                       limit: int = 100) -> list[BatchView]:
    """Batches, newest first (undone ones too, marked)."""
    require_admin(actor)
    if not 1 <= limit <= MAX_LIST:
        raise ValidationFailed("bad limit", [field_error("limit", "invalid", f"1..{MAX_LIST}")])
    where, args = "", []
    if kind:
        where, args = " WHERE kind = ?", [kind_named(kind).name]
    rows = await bulk.fetch(HistoryBatch, f"SELECT * FROM history_batch{where} ORDER BY id DESC LIMIT ?",
                            [*args, limit])
    return [_view(r, tz) for r in rows]


async def _row(batch_id: int) -> dict[str, Any]:
    rows = await bulk.fetch(HistoryBatch, "SELECT * FROM history_batch WHERE id = ?", [batch_id])
    if not rows:
        raise NotFound(f"no history batch {batch_id}")
    return rows[0]


async def get(actor: Actor, batch_id: int, tz: str | None = None) -> BatchView:
    require_admin(actor)
    return _view(await _row(batch_id), tz)


def _clipped_by(summary: Any) -> list[Any]:
    stored = bulk.json_column(summary, {})
    found = stored.get("clipped_by") if isinstance(stored, dict) else None
    return found if isinstance(found, list) else []


async def _refuse_if_clipped_against(row: dict[str, Any]) -> None:
    """Later standing batches that lost time to this one would keep holes where it was: undo them first."""
    later = await bulk.fetch(HistoryBatch, "SELECT id, summary FROM history_batch WHERE kind = ? AND "
                             "undone_at IS NULL AND id > ? ORDER BY id", [row["kind"], row["id"]])
    blocking = [r["id"] for r in later if row["id"] in _clipped_by(r["summary"])]
    if blocking:
        names = ", ".join(map(str, blocking))
        raise Conflict(f"history batch {names} lost time to batch {row['id']} (clipped against it); undo "
                       f"{'it' if len(blocking) == 1 else 'them'} first, then import the file again to fill that time")


async def undo(actor: Actor, batch_id: int, *, tz: str | None = None, source: str = "api") -> BatchView:
    """Delete every record the batch wrote, in one transaction; the batch stays, marked undone.

    Only what the batch wrote is deleted (its history_row list): live history and other batches stay.
    """
    require_admin(actor)
    async with db.write_transaction():
        await serialise()
        row = await _row(batch_id)
        if row["undone_at"] is not None:
            raise Conflict(f"history batch {batch_id} was undone at {iso(row['undone_at'])} by {row['undone_by']}")
        await _refuse_if_clipped_against(row)
        await KINDS[row["kind"]].remove(batch_id)
        await HistoryRow.delete().where(HistoryRow.batch == batch_id).run()
        at = time.time()
        await HistoryBatch.update({HistoryBatch.undone_at: at, HistoryBatch.undone_by: actor.username[:64]}).where(
            HistoryBatch.id == batch_id).run()
        await audit.record(actor.username, "update", AUDIT_NAME, batch_id, f"{row['kind']} {row['filename']}"[:200],
                           {"undone_at": [None, at]}, source)
    return _view({**row, "undone_at": at, "undone_by": actor.username[:64]}, tz)
