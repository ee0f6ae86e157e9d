"""WS-Discovery (ONVIF device discovery, 设备发现): multicast Probe, collect ProbeMatches, diff with the registry."""

from __future__ import annotations

import asyncio
import ipaddress
import random
import re
import socket
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence
from urllib.parse import unquote, urlsplit

from lxml import etree

from probes.types import ErrorKind, ProbeError, ProbeTarget

MULTICAST_GROUP = "239.255.255.250"
PORT = 3702

SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
WSA = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
WSA10 = "http://www.w3.org/2005/08/addressing"
WSD = "http://schemas.xmlsoap.org/ws/2005/04/discovery"
WSD11 = "http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01"
ONVIF_NETWORK = "http://www.onvif.org/ver10/network/wsdl"
ONVIF_DEVICE = "http://www.onvif.org/ver10/device/wsdl"

# ONVIF pins WS-Discovery 2005/04 with WS-Addressing 2004/08 and SOAP 1.2; some firmwares answer
# with the 2009 (WS-DD 1.1) / 2005/08 namespaces or a SOAP 1.1 envelope, so replies accept either.
_ENVELOPES = {SOAP12, SOAP11}
_ADDRESSING = {WSA, WSA10}
_DISCOVERY = {WSD, WSD11}
_PREFIXES = {"dn": ONVIF_NETWORK, "tds": ONVIF_DEVICE}  # the prefixes a caller may use in `types`
_CANONICAL = {ns: prefix for prefix, ns in _PREFIXES.items()}
_QNAME = re.compile(r"^([A-Za-z_][\w.-]*):([A-Za-z_][\w.-]*)$")

MAX_REPLY_BYTES = 32 * 1024  # a camera's ProbeMatches is 1-4 KB; more is padding or an attack
_MAX_ITEMS = 64  # XAddrs, scopes or types kept per device
_MAX_TEXT = 1024  # characters kept per URI

# Hardened parser for untrusted replies: no DTD loading, no entity expansion, no network, and
# libxml2's default depth/size limits (huge_tree off). A DTD is also refused before parsing.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                          huge_tree=False, remove_comments=True, remove_pis=True, collect_ids=False)


@dataclass(frozen=True)
class Discovered:
    """One device that answered the Probe."""

    address: str  # source address of its reply
    xaddrs: tuple[str, ...]  # device service URLs, e.g. http://host/onvif/device_service
    scopes: tuple[str, ...]
    types: tuple[str, ...]  # "dn:NetworkVideoTransmitter", "tds:Device" or "{namespace}Local"
    endpoint_reference: str  # stable device identity, usually urn:uuid:...
    metadata_version: int | None

    def scope(self, kind: str) -> str | None:
        """The value of an onvif://www.onvif.org/<kind>/<value> scope (name, hardware, location...)."""
        prefix = f"onvif://www.onvif.org/{kind}/"
        for scope in self.scopes:
            if scope.startswith(prefix):
                return unquote(scope[len(prefix):])
        return None

    def to_json(self) -> dict[str, Any]:
        return {"address": self.address, "xaddrs": list(self.xaddrs), "scopes": list(self.scopes),
                "types": list(self.types), "endpoint_reference": self.endpoint_reference,
                "metadata_version": self.metadata_version, "name": self.scope("name"),
                "hardware": self.scope("hardware")}


@dataclass
class DiscoveryReport:
    """Everything one Probe round saw: the devices and how many replies were dropped, and why."""

    found: list[Discovered] = field(default_factory=list)
    datagrams: int = 0  # replies received (all of them, dropped ones included)
    invalid: int = 0  # not well-formed XML, a DTD, not a SOAP ProbeMatches
    unrelated: int = 0  # RelatesTo missing or not our MessageID
    oversized: int = 0  # larger than the per-datagram cap; never parsed
    duplicates: int = 0  # a further match from an endpoint already found
    truncated: bool = False  # stopped early at max_replies
    elapsed_s: float = 0.0


@dataclass(frozen=True)
class DiscoveryDiff:
    """Discovered devices against the registry: who answered unlisted, who is listed but silent."""

    unknown: list[Discovered]
    missing: list[str]


def probe_message(message_id: str, types: str | None) -> bytes:
    """The SOAP 1.2 Probe envelope; `types` is space-separated QNames with the dn or tds prefix."""
    types_xml = f"<d:Types>{' '.join(_check_types(types))}</d:Types>" if types else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<s:Envelope xmlns:s="{SOAP12}" xmlns:a="{WSA}" xmlns:d="{WSD}" '
        f'xmlns:dn="{ONVIF_NETWORK}" xmlns:tds="{ONVIF_DEVICE}">'
        "<s:Header>"
        f'<a:Action s:mustUnderstand="1">{WSD}/Probe</a:Action>'
        f"<a:MessageID>{message_id}</a:MessageID>"
        f"<a:ReplyTo><a:Address>{WSA}/role/anonymous</a:Address></a:ReplyTo>"
        '<a:To s:mustUnderstand="1">urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>'
        "</s:Header>"
        f"<s:Body><d:Probe>{types_xml}</d:Probe></s:Body>"
        "</s:Envelope>"
    ).encode()


