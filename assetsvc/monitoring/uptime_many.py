"""The uptime figures of many scopes over one period: each camera's sums read once, then added up per scope.

A report asks for the same month over 40+ scopes (city, districts, stations, owner classes,
contractors, contracts) and over the clock- and picture-checked part of each. Calling
uptime.compute once per scope reads every camera's intervals once per scope it belongs to
(six times or more for 100,000 cameras). Here the same queries as uptime.compute run once
over the whole camera set, grouped by camera as well; `PerCamera.figures(ids)` then adds up
the rows of any subset with uptime.py's own arithmetic (_totals, _causes, running_counts,
sampled_rate), so a scope's figures are the ones uptime.compute gives for it (up to the order
of float additions). tests/integration/test_uptime_many.py checks that on a random small world.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import chain
from typing import Any, Iterable

from assetsvc.monitoring import uptime_queries as queries
from assetsvc.monitoring import uptime_sql as q
from assetsvc.monitoring.uptime import (
    Events, Uptime, _causes, _covering, _holey, _spans, _split, _totals, counted_window,
)
from assetsvc.monitoring.uptime_coverage import Coverage, coverage
from assetsvc.monitoring.uptime_hours import SampleHours, hour_grid, office_hours
from assetsvc.monitoring.uptime_input import office_offset
from assetsvc.monitoring.uptime_math import KNOWN, instant_count, running_counts, sampled_rate
from assetsvc.monitoring.uptime_read import Fetch, fetch_all
from assetsvc.monitoring.uptime_scope import CameraSet

Rows = dict[int, list[dict[str, Any]]]


def _by_camera(rows: Iterable[dict[str, Any]]) -> Rows:
    out: Rows = {}
    for row in rows:
        out.setdefault(row["cam"], []).append(row)
    return out


@dataclass
class PerCamera:
    """Each camera's parts of the uptime figures over one period (what uptime.compute sums over a scope)."""

    start: float
    end: float
    counted_until: float
    step: float
    hours: SampleHours
    chosen: tuple[int, ...]
    instants: int
    hour_instants: int
    cov: Coverage
    sums: dict[int, dict[str, Any]]
    held: Rows
    not_up: Rows | None  # None: causes were not asked for
    step_events: dict[int, Events]
    hour_events: dict[int, Events]

    def figures(self, ids: Iterable[int], scope: str = "cameras", ref: str | None = None,
                causes: bool = False) -> Uptime:
        """The figures uptime.compute gives for the cameras `ids` (those outside the set read count as none)."""
        if causes and self.not_up is None:
            raise ValueError("the per-camera figures were read without causes")
        chosen = sorted({int(i) for i in ids} & self.cov.service.keys())
        cov = Coverage({c: self.cov.service[c] for c in chosen},
                       {c: self.cov.held[c] for c in chosen if c in self.cov.held})
        per = [self.sums[c] for c in chosen if c in self.sums]
        held = [row for c in chosen for row in self.held.get(c, ())]
        totals = _totals(per, held, cov)
        found: tuple[Any, Any] = (None, None)
        if causes:
            not_up = [row for c in chosen for row in (self.not_up or {}).get(c, ())]
            found = _causes(not_up, held, totals)
        by_step = running_counts(chain.from_iterable(self.step_events.get(c, ()) for c in chosen), self.instants)
        by_hour = running_counts(chain.from_iterable(self.hour_events.get(c, ()) for c in chosen),
                                 self.hour_instants)
        return Uptime(scope, ref, cov.cameras, self.start, self.end, self.counted_until, totals,
                      {"step": self.step, **sampled_rate(by_step, self.instants)},
                      {"hours": self.hours.labels, **sampled_rate(by_hour, len(self.chosen), self.chosen)}, *found)


async def per_camera(cameras: CameraSet, start: float, end: float, *, step: float = 3600.0,
                     causes: bool = False, now: float | None = None, hours: SampleHours | None = None,
                     tz: dt.timezone | None = None) -> PerCamera:
    """Each camera's sums, maintenance and cause rows and sample-instant events over the period, in one read.

    The arguments mean what they mean for uptime.compute; the queries are its own, grouped by camera too.
    """
    w = counted_window(start, end, step, now)
    hours = hours or office_hours()
    grid = hour_grid(hours, w.start, w.end, tz or office_offset())
    instants = instant_count(w.start, w.end, w.step)
    hour_instants = instant_count(grid.window.start, grid.window.end, grid.window.step)
    async with fetch_all() as fetch:
        cov = await coverage(fetch, cameras, w) if w.end > w.start else Coverage({}, {})
        per = await fetch(*queries.sums(cov.service)) if cov.service else []
        holey = _holey(per, cov)
        held = await fetch(*queries.causes_in_ranges(cov.held, by_camera=True)) if cov.held else []
        not_up = (await fetch(*queries.causes_in_ranges(cov.service, not_up=True, by_camera=True))
                  if causes and cov.service else [])
        step_events, hour_events = await _events(fetch, cov, holey, ((w, instants), (grid.window, hour_instants)))
    return PerCamera(start, end, w.end, w.step, hours, grid.chosen, instants, hour_instants, cov,
                     {r["id"]: r for r in per}, _by_camera(held), _by_camera(not_up) if causes else None,
                     step_events, hour_events)


async def _events(fetch: Fetch, cov: Coverage, holey: set[int],
                  grids: tuple[tuple[q.Window, int], ...]) -> list[dict[int, Events]]:
    """Per grid and camera, the events uptime._counts adds up for a scope (its queries grouped by camera,
    every grid's instants read in the same pass over the intervals)."""
    out: list[dict[int, Events]] = [{} for _ in grids]
    live = [i for i, (_, instants) in enumerate(grids) if instants]
    if not live or not cov.service:
        return out
    windows = tuple(grids[i][0] for i in live)

    def add(rows: list[dict[str, Any]], sign: int, unknown_from_known: bool = False) -> None:
        """Each row's events on each live grid, one row at a time (no second copy of 100,000 cameras' rows)."""
        for r in rows:
            for j, i in enumerate(live):
                if r[f"k1_{j}"] < r[f"k2_{j}"]:
                    one = {"state": r["state"], "k1": r[f"k1_{j}"], "k2": r[f"k2_{j}"], "n": r["n"]}
                    out[i].setdefault(r["cam"], []).extend(_covering([one], sign, unknown_from_known))

    for ranges, sign in ((cov.service, 1), (cov.held, -1)):
        if not ranges:
            continue
        whole, gaps = _split(ranges, holey)
        for i in live:
            w = grids[i][0]
            for cam, spans in ranges.items():
                out[i].setdefault(cam, []).extend(_spans({cam: spans}, w, ("in_service",), sign))
        if whole:
            add(await fetch(*queries.covering_on_grids(whole, windows, ("down", "unknown"))), sign)
        if gaps:
            for i in live:
                w = grids[i][0]
                for cam, spans in gaps.items():
                    out[i].setdefault(cam, []).extend(_spans({cam: spans}, w, ("unknown",), sign))
            add(await fetch(*queries.covering_on_grids(gaps, windows, KNOWN)), sign, True)
    return out
