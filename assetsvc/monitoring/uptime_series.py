"""Daily uptime figures over a range (每日在线率/完好率) in one read: the dashboard's 30-day chart.

The chart used to ask /uptime once per day. A day's figures here are the ones /uptime gives for
that day ([midnight, next midnight) at the offset): the uptime service's own coverage, sums and
totals (uptime.py, uptime_coverage.py, uptime_queries.py), read once for all the days; never a
second downtime computation. tests/integration/test_uptime_daily.py holds the two equal.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from assetsvc.actor import Actor
from assetsvc.monitoring import uptime_queries as queries
from assetsvc.monitoring import uptime_rollup
from assetsvc.monitoring.uptime import _totals, counted_window
from assetsvc.monitoring.uptime_coverage import Coverage, coverage
from assetsvc.monitoring.uptime_forget import closed
from assetsvc.monitoring.uptime_input import DEFAULT_STEP_S, bad, iso, office_offset, parse_offset
from assetsvc.monitoring.uptime_math import STATES, Totals
from assetsvc.monitoring.uptime_read import fetch_all
from assetsvc.monitoring.uptime_scope import OWNER_CLASSES, CameraSet, resolve

MAX_DAYS = 92  # a quarter; the chart shows 30


@dataclass(frozen=True)
class SeriesDay:
    """One day's figures: cameras with service time that day, 在线率, 完好率, the share without data."""

    day: str
    start: str
    end: str
    cameras: int
    online_rate: float | None
    working_rate: float | None
    unknown_share: float | None


@dataclass(frozen=True)
class SeriesWhole:
    """The figures of all the days together: their seconds added up (time-weighted, as /uptime's for the
    whole range), so a card over the range needs no second read."""

    online_rate: float | None
    working_rate: float | None
    unknown_share: float | None


@dataclass(frozen=True)
class UptimeSeries:
    """Daily figures of a scope, oldest day first, and of the days together."""

    scope: str
    ref: str | None
    days: list[SeriesDay]
    whole: SeriesWhole


def added(found: list[Totals]) -> Totals:
    """Day totals added up, state by state, oldest day first."""
    out = Totals()
    for t in found:
        for s in STATES:
            out.state[s] += t.state[s]
            out.maintenance[s] += t.maintenance[s]
        out.upstream += t.upstream
        out.upstream_maintenance += t.upstream_maintenance
    return out


def _day(text: str | None, field: str) -> dt.date:
    if text is None or not str(text).strip():
        raise bad(field, "is required (a date such as 2026-11-01)")
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise bad(field, f"{text!r} is not a date such as 2026-11-01") from None


def day_bounds(start: str | None, end: str | None, tz: str | None) -> tuple[list[tuple[dt.date, float, float]],
                                                                               dt.timezone]:
    """The days [start, end) as (date, midnight, next midnight) at the offset `tz` (default: the office's)."""
    offset = parse_offset(tz)
    first, last = _day(start, "start"), _day(end, "end")
    if last <= first:
        raise bad("end", f"must be after start ({start} .. {end})")
    if last >= dt.date.max:  # the last day's next midnight must exist
        raise bad("end", f"{end!r} is too late")
    if (last - first).days > MAX_DAYS:
        raise bad("end", f"at most {MAX_DAYS} days at once")

    def midnight(d: dt.date) -> float:
        return dt.datetime(d.year, d.month, d.day, tzinfo=offset).timestamp()

    days = [first + dt.timedelta(days=i) for i in range((last - first).days)]
    return [(d, midnight(d), midnight(d + dt.timedelta(days=1))) for d in days], offset


async def daily(actor: Actor, scope: str | None, ref: str | None, start: str | None, end: str | None,
                tz: str | None = None, now: float | None = None) -> UptimeSeries:
    """Each day's figures of the cameras in scope this actor may see (what /uptime answers for that day)."""
    days, offset = day_bounds(start, end, tz)
    cameras = await resolve(actor, scope, ref)
    found = await totals_by_day(cameras, [(a, b) for _, a, b in days], time.time() if now is None else now)
    out = []
    for (day, a, b), (count, totals) in zip(days, found):
        figures = totals.figures()
        out.append(SeriesDay(day.isoformat(), iso(a, offset) or "", iso(b, offset) or "", count,
                             figures["online_rate"], figures["working_rate"], figures["unknown_share"]))
    whole = added([t for _, t in found]).figures()
    return UptimeSeries(cameras.scope, cameras.ref, out,
                        SeriesWhole(whole["online_rate"], whole["working_rate"], whole["unknown_share"]))


