"""A fake ONVIF camera: SOAP 1.2 over HTTP/1.1 on loopback, WS-UsernameToken checks, scenario flags.

The device logic lives in `FakeOnvifDevice`, independent of pytest, so a demo fleet can run many
of them in one process (one small asyncio server each; replies are string templates, no zeep).
Every request is recorded (operation, whether it carried a valid token) so tests can prove what
the client sent.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import datetime as dt
import email.utils
import functools
import hashlib
import os
import time
from dataclasses import dataclass, field
from typing import Mapping
from xml.sax.saxutils import escape

from lxml import etree

WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
# ONVIF access class PRE_AUTH: these answer without a token (unless auth_everything is set).
PRE_AUTH = frozenset({"GetSystemDateAndTime", "GetServices", "GetCapabilities", "GetWsdlUrl"})
# Incoming SOAP is parsed without entities, DTD loading or network: the fake is hardened too.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@dataclass(frozen=True)
class Identity:
    """What GetDeviceInformation and GetNetworkInterfaces report."""

    manufacturer: str = "HIKVISION"
    model: str = "DS-2CD3T46WD-I3"
    firmware: str = "V5.5.82 build 190909"
    serial: str = "DS-2CD3T46WD-I320190101AACHC12345678"
    hardware_id: str = "88"
    mac: str = "bc:ad:28:12:34:56"


@dataclass(frozen=True)
class Profile:
    token: str
    name: str
    encoding: str = "H264"
    width: int = 1920
    height: int = 1080
    fps: int = 25  # RateControl/FrameRateLimit: the rate the encoder is set to send


DEFAULT_PROFILES = (Profile("Profile_1", "mainStream"), Profile("Profile_2", "subStream", "H264", 640, 360))


@dataclass
class Scenario:
    """How the device misbehaves; the default is a healthy, NTP-synchronised camera."""

    drift_s: float = 0.0  # device clock minus real clock
    delay_s: float = 0.0  # before every answer
    hang: bool = False  # accept connections, read requests, never answer
    auth_everything: bool = False  # even GetSystemDateAndTime needs a token
    auth_window_s: float | None = 300.0  # how far a token's Created may be from the device clock
    auth_fault: str = "soap"  # soap (ter:NotAuthorized) | generic ("Sender not authorized") | http401
    faults: Mapping[str, str] = field(default_factory=dict)  # operation (or "*") -> one of FAULT_OPS
    snapshot: str | bytes = "scene"  # a kind for snapshot_jpeg() or the JPEG bytes to serve
    snapshot_auth: str = "digest"  # digest | basic | none
    ntp: bool = True
    tz: str = "CST-8"
    xxe_path: str = "/etc/passwd"  # the local file the "xxe" reply's entity names


@dataclass(frozen=True)
class RequestRecord:
    """One request as the device saw it."""

    path: str
    operation: str  # SOAP body element name, or "snapshot" / "?" (unparseable)
    auth: str  # none | valid | invalid  (WS-Security token, or HTTP auth for the snapshot)
    at: float


class FakeOnvifDevice:
    """One camera on 127.0.0.1:<port>. Use `async with FakeOnvifDevice(...) as device:`."""

    def __init__(self, username: str = "admin", password: str = "admin12345", scenario: Scenario | None = None,
                 identity: Identity | None = None, profiles: tuple[Profile, ...] = DEFAULT_PROFILES,
                 stream_uri: str = "rtsp://127.0.0.1:8554/{token}", host: str = "127.0.0.1", port: int = 0) -> None:
        self.username, self.password = username, password
        self.scenario = scenario or Scenario()
        self.identity = identity or Identity()
        self.profiles = profiles
        self.stream_uri = stream_uri
        self.host, self.port = host, port
        self.requests: collections.deque[RequestRecord] = collections.deque(maxlen=2000)
        self._nonces: collections.OrderedDict[bytes, None] = collections.OrderedDict()
        self._server: asyncio.AbstractServer | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task] = set()
        self._snapshots = 0
        self._http_nonce = base64.b64encode(os.urandom(12)).decode()
        for op, kind in self.scenario.faults.items():
            if kind not in FAULT_OPS:
                raise ValueError(f"fault {kind!r} for {op}: use one of {sorted(FAULT_OPS)}")

    # --- life cycle ---------------------------------------------------------------------------
    async def start(self) -> "FakeOnvifDevice":
        self._server = await asyncio.start_server(self._serve, self.host, self.port, limit=65536)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for writer in list(self._writers):  # Python 3.11's Server.close leaves open connections
            writer.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    async def __aenter__(self) -> "FakeOnvifDevice":
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def now(self) -> dt.datetime:
        """The device's (possibly drifted) clock."""
        return dt.datetime.fromtimestamp(time.time() + self.scenario.drift_s, dt.timezone.utc)

    def operations(self) -> list[tuple[str, str]]:
        """(operation, auth) for every request so far, in order."""
        return [(r.operation, r.auth) for r in self.requests]

    # --- connection handling ------------------------------------------------------------------
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            while True:
                request = await read_request(reader)
                if request is None:
                    return
                if self.scenario.hang:
                    self.requests.append(RequestRecord(request.path, self._parse(request.body)[0], "none", time.time()))
                    await _hold(reader)
                    return
                if self.scenario.delay_s:
                    await asyncio.sleep(self.scenario.delay_s)
                keep = await self._answer(request, writer)
                if keep == "hang":
                    await _hold(reader)
                if keep != "keep" or request.headers.get("connection", "").lower() == "close":
                    return
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            return  # a client that hangs up mid-reply (e.g. after its size cap) is normal
        except asyncio.CancelledError:
            return  # stop() or loop shutdown; ending quietly keeps asyncio's stream callback silent
        finally:
            self._writers.discard(writer)
            self._tasks.discard(task)  # type: ignore[arg-type]
            writer.close()

    async def _answer(self, request: HttpRequest, writer: asyncio.StreamWriter) -> str:
        """Reply to one request; says whether to keep the connection, close it, or hang on it."""
        if request.method == "GET" and request.path.startswith("/snapshot/"):
            return await self._snapshot(request, writer)
        if request.method != "POST" or not request.path.startswith("/onvif/"):
            await write_response(writer, 404, b"not found", "text/plain")
            return "keep"
        operation, body, token = self._parse(request.body)
        auth = self._check_token(token) if token is not None else "none"
        self.requests.append(RequestRecord(request.path, operation, auth, time.time()))
        if operation == "?":
            return await self._send(writer, 400, fault("env:Sender", "ter:WellFormed", "malformed request"))
        kind = self.scenario.faults.get(operation) or self.scenario.faults.get("*")
        if kind == "unsupported":
            return await self._send(writer, 500, fault("env:Receiver", "ter:ActionNotSupported",
                                                       "Optional Action Not Implemented"))
        needs_auth = self.scenario.auth_everything or operation not in PRE_AUTH
        if auth == "invalid" or (needs_auth and auth == "none"):
            return await self._deny(writer)
        if kind == "hang":
            return "hang"
        if kind in ("huge_body", "huge_body_chunked"):
            await _send_huge(writer, 50 * 2**20, chunked=kind == "huge_body_chunked")
            return "close"
        if kind is not None:
            status = 500 if kind == "nonstandard_fault" else 200
            return await self._send(writer, status, hostile_body(self, operation, kind, body))
        status, reply = reply_for(self, operation, body)
        return await self._send(writer, status, reply)

    async def _send(self, writer: asyncio.StreamWriter, status: int, body: str | bytes) -> str:
        data = body.encode() if isinstance(body, str) else body
        await write_response(writer, status, data, "application/soap+xml; charset=utf-8",
                             {"Date": email.utils.format_datetime(self.now(), usegmt=True)})
        return "keep"

    async def _deny(self, writer: asyncio.StreamWriter) -> str:
        style = self.scenario.auth_fault
        if style == "http401":
            challenge = f'Digest realm="IP Camera", qop="auth", nonce="{self._http_nonce}"'
            await write_response(writer, 401, b"", "text/html", {"WWW-Authenticate": challenge})
            return "keep"
        return await self._send(writer, 400 if style == "soap" else 500, auth_fault(style))

    # --- WS-Security --------------------------------------------------------------------------
    def _parse(self, body: bytes) -> tuple[str, etree._Element | None, etree._Element | None]:
        """(operation name, its element, the UsernameToken element if any)."""
        try:
            root = etree.fromstring(body, _PARSER)
        except etree.XMLSyntaxError:
            return "?", None, None
        operation = root.find(f"{{{SOAP12}}}Body/*")
        token = root.find(f"{{{SOAP12}}}Header/{{{WSSE}}}Security/{{{WSSE}}}UsernameToken")
        return (etree.QName(operation).localname if operation is not None else "?"), operation, token

    def _check_token(self, token: etree._Element) -> str:
        """valid | invalid: PasswordDigest = Base64(SHA-1(nonce + created + password))."""
        user = token.findtext(f"{{{WSSE}}}Username") or ""
        password = token.find(f"{{{WSSE}}}Password")
        nonce_text = token.findtext(f"{{{WSSE}}}Nonce") or ""
        created = token.findtext(f"{{{WSU}}}Created") or ""
        if password is None or user != self.username:
            return "invalid"
        if not (password.get("Type") or "").endswith("#PasswordDigest"):
            return "valid" if password.text == self.password else "invalid"  # PasswordText
        try:
            nonce = base64.b64decode(nonce_text, validate=True)
            when = dt.datetime.fromisoformat(created.replace("Z", "+00:00"))
        except ValueError:
            return "invalid"
        expected = base64.b64encode(hashlib.sha1(nonce + created.encode() + self.password.encode()).digest()).decode()
        if password.text != expected or nonce in self._nonces:
            return "invalid"
        window = self.scenario.auth_window_s
        if window is not None and abs((self.now() - _aware(when)).total_seconds()) > window:
            return "invalid"  # the token is stale or from the future by the device's clock
        self._nonces[nonce] = None
        if len(self._nonces) > 1024:
            self._nonces.popitem(last=False)
        return "valid"

    # --- snapshot over HTTP -------------------------------------------------------------------
    async def _snapshot(self, request: HttpRequest, writer: asyncio.StreamWriter) -> str:
        auth = _http_auth(request, self.scenario.snapshot_auth, self.username, self.password, self._http_nonce)
        self.requests.append(RequestRecord(request.path, "snapshot", auth, time.time()))
        if auth != "valid" and self.scenario.snapshot_auth != "none":
            challenge = (f'Digest realm="IP Camera", qop="auth", nonce="{self._http_nonce}", algorithm=MD5'
                         if self.scenario.snapshot_auth == "digest" else 'Basic realm="IP Camera"')
            await write_response(writer, 401, b"", "text/html", {"WWW-Authenticate": challenge})
            return "keep"
        kind = self.scenario.faults.get("snapshot")
        if kind == "hang":
            return "hang"
        if kind in ("huge_body", "huge_body_chunked"):
            await _send_huge(writer, 50 * 2**20, chunked=kind == "huge_body_chunked", content_type="image/jpeg")
            return "close"
        image = self.scenario.snapshot
        self._snapshots += 1
        data = image if isinstance(image, bytes) else snapshot_jpeg(image, self._snapshots)
        await write_response(writer, 200, data, "image/jpeg")
        return "keep"


