"""SNMP v2c/v3 probes (system group, interface table) on one shared pysnmp 7 engine per event loop.

Why not pysnmp's high-level `get_cmd`: it registers every new agent address in the engine's
SNMP-TARGET-MIB table through its LCD configurator, which measured 2.2 ms of CPU and 21 KB of
memory per new address, kept forever (2 GB for 100,000 cameras), and every insertion flushes the
engine's name->target cache. This module keeps pysnmp for everything that matters (BER, USM
security, engine-ID discovery, the UDP transport and its timers) but hands each request straight
to the engine's RFC 3412 dispatcher (`send_pdu`) with the address, so nothing grows per device and
no MIB lookup runs on either side (the `lookupMib=False` saving and more). See docs/probes-snmp.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import ipaddress
import socket
import weakref
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

from pyasn1.type import univ
from pysnmp.carrier.asyncio.dgram import udp, udp6
from pysnmp.entity import config
from pysnmp.entity.engine import SnmpEngine
from pysnmp.error import PySnmpError
from pysnmp.proto import errind, rfc1902, rfc1905
from pysnmp.proto.api import v2c
from pysnmp.proto.error import StatusInformation

from probes.types import ErrorKind, ProbeError, ProbeTarget

SYS_DESCR = (1, 3, 6, 1, 2, 1, 1, 1, 0)
SYS_OBJECT_ID = (1, 3, 6, 1, 2, 1, 1, 2, 0)
SYS_UPTIME = (1, 3, 6, 1, 2, 1, 1, 3, 0)
SYS_NAME = (1, 3, 6, 1, 2, 1, 1, 5, 0)
IF_DESCR = (1, 3, 6, 1, 2, 1, 2, 2, 1, 2)
IF_OPER_STATUS = (1, 3, 6, 1, 2, 1, 2, 2, 1, 8)
IF_IN_ERRORS = (1, 3, 6, 1, 2, 1, 2, 2, 1, 14)
OPER_STATUS = {1: "up", 2: "down", 3: "testing", 4: "unknown", 5: "dormant", 6: "notPresent",
               7: "lowerLayerDown"}
TICKS_WRAP_S = 2**32 / 100  # TimeTicks is 32-bit hundredths of a second: wraps after ~497.1 days

REJECTED = object()  # a request's outcome when its host sent something that is not SNMP
MAX_REPLY_BYTES = 32 * 1024  # a GETBULK of 10 rows x 3 columns stays far below this
MAX_TEXT_BYTES = 1024  # DisplayString is 255 octets by the MIB; devices send more, we keep 1 KiB
MAX_INTERFACES = 1024
BULK_REPETITIONS = 10
DISCOVERY_RETRIES = 4  # as pysnmp's command generator: engine-ID / time-window re-sends
AUTH_PROTOCOLS = {"md5": config.USM_AUTH_HMAC96_MD5, "sha": config.USM_AUTH_HMAC96_SHA,
                  "sha224": config.USM_AUTH_HMAC128_SHA224, "sha256": config.USM_AUTH_HMAC192_SHA256,
                  "sha384": config.USM_AUTH_HMAC256_SHA384, "sha512": config.USM_AUTH_HMAC384_SHA512}
PRIV_PROTOCOLS = {"des": config.USM_PRIV_CBC56_DES, "3des": config.USM_PRIV_CBC168_3DES,
                  "aes": config.USM_PRIV_CFB128_AES, "aes128": config.USM_PRIV_CFB128_AES,
                  "aes192": config.USM_PRIV_CFB192_AES_BLUMENTHAL, "aes256": config.USM_PRIV_CFB256_AES_BLUMENTHAL,
                  "aes192c": config.USM_PRIV_CFB192_AES, "aes256c": config.USM_PRIV_CFB256_AES}
AUTH_INDICATIONS = (errind.UnknownUserName, errind.WrongDigest, errind.UnknownSecurityName,
                    errind.AuthenticationError, errind.AuthenticationFailure, errind.DecryptionError,
                    errind.UnsupportedSecurityLevel, errind.UnknownCommunityName,
                    errind.UnsupportedAuthProtocol, errind.UnsupportedPrivProtocol, errind.NoEncryption,
                    errind.NoAuthentication)


# --- reply screening: what pysnmp would drop in silence (or crash on) we record first -----------


def screen_datagram(datagram: bytes) -> str | None:
    """Why a UDP payload cannot be an SNMP message (None if it may be): size and outer BER frame."""
    size = len(datagram)
    if size > MAX_REPLY_BYTES:
        return f"oversized reply ({size} bytes)"
    if size < 2 or datagram[0] != 0x30:
        return "reply is not an SNMP message (no BER SEQUENCE)"
    first = datagram[1]
    if first < 0x80:
        header, length = 2, first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or size < 2 + count:
            return "reply has a malformed BER length"
        header, length = 2 + count, int.from_bytes(datagram[2:2 + count], "big")
    if header + length > size:
        return f"truncated reply ({size} of {header + length} bytes)"
    if header + length < size:
        return f"reply has {size - header - length} trailing bytes"
    return None


class _ReplyTap:
    """Routes notes about rejected datagrams to the probes of that host running right now.

    A note ends the waiting request at once (as a protocol error) instead of after its timeout;
    notes about hosts nobody is probing are dropped, so nothing here grows with the fleet.
    """

    def __init__(self) -> None:
        self._watchers: dict[str, list[tuple[list[str], asyncio.Future]]] = {}

    @contextlib.contextmanager
    def watch(self, host: str, future: asyncio.Future) -> Iterator[list[str]]:
        entry: tuple[list[str], asyncio.Future] = ([], future)
        self._watchers.setdefault(host, []).append(entry)
        try:
            yield entry[0]
        finally:
            watchers = self._watchers[host]
            watchers.remove(entry)
            if not watchers:
                del self._watchers[host]

    def note(self, host: str, problem: str) -> None:
        for notes, future in self._watchers.get(host, ()):
            if len(notes) < 4:
                notes.append(problem)
            if not future.done():
                future.set_result(REJECTED)


class _GuardMixin:
    """Screens datagrams before pysnmp sees them and notices the ones pysnmp fails to parse.

    Quirks of pysnmp 7.1 worked around here: a well-framed but undecodable message is dropped in
    silence (only a statistics counter moves, and the request later times out), and some garbage
    makes pyasn1 raise TypeError inside a loop callback, which asyncio logs as unhandled. Both
    become a note for the probe of that host.
    """

    tap: _ReplyTap
    parse_errors: Any  # () -> int: pysnmp's counters of messages it dropped as malformed

    def datagram_received(self, datagram: bytes, address: Any) -> None:
        problem = screen_datagram(datagram)
        if problem is not None:
            self.tap.note(address[0], problem)
            return
        self.loop.call_soon(self._deliver, address, datagram)  # type: ignore[attr-defined]

    def _deliver(self, address: Any, datagram: bytes) -> None:
        if self._callback_function is None:  # type: ignore[attr-defined]
            return  # transport closed meanwhile
        before = self.parse_errors()
        try:
            self._callback_function(self, address, datagram)  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001 - any failure here is the reply's fault
            self.tap.note(address[0], f"reply pysnmp could not decode ({type(exc).__name__})")
            return
        if self.parse_errors() != before:
            self.tap.note(address[0], "reply pysnmp could not parse (malformed SNMP message)")


class _GuardedUdp(_GuardMixin, udp.UdpAsyncioTransport):
    def __init__(self, tap: _ReplyTap, parse_errors: Any) -> None:
        super().__init__()
        self.tap, self.parse_errors = tap, parse_errors


class _GuardedUdp6(_GuardMixin, udp6.Udp6AsyncioTransport):
    def __init__(self, tap: _ReplyTap, parse_errors: Any) -> None:
        super().__init__()
        self.tap, self.parse_errors = tap, parse_errors


# --- credentials --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Auth:
    """How one request authenticates: message model, security model, name and level."""

    version: str  # "2c" | "3"
    security_name: str
    level: int  # 1 noAuthNoPriv, 2 authNoPriv, 3 authPriv
    secret: tuple = field(repr=False, default=())  # what config.add_* needs; never logged

    @property
    def models(self) -> tuple[int, int]:  # (message processing model, security model)
        return (1, 2) if self.version == "2c" else (3, 3)


def _auth_for(target: ProbeTarget) -> _Auth:
    v3 = target.snmp_v3
    if not v3:
        digest = hashlib.sha256(target.snmp_community.encode()).hexdigest()[:16]
        return _Auth("2c", f"c-{digest}", 1, (target.snmp_community,))
    user = str(v3.get("user") or "")
    if not user:
        raise ProbeError(ErrorKind.AUTH, "snmp_v3 has no user")
    auth_key, priv_key = v3.get("auth_key") or "", v3.get("priv_key") or ""
    auth_name = str(v3.get("auth_proto") or "sha").lower().replace("-", "")
    priv_name = str(v3.get("priv_proto") or "aes").lower().replace("-", "")
    if auth_key and auth_name not in AUTH_PROTOCOLS:
        raise ProbeError(ErrorKind.AUTH, f"unknown SNMPv3 auth_proto {auth_name!r}; known: {', '.join(AUTH_PROTOCOLS)}")
    if priv_key and priv_name not in PRIV_PROTOCOLS:
        raise ProbeError(ErrorKind.AUTH, f"unknown SNMPv3 priv_proto {priv_name!r}; known: {', '.join(PRIV_PROTOCOLS)}")
    if priv_key and not auth_key:
        raise ProbeError(ErrorKind.AUTH, "SNMPv3 privacy needs an auth_key too")
    auth_proto = AUTH_PROTOCOLS[auth_name] if auth_key else config.USM_AUTH_NONE
    priv_proto = PRIV_PROTOCOLS[priv_name] if priv_key else config.USM_PRIV_NONE
    level = 3 if priv_key else 2 if auth_key else 1
    return _Auth("3", user, level, (auth_proto, auth_key or None, priv_proto, priv_key or None))


# --- the shared engine --------------------------------------------------------------------------


@dataclass
class _UserSlot:
    """pysnmp keeps one key set per v3 user name: who holds it and how many requests use it."""

    secret: tuple | None = None
    inflight: int = 0
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)


class _Client:
    """One SnmpEngine with a screened UDP transport; communities and v3 users added on first use."""

    def __init__(self) -> None:
        self.engine = SnmpEngine()
        self.tap = _ReplyTap()
        self._transports: dict[tuple, Any] = {}
        self._names: dict[str, Any] = {}  # security name -> its pyasn1 form (community added)
        self._users: dict[str, _UserSlot] = {}
        (admin_string,) = self.engine.get_mib_builder().import_symbols("SNMP-FRAMEWORK-MIB", "SnmpAdminString")
        self._admin_string = admin_string
        # Quirk: pysnmp's community and user maps are keyed by pyasn1 strings; a plain str or
        # bytes name or context never matches them (unknownCommunityName).
        self._context = admin_string("")
        self.tick_s = 0.0
        builder = self.engine.get_mib_builder()
        self._drop_counters = builder.import_symbols(
            "__SNMPv2-MIB", "snmpInASNParseErrs", "snmpInBadVersions") + builder.import_symbols(
            "__SNMP-MPD-MIB", "snmpInvalidMsgs", "snmpUnknownSecurityModels", "snmpUnknownPDUHandlers")

    def parse_errors(self) -> int:
        return sum(int(counter.syntax) for counter in self._drop_counters)

    def transport_domain(self, family: int) -> tuple:
        domain = udp.DOMAIN_NAME if family == socket.AF_INET else udp6.DOMAIN_NAME
        if domain not in self._transports:
            transport = (_GuardedUdp if family == socket.AF_INET else _GuardedUdp6)(self.tap, self.parse_errors)
            config.add_transport(self.engine, domain, transport.open_client_mode())
            self._transports[domain] = transport
            self.tick_s = self.engine.transport_dispatcher.get_timer_resolution()
        return domain

    def security_name(self, auth: _Auth) -> Any:
        name = self._names.get(auth.security_name)
        if name is None:
            if auth.version == "2c":  # a MIB write (about a millisecond), once per community
                config.add_v1_system(self.engine, auth.security_name, auth.secret[0])
            name = self._names[auth.security_name] = self._admin_string(auth.security_name)
        return name

    @contextlib.asynccontextmanager
    async def v3_user(self, auth: _Auth):
        """Hold the engine's key set for this user name while a request uses it.

        Quirk: pysnmp localises a user's keys per agent engine ID from one template row per user
        name, at the moment of the first authenticated request. Two probes of the same user name
        with different keys in flight together would corrupt each other (and pin a wrong key per
        agent), so a different key set waits until the current one has no request in flight; the
        swap deletes the template and every key localised from it.
        """
        slot = self._users.setdefault(auth.security_name, _UserSlot())
        async with slot.changed:
            await slot.changed.wait_for(lambda: slot.secret == auth.secret or slot.inflight == 0)
            if slot.secret != auth.secret:
                if slot.secret is not None:
                    config.delete_v3_user(self.engine, auth.security_name)
                auth_proto, auth_key, priv_proto, priv_key = auth.secret
                config.add_v3_user(self.engine, auth.security_name, auth_proto, auth_key, priv_proto, priv_key)
                slot.secret = auth.secret
            slot.inflight += 1
        try:
            yield
        finally:
            async with slot.changed:
                slot.inflight -= 1
                slot.changed.notify_all()

    def context(self) -> Any:
        return self._context

    def close(self) -> None:
        self.engine.close_dispatcher()


_CLIENTS: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Client]" = weakref.WeakKeyDictionary()


def _client() -> _Client:
    """The engine of the running loop (pysnmp's dispatcher is bound to one loop); built once."""
    loop = asyncio.get_running_loop()
    client = _CLIENTS.get(loop)
    if client is None:
        client = _CLIENTS[loop] = _Client()
    return client


def close_snmp_engine() -> None:
    """Close the running loop's engine (its UDP socket and timer task); the next probe makes a new one."""
    client = _CLIENTS.pop(asyncio.get_running_loop(), None)
    if client is not None:
        client.close()


# --- one request --------------------------------------------------------------------------------


@dataclass
class _Exchange:
    """One request in flight: the PDU, where it goes, and its retry budgets."""

    client: _Client
    auth: _Auth
    domain: tuple
    address: Any
    pdu: Any
    timeout_s: float
    retries_left: int
    future: asyncio.Future
    discovery_left: int = DISCOVERY_RETRIES
    discovered: bool = False

    def send(self) -> None:
        client, (mp_model, sec_model) = self.client, self.auth.models
        try:
            client.engine.message_dispatcher.send_pdu(
                client.engine, self.domain, self.address, mp_model, sec_model,
                client.security_name(self.auth), self.auth.level, None, client.context(), 1, self.pdu,
                True, max(1.0, self.timeout_s / client.tick_s), self.on_reply, None)
        except StatusInformation as status:  # e.g. a v3 key that cannot be localised
            if not self.future.done():
                self.future.set_result(status["errorIndication"])
        except PySnmpError as exc:  # the transport could not take the message
            if not self.future.done():
                message = f"pysnmp could not send: {type(exc).__name__}"
                self.future.set_exception(ProbeError(ErrorKind.PROTOCOL, message))

    def on_reply(self, engine, mp_model, sec_model, sec_name, sec_level, context_engine_id, context_name,
                 pdu_version, pdu, status, send_handle, context) -> None:
        if self.future.done():
            return  # the probe was cancelled (runner timeout): let the reply go
        if not status:
            self.future.set_result(pdu)
            return
        indication = status["errorIndication"]
        if isinstance(indication, (errind.UnknownEngineID, errind.NotInTimeWindow)) and self.discovery_left:
            self.discovery_left -= 1  # the agent answered discovery: re-send with its engine ID
            self.discovered = True
            self.send()
        elif isinstance(indication, errind.RequestTimedOut) and self.retries_left:
            self.retries_left -= 1
            self.send()
        else:
            self.future.set_result(indication)


async def _request(target: ProbeTarget, auth: _Auth, pdu: Any) -> Any:
    """Send one PDU with retries and return the response PDU; every failure is a ProbeError."""
    client = _client()
    family, host = await _resolve(target.host)
    domain = client.transport_domain(family)
    address = (udp.UdpTransportAddress if family == socket.AF_INET else udp6.Udp6TransportAddress)(
        (host, target.snmp_port))
    timeout_s = min(30.0, max(0.05, float(target.options.get("snmp_timeout_s", 1.0))))
    retries = min(5, max(0, int(target.options.get("snmp_retries", 1))))
    exchange = _Exchange(client, auth, domain, address, pdu, timeout_s, retries,
                         asyncio.get_running_loop().create_future())
    with client.tap.watch(host, exchange.future) as notes:
        async with (client.v3_user(auth) if auth.version == "3" else contextlib.nullcontext()):
            exchange.send()
            outcome = await exchange.future
    if outcome is REJECTED:
        where = f"{target.host}:{target.snmp_port}"
        raise ProbeError(ErrorKind.PROTOCOL, f"{where} answered with {notes[0]}", {"rejected_replies": list(notes)})
    if isinstance(outcome, errind.ErrorIndication):
        raise _indication_error(outcome, exchange, target)
    status = int(v2c.apiPDU.get_error_status(outcome))
    if status:
        raise _status_error(status, v2c.apiPDU.get_error_status(outcome).prettyPrint())
    return outcome


async def _resolve(host: str) -> tuple[int, str]:
    """(address family, address text as the socket reports it); names go through the resolver."""
    try:
        parsed = ipaddress.ip_address(host)
    except ValueError:
        # Only for names: pysnmp's UdpTransportTarget.create() would send even a literal address
        # through getaddrinfo in a thread (70 us per probe).
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_DGRAM)
        except OSError:
            raise ProbeError(ErrorKind.REFUSED, f"host name {host!r} does not resolve") from None
        parsed = ipaddress.ip_address(infos[0][4][0])
    family = socket.AF_INET if parsed.version == 4 else socket.AF_INET6
    return family, parsed.compressed


