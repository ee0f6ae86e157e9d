"""SNMP peers on loopback: net-snmp snmpd, snmpsim with recorded devices, and a hostile UDP fake.

Plain functions and classes, independent of pytest, so fixtures and a demo fleet can both use
them. Every peer binds to a loopback address only. The BER helpers here are hand-written on
purpose: a fake that used pysnmp's own codec could hide a codec bug in the client under test.
"""

from __future__ import annotations

import asyncio
import atexit
import bz2
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from tests import tools

SNMPD = tools.SNMPD
SYS_UPTIME_OID = "1.3.6.1.2.1.1.3.0"
SYS_DESCR_OID = "1.3.6.1.2.1.1.1.0"
# A Chinese-vendor access switch with a full IF-MIB table (27 interfaces) and a GBK sysLocation.
DEFAULT_RECORDING = "network/switch/ruijie-s5750-24gt12sfp"
# Our own recording: a video encoder whose sysName is GBK and whose sysUpTime is 3 s from the
# 32-bit TimeTicks wrap (served by snmpsim under the community "encoder-gbk").
ENCODER_RECORDING = Path(__file__).parent / "snmp_data" / "encoder-gbk.snmprec"


@dataclass(frozen=True)
class V3User:
    """An SNMPv3 authPriv user as the agent knows it (SHA + AES by default)."""

    name: str = "assetsvc"
    auth_key: str = field(default="auth-pass-2024", repr=False)
    priv_key: str = field(default="priv-pass-2024", repr=False)
    auth_proto: str = "sha"
    priv_proto: str = "aes"

    def conf_line(self) -> str:
        """The snmpd.conf createUser line (net-snmp spells SHA-2 as SHA-256 and so on)."""
        auth = {"sha": "SHA", "md5": "MD5", "sha224": "SHA-224", "sha256": "SHA-256", "sha384": "SHA-384",
                "sha512": "SHA-512"}[self.auth_proto]
        return f"createUser {self.name} {auth} {self.auth_key} {self.priv_proto.upper()} {self.priv_key}"

    def as_target(self) -> dict[str, str]:
        """The mapping ProbeTarget.snmp_v3 expects."""
        return {"user": self.name, "auth_key": self.auth_key, "priv_key": self.priv_key,
                "auth_proto": self.auth_proto, "priv_proto": self.priv_proto}


# --- free ports ---------------------------------------------------------------------------------


def _family(host: str) -> int:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def free_udp_port(hosts: Sequence[str] = ("127.0.0.1",)) -> int:
    """A UDP port that is free on every one of `hosts` (all loopback) right now."""
    for _ in range(50):
        with socket.socket(_family(hosts[0]), socket.SOCK_DGRAM) as first:
            first.bind((hosts[0], 0))
            port = first.getsockname()[1]
            if all(_udp_free(h, port) for h in hosts[1:]):
                return port
    raise RuntimeError(f"no UDP port free on all of {hosts}")


