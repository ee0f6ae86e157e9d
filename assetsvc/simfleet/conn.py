"""One TCP connection to a simulated device: which device was dialled, whether it is up, framing caps.

The shared listener accepts for every address; here the connection learns the address the
client dialled (its own socket name) and asks the fleet what that device is doing right now:
up (answer), refuse (reset the connection at once: the probe sees REFUSED) or silent (take the
bytes and never answer until the client gives up: TIMEOUT). Every connection has a deadline, and
the number open at once is capped, so a misbehaving client cannot pin the simulator's descriptors.
"""

from __future__ import annotations

import asyncio
import socket
import struct

from assetsvc.simfleet.view import REFUSE, SILENT, FleetView
_LINGER_RESET = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST, not FIN


def reset(transport: asyncio.BaseTransport) -> None:
    """Drop the connection with a TCP reset (as a closed port or a crashing daemon does)."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
        except OSError:
            pass  # already gone
    transport.abort()


class DeviceConnection(asyncio.Protocol):
    """Base for the ONVIF HTTP and RTSP connections; subclasses implement `process()`."""

    protocol = "tcp"  # stats key
    max_buffer = 65536  # a request head and body never need more

    def __init__(self, fleet: FleetView) -> None:
        self.fleet = fleet
        self.transport: asyncio.Transport | None = None
        self.address = ""
        self.local_port = 0
        self.buffer = b""
        self.silent = False
        self.state: tuple | None = None  # (camera index, mode, Condition) as of the last admit()
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        fleet = self.fleet
        if len(fleet.connections) >= fleet.max_connections:
            fleet.stats["overflow"] += 1
            reset(transport)
            return
        sockname = transport.get_extra_info("sockname")
        self.address, self.local_port = sockname[0], sockname[1]
        fleet.connections.add(transport)
        timeout = fleet.connection_timeout_s
        self._deadline = asyncio.get_running_loop().call_later(timeout, self._expire)
        self.admit()

    def admit(self) -> bool:
        """Check the device's state (at connect and before every request); False when not answering."""
        state = self.state = self.fleet.camera_state(self.address)
        if state is None or state[1] == REFUSE:
            self.fleet.stats[f"{self.protocol}_refused"] += 1
            reset(self.transport)
            return False
        if state[1] == SILENT:
            self.fleet.stats[f"{self.protocol}_silent"] += 1
            self.silent, self.buffer = True, b""
            return False
        return True

    def data_received(self, data: bytes) -> None:
        if self.silent:
            return  # a dead device: bytes go nowhere
        self.buffer += data
        try:
            self.process()
        except Exception:  # noqa: BLE001 - the simulator must outlive any request it is sent
            self.fleet.stats["errors"] += 1
            reset(self.transport)

    def process(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def send(self, data: bytes, close: bool) -> None:
        self.transport.write(data)
        if close:
            self.transport.close()

    def _expire(self) -> None:
        self.fleet.stats["expired"] += 1
        reset(self.transport)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self.fleet.connections.discard(self.transport)
        self.buffer = b""
