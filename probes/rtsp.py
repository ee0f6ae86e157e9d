"""RTSP stream offer (视频流/取流): OPTIONS and DESCRIBE over asyncio, Basic/Digest login, SDP as facts.

A tight RTSP/1.0 client of our own: two requests on one connection, every reply bounded in size
(headers 16 KiB, SDP 64 KiB) and time, and the SDP turned at once into plain dicts. It proves a
stream is *offered*; only a decoded frame (probes.frame) proves video is flowing.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import os
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from probes.rtsp_status import refusal
from probes.types import Credentials, ErrorKind, ProbeError, ProbeTarget

HEADER_CAP = 16 * 1024  # status line plus headers of one reply
BODY_CAP = 64 * 1024  # an SDP; real ones are 0.5-3 KiB
MAX_STRAY_REPLIES = 3  # late replies to an earlier CSeq we skip before giving up
USER_AGENT = "assetsvc-probe/1.0"
_STATUS = re.compile(r"RTSP/1\.\d (\d{3})(?: (.*))?")
_AUTH_PARAM = re.compile(r'([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]+))')
_PATH_SAFE = "/:@!$&'()*+,;=?%~-._"


def rtsp_url(target: ProbeTarget, with_login: bool = False) -> str:
    """rtsp://host:port/path for the target (the login inside only when asked, for FFmpeg)."""
    host = f"[{target.host}]" if ":" in target.host else target.host
    path = target.rtsp_path if target.rtsp_path.startswith("/") else "/" + target.rtsp_path
    # Paths come from office sheets: spaces, CJK or a stray CR/LF must not reach the request line.
    path = quote(path, safe=_PATH_SAFE)
    login = ""
    if with_login and target.credentials:
        login = f"{quote(target.credentials.username, safe='')}:{quote(target.credentials.password, safe='')}@"
    return f"rtsp://{login}{host}:{target.rtsp_port}{path}"


@dataclass
class Reply:
    """One RTSP reply: status, headers (lower-case names, each a list) and raw body."""

    status: int
    reason: str
    headers: dict[str, list[str]] = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None


