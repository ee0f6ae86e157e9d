"""Each camera's picture memory (画面基准): loaded before a picture is judged, stored after, reset by the office.

The memory itself (day and night baselines, grabs being learned, the previous grab's signature, the
normal change between grabs per mode) is probes.iq_memory.PictureMemory; this module keeps one row
of it per camera in `picture_memory` (JSON: a new field of the memory needs no column).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from assetsvc import bulk, db
from assetsvc.accounts.service import Actor
from assetsvc.audit import service as audit
from assetsvc.errors import Forbidden, NotFound
from assetsvc.monitoring.tables import PictureMemory as MemoryRow
from assetsvc.monitoring.uptime_input import iso
from probes.iq_evidence import Evidence
from probes.iq_memory import PictureMemory, accept

log = logging.getLogger("assetsvc.monitoring")
AUDIT_NAME = "picture_baseline"


@dataclass(frozen=True)
class BaselineStatus:
    """What a camera's picture memory holds, for people (the images themselves stay inside)."""

    camera_id: int
    day_learned: float | None
    night_learned: float | None
    updated_at: float | None
    reset_at: float | None
    reset_by: str
    learned_despite: dict[str, list[str]]  # per mode: faults its learned grabs showed at first sight

    def to_json(self) -> dict[str, Any]:
        return {"camera_id": self.camera_id, "day_learned": iso(self.day_learned),
                "night_learned": iso(self.night_learned), "updated_at": iso(self.updated_at),
                "reset_at": iso(self.reset_at), "reset_by": self.reset_by,
                "learned_despite": self.learned_despite}


async def load(camera_ids: Iterable[int]) -> dict[int, PictureMemory]:
    """The stored memories of these cameras; none or a damaged one is a fresh memory (relearned)."""
    ids = sorted(set(camera_ids))
    if not ids:
        return {}
    rows = await bulk.fetch_in(MemoryRow, "SELECT camera_id, memory FROM picture_memory WHERE camera_id IN ({in})",
                               ids)
    found = {i: PictureMemory() for i in ids}
    for row in rows:
        if not row["memory"]:
            continue
        try:
            found[row["camera_id"]] = PictureMemory.from_bytes(row["memory"])
        except ValueError as exc:
            log.warning("camera %s: picture memory unreadable, learning again: %s", row["camera_id"], exc)
    return found


async def save(memories: Sequence[tuple[int, PictureMemory, float]]) -> None:
    """Store (camera id, memory, at) inside the caller's write transaction (one row per camera)."""
    if not memories:
        return
    rows = [[camera_id, memory.to_bytes().decode(), at if memory.learned("day") else None,
             at if memory.learned("night") else None, at] for camera_id, memory, at in memories]
    # A learned-at time is kept once set: COALESCE keeps the first learning time of each mode.
    await bulk.execute_many(
        MemoryRow, "INSERT INTO picture_memory (camera_id, memory, day_learned, night_learned, updated_at, reset_by) "
        "VALUES (?, ?, ?, ?, ?, '') ON CONFLICT (camera_id) DO UPDATE SET memory = excluded.memory, "
        "day_learned = CASE WHEN excluded.day_learned IS NULL THEN NULL "
        "ELSE COALESCE(picture_memory.day_learned, excluded.day_learned) END, "
        "night_learned = CASE WHEN excluded.night_learned IS NULL THEN NULL "
        "ELSE COALESCE(picture_memory.night_learned, excluded.night_learned) END, "
        "updated_at = excluded.updated_at", rows)


async def forget(camera_ids: Iterable[int]) -> None:
    """Drop the memories of cameras that left service (inside the caller's transaction)."""
    await bulk.execute_many(MemoryRow, "DELETE FROM picture_memory WHERE camera_id = ?", [[i] for i in camera_ids])


async def show(actor: Actor, camera_id: int) -> BaselineStatus:
    """What the camera's picture memory holds (the office and auditors)."""
    if actor.role not in ("admin", "auditor"):
        raise Forbidden("only the video office and auditors may read picture baselines")
    if not await bulk.fetch(MemoryRow, "SELECT 1 AS one FROM camera WHERE id = ?", [camera_id]):
        raise NotFound(f"no camera with id {camera_id}")
    return await status(camera_id)


async def status(camera_id: int) -> BaselineStatus:
    rows = await bulk.fetch(MemoryRow, "SELECT * FROM picture_memory WHERE camera_id = ?", [camera_id])
    if not rows:
        return BaselineStatus(camera_id, None, None, None, None, "", {})
    r = rows[0]
    despite: dict[str, list[str]] = {}
    if r["memory"]:
        try:
            memory = PictureMemory.from_bytes(r["memory"])
            despite = {m: list(f) for m, f in memory.flagged.items() if memory.learned(m)}
        except ValueError:
            pass  # unreadable: it is learned again at the next grab (load() logs it)
    return BaselineStatus(camera_id, r["day_learned"], r["night_learned"], r["updated_at"], r["reset_at"],
                          r["reset_by"], despite)


async def reset(actor: Actor, camera_id: int, *, now: float | None = None, source: str = "api") -> BaselineStatus:
    """Forget a camera's baselines (after it was re-aimed): the next good grabs are learned again.

    Only the video office (admin). The previous grab's signature goes too, so the first grab after
    the reset is not compared with a picture from before it. Audited.
    """
    if actor.role != "admin":
        raise Forbidden("only the video office (admin) may reset a camera's picture baseline")
    at = time.time() if now is None else now
    async with db.write_transaction():
        if not await bulk.fetch(MemoryRow, "SELECT 1 AS one FROM camera WHERE id = ?", [camera_id]):
            raise NotFound(f"no camera with id {camera_id}")
        before = await status(camera_id)
        await bulk.execute_many(
            MemoryRow, "INSERT INTO picture_memory (camera_id, memory, updated_at, reset_at, reset_by) "
            "VALUES (?, '', ?, ?, ?) ON CONFLICT (camera_id) DO UPDATE SET memory = '', day_learned = NULL, "
            "night_learned = NULL, updated_at = excluded.updated_at, reset_at = excluded.reset_at, "
            "reset_by = excluded.reset_by", [[camera_id, at, at, actor.username[:64]]])
        await audit.record(actor.username, "update", AUDIT_NAME, camera_id, f"camera {camera_id}",
                           audit.diff({"day_learned": before.day_learned, "night_learned": before.night_learned},
                                      {"day_learned": None, "night_learned": None}), source)
    return await status(camera_id)


async def accept_grab(camera_id: int, shown: Evidence, by: str, at: float, label: str,
                      source: str = "api") -> None:
    """A false alarm: the office says this grab is the camera's normal picture, so it joins the
    baseline of its mode (probes.iq_memory.accept) and the same scene is not flagged again (a false
    frozen verdict: the mode's normal change between grabs is learned again).
    Inside the caller's write transaction; audited. A frame that cannot be read is a ValueError."""
    memory = (await load([camera_id]))[camera_id]
    before = await status(camera_id)
    await save([(camera_id, accept(memory, shown.grab(), shown.mode, shown.faults), at)])
    after = await status(camera_id)
    await audit.record(by, "update", AUDIT_NAME, camera_id, label,
                       audit.diff({f"{shown.mode}_learned": getattr(before, f"{shown.mode}_learned"),
                                   "accepted": None},
                                  {f"{shown.mode}_learned": getattr(after, f"{shown.mode}_learned"),
                                   "accepted": f"{shown.verdict} frame as normal ({shown.mode})"}), source)
