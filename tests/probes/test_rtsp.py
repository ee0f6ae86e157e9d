"""RTSP DESCRIBE and frame grabs against GStreamer's RTSP server and a hostile raw-socket device."""

from __future__ import annotations

import asyncio
import socket
import time
import tracemalloc

import numpy as np
import pytest

from probes.frame import grab_two_frames, probe_rtsp_frame
from probes.rtsp import h264_sps_size, parse_sdp, probe_rtsp
from probes.runner import run_probe
from probes.types import Credentials, ErrorKind, ProbeTarget
from tests.fakes.rtsp_gst_server import GstRtspCamera
from tests.fakes.rtsp_raw import RawRtspServer

LOGIN = Credentials("admin", "Hik12345")
WRONG = Credentials("admin", "not-the-password")
needs_gst = pytest.mark.needs("gst-rtsp")


@pytest.fixture(scope="module")
def camera():
    """GStreamer RTSP server, Digest login on /private."""
    with GstRtspCamera(password=LOGIN.password, auth="digest") as cam:
        yield cam


@pytest.fixture(scope="module")
def basic_camera():
    with GstRtspCamera(mounts=("/private=moving:auth",), password=LOGIN.password, auth="basic") as cam:
        yield cam


def at(server, path: str = "/live", credentials: Credentials | None = None, **options) -> ProbeTarget:
    return ProbeTarget("127.0.0.1", rtsp_port=server.port, rtsp_path=path, credentials=credentials, options=options)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- DESCRIBE against GStreamer --------------------------------------------------------------


@needs_gst
async def test_describe_reports_h264_video_with_its_size(camera):
    result = await run_probe("rtsp", probe_rtsp, at(camera), 5)
    assert result.ok, result.message
    facts = result.facts
    assert facts["status"] == 200 and facts["has_video"] and facts["server"] == "GStreamer RTSP server"
    assert {"OPTIONS", "DESCRIBE", "SETUP", "PLAY"} <= set(facts["public_methods"])
    sdp = facts["sdp"]
    assert (sdp["video_codec"], sdp["width"], sdp["height"]) == ("H264", 640, 360)
    video = sdp["media"][0]
    assert video["payload_types"] == [96] and video["clock_rate"] == 90000 and video["framerate"] == 25
    assert video["control"] == f"rtsp://127.0.0.1:{camera.port}/live/stream=0"


@needs_gst
async def test_describe_reports_motion_jpeg_by_its_static_payload_type(camera):
    result = await run_probe("rtsp", probe_rtsp, at(camera, "/mjpeg"), 5)
    assert result.ok and result.facts["sdp"]["video_codec"] == "MJPEG"


@needs_gst
async def test_audio_only_stream_is_unsupported_no_video_offered(camera):
    result = await run_probe("rtsp", probe_rtsp, at(camera, "/audio"), 5)
    assert (result.error, result.message) == (ErrorKind.UNSUPPORTED, "no video offered")
    assert result.facts["sdp"]["media"][0]["codec"] == "PCMU"


@needs_gst
async def test_unknown_stream_path_is_a_configuration_fault_of_the_record(camera):
    result = await run_probe("rtsp", probe_rtsp, at(camera, "/Streaming/Channels/999"), 5)
    assert result.error is ErrorKind.CONFIG and "404" in result.message


@needs_gst
async def test_frame_grab_of_an_unknown_stream_path_is_a_configuration_fault(camera):
    result = await run_probe("rtsp_frame", probe_rtsp_frame, at(camera, "/Streaming/Channels/999"), 8)
    assert result.error is ErrorKind.CONFIG


@needs_gst
async def test_digest_login_opens_protected_stream(camera):
    result = await run_probe("rtsp", probe_rtsp, at(camera, "/private", LOGIN), 5)
    assert result.ok and result.facts["auth"] == "digest" and result.facts["has_video"]


