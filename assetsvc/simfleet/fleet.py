"""The simulated camera fleet (仿真设备群): one process, three loopback sockets, any number of devices.

    fleet = Fleet(100_000, seed=7, mix=Mix())        # scripted faults drawn from the seed
    await fleet.start()                              # ONVIF :8000, RTSP :8554, SNMP :16100 by default
    fleet.set("127.16.0.5", Fault.OUTAGE)            # take a camera down now ...
    fleet.clear("127.16.0.5")                        # ... and give it back to its script
    await fleet.stop()

Device state is looked up when a request arrives (see scenarios.py); nothing runs per device.
"""

from __future__ import annotations

import asyncio
import collections
import math
import secrets
import time
from typing import Callable, Sequence

from assetsvc.simfleet.layout import Drift, Layout, mix_hash
from assetsvc.simfleet.listen import BACKLOG, raise_nofile_limit, tcp_listener, udp_socket
from assetsvc.simfleet.onvif import OnvifConnection
from assetsvc.simfleet.pictures import Pictures
from assetsvc.simfleet.rtsp import RtspConnection
from assetsvc.simfleet.scenarios import HEALTHY, Condition, Episode, Fault, Mix, Script, active, plan
from assetsvc.simfleet.snmp import SnmpAgents
from assetsvc.simfleet.view import REFUSE, SILENT, UP, Ports

UNREACHABLE = Condition(Fault.UNREACHABLE)


class _Addresses(Sequence[str]):
    """The addresses of a device range, computed on access (no list of 100,000 strings)."""

    def __init__(self, count: int, address: Callable[[int], str], index: Callable[[str], int | None]) -> None:
        self._count, self._address, self._index = count, address, index

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, item):  # type: ignore[override]
        if isinstance(item, slice):
            return [self._address(n) for n in range(self._count)[item]]
        return self._address(range(self._count)[item])

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and self._index(value) is not None


