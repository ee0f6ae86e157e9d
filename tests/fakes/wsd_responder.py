"""A fake WS-Discovery target: joins 239.255.255.250:3702 on one address and answers Probe.

Run it inside a test network namespace only (never on a real interface):
    ip netns exec NS python -m tests.fakes.wsd_responder --address 198.18.0.11 --name cam-a
It prints one JSON line when it has joined the group, one per Probe heard, and exits when its
standard input closes (the test ends) or after --lifetime seconds. Flags make it misbehave.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import socket
import sys
import threading
import uuid
from dataclasses import dataclass
from urllib.parse import quote

from lxml import etree

GROUP, PORT = "239.255.255.250", 3702
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
WSA = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
WSD = "http://schemas.xmlsoap.org/ws/2005/04/discovery"
NS = {"dn": "http://www.onvif.org/ver10/network/wsdl", "tds": "http://www.onvif.org/ver10/device/wsdl"}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@dataclass
class Behaviour:
    """How the responder answers; the default is a well-behaved camera."""

    silent: bool = False  # hears Probes, never answers
    garbage: bool = False  # answers with bytes that are not XML
    wrong_relates_to: bool = False  # a valid ProbeMatches that answers some other MessageID
    oversized: bool = False  # a valid ProbeMatches padded to ~60 KB
    dtd: bool = False  # a ProbeMatches carrying an entity bomb in a DTD
    duplicates: int = 1  # copies of each reply
    max_delay_s: float = 0.05  # random delay before answering (the spec allows 500 ms)


@dataclass
class Device:
    """What the responder says about itself."""

    address: str
    name: str
    port: int = 8080
    endpoint: str = ""
    types: tuple[str, ...] = ("dn:NetworkVideoTransmitter", "tds:Device")
    hardware: str = "DS-2CD3T46WD-I3"
    metadata_version: int = 1

    def __post_init__(self) -> None:
        self.endpoint = self.endpoint or f"urn:uuid:{uuid.uuid4()}"

    @property
    def xaddr(self) -> str:
        return f"http://{self.address}:{self.port}/onvif/device_service"

    @property
    def scopes(self) -> list[str]:
        return ["onvif://www.onvif.org/type/video_encoder", "onvif://www.onvif.org/Profile/Streaming",
                f"onvif://www.onvif.org/name/{quote(self.name)}", f"onvif://www.onvif.org/hardware/{quote(self.hardware)}",
                "onvif://www.onvif.org/location/city/shenzhen"]


def probe_match(device: Device, relates_to: str, scopes: list[str]) -> bytes:
    """The ProbeMatches envelope, written as a camera writes it."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<env:Envelope xmlns:env="{SOAP12}" xmlns:wsa="{WSA}" xmlns:wsd="{WSD}" '
        f'xmlns:dn="{NS["dn"]}" xmlns:tds="{NS["tds"]}">'
        "<env:Header>"
        f"<wsa:MessageID>urn:uuid:{uuid.uuid4()}</wsa:MessageID>"
        f"<wsa:RelatesTo>{relates_to}</wsa:RelatesTo>"
        f"<wsa:To>{WSA}/role/anonymous</wsa:To>"
        f"<wsa:Action>{WSD}/ProbeMatches</wsa:Action>"
        '<wsd:AppSequence InstanceId="1" MessageNumber="1"/>'
        "</env:Header>"
        "<env:Body><wsd:ProbeMatches><wsd:ProbeMatch>"
        f"<wsa:EndpointReference><wsa:Address>{device.endpoint}</wsa:Address></wsa:EndpointReference>"
        f"<wsd:Types>{' '.join(device.types)}</wsd:Types>"
        f"<wsd:Scopes>{' '.join(scopes)}</wsd:Scopes>"
        f"<wsd:XAddrs>{device.xaddr}</wsd:XAddrs>"
        f"<wsd:MetadataVersion>{device.metadata_version}</wsd:MetadataVersion>"
        "</wsd:ProbeMatch></wsd:ProbeMatches></env:Body></env:Envelope>"
    ).encode()


def entity_bomb(device: Device, relates_to: str) -> bytes:
    """A ProbeMatches whose name scope is a billion-laughs entity."""
    doctype = ('<!DOCTYPE env:Envelope [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
               '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>')
    body = probe_match(device, relates_to, ["onvif://www.onvif.org/name/&d;"]).decode()
    return body.replace("?>", "?>" + doctype, 1).encode()


