"""Registry summary: camera counts by region x owner class (what the office reports upward)."""

from __future__ import annotations

from typing import Any

from piccolo.query.functions.aggregate import Count

from assetsvc.actor import Actor
from assetsvc.registry import regions
from assetsvc.registry.crud import scope
from assetsvc.registry.entities import CAMERA
from assetsvc.registry.tables import Camera

CLASSES = ("police", "government", "social")


async def summary(actor: Actor) -> dict[str, Any]:
    """Per district: cameras per owner class, networked and total; with grand totals."""
    query = Camera.select(
        Camera.region_code, Camera.owner.owner_class.as_alias("owner_class"),
        Camera.networked, Count(Camera.id, alias="n"),
    ).group_by(Camera.region_code, Camera.owner.owner_class, Camera.networked)
    visible = scope(CAMERA, actor)
    if visible is not None:
        query = query.where(visible)
    table: dict[str, dict[str, Any]] = {}
    for row in await query.run():
        code = row["region_code"]
        entry = table.setdefault(code, {
            "region_code": code, "region_name": regions.full_name(code) or code,
            **{c: 0 for c in CLASSES}, "unassigned": 0, "networked": 0, "total": 0,
        })
        entry[row["owner_class"] if row["owner_class"] in CLASSES else "unassigned"] += row["n"]
        entry["networked"] += row["n"] if row["networked"] else 0
        entry["total"] += row["n"]
    rows = [table[k] for k in sorted(table)]
    totals = {k: sum(r[k] for r in rows) for k in (*CLASSES, "unassigned", "networked", "total")}
    return {"regions": rows, "totals": totals}
