"""Read side of monitoring: a camera's state with its evidence, state counts, drift flags, nodes."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from assetsvc import bulk
from assetsvc.actor import Actor
from assetsvc.errors import Forbidden, NotFound, ValidationFailed, field_error
from assetsvc.monitoring import evidence, streams
from assetsvc.monitoring.evaluate import CONFIG_CAUSES
from assetsvc.monitoring.tables import DeviceState
from assetsvc.registry.entities import region_prefix
from assetsvc.registry.tables import Camera

STATES = ("up", "degraded", "down", "unknown")
# Nodes beat every 5 s (workers and scheduler contenders alike); one silent for six beats has
# lost its lease: a process killed with -9 shows as gone, and never as leader, from then on.
NODE_LEASE_S = 30.0


def iso(at: float | None) -> str | None:
    """Unix seconds as ISO 8601 UTC (the API's time format)."""
    if at is None:
        return None
    return dt.datetime.fromtimestamp(at, dt.timezone.utc).isoformat(timespec="seconds")


def _scope(actor: Actor) -> tuple[str, list[Any]]:
    """SQL condition on camera alias `c` limiting a contractor to the cameras it maintains."""
    if actor.is_contractor:
        return " AND c.contractor = ?", [actor.contractor_id]
    if actor.role not in ("admin", "auditor"):
        raise Forbidden("this account may not read monitoring data")
    return "", []


async def camera_status(camera_id: int, actor: Actor, history: int = 20) -> dict[str, Any]:
    """State, cause and since; latest result per probe kind; recent results; recent intervals; drift."""
    where, args = _scope(actor)
    found = await bulk.fetch(Camera, f"SELECT c.id, c.gb_id, c.name, c.status, c.stream_uri FROM camera c "
                             f"WHERE c.id = ?{where}", [camera_id, *args])
    if not found:
        raise NotFound(f"no camera {camera_id}")
    camera = found[0]
    state = await bulk.fetch(DeviceState, "SELECT * FROM device_state WHERE subject_type = 'camera' "
                             "AND subject_id = ?", [camera_id])
    latest = await bulk.fetch(DeviceState, "SELECT probe_kind, at, ok, error, message, duration_ms, facts "
                              "FROM latest_result WHERE subject_type = 'camera' AND subject_id = ? "
                              "ORDER BY probe_kind", [camera_id])
    recent = await bulk.fetch(DeviceState, "SELECT probe_kind, at, ok, error, message, duration_ms "
                              "FROM result_history WHERE subject_type = 'camera' AND subject_id = ? "
                              "ORDER BY at DESC LIMIT ?", [camera_id, history])
    intervals = await bulk.fetch(DeviceState, 'SELECT state, cause, root_upstream, start, "end" FROM '
                                 "state_interval WHERE subject_type = 'camera' AND subject_id = ? "
                                 "ORDER BY start DESC LIMIT 50", [camera_id])
    drift = await bulk.fetch(DeviceState, "SELECT kind, expected, reported, other_camera_id, first_seen, "
                             "last_seen FROM drift_flag WHERE camera_id = ? AND cleared_at IS NULL", [camera_id])
    current = state[0] if state else None
    reported = (await streams.load([camera_id])).get(camera_id)
    return {
        "camera": {"id": camera["id"], "gb_id": camera["gb_id"], "name": camera["name"],
                   "declared_status": camera["status"]},
        "state": current["state"] if current else None,
        "cause": current["cause"] if current else None,
        "root_upstream": current["root_upstream"] if current else None,
        "since": iso(current["since"]) if current else None,
        "last_seen": iso(current["last_seen"]) if current else None,
        "monitored": current is not None,
        "latest": [{**r, "ok": bool(r["ok"]), "at": iso(r["at"]), "facts": bulk.json_column(r["facts"], {})} for r in latest],
        "recent": [{**r, "ok": bool(r["ok"]), "at": iso(r["at"])} for r in recent],
        "intervals": [{**r, "start": iso(r["start"]), "end": iso(r["end"])} for r in intervals],
        "drift": [{**r, "first_seen": iso(r["first_seen"]), "last_seen": iso(r["last_seen"])} for r in drift],
        # The kept picture grabs (evidence frames): the first grab of each picture fault and the
        # last good one, so a picture state change shows the picture behind it.
        "frames": [f.to_json(f"/api/v1/cameras/{camera_id}/frames") for f in await evidence.of_camera(camera_id)],
        # Where the stream checks look: the registry's URI first, else what ONVIF reported (host
        # always the registry's); a path that is not there shows as cause stream:config and a
        # stream_path drift flag.
        "stream": {"registry_uri": camera["stream_uri"] or None,
                   "reported": None if reported is None else {
                       "main_uri": reported.main or None, "sub_uri": reported.sub or None,
                       "snapshot_uri": reported.snapshot or None, "main_fps": reported.main_fps,
                       "sub_fps": reported.sub_fps, "read_at": iso(reported.read_at)},
                   "config_fault": bool(current and current["cause"] in CONFIG_CAUSES)},
    }


async def state_counts(actor: Actor, region: str | None = None) -> dict[str, Any]:
    """How many in-service cameras are in each state now (and by cause for the non-up ones)."""
    where, args = _scope(actor)
    if region:
        try:
            prefix = region_prefix(region)
        except ValueError as exc:
            raise ValidationFailed(str(exc), [field_error("region", "invalid", str(exc))]) from None
        where += " AND c.region_code LIKE ?"
        args.append(prefix + "%")
    rows = await bulk.fetch(DeviceState, "SELECT ds.state, ds.cause, COUNT(*) AS n FROM device_state ds "
                            "JOIN camera c ON c.id = ds.subject_id WHERE ds.subject_type = 'camera'"
                            f"{where} GROUP BY ds.state, ds.cause", args)
    counts = {s: 0 for s in STATES}
    causes: dict[str, dict[str, int]] = {}
    for row in rows:
        counts[row["state"]] = counts.get(row["state"], 0) + row["n"]
        if row["state"] != "up":
            causes.setdefault(row["state"], {})[row["cause"]] = row["n"]
    total = sum(counts.values())
    known = total - counts["unknown"]
    return {"cameras": total, "states": counts, "causes": causes,
            "online_now": round((counts["up"] + counts["degraded"]) / known, 4) if known else None,
            "at": iso(time.time())}


async def drift_flags(actor: Actor, limit: int = 500) -> list[dict[str, Any]]:
    """Open drift flags (identity differs from the registry, or a device at another's address)."""
    where, args = _scope(actor)
    rows = await bulk.fetch(DeviceState, "SELECT d.camera_id, c.gb_id, c.name, d.kind, d.expected, d.reported, "
                            "d.other_camera_id, d.first_seen, d.last_seen FROM drift_flag d JOIN camera c ON "
                            f"c.id = d.camera_id WHERE d.cleared_at IS NULL{where} ORDER BY d.first_seen LIMIT ?",
                            [*args, limit])
    return [{**r, "first_seen": iso(r["first_seen"]), "last_seen": iso(r["last_seen"])} for r in rows]


async def nodes(actor: Actor) -> list[dict[str, Any]]:
    """Workers and schedulers with their last heartbeat (office only); `alive` is false, and
    `leader` too, once a node has missed its lease (NODE_LEASE_S)."""
    if actor.role not in ("admin", "auditor"):
        raise Forbidden("only the video office may see the monitoring nodes")
    rows = await bulk.fetch(DeviceState, "SELECT name, host, pid, role, leader, started_at, seen_at, probes_done "
                            "FROM monitor_node ORDER BY name")
    horizon = time.time() - NODE_LEASE_S
    return [{**r, "alive": r["seen_at"] >= horizon, "leader": bool(r["leader"]) and r["seen_at"] >= horizon,
             "started_at": iso(r["started_at"]), "seen_at": iso(r["seen_at"])} for r in rows]
