"""Uptime of an upstream device (switch, encoder, NVR): its own time per state, and the cameras it took down.

A camera's down interval with cause `upstream` names the topmost dead device above it
(`root_upstream`, monitoring/topology.py): that device is the root cause, and the camera's
seconds in such intervals are the seconds it lost to the device. They count like every
camera figure: only inside the camera's service periods (the registry's, through
uptime_coverage) and outside its maintenance windows. The device's own seconds are its
intervals clipped to the period; windows on the device or any device above it are reported
as its maintenance and left out of its rates (docs/metrics.md, "Upstream devices").
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from assetsvc.actor import Actor
from assetsvc.errors import NotFound
from assetsvc.monitoring.topology import Topology
from assetsvc.monitoring.uptime import counted_window
from assetsvc.monitoring.uptime_coverage import coverage
from assetsvc.monitoring.uptime_input import iso
from assetsvc.monitoring.uptime_math import (
    KNOWN, STATES, Range, intersect, length, ratio, subtract, union,
)
from assetsvc.monitoring.uptime_read import Fetch, fetch_all
from assetsvc.monitoring.uptime_scope import camera_ids, check_role

MAX_CAMERAS = 500  # the cameras listed, most seconds lost first (the count and total cover all)


async def _device(fetch: Fetch, actor: Actor, device_id: int) -> dict[str, Any]:
    rows = await fetch("SELECT id, name, kind, gb_id, region_code, contractor, parent FROM upstream_device "
                       "WHERE id = ?", [device_id])
    if not rows or (actor.is_contractor and rows[0]["contractor"] != actor.contractor_id):
        raise NotFound(f"no upstream device with id {device_id}")  # another contractor's: not theirs to know
    return rows[0]


async def _windows_over(fetch: Fetch, device_id: int, start: float, end: float) -> list[Range]:
    """Windows on the device or any device above it, merged within [start, end)."""
    parents = await fetch("SELECT id, parent FROM upstream_device", [])
    chain = Topology({r["id"]: r["parent"] for r in parents}, {}).chain(device_id)
    rows = await fetch("SELECT scope_ref, starts_at, ends_at FROM maintenance_window WHERE scope = 'upstream' "
                       "AND starts_at < ? AND ends_at > ?", [end, start])
    return union([(r["starts_at"], r["ends_at"]) for r in rows if r["scope_ref"] in {str(d) for d in chain}],
                 start, end)


def _own(intervals: list[dict[str, Any]], held: list[Range], start: float, end: float) -> dict[str, Any]:
    """The device's seconds per state outside maintenance, its maintenance seconds, and its rates."""
    seconds = dict.fromkeys(STATES, 0.0)
    in_window = 0.0
    for row in intervals:
        span = [(max(row["start"], start), min(end if row["end"] is None else row["end"], end))]
        span = [(a, b) for a, b in span if a < b]
        inside = intersect(span, held)
        in_window += length(inside)
        if row["state"] in seconds:
            seconds[row["state"]] += length(span) - length(inside)
    observed = sum(seconds[s] for s in KNOWN)
    return {"seconds": {**seconds, "maintenance": in_window, "observed": observed},
            "online_rate": ratio(seconds["up"] + seconds["degraded"], observed),
            "working_rate": ratio(seconds["up"], observed)}


async def upstream_uptime(actor: Actor, device_id: int, start: float, end: float, *,
                          now: float | None = None,
                          tz: dt.timezone = dt.timezone.utc) -> dict[str, Any]:
    """The device's own figures over [start, end) and each camera it took down with the seconds lost."""
    check_role(actor)
    w = counted_window(start, end, 3600.0, now)
    async with fetch_all() as fetch:
        device = await _device(fetch, actor, device_id)
        own = await fetch('SELECT state, start, "end" FROM state_interval WHERE subject_type = \'upstream\' '
                          'AND subject_id = ? AND start < ? AND ("end" IS NULL OR "end" > ?)',
                          [device_id, w.end, w.start])
        held = await _windows_over(fetch, device_id, w.start, w.end)
        # The partial index state_interval_root serves this: few intervals have a root device.
        lost = await fetch('SELECT subject_id AS cam, start, "end" FROM state_interval WHERE root_upstream = ? '
                           "AND subject_type = 'camera' AND state = 'down' AND cause = 'upstream' "
                           'AND start < ? AND ("end" IS NULL OR "end" > ?)', [device_id, w.end, w.start])
        spans: dict[int, list[Range]] = defaultdict(list)
        for row in lost:
            a, b = max(row["start"], w.start), min(w.end if row["end"] is None else row["end"], w.end)
            if a < b:
                spans[row["cam"]].append((a, b))
        if actor.is_contractor:  # a contractor sees only the cameras it maintains
            mine = await fetch(f"SELECT c.id AS id FROM camera c WHERE ({camera_ids(spans).where}) "
                               "AND c.contractor = ?", [*camera_ids(spans).args, actor.contractor_id])
            spans = defaultdict(list, {r["id"]: spans[r["id"]] for r in mine})
        cov = await coverage(fetch, camera_ids(spans), w) if spans else None
        labels = await fetch(f"SELECT c.id AS id, c.gb_id AS gb_id, c.name AS name FROM camera c WHERE "
                             f"{camera_ids(spans).where}", list(camera_ids(spans).args)) if spans else []
    cameras = []
    for cam, ranges in spans.items():
        counted = subtract(intersect(union(ranges, w.start, w.end), cov.service.get(cam, [])), cov.held.get(cam, []))
        if length(counted) > 0:
            cameras.append((cam, length(counted)))
    names = {r["id"]: r for r in labels}
    cameras.sort(key=lambda item: (-item[1], item[0]))
    return {
        "device": {k: device[k] for k in ("id", "name", "kind", "gb_id", "region_code")},
        "period": {"start": iso(start, tz), "end": iso(end, tz), "counted_until": iso(w.end, tz)},
        **_own(own, held, w.start, w.end),
        "cameras_down": {
            "cameras": len(cameras), "seconds": sum(v for _, v in cameras),
            "items": [{"camera_id": cam, "gb_id": names.get(cam, {}).get("gb_id"),
                       "name": names.get(cam, {}).get("name"), "seconds": v} for cam, v in cameras[:MAX_CAMERAS]],
        },
    }
