"""Stream continuity against GStreamer's RTSP server, and its verdict from packet timing (pure)."""

from __future__ import annotations

import asyncio
import sys
import threading

import numpy as np
import pytest

from probes.rtsp_continuity import Packet, Rules, analyse, probe_rtsp_continuity
from probes.runner import run_probe
from probes.types import ErrorKind, ProbeTarget
from tests.fakes.rtsp_gst_server import GstRtspCamera

needs_gst = pytest.mark.needs("gst-rtsp")
WINDOW = {"continuity_window_s": 4.5}  # two GOPs of the fake: at least two key frames to compare


@pytest.fixture(scope="module")
def camera():
    mounts = ("/live=moving", "/frozen=frozen", "/clock=frozen_clock", "/stall=stall")
    with GstRtspCamera(mounts=mounts, stall_after_s=0.5) as cam:
        yield cam


def at(camera: GstRtspCamera, path: str, **options) -> ProbeTarget:
    return ProbeTarget("127.0.0.1", rtsp_port=camera.port, rtsp_path=path, options={**WINDOW, **options})


@needs_gst
@pytest.mark.parametrize("path, verdict", [("/live", "ok"), ("/frozen", "frozen"), ("/clock", "frozen"),
                                           ("/stall", "stalled")])
async def test_each_stream_gets_its_verdict(camera, path, verdict):
    result = await run_probe("rtsp_continuity", probe_rtsp_continuity, at(camera, path), 15)
    assert result.ok, result.message
    assert result.facts["verdict"] == verdict, dict(result.facts)
    assert result.facts["declared_fps"] == 25 and result.facts["codec"] == "H264"


@needs_gst
async def test_a_stream_sending_less_than_it_declares_is_low_fps(camera):
    result = await run_probe("rtsp_continuity", probe_rtsp_continuity, at(camera, "/live", declared_fps=60), 15)
    assert result.facts["verdict"] == "low_fps" and 20 <= result.facts["fps"] <= 30


@needs_gst
async def test_a_path_that_is_not_there_is_a_configuration_fault(camera):
    result = await run_probe("rtsp_continuity", probe_rtsp_continuity, at(camera, "/nothing"), 15)
    assert result.error is ErrorKind.CONFIG


@needs_gst
async def test_the_time_limit_really_stops_the_reading_thread(camera):
    result = await run_probe("rtsp_continuity", probe_rtsp_continuity,
                             at(camera, "/live", continuity_window_s=30), 1.0)
    assert result.error is ErrorKind.TIMEOUT
    # The cancelled read stops at its next packet (40 ms at 25 fps), not at the end of its 30 s window.
    for _ in range(100):
        if not reading():
            break
        await asyncio.sleep(0.05)
    assert not reading()


def reading() -> list[threading.Thread]:
    """Pool threads that are inside a continuity read now."""
    frames = sys._current_frames()
    found = []
    for thread in threading.enumerate():
        frame = frames.get(thread.ident)
        while thread.name.startswith("rtsp-continuity") and frame is not None:
            if frame.f_code.co_name == "_read":
                found.append(thread)
                break
            frame = frame.f_back
    return found


# --- the verdict from timing and samples (pure) ------------------------------------------------
RULES = Rules(window_s=10.0)
STILL = np.zeros((90, 160), np.int16)


def steady(fps: float, until_s: float, start: float = 0.2) -> list[Packet]:
    return [Packet(i / fps, start + i / fps, i % 50 == 0) for i in range(int(until_s * fps))]


def test_frames_that_stop_while_the_session_stays_open_are_a_stall_with_the_gap_as_evidence():
    facts = analyse(steady(25, 3.0), [STILL, STILL + 100], RULES, 25.0, read_s=5.7)
    assert facts["verdict"] == "stalled" and facts["longest_gap_s"] == pytest.approx(2.54, abs=0.05)


def test_no_frame_at_all_is_a_stall():
    assert analyse([], [], RULES, None, read_s=2.5)["verdict"] == "stalled"


def test_pictures_that_never_change_are_frozen_even_with_a_small_ticking_overlay():
    ticking = STILL.copy()
    ticking[:8, :20] = 200  # 1 % of the picture: a clock
    assert analyse(steady(25, 10), [STILL, ticking, STILL], RULES, 25.0, read_s=10.0)["verdict"] == "frozen"


def test_a_static_scene_with_sensor_noise_is_not_frozen():
    noisy = STILL + np.random.default_rng(1).integers(-4, 5, STILL.shape).astype(np.int16)
    assert analyse(steady(25, 10), [STILL, noisy], RULES, 25.0, read_s=10.0)["verdict"] == "ok"


def test_a_rate_under_half_the_declared_one_is_low_fps_and_one_sample_cannot_say_frozen():
    facts = analyse(steady(8, 10), [STILL], RULES, 25.0, read_s=10.0)
    assert (facts["verdict"], facts["fps"], facts["changed_share"]) == ("low_fps", 8.0, None)
    assert analyse(steady(15, 10), [STILL], RULES, 25.0, read_s=10.0)["verdict"] == "ok"
