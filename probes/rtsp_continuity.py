"""Stream continuity (视频流连续性): read a stream for a window; stalled, frozen or low frame rate.

One RTSP session through FFmpeg (PyAV) in a worker thread, as the frame grab. Every packet is
counted and timed (stream timestamps from RTP, arrival on our clock) but only a few key frames
are decoded, spread over the window, to tell whether the picture changes. So a 10 s check of a
25 fps stream costs a handful of decodes, not 250 (bench/bench_stream_continuity.py).

Outcomes (`verdict`, each with its evidence in the facts):
  stalled   frames stop while the session stays open (a gap of `stall_gap_s` or more; no frame at all)
  frozen    frames keep coming but the sampled pictures are one picture repeated: between any two,
            at most `frozen_share` of the pixels changed (an overlay such as a ticking clock), and
            two of them are the same to within REPEAT_NOISE elsewhere (the encoder gave the same
            picture the same bits)
  low_fps   the stream moves, yet sends fewer frames than `low_fps_ratio` of the declared rate and
            than `low_fps_floor` (5 fps), on its own timestamps and on arrival alike: under every
            rate a healthy camera lowers to by design (slow shutter at a half, third or quarter of
            its rate at night; a dynamic frame rate on a still scene, hence never on a still one)
  still     the sampled pictures barely change, but not as a repeat: a still live scene or a repeat
            re-encoded at another quality, which H.264 makes alike (docs/probes-rtsp.md). Frozen is
            not judgeable here: no fault, and the facts say so
  ok
"""

from __future__ import annotations

import asyncio
import enum
import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import av
import av.error
import numpy as np

from probes.frame import _codec_name, open_stream, quiet
from probes.rtsp import rtsp_url
from probes.types import ErrorKind, ProbeError, ProbeTarget

WORKERS = 4  # sessions read at once per process; each is mostly waiting on the network
_EXECUTOR = ThreadPoolExecutor(WORKERS, thread_name_prefix="rtsp-continuity")
STILL_NOISE = 1.0  # frozen: no pair of samples more than this apart (mean |difference| of the unchanged pixels)
DECIMATE = 4  # sampled pictures are compared on every 4th pixel of every 4th row (grey)
CHANGED_LEVEL = 12  # a pixel whose grey level moved more than this changed (coding noise stays below)
# Mean |difference| of the unchanged pixels at or under which two key frames are one picture coded
# alike. A repeated photograph through x264 measures 0.000 between key frames coded alike (0.009-0.035
# under a ticking clock, whose change the codec carries on through the picture) and up to 0.8 between
# others; a still live scene 0.077 and more with sensor noise of 0.15 grey levels, 0.34 and more with
# 0.3 (bench/bench_still_scenes.py, docs/probes-rtsp.md). Only (near) identity tells a repeat from a
# still scene; from 0.035 to 0.1 both were seen, so the limit sits low: a miss, not a false fault.
REPEAT_NOISE = 0.04


class Continuity(str, enum.Enum):
    """The continuity verdict; monitoring maps it to stream and picture causes."""

    OK = "ok"
    STALLED = "stalled"
    FROZEN = "frozen"
    LOW_FPS = "low_fps"
    STILL = "still"  # frozen not judgeable: a still scene, live or repeated; no fault


@dataclass(frozen=True)
class Rules:
    """The check's settings, from `target.options` (per device class, data)."""

    window_s: float = 10.0  # continuity_window_s
    open_s: float = 4.0  # continuity_open_s: each of FFmpeg's two open phases
    stall_gap_s: float = 2.0  # continuity_stall_gap_s: no frame for this long is a stall
    low_fps_ratio: float = 0.25  # continuity_low_fps_ratio: of the declared rate (slow shutter x2, x3, x4 stay above)
    low_fps_floor: float = 5.0  # continuity_low_fps_floor: fps; low_fps only under this too
    samples: int = 4  # continuity_samples: key frames decoded at most
    frozen_share: float = 0.03  # continuity_frozen_share: share of pixels that may change (an OSD clock)
    declared_fps: float | None = None  # declared_fps: a person's word for the class; else see declared()
    onvif_fps_limit: float | None = None  # onvif_fps_limit: the profile's FrameRateLimit, a cap, not a rate

    @classmethod
    def of(cls, options: Mapping[str, Any]) -> "Rules":
        def number(key: str, default: float | None) -> float | None:
            value = options.get(key, default)
            return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 \
                else default

        return cls(number("continuity_window_s", 10.0), number("continuity_open_s", 4.0),
                   number("continuity_stall_gap_s", 2.0), number("continuity_low_fps_ratio", 0.25),
                   number("continuity_low_fps_floor", 5.0), int(number("continuity_samples", 4)),
                   number("continuity_frozen_share", 0.03), number("declared_fps", None),
                   number("onvif_fps_limit", None))

    def declared(self, stream_fps: float | None) -> tuple[float | None, str | None]:
        """The rate the stream should have, and whose word it is: the `declared_fps` option, else the
        lower of the stream's own (SPS timing, SDP) and ONVIF's FrameRateLimit. Both of those are
        upper bounds (a cap above what the encoder sends; a camera's SPS can claim more than it
        sends), so the lower one is the nearer: a rate set too high is a false low_fps."""
        if self.declared_fps:
            return self.declared_fps, "config"
        known = [(rate, source) for rate, source in ((stream_fps, "stream"), (self.onvif_fps_limit, "onvif")) if rate]
        return min(known) if known else (None, None)

    def low_fps_under(self, declared_fps: float | None) -> float | None:
        """The rate under which a moving stream is low_fps (None: no declared rate, not judged)."""
        return min(declared_fps * self.low_fps_ratio, self.low_fps_floor) if declared_fps else None

    @property
    def read_s(self) -> float:
        """FFmpeg's bound on one packet read: past the stall gap, so a stall ends the read."""
        return self.stall_gap_s + 0.5

    @property
    def budget_s(self) -> float:
        """The longest the check can take: two open phases, the window, one stalled read, TEARDOWN."""
        return 2 * self.open_s + self.window_s + self.read_s + 1.0


