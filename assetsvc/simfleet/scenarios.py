"""Fault scenarios (故障场景) as data: what is wrong with a device, from when to when, drawn from a seed.

A script maps a device address to its episodes; an episode is a time window (seconds on the
fleet's scenario clock, measured from its epoch) and a Condition. Nothing runs on a timer: a
device's condition is looked up when a request reaches it, so 100,000 scripted devices cost
nothing while idle and the same seed and clock always give the same answers.
"""

from __future__ import annotations

import enum
import math
import random
from dataclasses import dataclass, fields
from typing import Mapping

from assetsvc.simfleet.layout import Layout


class Fault(str, enum.Enum):
    """What is wrong with a device; the comment says what a probe sees."""

    HEALTHY = "healthy"
    OUTAGE = "outage"  # TCP connections reset (REFUSED), SNMP silent (TIMEOUT)
    UNREACHABLE = "unreachable"  # accepted but never answered (TIMEOUT); what a dead upstream causes
    FLAPPING = "flapping"  # OUTAGE for down_s, healthy for up_s, alternating
    CLOCK_DRIFT = "clock_drift"  # the device clock is offset_s off (WS-Security fails beyond 300 s)
    DARK = "dark"  # snapshots too dark (IQ verdict "dark")
    COVERED = "covered"  # a flat cover over most of the lens (IQ verdict "occlusion")
    BLURRED = "blurred"  # defocused snapshots (IQ verdict "blur")
    STREAM_LOST = "stream_lost"  # RTSP DESCRIBE answers 503 while ONVIF still answers
    PASSWORD_CHANGED = "password_changed"  # every login is refused (AUTH)


DOWN = frozenset({Fault.OUTAGE, Fault.UNREACHABLE})
PICTURES = {Fault.DARK: "dark", Fault.COVERED: "covered", Fault.BLURRED: "blurred"}


@dataclass(frozen=True, slots=True)
class Condition:
    """A fault with its parameters (only the ones that fault reads matter)."""

    fault: Fault = Fault.HEALTHY
    offset_s: float = 0.0  # CLOCK_DRIFT: device clock minus true time
    up_s: float = 60.0  # FLAPPING
    down_s: float = 60.0

    def down_at(self, elapsed_s: float) -> Fault | None:
        """OUTAGE/UNREACHABLE if the device answers nothing `elapsed_s` into this condition."""
        if self.fault in DOWN:
            return self.fault
        if self.fault is Fault.FLAPPING:
            period = self.up_s + self.down_s
            return Fault.OUTAGE if period > 0 and elapsed_s % period >= self.up_s else None
        return None


HEALTHY = Condition()


@dataclass(frozen=True, slots=True)
class Episode:
    """`condition` holds on [start_s, end_s) of the scenario clock."""

    start_s: float
    end_s: float
    condition: Condition

    def to_json(self) -> dict:
        c = self.condition
        return {"start_s": self.start_s, "end_s": None if math.isinf(self.end_s) else self.end_s,
                "fault": c.fault.value, "offset_s": c.offset_s, "up_s": c.up_s, "down_s": c.down_s}


Script = Mapping[str, tuple[Episode, ...]]  # device address -> its episodes, by start


def active(episodes: tuple[Episode, ...], t: float) -> Episode | None:
    """The episode in force at t (the latest started, when windows overlap)."""
    found = None
    for episode in episodes:
        if episode.start_s <= t < episode.end_s:
            found = episode
    return found


@dataclass(frozen=True)
class Mix:
    """Share of cameras (upstream devices for dead_upstream) given one episode of each fault within
    the horizon, and the episode lengths in seconds. Numbers of ours for a lively demo."""

    outage: float = 0.02
    unreachable: float = 0.005
    flapping: float = 0.01
    clock_drift: float = 0.03
    dark: float = 0.005
    covered: float = 0.005
    blurred: float = 0.005
    stream_lost: float = 0.01
    password_changed: float = 0.002
    dead_upstream: float = 0.02
    outage_s: tuple[float, float] = (300.0, 1800.0)
    flap_s: tuple[float, float] = (20.0, 120.0)  # each up and each down phase
    picture_s: tuple[float, float] = (600.0, 3600.0)
    drift_offsets_s: tuple[float, ...] = (45.0, -120.0, 900.0, -3600.0)

    def camera_shares(self) -> list[tuple[Fault, float]]:
        names = [f.name for f in fields(self) if not f.name.endswith("_s") and f.name != "dead_upstream"]
        return [(Fault(name), getattr(self, name)) for name in names]


NO_FAULTS = Mix(**{f.name: 0.0 for f in fields(Mix) if not f.name.endswith("_s")})


def plan(layout: Layout, seed: int, mix: Mix, horizon_s: float = 3600.0) -> dict[str, tuple[Episode, ...]]:
    """A deterministic script: the same layout, seed, mix and horizon give the same episodes."""
    rng = random.Random(seed)
    shares = mix.camera_shares()
    if sum(share for _, share in shares) > 1:
        raise ValueError("the camera fault shares add up to more than 1")
    script: dict[str, tuple[Episode, ...]] = {}
    for n in range(layout.count):
        draw, acc = rng.random(), 0.0
        for fault, share in shares:
            acc += share
            if draw < acc:
                script[layout.camera_address(n)] = (_episode(rng, fault, mix, horizon_s),)
                break
    for k in range(layout.upstream_count):
        if rng.random() < mix.dead_upstream:
            script[layout.upstream_address(k)] = (_episode(rng, Fault.OUTAGE, mix, horizon_s),)
    return script


def _episode(rng: random.Random, fault: Fault, mix: Mix, horizon_s: float) -> Episode:
    start = round(rng.uniform(0, horizon_s * 0.8), 1)
    if fault is Fault.CLOCK_DRIFT:  # a clock that drifted stays wrong until someone fixes it
        return Episode(start, math.inf, Condition(fault, offset_s=rng.choice(mix.drift_offsets_s)))
    if fault is Fault.FLAPPING:
        up, down = (round(rng.uniform(*mix.flap_s), 1) for _ in range(2))
        return Episode(start, start + round(rng.uniform(*mix.outage_s), 1), Condition(fault, up_s=up, down_s=down))
    span = mix.picture_s if fault in PICTURES else mix.outage_s
    return Episode(start, start + round(rng.uniform(*span), 1), Condition(fault))
