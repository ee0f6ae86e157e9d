"""SNMP v1/v2c agents of the simulated switches and encoders, all on one loopback UDP socket.

Each upstream device answers GET, GETNEXT and GETBULK for the system group (sysDescr,
sysObjectID, sysUpTime, sysContact, sysName, sysLocation) and an IF-MIB table with one port per
camera behind it (ifOperStatus follows that camera) plus an uplink. A wrong community, a dead
device or anything that is not a v1/v2c request is dropped in silence, as real agents do.
"""

from __future__ import annotations

import asyncio
import bisect
import socket

from assetsvc.simfleet import ber
from assetsvc.simfleet.listen import ANCILLARY_SIZE, destination, source_option
from assetsvc.simfleet.view import FleetView

SYSTEM = (1, 3, 6, 1, 2, 1, 1)
IF_NUMBER = (1, 3, 6, 1, 2, 1, 2, 1, 0)
IF_ENTRY = (1, 3, 6, 1, 2, 1, 2, 2, 1)
MAX_REPETITIONS = 32
MAX_REPLY_VARBINDS = 256
BURST = 64  # datagrams read per readiness callback, so one busy socket cannot starve the loop


class SnmpAgents:
    """Reads requests for every upstream address from one socket and answers from that address."""

    def __init__(self, fleet: FleetView, sock: socket.socket) -> None:
        self.fleet, self.sock = fleet, sock

    def start(self) -> None:
        asyncio.get_running_loop().add_reader(self.sock.fileno(), self._readable)

    def close(self) -> None:
        asyncio.get_running_loop().remove_reader(self.sock.fileno())
        self.sock.close()

    def _readable(self) -> None:
        stats = self.fleet.stats
        for _ in range(BURST):
            try:
                data, ancillary, flags, peer = self.sock.recvmsg(4096, ANCILLARY_SIZE)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                stats["errors"] += 1
                return
            stats["snmp_datagrams"] += 1
            dest = destination(ancillary)
            if dest is None or flags & socket.MSG_TRUNC:
                continue
            try:
                reply = self.answer(data, socket.inet_ntoa(dest))
            except Exception:  # noqa: BLE001 - no datagram may stop the agents
                stats["errors"] += 1
                continue
            if reply is not None:
                try:
                    self.sock.sendmsg([reply], source_option(dest), 0, peer)
                    stats["snmp_answers"] += 1
                except OSError:
                    stats["errors"] += 1

    def answer(self, data: bytes, address: str) -> bytes | None:
        """The response to one datagram sent to `address`, or None to stay silent."""
        fleet = self.fleet
        k = fleet.layout.upstream_index(address)
        if k is None or fleet.upstream_down(address):
            return None
        try:
            request = ber.parse_request(data)
        except (ValueError, IndexError):
            return None
        if request.community != fleet.community:
            return None
        mib = Mib(fleet, k)
        if request.pdu == ber.GET:
            return _get(request, mib)
        if request.pdu == ber.GETNEXT:
            return _getnext(request, mib)
        return _getbulk(request, mib)


class Mib:
    """The objects of upstream device k at this moment; the interface table is built only when asked."""

    def __init__(self, fleet: FleetView, k: int) -> None:
        self.fleet, self.k = fleet, k
        self._sorted: list[tuple[tuple[int, ...], bytes]] | None = None

    def system(self) -> dict[tuple[int, ...], bytes]:
        device = self.fleet.layout.upstream(self.k)
        uptime = self.fleet.upstream_uptime_s(device.address)
        return {
            SYSTEM + (1, 0): ber.octets(device.sys_descr),
            SYSTEM + (2, 0): ber.oid(ber.parse_oid_text(device.sys_object_id)),
            SYSTEM + (3, 0): ber.unsigned(int(uptime * 100), ber.TIMETICKS),
            SYSTEM + (4, 0): ber.octets("运维值班室 0772-0000000"),
            SYSTEM + (5, 0): ber.octets(device.sys_name),
            SYSTEM + (6, 0): ber.octets(f"simfleet upstream {self.k + 1}"),
        }

    def entries(self) -> list[tuple[tuple[int, ...], bytes]]:
        if self._sorted is None:
            layout, fleet = self.fleet.layout, self.fleet
            ports = layout.per_upstream + 1  # one per camera, then the uplink
            cameras = layout.cameras_of(self.k)
            rows = {}
            for port in range(1, ports + 1):
                n = cameras.start + port - 1
                uplink = port == ports
                up = uplink or (n < cameras.stop and fleet.camera_link_up(n))
                rows[IF_ENTRY + (1, port)] = ber.integer(port)
                rows[IF_ENTRY + (2, port)] = ber.octets(f"GigabitEthernet0/0/{port}" + (" (uplink)" if uplink else ""))
                rows[IF_ENTRY + (8, port)] = ber.integer(1 if up else 2)
                rows[IF_ENTRY + (14, port)] = ber.unsigned(0, ber.COUNTER32)
            rows.update(self.system())
            rows[IF_NUMBER] = ber.integer(ports)
            self._sorted = sorted(rows.items())
        return self._sorted

    def get(self, name: tuple[int, ...]) -> bytes | None:
        if name[:len(SYSTEM)] == SYSTEM:
            return self.system().get(name)
        return dict(self.entries()).get(name)

    def next(self, name: tuple[int, ...]) -> tuple[tuple[int, ...], bytes] | None:
        entries = self.entries()
        at = bisect.bisect_right(entries, name, key=lambda entry: entry[0])
        return entries[at] if at < len(entries) else None


def _get(request: ber.Request, mib: Mib) -> bytes:
    system = mib.system() if all(o[:len(SYSTEM)] == SYSTEM for o in request.oids) else None
    varbinds = []
    for index, name in enumerate(request.oids, 1):
        value = system.get(name) if system is not None else mib.get(name)
        if value is None:
            if request.version == 0:  # SNMPv1: the whole request fails with noSuchName
                return ber.response(request, [(o, ber.NULL_VALUE) for o in request.oids], 2, index)
            value = ber.NO_SUCH_OBJECT
        varbinds.append((name, value))
    return ber.response(request, varbinds)


def _getnext(request: ber.Request, mib: Mib) -> bytes:
    varbinds = []
    for index, name in enumerate(request.oids, 1):
        found = mib.next(name)
        if found is None:
            if request.version == 0:
                return ber.response(request, [(o, ber.NULL_VALUE) for o in request.oids], 2, index)
            found = (name, ber.END_OF_MIB_VIEW)
        varbinds.append(found)
    return ber.response(request, varbinds)


def _getbulk(request: ber.Request, mib: Mib) -> bytes:
    """RFC 3416 4.2.3: non-repeaters once, then up to max-repetitions rows of the rest."""
    non_repeaters = max(0, min(request.non_repeaters, len(request.oids)))
    repetitions = max(0, min(request.max_repetitions, MAX_REPETITIONS))
    varbinds = []
    for name in request.oids[:non_repeaters]:
        varbinds.append(mib.next(name) or (name, ber.END_OF_MIB_VIEW))
    last = list(request.oids[non_repeaters:])
    for _ in range(repetitions if last else 0):
        if len(varbinds) + len(last) > MAX_REPLY_VARBINDS:
            break
        row = [mib.next(name) or (name, ber.END_OF_MIB_VIEW) for name in last]
        varbinds += row
        last = [name for name, _ in row]
        if all(value == ber.END_OF_MIB_VIEW for _, value in row):
            break
    return ber.response(request, varbinds)
