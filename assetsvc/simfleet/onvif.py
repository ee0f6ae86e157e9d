"""The ONVIF port of a simulated camera: HTTP/1.1 framing, SOAP operation by byte search, snapshots.

The hot path (GetSystemDateAndTime, the 5-minute light check) costs one regex search for the
operation name, one template render and one write: no XML parser, no per-device object.
"""

from __future__ import annotations

import email.utils
import re
import time

from assetsvc.simfleet import auth, soap
from assetsvc.simfleet.conn import DeviceConnection
from assetsvc.simfleet.scenarios import PICTURES, Fault

HEAD_CAP = 16384
BODY_CAP = 65536
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d{1,12})[ \t]*(?=\r\n|$)", re.I)
_AUTHORIZATION = re.compile(rb"\r\nauthorization:[ \t]*([^\r\n]{1,2048})", re.I)
_OPERATION = re.compile(rb"<(?:[\w.-]{1,32}:)?Body\b[^>]{0,512}>\s*<(?:[\w.-]{1,32}:)?([A-Za-z]\w{0,63})")
_REASONS = {200: b"OK", 400: b"Bad Request", 401: b"Unauthorized", 404: b"Not Found", 405: b"Method Not Allowed",
            411: b"Length Required", 413: b"Payload Too Large", 500: b"Internal Server Error"}
SOAP_TYPE = b"application/soap+xml; charset=utf-8"


class OnvifConnection(DeviceConnection):
    """HTTP requests on the ONVIF port, one at a time, keep-alive unless the client closes."""

    protocol = "onvif"

    def process(self) -> None:
        while self.buffer and not self.silent and not self.transport.is_closing():
            end = self.buffer.find(b"\r\n\r\n", 0, HEAD_CAP + 4)
            if end < 0:
                if len(self.buffer) > HEAD_CAP:
                    self.reply(400, b"request head too large", b"text/plain", close=True)
                return
            head = self.buffer[:end]
            lowered = head.lower()
            if b"\r\ntransfer-encoding:" in lowered:
                self.reply(411, b"chunked requests are not accepted", b"text/plain", close=True)
                return
            found = _CONTENT_LENGTH.search(head)
            length = int(found.group(1)) if found else 0
            if length > BODY_CAP:
                self.reply(413, b"request body too large", b"text/plain", close=True)
                return
            total = end + 4 + length
            if len(self.buffer) < total:
                return
            body, self.buffer = self.buffer[end + 4:total], self.buffer[total:]
            close = b"\r\nconnection: close" in lowered or head.split(b"\r\n", 1)[0].endswith(b"HTTP/1.0")
            if not self.admit():  # the device may have gone down since the connection opened
                return
            self.fleet.stats["onvif_requests"] += 1
            self.handle(head, body, close)

    def handle(self, head: bytes, body: bytes, close: bool) -> None:
        method, _, rest = head.partition(b" ")
        path = rest.split(b" ", 1)[0]
        if method == b"POST" and path.startswith(b"/onvif/"):
            self.soap(body, close)
        elif method == b"GET" and path.startswith(b"/snapshot/"):
            self.snapshot(head, path, close)
        elif method in (b"GET", b"POST"):
            self.reply(404, b"not found", b"text/plain", close)
        else:
            self.reply(405, b"method not allowed", b"text/plain", close=True)

    def soap(self, body: bytes, close: bool) -> None:
        found = _OPERATION.search(body)
        if found is None:
            self.reply(400, soap.MALFORMED, SOAP_TYPE, close)
            return
        operation = found.group(1)
        n, _, condition = self.state
        device_now = time.time() + (condition.offset_s if condition.fault is Fault.CLOCK_DRIFT else 0.0)
        if operation == b"GetSystemDateAndTime":  # the light check: first, and cheapest
            self.reply(200, soap.date_time(device_now, condition.fault is not Fault.CLOCK_DRIFT), SOAP_TYPE,
                       close, device_now)
            return
        if operation not in soap.PRE_AUTH or auth.has_token(body):
            if not auth.check_token(body, self.fleet.username, self.fleet.password_for(condition), device_now):
                self.reply(400, soap.NOT_AUTHORIZED, SOAP_TYPE, close, device_now)
                return
        status, reply = self.operation(operation.decode(), body, n)
        self.reply(status, reply, SOAP_TYPE, close, device_now)

    def operation(self, name: str, body: bytes, n: int) -> tuple[int, bytes]:
        fleet, base = self.fleet, f"http://{self.address}:{self.local_port}"
        if name == "GetDeviceInformation":
            return 200, soap.device_information(fleet.layout.reported(n))
        if name == "GetNetworkInterfaces":
            return 200, soap.network_interfaces(fleet.layout.reported(n), self.address)
        if name == "GetServices":
            return 200, soap.services(base)
        if name == "GetCapabilities":
            return 200, soap.capabilities(base)
        if name == "GetProfiles":
            return 200, soap.PROFILES_REPLY
        if name in ("GetStreamUri", "GetSnapshotUri"):
            reply = soap.media_uri(name, body, self.address, self.local_port, fleet.ports.rtsp)
            return (400, soap.NO_PROFILE) if reply is None else (200, reply)
        return 500, soap.NOT_SUPPORTED

    def snapshot(self, head: bytes, path: bytes, close: bool) -> None:
        n, _, condition = self.state
        header = _AUTHORIZATION.search(head)
        password = self.fleet.password_for(condition)
        if header is None or not auth.check_authorization(header.group(1).decode("latin-1"), "GET",
                                                          self.fleet.username, password, self.fleet.nonce):
            extra = b"WWW-Authenticate: " + auth.challenge(self.fleet.nonce).encode() + b"\r\n"
            self.reply(401, b"", b"text/html", close, extra=extra)
            return
        if not path.endswith(b".jpg"):
            self.reply(404, b"not found", b"text/plain", close)
            return
        self.fleet.stats["snapshots"] += 1
        self.fleet.grabs[n] += 1
        picture = self.fleet.pictures.for_kind(PICTURES.get(condition.fault), self.fleet.grabs[n])
        self.reply(200, picture, b"image/jpeg", close)

    def reply(self, status: int, body: bytes, content_type: bytes, close: bool, device_now: float | None = None,
              extra: bytes = b"") -> None:
        date = email.utils.formatdate(time.time() if device_now is None else device_now, usegmt=True)
        head = (b"HTTP/1.1 %d %s\r\nServer: simfleet-ipc\r\nDate: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n"
                b"%s%s\r\n" % (status, _REASONS.get(status, b"Status"), date.encode(), content_type, len(body),
                               extra, b"Connection: close\r\n" if close else b""))
        self.send(head + body, close)