def _indication_error(indication: Any, exchange: _Exchange, target: ProbeTarget) -> ProbeError:
    where = f"{target.host}:{target.snmp_port}"
    if isinstance(indication, errind.RequestTimedOut):
        if exchange.auth.version == "2c":
            hint = "a wrong community is dropped in silence too: check snmp_community"
        elif exchange.discovered:
            hint = "the agent answered engine discovery but not the encrypted request: wrong priv_key or priv_proto?"
        else:
            hint = "a wrong SNMPv3 privacy key is dropped in silence too"
        return ProbeError(ErrorKind.TIMEOUT, f"no SNMP answer from {where} ({hint})")
    name = type(indication).__name__
    if isinstance(indication, errind.NotInTimeWindow):
        return ProbeError(ErrorKind.CLOCK, f"{where}: SNMPv3 message outside the agent's time window")
    if isinstance(indication, (errind.UnknownUserName, errind.UnknownSecurityName)):
        return ProbeError(ErrorKind.AUTH, f"{where}: unknown SNMPv3 user (usmStatsUnknownUserNames)")
    if isinstance(indication, (errind.WrongDigest, errind.AuthenticationFailure, errind.AuthenticationError)):
        return ProbeError(ErrorKind.AUTH, f"{where}: wrong SNMPv3 auth key or protocol (usmStatsWrongDigests)")
    if isinstance(indication, AUTH_INDICATIONS):
        return ProbeError(ErrorKind.AUTH, f"{where}: SNMP credentials rejected ({name})")
    return ProbeError(ErrorKind.PROTOCOL, f"{where}: {name}")


