"""Helpers (no tests) for the uptime and maintenance tests: cameras and hand-written timelines.

A timeline is written in hours from T0 so the expected figures can be worked by hand:
`("up", 0, 2)` is an `up` interval [T0, T0 + 2 h); an end of None is the open interval.
"""

from __future__ import annotations

from typing import Any, Iterable

from assetsvc.monitoring.tables import MaintenanceWindow, StateInterval
from assetsvc.registry.tables import Camera, Contractor, Owner, Site, Station, UpstreamDevice

T0 = 1_768_464_000.0  # 2026-01-15T08:00:00Z (in the past: the API counts up to the real now)
H = 3600.0

Span = tuple  # (state, start_h, end_h | None[, cause[, root_upstream]])


def at(hours: float) -> float:
    return T0 + hours * H


async def camera(n: int, *, region: str = "330106", site: int | None = None, station: int | None = None,
                 owner: int | None = None, contractor: int | None = None, upstream: int | None = None,
                 status: str = "active") -> int:
    row = Camera(gb_id=f"{region}00011320{n:06d}", name=f"测试摄像机{n}", region_code=region, site=site,
                 station=station, owner=owner, contractor=contractor, upstream=upstream, status=status)
    await row.save().run()
    return row.id


async def timeline(camera_id: int, spans: Iterable[Span]) -> None:
    """Write a camera's intervals; causes default to one per state."""
    default_cause = {"up": "", "degraded": "picture:dark", "down": "onvif_light:timeout", "unknown": "stale"}
    rows = []
    for span in spans:
        state, start_h, end_h = span[:3]
        cause = span[3] if len(span) > 3 else default_cause[state]
        root = span[4] if len(span) > 4 else None
        rows.append(StateInterval(subject_type="camera", subject_id=camera_id, state=state, cause=cause,
                                  root_upstream=root, start=at(start_h),
                                  end=None if end_h is None else at(end_h)))
    await StateInterval.insert(*rows).run()


async def window(scope: str, ref: Any, start_h: float, end_h: float, reason: str = "计划检修") -> int:
    row = MaintenanceWindow(scope=scope, scope_ref=str(ref), starts_at=at(start_h), ends_at=at(end_h),
                            reason=reason, created_by="test", created_at=T0)
    await row.save().run()
    return row.id


async def records() -> dict[str, int]:
    """A site, a station, an owner per class, two contractors and a switch under a core switch."""
    ids: dict[str, int] = {}
    for key, row in (("site", Site(name="西溪路口", region_code="330106")),
                     ("station", Station(name="西溪派出所", region_code="330106")),
                     ("police", Owner(name="杭州市公安局西湖区分局", owner_class="police")),
                     ("social", Owner(name="西溪小区物业", owner_class="social")),
                     ("con_a", Contractor(name="甲运维")), ("con_b", Contractor(name="乙运维"))):
        await row.save().run()
        ids[key] = row.id
    core = UpstreamDevice(name="核心交换机", kind="switch", region_code="330106")
    await core.save().run()
    edge = UpstreamDevice(name="接入交换机", kind="switch", region_code="330106", parent=core.id)
    await edge.save().run()
    ids["core"], ids["edge"] = core.id, edge.id
    return ids
