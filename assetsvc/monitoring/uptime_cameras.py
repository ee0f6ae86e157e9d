"""Per-camera uptime rows of a scope, worst first, paged: the drill-down under a region's figure."""

from __future__ import annotations

from typing import Any

from assetsvc import bulk
from assetsvc.actor import Actor
from assetsvc.errors import ValidationFailed, field_error
from assetsvc.monitoring import uptime_queries as queries
from assetsvc.monitoring.tables import StateInterval
from assetsvc.monitoring.uptime import counted_window
from assetsvc.monitoring.uptime_coverage import coverage
from assetsvc.monitoring.uptime_math import STATES, Totals
from assetsvc.monitoring.uptime_read import fetch_all
from assetsvc.monitoring.uptime_scope import resolve

MAX_PAGE = 500


def _row(found: dict[str, Any]) -> dict[str, Any]:
    """One camera's figures from its state sums (s) and the part of them in maintenance (h_s)."""
    totals = Totals(upstream=float(found["down_upstream"]), upstream_maintenance=float(found["h_down_upstream"]))
    for state in STATES:
        totals.state[state] = float(found[state])
        totals.maintenance[state] = float(found["h_" + state])
    return {
        "camera_id": found["id"], "in_service": totals.in_service, "maintenance": totals.maintenance_total,
        "observed": totals.observed, **{s: totals.counted(s) for s in STATES},
        "down_own": totals.down_own, "down_upstream": totals.down_upstream, **totals.figures(),
    }


async def camera_rows(actor: Actor, scope: str | None, ref: str | None, start: float, end: float, *,
                      sort: str = "online_rate", page: int = 1, per_page: int = 50,
                      now: float | None = None) -> dict[str, Any]:
    """A page of per-camera figures, worst first by `sort` (cameras without a figure last), and the count."""
    if page < 1 or not 1 <= per_page <= MAX_PAGE:
        raise ValidationFailed("bad paging", [field_error("per_page", "invalid", f"page >= 1, per_page 1..{MAX_PAGE}")])
    if sort not in queries.PAGE_SORTS:
        raise ValidationFailed(f"cannot sort by {sort!r}",
                               [field_error("sort", "invalid", f"sort by one of: {', '.join(queries.PAGE_SORTS)}")])
    cameras = await resolve(actor, scope, ref)
    w = counted_window(start, end, 3600.0, now)
    offset = (page - 1) * per_page
    if w.end <= w.start:  # the period has not begun: no camera has a figure yet
        return {"items": [], "total": 0, "page": page, "per_page": per_page, "sort": sort, "counted_until": w.end}
    async with fetch_all() as fetch:
        cov = await coverage(fetch, cameras, w)
        found = await fetch(*queries.camera_page(cov.service, cov.held, sort, per_page, offset)) if cov.service else []
    total = cov.cameras  # every camera with service time in the period has a row
    items = [_row(r) for r in found]
    await _label(items)
    return {"items": items, "total": total, "page": page, "per_page": per_page, "sort": sort,
            "counted_until": w.end}


async def _label(items: list[dict[str, Any]]) -> None:
    """Add each camera's national ID, name, region and contractor (the page only)."""
    ids = [r["camera_id"] for r in items]
    if not ids:
        return
    rows = await bulk.fetch(StateInterval, "SELECT id, gb_id, name, region_code, contractor, status FROM camera "
                            f"WHERE id IN ({','.join('?' * len(ids))})", ids)
    found = {r["id"]: r for r in rows}
    for item in items:
        info = found.get(item["camera_id"], {})
        item.update(gb_id=info.get("gb_id"), name=info.get("name"), region_code=info.get("region_code"),
                    contractor_id=info.get("contractor"), declared_status=info.get("status"))
