"""A decoded video frame from a camera's RTSP stream (抓图): PyAV in a worker thread under a hard time bound.

Only a decoded frame proves video is flowing. FFmpeg blocks, so the grab runs in a small
thread pool of its own; the bound is enforced inside FFmpeg (PyAV's interrupt callback plus
FFmpeg's socket timeout), so a grab's thread really ends near its deadline even when the
awaiting coroutine was cancelled long before. Frames leave this module as numpy arrays
(H x W x 3, uint8, BGR as OpenCV expects); av objects never do.
"""

from __future__ import annotations

import asyncio
import errno
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import av
import av.error
import av.logging

from probes.rtsp import rtsp_url
from probes.rtsp_status import UNSUPPORTED_TRANSPORT, refusal
from probes.types import ErrorKind, ProbeError, ProbeTarget

GRAB_WORKERS = 4  # decoding is CPU work: more parallel grabs than this only queue on 2 cores
DEFAULT_TIMEOUT_S = 5.0
# Not asyncio.to_thread: a stuck grab would hold one of the loop's default-executor threads, and
# that pool also runs getaddrinfo for every other probe. Grabs get their own, bounded pool.
_EXECUTOR = ThreadPoolExecutor(GRAB_WORKERS, thread_name_prefix="rtsp-grab")
# FFmpeg raises one error for every 4xx but 401/403/404 (and 400, 429): only its log line
# "method SETUP failed: 453 (...)" says whether the path is wrong (454), the device is busy (453)
# or refuses our transport (461). So errors are logged (PyAV's default is no log at all), repeated
# lines are not dropped (two cameras refusing alike one after the other must both be read), and
# every stream session captures the lines of its own thread (`quiet`): none reaches the log, where
# FFmpeg's text could carry the URL with the login.
av.logging.set_skip_repeated(False)
if av.logging.get_level() is None:
    av.logging.set_level(av.logging.ERROR)
_REFUSED = re.compile(r"method ([A-Z_]{1,20}) failed: (\d{3})")


@dataclass(frozen=True)
class _Bound:
    """How one wall-clock budget is split over FFmpeg's blocking calls.

    PyAV's ``timeout=(open, read)`` is not a budget for the whole grab (av/container/core.py,
    input.py): the open timer starts once for avformat_open_input and *again* for
    avformat_find_stream_info, and the read timer restarts at every av_read_frame. So each
    open phase gets 40 %, each packet read 20 %, and no read starts after 80 % has passed:
    the grab ends by the budget (plus FFmpeg's 100 ms interrupt polling).
    """

    total_s: float

    @property
    def open_s(self) -> float:
        return self.total_s * 0.4

    @property
    def read_s(self) -> float:
        return self.total_s * 0.2

    def ffmpeg_options(self) -> dict[str, str]:
        return {
            "rtsp_transport": "tcp",  # UDP needs ports opened back to us through NAT and firewalls
            "allowed_media_types": "video",  # no SETUP (nor bytes) for the audio track
            # FFmpeg's own socket timeout (µs), a second bound that also covers TEARDOWN in close();
            # as long as an open phase, so the interrupt callback stays the one that fires first.
            "timeout": str(int(self.open_s * 1e6)),
            "probesize": "32",  # SPS/PPS usually come in the SDP: do not wait for 5 MB of probing
            "analyzeduration": "0",
            "max_delay": "0",  # TCP delivers in order: no reordering queue
            # Not "fflags nobuffer": with it avformat_find_stream_info *drops* the packets it probed,
            # which on a fresh stream are the IDR frame, and the grab waits a whole GOP for the next.
        }


async def probe_rtsp_frame(target: ProbeTarget) -> dict[str, Any]:
    """Decode one frame: {width, height, codec, grab_ms, frame}.

    options: ``frame_timeout_s`` (default 5) is the hard bound of the grab; keep the runner's
    timeout for this kind at or above it.
    """
    return await _run(target, gap_s=None)


async def grab_two_frames(target: ProbeTarget, gap_ms: float = 1000.0) -> dict[str, Any]:
    """Two frames about gap_ms apart on one connection (the frozen-picture check).

    Facts as probe_rtsp_frame, with ``frames`` (both arrays) and ``gap_ms`` (measured on the
    stream's own timestamps when it has them) instead of ``frame``.
    """
    return await _run(target, gap_s=gap_ms / 1000)