class RtspConnection:
    """One TCP connection speaking RTSP/1.0 requests with CSeq, size caps and a login."""

    def __init__(self, host: str, port: int, credentials: Credentials | None, reply_timeout_s: float) -> None:
        self.host, self.port, self.credentials = host, port, credentials
        self.reply_timeout_s = reply_timeout_s
        self.auth_scheme: str | None = None  # "basic" | "digest" once the device asked for one
        self._challenge: dict[str, str] = {}
        self._nc = 0
        self._cseq = 0
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        try:
            async with asyncio.timeout(self.reply_timeout_s):
                # limit bounds one header line and what the reader buffers before we look at it.
                self._reader, self._writer = await asyncio.open_connection(self.host, self.port, limit=HEADER_CAP)
        except TimeoutError:
            raise ProbeError(ErrorKind.TIMEOUT, f"TCP connect not done within {self.reply_timeout_s:g} s") from None

    async def close(self) -> None:
        if self._writer is None:
            return
        self._writer.close()
        with contextlib.suppress(OSError, asyncio.TimeoutError):
            await asyncio.wait_for(self._writer.wait_closed(), 1.0)
        self._writer = self._reader = None

    async def request(self, method: str, url: str, headers: dict[str, str] | None = None) -> Reply:
        """Send one request; after a 401, answer the device's challenge and retry exactly once."""
        reply = await self._exchange(method, url, headers)
        if reply.status != 401 or self.credentials is None:
            return reply
        if not self._take_challenge(reply.headers.get("www-authenticate", [])):
            return reply
        if "close" in (reply.header("connection") or "").lower() or self._reader.at_eof():
            await self.close()  # some firmwares hang up after every 401
            await self.connect()
        return await self._exchange(method, url, headers)

    async def _exchange(self, method: str, url: str, headers: dict[str, str] | None) -> Reply:
        self._cseq += 1
        lines = [f"{method} {url} RTSP/1.0", f"CSeq: {self._cseq}", f"User-Agent: {USER_AGENT}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if self.auth_scheme:
            lines.append(f"Authorization: {self._authorization(method, url)}")
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        try:
            async with asyncio.timeout(self.reply_timeout_s):
                await self._writer.drain()
                return await self._read_reply(self._cseq)
        except TimeoutError:
            message = f"no complete reply to {method} within {self.reply_timeout_s:g} s"
            raise ProbeError(ErrorKind.TIMEOUT, message) from None

    # --- reading replies -------------------------------------------------------------------

    async def _read_reply(self, cseq: int) -> Reply:
        for _ in range(MAX_STRAY_REPLIES + 1):
            reply = await self._read_one()
            got = (reply.header("cseq") or "").strip()
            # Quirk: some firmwares drop CSeq altogether; one request in flight makes that harmless.
            if not got.isdigit() or int(got) == cseq:
                return reply
            if int(got) > cseq:
                raise ProbeError(ErrorKind.PROTOCOL, f"reply CSeq {got} answers no request of ours")
        raise ProbeError(ErrorKind.PROTOCOL, "too many replies to earlier requests")

    async def _read_one(self) -> Reply:
        status_line, head_size = b"", 0
        while not status_line.strip():  # tolerate stray blank lines between replies
            status_line = await self._readline(first=head_size == 0)
            head_size += len(status_line)
            if head_size > HEADER_CAP:
                raise ProbeError(ErrorKind.PROTOCOL, "blank lines instead of a reply")
        text = _utf8(status_line).strip()
        match = _STATUS.fullmatch(text)
        if not match:
            if text.startswith("HTTP/"):
                raise ProbeError(ErrorKind.PROTOCOL, "an HTTP server answered on the RTSP port")
            raise ProbeError(ErrorKind.PROTOCOL, f"not an RTSP status line: {text[:60]!r}")
        reply = Reply(int(match.group(1)), (match.group(2) or "")[:80])
        last = None
        while True:
            line = await self._readline(first=False)
            head_size += len(line)
            if head_size > HEADER_CAP:
                raise ProbeError(ErrorKind.PROTOCOL, f"reply headers larger than {HEADER_CAP // 1024} KiB")
            text = _utf8(line).rstrip("\r\n")
            if not text:
                break
            if text[0] in " \t" and last:  # obsolete line folding continues the previous header
                reply.headers[last][-1] += " " + text.strip()
                continue
            name, sep, value = text.partition(":")
            if not sep or not name.strip():
                raise ProbeError(ErrorKind.PROTOCOL, f"malformed header line: {text[:60]!r}")
            last = name.strip().lower()
            reply.headers.setdefault(last, []).append(value.strip())
        reply.body = await self._read_body(reply)
        return reply

    async def _readline(self, first: bool) -> bytes:
        try:
            line = await self._reader.readline()
        except ValueError:  # StreamReader wraps LimitOverrunError: one line longer than the cap
            raise ProbeError(ErrorKind.PROTOCOL, f"reply header line longer than {HEADER_CAP // 1024} KiB") from None
        if not line:
            if first:
                raise ProbeError(ErrorKind.REFUSED, "the device closed the connection without answering")
            raise ProbeError(ErrorKind.PROTOCOL, "connection closed in the middle of a reply")
        if not line.endswith(b"\n"):
            raise ProbeError(ErrorKind.PROTOCOL, "connection closed in the middle of a reply")
        return line

    async def _read_body(self, reply: Reply) -> bytes:
        raw = reply.header("content-length")
        if raw is None:
            return b""
        if not raw.strip().isdigit():
            raise ProbeError(ErrorKind.PROTOCOL, f"bad Content-Length {raw[:20]!r}")
        length = int(raw)
        if length > BODY_CAP:
            raise ProbeError(ErrorKind.PROTOCOL, f"reply body of {length} bytes is over the {BODY_CAP // 1024} KiB cap")
        try:
            return await self._reader.readexactly(length)
        except asyncio.IncompleteReadError:
            raise ProbeError(ErrorKind.PROTOCOL, "connection closed in the middle of a reply body") from None

    # --- authentication --------------------------------------------------------------------

    def _take_challenge(self, values: list[str]) -> bool:
        """Pick Digest (MD5 or SHA-256) over Basic from the WWW-Authenticate headers."""
        offers: list[tuple[str, dict[str, str]]] = []
        for value in values:
            for part in re.split(r",\s*(?=(?:basic|digest)\s)", value, flags=re.IGNORECASE):
                scheme, _, rest = part.strip().partition(" ")
                params = {k.lower(): (q if q else t) for k, q, t in _AUTH_PARAM.findall(rest)}
                offers.append((scheme.lower(), params))
        for scheme, params in offers:
            algorithm = params.get("algorithm", "MD5").upper()
            qops = {q.strip() for q in params.get("qop", "auth").split(",")}
            if scheme == "digest" and "nonce" in params and algorithm in _DIGEST_HASH and "auth" in qops:
                self.auth_scheme, self._challenge, self._nc = "digest", params, 0
                return True
        if any(scheme == "basic" for scheme, _ in offers):
            self.auth_scheme = "basic"
            return True
        return False

    def _authorization(self, method: str, uri: str) -> str:
        user, password = self.credentials.username, self.credentials.password
        if self.auth_scheme == "basic":
            return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        ch = self._challenge
        algorithm = ch.get("algorithm", "MD5")
        digest = _DIGEST_HASH[algorithm.upper()]

        def h(text: str) -> str:
            return hashlib.new(digest, text.encode()).hexdigest()

        realm, nonce = ch.get("realm", ""), ch["nonce"]
        cnonce = os.urandom(8).hex()
        ha1 = h(f"{user}:{realm}:{password}")
        if algorithm.upper().endswith("-SESS"):
            ha1 = h(f"{ha1}:{nonce}:{cnonce}")
        ha2 = h(f"{method}:{uri}")
        fields = [f'username="{_quote(user)}"', f'realm="{_quote(realm)}"', f'nonce="{_quote(nonce)}"',
                  f'uri="{_quote(uri)}"']
        if "qop" in ch:  # RFC 2617/7616 form; without qop the RFC 2069 form most cameras use
            self._nc += 1
            response = h(f"{ha1}:{nonce}:{self._nc:08x}:{cnonce}:auth:{ha2}")
            fields += ["qop=auth", f"nc={self._nc:08x}", f'cnonce="{cnonce}"']
        else:
            response = h(f"{ha1}:{nonce}:{ha2}")
        fields.append(f'response="{response}"')
        if "algorithm" in ch:
            fields.append(f"algorithm={algorithm}")
        if "opaque" in ch:
            fields.append(f'opaque="{_quote(ch["opaque"])}"')
        return "Digest " + ", ".join(fields)


_DIGEST_HASH = {"MD5": "md5", "MD5-SESS": "md5", "SHA-256": "sha256", "SHA-256-SESS": "sha256"}


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _utf8(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ProbeError(ErrorKind.PROTOCOL, "reply headers are not valid UTF-8") from None


# --- the probe -------------------------------------------------------------------------------


async def probe_rtsp(target: ProbeTarget) -> dict[str, Any]:
    """OPTIONS then DESCRIBE rtsp://host:rtsp_port{rtsp_path}; facts say whether video is offered.

    options: ``rtsp_reply_timeout_s`` (default 4) bounds each reply; the runner bounds the whole.
    """
    url = rtsp_url(target)
    conn = RtspConnection(target.host, target.rtsp_port, target.credentials,
                          float(target.options.get("rtsp_reply_timeout_s", 4.0)))
    facts: dict[str, Any] = {"url": url, "status": None, "server": None, "public_methods": None,
                             "auth": None, "sdp": None, "has_video": False}
    try:
        await conn.connect()
        options = await conn.request("OPTIONS", url)
        facts["server"] = (options.header("server") or "")[:120] or None
        _check_auth(options, conn, facts)
        if options.status == 200:  # OPTIONS is informative only: some firmwares answer 501
            facts["public_methods"] = [m.strip().upper()[:32] for m in (options.header("public") or "").split(",")
                                       if m.strip()][:32] or None
        reply = await conn.request("DESCRIBE", url, {"Accept": "application/sdp"})
    except ProbeError as exc:
        exc.facts = exc.facts or dict(facts)  # what we learnt before it failed (server, auth)
        raise
    finally:
        await conn.close()
    facts["status"] = reply.status
    facts["server"] = facts["server"] or (reply.header("server") or "")[:120] or None
    _check_auth(reply, conn, facts)
    _check_status(reply, facts)
    base = (reply.header("content-base") or reply.header("content-location") or url)[:512]
    try:
        # SDP is UTF-8 by RFC 8866, but session names from Chinese firmwares are often GBK: replace.
        facts["sdp"] = parse_sdp(reply.body.decode("utf-8", "replace"), base)
    except ValueError as exc:
        raise ProbeError(ErrorKind.PROTOCOL, str(exc), facts) from None
    facts["has_video"] = any(m["type"] == "video" for m in facts["sdp"]["media"])
    if not facts["has_video"]:
        raise ProbeError(ErrorKind.UNSUPPORTED, "no video offered", facts)
    return facts


def _check_auth(reply: Reply, conn: RtspConnection, facts: dict[str, Any]) -> None:
    facts["auth"] = conn.auth_scheme
    if reply.status in (401, 403):
        if conn.credentials is None:
            raise ProbeError(ErrorKind.AUTH, "the device asks for a login and none is stored", facts)
        if conn.auth_scheme is None:
            raise ProbeError(ErrorKind.AUTH, "the device asks for a login scheme we do not speak", facts)
        raise ProbeError(ErrorKind.AUTH, f"login rejected ({reply.status})", facts)


def _check_status(reply: Reply, facts: dict[str, Any]) -> None:
    if reply.status != 200:
        exc = refusal(reply.status, "DESCRIBE")
        exc.facts = dict(facts)
        raise exc
    if not reply.body.strip():
        raise ProbeError(ErrorKind.PROTOCOL, "DESCRIBE answered 200 without an SDP", facts)


# --- SDP (RFC 8866) as plain facts -----------------------------------------------------------

MAX_MEDIA = 16
_STATIC_PT = {0: "PCMU", 8: "PCMA", 14: "MPA", 26: "MJPEG", 32: "MPEG2", 34: "H263"}
_CODEC_NAMES = {"JPEG": "MJPEG", "HEVC": "H265", "MP4V-ES": "MPEG4", "MPV": "MPEG2",
                "H263-1998": "H263", "H263-2000": "H263", "MPEG4-GENERIC": "AAC", "MP4A-LATM": "AAC"}


def parse_sdp(text: str, base_url: str) -> dict[str, Any]:
    """Session name, aggregate control and media lines; ValueError if the text is not SDP."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or not lines[0].startswith("v="):
        raise ValueError("DESCRIBE body is not SDP")
    session: dict[str, Any] = {"session_name": None, "control": None, "media": []}
    media: dict[str, Any] | None = None
    for line in lines:
        if len(line) < 2 or line[1] != "=":
            continue  # tolerate junk lines (trailing NULs, vendor comments) as most clients do
        key, value = line[0], line[2:]
        if key == "m":
            media = _media_line(value)
            if media is not None and len(session["media"]) < MAX_MEDIA:
                session["media"].append(media)
        elif key == "s" and media is None:
            session["session_name"] = value[:120]
        elif key == "a":
            name, _, attr = value.partition(":")
            if media is None:
                if name == "control":
                    session["control"] = _control_url(base_url, attr)
            else:
                _media_attribute(media, name, attr.strip(), base_url)
    for item in session["media"]:
        _finish_media(item)
    video = next((m for m in session["media"] if m["type"] == "video"), None)
    session["video_codec"] = video["codec"] if video else None
    session["width"] = video["width"] if video else None
    session["height"] = video["height"] if video else None
    return session


def _media_line(value: str) -> dict[str, Any] | None:
    parts = value.split()
    if len(parts) < 3:
        return None
    port = parts[1].split("/")[0]
    payload_types = [int(p) for p in parts[3:35] if p.isdigit() and int(p) < 128]
    return {"type": parts[0].lower()[:16], "port": int(port) if port.isdigit() else None,
            "protocol": parts[2][:32], "payload_types": payload_types, "codec": None, "clock_rate": None,
            "control": None, "width": None, "height": None, "framerate": None,
            "_rtpmap": {}, "_sprop": None}


def _media_attribute(media: dict[str, Any], name: str, attr: str, base_url: str) -> None:
    if name == "rtpmap":
        pt, _, encoding = attr.partition(" ")
        enc, _, clock = encoding.partition("/")
        if pt.isdigit():
            media["_rtpmap"][int(pt)] = (enc.strip().upper()[:32], clock.partition("/")[0])
    elif name == "fmtp":
        match = re.search(r"sprop-parameter-sets=([A-Za-z0-9+/=,]+)", attr)
        if match:
            media["_sprop"] = match.group(1)
    elif name == "control":
        media["control"] = _control_url(base_url, attr)
    elif name in ("framesize", "x-dimensions"):
        # a=framesize:96 1920-1080 (Dahua, Axis) and a=x-dimensions:1920,1080 (RealNetworks heritage)
        match = re.search(r"(\d{2,5})[-,x](\d{2,5})\s*$", attr)
        if match:
            media["width"], media["height"] = int(match.group(1)), int(match.group(2))
    elif name in ("framerate", "x-framerate"):
        with contextlib.suppress(ValueError):
            rate = float(attr)
            media["framerate"] = rate if 0 < rate <= 1000 else None


def _finish_media(media: dict[str, Any]) -> None:
    rtpmap, sprop = media.pop("_rtpmap"), media.pop("_sprop")
    if media["payload_types"]:
        pt = media["payload_types"][0]
        encoding, clock = rtpmap.get(pt, (_STATIC_PT.get(pt), ""))
        if encoding:
            media["codec"] = _CODEC_NAMES.get(encoding, encoding)
        media["clock_rate"] = int(clock) if clock.isdigit() else None
    if media["width"] is None and media["codec"] == "H264" and sprop:
        size = h264_sps_size(sprop.split(",")[0])
        if size:
            media["width"], media["height"] = size


def _control_url(base_url: str, control: str) -> str | None:
    control = control.strip()[:512]
    if not control:
        return None
    if control == "*":
        return base_url
    if re.match(r"(?i)rtsp[su]?://", control):
        return control
    # Relative to Content-Base as a directory, whether or not it ends in "/" (as FFmpeg does).
    return base_url.rstrip("/") + "/" + control.lstrip("/")


# --- H.264 SPS (ITU-T H.264 7.3.2.1.1): picture size from sprop-parameter-sets ---------------

_HIGH_PROFILES = {100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135}


def h264_sps_size(sprop_b64: str) -> tuple[int, int] | None:
    """Width and height from a base64 H.264 SPS; None if it does not parse."""
    try:
        raw = base64.b64decode(sprop_b64[:1400], validate=True)
        bits = _Bits(re.sub(b"\x00\x00\x03", b"\x00\x00", raw))  # drop emulation prevention
        return _sps_size(bits)
    except (ValueError, IndexError):
        return None


def _sps_size(b: "_Bits") -> tuple[int, int] | None:
    if b.u(8) & 0x1F != 7:
        return None
    profile = b.u(8)
    b.u(16)  # constraint flags, level
    b.ue()  # seq_parameter_set_id
    chroma = 1
    if profile in _HIGH_PROFILES:
        chroma = b.ue()
        if chroma == 3:
            b.u(1)  # separate_colour_plane_flag
        b.ue(), b.ue(), b.u(1)  # bit depths, qpprime_y_zero_transform_bypass
        if b.u(1):  # seq_scaling_matrix_present_flag
            for index in range(12 if chroma == 3 else 8):
                if b.u(1):
                    _skip_scaling_list(b, 16 if index < 6 else 64)
    b.ue()  # log2_max_frame_num_minus4
    poc_type = b.ue()
    if poc_type == 0:
        b.ue()
    elif poc_type == 1:
        b.u(1), b.se(), b.se()
        for _ in range(min(b.ue(), 255)):
            b.se()
    b.ue(), b.u(1)  # max_num_ref_frames, gaps_in_frame_num_allowed
    width_mbs, height_units = b.ue() + 1, b.ue() + 1
    frame_mbs_only = b.u(1)
    if not frame_mbs_only:
        b.u(1)  # mb_adaptive_frame_field_flag
    b.u(1)  # direct_8x8_inference_flag
    width, height = width_mbs * 16, height_units * 16 * (2 - frame_mbs_only)
    if b.u(1):  # frame_cropping_flag
        unit_x = 1 if chroma in (0, 3) else 2
        unit_y = (2 - frame_mbs_only) * (2 if chroma == 1 else 1)
        left, right, top, bottom = b.ue(), b.ue(), b.ue(), b.ue()
        width -= (left + right) * unit_x
        height -= (top + bottom) * unit_y
    return (width, height) if 16 <= width <= 16384 and 16 <= height <= 16384 else None


def _skip_scaling_list(b: "_Bits", size: int) -> None:
    last = nxt = 8
    for _ in range(size):
        if nxt:
            nxt = (last + b.se() + 256) % 256
        last = nxt or last


class _Bits:
    """MSB-first bit reader with Exp-Golomb codes; IndexError past the end."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def u(self, n: int) -> int:
        value = 0
        for _ in range(n):
            byte = self.data[self.pos >> 3]
            value = (value << 1) | ((byte >> (7 - (self.pos & 7))) & 1)
            self.pos += 1
        return value

    def ue(self) -> int:
        zeros = 0
        while not self.u(1):
            zeros += 1
            if zeros > 31:
                raise ValueError("Exp-Golomb code too long")
        return (1 << zeros) - 1 + self.u(zeros)

    def se(self) -> int:
        k = self.ue()
        return (k + 1) // 2 if k & 1 else -(k // 2)
