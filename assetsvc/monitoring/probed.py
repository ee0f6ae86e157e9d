"""Which in-service cameras the engine's own checks speak to for clock and picture (the report's denominators).

A camera matched by a class whose plans run no clock-reading probe (passive ones, whose state the
platform pushes) has no 时钟准确率: the report shows "n/a" for it, never 100 %. The probes that
read each aspect are evaluate.py's mapping (docs/monitoring.md): the clock from the ONVIF
date/time answers, the picture from a grabbed frame or snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass

from assetsvc.monitoring.config import current
from assetsvc.monitoring.subjects import monitored

ASPECT_PROBES = {
    "clock": frozenset({"onvif_light", "onvif_deep"}),
    "picture": frozenset({"onvif_deep", "rtsp_frame", "rtsp_continuity"}),
}


@dataclass(frozen=True)
class Probed:
    """In-service camera ids by the aspects their plans check."""

    clock: frozenset[int]
    picture: frozenset[int]


async def probed_cameras() -> Probed:
    """The in-service cameras whose device class has a plan that reads the clock, the picture."""
    config = current()
    found: dict[str, set[int]] = {aspect: set() for aspect in ASPECT_PROBES}
    for device in await monitored():
        if device["subject_type"] != "camera":
            continue
        device_class = config.classify(device)
        probes = {p for plan in (device_class.plans.values() if device_class else ()) for p in plan.probes}
        for aspect, readers in ASPECT_PROBES.items():
            if probes & readers:
                found[aspect].add(device["subject_id"])
    return Probed(frozenset(found["clock"]), frozenset(found["picture"]))