async def _run(target: ProbeTarget, gap_s: float | None) -> dict[str, Any]:
    bound = _Bound(float(target.options.get("frame_timeout_s", DEFAULT_TIMEOUT_S)))
    cancelled = threading.Event()
    loop = asyncio.get_running_loop()
    try:
        return await loop.run_in_executor(_EXECUTOR, _grab, rtsp_url(target, with_login=True), bound, gap_s, cancelled)
    except asyncio.CancelledError:
        cancelled.set()  # the thread stops at its next packet (or FFmpeg's own bound)
        raise


def quiet() -> av.logging.Capture:
    """FFmpeg's log lines of this thread, kept from the log (they may hold the URL with the login)."""
    return av.logging.Capture(local=True)


def open_stream(url: str, options: dict[str, str], open_s: float, read_s: float, total_s: float):
    """av.open of an RTSP URL (OPTIONS, DESCRIBE, SETUP, PLAY); every failure as a ProbeError.

    open_s and read_s: PyAV's timeouts; total_s: the whole check's bound, for the timeout message.
    """
    start = time.monotonic()
    with quiet() as lines:
        try:
            return av.open(url, options=options, timeout=(open_s, read_s))
        except Exception as exc:  # noqa: BLE001 - every FFmpeg failure is classified
            refused = _refused(lines)
            raise _classify(exc, time.monotonic() - start, open_s, total_s, refused) from None


def _refused(lines: list[tuple[int, str, str]]) -> tuple[str, int] | None:
    """The last RTSP request the device refused and its status, from FFmpeg's log lines."""
    for _level, _name, message in reversed(lines):
        found = _REFUSED.search(message)
        if found:
            return found[1], int(found[2])
    return None


def _grab(url: str, bound: _Bound, gap_s: float | None, cancelled: threading.Event) -> dict[str, Any]:
    with quiet():
        return _grab_quietly(url, bound, gap_s, cancelled)


def _grab_quietly(url: str, bound: _Bound, gap_s: float | None, cancelled: threading.Event) -> dict[str, Any]:
    start = time.monotonic()
    container = open_stream(url, bound.ffmpeg_options(), bound.open_s, bound.read_s, bound.total_s)
    try:
        if not container.streams.video:
            raise ProbeError(ErrorKind.UNSUPPORTED, "no video offered")
        stream = container.streams.video[0]
        if stream.codec_context is None:  # PyAV leaves it None when FFmpeg has no decoder for the codec
            raise ProbeError(ErrorKind.UNSUPPORTED, "no decoder for the stream's codec")
        # One frame: slice/frame threads would only add start-up cost (and frame threads latency).
        stream.codec_context.thread_count = 1
        frames = _decode(container, stream, start, bound, gap_s, cancelled)
        first = frames[0][0]
        facts: dict[str, Any] = {"width": first.width, "height": first.height, "codec": _codec_name(stream),
                                 "grab_ms": round((time.monotonic() - start) * 1000, 1)}
        arrays = [f.to_ndarray(format="bgr24") for f, _ in frames]
        if gap_s is None:
            facts["frame"] = arrays[0]
        else:
            facts["frames"] = arrays
            facts["gap_ms"] = round(_gap_s(*frames) * 1000, 1)
        return facts
    except ProbeError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise _classify(exc, 0.0, bound.read_s, bound.total_s) from None
    finally:
        container.close()


def _decode(container, stream, start: float, bound: _Bound, gap_s: float | None,
            cancelled: threading.Event) -> list:
    """The first decodable frame (and, with gap_s, the first one gap_s later on the stream's clock)."""
    stop_reading = start + bound.total_s - bound.read_s
    wanted = 1 if gap_s is None else 2
    frames: list = []  # (frame, wall-clock time it was decoded), for streams without timestamps
    for packet in container.demux(stream):
        for frame in packet.decode():
            if not frames or _gap_s(frames[0], (frame, time.monotonic())) >= gap_s:
                frames.append((frame, time.monotonic()))
            if len(frames) == wanted:
                return frames
        if cancelled.is_set():
            raise ProbeError(ErrorKind.TIMEOUT, "grab cancelled")
        if time.monotonic() > stop_reading:
            what = "no decodable frame" if not frames else f"no second frame {gap_s:g} s later"
            raise ProbeError(ErrorKind.TIMEOUT, f"{what} within {bound.total_s:g} s")
    raise ProbeError(ErrorKind.PROTOCOL, "the stream ended before a decodable frame")