def _status_error(status: int, name: str) -> ProbeError:
    if status == 2:  # noSuchName: a v1-style agent without the object
        return ProbeError(ErrorKind.UNSUPPORTED, "agent has no such object (noSuchName)")
    if status in (6, 16):  # noAccess, authorizationError
        return ProbeError(ErrorKind.AUTH, f"agent refused access ({name})")
    return ProbeError(ErrorKind.PROTOCOL, f"agent answered error-status {name}")


def _get_pdu(oids: Sequence[tuple[int, ...]]) -> Any:
    pdu = v2c.GetRequestPDU()
    v2c.apiPDU.set_defaults(pdu)
    v2c.apiPDU.set_varbinds(pdu, [(rfc1902.ObjectName(oid), v2c.null) for oid in oids])
    return pdu


def _bulk_pdu(oids: Sequence[tuple[int, ...]], repetitions: int) -> Any:
    pdu = v2c.GetBulkRequestPDU()
    v2c.apiBulkPDU.set_defaults(pdu)
    v2c.apiBulkPDU.set_non_repeaters(pdu, 0)
    v2c.apiBulkPDU.set_max_repetitions(pdu, repetitions)
    v2c.apiBulkPDU.set_varbinds(pdu, [(rfc1902.ObjectName(oid), v2c.null) for oid in oids])
    return pdu


