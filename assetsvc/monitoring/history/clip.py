"""The overlap rule, as pure functions: what is already recorded wins, then earlier rows of the file.

A camera's intervals never overlap (the uptime sums rely on it), so an imported row keeps only
the parts of [from, to) that no recorded interval covers (live or imported before, an open
interval covering everything after its start) and that no earlier row of the same file kept.
Each part cut away is a clip, reported with what it lost to.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

Range = tuple[float, float]


@dataclass(frozen=True)
class Clip:
    """[start, end) of a row cut away because `by` holds it: "recorded" (live history), "batch 3"
    (an earlier import) or "row 12" (an earlier row of the file)."""

    start: float
    end: float
    by: str


@dataclass
class Occupied:
    """One camera's held time: disjoint ranges sorted by start, each with who holds it."""

    starts: list[float] = field(default_factory=list)
    ends: list[float] = field(default_factory=list)
    holders: list[str] = field(default_factory=list)

    def add(self, start: float, end: float, holder: str) -> None:
        at = bisect.bisect_left(self.starts, start)
        self.starts.insert(at, start)
        self.ends.insert(at, end)
        self.holders.insert(at, holder)

    def take(self, start: float, end: float, holder: str) -> tuple[list[Range], list[Clip]]:
        """The free parts of [start, end) (now held by `holder`) and the clips of the rest."""
        pieces: list[Range] = []
        clips: list[Clip] = []
        cursor = start
        # Ranges are disjoint and sorted, so their ends are sorted too: the first that can
        # overlap is the first ending after `start`.
        index = bisect.bisect_right(self.ends, start)
        while index < len(self.starts) and self.starts[index] < end:
            a, b = max(self.starts[index], start), min(self.ends[index], end)
            if a > cursor:
                pieces.append((cursor, a))
            clips.append(Clip(a, b, self.holders[index]))
            cursor = max(cursor, b)
            index += 1
        if cursor < end:
            pieces.append((cursor, end))
        for a, b in pieces:
            self.add(a, b, holder)
        return pieces, clips


def recorded(ranges: list[tuple[float, float | None, str]], horizon: float) -> Occupied:
    """A camera's stored intervals, each with its holder ("recorded", "batch 3"), as held time (an
    open one runs to `horizon`, past every row)."""
    held = Occupied()
    for start, end, holder in sorted(ranges, key=lambda r: r[0]):
        finish = horizon if end is None else end
        if held.ends and start < held.ends[-1]:  # overlapping stored rows (never written so): merge
            held.ends[-1] = max(held.ends[-1], finish)
            continue
        held.add(start, finish, holder)
    return held


def batches_of(clips: list[Clip]) -> set[int]:
    """The earlier batches a row lost time to."""
    return {int(c.by.split()[1]) for c in clips if c.by.startswith("batch ")}
