"""Fault seconds per camera under a contract's downtime rule (故障时长): the uptime sums, by rule.

The monthly score's "channel down over 8 h" is a downtime figure like any other, so it is
computed here, by the uptime service, from the same clipped intervals and the same maintenance
ranges as 在线率 (docs/metrics.md, "Fault time by rule"): maintenance never counts, `unknown`
never counts, and a camera counts only inside its service periods (the registry's records).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from assetsvc.monitoring import uptime_sql as q
from assetsvc.monitoring.records import DEGRADING
from assetsvc.monitoring.evaluate import CONFIG_CAUSES
from assetsvc.monitoring.uptime import counted_window
from assetsvc.monitoring.uptime_coverage import coverage
from assetsvc.monitoring.uptime_math import NOTHING_S
from assetsvc.monitoring.uptime_read import fetch_all
from assetsvc.monitoring.uptime_scope import CameraSet

# A degraded cause as stored on an interval: an aspect, optionally ":" and a detail (picture:dark).
_CAUSE = re.compile(rf"({'|'.join(DEGRADING)})(:[a-z0-9_]{{1,40}})?")


@dataclass(frozen=True)
class DowntimeRule:
    """Which measured states count against a contractor: down always; degraded never, always,
    or only for the named causes (an aspect such as "picture" covers picture:dark, picture:blur...).

    An interval carries one cause: a camera failing stream and picture at once is recorded with
    the first of stream, picture, clock, so a rule naming only "picture" does not count that time.
    """

    degraded: bool = False
    causes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.degraded and self.causes:
            raise ValueError("a rule counting every degraded cause names no causes")
        for cause in self.causes:
            if not _CAUSE.fullmatch(cause):
                raise ValueError(f"degraded cause {cause!r} must be stream, picture or clock, optionally "
                                 f"with a detail such as picture:dark")

    @classmethod
    def parse(cls, counts: Iterable[Any]) -> DowntimeRule:
        """From the terms' list: ["down"], ["down", "degraded"] or ["down", "degraded:picture", ...]."""
        listed = list(counts)
        if any(not isinstance(c, str) for c in listed) or len(set(listed)) < len(listed):
            raise ValueError("must be a list of distinct names like [\"down\", \"degraded:picture\"]")
        if "down" not in listed:
            raise ValueError("must include \"down\" (down time always counts)")
        rest = [c for c in listed if c != "down"]
        if "degraded" in rest:
            if len(rest) > 1:
                raise ValueError("\"degraded\" already counts every degraded cause; leave out the others")
            return cls(degraded=True)
        bad = [c for c in rest if not c.startswith("degraded:")]
        if bad:
            raise ValueError(f"{bad[0]!r} is not \"degraded\" or \"degraded:<cause>\" (down always counts; "
                             f"unknown never does)")
        return cls(causes=tuple(sorted(c.removeprefix("degraded:") for c in rest)))

    @property
    def counts(self) -> tuple[str, ...]:
        """The rule as written in the terms (and shown with the score)."""
        if self.degraded:
            return ("down", "degraded")
        return ("down", *(f"degraded:{c}" for c in self.causes))

    def matches(self, state: str, cause: str) -> bool:
        """Whether time in `state` for `cause` counts against the contractor."""
        if state == "down":
            return True
        if state != "degraded" or cause in CONFIG_CAUSES:
            return False
        return self.degraded or any(cause == c or cause.startswith(c + ":") for c in self.causes)

    def condition(self) -> str:
        """The rule as SQL on the interval `si` (causes are validated above, so they are safe literals)."""
        # A configuration fault of the record (stream:config: the registered path is not there) is the
        # office's to fix, never the contractor's: no rule counts it (validated literals, as above).
        billable = "COALESCE(si.cause, '') NOT IN (" + ", ".join(f"'{c}'" for c in sorted(CONFIG_CAUSES)) + ")"
        terms = ["si.state = 'down'"]
        if self.degraded:
            terms.append(f"(si.state = 'degraded' AND {billable})")
        for c in self.causes:
            terms.append(f"(si.state = 'degraded' AND {billable} AND (si.cause = '{c}' OR "
                         f"SUBSTR(si.cause, 1, {len(c) + 1}) = '{c}:'))")
        return "(" + " OR ".join(terms) + ")"