def _udp_free(host: str, port: int) -> bool:
    with socket.socket(_family(host), socket.SOCK_DGRAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _check_loopback(host: str) -> None:
    if not (host.startswith("127.") or host == "::1"):
        raise ValueError(f"SNMP fakes bind to loopback only, not {host!r}")


# --- minimal BER (enough to build a GET and a response, and to read a request id) ---------------


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def tlv(tag: int, payload: bytes) -> bytes:
    return bytes([tag]) + _length(len(payload)) + payload


def ber_int(value: int, tag: int = 0x02) -> bytes:
    size = max(1, (value.bit_length() + 8) // 8)
    return tlv(tag, value.to_bytes(size, "big", signed=True))


def ber_oid(dotted: str) -> bytes:
    arcs = [int(a) for a in dotted.split(".")]
    out = bytearray([arcs[0] * 40 + arcs[1]])
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out += bytes(reversed(chunk))
    return tlv(0x06, bytes(out))


def v2c_message(community: str, pdu_tag: int, request_id: int, varbinds: Sequence[tuple[str, bytes]]) -> bytes:
    """An SNMPv2c message; each varbind is (oid, encoded value)."""
    binds = b"".join(tlv(0x30, ber_oid(oid) + value) for oid, value in varbinds)
    pdu = tlv(pdu_tag, ber_int(request_id) + ber_int(0) + ber_int(0) + tlv(0x30, binds))
    return tlv(0x30, ber_int(1) + tlv(0x04, community.encode()) + pdu)


NULL = b"\x05\x00"
GET_PDU, RESPONSE_PDU = 0xA0, 0xA2


def _read_tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of value, end of value) of the TLV at pos; IndexError/ValueError if malformed."""
    tag, first = data[pos], data[pos + 1]
    pos += 2
    if first & 0x80:
        count = first & 0x7F
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    else:
        length = first
    if pos + length > len(data):
        raise ValueError("TLV runs past the datagram")
    return tag, pos, pos + length


def parse_v2c_request(data: bytes) -> tuple[str, int, int, list[str]] | None:
    """(community, pdu tag, request id, requested OIDs) of a v1/v2c request, or None."""
    try:
        _, pos, _ = _read_tlv(data, 0)  # message SEQUENCE
        v_tag, v_start, v_end = _read_tlv(data, pos)  # version
        c_tag, c_start, c_end = _read_tlv(data, v_end)
        if v_tag != 0x02 or c_tag != 0x04 or data[v_start:v_end] not in (b"\x00", b"\x01"):
            return None  # SNMPv3 (or not SNMP at all)
        pdu_tag, p_start, _ = _read_tlv(data, c_end)
        _, r_start, r_end = _read_tlv(data, p_start)
        request_id = int.from_bytes(data[r_start:r_end], "big", signed=True)
        _, _, e_end = _read_tlv(data, r_end)
        _, _, i_end = _read_tlv(data, e_end)
        _, b_pos, b_end = _read_tlv(data, i_end)
        oids = []
        while b_pos < b_end:
            _, vb_start, vb_end = _read_tlv(data, b_pos)
            _, o_start, o_end = _read_tlv(data, vb_start)
            oids.append(_decode_oid(data[o_start:o_end]))
            b_pos = vb_end
        return data[c_start:c_end].decode("latin-1"), pdu_tag, request_id, oids
    except (IndexError, ValueError):
        return None


def _decode_oid(raw: bytes) -> str:
    arcs = [raw[0] // 40, raw[0] % 40]
    value = 0
    for byte in raw[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    return ".".join(map(str, arcs))


def wait_until_answers(host: str, port: int, community: str, timeout_s: float = 15.0,
                       alive: "subprocess.Popen[bytes] | None" = None) -> None:
    """Send v2c GET sysUpTime.0 every 100 ms until any reply arrives; raise after timeout_s."""
    _check_loopback(host)
    deadline = time.monotonic() + timeout_s
    with socket.socket(_family(host), socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.1)
        request_id = 1
        while time.monotonic() < deadline:
            if alive is not None and alive.poll() is not None:
                raise RuntimeError(f"agent exited with code {alive.returncode} before answering")
            sock.sendto(v2c_message(community, GET_PDU, request_id, [(SYS_UPTIME_OID, NULL)]), (host, port))
            request_id += 1
            try:
                sock.recvfrom(65535)
                return
            except socket.timeout:
                continue
    raise TimeoutError(f"no SNMP answer from {host}:{port} within {timeout_s} s")


# --- agent processes ----------------------------------------------------------------------------


@dataclass
class AgentProcess:
    """A running agent process on loopback; stop() ends it and removes its folder."""

    name: str
    process: "subprocess.Popen[bytes]"
    hosts: tuple[str, ...]
    port: int
    community: str
    folder: Path
    v3_users: tuple[V3User, ...] = ()

    @property
    def v3_user(self) -> V3User:
        """The agent's default SNMPv3 user (SHA + AES)."""
        return self.v3_users[0]

    @property
    def host(self) -> str:
        return self.hosts[0]

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_tail(self, lines: int = 20) -> str:
        log = self.folder / "agent.log"
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> "AgentProcess":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# The first user is the default; the others cover the older and newer USM protocols.
V3_USERS = (V3User(), V3User("legacy-md5", "md5-auth-2024", "des-priv-2024", "md5", "des"),
            V3User("modern-sha256", "sha256-auth-2024", "aes-priv-2024", "sha256", "aes"))


def snmpd_conf(hosts: Sequence[str], port: int, community: str, users: Sequence[V3User]) -> str:
    """An snmpd.conf for loopback only: a v2c community, v3 authPriv users, a system-less view."""
    addresses = ",".join(f"udp6:[{h}]:{port}" if ":" in h else f"udp:{h}:{port}" for h in hosts)
    return "\n".join([
        f"agentAddress {addresses}",
        f"rocommunity {community} 127.0.0.0/8",
        f"rocommunity6 {community} ::1/128",
        # A community that sees IF-MIB but not `system`: GETs on sysDescr.0 answer noSuchObject.
        "view nosystem included .1.3.6.1.2.1.2",
        "rocommunity nosystem 127.0.0.0/8 -V nosystem",
        *(user.conf_line() for user in users),
        *(f"rouser {user.name} priv" for user in users),
        "sysLocation 柳州市城中区潭中路机房",
        "sysContact 0772-2800000",
        "sysName snmpd-fake",
        "dontLogTCPWrappersConnects yes",
        "",
    ])


def start_snmpd(hosts: Sequence[str] = ("127.0.0.1",), port: int | None = None, community: str = "public",
                users: Sequence[V3User] = V3_USERS, timeout_s: float = 15.0) -> AgentProcess:
    """Run net-snmp snmpd in the foreground on loopback with its own config and persistent folder."""
    tools.need("snmpd")
    for host in hosts:
        _check_loopback(host)
    port = port or free_udp_port(hosts)
    folder = Path(tempfile.mkdtemp(prefix="snmpd-"))
    conf = folder / "snmpd.conf"
    conf.write_text(snmpd_conf(hosts, port, community, users), encoding="utf-8")
    # SNMP_PERSISTENT_DIR keeps engineBoots and the localized v3 user out of /var/lib/snmp
    # (persistentDir is not a token snmpd.conf accepts without an [snmp] prefix).
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "SNMPCONFPATH": str(folder),
           "SNMP_PERSISTENT_DIR": str(folder), "MIBS": "", "MIBDIRS": str(folder)}
    with open(folder / "agent.log", "wb") as log:
        process = subprocess.Popen(
            [SNMPD, "-f", "-Lo", "-C", "-c", str(conf), "-p", str(folder / "snmpd.pid")],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    agent = AgentProcess("snmpd", process, tuple(hosts), port, community, folder, tuple(users))
    _await_start(agent, timeout_s)
    return agent


def recording_path(name: str = DEFAULT_RECORDING) -> Path:
    """The .snmprec(.bz2) file of a recorded device shipped by the snmpsim-data package."""
    import snmpsim_data  # test dependency; imported here so snmpd-only users do not need it

    base = Path(snmpsim_data.__file__).parent / "data"
    for suffix in (".snmprec", ".snmprec.bz2"):
        path = base / (name + suffix)
        if path.exists():
            return path
    raise FileNotFoundError(f"no recording {name!r} under {base}")


def snmpsim_command() -> list[str] | None:
    """How to run snmpsim's command responder from this interpreter's environment, or None."""
    script = Path(sys.executable).parent / "snmpsim-command-responder"
    found = str(script) if script.exists() else shutil.which("snmpsim-command-responder")
    return [found] if found else None


def start_snmpsim(recordings: Sequence[Path] = (), host: str = "127.0.0.1", port: int | None = None,
                  timeout_s: float = 30.0) -> AgentProcess:
    """Serve recorded devices with snmpsim; each file's stem (no extension) is its community."""
    _check_loopback(host)
    command = snmpsim_command()
    if command is None:
        raise FileNotFoundError("snmpsim-command-responder is not installed")
    recordings = list(recordings) or [recording_path()]
    port = port or free_udp_port((host,))
    folder = Path(tempfile.mkdtemp(prefix="snmpsim-"))
    data = folder / "data"
    data.mkdir()
    for path in recordings:
        # A plain copy, not a symlink (snmpsim resolves links and would name the community after
        # the real path inside site-packages) and not .bz2 (snmpsim re-reads a compressed file
        # from its start for lookups: hundreds of ms per GETBULK instead of one).
        stem = path.name.split(".snmprec")[0]
        opener = bz2.open if path.suffix == ".bz2" else open
        with opener(path, "rb") as source, open(data / f"{stem}.snmprec", "wb") as copy:
            shutil.copyfileobj(source, copy)
    community = recordings[0].name.split(".snmprec")[0]
    env = dict(os.environ)
    if os.getuid() == 0:
        # snmpsim refuses to run as root unless told; it only ever binds a loopback port here.
        env["SNMPSIM_ALLOW_ROOT"] = "true"
    with open(folder / "agent.log", "wb") as log:
        process = subprocess.Popen(
            command + [f"--data-dir={data}", f"--cache-dir={folder / 'cache'}",
                       f"--agent-udpv4-endpoint={host}:{port}", "--log-level=error"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    agent = AgentProcess("snmpsim", process, (host,), port, community, folder)
    _await_start(agent, timeout_s)
    return agent


def _await_start(agent: AgentProcess, timeout_s: float) -> None:
    atexit.register(agent.stop)  # a crashed test run must not leave agents behind (stop is idempotent)
    try:
        for host in agent.hosts:
            wait_until_answers(host, agent.port, agent.community, timeout_s, agent.process)
    except (RuntimeError, TimeoutError) as exc:
        tail = agent.log_tail()
        agent.stop()
        raise RuntimeError(f"{agent.name} did not start: {exc}\n{tail}") from None


# --- the hostile agent --------------------------------------------------------------------------

HOSTILE_MODES = ("garbage", "truncated", "malformed", "oversized", "silent", "echo_wrong_id", "wrong_types",
                 "long_strings")
SYS_OBJECT_ID_OID = "1.3.6.1.2.1.1.2.0"


class HostileAgent(asyncio.DatagramProtocol):
    """A UDP 'agent' on loopback that answers every request with something broken.

    Modes: garbage (random bytes), truncated (a valid response cut in half), malformed (a
    complete BER frame whose response PDU is empty), oversized (a well-formed response of
    ~60 KB), silent (reads and never answers), echo_wrong_id (a valid
    response whose request id matches nothing), wrong_types (every value an OCTET STRING, even
    sysUpTime), long_strings (right types, but 6,000-byte strings). Records how many requests it saw, and when.
    """

    def __init__(self, mode: str, host: str = "127.0.0.1", port: int = 0) -> None:
        if mode not in HOSTILE_MODES:
            raise ValueError(f"mode {mode!r}: use one of {HOSTILE_MODES}")
        _check_loopback(host)
        self.mode, self.host, self.port = mode, host, port
        self.requests = 0
        self.arrivals: list[float] = []  # time.monotonic() of each request
        self._transport: asyncio.DatagramTransport | None = None
        self._random = random.Random(161)

    async def start(self) -> "HostileAgent":
        loop = asyncio.get_running_loop()
        self._transport, _ = await loop.create_datagram_endpoint(lambda: self, local_addr=(self.host, self.port))
        self.port = self._transport.get_extra_info("sockname")[1]
        return self

    async def stop(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    async def __aenter__(self) -> "HostileAgent":
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.requests += 1
        if len(self.arrivals) < 1000:
            self.arrivals.append(time.monotonic())
        reply = self.reply_to(data)
        if reply is not None and self._transport is not None:
            self._transport.sendto(reply, addr)

    def reply_to(self, data: bytes) -> bytes | None:
        if self.mode == "silent":
            return None
        if self.mode == "garbage":
            return bytes(self._random.randrange(256) for _ in range(97))
        request = parse_v2c_request(data)
        if request is None:  # a v3 request: answer it with garbage too
            return b"\x30\x82\xff\xff" + bytes(40)
        community, _, request_id, oids = request
        if self.mode == "malformed":
            return tlv(0x30, ber_int(1) + tlv(0x04, community.encode("latin-1")) + tlv(RESPONSE_PDU, b""))
        if self.mode == "oversized":
            big = tlv(0x04, b"A" * 60_000)
            return v2c_message(community, RESPONSE_PDU, request_id, [(oid, big) for oid in oids[:1]]
                               + [(oid, NULL) for oid in oids[1:]])
        if self.mode == "long_strings":
            return v2c_message(community, RESPONSE_PDU, request_id, [(oid, _typed_value(oid)) for oid in oids])
        values = [(oid, tlv(0x04, b"hostile")) for oid in oids]
        if self.mode == "echo_wrong_id":
            return v2c_message(community, RESPONSE_PDU, request_id ^ 0x5A5A, values)
        whole = v2c_message(community, RESPONSE_PDU, request_id, values)
        if self.mode == "wrong_types":
            return whole
        return whole[: len(whole) // 2]  # truncated


def _typed_value(oid: str) -> bytes:
    """A correctly typed value for the system OIDs, with strings far beyond DisplayString's 255."""
    if oid == SYS_UPTIME_OID:
        return ber_int(123456, tag=0x43)  # TimeTicks
    if oid == SYS_OBJECT_ID_OID:
        return ber_oid("1.3.6.1.4.1.99999." + ".".join(["1"] * 40))
    return tlv(0x04, "长".encode("utf-8") * 2_000 + b"\x00\x00")