async def _get(target: ProbeTarget, auth: _Auth, oids: Sequence[tuple[int, ...]]) -> dict[tuple, Any]:
    """GET `oids`; the reply must name exactly those OIDs, in order."""
    pdu = await _request(target, auth, _get_pdu(oids))
    varbinds = v2c.apiPDU.get_varbinds(pdu)
    names = [tuple(name) for name, _ in varbinds]
    if names != list(oids):
        raise ProbeError(ErrorKind.PROTOCOL, f"reply names {len(names)} other OIDs than the {len(oids)} asked for")
    return dict(zip(names, (value for _, value in varbinds), strict=True))


# --- facts --------------------------------------------------------------------------------------


def _missing(value: Any) -> bool:
    return isinstance(value, (rfc1905.NoSuchObject, rfc1905.NoSuchInstance, rfc1905.EndOfMibView))


def _text(value: Any) -> str | None:
    """A DisplayString as text: UTF-8, else GB18030 (Chinese devices), bounded and trimmed."""
    if _missing(value) or not isinstance(value, univ.OctetString):
        return None
    whole = bytes(value.asOctets())
    raw, cut = whole[:MAX_TEXT_BYTES], len(whole) > MAX_TEXT_BYTES
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding).rstrip("\x00").strip()
        except UnicodeDecodeError as exc:
            if cut and exc.start >= len(raw) - 4:  # our cut split the last character
                try:
                    return raw[:exc.start].decode(encoding).rstrip("\x00").strip()
                except UnicodeDecodeError:
                    pass
    return raw.decode("utf-8", errors="replace").rstrip("\x00").strip()


