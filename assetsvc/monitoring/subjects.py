"""What is monitored: in-service cameras and upstream devices, with the attributes plans match on."""

from __future__ import annotations

from typing import Any, Mapping

from assetsvc import bulk
from assetsvc.registry.lifecycle import IN_SERVICE  # planned and decommissioned: never probed nor counted
from assetsvc.registry.tables import Camera


async def monitored() -> list[dict[str, Any]]:
    """Every in-service camera and upstream device as {subject_type, subject_id, match keys...}."""
    marks = ",".join("?" * len(IN_SERVICE))
    cameras = await bulk.fetch(Camera, f"""
        SELECT c.id, c.probe_protocols, c.point_class, o.owner_class
        FROM camera c LEFT JOIN owner o ON o.id = c.owner
        WHERE c.status IN ({marks})""", IN_SERVICE)
    upstreams = await bulk.fetch(Camera, f"""
        SELECT id, kind FROM upstream_device WHERE status IN ({marks}) AND ipv4 IS NOT NULL""",
                                 IN_SERVICE)
    found = [{"subject_type": "camera", "subject_id": row["id"], **camera_match(row)} for row in cameras]
    found.extend({"subject_type": "upstream", "subject_id": row["id"], **upstream_match(row)} for row in upstreams)
    return found


def camera_match(row: Mapping[str, Any]) -> dict[str, Any]:
    """What device classes match a camera on, from a row with probe_protocols, point_class, owner_class."""
    return {"subject": "camera", "probe_protocols": bulk.json_column(row["probe_protocols"], []),
            "point_class": row["point_class"], "owner_class": row["owner_class"]}


def upstream_match(row: Mapping[str, Any]) -> dict[str, Any]:
    """What device classes match an upstream device on, from a row with its kind."""
    return {"subject": "upstream", "upstream_kind": row["kind"]}
