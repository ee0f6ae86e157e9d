"""Uptime of a scope over a period (在线率, 完好率): time per state inside service periods, minus maintenance.

Each camera counts only inside its service periods (the registry's records, read through
uptime_coverage); inside them, its intervals give the known states and the rest is `unknown`.
The sums run in SQL over the intervals clipped to those ranges; the maintenance subtraction is
the same sums over each camera's windows inside its service, so overlapping windows count
once. docs/metrics.md defines every figure; uptime_queries.py says which query computes what.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from assetsvc.actor import Actor
from assetsvc.monitoring import uptime_queries as queries
from assetsvc.monitoring import uptime_sql as q
from assetsvc.monitoring.uptime_coverage import Coverage, Ranges, coverage
from assetsvc.monitoring.uptime_hours import SampleHours, hour_grid, office_hours
from assetsvc.monitoring.uptime_input import iso, office_offset
from assetsvc.monitoring.uptime_math import (
    KNOWN, STATES, Totals, instant_count, instant_index, length, running_counts, sampled_rate,
)
from assetsvc.monitoring.uptime_read import Fetch, fetch_all
from assetsvc.monitoring.uptime_scope import CameraSet, resolve

# Below this a cause's remaining time is float noise from subtracting its maintenance time.
EPSILON_S = 1e-6
Events = list[tuple[str, int, int]]


@dataclass
class Uptime:
    """The figures of one scope and period (seconds are floats; rates None when undefined)."""

    scope: str
    ref: str | None
    cameras: int  # cameras with any in-service time in the period
    start: float
    end: float
    counted_until: float
    totals: Totals
    sampled: dict[str, Any]
    sampled_hours: dict[str, Any]
    causes: dict[str, dict[str, float]] | None = None  # state -> cause -> seconds (when asked)
    down_by_root: dict[int, float] | None = None  # dead upstream device -> camera-seconds (when asked)

    def figures(self) -> dict[str, float | None]:
        return self.totals.figures()

    def as_dict(self, tz: dt.timezone = dt.timezone.utc, top_roots: int = 20) -> dict[str, Any]:
        """The figures as the API and the CLI's --json print them."""
        t = self.totals
        body: dict[str, Any] = {
            "scope": {"type": self.scope, "ref": self.ref},
            "period": {"start": iso(self.start, tz), "end": iso(self.end, tz),
                       "counted_until": iso(self.counted_until, tz)},
            "cameras": self.cameras,
            **self.figures(),
            "seconds": {"in_service": t.in_service, "maintenance": t.maintenance_total, "observed": t.observed,
                        **{s: t.counted(s) for s in STATES}},
            "down": {"own": t.down_own, "upstream": t.down_upstream},
            "sampled": self.sampled,
            "sampled_hours": self.sampled_hours,
        }
        if self.causes is not None:
            body["causes"] = self.causes
            roots = sorted((self.down_by_root or {}).items(), key=lambda item: (-item[1], item[0]))
            body["down"]["by_root_upstream"] = [{"upstream_id": r, "seconds": v} for r, v in roots[:top_roots]]
        return body


def counted_window(start: float, end: float, step: float, now: float | None) -> q.Window:
    """The part of the period that has happened: time after now is not counted."""
    at = time.time() if now is None else now
    return q.Window(start, max(start, min(end, at)), step)


async def uptime(actor: Actor, scope: str | None, ref: str | None, start: float, end: float, *,
                 step: float = 3600.0, causes: bool = False, now: float | None = None,
                 hours: SampleHours | None = None, tz: dt.timezone | None = None) -> Uptime:
    """The uptime figures of the cameras in scope that this actor may see."""
    cameras = await resolve(actor, scope, ref)
    return await compute(cameras, start, end, step=step, causes=causes, now=now, hours=hours, tz=tz)