@needs_gst
async def test_digest_wrong_password_is_auth(camera):
    result = await run_probe("rtsp", probe_rtsp, at(camera, "/private", WRONG), 5)
    assert result.error is ErrorKind.AUTH and WRONG.password not in result.message


@needs_gst
async def test_protected_stream_without_stored_login_is_auth(camera):
    result = await run_probe("rtsp", probe_rtsp, at(camera, "/private"), 5)
    assert result.error is ErrorKind.AUTH and "none is stored" in result.message


@needs_gst
async def test_basic_login_opens_protected_stream(basic_camera):
    result = await run_probe("rtsp", probe_rtsp, at(basic_camera, "/private", LOGIN), 5)
    assert result.ok and result.facts["auth"] == "basic"


@needs_gst
async def test_basic_wrong_password_is_auth(basic_camera):
    result = await run_probe("rtsp", probe_rtsp, at(basic_camera, "/private", WRONG), 5)
    assert result.error is ErrorKind.AUTH


# --- DESCRIBE against the raw device: logins and quirks --------------------------------------


async def test_digest_with_qop_answers_the_challenge_once():
    async with RawRtspServer("digest", password="secret") as srv:
        result = await run_probe("rtsp", probe_rtsp, at(srv, "/ch1", Credentials("admin", "secret")), 5)
    assert result.ok, result.message
    # OPTIONS: 401 then retry; DESCRIBE: authorised at once with the next nonce count.
    assert [r.split(" ")[0] for r in srv.requests] == ["OPTIONS", "OPTIONS", "DESCRIBE"]
    assert "nc=00000002" in srv.requests[-1] and "qop=auth" in srv.requests[-1]


async def test_a_401_loop_ends_as_auth_after_one_retry():
    async with RawRtspServer("auth_loop") as srv:
        result = await run_probe("rtsp", probe_rtsp, at(srv, "/ch1", Credentials("admin", "secret")), 5)
    assert result.error is ErrorKind.AUTH and len(srv.requests) == 2


@pytest.mark.parametrize("scenario", ["no_cseq", "options_501"])
async def test_tolerated_firmware_quirks_still_report_the_stream(scenario):
    async with RawRtspServer(scenario) as srv:
        result = await run_probe("rtsp", probe_rtsp, at(srv, "/ch1"), 5)
    assert result.ok and result.facts["sdp"]["video_codec"] == "H264"


async def test_stream_path_from_a_sheet_cannot_inject_headers():
    async with RawRtspServer("ok") as srv:
        await run_probe("rtsp", probe_rtsp, at(srv, "/live 1\r\nX-Evil: 1"), 5)
    request_line, _, rest = srv.requests[0].partition("\r\n")
    assert request_line.endswith("/live%201%0D%0AX-Evil:%201 RTSP/1.0") and "X-Evil" not in rest


async def test_closed_port_is_refused():
    result = await run_probe("rtsp", probe_rtsp, ProbeTarget("127.0.0.1", rtsp_port=free_port()), 5)
    assert result.error is ErrorKind.REFUSED


HOSTILE = [
    ("garbage_status", ErrorKind.PROTOCOL, "not an RTSP status line"),
    ("http", ErrorKind.PROTOCOL, "HTTP server"),
    ("endless_header", ErrorKind.PROTOCOL, "headers larger than"),
    ("endless_line", ErrorKind.PROTOCOL, "line longer than"),
    ("huge_body", ErrorKind.PROTOCOL, "over the 64 KiB cap"),
    ("long_body", ErrorKind.PROTOCOL, "over the 64 KiB cap"),
    ("bad_utf8", ErrorKind.PROTOCOL, "not valid UTF-8"),
    ("garbage_sdp", ErrorKind.PROTOCOL, "not SDP"),
    ("no_video", ErrorKind.UNSUPPORTED, "no video offered"),
    ("describe_501", ErrorKind.UNSUPPORTED, "501"),
    ("not_found", ErrorKind.CONFIG, "404"),
    ("session_not_found", ErrorKind.CONFIG, "454"),
    ("no_challenge", ErrorKind.AUTH, "scheme"),
    ("slowloris", ErrorKind.TIMEOUT, "no complete reply"),
    ("hang", ErrorKind.TIMEOUT, "no complete reply"),
    ("close", ErrorKind.REFUSED, ""),
]


