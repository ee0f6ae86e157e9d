"""Uptime as the API and the CLI ask for it: text inputs (periods, offsets, steps) in, JSON-ready dicts out."""

from __future__ import annotations

from typing import Any

from assetsvc.actor import Actor
from assetsvc.monitoring import uptime, uptime_cameras, uptime_upstream
from assetsvc.monitoring.uptime_hours import parse_hours
from assetsvc.monitoring.uptime_input import check_step, iso, parse_period


async def summary(actor: Actor, *, scope: str | None, ref: str | None, start: str | None, end: str | None,
                  step: float | None = None, tz: str | None = None, causes: bool = False,
                  hours: str | None = None) -> dict[str, Any]:
    """The figures of a scope over [start, end), instants rendered at the offset `tz` (default: the office's);
    `hours` the times of day of the fixed-hour sampling ("02:00,08:00,...", default ASSETSVC_SAMPLE_HOURS)."""
    period = parse_period(start, end, tz)
    result = await uptime.uptime(actor, scope, ref, period.start, period.end, step=check_step(step, period),
                                 causes=causes, hours=parse_hours(hours), tz=period.tz)
    return result.as_dict(period.tz)


async def cameras(actor: Actor, *, scope: str | None, ref: str | None, start: str | None, end: str | None,
                  tz: str | None = None, sort: str = "online_rate", page: int = 1,
                  per_page: int = 50) -> dict[str, Any]:
    """A page of per-camera figures, worst first."""
    period = parse_period(start, end, tz)
    found = await uptime_cameras.camera_rows(actor, scope, ref, period.start, period.end, sort=sort,
                                             page=page, per_page=per_page)
    found["period"] = {"start": iso(period.start, period.tz), "end": iso(period.end, period.tz),
                       "counted_until": iso(found.pop("counted_until"), period.tz)}
    return found


async def upstream(actor: Actor, device_id: int, *, start: str | None, end: str | None,
                   tz: str | None = None) -> dict[str, Any]:
    """An upstream device's own time per state and the cameras it took down, over [start, end)."""
    period = parse_period(start, end, tz)
    return await uptime_upstream.upstream_uptime(actor, device_id, period.start, period.end, tz=period.tz)
