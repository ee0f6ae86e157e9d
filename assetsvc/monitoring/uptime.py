"""Uptime of a scope over a period (在线率, 完好率): time per state from state intervals, minus maintenance.

The sums run in SQL over the intervals of the scope's cameras, each clipped to the period. The
exact maintenance subtraction joins the same intervals against each covered camera's union of
windows (maintenance.ranges_for), so overlapping windows count once. docs/metrics.md defines
every figure; uptime_queries.py says which query computes what and why.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from assetsvc.actor import Actor
from assetsvc.monitoring import maintenance
from assetsvc.monitoring import uptime_queries as queries
from assetsvc.monitoring import uptime_sql as q
from assetsvc.monitoring.uptime_input import iso
from assetsvc.monitoring.uptime_math import STATES, Totals, instant_count, running_counts, sampled_rate
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
                 step: float = 3600.0, causes: bool = False, now: float | None = None) -> Uptime:
    """The uptime figures of the cameras in scope that this actor may see."""
    cameras = await resolve(actor, scope, ref)
    return await compute(cameras, start, end, step=step, causes=causes, now=now)


async def compute(cameras: CameraSet, start: float, end: float, *, step: float = 3600.0,
                  causes: bool = False, now: float | None = None) -> Uptime:
    """The figures of a camera set (no authorisation: callers resolve the set for their actor).

    `causes` adds the non-up time by cause and the down time by root upstream device: one more
    pass over the scope's intervals (a sort of every non-up interval on SQLite).
    """
    w = counted_window(start, end, step, now)
    instants = instant_count(w.start, w.end, w.step)
    if w.end <= w.start:  # the period has not begun: nothing to count
        return Uptime(cameras.scope, cameras.ref, 0, start, end, w.end, Totals(),
                      {"step": w.step, **sampled_rate(running_counts([], 0), 0)},
                      *(({}, {}) if causes else (None, None)))
    async with fetch_all() as fetch:
        ranges = await maintenance.ranges_for(cameras, w.start, w.end)
        rolled = await fetch(*queries.rollup(cameras, w))
        held = await fetch(*queries.causes_in_ranges(ranges)) if ranges else []
        not_up = await fetch(*queries.causes(cameras, w)) if causes else []
        events = await _instant_events(fetch, cameras, w, rolled, ranges) if instants else []
    total = next(r for r in rolled if r["kind"] == "total")
    totals = _totals(total, held)
    found = _causes(not_up, held) if causes else (None, None)
    counts = running_counts(events, instants)
    return Uptime(cameras.scope, cameras.ref, total["n"], start, end, w.end, totals,
                  {"step": w.step, **sampled_rate(counts, instants)}, *found)


def _covering(rows: list[dict], series: str | None = None, sign: int = 1) -> Events:
    """+n at the first instant a row's intervals cover, -n at the first they no longer do."""
    out: Events = []
    for r in rows:
        name = series or r["state"]
        out += [(name, r["k1"], sign * r["n"]), (name, r["k2"], -sign * r["n"])]
    return out


async def _instant_events(fetch: Fetch, cameras: CameraSet, w: q.Window, rolled: list[dict],
                          ranges: dict) -> Events:
    """(series, instant, +/-count) events of in-service, down and unknown cameras, maintenance removed."""
    events: Events = [("in_service", r["k"], r["n"]) for r in rolled if r["kind"] == "k"]
    events += _covering(await fetch(*queries.covering(cameras, w)))
    gaps = {r["k"]: [(w.start, w.end)] for r in rolled if r["kind"] == "gap"}
    if gaps:  # cameras out of service for a while: in-service events from their intervals
        events += _covering(await fetch(*queries.covering_in_ranges(gaps, w)), "in_service")
    if ranges:  # in maintenance: out of every count
        inside = await fetch(*queries.covering_in_ranges(ranges, w))
        events += _covering(inside, "in_service", -1) + _covering(inside, None, -1)
    return events


def _totals(total: dict[str, Any], held: list[dict]) -> Totals:
    """Per-state seconds of the scope, and of them the seconds in maintenance."""
    totals = Totals(upstream=float(total["down_upstream"] or 0.0))
    for state in STATES:
        totals.state[state] = float(total[state] or 0.0)
    for row in held:
        if row["state"] in totals.maintenance:
            totals.maintenance[row["state"]] += float(row["v"])
            if row["state"] == "down" and row["cause"] == "upstream":
                totals.upstream_maintenance += float(row["v"])
    return totals


def _causes(not_up: list[dict], held: list[dict]) -> tuple[dict, dict]:
    """Non-up seconds by state and cause, and down seconds by root upstream device, maintenance removed."""
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
    causes = {s: {c: v for c, v in found.items() if v > EPSILON_S} for s, found in causes.items()}
    return causes, {r: v for r, v in roots.items() if v > EPSILON_S}
