"""What is monitored: in-service cameras and upstream devices, with the attributes plans match on."""

from __future__ import annotations

from typing import Any

from assetsvc import bulk
from assetsvc.registry.tables import Camera

# Declared lifecycle statuses whose devices are in service and probed; planned and
# decommissioned devices are not (their time is not counted anywhere).
IN_SERVICE = ("active", "under_repair")


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
    found = []
    for row in cameras:
        protocols = row["probe_protocols"]
        if isinstance(protocols, str):
            import json

            protocols = json.loads(protocols or "[]")
        found.append({"subject_type": "camera", "subject_id": row["id"], "probe_protocols": protocols,
                      "point_class": row["point_class"], "owner_class": row["owner_class"]})
    found.extend({"subject_type": "upstream", "subject_id": row["id"], "upstream_kind": row["kind"],
                  "subject": "upstream"} for row in upstreams)
    for device in found:
        device["subject"] = device["subject_type"]
    return found
