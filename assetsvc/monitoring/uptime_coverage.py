"""Which time of each camera an uptime figure counts: its service ranges, and the maintenance inside them.

The service ranges are the registry's service periods (registry/service_periods.py) clipped to
the counted part of the period; the monitoring slice reads them only through that service
function, never the service_period table. Maintenance counts only inside service (a window
over a camera not yet registered excludes nothing), so the maintenance ranges are the union of
the camera's windows intersected with its service ranges.
"""

from __future__ import annotations

from dataclasses import dataclass

from assetsvc.monitoring import maintenance
from assetsvc.monitoring import uptime_sql as q
from assetsvc.monitoring.uptime_math import Range, intersect, length
from assetsvc.monitoring.uptime_read import Fetch
from assetsvc.monitoring.uptime_scope import CameraSet
from assetsvc.registry.service_periods import service_periods

Ranges = dict[int, list[Range]]


@dataclass(frozen=True)
class Coverage:
    """Per camera: its service ranges in [S, E) and, within them, its maintenance ranges."""

    service: Ranges
    held: Ranges

    @property
    def cameras(self) -> int:
        """Cameras with any in-service time in the period."""
        return len(self.service)

    # Summed in camera order, not the order the rows came in: the same bits from every path.
    def in_service(self) -> float:
        return sum(length(self.service[c]) for c in sorted(self.service))

    def in_maintenance(self) -> float:
        return sum(length(self.held[c]) for c in sorted(self.held))

    def clipped(self, start: float, end: float) -> "Coverage":
        """The coverage of [start, end) inside this one's period: what coverage() reads for that part
        (service periods and windows are clipped, then merged; merged, then clipped, is the same)."""
        return Coverage(_clip(self.service, start, end), _clip(self.held, start, end))


def _clip(ranges: Ranges, start: float, end: float) -> Ranges:
    out: Ranges = {}
    for cam, spans in ranges.items():
        inside = [(max(a, start), min(b, end)) for a, b in spans if max(a, start) < min(b, end)]
        if inside:
            out[cam] = inside
    return out


async def coverage(fetch: Fetch, cameras: CameraSet, w: q.Window) -> Coverage:
    """The set's service and maintenance ranges (call inside the figure's read transaction)."""
    ids = [r["id"] for r in await fetch(f"SELECT c.id AS id FROM camera c WHERE {cameras.where}", cameras.args)]
    service = await service_periods(ids, w.start, w.end)
    windows = await maintenance.ranges_for(cameras, w.start, w.end) if service else {}
    held = {}
    for cam, ranges in windows.items():
        inside = intersect(ranges, service.get(cam, []))
        if inside:
            held[cam] = inside
    return Coverage(service, held)