class Fleet:
    """Simulated cameras behind simulated switches and encoders, with scripted and manual faults."""

    def __init__(self, count: int, *, seed: int = 0, ports: Ports = Ports(), mix: Mix | None = None,
                 script: Script | None = None, horizon_s: float = 3600.0, clock: Callable[[], float] = time.time,
                 epoch: float | None = None, username: str = "admin", password: str = "Sim-Fleet-2026",
                 community: str = "public", rtsp_auth: bool = True, per_upstream: int = 16,
                 encoder_every: int = 8, drifts: bool = True, max_connections: int = 8192,
                 connection_timeout_s: float = 30.0) -> None:
        self.layout = Layout(count, seed=seed, per_upstream=per_upstream, encoder_every=encoder_every, drifts=drifts)
        self.seed, self.horizon_s = seed, horizon_s
        self.script: dict[str, tuple[Episode, ...]] = (
            dict(script) if script is not None else plan(self.layout, seed, mix, horizon_s) if mix else {})
        self.clock, self.epoch = clock, epoch
        self.username, self.password, self.community = username, password, community.encode()
        self.rtsp_auth = rtsp_auth
        self.max_connections, self.connection_timeout_s = max_connections, connection_timeout_s
        self.requested_ports = ports
        self.ports = ports  # the real ones once started
        self.nonce = secrets.token_hex(16)  # HTTP/RTSP Digest nonce, one per fleet run
        self.stats: collections.Counter[str] = collections.Counter()
        # Snapshots served per device: each camera's next grab is its next scene frame. A fleet-wide
        # counter gave a camera the same frame every cycle whenever the fleet size was a multiple
        # of the frame count, and picture memory rightly called that frozen.
        self.grabs: collections.Counter[int] = collections.Counter()
        self.connections: set[asyncio.BaseTransport] = set()
        self.pictures: Pictures | None = None
        self._overrides: dict[str, Episode] = {}
        self._boots: dict[str, float] = {}  # upstream address -> scenario time it came back up
        self._servers: list[asyncio.AbstractServer] = []
        self._snmp = None

    # --- life cycle -----------------------------------------------------------------------------
    async def start(self) -> Fleet:
        soft, _ = raise_nofile_limit()
        # Keep descriptors in hand for the listeners and the process itself: past the limit,
        # accept() fails with EMFILE and asyncio stops accepting for a while.
        self.max_connections = max(1, min(self.max_connections, soft - 64))
        loop = asyncio.get_running_loop()
        self.pictures = self.pictures or await loop.run_in_executor(None, Pictures.render)
        wanted = self.requested_ports
        try:
            # asyncio's create_server calls listen() again with its own backlog (100), replacing the
            # socket's: a burst of probes then loses SYNs and waits a second for the retry.
            onvif = await loop.create_server(lambda: OnvifConnection(self), sock=tcp_listener(wanted.onvif),
                                             backlog=BACKLOG)
            self._servers.append(onvif)
            rtsp = await loop.create_server(lambda: RtspConnection(self), sock=tcp_listener(wanted.rtsp),
                                            backlog=BACKLOG)
            self._servers.append(rtsp)
            self._snmp = SnmpAgents(self, udp_socket(wanted.snmp))
            self._snmp.start()
        except BaseException:
            await self.stop()
            raise
        self.ports = Ports(onvif.sockets[0].getsockname()[1], rtsp.sockets[0].getsockname()[1],
                           self._snmp.sock.getsockname()[1])
        if self.epoch is None:
            self.epoch = self.clock()
        return self

    async def stop(self) -> None:
        for server in self._servers:
            server.close()
        for transport in list(self.connections):
            transport.abort()  # 3.11's Server.close() leaves accepted connections open
        for server in self._servers:
            await server.wait_closed()
        self._servers = []
        if self._snmp is not None:
            self._snmp.close()
            self._snmp = None

    async def __aenter__(self) -> Fleet:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- what there is --------------------------------------------------------------------------
    @property
    def addresses(self) -> Sequence[str]:
        """Every camera address, in index order."""
        layout = self.layout
        return _Addresses(layout.count, layout.camera_address, layout.camera_index)

    @property
    def upstream_addresses(self) -> Sequence[str]:
        """Every switch and encoder address (SNMP agents), in index order."""
        layout = self.layout
        return _Addresses(layout.upstream_count, layout.upstream_address, layout.upstream_index)

    def drifts(self) -> list[Drift]:
        return self.layout.drifts()

    def now(self) -> float:
        """Seconds on the scenario clock since the fleet's epoch."""
        return self.clock() - (self.epoch if self.epoch is not None else self.clock())

    # --- control --------------------------------------------------------------------------------
    def set(self, address: str, fault: Fault | Condition, **params: float) -> None:
        """From now on (until clear), `address` is in this condition, whatever its script says."""
        self._known(address)
        condition = fault if isinstance(fault, Condition) else Condition(Fault(fault), **params)
        now = self.now()
        self._note_boot(address, now, condition)
        self._overrides[address] = Episode(now, math.inf, condition)

    def clear(self, address: str | None = None) -> None:
        """Give one device (or every device) back to its script."""
        now = self.now()
        for key in [address] if address is not None else list(self._overrides):
            if key in self._overrides:
                self._note_boot(key, now, None)
                del self._overrides[key]

    def condition(self, address: str, at: float | None = None) -> Condition:
        """The device's own condition (manual or scripted), ignoring its upstream device."""
        return self._own(address, self.now() if at is None else at)[0]

    def status(self, address: str, at: float | None = None) -> str:
        """What a probe of this device meets now: "up", "refuse" or "silent"."""
        t = self.now() if at is None else at
        if self.layout.upstream_index(address) is not None:
            return SILENT if self._down(address, t) else UP
        state = self.camera_state(address, t)
        if state is None:
            raise KeyError(f"{address} is not a device of this fleet")
        return state[1]

    # --- used by the protocol handlers ----------------------------------------------------------
    def camera_state(self, address: str, t: float | None = None) -> tuple[int, str, Condition] | None:
        """(camera index, up/refuse/silent, condition) for a camera address, None if there is none."""
        layout = self.layout
        n = layout.camera_index(address)
        if n is None:
            return None
        if not self._overrides and not self.script:
            return n, UP, HEALTHY
        t = self.now() if t is None else t
        if self._down(layout.upstream_address(layout.upstream_of(n)), t):
            return n, SILENT, UNREACHABLE  # its switch is dead: nothing gets through
        condition, since = self._own(address, t)
        down = condition.down_at(since)
        if down is None:
            return n, UP, condition
        return n, (REFUSE if down is Fault.OUTAGE else SILENT), condition

    def camera_link_up(self, n: int) -> bool:
        """Whether camera n's switch port sees a link (the camera itself is not down)."""
        address = self.layout.camera_address(n)
        condition, since = self._own(address, self.now())
        return condition.down_at(since) is None

    def upstream_down(self, address: str) -> bool:
        return self._down(address, self.now())

    def upstream_uptime_s(self, address: str) -> float:
        """sysUpTime: since the device last came back from being down, else since its first boot."""
        t = self.now()
        boot = self._last_boot(address, t)
        if boot is not None:
            return max(0.0, t - boot)
        k = self.layout.upstream_index(address) or 0
        return 86400.0 * (1 + mix_hash(k, self.seed) % 400) + t  # up 1..400 days before the epoch

    def password_for(self, condition: Condition) -> str:
        return self.password + "-changed" if condition.fault is Fault.PASSWORD_CHANGED else self.password

    # --- internals ------------------------------------------------------------------------------
    def _known(self, address: str) -> None:
        if self.layout.camera_index(address) is None and self.layout.upstream_index(address) is None:
            raise KeyError(f"{address} is not a device of this fleet")

    def _own(self, address: str, t: float) -> tuple[Condition, float]:
        """The device's condition at t and how long it has held (for flapping's phase)."""
        override = self._overrides.get(address)
        if override is not None:
            return override.condition, t - override.start_s
        episodes = self.script.get(address)
        if episodes:
            at = t % self.horizon_s if self.horizon_s > 0 else t  # the script repeats every horizon
            episode = active(episodes, at)
            if episode is not None:
                return episode.condition, at - episode.start_s
        return HEALTHY, t

    def _down(self, address: str, t: float) -> bool:
        if not self._overrides and address not in self.script:
            return False
        condition, since = self._own(address, t)
        return condition.down_at(since) is not None

    def _note_boot(self, address: str, now: float, new: Condition | None) -> None:
        """A device that was down and is no longer has just booted (its sysUpTime restarts)."""
        was_down = self._down(address, now)
        if was_down and (new is None or new.down_at(0.0) is None):
            self._boots[address] = now

    def _last_boot(self, address: str, t: float) -> float | None:
        if address in self._overrides:
            override = self._overrides[address]
            condition, since = override.condition, t - override.start_s
            if condition.fault is Fault.FLAPPING and condition.up_s + condition.down_s > 0:
                cycles = int(since // (condition.up_s + condition.down_s))
                if cycles:
                    return override.start_s + cycles * (condition.up_s + condition.down_s)
            return self._boots.get(address)
        at = t % self.horizon_s if self.horizon_s > 0 else t
        ends = [e.end_s for e in self.script.get(address, ()) if e.condition.down_at(0.0) and e.end_s <= at]
        scripted = t - at + max(ends) if ends else None
        manual = self._boots.get(address)
        found = [b for b in (scripted, manual) if b is not None]
        return max(found) if found else None