async def _hold(reader: asyncio.StreamReader) -> None:
    """Never answer: read (and drop) whatever comes until the client gives up and closes."""
    while await reader.read(65536):
        pass


def _aware(when: dt.datetime) -> dt.datetime:
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def _http_auth(request: HttpRequest, scheme: str, user: str, password: str, nonce: str) -> str:
    header = request.headers.get("authorization", "")
    if not header:
        return "none"
    if scheme == "basic" and header.lower().startswith("basic "):
        try:
            given = base64.b64decode(header[6:].strip(), validate=True).decode()
        except ValueError:
            return "invalid"
        return "valid" if given == f"{user}:{password}" else "invalid"
    if scheme == "digest" and header.lower().startswith("digest "):
        fields = _digest_fields(header[7:])
        ha1 = hashlib.md5(f"{user}:{fields.get('realm', '')}:{password}".encode()).hexdigest()
        ha2 = hashlib.md5(f"{request.method}:{fields.get('uri', '')}".encode()).hexdigest()
        parts = [ha1, fields.get("nonce", ""), fields.get("nc", ""), fields.get("cnonce", ""),
                 fields.get("qop", ""), ha2] if fields.get("qop") else [ha1, fields.get("nonce", ""), ha2]
        ok = (fields.get("username") == user and fields.get("nonce") == nonce
              and fields.get("response") == hashlib.md5(":".join(parts).encode()).hexdigest())
        return "valid" if ok else "invalid"
    return "invalid"


