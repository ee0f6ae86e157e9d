"""Outage history rows -> state_interval rows, clipped against what is recorded (clip.py)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from assetsvc import bulk
from assetsvc.monitoring.history.clip import Occupied, recorded
from assetsvc.monitoring.history.plan import Planned
from assetsvc.monitoring.history.rows import StateRow
from assetsvc.monitoring.tables import StateInterval
from assetsvc.monitoring.uptime_forget import forget
from assetsvc.registry.importer import Progress
from assetsvc.registry.tables import Camera

CHUNK = 500


async def camera_ids(gb_ids: list[str]) -> dict[str, int]:
    """Registry ids of the cameras by national ID (those that exist)."""
    found: dict[str, int] = {}
    unique = sorted(set(gb_ids))
    for start in range(0, len(unique), CHUNK):
        part = unique[start:start + CHUNK]
        for row in await Camera.select(Camera.id, Camera.gb_id).where(Camera.gb_id.is_in(part)).run():
            found[row["gb_id"]] = row["id"]
    return found


# Which standing batch wrote a stored interval, if one did (undone batches have no history_row left).
_BATCH_OF = ("(SELECT hr.batch FROM history_row hr JOIN history_batch b ON b.id = hr.batch "
             "WHERE hr.target_id = si.id AND b.kind = 'states')")


async def _stored(cameras: list[int], start: float, end: float) -> dict[int, list[tuple[float, float | None, str]]]:
    """Each camera's stored intervals overlapping [start, end), with who holds each: "recorded"
    (live history) or "batch N" (an earlier import)."""
    held: dict[int, list[tuple[float, float | None, str]]] = defaultdict(list)
    rows = await bulk.fetch_in(
        StateInterval, f"SELECT si.subject_id, si.start, si.\"end\", {_BATCH_OF} AS batch FROM state_interval si "
        "WHERE si.subject_type = 'camera' AND si.start < ? AND (si.\"end\" IS NULL OR si.\"end\" > ?) "
        "AND si.subject_id IN ({in})", cameras, [end, start])
    for r in rows:
        holder = "recorded" if r["batch"] is None else f"batch {r['batch']}"
        held[r["subject_id"]].append((r["start"], r["end"], holder))
    return held


async def resolve(rows: list[StateRow]) -> tuple[dict[str, int], dict[int, tuple[str, str, str]]]:
    """The cameras' registry ids by national ID, and (field, kind, reason) of the rows naming none."""
    ids = await camera_ids([r.gb_id for r in rows])
    return ids, {r.row: ("camera", "unknown_camera", f"no camera with 设备编码 {r.gb_id} in the registry")
                 for r in rows if r.gb_id not in ids}


async def plan(rows: list[StateRow], ids: dict[str, int], actor: str, at: float) -> list[Planned]:
    """Each row's pieces after the overlap rule: recorded history first, then earlier rows of the file."""
    if not rows:
        return []
    start, end = min(r.start for r in rows), max(r.end for r in rows)
    stored = await _stored(sorted({ids[r.gb_id] for r in rows}), start, end)
    held: dict[int, Occupied] = {}
    out: list[Planned] = []
    for r in rows:
        camera = ids[r.gb_id]
        if camera not in held:
            held[camera] = recorded(stored.get(camera, []), end + 1.0)
        pieces, clips = held[camera].take(r.start, r.end, f"row {r.row}")
        action = "drop" if not pieces else "clip" if clips else "import"
        records = [{"subject_type": "camera", "subject_id": camera, "state": r.state, "cause": r.cause,
                    "root_upstream": None, "start": a, "end": b} for a, b in pieces]
        out.append(Planned(r.row, r.key, r.source, action, records, clips))
    return out


async def write(planned: list[Planned], progress: Progress | None = None) -> list[tuple[Planned, int]]:
    """Insert the planned intervals; (planned row, new state_interval id) per interval."""
    by_slot: dict[tuple[int, float], Planned] = {}
    rows: list[dict[str, Any]] = []
    for p in planned:
        for record in p.records:
            # A camera's pieces never overlap, so (camera, start) names each new interval.
            by_slot[(record["subject_id"], record["start"])] = p
            rows.append(record)
    out: list[tuple[Planned, int]] = []
    for first in range(0, len(rows), CHUNK):
        found = await bulk.insert_returning(StateInterval, rows[first:first + CHUNK], '"id", "subject_id", "start"')
        out += [(by_slot[(r["subject_id"], r["start"])], r["id"]) for r in found]
        if progress is not None:
            progress.at("writing", len(out), len(rows))
    await forget((r["subject_id"], r["start"], r["end"]) for r in rows)  # the rolled-up days they fall in
    return out


async def forget_batch(batch_id: int) -> None:
    """Before an undo deletes a batch's intervals: drop the rolled-up days they fall in."""
    rows = await bulk.fetch(StateInterval, 'SELECT subject_id, start, "end" FROM state_interval WHERE id IN '
                                           "(SELECT target_id FROM history_row WHERE batch = ?)", [batch_id])
    await forget((r["subject_id"], r["start"], r["end"]) for r in rows)
