"""Build a month's report from the data as it is: every section, deterministic (no clock reading inside).

The figures depend only on the stored data and the month: every service is asked "as of the
month's end" (now = end), so generating again from the same data gives the same content, byte
for byte once encoded (versions.canonical).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from assetsvc.actor import Actor
from assetsvc.errors import Forbidden, ValidationFailed, field_error
from assetsvc.monitoring.probed import probed_cameras
from assetsvc.monitoring.uptime_input import iso
from assetsvc.registry import crud
from assetsvc.registry.entities import CONTRACT, COVERAGE_PLAN, SITE
from assetsvc.registry.exporter import camera_rows
from assetsvc.reports import (contractors_section, league, registry_section, rules, scopes, tickets_section,
                              uptime_section, worst_section)
from assetsvc.reports.mandatory import config as report_config
from assetsvc.runtime import settings
from assetsvc.tickets.contracts import contracts_cameras, month_bounds
from assetsvc.tickets.month import month_tickets

SCHEMA_ID = "https://assetsvc.invalid/schemas/monthly-report-1.json"
SECTIONS = ("registry", "uptime", "tickets", "contractors", "league", "worst_cameras")


def previous_month(month: str) -> str:
    year, mon = (int(p) for p in month.split("-"))
    return f"{year - 1}-12" if mon == 1 else f"{year}-{mon - 1:02d}"


def check_month(month: Any, now: float) -> tuple[str, float, float]:
    """A month that has ended (YYYY-MM, office time zone) -> (month, start, end); else a clear 400."""
    text = str(month or "").strip()
    if len(text) != 7 or text[4] != "-":
        raise ValidationFailed(f"month {text!r} must look like 2026-11", [field_error("month", "invalid", "YYYY-MM")])
    start, end = month_bounds(text)
    if end > now:
        raise ValidationFailed(f"month {text} has not ended yet: a report covers a past month only",
                               [field_error("month", "future", "a month that has ended")])
    return text, start, end


def _last_day(month: str) -> str:
    year, mon = (int(p) for p in month.split("-"))
    return (dt.date(year + mon // 12, mon % 12 + 1, 1) - dt.timedelta(days=1)).isoformat()


async def _every(actor: Actor, entity: Any) -> list[dict[str, Any]]:
    """Every record of a registry kind, through the registry's own list."""
    found, page = [], 1
    while True:
        batch = await crud.list_records(entity, actor, {}, sort="id", page=page, per_page=crud.MAX_PAGE)
        found += batch["items"]
        if len(found) >= batch["total"] or not batch["items"]:
            return found
        page += 1


async def _contracts(actor: Actor, month: str) -> list[dict[str, Any]]:
    """The contracts in force on any day of the month."""
    found = await _every(actor, CONTRACT)
    first, last = f"{month}-01", _last_day(month)
    return [c for c in found if str(c["starts_on"])[:10] <= last and str(c["ends_on"])[:10] >= first]


def _quiet(message: str) -> None:
    return None


async def build(actor: Actor, month: str, now: float,
                progress: Callable[[str], None] = _quiet) -> dict[str, Any]:
    """The report's content for a month that has ended; `progress` hears each step (the CLI prints it)."""
    if actor.role != "admin":
        raise Forbidden("only the video office generates reports")
    month, start, end = check_month(month, now)
    before = month_bounds(previous_month(month))
    config = await report_config()
    progress("reading the registry")
    cameras = await camera_rows(actor, {}, None)
    contracts = await _contracts(actor, month)
    members = await contracts_cameras([c["id"] for c in contracts], end - 1e-3)
    every = scopes.build(cameras, contracts, members)
    tickets = await month_tickets(start, end)
    progress(f"{len(cameras):,} cameras, {len(every)} scopes, {len(tickets):,} tickets")
    tz = dt.timezone(dt.datetime.fromtimestamp(start, settings().zone).utcoffset())
    content: dict[str, Any] = {
        "$schema": SCHEMA_ID,
        "month": month,
        "period": {"start": iso(start, tz), "end": iso(end, tz)},
        "scopes": [s.head() | {"cameras": len(s.cameras)} for s in every],
    }
    progress("registry and coverage")
    content["registry"] = registry_section.section(cameras, every, config, _last_day(month),
                                                   await _every(actor, SITE), await _every(actor, COVERAGE_PLAN))
    progress("uptime (every scope, and the month before)")
    content["uptime"] = await uptime_section.section(every, await probed_cameras(), (start, end), before)
    progress("tickets")
    content["tickets"] = tickets_section.section(tickets, every, start, end, config.long_standing_days)
    progress("contract scores")
    content["contractors"] = await contractors_section.section(actor, contracts, month, end)
    progress("worst cameras")
    content["worst_cameras"] = await worst_section.section(actor, config.worst_cameras, tickets, start, end)
    content["league"] = league.rank(await rules.in_force(), content)
    return content