@pytest.mark.parametrize(("scenario", "kind", "fragment"), HOSTILE, ids=[h[0] for h in HOSTILE])
async def test_hostile_device_ends_classified_in_time_and_bounded_memory(scenario, kind, fragment):
    async with RawRtspServer(scenario, trickle_s=0.05) as srv:
        tracemalloc.start()
        try:
            result = await run_probe("rtsp", probe_rtsp, at(srv, "/ch1", Credentials("admin", "x"),
                                                           rtsp_reply_timeout_s=1.0), 3)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert (result.error, fragment in result.message) == (kind, True), result.message
    assert result.duration_s < 1.5
    assert peak < 1_000_000  # the device may send gigabytes; we keep at most a few caps' worth


# --- SDP and SPS parsing ---------------------------------------------------------------------

# SPS/PPS as x264 (via GStreamer) announces them for four sizes and profiles.
SPS = {
    (1920, 1080): "Z2QAKKzZQHgCJ+XAWoCAgKAAAAMAIAAAB5HjBjLA",  # High, 1088 lines cropped to 1080
    (1280, 720): "Z01AH+ygKALdgLUBAQFAAAADAEAAAA8jxgxlgA==",  # Main
    (704, 576): "Z2QAH6zZQLASbAWoMDA1KAAAAwAIAAADAeR4wYyw",  # High, D1 PAL
    (2560, 1440): "Z/QAMpDZsoBQAWtgLUBAQFAAAAMAEAAAAwPI8YMZYA==",  # High 4:4:4
}


@pytest.mark.parametrize("size", list(SPS))
def test_picture_size_is_read_from_the_sps(size):
    assert h264_sps_size(SPS[size]) == size


@pytest.mark.parametrize("junk", ["", "!!!", "Z2QAKA==", "aM48gA==", "Z" * 2000])
def test_truncated_or_foreign_sps_gives_no_size(junk):
    assert h264_sps_size(junk) is None


def test_sdp_size_attributes_and_control_urls():
    sdp = ("v=0\r\ns=大华\r\na=control:*\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H265/90000\r\n"
           "a=framesize:96 2560-1440\r\na=control:trackID=0\r\nm=video 0 RTP/AVP 26\r\na=x-dimensions:704,576\r\n"
           "a=control:rtsp://10.0.0.9/other\r\ngarbage line\r\nm=application 0 RTP/AVP 107\r\n")
    parsed = parse_sdp(sdp, "rtsp://cam/live/")
    first, second, _ = parsed["media"]
    assert (parsed["session_name"], parsed["control"]) == ("大华", "rtsp://cam/live/")
    assert (first["codec"], first["width"], first["height"]) == ("H265", 2560, 1440)
    assert first["control"] == "rtsp://cam/live/trackID=0"
    assert (second["codec"], second["width"], second["control"]) == ("MJPEG", 704, "rtsp://10.0.0.9/other")


# --- frame grabs -----------------------------------------------------------------------------


@needs_gst
async def test_frame_grab_decodes_a_real_picture_of_the_stream_size(camera):
    result = await run_probe("rtsp_frame", probe_rtsp_frame, at(camera), 5)
    assert result.ok, result.message
    frame = result.facts["frame"]
    assert (result.facts["width"], result.facts["height"], result.facts["codec"]) == (640, 360, "H264")
    assert frame.shape == (360, 640, 3) and frame.dtype == np.uint8
    assert frame.std() > 40  # colour bars, not a blank or grey picture
    assert result.facts["grab_ms"] < 1000