def _check_types(types: str) -> list[str]:
    tokens = types.split()
    for token in tokens:
        match = _QNAME.match(token)
        if not match or match.group(1) not in _PREFIXES:
            raise ValueError(f"type {token!r}: write prefix:Name with a prefix from {sorted(_PREFIXES)}")
    return tokens


def _children(element: etree._Element, local: str, namespaces: set[str]) -> list[etree._Element]:
    return [child for child in element
            if isinstance(child.tag, str) and etree.QName(child).localname == local
            and etree.QName(child).namespace in namespaces]


def _child(element: etree._Element | None, local: str, namespaces: set[str]) -> etree._Element | None:
    if element is None:
        return None
    found = _children(element, local, namespaces)
    return found[0] if found else None


def _text(element: etree._Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _tokens(element: etree._Element | None) -> list[str]:
    return [t for t in _text(element).split()[:_MAX_ITEMS] if len(t) <= _MAX_TEXT]


def _type_name(token: str, element: etree._Element) -> str:
    """A Types QName resolved against the reply's own prefixes, spelt the way callers spell them."""
    prefix, _, local = token.rpartition(":")
    namespace = element.nsmap.get(prefix or None)
    if namespace is None:
        return token  # quirk: some firmwares use an undeclared prefix; keep it as sent
    canonical = _CANONICAL.get(namespace)
    return f"{canonical}:{local}" if canonical else f"{{{namespace}}}{local}"


def _metadata_version(element: etree._Element | None) -> int | None:
    text = _text(element)
    return int(text) if text.isdigit() and len(text) <= 10 else None


def _match(element: etree._Element, source: str) -> Discovered:
    epr = _text(_child(_child(element, "EndpointReference", _ADDRESSING), "Address", _ADDRESSING))
    types_el = _child(element, "Types", _DISCOVERY)
    xaddrs = [x for x in _tokens(_child(element, "XAddrs", _DISCOVERY))
              if x.lower().startswith(("http://", "https://"))]
    return Discovered(
        address=source,
        xaddrs=tuple(xaddrs),
        scopes=tuple(_tokens(_child(element, "Scopes", _DISCOVERY))),
        types=tuple(_type_name(t, types_el) for t in _tokens(types_el)),
        endpoint_reference=epr[:_MAX_TEXT],
        metadata_version=_metadata_version(_child(element, "MetadataVersion", _DISCOVERY)),
    )


class Unrelated(Exception):
    """A well-formed reply that does not answer our Probe."""


def parse_probe_matches(data: bytes, message_id: str, source: str) -> list[Discovered]:
    """The matches in one reply datagram; ValueError when it is not a ProbeMatches envelope,
    Unrelated when it answers some other message."""
    head = data[:4096].upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise ValueError("reply declares a DTD")  # the way in for entity bombs; SOAP forbids DTDs
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"not well-formed XML: {exc}") from None
    if root.getroottree().docinfo.doctype:
        raise ValueError("reply declares a DTD")
    if etree.QName(root).localname != "Envelope" or etree.QName(root).namespace not in _ENVELOPES:
        raise ValueError("not a SOAP envelope")
    header = _child(root, "Header", _ENVELOPES)
    matches = _child(_child(root, "Body", _ENVELOPES), "ProbeMatches", _DISCOVERY)
    if matches is None:
        raise ValueError("no ProbeMatches in the body")
    if _text(_child(header, "RelatesTo", _ADDRESSING)) != message_id:
        raise Unrelated("RelatesTo is not our MessageID")
    return [_match(m, source) for m in _children(matches, "ProbeMatch", _DISCOVERY)[:_MAX_ITEMS]]


class _Collector(asyncio.DatagramProtocol):
    """Receives and sorts the replies to one Probe."""

    def __init__(self, message_id: str, max_replies: int, max_reply_bytes: int) -> None:
        self.message_id, self.max_replies, self.max_reply_bytes = message_id, max_replies, max_reply_bytes
        self.report = DiscoveryReport()
        self.by_endpoint: dict[str, Discovered] = {}
        self.full = asyncio.get_running_loop().create_future()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.full.done():
            return
        report = self.report
        report.datagrams += 1
        if report.datagrams >= self.max_replies:
            report.truncated = True
            self.full.set_result(None)
        if len(data) > self.max_reply_bytes:
            report.oversized += 1
            return
        try:
            matches = parse_probe_matches(data, self.message_id, addr[0])
        except Unrelated:
            report.unrelated += 1
            return
        except (ValueError, UnicodeError):  # lxml raises ValueError for some encoding trouble
            report.invalid += 1
            return
        for match in matches:
            # quirk: a match without EndpointReference cannot be told apart by identity; key it
            # by its source address so that it is still listed (a silent miss is worse)
            key = match.endpoint_reference or f"address:{match.address}"
            seen = self.by_endpoint.get(key)
            if seen is not None:
                report.duplicates += 1
                if (match.metadata_version or 0) <= (seen.metadata_version or 0):
                    continue
            self.by_endpoint[key] = match

    def error_received(self, exc: Exception) -> None:
        pass  # an ICMP error for one datagram says nothing about the other devices


