"""Maintenance window rows -> maintenance_window rows (overlaps are harmless: the uptime sums take
the union of a camera's windows), skipping windows already recorded with the same scope and times."""

from __future__ import annotations

from typing import Any

from assetsvc import bulk
from assetsvc.errors import ValidationFailed
from assetsvc.monitoring.history.plan import Planned
from assetsvc.monitoring.history.rows import WindowRow
from assetsvc.monitoring.history.states import camera_ids
from assetsvc.monitoring.maintenance import forget_windows
from assetsvc.monitoring.tables import MaintenanceWindow
from assetsvc.monitoring.uptime_scope import region_ref
from assetsvc.registry.importer import Progress

_TABLES = {"site": "site", "upstream": "upstream_device"}


async def resolve(rows: list[WindowRow]) -> tuple[dict[int, str], dict[int, tuple[str, str, str]]]:
    """Each row's stored scope_ref (camera and device ids, region prefixes), and (field, kind, reason)
    of the rows whose reference is not there."""
    refs: dict[int, str] = {}
    errors: dict[int, tuple[str, str, str]] = {}
    cameras = await camera_ids([r.ref for r in rows if r.scope == "camera"])
    known: dict[str, set[int]] = {}
    for scope, table in _TABLES.items():
        wanted = sorted({int(r.ref) for r in rows if r.scope == scope and r.ref.isdigit()})
        found = await bulk.fetch_in(MaintenanceWindow, f"SELECT id FROM {table} WHERE id IN ({{in}})", wanted)
        known[scope] = {f["id"] for f in found}
    for r in rows:
        if r.scope == "camera":
            if r.ref in cameras:
                refs[r.row] = str(cameras[r.ref])
            else:
                errors[r.row] = ("ref", "unknown_reference", f"no camera with 设备编码 {r.ref} in the registry")
        elif r.scope == "region":
            try:
                refs[r.row] = region_ref(r.ref)
            except ValidationFailed as exc:
                errors[r.row] = ("ref", "unknown_reference", exc.message)
        elif r.ref.isdigit() and int(r.ref) in known[r.scope]:
            refs[r.row] = str(int(r.ref))
        else:
            errors[r.row] = ("ref", "unknown_reference", f"no {r.scope} with id {r.ref}")
    return refs, errors


async def plan(rows: list[WindowRow], refs: dict[int, str], actor: str, at: float) -> list[Planned]:
    """A window per row, unless the same scope, ref and times are already recorded."""
    if not rows:
        return []
    start, end = min(r.start for r in rows), max(r.end for r in rows)
    stored = await bulk.fetch(MaintenanceWindow, "SELECT id, scope, scope_ref, starts_at, ends_at FROM "
                              "maintenance_window WHERE starts_at >= ? AND ends_at <= ?", [start, end])
    existing = {(s["scope"], s["scope_ref"], s["starts_at"], s["ends_at"]): s["id"] for s in stored}
    out: list[Planned] = []
    for r in rows:
        same = existing.get((r.scope, refs[r.row], r.start, r.end))
        if same is not None:
            out.append(Planned(r.row, r.key, r.source, "drop", note=f"maintenance window {same} is recorded"))
            continue
        record: dict[str, Any] = {"scope": r.scope, "scope_ref": refs[r.row], "starts_at": r.start,
                                  "ends_at": r.end, "reason": r.reason, "created_by": actor[:64], "created_at": at}
        out.append(Planned(r.row, r.key, r.source, "import", [record]))
    return out


async def write(planned: list[Planned], progress: Progress | None = None) -> list[tuple[Planned, int]]:
    """Insert the planned windows one by one (a file holds a few hundred at most)."""
    out: list[tuple[Planned, int]] = []
    for p in planned:
        for record in p.records:
            found = await bulk.insert_returning(MaintenanceWindow, [record], '"id"')
            out.append((p, found[0]["id"]))
        if progress is not None:
            progress.at("writing", len(out), len(planned))
    await forget_windows([record for p in planned for record in p.records])  # the rolled-up days they reach
    return out


async def forget_batch(batch_id: int) -> None:
    """Before an undo deletes a batch's windows: drop the rolled-up days they reach."""
    await forget_windows(await bulk.fetch(MaintenanceWindow, "SELECT scope, scope_ref, starts_at, ends_at FROM "
                                          "maintenance_window WHERE id IN "
                                          "(SELECT target_id FROM history_row WHERE batch = ?)", [batch_id]))
