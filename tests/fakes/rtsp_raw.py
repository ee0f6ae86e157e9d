"""A hostile or quirky RTSP device on loopback: a raw asyncio socket server driven by a scenario flag.

Each scenario is one way a camera's RTSP port has been seen to misbehave; the server records
every request head it got (``requests``) so a test can also check what the client sent.
Everything it streams is bounded in bytes and time, and it only ever binds 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import os
import re

SCENARIOS = {
    "ok": "a well-formed camera (OPTIONS, DESCRIBE, SETUP, PLAY) whose stream never sends a packet",
    "no_cseq": "well-formed replies without a CSeq header (a firmware quirk)",
    "options_501": "OPTIONS not implemented, DESCRIBE fine",
    "describe_501": "DESCRIBE not implemented",
    "not_found": "404 for every request",
    "session_not_found": "454 for every request (how some firmwares refuse a path they do not serve)",
    "basic": "Basic authentication required",
    "digest": "Digest authentication with qop=auth required (RFC 2617/7616)",
    "auth_loop": "401 with a fresh Digest challenge forever, whatever the client sends",
    "no_challenge": "401 without any WWW-Authenticate header",
    "garbage_status": "a status line that is not RTSP",
    "http": "an HTTP server on the RTSP port",
    "endless_header": "a status line followed by header lines that never end",
    "endless_line": "a status line followed by one header line that never ends",
    "huge_body": "Content-Length of 2 GiB, then bytes forever",
    "long_body": "an honest 200 KiB body (over the client's SDP cap)",
    "bad_utf8": "a header with bytes that are not UTF-8",
    "slowloris": "a valid reply trickled one byte at a time",
    "no_video": "200 with an audio-only SDP",
    "garbage_sdp": "200 with a body that is not SDP",
    "hang": "accepts and reads, never answers",
    "close": "accepts and closes at once",
}
# SPS/PPS of a 640x360 baseline H.264 stream, as GStreamer's x264enc announces it.
SPROP = "Z0LAHtoCgL/lwFqDAwNSgAAAAwCAAAAZR4sXUA==,aM48gA=="
VIDEO_SDP = (
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=Media Presentation\r\nt=0 0\r\na=control:*\r\n"
    "m=video 0 RTP/AVP 96\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:96 H264/90000\r\n"
    f"a=fmtp:96 packetization-mode=1;profile-level-id=42c01e;sprop-parameter-sets={SPROP}\r\n"
    "a=control:trackID=1\r\n"
    "m=audio 0 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=control:trackID=2\r\n")
AUDIO_SDP = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=Audio\r\nt=0 0\r\n"
             "m=audio 0 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=control:trackID=1\r\n")
REALM = "IP Camera(C6492)"
STREAM_CAP = 64 * 2**20  # the most any endless scenario writes to one connection
STREAM_TIME_S = 30.0  # and for how long


class RawRtspServer:
    """One scenario on 127.0.0.1:<free port>; use as ``async with RawRtspServer("hang") as srv``."""

    def __init__(self, scenario: str = "ok", *, user: str = "admin", password: str = "secret",
                 sdp: str | None = None, trickle_s: float = 0.05) -> None:
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
        self.scenario, self.user, self.password = scenario, user, password
        self.sdp = sdp or (AUDIO_SDP if scenario == "no_video" else VIDEO_SDP)
        self.trickle_s = trickle_s
        self.requests: list[str] = []
        self.bytes_sent = 0
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task] = set()

    async def start(self) -> "RawRtspServer":
        self._server = await asyncio.start_server(self._on_client, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> "RawRtspServer":
        return await self.start()

    async def __aexit__(self, *exc) -> None:
        await self.stop()

    @property
    def open_connections(self) -> int:
        """Clients still connected (a client that hung up is gone within a few milliseconds)."""
        return len(self._tasks)

    def url(self, path: str = "/Streaming/Channels/101") -> str:
        return f"rtsp://127.0.0.1:{self.port}{path}"

    # --- one connection --------------------------------------------------------------------

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._tasks.add(task)
        try:
            if self.scenario == "close":
                return
            while True:
                head = await _read_head(reader)
                if head is None:
                    return
                self.requests.append(head)
                if self.scenario == "hang":  # read on, answer nothing, until the client hangs up
                    await asyncio.wait_for(_drain_reader(reader), STREAM_TIME_S)
                    return
                if not await self._answer(head, writer):
                    return
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except (asyncio.CancelledError, asyncio.TimeoutError):
            # stop() cancels handlers; ending quietly keeps asyncio's stream callback from logging
            # the cancellation as an error (it calls task.exception() on the finished task).
            pass
        finally:
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1)

    async def _answer(self, head: str, writer: asyncio.StreamWriter) -> bool:
        """Reply to one request; False ends the connection."""
        method, url = (head.split(" ", 2) + ["", ""])[:2]
        cseq = _header(head, "CSeq") or "0"
        scenario = self.scenario
        if scenario == "garbage_status":
            return await self._send(writer, b"ICY 200 banana\r\nCSeq: " + cseq.encode() + b"\r\n\r\n")
        if scenario == "http":
            return await self._send(writer, b"HTTP/1.1 400 Bad Request\r\nServer: lighttpd\r\n"
                                            b"Content-Length: 0\r\n\r\n")
        if scenario == "endless_header":
            return await self._stream(writer, _status(200, cseq), _filler_headers)
        if scenario == "endless_line":
            return await self._stream(writer, _status(200, cseq) + b"X-Filler: ", lambda n: b"a" * 4096)
        if scenario == "huge_body":
            start = _status(200, cseq, content_type="application/sdp", length=2**31) + b"\r\n"
            return await self._stream(writer, start, lambda n: b"v=0\r\n" * 800)
        if scenario in ("not_found", "session_not_found"):
            return await self._send(writer, _status(404 if scenario == "not_found" else 454, cseq) + b"\r\n")
        if scenario in ("basic", "digest", "auth_loop", "no_challenge") and not self._authorized(method, head):
            return await self._send(writer, _status(401, cseq, challenge=self._challenge()) + b"\r\n")
        return await self._normal(method, url, cseq, writer)

    async def _normal(self, method: str, url: str, cseq: str, writer: asyncio.StreamWriter) -> bool:
        scenario = self.scenario
        if (method, scenario) in (("OPTIONS", "options_501"), ("DESCRIBE", "describe_501")):
            return await self._send(writer, _status(501, cseq) + b"\r\n")
        if method == "OPTIONS":
            reply = _status(200, cseq) + b"Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER\r\n\r\n"
        elif method == "DESCRIBE":
            body = self.sdp.encode()
            if scenario == "garbage_sdp":
                body = b"<html><body>Login required</body></html>\r\n"
            elif scenario == "long_body":
                body = (b"a=x-padding:" + b"z" * 100 + b"\r\n") * 1800
            reply = _status(200, cseq, content_type="application/sdp", length=len(body),
                            extra=f"Content-Base: {url.rstrip('/')}/\r\n") + b"\r\n" + body
        elif method == "SETUP":
            reply = _status(200, cseq, extra="Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n"
                                             "Session: 12345678;timeout=60\r\n") + b"\r\n"
        elif method in ("PLAY", "TEARDOWN", "GET_PARAMETER", "PAUSE"):
            reply = _status(200, cseq, extra="Session: 12345678\r\n") + b"\r\n"
        else:
            reply = _status(405, cseq) + b"\r\n"
        if scenario == "bad_utf8":
            reply = reply.replace(b"\r\n", b"\r\nServer: \xc9\xe3\xcf\xf1\xbb\xfa \xff\xfe\r\n", 1)
        if scenario == "no_cseq":
            reply = re.sub(rb"CSeq: \d+\r\n", b"", reply)
        if scenario == "slowloris":
            return await self._trickle(writer, reply)
        return await self._send(writer, reply)

    # --- authentication --------------------------------------------------------------------

    def _challenge(self) -> str | None:
        if self.scenario == "no_challenge":
            return None
        if self.scenario == "basic":
            return f'Basic realm="{REALM}"'
        nonce = os.urandom(8).hex()
        return f'Digest realm="{REALM}", nonce="{nonce}", qop="auth", algorithm=MD5'

    def _authorized(self, method: str, head: str) -> bool:
        value = _header(head, "Authorization") or ""
        if self.scenario == "basic":
            expected = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
            return value == f"Basic {expected}"
        if self.scenario != "digest" or not value.startswith("Digest "):
            return False
        params = {k: a or b for k, a, b in re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]*))', value[7:])}
        ha1 = _md5(f"{self.user}:{REALM}:{self.password}")
        ha2 = _md5(f"{method}:{params.get('uri', '')}")
        expected = _md5(f"{ha1}:{params.get('nonce')}:{params.get('nc')}:{params.get('cnonce')}:auth:{ha2}")
        return (params.get("username"), params.get("qop"), params.get("response")) == (self.user, "auth", expected)

    # --- writing ---------------------------------------------------------------------------

    async def _send(self, writer: asyncio.StreamWriter, data: bytes) -> bool:
        writer.write(data)
        self.bytes_sent += len(data)
        await writer.drain()
        return True

    async def _stream(self, writer: asyncio.StreamWriter, start: bytes, chunk) -> bool:
        """Write `start`, then chunks until the client goes away or the byte/time cap is reached."""
        await self._send(writer, start)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STREAM_TIME_S
        sent, n = 0, 0
        while sent < STREAM_CAP and loop.time() < deadline:
            data = chunk(n)
            await self._send(writer, data)  # drain() makes this go only as fast as the client reads
            sent += len(data)
            n += 1
        return False

    async def _trickle(self, writer: asyncio.StreamWriter, data: bytes) -> bool:
        for index in range(len(data)):
            await self._send(writer, data[index:index + 1])
            await asyncio.sleep(self.trickle_s)
        return True


async def _read_head(reader: asyncio.StreamReader) -> str | None:
    """One request head (up to the blank line), or None at end of stream; bodies are not expected."""
    try:
        raw = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    return raw.decode("utf-8", "replace")


def _filler_headers(n: int) -> bytes:
    """64 header lines a chunk: one write per line would make the fake, not the client, the slow side."""
    return b"".join(b"X-Filler-%d: %s\r\n" % (n * 64 + i, b"a" * 60) for i in range(64))


async def _drain_reader(reader: asyncio.StreamReader) -> None:
    while await reader.read(4096):
        pass


def _header(head: str, name: str) -> str | None:
    match = re.search(rf"^{name}:[ \t]*(.*?)\r?$", head, re.IGNORECASE | re.MULTILINE)
    return match.group(1) if match else None


def _status(code: int, cseq: str, *, content_type: str | None = None, length: int | None = None,
            challenge: str | None = None, extra: str = "") -> bytes:
    reason = {200: "OK", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed",
              454: "Session Not Found", 501: "Not Implemented"}[code]
    lines = [f"RTSP/1.0 {code} {reason}", f"CSeq: {cseq}", "Server: Rtsp Server/3.0"]
    if challenge:
        lines.append(f"WWW-Authenticate: {challenge}")
    if content_type:
        lines.append(f"Content-Type: {content_type}")
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n" + extra).encode()


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()
