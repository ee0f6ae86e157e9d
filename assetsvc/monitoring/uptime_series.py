"""Daily uptime figures over a range (每日在线率/完好率): one uptime.compute per day, the scope resolved once.

The dashboard's 30-day chart used to ask /uptime once per day. A day's figures here are the ones
/uptime gives for that day ([midnight, next midnight) at the offset, the default step and sample
hours): the same function with the same arguments, never a second downtime computation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from assetsvc.actor import Actor
from assetsvc.monitoring import uptime
from assetsvc.monitoring.uptime_scope import resolve
from assetsvc.monitoring.uptime_hours import office_hours
from assetsvc.monitoring.uptime_input import DEFAULT_STEP_S, bad, iso, parse_offset

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
class UptimeSeries:
    """Daily figures of a scope, oldest day first."""

    scope: str
    ref: str | None
    days: list[SeriesDay]


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
    hours = office_hours()
    out = []
    for day, a, b in days:
        found = await uptime.compute(cameras, a, b, step=DEFAULT_STEP_S, now=now, hours=hours, tz=offset)
        figures = found.figures()
        out.append(SeriesDay(day.isoformat(), iso(a, offset) or "", iso(b, offset) or "", found.cameras,
                             figures["online_rate"], figures["working_rate"], figures["unknown_share"]))
    return UptimeSeries(cameras.scope, cameras.ref, out)