@needs_gst
async def test_frame_grab_decodes_motion_jpeg(camera):
    result = await run_probe("rtsp_frame", probe_rtsp_frame, at(camera, "/mjpeg"), 5)
    assert result.ok and result.facts["codec"] == "MJPEG" and result.facts["frame"].shape == (360, 640, 3)


@needs_gst
async def test_black_mount_gives_a_near_uniform_dark_frame(camera):
    result = await run_probe("rtsp_frame", probe_rtsp_frame, at(camera, "/black"), 5)
    frame = result.facts["frame"]
    assert frame.mean() < 16 and frame.std() < 4


@needs_gst
async def test_blue_no_signal_screen_comes_back_blue_in_bgr_order(camera):
    result = await run_probe("rtsp_frame", probe_rtsp_frame, at(camera, "/blue"), 5)
    blue, green, red = result.facts["frame"].reshape(-1, 3).mean(axis=0)
    assert blue > 200 and green < 30 and red < 30


@needs_gst
async def test_frame_grab_with_digest_login(camera):
    result = await run_probe("rtsp_frame", probe_rtsp_frame, at(camera, "/private", LOGIN), 5)
    assert result.ok and result.facts["frame"].shape == (360, 640, 3)


@needs_gst
async def test_frame_grab_wrong_password_is_auth_and_never_shows_it(camera):
    result = await run_probe("rtsp_frame", probe_rtsp_frame, at(camera, "/private", WRONG), 5)
    assert result.error is ErrorKind.AUTH and WRONG.password not in result.message


@needs_gst
async def test_frame_grab_of_audio_only_stream_is_unsupported(camera):
    result = await run_probe("rtsp_frame", probe_rtsp_frame, at(camera, "/audio"), 5)
    assert result.error is ErrorKind.UNSUPPORTED


@needs_gst
async def test_two_frames_of_a_frozen_picture_are_identical(camera):
    facts = await grab_two_frames(at(camera, "/frozen", frame_timeout_s=3), gap_ms=300)
    first, second = facts["frames"]
    assert facts["gap_ms"] >= 300 and np.abs(first.astype(int) - second).mean() < 1


@needs_gst
async def test_two_frames_of_a_moving_picture_differ(camera):
    facts = await grab_two_frames(at(camera, "/live", frame_timeout_s=3), gap_ms=300)
    first, second = facts["frames"]
    assert np.abs(first.astype(int) - second).mean() > 10


async def test_frame_grab_on_a_dead_port_is_refused_quickly():
    result = await run_probe("rtsp_frame", probe_rtsp_frame, ProbeTarget("127.0.0.1", rtsp_port=free_port()), 5)
    assert result.error is ErrorKind.REFUSED and result.duration_s < 0.5


@pytest.mark.parametrize("scenario", ["hang", "ok"], ids=["no_rtsp_reply", "no_packet_after_play"])
async def test_frame_grab_on_a_hung_device_ends_by_its_bound(scenario):
    async with RawRtspServer(scenario) as srv:
        result = await run_probe("rtsp_frame", probe_rtsp_frame, at(srv, "/ch1", frame_timeout_s=1.0), 5)
    assert result.error is ErrorKind.TIMEOUT and result.duration_s < 1.3


async def wait_for_connections(srv: RawRtspServer, count: int, within_s: float) -> int:
    deadline = time.monotonic() + within_s
    while srv.open_connections != count and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    return srv.open_connections


async def test_cancelled_grab_still_hangs_up_within_its_bound():
    async with RawRtspServer("hang") as srv:
        started = time.monotonic()
        result = await run_probe("rtsp_frame", probe_rtsp_frame, at(srv, "/ch1", frame_timeout_s=2.0), 0.1)
        assert result.error is ErrorKind.TIMEOUT
        # FFmpeg's thread outlives the cancelled coroutine (its open phase is 0.8 s)...
        assert await wait_for_connections(srv, 1, 0.5) == 1
        # ...but not its own bound.
        assert await wait_for_connections(srv, 0, 2.5) == 0
        assert time.monotonic() - started < 2.3
