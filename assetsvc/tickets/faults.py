"""Which ticketable faults a device has now, from what the monitoring reports: pure functions, no I/O.

The opener compares this with the active tickets every minute (level-triggered, so a missed run
or a restart loses nothing). For each fault kind a device is in one of three conditions:
`Fault` (present, since when), `Cleared` (absent, since when) or not listed (cannot be told now:
the device is unknown, or down because of its upstream device, so its own faults are hidden).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from assetsvc.monitoring.service import CONFIG_CAUSES, DEGRADING, DeviceNow, Drift
from assetsvc.tickets.config import TicketsConfig


@dataclass(frozen=True)
class Fault:
    kind: str
    cause: str
    since: float


@dataclass(frozen=True)
class Cleared:
    kind: str
    at: float


# The device aspect whose check decides each fault kind (verification, re-probes); anything else: reach.
CHECK_ASPECT = {"down": "reach", "reboot_loop": "reach", "manual": "reach", "stream": "stream", "picture": "picture",
                "clock": "clock", "drift": "inventory"}


def aspect_of(fault: str) -> str:
    return CHECK_ASPECT.get(fault, "reach")


def assess(device: DeviceNow, config: TicketsConfig, now: float) -> dict[str, Fault | Cleared]:
    """The device's condition per fault kind, from its monitoring record (state, aspects, drift flags)."""
    out: dict[str, Fault | Cleared] = {}
    if device.subject_type == "camera":
        _drift(device.drift, now, out)
    if device.state is None:
        return out
    label, cause, since = device.state, device.cause, float(device.since or 0.0)
    if label == "down":
        if cause != "upstream":  # a camera behind a dead switch is that switch's ticket
            out["down"] = Fault("down", cause, since)
    elif label in ("up", "degraded"):
        out["down"] = Cleared("down", since)
        for name in DEGRADING:
            aspect = device.aspects[name]
            if aspect.ok is False and aspect.cause in CONFIG_CAUSES:
                continue  # the record names a stream that is not there: the office's to fix, not a fault
            if aspect.ok is False:
                out[name] = Fault(name, aspect.cause or name, float(aspect.since or since))
            else:
                out[name] = Cleared(name, float(aspect.since or since))
    loop = _reboot_loop(device.reboots, config, now)
    if loop is not None:
        out["reboot_loop"] = loop
    return out


def _reboot_loop(reboots: tuple[float, ...] | None, config: TicketsConfig, now: float) -> Fault | Cleared | None:
    if reboots is None:
        return None
    recent = [t for t in reboots if now - config.reboot_window_s <= t <= now]
    if len(recent) >= config.reboots:
        return Fault("reboot_loop", f"{len(recent)} reboots", min(recent))
    return Cleared("reboot_loop", now)


def _drift(flags: Iterable[Drift], now: float, out: dict) -> None:
    # Configuration problems of the record (a stream path that is not there) are the office's.
    flags = [f for f in flags if not f.config]
    open_ = [f for f in flags if f.cleared_at is None]
    if open_:
        kinds = ",".join(sorted({f.kind for f in open_}))
        out["drift"] = Fault("drift", f"drift:{kinds}"[:64], min(f.first_seen for f in open_))
    else:
        out["drift"] = Cleared("drift", max((f.cleared_at for f in flags if f.cleared_at is not None), default=now))