async def compute(cameras: CameraSet, start: float, end: float, *, step: float = 3600.0,
                  causes: bool = False, now: float | None = None, hours: SampleHours | None = None,
                  tz: dt.timezone | None = None) -> Uptime:
    """The figures of a camera set (no authorisation: callers resolve the set for their actor).

    `hours` are the times of day of the fixed-hour sampling (default: the office's), read at the
    offset `tz` (default: the office's). `causes` adds the non-up time by cause and the down
    time by root upstream device: one more pass over the scope's intervals.
    """
    w = counted_window(start, end, step, now)
    hours = hours or office_hours()
    grid = hour_grid(hours, w.start, w.end, tz or office_offset())
    instants = instant_count(w.start, w.end, w.step)
    async with fetch_all() as fetch:
        cov = await coverage(fetch, cameras, w) if w.end > w.start else Coverage({}, {})
        per = await fetch(*queries.sums(cov.service)) if cov.service else []
        holey = _holey(per, cov)
        held = await fetch(*queries.causes_in_ranges(cov.held)) if cov.held else []
        not_up = await fetch(*queries.causes_in_ranges(cov.service, not_up=True)) if causes and cov.service else []
        by_step = await _counts(fetch, cov, holey, w, instants)
        by_hour = await _counts(fetch, cov, holey, grid.window,
                                instant_count(grid.window.start, grid.window.end, grid.window.step))
    totals = _totals(per, held, cov)
    found = _causes(not_up, held, totals) if causes else (None, None)
    return Uptime(cameras.scope, cameras.ref, cov.cameras, start, end, w.end, totals,
                  {"step": w.step, **sampled_rate(by_step, instants)},
                  {"hours": hours.labels, **sampled_rate(by_hour, len(grid.chosen), grid.chosen)}, *found)


# A stretch shorter than this between a camera's intervals is float noise in the sums, not a gap
# without data (the state writer opens the next interval where it closes the last).
GAP_S = 0.001


def _holey(per: list[dict[str, Any]], cov: Coverage) -> set[int]:
    """Cameras whose intervals leave part of their service ranges uncovered (no data there)."""
    covered = {r["id"]: sum(float(r[s] or 0.0) for s in STATES) for r in per}
    return {cam for cam, ranges in cov.service.items() if length(ranges) - covered.get(cam, 0.0) > GAP_S}


def _split(ranges: Ranges, holey: set[int]) -> tuple[Ranges, Ranges]:
    whole = {cam: r for cam, r in ranges.items() if cam not in holey}
    return whole, {cam: r for cam, r in ranges.items() if cam in holey}


def _spans(ranges: Ranges, w: q.Window, series: tuple[str, ...], sign: int) -> Events:
    """+1 at the first instant each range covers, -1 at the first it no longer does, into each series."""
    out: Events = []
    for spans in ranges.values():
        for a, b in spans:
            k1, k2 = instant_index(a, w.start, w.step), instant_index(b, w.start, w.step)
            if k1 < k2:
                out += [e for name in series for e in ((name, k1, sign), (name, k2, -sign))]
    return out


def _covering(rows: list[dict], sign: int, unknown_from_known: bool = False) -> Events:
    """Events of intervals covering instants: down ones count as down; unknown ones as unknown, or,
    read for holey cameras (`unknown_from_known`), each known one is one fewer unknown."""
    out: Events = []
    for r in rows:
        n = sign * r["n"]
        if r["state"] == "down":
            out += [("down", r["k1"], n), ("down", r["k2"], -n)]
        if unknown_from_known:
            out += [("unknown", r["k1"], -n), ("unknown", r["k2"], n)]
        elif r["state"] == "unknown":
            out += [("unknown", r["k1"], n), ("unknown", r["k2"], -n)]
    return out


