"""The brake on a platform account taking down much of its fleet at once (上报暂扣).

If the cameras one account reported offline within the window (applied reports plus this request)
exceed a share of the cameras in its scope, the request is stored as a held batch and nothing is
applied until the office confirms it (passive_held.py). A compromised or broken platform can then
not mark a district down and open tickets against every contractor in one go.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from assetsvc import bulk, db
from assetsvc.monitoring.passive_scope import Rule, cameras_in_scope
from assetsvc.monitoring.tables import PassiveBatch

if TYPE_CHECKING:
    from assetsvc.accounts.service import Actor
    from assetsvc.monitoring.writer import Reading

LOCK_KEY = 0x61737376  # pg advisory lock class "assv": one ingest per platform account at a time
COUNTED = ("applied", "confirmed")


@dataclass(frozen=True)
class Hold:
    """From settings: share of an account's cameras, window in seconds, floor in cameras."""

    share: float
    window_s: int
    minimum: int


async def recent_offline(user_id: int, since: float) -> set[int]:
    """Cameras the account took down within the window (applied or confirmed batches)."""
    rows = await PassiveBatch.select(PassiveBatch.offline).where(
        (PassiveBatch.user_id == user_id) & (PassiveBatch.received_at >= since)
        & PassiveBatch.status.is_in(list(COUNTED))).run()
    return {int(i) for r in rows for i in bulk.json_column(r["offline"], [])}


async def check(actor: Actor, rules: list[Rule], reports: Sequence[Any],
                batch: Mapping[tuple[str, int], Sequence[Reading]], hold: Hold, now: float) -> dict | None:
    """Inside the ingest transaction: hold the request (and say so) or record it as applied (None)."""
    if not db.is_sqlite():  # SQLite's IMMEDIATE transaction already serialises writers
        await bulk.fetch(PassiveBatch, "SELECT pg_advisory_xact_lock(?, ?)", [LOCK_KEY, actor.user_id])
    offline = sorted({key[1] for key, readings in batch.items() if any(not r.ok for r in readings)})
    if not offline:
        return None
    since = now - hold.window_s
    await PassiveBatch.delete().where((PassiveBatch.status == "applied") & (PassiveBatch.received_at < since)).run()
    cameras = await cameras_in_scope(rules)
    down = await recent_offline(actor.user_id, since) | set(offline)
    held = len(down) >= hold.minimum and len(down) > hold.share * cameras
    row = PassiveBatch(user_id=actor.user_id, username=actor.username, received_at=now,
                       status="held" if held else "applied", offline=offline, cameras=cameras,
                       reports=[[r.gb_id, r.online, r.at] for r in reports] if held else [])
    await row.save().run()
    if not held:
        return None
    return {"held": row.id, "reports": len(reports), "offline": len(down), "cameras": cameras,
            "detail": f"these reports would take {len(down)} of the account's {cameras} cameras down within "
                      f"{hold.window_s} s; they are held until the office confirms them"}
