"""Which ticketable faults a device has now, from its monitoring state: pure functions, no I/O.

The opener compares this with the active tickets every minute (level-triggered, so a missed run
or a restart loses nothing). For each fault kind a device is in one of three conditions:
`Fault` (present, since when), `Cleared` (absent, since when) or not listed (cannot be told now:
the device is unknown, or down because of its upstream device, so its own faults are hidden).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from assetsvc.monitoring.drift import CONFIG_KINDS
from assetsvc.monitoring.evaluate import CONFIG_CAUSES, load_aspects
from assetsvc.tickets.config import TicketsConfig

DEGRADING = ("stream", "picture", "clock")


@dataclass(frozen=True)
class Fault:
    kind: str
    cause: str
    since: float


@dataclass(frozen=True)
class Cleared:
    kind: str
    at: float


def assess(subject_type: str, state: Mapping[str, Any] | None, drift: Iterable[Mapping[str, Any]],
           config: TicketsConfig, now: float) -> dict[str, Fault | Cleared]:
    """The device's condition per fault kind. `state`: its DeviceState row (state, cause, since,
    aspects); `drift`: its drift flags (kind, first_seen, cleared_at)."""
    out: dict[str, Fault | Cleared] = {}
    if subject_type == "camera":
        _drift(drift, now, out)
    if state is None:
        return out
    aspects = load_aspects(state.get("aspects"))
    label, cause, since = state["state"], state["cause"] or "", float(state["since"])
    if label == "down":
        if cause != "upstream":  # a camera behind a dead switch is that switch's ticket
            out["down"] = Fault("down", cause, since)
    elif label in ("up", "degraded"):
        out["down"] = Cleared("down", since)
        for name in DEGRADING:
            aspect = aspects[name]
            if aspect["ok"] is False and aspect["cause"] in CONFIG_CAUSES:
                continue  # the record names a stream that is not there: the office's to fix, not a fault
            if aspect["ok"] is False:
                out[name] = Fault(name, aspect["cause"] or name, float(aspect["since"] or since))
            else:
                out[name] = Cleared(name, float(aspect["since"] or since))
    loop = _reboot_loop(aspects, config, now)
    if loop is not None:
        out["reboot_loop"] = loop
    return out


def _reboot_loop(aspects: Mapping[str, Any], config: TicketsConfig, now: float) -> Fault | Cleared | None:
    uptime = aspects.get("uptime")
    if uptime is None:
        return None
    recent = [t for t in uptime.get("reboots", ()) if now - config.reboot_window_s <= t <= now]
    if len(recent) >= config.reboots:
        return Fault("reboot_loop", f"{len(recent)} reboots", min(recent))
    return Cleared("reboot_loop", now)


def _drift(flags: Iterable[Mapping[str, Any]], now: float, out: dict) -> None:
    # Configuration problems of the record (a stream path that is not there) are the office's.
    flags = [f for f in flags if f["kind"] not in CONFIG_KINDS]
    open_ = [f for f in flags if f["cleared_at"] is None]
    if open_:
        kinds = ",".join(sorted({f["kind"] for f in open_}))
        out["drift"] = Fault("drift", f"drift:{kinds}"[:64], min(float(f["first_seen"]) for f in open_))
    else:
        out["drift"] = Cleared("drift", max((float(f["cleared_at"]) for f in flags), default=now))