@dataclass(frozen=True)
class Packet:
    """One video frame as received: stream time (None if the stream gives none), arrival, key frame."""

    pts_s: float | None
    arrival_s: float
    key: bool


async def probe_rtsp_continuity(target: ProbeTarget) -> dict[str, Any]:
    """Read the stream for the window; facts: verdict, frame_count, fps, declared_fps, longest_gap_s, samples...

    Keep the runner's timeout for this kind at or above Rules.budget_s (window + 2 x open + stall
    gap + 0.5 s + 1 s for TEARDOWN; 21.5 s by default).
    """
    rules = Rules.of(target.options)
    cancelled = threading.Event()
    loop = asyncio.get_running_loop()
    try:
        facts = await loop.run_in_executor(_EXECUTOR, _read, rtsp_url(target, with_login=True), rules, cancelled)
    except asyncio.CancelledError:
        cancelled.set()  # the thread stops at its next packet (or FFmpeg's read bound)
        raise
    return {"url": rtsp_url(target), **facts}  # never with the login in it


def _options(rules: Rules) -> dict[str, str]:
    return {"rtsp_transport": "tcp", "allowed_media_types": "video", "timeout": str(int(rules.open_s * 1e6)),
            "probesize": "32", "analyzeduration": "0", "max_delay": "0"}


def _read(url: str, rules: Rules, cancelled: threading.Event) -> dict[str, Any]:
    with quiet():
        return _read_quietly(url, rules, cancelled)


def _read_quietly(url: str, rules: Rules, cancelled: threading.Event) -> dict[str, Any]:
    container = open_stream(url, _options(rules), rules.open_s, rules.read_s, rules.budget_s)
    try:
        if not container.streams.video or container.streams.video[0].codec_context is None:
            raise ProbeError(ErrorKind.UNSUPPORTED, "no decodable video offered")
        stream = container.streams.video[0]
        stream.codec_context.thread_count = 1
        packets, pictures, ended = _collect(container, stream, rules, cancelled)
        facts = analyse(packets, pictures, rules, _stream_fps(stream), ended)
        facts.update(codec=_codec_name(stream), width=stream.codec_context.width or None,
                     height=stream.codec_context.height or None)
        return facts
    finally:
        container.close()


def _collect(container, stream, rules: Rules, cancelled: threading.Event) -> tuple[list[Packet], list, float]:
    """Packets of the window, a few decoded key frames (grey, decimated), and when reading ended."""
    packets: list[Packet] = []
    pictures: list[np.ndarray] = []
    began = time.monotonic()
    spacing = rules.window_s / max(1, rules.samples)
    last_sample: float | None = None
    try:
        for packet in container.demux(stream):
            now = time.monotonic() - began
            if packet.size:
                pts = packet.pts if packet.pts is not None else packet.dts
                pts_s = float(pts * packet.time_base) if pts is not None and packet.time_base else None
                packets.append(Packet(pts_s, now, packet.is_keyframe))
                if packet.is_keyframe and len(pictures) < rules.samples and (
                        last_sample is None or now - last_sample >= spacing):
                    pictures.extend(_grey(frame) for frame in packet.decode())
                    last_sample = now
            if cancelled.is_set():
                raise ProbeError(ErrorKind.TIMEOUT, "continuity check cancelled")
            if now >= rules.window_s:
                break
    except (av.error.ExitError, TimeoutError):
        pass  # no packet within the read bound: the session is open but nothing comes (a stall)
    except av.error.EOFError:
        pass  # the device ended the stream (TEARDOWN/BYE) before the window: judged on what came
    return packets, pictures, min(time.monotonic() - began, rules.window_s + rules.read_s)