def _oid(value: Any) -> str | None:
    if _missing(value) or not isinstance(value, univ.ObjectIdentifier):
        return None
    return ".".join(str(arc) for arc in tuple(value)[:128])


def _uptime_s(value: Any) -> float:
    if _missing(value):
        raise ProbeError(ErrorKind.UNSUPPORTED, f"agent has no sysUpTime.0 ({type(value).__name__}): "
                                                "its view hides the system group")
    if not isinstance(value, univ.Integer):  # TimeTicks; lenient about Integer/Gauge from odd agents
        raise ProbeError(ErrorKind.PROTOCOL, f"sysUpTime.0 is {type(value).__name__}, not TimeTicks")
    ticks = int(value)
    if not 0 <= ticks < 2**32:
        raise ProbeError(ErrorKind.PROTOCOL, f"sysUpTime.0 out of range ({ticks})")
    return ticks / 100


async def probe_snmp(target: ProbeTarget) -> dict[str, Any]:
    """System group (and with options['interfaces'] the IF-MIB table) over SNMP v2c or v3."""
    auth = _auth_for(target)
    values = await _get(target, auth, (SYS_DESCR, SYS_OBJECT_ID, SYS_UPTIME, SYS_NAME))
    facts: dict[str, Any] = {
        "snmp_version": auth.version,
        "sys_uptime_s": _uptime_s(values[SYS_UPTIME]),
        "sys_object_id": _oid(values[SYS_OBJECT_ID]),
        "sys_descr": _text(values[SYS_DESCR]),
        "sys_name": _text(values[SYS_NAME]),
    }
    if target.options.get("interfaces"):
        limit = max(1, min(int(target.options.get("max_interfaces", MAX_INTERFACES)), 65536))
        try:
            facts["interfaces"], facts["interfaces_truncated"] = await _walk_interfaces(target, auth, limit)
        except ProbeError as exc:  # an optional table: the device is still up
            facts["interfaces"], facts["interfaces_error"] = None, f"{exc.kind.value}: {exc.message}"
    return facts


