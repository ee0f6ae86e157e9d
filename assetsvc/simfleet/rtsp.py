"""The RTSP port of a simulated camera: OPTIONS, DESCRIBE (Digest login, H.264 SDP), nothing streamed.

It offers a stream without sending media: SETUP and PLAY answer 501, so `rtsp` probes work and
`rtsp_frame` (a decoded frame) does not; docs/simfleet.md says so. STREAM_LOST answers DESCRIBE
with 503 while the ONVIF port keeps answering, as a camera whose encoder has died does (not 404:
a path that is not there is a fault of the record, ErrorKind.CONFIG, and never a ticket).
"""

from __future__ import annotations

import re

from assetsvc.simfleet import auth, sdp, soap
from assetsvc.simfleet.conn import DeviceConnection
from assetsvc.simfleet.scenarios import Fault

HEAD_CAP = 8192
_CSEQ = re.compile(rb"\r\ncseq:[ \t]*(\d{1,9})", re.I)
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d{1,6})", re.I)
_AUTHORIZATION = re.compile(rb"\r\nauthorization:[ \t]*([^\r\n]{1,2048})", re.I)
_REQUEST_LINE = re.compile(rb"([A-Z_]{1,20}) (rtsp://[^ ]{1,1024}) RTSP/1\.0")
_PATH = re.compile(rb"rtsp://[^/ ]+(/[^? ]*)?")
_REASONS = {200: b"OK", 400: b"Bad Request", 401: b"Unauthorized", 404: b"Not Found",
            501: b"Not Implemented", 503: b"Service Unavailable", 505: b"RTSP Version Not Supported"}
PUBLIC = b"OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER"
SIZES = {p[4].encode(): (p[2], p[3]) for p in soap.PROFILES}  # path -> (width, height)


class RtspConnection(DeviceConnection):
    """RTSP/1.0 requests, answered in order on one connection."""

    protocol = "rtsp"

    def process(self) -> None:
        while self.buffer and not self.silent and not self.transport.is_closing():
            end = self.buffer.find(b"\r\n\r\n", 0, HEAD_CAP + 4)
            if end < 0:
                if len(self.buffer) > HEAD_CAP:
                    self.answer(400, b"0", close=True)
                return
            head = self.buffer[:end]
            found = _CONTENT_LENGTH.search(head)
            total = end + 4 + (int(found.group(1)) if found else 0)
            if total > self.max_buffer:
                self.answer(400, b"0", close=True)
                return
            if len(self.buffer) < total:
                return
            self.buffer = self.buffer[total:]
            if not self.admit():
                return
            self.fleet.stats["rtsp_requests"] += 1
            self.handle(head)

    def handle(self, head: bytes) -> None:
        cseq = _CSEQ.search(head)
        seq = cseq.group(1) if cseq else b"0"
        line = _REQUEST_LINE.match(head)
        if line is None:
            self.answer(505 if b"RTSP/" in head.split(b"\r\n", 1)[0] else 400, seq, close=True)
            return
        method, url = line.group(1), line.group(2)
        if method == b"OPTIONS":
            self.answer(200, seq, b"Public: " + PUBLIC + b"\r\n")
        elif method == b"DESCRIBE":
            self.describe(head, url, seq)
        else:
            self.answer(501, seq)

    def describe(self, head: bytes, url: bytes, seq: bytes) -> None:
        fleet, (_, _, condition) = self.fleet, self.state
        if fleet.rtsp_auth:
            header = _AUTHORIZATION.search(head)
            if header is None or not auth.check_authorization(
                    header.group(1).decode("latin-1"), "DESCRIBE", fleet.username,
                    fleet.password_for(condition), fleet.nonce):
                self.answer(401, seq, b"WWW-Authenticate: " + auth.challenge(fleet.nonce).encode() + b"\r\n")
                return
        if condition.fault is Fault.STREAM_LOST:
            self.answer(503, seq)
            return
        path = (_PATH.match(url).group(1) or b"/").rstrip(b"/")
        width, height = SIZES.get(path, SIZES[soap.PROFILES[0][4].encode()])  # any other path: main stream
        body = sdp.session(width, height)
        extra = (b"Content-Base: %s/\r\nContent-Type: application/sdp\r\nContent-Length: %d\r\n"
                 % (url.rstrip(b"/"), len(body)))
        self.answer(200, seq, extra, body)

    def answer(self, status: int, seq: bytes, extra: bytes = b"", body: bytes = b"", close: bool = False) -> None:
        head = b"RTSP/1.0 %d %s\r\nCSeq: %s\r\nServer: simfleet-ipc\r\n%s\r\n" % (
            status, _REASONS.get(status, b"Status"), seq, extra)
        self.send(head + body, close)
