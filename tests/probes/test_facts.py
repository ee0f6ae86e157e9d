"""Facts records: each round-trips its stored JSON, and an undeclared key is refused loudly."""

from __future__ import annotations

import datetime as dt

import pytest

from probes.facts import RECORDS, NoFacts, OnvifDeepFacts, SnmpFacts, UnknownFact, from_json, typed
from probes.runner import run_probe
from probes.types import ProbeTarget

STORED = {
    "tcp": {"connect_ms": {"80": 0.31, "554": 0.28}},
    "onvif_light": {"device_utc": "2026-12-06T10:00:00+00:00", "clock_offset_s": -0.4, "ntp": True,
                    "tz": "CST-8", "dst": False, "date_time_needs_auth": False, "rtt_ms": 1.2},
    "onvif_deep": {"device_utc": "2026-12-06T10:00:00+00:00", "clock_offset_s": 0.1, "ntp": False, "tz": "CST-8",
                   "dst": False, "date_time_needs_auth": False, "rtt_ms": 2.0, "manufacturer": "HIKVISION",
                   "model": "DS-2CD", "firmware": "V5.5", "serial": "S1", "hardware_id": "88",
                   "macs": ["BC:AD:28:12:34:56"],
                   "profiles": [{"token": "Profile_1", "name": "main", "encoding": "H264", "width": 1920,
                                 "height": 1080, "fps": 25, "stream_uri": "rtsp://10.0.0.5:554/Streaming/Channels/101",
                                 "snapshot_uri": None}],
                   "snapshot_content_type": "image/jpeg", "snapshot_size": 1234, "snapshot_profile": "Profile_1",
                   "errors": {}, "iq": {"verdict": "ok", "faults": []}},
    "rtsp": {"url": "rtsp://127.0.0.1:8554/ch1", "status": 200, "server": "GStreamer", "public_methods": ["OPTIONS"],
             "auth": "digest", "sdp": {"session_name": "s", "control": None, "media": []}, "has_video": True},
    "rtsp_continuity": {"url": "rtsp://127.0.0.1:8554/sub", "verdict": "low_fps", "frame_count": 41, "read_s": 10.02,
                        "fps": 4.1, "declared_fps": 25.0, "longest_gap_s": 0.41, "key_frames": 1, "samples": 4,
                        "changed_share": 0.2, "repeat_diff": 0.52, "codec": "h264", "width": 640, "height": 360},
    "rtsp_frame": {"width": 640, "height": 360, "codec": "H264", "grab_ms": 120.5, "iq_error": "bad"},
    "snmp": {"snmp_version": "2c", "sys_uptime_s": 12.5, "sys_object_id": "1.3.6.1.4.1.8072.3.2.10",
             "sys_descr": "Linux", "sys_name": "潭中路", "interfaces": {"1": {"descr": "光口1"}},
             "interfaces_truncated": False},
    "snmp_light": {"snmp_version": "3", "sys_uptime_s": 1.0, "sys_object_id": "1.3.6.1"},
    "wsdiscovery": {"devices": [{"address": "urn:uuid:1"}], "dropped": {"invalid": 0, "unrelated": 0, "oversized": 0},
                    "datagrams": 1, "duplicates": 0, "truncated": False, "unknown": [], "missing": ["urn:uuid:2"]},
}


@pytest.mark.parametrize("kind", sorted(RECORDS))
def test_each_record_round_trips_its_stored_json(kind):
    record = from_json(kind, STORED[kind])
    assert isinstance(record, RECORDS[kind]) and record.to_json() == STORED[kind]


def test_a_failed_probe_stores_only_the_keys_it_learnt():
    record = typed("onvif_deep", {"clock_offset_s": 3600.2})
    assert record.to_json() == {"clock_offset_s": 3600.2} and "ntp" not in record
    assert record.clock_offset_s == 3600.2 and record.ntp is None


def test_stored_clock_reads_back_as_a_datetime():
    record = from_json("onvif_light", STORED["onvif_light"])
    assert record.device_utc == dt.datetime(2026, 12, 6, 10, tzinfo=dt.timezone.utc)


def test_pictures_are_summarised_in_the_stored_form():
    record = OnvifDeepFacts(snapshot=b"\xff\xd8" * 5, snapshot_size=10)
    assert record.to_json()["snapshot"] == "<10 bytes>"


def test_an_unknown_fact_key_is_refused():
    with pytest.raises(UnknownFact, match="firmware_date"):
        typed("snmp", {"sys_name": "x", "firmware_date": "2026"})
    with pytest.raises(UnknownFact):
        from_json("tcp", {"connect_ms": {}, "rtt": 1})
    with pytest.raises(UnknownFact):
        typed("no_such_kind", {"anything": 1})


def test_continuity_facts_of_a_check_that_read_nothing():
    record = typed("rtsp_continuity", {"url": "rtsp://127.0.0.1:8554/stall", "verdict": "stalled", "frame_count": 0,
                                       "fps": None, "declared_fps": None, "changed_share": None})
    assert isinstance(record, RECORDS["rtsp_continuity"]) and record.verdict == "stalled" and record["fps"] is None
    assert from_json("rtsp_continuity", record.to_json()) == record
    with pytest.raises(UnknownFact, match="jitter"):
        typed("rtsp_continuity", {"verdict": "ok", "jitter": 1})


async def test_the_runner_refuses_a_probe_that_reports_an_undeclared_key():
    async def chatty(target: ProbeTarget) -> dict:
        return {"snmp_version": "2c", "sys_uptime_s": 1.0, "sys_object_id": "1.3", "new_thing": 1}

    with pytest.raises(UnknownFact, match="new_thing"):
        await run_probe("snmp_light", chatty, ProbeTarget("127.0.0.1"), 1.0)


async def test_the_runner_returns_the_kind_s_record():
    async def light(target: ProbeTarget) -> dict:
        return {"snmp_version": "2c", "sys_uptime_s": 1.0, "sys_object_id": "1.3"}

    result = await run_probe("snmp_light", light, ProbeTarget("127.0.0.1"), 1.0)
    assert isinstance(result.facts, SnmpFacts) and result.facts.sys_uptime_s == 1.0
    assert result.to_json()["facts"] == {"snmp_version": "2c", "sys_uptime_s": 1.0, "sys_object_id": "1.3"}
    assert isinstance((await run_probe("x", _fails, ProbeTarget("127.0.0.1"), 1.0)).facts, NoFacts)


async def _fails(target: ProbeTarget) -> dict:
    raise ConnectionRefusedError()