async def probe_snmp_light(target: ProbeTarget) -> dict[str, Any]:
    """sysUpTime.0 and sysObjectID.0 only: the 5-minute liveness and reboot check."""
    auth = _auth_for(target)
    values = await _get(target, auth, (SYS_UPTIME, SYS_OBJECT_ID))
    return {"snmp_version": auth.version, "sys_uptime_s": _uptime_s(values[SYS_UPTIME]),
            "sys_object_id": _oid(values[SYS_OBJECT_ID])}


async def _walk_interfaces(target: ProbeTarget, auth: _Auth, limit: int) -> tuple[dict[int, dict], bool]:
    """ifDescr, ifOperStatus, ifInErrors by GETBULK, each column until it ends or `limit` rows."""
    columns = (IF_DESCR, IF_OPER_STATUS, IF_IN_ERRORS)
    last = {column: column for column in columns}  # columns still walking -> last OID seen
    seen: dict[tuple, dict[int, Any]] = {column: {} for column in columns}
    truncated = False
    for _ in range(limit + 2):  # each round advances every column or ends it (OIDs must increase)
        if not last:
            break
        walking = list(last)
        pdu = await _request(target, auth, _bulk_pdu([last[c] for c in walking], BULK_REPETITIONS))
        varbinds = v2c.apiBulkPDU.get_varbinds(pdu)
        if not varbinds:
            break
        width = len(walking)
        for start in range(0, len(varbinds) - len(varbinds) % width, width):
            for column, (name, value) in zip(walking, varbinds[start:start + width], strict=True):
                if column not in last:
                    continue
                name = tuple(name)
                beyond = name[:len(column)] != column or len(name) != len(column) + 1
                if beyond or isinstance(value, rfc1905.EndOfMibView):
                    del last[column]
                    continue
                if name <= last[column]:
                    raise ProbeError(ErrorKind.PROTOCOL, "agent returned interface OIDs out of order")
                last[column] = name
                seen[column][name[-1]] = value
                if len(seen[column]) >= limit:
                    truncated = True
                    del last[column]
    else:
        truncated = bool(last)
    rows = {}
    for index in sorted(set().union(*(seen[c].keys() for c in columns)))[:limit]:
        status = seen[IF_OPER_STATUS].get(index)
        errors = seen[IF_IN_ERRORS].get(index)
        rows[index] = {
            "descr": _text(seen[IF_DESCR][index]) if index in seen[IF_DESCR] else None,
            "oper_status": OPER_STATUS.get(int(status), str(int(status))) if _is_int(status) else None,
            "in_errors": int(errors) if _is_int(errors) else None,
        }
    return rows, truncated


