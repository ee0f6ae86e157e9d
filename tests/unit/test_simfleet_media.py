"""Simulated fleet media: snapshots that probes.iq judges as intended, and a parseable H.264 SDP."""

from __future__ import annotations

import base64

import pytest

from assetsvc.simfleet import sdp
from assetsvc.simfleet.pictures import Pictures
from probes.iq import decode_image, diagnose
from probes.rtsp import h264_sps_size, parse_sdp


@pytest.fixture(scope="module")
def pictures() -> Pictures:
    return Pictures.render()


def test_every_healthy_scene_frame_passes_the_image_checks(pictures):
    for frame in pictures.scene:
        assert diagnose(decode_image(frame)).verdict == "ok"


def test_consecutive_scene_frames_are_not_frozen(pictures):
    previous = decode_image(pictures.scene[0])
    result = diagnose(decode_image(pictures.scene[1]), previous=previous)
    assert "frozen" not in result.faults


@pytest.mark.parametrize(("kind", "verdict"), [("dark", "dark"), ("covered", "occlusion"), ("blurred", "blur")])
def test_each_faulty_picture_trips_its_image_check(pictures, kind, verdict):
    result = diagnose(decode_image(pictures.for_kind(kind, 0)))
    assert result.verdict == verdict


@pytest.mark.parametrize("size", [(1920, 1080), (640, 360), (1280, 720), (704, 576), (352, 288)])
def test_the_sps_announces_the_picture_size(size):
    assert h264_sps_size(base64.b64encode(sdp.sps(*size)).decode()) == size


def test_emulation_prevention_breaks_every_start_code_pattern():
    raw = sdp._emulation_prevention(bytes([0, 0, 1, 0, 0, 0, 0, 0, 3]))
    assert b"\x00\x00\x01" not in raw and b"\x00\x00\x00" not in raw
    assert raw == bytes([0, 0, 3, 1, 0, 0, 3, 0, 0, 3, 0, 3])


def test_the_session_offers_h264_video_of_the_main_stream_size():
    parsed = parse_sdp(sdp.session(1920, 1080).decode(), "rtsp://127.16.0.1:8554/Streaming/Channels/101")
    assert (parsed["video_codec"], parsed["width"], parsed["height"]) == ("H264", 1920, 1080)
    assert parsed["media"][0]["control"].endswith("/101/trackID=1")
