"""A device's measured state and its fault aspects as frozen records (状态与故障维度).

Decoded once where monitoring reads `device_state` (the writer's `states`, the ticket seam's
`device_record`), taken and returned by the evaluator's pure functions, and encoded once where the
writer stores them. Decoding is hostile-proof: a garbled stored value becomes an unknown part,
never an error. The stored JSON of `device_state.aspects` is unchanged:
{aspect: {ok, cause, since, at, pending: null | {ok, count, first, last, cause[, by]}}, reach also
primary_at; "uptime": {s, at, reboots}}; a picture fault and its streak also `by` (which check saw
it: "continuity" or "snapshot"), stored only when set, so records stored before it read as they were.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from typing import Any, Mapping

ASPECTS = ("reach", "stream", "picture", "clock")  # fault kinds tracked per device
STATES = ("up", "degraded", "down", "unknown")
DEGRADING = ("stream", "picture", "clock")  # the aspects that make a reachable device degraded, in cause order
REBOOTS_KEPT = 20  # reboot instants kept in the uptime record (reboot loops)
CAUSE_MAX = 64  # width of DeviceState.cause and StateInterval.cause


def number(value: Any) -> float | None:
    """A finite float, or None for anything else (bool, text, NaN, infinity, huge integers)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        result = float(value)
    except OverflowError:
        return None
    return result if math.isfinite(result) else None


def text(value: Any) -> str:
    """A stored cause: text cut to CAUSE_MAX, anything else empty."""
    return value[:CAUSE_MAX] if isinstance(value, str) else ""


@dataclass(frozen=True)
class Pending:
    """A streak of results that disagree with an aspect's confirmed status."""

    ok: bool
    count: int
    first: float
    last: float
    cause: str
    by: str = ""
    """Which check's results make a failing picture streak (BY): "continuity" only when every one of
    them was the stream continuity check's; "" for other aspects and streaks stored before."""

    @classmethod
    def from_json(cls, raw: Any) -> Pending | None:
        if not isinstance(raw, Mapping) or not isinstance(raw.get("ok"), bool):
            return None
        first, last, count = number(raw.get("first")), number(raw.get("last")), raw.get("count")
        if first is None or last is None or not isinstance(count, int) or isinstance(count, bool) or count < 1:
            return None
        return cls(raw["ok"], count, first, max(first, last), text(raw.get("cause")), _by(raw.get("by")))

    def to_json(self) -> dict[str, Any]:
        out = {"ok": self.ok, "count": self.count, "first": self.first, "last": self.last, "cause": self.cause}
        if self.by:
            out["by"] = self.by
        return out


BY = ("continuity", "snapshot")
"""The checks a picture fault can come from: the stream continuity check (rtsp_continuity: key frames
coded alike) and the snapshot picture check (the image-quality verdict of onvif_deep and rtsp_frame)."""


def _by(value: Any) -> str:
    return value if value in BY else ""


@dataclass(frozen=True)
class Aspect:
    """One fault aspect: confirmed ok True/False (None: never confirmed), its cause and since when,
    the newest result applied (`at`), a pending streak, and for reach the newest light-check result."""

    ok: bool | None = None
    cause: str = ""
    since: float | None = None
    at: float | None = None
    pending: Pending | None = None
    primary_at: float | None = None
    by: str = ""
    """Which check a confirmed picture fault comes from (BY); "" when ok, for other aspects, and for a
    fault stored before this was kept (its check unknown)."""

    @classmethod
    def from_json(cls, raw: Any) -> Aspect:
        raw = raw if isinstance(raw, Mapping) else {}
        ok = raw.get("ok")
        return cls(ok if isinstance(ok, bool) else None, text(raw.get("cause")), number(raw.get("since")),
                   number(raw.get("at")), Pending.from_json(raw.get("pending")), number(raw.get("primary_at")),
                   _by(raw.get("by")))

    def to_json(self) -> dict[str, Any]:
        out = {"ok": self.ok, "cause": self.cause, "since": self.since, "at": self.at,
               "pending": None if self.pending is None else self.pending.to_json()}
        if self.primary_at is not None:
            out["primary_at"] = self.primary_at
        if self.by:
            out["by"] = self.by
        return out

    @property
    def failing(self) -> bool:
        """Confirmed failing, or on a streak of failures."""
        return self.ok is False or (self.pending is not None and self.pending.ok is False)