def _gap_s(first: tuple, second: tuple) -> float:
    (a, a_wall), (b, b_wall) = first, second
    if a.pts is not None and b.pts is not None and a.time_base:
        return float((b.pts - a.pts) * a.time_base)
    return b_wall - a_wall


# FFmpeg's errors for RTSP replies: the exact status where FFmpeg keeps it, else 4 or 5 (the class).
_HTTP_STATUS = {av.error.HTTPBadRequestError: 400, av.error.HTTPUnauthorizedError: 401,
                av.error.HTTPForbiddenError: 403, av.error.HTTPNotFoundError: 404}


def _refusal_status(exc: BaseException) -> int | None:
    """The RTSP status an FFmpeg error stands for (4 / 5: some 4xx / 5xx), None if it is no refusal."""
    if isinstance(exc, OSError) and exc.errno == errno.EPROTONOSUPPORT:
        return UNSUPPORTED_TRANSPORT  # FFmpeg's word for "every transport offered was refused": TCP only, a 461
    if isinstance(exc, av.error.HTTPServerError):
        return 5
    if isinstance(exc, av.error.HTTPClientError):  # PyAV: the 4xx errors are no HTTPError
        return _HTTP_STATUS.get(type(exc), 4)
    return None


def _codec_name(stream) -> str:
    name = stream.codec_context.name
    return {"h264": "H264", "hevc": "H265", "mjpeg": "MJPEG", "mpeg4": "MPEG4"}.get(name, name.upper())


def _classify(exc: BaseException, elapsed_s: float, phase_s: float, total_s: float,
              refused: tuple[str, int] | None = None) -> ProbeError:
    """FFmpeg's exception as a ProbeError; never its text, which holds the URL with the password.

    refused: the request the device refused and its RTSP status, when FFmpeg's log said so.
    """
    if isinstance(exc, ProbeError):
        return exc
    timed_out = ProbeError(ErrorKind.TIMEOUT, f"no decodable frame within {total_s:g} s")
    if isinstance(exc, (av.error.ExitError, TimeoutError)):
        return timed_out
    status = _refusal_status(exc)
    if status is not None:
        # The device answered with a refusal: one meaning per status for every stream check. The
        # log line names the request and the exact status; it is trusted only when it agrees with
        # the error (a 401 FFmpeg answered with a login leaves a line behind a later failure).
        if refused is not None and status in (refused[1], refused[1] // 100):  # the status, or its class
            return refusal(refused[1], refused[0])
        return refusal(status if status > 5 else None, server_error=status == 5)
    if isinstance(exc, av.error.InvalidDataError):
        # Quirk: when the interrupt callback fires while FFmpeg waits for an RTSP reply, the RTSP
        # demuxer reports "invalid data", not "exit": tell the two apart by the time spent.
        if elapsed_s >= phase_s * 0.9:
            return timed_out
        return ProbeError(ErrorKind.PROTOCOL, "the device's RTSP reply could not be parsed")
    if isinstance(exc, ConnectionRefusedError):
        return ProbeError(ErrorKind.REFUSED, "connection refused")
    if isinstance(exc, (ConnectionError, av.error.EOFError)):
        return ProbeError(ErrorKind.REFUSED, "connection closed by the device")
    if isinstance(exc, OSError) and exc.errno is not None and exc.errno < 1000:
        return ProbeError(ErrorKind.REFUSED, exc.strerror or "network error")
    if isinstance(exc, av.error.FFmpegError):
        return ProbeError(ErrorKind.PROTOCOL, f"FFmpeg: {exc.strerror or type(exc).__name__}")
    return ProbeError(ErrorKind.PROTOCOL, f"unexpected failure ({type(exc).__name__})")
