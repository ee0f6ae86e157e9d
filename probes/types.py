"""Typed probe inputs and outputs shared by every protocol module."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Mapping

from probes.facts import Facts, NoFacts


class ErrorKind(str, enum.Enum):
    """Why a probe failed; everything downstream reads this, never exception text."""

    TIMEOUT = "timeout"  # no (complete) answer within the probe's time limit
    REFUSED = "refused"  # connection refused, reset, or host/port unreachable
    AUTH = "auth"  # credentials rejected (including generic "not authorized" faults)
    PROTOCOL = "protocol"  # the peer answered, but with something malformed or unexpected
    UNSUPPORTED = "unsupported"  # the device does not offer the operation asked for
    CLOCK = "clock"  # clock skew large enough to break authentication (WS-Security)
    # The device answered that what the record names is not there: an RTSP stream path answered
    # 404 or 454. A fault of the registry record (the office's), never of the device or its contractor.
    CONFIG = "config"
    # The device answered but serves no further session now: RTSP 453, its viewer limit reached by
    # others. Not a fault of the device; the next scheduled check tries again.
    BUSY = "busy"
    # The device does not offer the transport our client asks for (RTSP 461): the platform's to fix.
    TRANSPORT = "transport"


class ProbeError(Exception):
    """Raised by a probe function to report a classified failure."""

    def __init__(self, kind: ErrorKind, message: str, facts: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.facts = dict(facts or {})


@dataclass(frozen=True)
class Credentials:
    """A device login; repr never shows the password."""

    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class ProbeTarget:
    """What to probe: an address, its ports and how to log in."""

    host: str
    onvif_port: int = 80
    rtsp_port: int = 554
    snmp_port: int = 161
    http_port: int = 80
    credentials: Credentials | None = None
    snmp_community: str = "public"
    snmp_v3: Mapping[str, str] | None = None  # user, auth_key, priv_key, auth_proto, priv_proto
    rtsp_path: str = "/"
    options: Mapping[str, Any] = field(default_factory=dict)  # per-probe settings


@dataclass(frozen=True)
class ProbeResult:
    """The outcome of one probe: frozen, built only by the runner."""

    kind: str
    target: str
    ok: bool
    duration_s: float
    error: ErrorKind | None = None
    message: str = ""
    facts: Facts = field(default_factory=NoFacts)  # the kind's record (probes.facts), typed by the runner

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "target": self.target, "ok": self.ok,
            "duration_s": round(self.duration_s, 4),
            "error": self.error.value if self.error else None,
            "message": self.message, "facts": self.facts.to_json(),
        }