class Responder(asyncio.DatagramProtocol):
    """Answers each new Probe whose Types this device offers; reports every Probe it hears."""

    def __init__(self, device: Device, behaviour: Behaviour) -> None:
        self.device, self.behaviour = device, behaviour
        self.seen: set[str] = set()
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        parsed = _parse_probe(data)
        if parsed is None:
            return
        message_id, types = parsed
        repeat = message_id in self.seen  # SOAP-over-UDP: a repeated MessageID is the same Probe
        self.seen.add(message_id)
        wanted = types <= {_resolve(t, NS) for t in self.device.types}
        answer = wanted and not repeat and not self.behaviour.silent
        _say({"probe": message_id, "from": addr[0], "repeat": repeat, "answered": answer})
        if answer:
            delay = random.uniform(0, self.behaviour.max_delay_s)
            asyncio.get_running_loop().call_later(delay, self._answer, message_id, addr)

    def _answer(self, message_id: str, addr: tuple[str, int]) -> None:
        b, device = self.behaviour, self.device
        if b.garbage:
            reply = b"\x89PNG not xml <<<" + random.randbytes(200)
        elif b.dtd:
            reply = entity_bomb(device, message_id)
        else:
            relates_to = f"uuid:{uuid.uuid4()}" if b.wrong_relates_to else message_id
            scopes = device.scopes
            if b.oversized:
                scopes = scopes + [f"onvif://www.onvif.org/extension/{'x' * 1000}{i}" for i in range(58)]
            reply = probe_match(device, relates_to, scopes)
        for _ in range(max(1, b.duplicates)):
            self.transport.sendto(reply, addr)


def _resolve(token: str, nsmap) -> tuple[str | None, str]:
    prefix, _, local = token.rpartition(":")
    return nsmap.get(prefix or None), local


def _parse_probe(data: bytes) -> tuple[str, set] | None:
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError:
        return None
    message_id = root.findtext(f"{{{SOAP12}}}Header/{{{WSA}}}MessageID")
    probe = root.find(f"{{{SOAP12}}}Body/{{{WSD}}}Probe")
    if not message_id or probe is None:
        return None
    types_el = probe.find(f"{{{WSD}}}Types")
    types = {_resolve(t, types_el.nsmap) for t in (types_el.text or "").split()} if types_el is not None else set()
    return message_id.strip(), types


def _say(event: dict) -> None:
    print(json.dumps(event), flush=True)


def open_socket(address: str) -> socket.socket:
    """A UDP socket on port 3702 that has joined the discovery group on the interface with `address`."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("0.0.0.0", PORT))  # a socket bound to a unicast address never sees multicast
    mreq = socket.inet_aton(GROUP) + socket.inet_aton(address)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(address))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
    sock.setblocking(False)
    return sock


async def serve(device: Device, behaviour: Behaviour, lifetime_s: float, onvif: bool) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    threading.Thread(target=lambda: (sys.stdin.buffer.read(), loop.call_soon_threadsafe(stop.set)),
                     daemon=True).start()
    transport, _ = await loop.create_datagram_endpoint(lambda: Responder(device, behaviour),
                                                       sock=open_socket(device.address))
    camera = None
    if onvif:  # the ONVIF fake device answers at the advertised XAddrs
        from tests.fakes.onvif_device import FakeOnvifDevice

        camera = await FakeOnvifDevice(host=device.address, port=device.port).start()
    _say({"ready": device.address, "endpoint": device.endpoint, "xaddr": device.xaddr})
    try:
        await asyncio.wait_for(stop.wait(), lifetime_s)
    except asyncio.TimeoutError:
        pass
    finally:
        transport.close()
        if camera is not None:
            await camera.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--port", type=int, default=8080, help="port advertised in XAddrs")
    parser.add_argument("--types", default="dn:NetworkVideoTransmitter tds:Device")
    parser.add_argument("--lifetime", type=float, default=120.0, help="exit after this many seconds")
    parser.add_argument("--onvif", action="store_true", help="also serve the fake ONVIF device at the XAddrs")
    for flag in ("silent", "garbage", "wrong-relates-to", "oversized", "dtd"):
        parser.add_argument(f"--{flag}", action="store_true")
    parser.add_argument("--duplicates", type=int, default=1)
    args = parser.parse_args(argv)
    device = Device(args.address, args.name, args.port, types=tuple(args.types.split()))
    behaviour = Behaviour(args.silent, args.garbage, args.wrong_relates_to, args.oversized, args.dtd, args.duplicates)
    asyncio.run(serve(device, behaviour, args.lifetime, args.onvif))


if __name__ == "__main__":
    main()