async def totals_by_day(cameras: CameraSet, days: list[tuple[float, float]], now: float) -> list[tuple[int, Totals]]:
    """Per day [a, b): the cameras counted and the Totals uptime.compute gives for that day alone.

    Closed days come from the daily rollup (uptime_rollup.py: stored per camera, filled where
    missing); today and the days not yet closed are computed here as below (live_by_day).
    """
    shut = [i for i, (_, b) in enumerate(days) if closed(b, now)]
    open_ = [i for i in range(len(days)) if i not in set(shut)]
    out: dict[int, tuple[int, Totals]] = {}
    out.update(zip(shut, await uptime_rollup.day_totals(cameras, [days[i] for i in shut], now)))
    out.update(zip(open_, await live_by_day(cameras, [days[i] for i in open_], now)))
    return [out[i] for i in range(len(days))]


async def live_by_day(cameras: CameraSet, days: list[tuple[float, float]], now: float) -> list[tuple[int, Totals]]:
    """Per day [a, b): the cameras counted and the Totals uptime.compute gives for that day alone.

    uptime.compute reads the coverage and sums the intervals of one period. Here the coverage is read
    once for all the days and clipped to each (coverage.clipped: the same ranges); the sums run once
    over ranges that carry their day, grouped by camera and day, so every interval adds the same clipped
    durations as in the day's own query; uptime._totals then adds them up as for one day. The sampled
    rates are not part of the series (their grid is what costs in compute).
    """
    if not days:
        return []
    whole = counted_window(days[0][0], days[-1][1], DEFAULT_STEP_S, now)
    async with fetch_all() as fetch:
        cov = await coverage(fetch, cameras, whole) if whole.end > whole.start else Coverage({}, {})
        parts = [cov.clipped(a, min(b, whole.end)) for a, b in days]
        service = [(cam, d, a, b) for d, p in enumerate(parts) for cam, spans in p.service.items() for a, b in spans]
        held = [(cam, d, a, b) for d, p in enumerate(parts) for cam, spans in p.held.items() for a, b in spans]
        sums = await fetch(*queries.sums_by_day(service)) if service else []
        causes = await fetch(*queries.causes_by_day(held)) if held else []
    per: dict[int, list[dict[str, Any]]] = {}
    for row in sums:
        per.setdefault(int(row["d"]), []).append(row)
    by_day: dict[int, list[dict[str, Any]]] = {}
    for row in causes:
        by_day.setdefault(int(row["d"]), []).append(row)
    return [(p.cameras, _totals(per.get(d, []), by_day.get(d, []), p)) for d, p in enumerate(parts)]


ROLLUP_ACTOR = Actor(user_id=0, username="system:uptime-rollup", role="admin", contractor_id=None)
ROLL_UP_DAYS = 31  # the nightly job fills the dashboard's 30 days (and any it missed) for every camera


async def roll_up(now: float, keep_days: int, back: int = ROLL_UP_DAYS) -> str:
    """The nightly job: roll up the closed days among the last `back` at the office's offset for every
    camera (the rows the dashboard's first load reads), then prune days older than `keep_days`."""
    today = dt.datetime.fromtimestamp(now, office_offset()).date()
    days, _ = day_bounds((today - dt.timedelta(days=back)).isoformat(), today.isoformat(), None)
    shut = [(a, b) for _, a, b in days if closed(b, now)]
    # Every camera, then the dashboard's other sets (its owner-class cards): their days are added up here.
    for scope, ref in (("all", None), *(("owner_class", c) for c in OWNER_CLASSES)):
        await uptime_rollup.day_totals(await resolve(ROLLUP_ACTOR, scope, ref), shut, now)
    pruned = await uptime_rollup.prune(now, keep_days)
    return f"{len(shut)} days rolled up, {pruned} old rows pruned"
