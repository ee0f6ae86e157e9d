"""A probe's facts per protocol as frozen records, typed once where the runner builds the result.

Each probe function still returns a plain dict (protocol modules stay simple); `run_probe` turns it
into the record of its kind with `typed()`, which refuses a key the record does not declare, so a
probe that starts returning something new fails its tests until the record here says what it is.

A record remembers which keys the probe set (`present`): a failed probe reports only what it
learnt before failing, and `to_json()` writes exactly those keys, the form stored in
`device_state.facts` and `result_history.facts` since the first migration. Records also read as a
mapping (`facts["clock_offset_s"]`, `facts.get("iq")`), so callers may move to attributes at their
own pace; nested parts (SDP media, ONVIF profiles, SNMP interfaces, discovered devices) stay their
JSON shape.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar


class UnknownFact(ValueError):
    """A probe reported a key its facts record does not declare: update probes/facts.py."""


class Facts(Mapping[str, Any]):
    """Base of every facts record: key checking, the stored form and read-only mapping access."""

    KIND: ClassVar[str] = ""
    present: tuple[str, ...] | None

    def __post_init__(self) -> None:
        names = self.field_names()
        if self.present is None:  # built in code with keywords: every declared key counts
            object.__setattr__(self, "present", names)
        unknown = [k for k in self.present if k not in names]
        if unknown:
            raise UnknownFact(f"{self.KIND or type(self).__name__} facts have no key {', '.join(map(repr, unknown))}")

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls) if f.name != "present")  # type: ignore[arg-type]

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> "Facts":
        """The record of what a probe returned; UnknownFact names any undeclared key."""
        names = cls.field_names()
        unknown = [k for k in raw if k not in names]
        if unknown:
            raise UnknownFact(f"{cls.KIND or cls.__name__} facts have no key {', '.join(map(repr, unknown))}")
        return cls(**dict(raw), present=tuple(raw))  # type: ignore[call-arg]

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> "Facts":
        """The record of a stored form (what `to_json` wrote); as strict as `from_raw`."""
        return cls.from_raw({k: cls._decode(k, v) for k, v in doc.items()})

    @classmethod
    def _decode(cls, key: str, value: Any) -> Any:
        return value

    def to_json(self) -> dict[str, Any]:
        """The stored form: the present keys, values made JSON-safe (bytes and pictures summarised)."""
        return {k: jsonable(getattr(self, k)) for k in self.present or ()}

    # read-only mapping access over the present keys
    def __getitem__(self, key: str) -> Any:
        if key not in (self.present or ()):
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self.present or ())

    def __len__(self) -> int:
        return len(self.present or ())


@dataclass(frozen=True)
class NoFacts(Facts):
    """A kind without a record (tests, ad-hoc probes): it may only report nothing."""

    present: tuple[str, ...] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class TcpFacts(Facts):
    """tcp: connect time per open port; on refusal, the ports that did not accept."""

    KIND: ClassVar[str] = "tcp"
    connect_ms: Mapping[int, float] | None = None
    closed_ports: list[int] | None = None
    present: tuple[str, ...] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class OnvifLightFacts(Facts):
    """onvif_light: the device clock (GetSystemDateAndTime) against ours."""

    KIND: ClassVar[str] = "onvif_light"
    device_utc: dt.datetime | None = None
    clock_offset_s: float | None = None
    ntp: bool | None = None
    tz: str | None = None
    dst: bool | None = None
    date_time_needs_auth: bool | None = None
    rtt_ms: float | None = None
    present: tuple[str, ...] | None = field(default=None, repr=False)

    @classmethod
    def _decode(cls, key: str, value: Any) -> Any:
        return dt.datetime.fromisoformat(value) if key == "device_utc" and isinstance(value, str) else value


@dataclass(frozen=True)
class OnvifDeepFacts(OnvifLightFacts):
    """onvif_deep: clock, identity, MACs, profiles, one snapshot; `iq`/`iq_error` are added by the
    monitoring executor once it has judged the snapshot (which it then drops, never stored)."""

    KIND: ClassVar[str] = "onvif_deep"
    manufacturer: str | None = None
    model: str | None = None
    firmware: str | None = None
    serial: str | None = None
    hardware_id: str | None = None
    macs: list[str] | None = None
    profiles: list[Mapping[str, Any]] | None = None
    snapshot: bytes | None = None
    snapshot_content_type: str | None = None
    snapshot_size: int | None = None
    snapshot_profile: str | None = None
    errors: Mapping[str, str] | None = None  # optional operation -> error kind value
    iq: Mapping[str, Any] | None = None
    iq_error: str | None = None
    present: tuple[str, ...] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class RtspFacts(Facts):
    """rtsp: OPTIONS/DESCRIBE outcome and the parsed SDP (`parse_sdp`'s shape)."""

    KIND: ClassVar[str] = "rtsp"
    url: str | None = None
    status: int | None = None
    server: str | None = None
    public_methods: list[str] | None = None
    auth: str | None = None
    sdp: Mapping[str, Any] | None = None
    has_video: bool | None = None
    present: tuple[str, ...] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class RtspFrameFacts(Facts):
    """rtsp_frame: one decoded frame (or two, `gap_ms` apart); `iq`/`iq_error` as for onvif_deep."""

    KIND: ClassVar[str] = "rtsp_frame"
    width: int | None = None
    height: int | None = None
    codec: str | None = None
    grab_ms: float | None = None
    frame: Any = None  # numpy array (BGR); dropped by the executor, never stored
    frames: list[Any] | None = None
    gap_ms: float | None = None
    iq: Mapping[str, Any] | None = None
    iq_error: str | None = None
    present: tuple[str, ...] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class RtspContinuityFacts(Facts):
    """rtsp_continuity: the stream read for a window (the URL read, without the login) and its verdict
    (ok, stalled, frozen, low_fps, still); `fps` from the stream's timestamps (`arrival_fps` on our
    clock) against `low_fps_under`, from `declared_fps` (the option, else the lower of the stream's
    own and ONVIF's FrameRateLimit: `declared_from`), `changed_share` between decoded samples
    and `repeat_diff`, the mean difference of the unchanged pixels of the two most alike (a repeat's
    is about 0)."""

    KIND: ClassVar[str] = "rtsp_continuity"
    url: str | None = None
    verdict: str | None = None
    frame_count: int | None = None
    read_s: float | None = None
    fps: float | None = None
    declared_fps: float | None = None
    declared_from: str | None = None  # config | stream | onvif
    arrival_fps: float | None = None
    low_fps_under: float | None = None
    slow_unjudged: bool | None = None  # under low_fps_under, but too few key frames to tell it moves: not judged
    longest_gap_s: float | None = None
    key_frames: int | None = None
    samples: int | None = None
    changed_share: float | None = None
    repeat_diff: float | None = None
    codec: str | None = None
    width: int | None = None
    height: int | None = None
    present: tuple[str, ...] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class SnmpFacts(Facts):
    """snmp and snmp_light: the system group (light: version, uptime, object id) and IF-MIB rows."""

    KIND: ClassVar[str] = "snmp"
    snmp_version: str | None = None
    sys_uptime_s: float | None = None
    sys_object_id: str | None = None
    sys_descr: str | None = None
    sys_name: str | None = None
    interfaces: Mapping[Any, Mapping[str, Any]] | None = None  # ifIndex -> row (str keys once stored)
    interfaces_truncated: bool | None = None
    interfaces_error: str | None = None
    rejected_replies: list[str] | None = None
    present: tuple[str, ...] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class WsDiscoveryFacts(Facts):
    """wsdiscovery: devices that answered a Probe, dropped datagrams, and the diff to the registry."""

    KIND: ClassVar[str] = "wsdiscovery"
    devices: list[Mapping[str, Any]] | None = None
    dropped: Mapping[str, int] | None = None
    datagrams: int | None = None
    duplicates: int | None = None
    truncated: bool | None = None
    unknown: list[Mapping[str, Any]] | None = None
    missing: list[str] | None = None
    present: tuple[str, ...] | None = field(default=None, repr=False)


RECORDS: dict[str, type[Facts]] = {
    "tcp": TcpFacts, "onvif_light": OnvifLightFacts, "onvif_deep": OnvifDeepFacts,
    "rtsp": RtspFacts, "rtsp_frame": RtspFrameFacts, "rtsp_continuity": RtspContinuityFacts, "snmp": SnmpFacts, "snmp_light": SnmpFacts,
    "wsdiscovery": WsDiscoveryFacts,
}


def typed(kind: str, raw: Mapping[str, Any]) -> Facts:
    """The facts record for a probe kind; UnknownFact if the kind's record lacks a key."""
    if isinstance(raw, Facts):
        return raw
    return RECORDS.get(kind, NoFacts).from_raw(raw)


def from_json(kind: str, doc: Mapping[str, Any]) -> Facts:
    """The facts record of a stored form."""
    return RECORDS.get(kind, NoFacts).from_json(doc)


def jsonable(value: Any) -> Any:
    """A value in its stored JSON form: bytes and decoded pictures summarised, enums by value."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if hasattr(value, "shape") and hasattr(value, "dtype"):  # a decoded frame (numpy array)
        return f"<image {'x'.join(map(str, value.shape))}>"
    if isinstance(value, enum.Enum):
        return value.value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "to_json"):
        return value.to_json()
    return repr(value)