def _digest_fields(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in text.split(","):
        key, _, value = part.strip().partition("=")
        out[key.strip().lower()] = value.strip().strip('"')
    return out


async def _send_huge(writer: asyncio.StreamWriter, size: int, chunked: bool,
                     content_type: str = "application/soap+xml; charset=utf-8") -> None:
    """A 50 MB reply, written as the client reads (drain), so the fake never holds it in memory."""
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}"
    writer.write(f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\n{framing}\r\n\r\n".encode())
    block = b"<a>" + b"x" * (65536 - 7) + b"</a>"
    for _ in range(size // len(block)):
        writer.write(b"%x\r\n%s\r\n" % (len(block), block) if chunked else block)
        await writer.drain()
    if chunked:
        writer.write(b"0\r\n\r\n")
    await writer.drain()

# --- HTTP/1.1, just enough for SOAP clients (Content-Length bodies, keep-alive) ------------------
MAX_REQUEST_BODY = 1 << 20
_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 500: "Internal Server Error"}


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


async def read_request(reader: asyncio.StreamReader) -> HttpRequest | None:
    """One request, or None when the client closed between requests; the head is capped by the limit."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            return None
        raise
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        key, _, value = line.partition(":")
        if key:
            headers[key.strip().lower()] = value.strip()
    length = int(headers.get("content-length") or 0)
    if not 0 <= length <= MAX_REQUEST_BODY:
        raise ValueError("request body too large")
    body = await reader.readexactly(length) if length else b""
    return HttpRequest(method, path, headers, body)


async def write_response(writer: asyncio.StreamWriter, status: int, body: bytes, content_type: str,
                         extra: Mapping[str, str] | None = None) -> None:
    head = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}", f"Content-Type: {content_type}",
            f"Content-Length: {len(body)}", "Server: fake-onvif"]
    head += [f"{k}: {v}" for k, v in (extra or {}).items()]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
    await writer.drain()


# --- replies --------------------------------------------------------------------------------------
_ENVELOPE = ('<?xml version="1.0" encoding="UTF-8"?>\n<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"'
             ' xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:trt="http://www.onvif.org/ver10/media/wsdl"'
             ' xmlns:tt="http://www.onvif.org/ver10/schema" xmlns:ter="http://www.onvif.org/ver10/error">'
             '<env:Body>{}</env:Body></env:Envelope>')
TDS, TRT = "http://www.onvif.org/ver10/device/wsdl", "http://www.onvif.org/ver10/media/wsdl"
FAULT_OPS = frozenset({"invalid_utf8", "nonstandard_fault", "xml_bomb", "xxe", "huge_body", "huge_body_chunked",
                       "unsupported", "malformed_xml", "hang"})


def fault(code: str, subcode: str | None, reason: str) -> str:
    """A SOAP 1.2 fault as ONVIF Core 5.11 shapes it (env:Sender/env:Receiver, ter: subcodes)."""
    sub = f"<env:Subcode><env:Value>{subcode}</env:Value></env:Subcode>" if subcode else ""
    return _ENVELOPE.format(f'<env:Fault><env:Code><env:Value>{code}</env:Value>{sub}</env:Code><env:Reason>'
                            f'<env:Text xml:lang="en">{escape(reason)}</env:Text></env:Reason></env:Fault>')


def auth_fault(style: str) -> str:
    if style == "generic":  # many firmwares: no ter:NotAuthorized subcode, just words
        return fault("env:Receiver", None, "Sender not authorized")
    return fault("env:Sender", "ter:NotAuthorized", "Sender not Authorized")


def _dt(tag: str, when: dt.datetime) -> str:
    return (f"<tt:{tag}><tt:Time><tt:Hour>{when.hour}</tt:Hour><tt:Minute>{when.minute}</tt:Minute>"
            f"<tt:Second>{when.second}</tt:Second></tt:Time><tt:Date><tt:Year>{when.year}</tt:Year>"
            f"<tt:Month>{when.month}</tt:Month><tt:Day>{when.day}</tt:Day></tt:Date></tt:{tag}>")


def date_time_reply(device: FakeOnvifDevice) -> str:
    now, sc = device.now(), device.scenario
    local = now + dt.timedelta(hours=8 if sc.tz.startswith("CST-8") else 0)
    return _ENVELOPE.format(
        f"<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>{'NTP' if sc.ntp else 'Manual'}"
        f"</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings><tt:TimeZone><tt:TZ>{escape(sc.tz)}"
        f"</tt:TZ></tt:TimeZone>{_dt('UTCDateTime', now)}{_dt('LocalDateTime', local)}</tds:SystemDateAndTime>"
        "</tds:GetSystemDateAndTimeResponse>")


def _service(ns: str, xaddr: str) -> str:
    return (f"<tds:Service><tds:Namespace>{ns}</tds:Namespace><tds:XAddr>{xaddr}</tds:XAddr><tds:Version>"
            "<tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service>")


def _profile(p: Profile, index: int) -> str:
    return (f'<trt:Profiles token="{escape(p.token)}" fixed="true"><tt:Name>{escape(p.name)}</tt:Name>'
            f'<tt:VideoEncoderConfiguration token="VideoEncoderToken_{index}"><tt:Name>VideoEncoder_{index}</tt:Name>'
            f"<tt:UseCount>1</tt:UseCount><tt:Encoding>{p.encoding}</tt:Encoding><tt:Resolution><tt:Width>{p.width}"
            f"</tt:Width><tt:Height>{p.height}</tt:Height></tt:Resolution><tt:Quality>3</tt:Quality><tt:RateControl>"
            f"<tt:FrameRateLimit>{p.fps}</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval><tt:BitrateLimit>"
            "4096</tt:BitrateLimit></tt:RateControl><tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>"
            "0.0.0.0</tt:IPv4Address></tt:Address><tt:Port>0</tt:Port><tt:TTL>5</tt:TTL><tt:AutoStart>false"
            "</tt:AutoStart></tt:Multicast><tt:SessionTimeout>PT5S</tt:SessionTimeout></tt:VideoEncoderConfiguration>"
            "</trt:Profiles>")


def _media_uri(op: str, uri: str) -> str:
    return (f"<trt:{op}Response><trt:MediaUri><tt:Uri>{escape(uri)}</tt:Uri><tt:InvalidAfterConnect>false"
            "</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S"
            f"</tt:Timeout></trt:MediaUri></trt:{op}Response>")


def reply_for(device: FakeOnvifDevice, operation: str, request: etree._Element | None) -> tuple[int, str]:
    """(HTTP status, SOAP envelope) for a well-behaved answer to `operation`."""
    ident, base = device.identity, device.base_url
    if operation == "GetSystemDateAndTime":
        return 200, date_time_reply(device)
    if operation == "GetDeviceInformation":
        return 200, _ENVELOPE.format(
            f"<tds:GetDeviceInformationResponse><tds:Manufacturer>{escape(ident.manufacturer)}</tds:Manufacturer>"
            f"<tds:Model>{escape(ident.model)}</tds:Model><tds:FirmwareVersion>{escape(ident.firmware)}"
            f"</tds:FirmwareVersion><tds:SerialNumber>{escape(ident.serial)}</tds:SerialNumber><tds:HardwareId>"
            f"{escape(ident.hardware_id)}</tds:HardwareId></tds:GetDeviceInformationResponse>")
    if operation == "GetNetworkInterfaces":
        return 200, _ENVELOPE.format(
            '<tds:GetNetworkInterfacesResponse><tds:NetworkInterfaces token="eth0"><tt:Enabled>true</tt:Enabled>'
            f"<tt:Info><tt:Name>eth0</tt:Name><tt:HwAddress>{escape(ident.mac)}</tt:HwAddress><tt:MTU>1500</tt:MTU>"
            f"</tt:Info><tt:IPv4><tt:Enabled>true</tt:Enabled><tt:Config><tt:Manual><tt:Address>{device.host}"
            "</tt:Address><tt:PrefixLength>24</tt:PrefixLength></tt:Manual><tt:DHCP>false</tt:DHCP></tt:Config>"
            "</tt:IPv4></tds:NetworkInterfaces></tds:GetNetworkInterfacesResponse>")
    if operation == "GetServices":
        return 200, _ENVELOPE.format("<tds:GetServicesResponse>" + _service(TDS, f"{base}/onvif/device_service")
                                     + _service(TRT, f"{base}/onvif/media_service") + "</tds:GetServicesResponse>")
    if operation == "GetCapabilities":
        return 200, _ENVELOPE.format(
            f"<tds:GetCapabilitiesResponse><tds:Capabilities><tt:Device><tt:XAddr>{base}/onvif/device_service"
            f"</tt:XAddr></tt:Device><tt:Media><tt:XAddr>{base}/onvif/media_service</tt:XAddr>"
            "<tt:StreamingCapabilities>"
            "<tt:RTPMulticast>false</tt:RTPMulticast><tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true"
            "</tt:RTP_RTSP_TCP></tt:StreamingCapabilities></tt:Media></tds:Capabilities></tds:GetCapabilitiesResponse>")
    if operation == "GetProfiles":
        return 200, _ENVELOPE.format("<trt:GetProfilesResponse>" + "".join(
            _profile(p, i) for i, p in enumerate(device.profiles, 1)) + "</trt:GetProfilesResponse>")
    if operation in ("GetStreamUri", "GetSnapshotUri"):
        token = request.findtext(f"{{{TRT}}}ProfileToken") if request is not None else None
        if token not in {p.token for p in device.profiles}:
            return 400, fault("env:Sender", "ter:InvalidArgVal", "No such profile")
        uri = (device.stream_uri.format(token=token, host=device.host, port=device.port)
               if operation == "GetStreamUri" else f"{base}/snapshot/{token}.jpg")
        return 200, _ENVELOPE.format(_media_uri(operation, uri))
    return 500, fault("env:Receiver", "ter:ActionNotSupported", "Optional Action Not Implemented")


_LAUGHS = "".join(f'<!ENTITY lol{i} "{("&lol%d;" % (i - 1)) * 10}">' for i in range(1, 10))
_HOSTILE = {
    # Billion laughs: nine levels of ten-fold entity references, about 3 GB if ever expanded.
    "xml_bomb": ('<?xml version="1.0"?>\n<!DOCTYPE env:Envelope [<!ENTITY lol0 "lol">' + _LAUGHS + ']>'
                 + _ENVELOPE.split("\n", 1)[1].format(
                     "<tds:GetDeviceInformationResponse><tds:Manufacturer>&lol9;</tds:Manufacturer>"
                     "</tds:GetDeviceInformationResponse>")),
    "nonstandard_fault": ('<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV='
                          '"http://www.w3.org/2003/05/soap-envelope"><SOAP-ENV:Body><SOAP-ENV:Fault><SOAP-ENV:Code>'
                          "<SOAP-ENV:Value>SOAP-ENV:Server</SOAP-ENV:Value><SOAP-ENV:Subcode><SOAP-ENV:Value>"
                          "hik:InternalError</SOAP-ENV:Value></SOAP-ENV:Subcode></SOAP-ENV:Code><SOAP-ENV:Reason>"
                          '<SOAP-ENV:Text xml:lang="en">Error 0x80000001</SOAP-ENV:Text></SOAP-ENV:Reason>'
                          "</SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>"),
    "malformed_xml": _ENVELOPE.format("<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>")[:-40],
}


def hostile_body(device: FakeOnvifDevice, operation: str, kind: str, request: etree._Element | None) -> bytes:
    if kind == "xxe":  # an external entity naming a local file, used where a value is expected
        return ('<?xml version="1.0"?>\n<!DOCTYPE env:Envelope [<!ENTITY xxe SYSTEM "file://'
                f'{device.scenario.xxe_path}">]>' + _ENVELOPE.split("\n", 1)[1].format(
                    "<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>NTP</tt:DateTimeType>"
                    "<tt:DaylightSavings>false</tt:DaylightSavings><tt:TimeZone><tt:TZ>&xxe;</tt:TZ></tt:TimeZone>"
                    "</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>")).encode()
    if kind == "invalid_utf8":  # GBK bytes in a document declared UTF-8, as some firmwares send
        body = reply_for(device, operation, request)[1].encode()
        gbk = "海康威视".encode("gbk")
        for mark in (b"</tt:TZ>", b"</tds:Manufacturer>", b"</tt:Name>", b"</tt:", b"</env:Text>"):
            if mark in body:
                return body.replace(mark, gbk + mark, 1)
        return body + gbk
    return _HOSTILE[kind].encode()


# --- snapshots ----------------------------------------------------------------------------------
SNAPSHOT_KINDS = ("scene", "frozen", "dark", "blurred", "covered", "blue")


def snapshot_jpeg(kind: str, counter: int = 0, size: tuple[int, int] = (640, 360)) -> bytes:
    """A JPEG the image-quality checks can tell apart; 'scene' changes on every call, 'frozen' never."""
    if kind == "scene":
        return _encode(_scene(counter, size))
    return _static_jpeg(kind, size)


@functools.lru_cache(maxsize=32)
def _static_jpeg(kind: str, size: tuple[int, int]) -> bytes:
    import cv2
    import numpy as np

    width, height = size
    if kind == "frozen":
        image = _scene(0, size)
    elif kind == "dark":
        image = (_scene(0, size).astype(np.float32) * 0.04).astype(np.uint8)
    elif kind == "blurred":
        image = cv2.GaussianBlur(_scene(0, size), (0, 0), 12)
    elif kind == "covered":  # a hand or a bag over the lens: almost one flat grey
        rng = np.random.default_rng(7)
        image = np.clip(rng.normal(52, 2, (height, width, 3)), 0, 255).astype(np.uint8)
    elif kind == "blue":  # the encoder's "no video signal" screen
        image = np.zeros((height, width, 3), np.uint8)
        image[:] = (200, 40, 0)
    else:
        raise ValueError(f"snapshot kind {kind!r}: use one of {SNAPSHOT_KINDS}")
    return _encode(image)


def _scene(counter: int, size: tuple[int, int]):
    """A street-like picture: sky gradient, buildings with windows, a moving car, a timestamp."""
    import cv2
    import numpy as np

    width, height = size
    image = np.zeros((height, width, 3), np.uint8)
    image[:] = np.linspace(230, 120, height, dtype=np.uint8)[:, None, None]
    rng = np.random.default_rng(11)
    for x in range(0, width, 80):
        top = int(rng.integers(height // 5, height // 2))
        cv2.rectangle(image, (x + 4, top), (x + 72, height * 3 // 4), (90, 95, 110), -1)
        for wy in range(top + 10, height * 3 // 4 - 10, 22):
            for wx in range(x + 12, x + 64, 18):
                cv2.rectangle(image, (wx, wy), (wx + 8, wy + 10), (40, 200, 230), -1)
    cv2.rectangle(image, (0, height * 3 // 4), (width, height), (60, 60, 60), -1)
    car = (counter * 37) % width
    cv2.rectangle(image, (car, height * 3 // 4 + 10), (car + 60, height * 3 // 4 + 40), (30, 30, 200), -1)
    cv2.putText(image, f"2026-01-01 00:00:{counter % 60:02d}  #{counter}", (10, 24), cv2.FONT_HERSHEY_SIMPLEX,
                0.6, (255, 255, 255), 1, cv2.LINE_AA)
    return image


def _encode(image) -> bytes:
    import cv2

    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    return data.tobytes()
