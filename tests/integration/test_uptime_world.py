"""Helpers (no tests) for the uptime and maintenance tests: cameras and hand-written timelines.

A timeline is written in hours from T0 so the expected figures can be worked by hand:
`("up", 0, 2)` is an `up` interval [T0, T0 + 2 h); an end of None is the open interval.
Unless told otherwise, `timeline` also records the camera's service periods as the stretches
its intervals cover (touching intervals make one period), as the registry does for a camera
whose status has not changed since it was monitored; `service` writes them by hand.
"""

from __future__ import annotations

from typing import Any, Iterable

from assetsvc.monitoring.tables import MaintenanceWindow, StateInterval
from assetsvc.registry.tables import Camera, Contractor, Owner, ServicePeriod, Site, Station, UpstreamDevice

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


async def service(camera_id: int, periods: Iterable[tuple[float, float | None]]) -> None:
    """Write a camera's service periods, in hours from T0 (end None: still in service)."""
    rows = [ServicePeriod(camera_id=camera_id, starts_at=at(a), ends_at=None if b is None else at(b), source="test")
            for a, b in periods]
    if rows:
        await ServicePeriod.insert(*rows).run()


async def service_where(rows: Iterable[tuple[int, float, float | None]]) -> None:
    """Service periods where these intervals (camera, start, end in Unix seconds) are, as the registry
    keeps them for cameras monitored since their registration (tests that write intervals directly)."""
    by_camera: dict[int, list] = {}
    for cam, a, b in rows:
        by_camera.setdefault(cam, []).append(("", a, b))
    found = [ServicePeriod(camera_id=cam, starts_at=a, ends_at=b, source="test")
             for cam, spans in by_camera.items() for a, b in extents(spans)]
    if found:
        await ServicePeriod.insert(*found).run()


def extents(spans: Iterable[Span]) -> list[tuple[float, float | None]]:
    """The stretches a camera's intervals cover, in hours (touching intervals join; None: open)."""
    out: list[list] = []
    for span in sorted(spans, key=lambda s: s[1]):
        a, b = span[1], span[2]
        if out and out[-1][1] is not None and a <= out[-1][1]:
            out[-1][1] = None if b is None else max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


async def timeline(camera_id: int, spans: Iterable[Span], *, periods: bool = True) -> None:
    """Write a camera's intervals (and, with `periods`, service periods where they are); causes default
    to one per state."""
    spans = list(spans)
    if periods:
        await service(camera_id, extents(spans))
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
