"""The simulated fleet's shape (仿真设备布局): addresses, topology and identities, computed from an index.

Nothing is stored per device: camera n and upstream device k are arithmetic on their index, so
100,000 cameras cost no memory until something asks about one. Cameras live on 127.16.0.0 and up,
upstream switches and encoders on 127.15.0.0/16; the last octet runs 1..250 so no address ends in
.0 or .255 (people read those as network and broadcast addresses).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

CAMERA_OCTET = 16  # cameras: 127.16.0.1 .. 127.126.255.250
UPSTREAM_OCTET = 15  # switches and encoders: 127.15.0.1 .. 127.15.255.250
PER_OCTET = 256 * 250
MAX_CAMERAS = (127 - CAMERA_OCTET) * PER_OCTET
MAX_UPSTREAM = PER_OCTET

# (manufacturer, model, firmware, serial prefix, OUI) as the devices report them.
CAMERA_MODELS = (
    ("HIKVISION", "DS-2CD3T46WD-I3", "V5.5.82 build 190909", "DS-2CD3T46WD-I320200101AACH", "BC:AD:28"),
    ("Dahua", "IPC-HFW4433M-I2", "V2.800.0000000.25.R", "6J0AB", "3C:EF:8C"),
    ("Uniview", "IPC2124LR3-PF40", "IPC_G6103-B0006P05D1805", "210235C3", "6C:F1:7E"),
)
# (vendor, model, sysDescr, sysObjectID) of the upstream kinds.
SWITCH_MODELS = (
    ("Huawei", "S5720-28X-LI-AC", "Huawei Versatile Routing Platform Software VRP (R) software, "
     "Version 5.170 (S5720 V200R011C10SPC500)", "1.3.6.1.4.1.2011.2.23.413"),
    ("Ruijie", "S2910-24GT4XS-E", "Ruijie Full Gigabit Security & Intelligent Access Switch "
     "(S2910-24GT4XS-E) By Ruijie Networks", "1.3.6.1.4.1.4881.1.1.10.1.280"),
    ("H3C", "S5130S-28S-EI", "H3C Comware Platform Software, Software Version 7.1.070, Release 6318P01",
     "1.3.6.1.4.1.25506.1.1850"),
)
ENCODER_MODEL = ("HIKVISION", "DS-6704HUHI-K", "Hikvision DS-6704HUHI-K video encoder, firmware V2.3.6",
                 "1.3.6.1.4.1.39165.1.6")


@dataclass(frozen=True, slots=True)
class Identity:
    """What a camera says about itself (GetDeviceInformation, GetNetworkInterfaces)."""

    manufacturer: str
    model: str
    firmware: str
    serial: str
    mac: str  # upper-case, colon-separated: the registry's canonical spelling


@dataclass(frozen=True, slots=True)
class Upstream:
    """A switch or encoder with an SNMP agent; cameras hang off it (topology)."""

    index: int
    address: str
    kind: str  # switch | encoder
    vendor: str
    model: str
    sys_descr: str
    sys_object_id: str
    sys_name: str
    mac: str


@dataclass(frozen=True, slots=True)
class Drift:
    """A place where the simulated device deliberately disagrees with the registry rows."""

    kind: str  # serial_mismatch | address_swap
    address: str  # where the disagreeing device answers
    registry: str  # what the registry row for that address says (serial)
    device: str  # what the device reports (serial)
    note: str


def mix_hash(n: int, seed: int) -> int:
    """A cheap deterministic hash of an index and a seed, so choices look scattered (an integer mixer
    in the style of MurmurHash3's finaliser)."""
    x = ((n + 1) * 0x9E3779B1 ^ (seed + 1) * 0x85EBCA6B) & 0xFFFFFFFF
    x = ((x ^ (x >> 16)) * 0x7FEB352D) & 0xFFFFFFFF
    x = ((x ^ (x >> 15)) * 0x846CA68B) & 0xFFFFFFFF
    return x ^ (x >> 16)


class Layout:
    """`count` cameras, `per_upstream` of them behind each switch or encoder (every
    `encoder_every`-th upstream device is an encoder); identities depend on `seed`."""

    def __init__(self, count: int, *, seed: int = 0, per_upstream: int = 16, encoder_every: int = 8,
                 drifts: bool = True) -> None:
        if not 1 <= count <= MAX_CAMERAS:
            raise ValueError(f"count must be 1..{MAX_CAMERAS}")
        if per_upstream < 1 or encoder_every < 1:
            raise ValueError("per_upstream and encoder_every must be at least 1")
        self.count, self.seed = count, seed
        self.per_upstream, self.encoder_every = per_upstream, encoder_every
        self.upstream_count = -(-count // per_upstream)
        if self.upstream_count > MAX_UPSTREAM:
            raise ValueError(f"{self.upstream_count} upstream devices; raise per_upstream")
        self._swap: dict[int, int] = {}
        self._serial_drift: int | None = None
        if drifts and count >= 4:
            picks = random.Random(seed ^ 0x5EED).sample(range(count), 3)
            self._serial_drift = picks[0]
            self._swap = {picks[1]: picks[2], picks[2]: picks[1]}

    # --- addresses ----------------------------------------------------------------------------
    def camera_address(self, n: int) -> str:
        return _address(CAMERA_OCTET, n)

    def upstream_address(self, k: int) -> str:
        return _address(UPSTREAM_OCTET, k)

    def camera_index(self, address: str) -> int | None:
        n = _index(address, CAMERA_OCTET, 127 - CAMERA_OCTET)
        return n if n is not None and n < self.count else None

    def upstream_index(self, address: str) -> int | None:
        k = _index(address, UPSTREAM_OCTET, 1)
        return k if k is not None and k < self.upstream_count else None

    # --- topology -----------------------------------------------------------------------------
    def upstream_of(self, n: int) -> int:
        return n // self.per_upstream

    def cameras_of(self, k: int) -> range:
        return range(k * self.per_upstream, min(self.count, (k + 1) * self.per_upstream))

    # --- identities ---------------------------------------------------------------------------
    def identity(self, n: int) -> Identity:
        """The camera as the registry knows it."""
        maker, model, firmware, prefix, oui = CAMERA_MODELS[mix_hash(n, self.seed) % len(CAMERA_MODELS)]
        mac = f"{oui}:{n >> 16 & 255:02X}:{n >> 8 & 255:02X}:{n & 255:02X}"
        return Identity(maker, model, firmware, f"{prefix}{n + 1:09d}", mac)

    def reported(self, n: int) -> Identity:
        """What the device at camera n's address reports: the registry's identity but for drifts."""
        if n == self._serial_drift:  # the camera was replaced and the registry never updated
            ident = self.identity(n)
            return replace(ident, serial=ident.serial[:-9] + f"{self.count + n + 1:09d}")
        other = self._swap.get(n)
        return self.identity(other) if other is not None else self.identity(n)

    def upstream(self, k: int) -> Upstream:
        kind = "encoder" if k % self.encoder_every == self.encoder_every - 1 else "switch"
        vendor, model, descr, oid = (ENCODER_MODEL if kind == "encoder"
                                     else SWITCH_MODELS[mix_hash(k, self.seed) % len(SWITCH_MODELS)])
        mac = f"02:5F:15:{k >> 16 & 255:02X}:{k >> 8 & 255:02X}:{k & 255:02X}"
        name = f"{'ENC' if kind == 'encoder' else 'SW'}-{k + 1:05d}"
        return Upstream(k, self.upstream_address(k), kind, vendor, model, descr, oid, name, mac)

    def drifts(self) -> list[Drift]:
        """The deliberate registry/device disagreements, for tests and the demo's inventory view."""
        out = []
        if self._serial_drift is not None:
            n = self._serial_drift
            out.append(Drift("serial_mismatch", self.camera_address(n), self.identity(n).serial,
                             self.reported(n).serial, "camera replaced; the registry keeps the old serial"))
        for n, other in sorted(self._swap.items()):
            out.append(Drift("address_swap", self.camera_address(n), self.identity(n).serial,
                             self.reported(n).serial,
                             f"the camera registered at {self.camera_address(other)} answers here"))
        return out

    @property
    def drifted(self) -> frozenset[int]:
        """Indexes of cameras whose device disagrees with their registry row."""
        extra = {self._serial_drift} if self._serial_drift is not None else set()
        return frozenset(set(self._swap) | extra)


def _address(octet: int, n: int) -> str:
    high, rest = divmod(n, PER_OCTET)
    return f"127.{octet + high}.{rest // 250}.{rest % 250 + 1}"


def _index(address: str, octet: int, span: int) -> int | None:
    """The index of an address in the range starting at 127.<octet>, or None."""
    parts = address.split(".")
    if len(parts) != 4 or parts[0] != "127":
        return None
    try:
        a, b, c = int(parts[1]) - octet, int(parts[2]), int(parts[3])
    except ValueError:
        return None
    if not (0 <= a < span and 0 <= b < 256 and 1 <= c <= 250):
        return None
    return a * PER_OCTET + b * 250 + c - 1