DOWN_ONLY = DowntimeRule()


@dataclass(frozen=True)
class FaultSeconds:
    """Each camera's counted fault seconds in [start, counted_until) under `rule`, maintenance removed;
    cameras with none are left out."""

    rule: DowntimeRule
    start: float
    counted_until: float
    by_camera: Mapping[int, float]


async def fault_seconds(cameras: CameraSet, start: float, end: float, rule: DowntimeRule = DOWN_ONLY, *,
                        now: float | None = None) -> FaultSeconds:
    """Seconds each camera of the set spent in a state the rule counts, outside maintenance."""
    w = counted_window(start, end, 3600.0, now)
    if w.end <= w.start:
        return FaultSeconds(rule, start, w.end, {})
    begin, finish = q.clipped_to_range()
    async with fetch_all() as fetch:
        cov = await coverage(fetch, cameras, w)
        rows: list[dict[str, Any]] = []
        held: list[dict[str, Any]] = []
        for ranges, out in ((cov.service, rows), (cov.held, held)):
            if ranges:
                source, args = q.in_ranges(ranges)
                out += await fetch(f"SELECT m.cam AS id, SUM({finish} - {begin}) AS v {source} "
                                   f"AND {rule.condition()} GROUP BY m.cam", args)
    found: dict[int, float] = {}
    for row in rows:
        found[row["id"]] = found.get(row["id"], 0.0) + float(row["v"] or 0.0)
    for row in held:
        found[row["id"]] = found.get(row["id"], 0.0) - float(row["v"] or 0.0)
    return FaultSeconds(rule, start, w.end, {cam: v for cam, v in sorted(found.items()) if v > NOTHING_S})


@dataclass(frozen=True)
class FaultCauses:
    """Each camera's seconds down or degraded in [start, counted_until), per (state, cause) as stored
    on the intervals, maintenance removed; cameras with none are left out. A caller sums the pairs a
    DowntimeRule `matches` (one read serves every rule)."""

    start: float
    counted_until: float
    by_camera: Mapping[int, Mapping[tuple[str, str], float]]


async def fault_seconds_by_cause(cameras: CameraSet, start: float, end: float, *,
                                 now: float | None = None) -> FaultCauses:
    """Seconds each camera of the set spent down or degraded, by state and cause, outside maintenance."""
    w = counted_window(start, end, 3600.0, now)
    if w.end <= w.start:
        return FaultCauses(start, w.end, {})
    begin, finish = q.clipped_to_range()
    found: dict[int, dict[tuple[str, str], float]] = {}
    async with fetch_all() as fetch:
        cov = await coverage(fetch, cameras, w)
        for ranges, sign in ((cov.service, 1.0), (cov.held, -1.0)):
            if not ranges:
                continue
            source, args = q.in_ranges(ranges)
            rows = await fetch(f"SELECT m.cam AS id, si.state AS state, COALESCE(si.cause, '') AS cause, "
                               f"SUM({finish} - {begin}) AS v {source} AND si.state IN ('down', 'degraded') "
                               f"GROUP BY m.cam, si.state, si.cause", args)
            for row in rows:
                mine = found.setdefault(row["id"], {})
                key = (row["state"], row["cause"])
                mine[key] = mine.get(key, 0.0) + sign * float(row["v"] or 0.0)
    return FaultCauses(start, w.end, {cam: {k: v for k, v in sorted(pairs.items()) if v > NOTHING_S}
                                      for cam, pairs in sorted(found.items())
                                      if any(v > NOTHING_S for v in pairs.values())})
