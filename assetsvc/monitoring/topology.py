"""Topology root cause: which dead upstream device (switch, NVR, link) a camera's outage is due to."""

from __future__ import annotations

import time
from typing import Any, Iterable, Mapping

from assetsvc import bulk
from assetsvc.monitoring.tables import DeviceState

_parents: tuple[float, dict[int, int | None]] | None = None


def forget() -> None:
    """Drop the cached parent map (after topology edits, and between tests)."""
    global _parents
    _parents = None


class Topology:
    """Upstream parents, which upstream devices are down, and the cameras' upstream devices."""

    def __init__(self, parent: dict[int, int | None], down: dict[int, float]) -> None:
        self.parent = parent
        self.down = down  # upstream id -> since when it is down
        self.recovered: dict[int, float] = {}  # upstream id -> when it came back (this batch)
        self.camera_upstream: dict[int, int | None] = {}
        self.changed: set[int] = set()

    @classmethod
    async def load(cls, parents_max_age_s: float = 30.0) -> "Topology":
        """The topology now; the parent map (registry data, rarely changed) is reused for a while,
        the set of down devices (measured, changes every cycle) is always read fresh."""
        global _parents
        now = time.monotonic()
        if _parents is None or now - _parents[0] > parents_max_age_s:
            rows = await bulk.fetch(DeviceState, "SELECT id, parent FROM upstream_device")
            _parents = (now, {r["id"]: r["parent"] for r in rows})
        down = await bulk.fetch(DeviceState, "SELECT subject_id, since FROM device_state "
                                "WHERE subject_type = 'upstream' AND state = 'down'")
        return cls(dict(_parents[1]), {r["subject_id"]: r["since"] for r in down})

    async def load_cameras(self, ids: Iterable[int]) -> None:
        rows = await bulk.fetch_in(DeviceState, "SELECT id, upstream FROM camera WHERE id IN ({in})",
                                   set(ids) - set(self.camera_upstream))
        self.camera_upstream.update({r["id"]: r["upstream"] for r in rows})

    def chain(self, upstream_id: int | None) -> list[int]:
        """The device and its ancestors, nearest first; a cycle in bad data is cut, not looped."""
        seen: list[int] = []
        while upstream_id is not None and upstream_id not in seen:
            seen.append(upstream_id)
            upstream_id = self.parent.get(upstream_id)
        return seen

    def root_down(self, subject_type: str, subject_id: int) -> tuple[int, float] | None:
        """The topmost down device above the subject (the root cause of its outage) and since when."""
        start = self.camera_upstream.get(subject_id) if subject_type == "camera" else self.parent.get(subject_id)
        dead = [u for u in self.chain(start) if u in self.down]
        return (dead[-1], self.down[dead[-1]]) if dead else None

    def set_down(self, upstream_id: int, since: float | None, state_since: float) -> None:
        """Record a device's new state: down since `since`, or not down (None) since `state_since`."""
        if (upstream_id in self.down) != (since is not None):
            self.changed.add(upstream_id)
        if since is not None:
            self.down[upstream_id] = since
        elif upstream_id in self.down:
            del self.down[upstream_id]
            self.recovered[upstream_id] = state_since

    def recovered_at(self, upstream_id: int | None, default: float) -> float:
        """When a device that was a root cause came back (in this batch), else `default`."""
        return self.recovered.get(upstream_id, default) if upstream_id is not None else default

    def below(self, upstream_ids: set[int]) -> set[int]:
        """The given devices and every device whose chain passes through one of them."""
        return {u for u in self.parent if set(self.chain(u)) & upstream_ids} | upstream_ids

    async def relabel_candidates(self, skip: Mapping[tuple[str, int], Any]) -> list[tuple[str, int]]:
        """Down cameras behind an upstream device whose state changed (not already in `skip`);
        the writer reads (and locks) their state rows."""
        if not self.changed:
            return []
        rows = await bulk.fetch_in(DeviceState, "SELECT ds.subject_id, c.upstream FROM device_state ds "
                                   "JOIN camera c ON c.id = ds.subject_id WHERE ds.subject_type = 'camera' "
                                   "AND ds.state = 'down' AND c.upstream IN ({in})", self.below(self.changed))
        self.camera_upstream.update({r["subject_id"]: r["upstream"] for r in rows})
        return [("camera", r["subject_id"]) for r in rows if ("camera", r["subject_id"]) not in skip]
