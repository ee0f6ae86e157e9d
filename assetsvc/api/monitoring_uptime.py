"""Uptime and maintenance-window endpoints: figures of a scope, per-camera drill-down, planned work."""

# No `from __future__ import annotations`: litestar reads these signatures at runtime.
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, delete, get, post
from litestar.params import FromQuery

from assetsvc.api.auth import actor_of
from assetsvc.api.query import Id, Limit, Page, PerPage, choice, only
from assetsvc.monitoring import maintenance, uptime_series, uptime_views
from assetsvc.monitoring.uptime_series import UptimeSeries

TAGS = ["uptime"]
# Litestar reserves the handler argument name `scope` (the ASGI scope), so the query
# parameter `scope` arrives as `scope_`.
Scope = Annotated[str, choice("scope", ["all", "camera", "site", "station", "region", "owner_class", "contractor"])]
WindowScope = Annotated[str | None, choice("scope", ["", "camera", "site", "region", "upstream"])]  # empty: any


@get("/uptime", tags=TAGS, summary="Uptime of a scope over a period: 在线率, 完好率, time per state")
async def uptime_summary(
    request: Request, start: FromQuery[str | None] = None, end: FromQuery[str | None] = None,
    scope_: Scope = "all", ref: FromQuery[str | None] = None, step: FromQuery[float | None] = None,
    tz: FromQuery[str | None] = None, causes: FromQuery[bool] = False, hours: FromQuery[str | None] = None,
) -> dict[str, Any]:
    only(request, "start", "end", "scope", "ref", "step", "tz", "causes", "hours")
    return await uptime_views.summary(actor_of(request), scope=scope_, ref=ref, start=start, end=end,
                                      step=step, tz=tz, causes=causes, hours=hours)


@get("/uptime/daily", tags=TAGS,
     summary="Each day's 在线率 and 完好率 of a scope over [start, end) (dates; at most 92 days), as /uptime per day")
async def uptime_daily(
    request: Request, start: FromQuery[str | None] = None, end: FromQuery[str | None] = None, scope_: Scope = "all",
    ref: FromQuery[str | None] = None, tz: FromQuery[str | None] = None,
) -> UptimeSeries:
    only(request, "start", "end", "scope", "ref", "tz")
    return await uptime_series.daily(actor_of(request), scope_, ref, start, end, tz)


@get("/uptime/cameras", tags=TAGS, summary="Per-camera uptime of a scope, worst first (paged)")
async def uptime_cameras(
    request: Request, start: FromQuery[str | None] = None, end: FromQuery[str | None] = None,
    scope_: Scope = "all", ref: FromQuery[str | None] = None, tz: FromQuery[str | None] = None,
    sort: FromQuery[str] = "online_rate", page: Page = 1, per_page: PerPage = 50,
) -> dict[str, Any]:
    only(request, "start", "end", "scope", "ref", "tz", "sort", "page", "per_page")
    return await uptime_views.cameras(actor_of(request), scope=scope_, ref=ref, start=start, end=end, tz=tz,
                                      sort=sort, page=page, per_page=per_page)


@get("/uptime/upstream/{device_id:int}", tags=TAGS,
     summary="Uptime of an upstream device (switch, encoder, NVR) and the cameras it took down")
async def uptime_upstream(
    request: Request, device_id: Id, start: FromQuery[str | None] = None, end: FromQuery[str | None] = None,
    tz: FromQuery[str | None] = None,
) -> dict[str, Any]:
    only(request, "start", "end", "tz")
    return await uptime_views.upstream(actor_of(request), device_id, start=start, end=end, tz=tz)


class WindowRead(msgspec.Struct):
    """A maintenance window (计划维护): `scope` camera, site, region or upstream and its `ref` (an id,
    or a region code); `active` while it runs."""

    id: int
    scope: str
    ref: str
    starts_at: str
    ends_at: str
    active: bool
    reason: str
    created_by: str
    created_at: str


class WindowEnded(msgspec.Struct):
    """`deleted`: it had not started; `ended`: it ran and now ends."""

    action: Literal["deleted", "ended"]
    window: WindowRead


@get("/maintenance", tags=TAGS, summary="Maintenance windows (newest first)")
async def list_maintenance(
    request: Request, active_at: FromQuery[str | None] = None, scope_: WindowScope = None,
    ref: FromQuery[str | None] = None, tz: FromQuery[str | None] = None, limit: Limit = 200,
) -> list[WindowRead]:
    found = await maintenance.list_windows(actor_of(request), active_at=active_at, scope=scope_, ref=ref,
                                           tz=tz, limit=limit)
    return msgspec.convert(found, list[WindowRead])


@post("/maintenance", tags=TAGS, summary="Plan a maintenance window (admin)", status_code=201)
async def create_maintenance(request: Request, tz: FromQuery[str | None] = None) -> WindowRead:
    try:
        body = await request.json()
    except Exception:  # noqa: BLE001 - any undecodable body is the same client error
        body = None
    return msgspec.convert(await maintenance.create(actor_of(request), body, tz=tz), WindowRead)


@post("/maintenance/batch", tags=TAGS, status_code=201,
      summary="Plan the same window on several cameras, sites, devices or regions at once (admin): all or none")
async def create_maintenance_batch(request: Request, tz: FromQuery[str | None] = None) -> list[WindowRead]:
    try:
        body = await request.json()
    except Exception:  # noqa: BLE001 - any undecodable body is the same client error
        body = None
    return msgspec.convert(await maintenance.create_many(actor_of(request), body, tz=tz), list[WindowRead])


@delete("/maintenance/{window_id:int}", tags=TAGS, status_code=200,
        summary="End a window now (admin): deleted if not started, cut short if running")
async def end_maintenance(request: Request, window_id: Id,
                          tz: FromQuery[str | None] = None) -> WindowEnded:
    return msgspec.convert(await maintenance.end(actor_of(request), window_id, tz=tz), WindowEnded)


HANDLERS = [uptime_summary, uptime_daily, uptime_cameras, uptime_upstream, list_maintenance, create_maintenance,
            create_maintenance_batch, end_maintenance]