def _grey(frame) -> np.ndarray:
    return frame.to_ndarray(format="gray")[::DECIMATE, ::DECIMATE].astype(np.int16)


def _stream_fps(stream) -> float | None:
    rate = stream.codec_context.framerate or stream.average_rate
    value = float(rate) if rate else 0.0
    return value if 0 < value <= 1000 else None


def changed_share(a: np.ndarray, b: np.ndarray) -> tuple[float, float | None]:
    """Share of pixels that changed between two pictures, and the mean |difference| of the others
    (None when there are none: another size, or every pixel changed)."""
    if a.shape != b.shape:
        return 1.0, None
    diff = np.abs(a - b)
    changed = diff > CHANGED_LEVEL
    still = diff[~changed]
    return float(changed.mean()), float(still.mean()) if still.size else None


def _rate(times: Sequence[float]) -> float | None:
    """Frames per second over the span of these instants (sorted): None under two or in no time."""
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    return (len(times) - 1) / span if span > 0 else None


def analyse(packets: Sequence[Packet], pictures: Sequence[np.ndarray], rules: Rules, stream_fps: float | None,
            read_s: float) -> dict[str, Any]:
    """The verdict and its evidence from packet timing and the sampled pictures (pure); `stream_fps`
    is the rate the stream itself declares (SPS timing, SDP), if any."""
    arrivals = [0.0, *(p.arrival_s for p in packets), read_s]
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
    longest = max(gaps[1:] if packets else gaps)  # from the first frame on; with none, the whole read
    # The rate on the stream's own timestamps (RTP: the capture clock, no network jitter), and on
    # arrival as a check on them: a camera whose RTP clock runs at another rate than it says
    # cannot make a healthy stream low_fps, since low_fps needs both under the limit.
    fps = _rate(sorted({p.pts_s for p in packets if p.pts_s is not None}))
    arrival_fps = _rate([p.arrival_s for p in packets])
    declared_fps, declared_from = rules.declared(stream_fps)
    under = rules.low_fps_under(declared_fps)
    slow = under is not None and fps is not None and fps < under and (arrival_fps is None or arrival_fps < under)
    # Every two samples, not only neighbours: a repeat's key frames take a few qualities in turn
    # (rate control), so two of four are usually coded alike, while live noise never repeats.
    pairs = [changed_share(a, b) for a, b in itertools.combinations(pictures, 2)]
    changed = max((share for share, _ in pairs), default=None)
    closest = min((noise for _, noise in pairs if noise is not None), default=None)
    still = bool(pairs) and changed <= rules.frozen_share
    # Frozen also needs every pair as close as a repeat can be (the old rule's limit): one pair coded
    # alike beside a pair a whole grey level or more apart (an exposure step) is not one picture.
    alike = still and all(noise is not None and noise <= STILL_NOISE for _, noise in pairs)
    unjudged = slow and not pairs  # slow, but fewer than two key frames: whether it moves is unknown
    if not packets or longest >= rules.stall_gap_s:
        verdict = Continuity.STALLED
    elif alike and closest is not None and closest <= REPEAT_NOISE:
        verdict = Continuity.FROZEN
    elif slow and not unjudged and not still:
        # A still scene sent slowly is what a dynamic frame rate does by design; with fewer than two
        # key frames sampled (a GOP longer than the window, as such encoders stretch it) whether the
        # picture moves is unknown, so a slow rate is not judged either (a verdict ok, whose stream
        # monitoring takes as saying nothing of a low frame rate: docs/probes-rtsp.md, "Low frame rate").
        verdict = Continuity.LOW_FPS
    elif still:
        verdict = Continuity.STILL
    else:
        verdict = Continuity.OK
    return {"verdict": verdict.value, "frame_count": len(packets), "read_s": round(read_s, 3),
            "fps": round(fps, 2) if fps is not None else None,
            "declared_fps": round(declared_fps, 2) if declared_fps else None, "declared_from": declared_from,
            "arrival_fps": round(arrival_fps, 2) if arrival_fps is not None else None,
            "low_fps_under": round(under, 2) if under is not None else None, "slow_unjudged": unjudged,
            "longest_gap_s": round(longest, 3), "key_frames": sum(p.key for p in packets),
            "samples": len(pictures), "changed_share": round(changed, 4) if changed is not None else None,
            "repeat_diff": round(closest, 3) if closest is not None else None}
