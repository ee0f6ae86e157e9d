"""Where the in-service cameras stand (经纬度), for the map: compact columns, scoped like every camera read."""

from __future__ import annotations

from dataclasses import dataclass

from assetsvc import bulk
from assetsvc.actor import Actor
from assetsvc.errors import Forbidden
from assetsvc.registry.lifecycle import IN_SERVICE
from assetsvc.registry.tables import Camera

DATUM = "WGS-84"  # the registry stores 经度/纬度 as the sheet gives them: WGS-84 (docs/import-format.md)


@dataclass(frozen=True, slots=True)
class Positions:
    """Parallel columns of the in-service cameras that have coordinates, by id; and how many have none."""

    ids: list[int]
    lon: list[float]
    lat: list[float]
    without_position: int


async def in_service_positions(actor: Actor) -> Positions:
    """Every in-service camera's stored lon/lat (contractors: the cameras they maintain)."""
    if actor.is_contractor:
        where, args = " AND contractor = ?", [actor.contractor_id]
    elif actor.role in ("admin", "auditor"):
        where, args = "", []
    else:
        raise Forbidden("this account may not read camera positions")
    marks = ",".join("?" * len(IN_SERVICE))
    rows = await bulk.fetch(Camera, f"SELECT id, longitude, latitude FROM camera WHERE status IN ({marks}){where} "
                            "ORDER BY id", [*IN_SERVICE, *args])
    placed = [r for r in rows if r["longitude"] is not None and r["latitude"] is not None]
    return Positions([r["id"] for r in placed], [r["longitude"] for r in placed], [r["latitude"] for r in placed],
                     len(rows) - len(placed))
