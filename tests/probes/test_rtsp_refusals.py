"""An RTSP refusal means one thing whichever stream check meets it (probes/rtsp_status.py).

A real GStreamer RTSP server on loopback answers DESCRIBE, SETUP or PLAY for a path with the status
a camera would: 454 for a path it does not serve, 453 at its viewer limit, 461 for a transport it
does not offer, 503 when it fails. Nothing in the clients is mocked.
"""

from __future__ import annotations

import errno

import av.error
import pytest

from probes.frame import _classify, probe_rtsp_frame
from probes.rtsp import probe_rtsp
from probes.rtsp_continuity import probe_rtsp_continuity
from probes.rtsp_status import refusal
from probes.runner import run_probe
from probes.types import ErrorKind, ProbeTarget
from tests.fakes.rtsp_gst_server import GstRtspCamera

needs_gst = pytest.mark.needs("gst-rtsp")
CHECKS = {"rtsp": (probe_rtsp, 5), "rtsp_frame": (probe_rtsp_frame, 8),
          "rtsp_continuity": (probe_rtsp_continuity, 15)}
# Refused at DESCRIBE: no stream is prepared. Refused later: a mount of its own per check, because
# GStreamer answers 503 to a DESCRIBE that comes while the shared stream of the last session on
# that mount is still being torn down (a race of the fake, not of cameras).
LATER = {"/busy-setup": "453@SETUP", "/busy-play": "453@PLAY", "/transport": "461@SETUP", "/no-session": "454@PLAY"}
REFUSALS = ("/Streaming/Channels/999=454", "/busy=453", "/failing=503",
            *(f"{path}-{kind}={answer}" for path, answer in LATER.items() for kind in CHECKS))


@pytest.fixture(scope="module")
def camera():
    mounts = tuple(f"{path}-{kind}=moving" for path in ("/live", *LATER) for kind in CHECKS)
    with GstRtspCamera(mounts=mounts, refuse=REFUSALS) as cam:
        yield cam


def at(camera: GstRtspCamera, path: str, kind: str = "") -> ProbeTarget:
    path = f"{path}-{kind}" if path in ("/live", *LATER) else path
    return ProbeTarget("127.0.0.1", rtsp_port=camera.port, rtsp_path=path, options={"continuity_window_s": 2.0})


async def check(kind: str, target: ProbeTarget):
    fn, timeout_s = CHECKS[kind]
    return await run_probe(kind, fn, target, timeout_s)


@needs_gst
@pytest.mark.parametrize("kind", list(CHECKS))
@pytest.mark.parametrize("path, error, status", [
    ("/Streaming/Channels/999", ErrorKind.CONFIG, "454"),  # a wrong path, as some firmwares answer it
    ("/nothing", ErrorKind.CONFIG, "404"),
    ("/busy", ErrorKind.BUSY, "453"),  # the session limit, reached by other viewers
    ("/failing", ErrorKind.PROTOCOL, "503"),  # the device fails: its fault
])
async def test_a_describe_refusal_is_the_same_verdict_for_every_stream_check(camera, kind, path, error, status):
    result = await check(kind, at(camera, path))
    assert (result.error, status in result.message) == (error, True), result.message


@needs_gst
@pytest.mark.parametrize("kind", ["rtsp_frame", "rtsp_continuity"])
@pytest.mark.parametrize("path, error, status", [
    ("/busy-setup", ErrorKind.BUSY, "453"),
    ("/busy-play", ErrorKind.BUSY, "453"),
    ("/transport", ErrorKind.TRANSPORT, "461"),
    # Session Not Found to a PLAY is about the session, not the record's path.
    ("/no-session", ErrorKind.UNSUPPORTED, "454"),
])
async def test_a_setup_or_play_refusal_is_read_by_its_status(camera, kind, path, error, status):
    result = await check(kind, at(camera, path, kind))
    assert (result.error, status in result.message) == (error, True), result.message


@needs_gst
async def test_cameras_refusing_alike_one_after_the_other_are_each_read_by_their_status(camera):
    # FFmpeg's logger drops a line repeated verbatim unless told not to: the second 454 would then
    # read as an unknown 4xx (a stream fault and a ticket).
    results = [await check("rtsp_frame", at(camera, "/Streaming/Channels/999")) for _ in range(3)]
    assert [r.error for r in results] == [ErrorKind.CONFIG] * 3


@needs_gst
async def test_a_healthy_stream_still_passes_every_check(camera):
    for kind in CHECKS:
        result = await check(kind, at(camera, "/live", kind))
        assert result.ok, (kind, result.message)


@pytest.mark.parametrize("status, kind", [
    (401, ErrorKind.AUTH), (403, ErrorKind.AUTH), (404, ErrorKind.CONFIG), (454, ErrorKind.CONFIG),
    (453, ErrorKind.BUSY), (461, ErrorKind.TRANSPORT), (405, ErrorKind.UNSUPPORTED), (501, ErrorKind.UNSUPPORTED),
    (400, ErrorKind.UNSUPPORTED), (457, ErrorKind.UNSUPPORTED), (None, ErrorKind.UNSUPPORTED),
    (500, ErrorKind.PROTOCOL), (503, ErrorKind.PROTOCOL), (302, ErrorKind.PROTOCOL),
])
def test_each_status_has_one_verdict(status, kind):
    assert refusal(status, "DESCRIBE").kind is kind


@pytest.mark.parametrize("method", ["SETUP", "PLAY"])
def test_not_found_to_a_track_or_session_request_is_no_fault_of_the_records_path(method):
    assert refusal(454, method).kind is refusal(404, method).kind is ErrorKind.UNSUPPORTED


def test_a_server_error_of_unknown_number_is_a_device_fault():
    assert refusal(None, server_error=True).kind is ErrorKind.PROTOCOL


FFMPEG_ERRORS = {"other 4xx": av.error.HTTPOtherClientError(-1, "4xx"), "400": av.error.HTTPBadRequestError(-1, "400"),
                 "404": av.error.HTTPNotFoundError(-1, "404"), "5xx": av.error.HTTPServerError(-1, "5xx"),
                 "no transport": av.error.OSError(errno.EPROTONOSUPPORT, "Protocol not supported")}


@pytest.mark.parametrize("error, logged, kind", [
    ("other 4xx", ("SETUP", 453), ErrorKind.BUSY),
    ("other 4xx", None, ErrorKind.UNSUPPORTED),  # no log line: the status is not known
    ("404", None, ErrorKind.CONFIG),
    ("no transport", None, ErrorKind.TRANSPORT),
    ("5xx", None, ErrorKind.PROTOCOL),
    # A line that disagrees with the error is from an earlier reply FFmpeg got past (a 401 answered
    # with the login): the error's own status counts.
    ("400", ("DESCRIBE", 401), ErrorKind.UNSUPPORTED),
    ("5xx", ("DESCRIBE", 454), ErrorKind.PROTOCOL),
])
def test_ffmpegs_error_is_read_with_its_log_line_only_when_they_agree(error, logged, kind):
    assert _classify(FFMPEG_ERRORS[error], 0.0, 1.0, 5.0, logged).kind is kind