def _is_int(value: Any) -> bool:
    return isinstance(value, univ.Integer)  # Integer32, Counter32, Gauge32, TimeTicks...


# --- reboot detection ---------------------------------------------------------------------------


def _seconds(when: float | dt.datetime) -> float:
    return when.timestamp() if isinstance(when, dt.datetime) else float(when)


def detect_reboot(previous_uptime_s: float, previous_at: float | dt.datetime, current_uptime_s: float,
                  current_at: float | dt.datetime, tolerance_s: float = 5.0) -> bool:
    """Whether the agent restarted between two sysUpTime samples (taken at the given times).

    Compares the implied boot times (sample time - uptime): a later boot time means a restart,
    including one where the new uptime already exceeds the old. A shift of a whole number of
    TimeTicks wraps (2**32 hundredths, ~497.1 days) is the counter wrapping, not a restart. The
    tolerance grows by 0.1 % of the interval for clock drift between us and the device. Samples
    out of order never report a reboot.
    """
    elapsed = _seconds(current_at) - _seconds(previous_at)
    if elapsed < 0:
        return False
    shift = (elapsed - current_uptime_s) + previous_uptime_s  # boot time now minus boot time before
    tolerance = tolerance_s + elapsed * 0.001
    if shift <= tolerance:
        return False
    wraps = round(shift / TICKS_WRAP_S)
    return not (wraps >= 1 and abs(shift - wraps * TICKS_WRAP_S) <= tolerance)
