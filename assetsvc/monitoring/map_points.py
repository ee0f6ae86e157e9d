"""The map's points (地图): every in-service camera's position and measured state, as compact columns.

One request carries 100,000 cameras: parallel arrays, with state and cause as indexes into short
name lists, so the answer is a few bytes per camera. A camera never measured counts as `unknown`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from assetsvc import bulk
from assetsvc.actor import Actor
from assetsvc.monitoring.status import STATES, iso
from assetsvc.monitoring.tables import DeviceState
from assetsvc.registry.positions import DATUM, in_service_positions


@dataclass(frozen=True, slots=True)
class MapPoints:
    """Column i of each array is one camera; `state[i]` indexes `states`, `cause[i]` indexes `causes`."""

    datum: str
    at: str
    count: int
    without_position: int
    states: list[str]
    causes: list[str]
    id: list[int]
    lon: list[float]
    lat: list[float]
    state: list[int]
    cause: list[int]


async def map_points(actor: Actor) -> MapPoints:
    """Positions from the registry's service, states from device_state (contractors: their cameras)."""
    positions = await in_service_positions(actor)
    rows = await bulk.fetch(DeviceState, "SELECT subject_id, state, cause FROM device_state "
                            "WHERE subject_type = 'camera'")
    measured = {r["subject_id"]: (r["state"], r["cause"] or "") for r in rows}
    state_index = {s: i for i, s in enumerate(STATES)}
    causes: dict[str, int] = {"": 0}
    states, cause_of = [], []
    for camera_id in positions.ids:
        state, cause = measured.get(camera_id, ("unknown", ""))
        states.append(state_index.get(state, state_index["unknown"]))
        cause_of.append(causes.setdefault(cause, len(causes)))
    return MapPoints(DATUM, iso(time.time()) or "", len(positions.ids), positions.without_position, list(STATES),
                     list(causes), positions.ids, positions.lon, positions.lat, states, cause_of)