def _socket(interface_address: str) -> socket.socket:
    address = ipaddress.IPv4Address(interface_address)  # ValueError for anything else
    if address.is_multicast or address.is_unspecified:
        raise ValueError(f"{interface_address} is not an interface address")
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)  # replies arrive in bursts
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)  # never past the first router
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, address.packed)
        sock.bind((str(address), 0))  # replies come back unicast to this address and port
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


async def ws_discover_report(interface_address: str, *, timeout_s: float = 3.0,
                             types: str | None = "dn:NetworkVideoTransmitter", max_replies: int = 4096,
                             max_reply_bytes: int = MAX_REPLY_BYTES) -> DiscoveryReport:
    """Send one Probe out of the interface with this IPv4 address and collect replies for timeout_s."""
    message_id = f"uuid:{uuid.uuid4()}"
    message = probe_message(message_id, types)
    loop = asyncio.get_running_loop()
    start = time.monotonic()
    sock = _socket(interface_address)
    try:
        # the first send goes straight through the socket: a transport would hand a send error
        # to error_received and the round would end silently empty instead of failing
        sock.sendto(message, (MULTICAST_GROUP, PORT))
        transport, collector = await loop.create_datagram_endpoint(
            lambda: _Collector(message_id, max_replies, max_reply_bytes), sock=sock)
    except BaseException:
        sock.close()
        raise
    # SOAP-over-UDP repeats a multicast message once after 50-250 ms (same MessageID) so one
    # lost datagram does not hide a device; duplicates are folded by endpoint reference
    repeat = loop.call_later(random.uniform(0.05, 0.25), transport.sendto, message, (MULTICAST_GROUP, PORT))
    try:
        await asyncio.wait([collector.full], timeout=timeout_s)
    finally:
        repeat.cancel()
        transport.close()
    report = collector.report
    report.found = list(collector.by_endpoint.values())
    report.elapsed_s = time.monotonic() - start
    return report


async def ws_discover(interface_address: str, *, timeout_s: float = 3.0,
                      types: str | None = "dn:NetworkVideoTransmitter", max_replies: int = 4096) -> list[Discovered]:
    """The devices that answered a Probe sent out of the interface with this address."""
    report = await ws_discover_report(interface_address, timeout_s=timeout_s, types=types, max_replies=max_replies)
    return report.found


def _normal(address: str) -> str:
    address = address.strip().strip("[]").lower()
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return address  # a host name: compared as written, lower case


def _hosts(device: Discovered) -> set[str]:
    hosts = {_normal(device.address)}
    for xaddr in device.xaddrs:
        try:
            host = urlsplit(xaddr).hostname
        except ValueError:
            continue
        if host:
            hosts.add(_normal(host))
    return hosts


def diff_against(found: Sequence[Discovered], known_addresses: Iterable[str]) -> DiscoveryDiff:
    """Found devices whose reply address and XAddrs hosts are all unlisted, and listed addresses
    that no device answered from (a device behind NAT matches by its XAddrs host)."""
    known = list(dict.fromkeys(_normal(a) for a in known_addresses if a.strip()))
    known_set = set(known)
    answered: set[str] = set()
    unknown = []
    for device in found:
        hosts = _hosts(device)
        answered |= hosts
        if not hosts & known_set:
            unknown.append(device)
    return DiscoveryDiff(unknown=unknown, missing=[a for a in known if a not in answered])


async def probe_wsdiscovery(target: ProbeTarget) -> dict[str, Any]:
    """Discovery on the segment of target.host, a local interface address; options: timeout_s,
    types, known (addresses from the registry to diff against)."""
    options = target.options
    try:
        report = await ws_discover_report(target.host, timeout_s=float(options.get("timeout_s", 3.0)),
                                          types=options.get("types", "dn:NetworkVideoTransmitter"))
    except ValueError as exc:
        raise ProbeError(ErrorKind.PROTOCOL, f"bad discovery setting: {exc}") from None
    except OSError as exc:
        raise ProbeError(ErrorKind.REFUSED, f"cannot send the Probe from {target.host}: {exc.strerror or exc}") from None
    facts: dict[str, Any] = {
        "devices": [d.to_json() for d in report.found],
        "dropped": {"invalid": report.invalid, "unrelated": report.unrelated, "oversized": report.oversized},
        "datagrams": report.datagrams, "duplicates": report.duplicates, "truncated": report.truncated,
    }
    if "known" in options:
        known = options["known"]
        if isinstance(known, str):  # "a, b c" from a command line or a settings field
            known = known.replace(",", " ").split()
        diff = diff_against(report.found, known)
        facts["unknown"] = [d.to_json() for d in diff.unknown]
        facts["missing"] = diff.missing
    return facts
