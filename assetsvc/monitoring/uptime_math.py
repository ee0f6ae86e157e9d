"""Pure arithmetic of the uptime figures (在线率, 完好率): range unions, sample instants, ratios.

Everything here works on plain numbers so it can be checked by hand; docs/metrics.md defines
each figure and uptime.py feeds these functions what the database summed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

STATES = ("up", "degraded", "down", "unknown")
KNOWN = ("up", "degraded", "down")

Range = tuple[float, float]


def union(ranges: Iterable[Range], start: float, end: float) -> list[Range]:
    """The union of half-open ranges clipped to [start, end), as sorted disjoint ranges.

    Ranges that touch ([a, b) and [b, c)) merge into one; empty ones vanish.
    """
    clipped = sorted((max(a, start), min(b, end)) for a, b in ranges)
    out: list[Range] = []
    for a, b in clipped:
        if a >= b:
            continue
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def intersect(a: Sequence[Range], b: Sequence[Range]) -> list[Range]:
    """The intersection of two sorted lists of disjoint ranges."""
    out: list[Range] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo < hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def subtract(a: Sequence[Range], b: Sequence[Range]) -> list[Range]:
    """The parts of sorted disjoint ranges `a` outside the sorted disjoint ranges `b`."""
    out: list[Range] = []
    j = 0
    for lo, hi in a:
        while j < len(b) and b[j][1] <= lo:
            j += 1
        k = j
        while lo < hi and k < len(b) and b[k][0] < hi:
            if b[k][0] > lo:
                out.append((lo, b[k][0]))
            lo = max(lo, b[k][1])
            k += 1
        if lo < hi:
            out.append((lo, hi))
    return out


def length(ranges: Iterable[Range]) -> float:
    """Total length of disjoint ranges."""
    return sum(b - a for a, b in ranges)


def instant_count(start: float, end: float, step: float) -> int:
    """How many sample instants start + k*step (k = 0, 1, ...) lie before `end`."""
    if end <= start:
        return 0
    return math.ceil((end - start) / step)


def instant_index(at: float, start: float, step: float) -> int:
    """The first k with start + k*step >= at (at >= start): the first instant a range from `at` covers."""
    return math.ceil((at - start) / step)


# Less time than this is nothing: what is left of a span after subtracting its maintenance
# can be float noise of that size (instants near 1.8e9 s have a resolution of about 2e-7 s).
NOTHING_S = 1e-6


def ratio(part: float, whole: float) -> float | None:
    """part / whole, or None when there is nothing to divide by (never a made-up 0 or 100%)."""
    return part / whole if whole > NOTHING_S else None


@dataclass
class Totals:
    """Seconds per state inside the period, before and after removing maintenance time."""

    state: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STATES, 0.0))
    maintenance: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STATES, 0.0))
    upstream: float = 0.0  # down with cause "upstream" (an upstream device was down)
    upstream_maintenance: float = 0.0  # ... of which in maintenance

    @property
    def in_service(self) -> float:
        return sum(self.state.values())

    @property
    def maintenance_total(self) -> float:
        return sum(self.maintenance.values())

    def counted(self, state: str) -> float:
        """Time in `state` outside maintenance."""
        return self.state[state] - self.maintenance[state]

    @property
    def down_upstream(self) -> float:
        """Down time outside maintenance because an upstream device was down."""
        return self.upstream - self.upstream_maintenance

    @property
    def down_own(self) -> float:
        """Down time outside maintenance for the camera's own causes."""
        return self.counted("down") - self.down_upstream

    @property
    def observed(self) -> float:
        """In service, not in maintenance, state known: the denominator of the rates."""
        return sum(self.counted(s) for s in KNOWN)

    def figures(self) -> dict[str, float | None]:
        online = self.counted("up") + self.counted("degraded")
        outside = self.in_service - self.maintenance_total
        return {
            "online_rate": ratio(online, self.observed),
            "working_rate": ratio(self.counted("up"), self.observed),
            "unknown_share": ratio(self.counted("unknown"), outside),
        }


def sampled_rate(counts: Mapping[str, Sequence[int]], instants: int,
                 chosen: Sequence[int] | None = None) -> dict[str, float | int | None]:
    """Online share at each sample instant, averaged over the instants with any known camera.

    `counts` holds, per instant k, how many cameras were in service outside maintenance
    (`in_service`), and of those how many were `down` and how many `unknown`. Known = in service
    - unknown; online = known - down. An instant where no camera is known says nothing about
    availability, so it is left out of the average (and counted in `skipped`), rather than taken
    as 0 or 100%. `chosen`, when given, are the instants that count (fixed hours of the day on a
    finer grid); `instants` is then their number.
    """
    rates = []
    for k in (range(instants) if chosen is None else chosen):
        known = counts["in_service"][k] - counts["unknown"][k]
        if known > 0:
            rates.append((known - counts["down"][k]) / known)
    return {
        "instants": instants,
        "counted": len(rates),
        "skipped": instants - len(rates),
        "online_rate": sum(rates) / len(rates) if rates else None,
    }


SERIES = ("in_service", "down", "unknown")


def running_counts(events: Iterable[tuple[str, int, int]], instants: int) -> dict[str, list[int]]:
    """Per-series camera counts at each instant from (series, first instant, +/-count) events.

    A range covering instants [k1, k2) is +n at k1 and -n at k2; the count at k is the running
    sum of everything at or before k. Events at k >= instants fall after the last instant.
    """
    delta = {s: [0] * instants for s in SERIES}
    for series, k, n in events:
        if series in delta and k < instants:
            delta[series][max(k, 0)] += n
    out = {}
    for series, steps in delta.items():
        total, counts = 0, []
        for step in steps:
            total += step
            counts.append(total)
        out[series] = counts
    return out