@dataclass(frozen=True)
class Uptime:
    """The newest SNMP sysUpTime reading and the reboot instants of the last day."""

    s: float
    at: float
    reboots: tuple[float, ...] = ()

    @classmethod
    def from_json(cls, raw: Any) -> Uptime | None:
        if not isinstance(raw, Mapping) or number(raw.get("s")) is None or number(raw.get("at")) is None:
            return None
        reboots = raw.get("reboots")
        kept = [float(t) for t in reboots if number(t) is not None] if isinstance(reboots, list) else []
        return cls(float(raw["s"]), float(raw["at"]), tuple(kept[-REBOOTS_KEPT:]))

    def to_json(self) -> dict[str, Any]:
        return {"s": self.s, "at": self.at, **({"reboots": list(self.reboots)} if self.reboots else {})}


@dataclass(frozen=True)
class Aspects:
    """A device's four fault aspects (`aspects["reach"]` reads one) and its uptime record."""

    reach: Aspect = Aspect()
    stream: Aspect = Aspect()
    picture: Aspect = Aspect()
    clock: Aspect = Aspect()
    uptime: Uptime | None = None

    def __getitem__(self, name: str) -> Aspect:
        if name not in ASPECTS:
            raise KeyError(name)
        return getattr(self, name)

    def with_aspect(self, name: str, aspect: Aspect) -> Aspects:
        if name not in ASPECTS:
            raise KeyError(name)
        return replace(self, **{name: aspect})

    @classmethod
    def from_json(cls, raw: Any) -> Aspects:
        """From whatever is stored (unknown keys are dropped, garbled parts read as unknown)."""
        raw = raw if isinstance(raw, Mapping) else {}
        return cls(*(Aspect.from_json(raw.get(name)) for name in ASPECTS), Uptime.from_json(raw.get("uptime")))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: self[name].to_json() for name in ASPECTS}
        if self.uptime is not None:
            out["uptime"] = self.uptime.to_json()
        return out


@dataclass(frozen=True)
class StateRecord:
    """A device's measured state as stored in device_state: state, cause, topmost dead upstream
    device, since when, aspects and the newest result time. `since` None: not readable from storage."""

    state: str = "unknown"
    cause: str = ""
    root_upstream: int | None = None
    since: float | None = None
    aspects: Aspects = Aspects()
    last_seen: float | None = None

    @classmethod
    def decode(cls, state: Any, cause: Any, root_upstream: Any, since: Any, aspects: Any,
               last_seen: Any) -> StateRecord:
        """From stored column values (aspects as JSON text or its parsed form); never raises."""
        if isinstance(aspects, (str, bytes)):
            try:
                aspects = json.loads(aspects)
            except ValueError:
                aspects = {}
        return cls(state if state in STATES else "unknown", text(cause),
                   root_upstream if isinstance(root_upstream, int) and not isinstance(root_upstream, bool) else None,
                   number(since), aspects if isinstance(aspects, Aspects) else Aspects.from_json(aspects),
                   number(last_seen))

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> StateRecord:
        """From a device_state row (state, cause, root_upstream, since, aspects, last_seen)."""
        return cls.decode(row.get("state"), row.get("cause"), row.get("root_upstream"), row.get("since"),
                          row.get("aspects"), row.get("last_seen"))

    @property
    def reboots(self) -> tuple[float, ...] | None:
        """Reboot instants of the last day; None: no uptime readings at all."""
        return None if self.aspects.uptime is None else self.aspects.uptime.reboots
