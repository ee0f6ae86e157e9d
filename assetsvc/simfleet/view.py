"""What a protocol handler (ONVIF, RTSP, SNMP) sees of the fleet: its answer modes and a Protocol.

The handlers are written against `FleetView`, not against `Fleet`, so fleet.py can import them
(it starts their listeners) without the handlers importing fleet.py back.
"""

from __future__ import annotations

import asyncio
import collections
from dataclasses import dataclass
from typing import Protocol

from assetsvc.simfleet.layout import Layout
from assetsvc.simfleet.pictures import Pictures
from assetsvc.simfleet.scenarios import Condition

REFUSE, SILENT, UP = "refuse", "silent", "up"  # how a device answers a connection right now


@dataclass(frozen=True)
class Ports:
    """One port per protocol, the same on every device address (0: let the kernel choose)."""

    onvif: int = 8000
    rtsp: int = 8554
    snmp: int = 16100


class FleetView(Protocol):
    """The fleet's state and settings as the protocol handlers read them (Fleet provides them)."""

    layout: Layout
    ports: Ports
    pictures: Pictures | None
    stats: collections.Counter[str]
    grabs: collections.Counter[int]
    connections: set[asyncio.BaseTransport]
    max_connections: int
    connection_timeout_s: float
    username: str
    community: bytes
    nonce: str
    rtsp_auth: bool

    def camera_state(self, address: str, t: float | None = None) -> tuple[int, str, Condition] | None: ...

    def camera_link_up(self, n: int) -> bool: ...

    def upstream_down(self, address: str) -> bool: ...

    def upstream_uptime_s(self, address: str) -> float: ...

    def password_for(self, condition: Condition) -> str: ...
