"""Which stream a camera's checks use, and what is taken from a URI (pure functions)."""

from __future__ import annotations

import pytest

from assetsvc.monitoring.streams import Reported, StreamChoice, choose, reported_from
from probes.stream_uri import StreamLocation, stream_location

ONVIF = Reported("rtsp://192.168.1.64:10554/Streaming/Channels/101?transportmode=unicast",
                 "rtsp://192.168.1.64/Streaming/Channels/102", "http://192.168.1.64/snap.jpg", 5.0, 25.0, 15.0)
VENDORS = {"vendor_paths": {"hikvision": "/Streaming/Channels/101", "大华": "/cam/realmonitor?channel=1&subtype=0"}}


@pytest.mark.parametrize("uri, expected", [
    ("rtsp://10.0.0.5:8554/live/ch1?user=x", StreamLocation(8554, "/live/ch1?user=x")),
    ("rtsp://admin:pw@10.0.0.5/", StreamLocation(None, "/")),
    ("RTSP://[fe80::1]:554/a", StreamLocation(554, "/a")),
    ("/Streaming/Channels/101", StreamLocation(None, "/Streaming/Channels/101")),
    ("rtsp://10.0.0.5", StreamLocation(None, "/")),
    ("http://10.0.0.5/live", None), ("rtsp://10.0.0.5:99999/x", None), ("live", None), ("", None),
    ("/a\r\nSET_PARAMETER", None), (None, None),
])
def test_only_port_path_and_query_are_taken_from_a_uri(uri, expected):
    assert stream_location(uri) == expected


def test_the_registry_path_wins_over_what_onvif_reported():
    assert choose("/custom", ONVIF, VENDORS, "Hikvision") == StreamChoice(None, "/custom", "registry")


def test_the_onvif_main_stream_comes_next_with_its_port_and_query_but_never_its_host():
    assert choose("", ONVIF, VENDORS, "Hikvision") == StreamChoice(
        10554, "/Streaming/Channels/101?transportmode=unicast", "onvif", 25.0)


def test_a_check_that_asks_for_the_sub_stream_gets_it_where_onvif_reported_one():
    assert choose("", ONVIF, {"stream": "sub"}, "") == StreamChoice(None, "/Streaming/Channels/102", "onvif", 15.0)
    main_only = Reported(ONVIF.main, "", "", 5.0)
    assert choose("", main_only, {"stream": "sub"}, "").path.startswith("/Streaming/Channels/101")


def test_without_registry_or_onvif_the_vendor_default_then_the_class_default():
    assert choose("", None, VENDORS, "浙江大华技术").path == "/cam/realmonitor?channel=1&subtype=0"
    assert choose("", None, VENDORS, "HIKVISION").source == "vendor"
    assert choose("", None, {**VENDORS, "rtsp_path": "/h264"}, "Axis") == StreamChoice(None, "/h264", "class")
    assert choose("", None, {}, "") == StreamChoice(None, "/", "class")


def test_reported_uris_come_from_the_profiles_in_order_and_hostile_entries_are_skipped():
    profiles = [{"stream_uri": None}, {"stream_uri": "rtsp://h/main", "snapshot_uri": "http://h/s.jpg", "fps": 25},
                "junk", {"stream_uri": "not a uri"}, {"stream_uri": "rtsp://h/sub", "fps": True}]
    assert reported_from(profiles, 7.0) == Reported("rtsp://h/main", "rtsp://h/sub", "http://h/s.jpg", 7.0, 25.0, None)
    assert reported_from(None, 7.0) is None and reported_from([{"token": "x"}], 7.0) is None