async def _counts(fetch: Fetch, cov: Coverage, holey: set[int], w: q.Window,
                  instants: int) -> dict[str, list[int]]:
    """Cameras in service, down and unknown at each instant of the grid, maintenance removed.

    In service: inside a service range. Unknown: in an unknown interval or, for a holey camera,
    covered by no known interval. In a maintenance range: out of every count.
    """
    if not instants or not cov.service:
        return running_counts([], instants)
    events: Events = []
    for ranges, sign in ((cov.service, 1), (cov.held, -1)):
        if not ranges:
            continue
        whole, gaps = _split(ranges, holey)
        events += _spans(ranges, w, ("in_service",), sign)
        if whole:
            events += _covering(await fetch(*queries.covering_in_ranges(whole, w, ("down", "unknown"))), sign)
        if gaps:
            events += _spans(gaps, w, ("unknown",), sign)
            events += _covering(await fetch(*queries.covering_in_ranges(gaps, w, KNOWN)), sign, True)
    return running_counts(events, instants)


def _totals(per: list[dict[str, Any]], held: list[dict], cov: Coverage) -> Totals:
    """Per-state seconds of the scope, and of them the seconds in maintenance.

    Unknown is what the known states leave of the service ranges (and of the maintenance ranges):
    an interval in state unknown and a stretch with no interval at all are both "no data".
    """
    # Rows in one fixed order (camera; state, cause, root), whatever order the engine returned them
    # in: float sums then come out the same bits from every path that adds them (uptime_series).
    per = sorted(per, key=lambda r: r["id"])
    held = sorted(held, key=lambda r: (r["state"], r["cause"] or "", r["root"] is not None, r["root"] or 0))
    known = {state: sum(float(r[state] or 0.0) for r in per) for state in KNOWN}
    held_known = dict.fromkeys(KNOWN, 0.0)
    held_upstream = 0.0
    for row in held:
        if row["state"] in KNOWN:
            held_known[row["state"]] += float(row["v"])
            if row["state"] == "down" and row["cause"] == "upstream":
                held_upstream += float(row["v"])
    return totals_of(known, sum(float(r["down_upstream"] or 0.0) for r in per), cov.in_service(),
                     held_known, held_upstream, cov.in_maintenance())


def totals_of(known: dict[str, float], upstream: float, in_service: float, held_known: dict[str, float],
              held_upstream: float, in_maintenance: float) -> Totals:
    """The Totals of summed seconds: known states' time, down for an upstream device, the service ranges'
    length, and the same three inside maintenance (the daily rollup adds stored camera-days into these)."""
    totals = Totals(upstream=upstream, upstream_maintenance=held_upstream)
    for state in KNOWN:
        totals.state[state] = known[state]
        totals.maintenance[state] = held_known[state]
    totals.state["unknown"] = max(0.0, in_service - sum(totals.state[s] for s in KNOWN))
    totals.maintenance["unknown"] = max(0.0, in_maintenance - sum(totals.maintenance[s] for s in KNOWN))
    return totals


# The cause of unknown time that no interval covers inside a service period.
NO_DATA = "no_data"


def _causes(not_up: list[dict], held: list[dict], totals: Totals) -> tuple[dict, dict]:
    """Non-up seconds by state and cause, and down seconds by root upstream device, maintenance removed.

    Unknown time without any interval is given the cause `no_data`.
    """
    causes: dict[str, dict[str, float]] = {}
    roots: dict[int, float] = {}
    for rows, sign in ((not_up, 1.0), (held, -1.0)):
        for row in rows:
            state = row["state"]
            if state == "up" or state not in STATES:
                continue
            seconds = sign * float(row["v"])
            by_state = causes.setdefault(state, {})
            by_state[row["cause"]] = by_state.get(row["cause"], 0.0) + seconds
            if state == "down" and row["root"] is not None:
                roots[row["root"]] = roots.get(row["root"], 0.0) + seconds
    unknown = causes.setdefault("unknown", {})
    no_data = totals.counted("unknown") - sum(unknown.values())
    unknown[NO_DATA] = unknown.get(NO_DATA, 0.0) + no_data
    causes = {s: {c: v for c, v in found.items() if v > EPSILON_S} for s, found in causes.items()}
    return {s: found for s, found in causes.items() if found}, {r: v for r, v in roots.items() if v > EPSILON_S}
