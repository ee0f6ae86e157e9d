"""The worst N cameras of the month by down hours, with their causes (uptime service) and tickets."""

from __future__ import annotations

from typing import Any

from assetsvc.actor import Actor
from assetsvc.monitoring import uptime, uptime_cameras
from assetsvc.monitoring.uptime_scope import camera_ids
from assetsvc.reports.figures import hours, rate
from assetsvc.tickets.month import MonthTicket


async def section(actor: Actor, n: int, tickets: list[MonthTicket], start: float, end: float) -> dict[str, Any]:
    page = await uptime_cameras.camera_rows(actor, "all", None, start, end, sort="down", per_page=n, now=end)
    rows = []
    for rank, item in enumerate((i for i in page["items"] if i["down"] > 1e-6), start=1):
        found = await uptime.compute(camera_ids([item["camera_id"]]), start, end, causes=True, now=end)
        causes = {state: {cause: hours(s) for cause, s in sorted(by.items())}
                  for state, by in sorted((found.causes or {}).items()) if state != "unknown"}
        mine = [t for t in tickets if t.subject_type == "camera" and t.subject_id == item["camera_id"]]
        rows.append({"rank": rank, "camera_id": item["camera_id"], "gb_id": item["gb_id"], "name": item["name"],
                     "region_code": item["region_code"], "contractor_id": item["contractor_id"],
                     "down_hours": hours(item["down"]), "online_rate": rate(item["online_rate"]),
                     "causes": causes, "tickets": [t.id for t in mine],
                     "reasons": sorted({r for t in mine for r in t.reasons})})
    return {"n": n, "rows": rows}
