"""Device state and fault aspect records: the stored JSON round-trips, garbled parts read as unknown."""

from __future__ import annotations

import json

from assetsvc.monitoring.records import Aspect, Aspects, Pending, StateRecord, Uptime
from assetsvc.monitoring.service import device_record

STORED = {
    "reach": {"ok": True, "cause": "", "since": 10.0, "at": 900.0,
              "pending": {"ok": False, "count": 1, "first": 900.0, "last": 900.0, "cause": "onvif_light:timeout"},
              "primary_at": 900.0},
    "stream": {"ok": False, "cause": "stream:refused", "since": 300.0, "at": 600.0, "pending": None},
    "picture": {"ok": None, "cause": "", "since": None, "at": None, "pending": None},
    "clock": {"ok": True, "cause": "", "since": 20.0, "at": 800.0, "pending": None},
    "uptime": {"s": 86400.0, "at": 900.0, "reboots": [100.0, 500.0]},
}


def test_stored_aspects_round_trip_through_the_records():
    aspects = Aspects.from_json(STORED)
    assert aspects.reach.pending == Pending(False, 1, 900.0, 900.0, "onvif_light:timeout")
    assert aspects["stream"] == Aspect(False, "stream:refused", 300.0, 600.0)
    assert aspects.uptime == Uptime(86400.0, 900.0, (100.0, 500.0))
    assert aspects.to_json() == STORED


def test_a_state_row_is_decoded_once_from_its_columns():
    row = {"state": "degraded", "cause": "stream:refused", "root_upstream": None, "since": 300.0,
           "aspects": json.dumps(STORED), "last_seen": 900.0}
    record = StateRecord.from_row(row)
    assert (record.state, record.cause, record.since, record.reboots) == ("degraded", "stream:refused", 300.0,
                                                                           (100.0, 500.0))
    assert record.aspects.to_json() == STORED


def test_garbled_stored_parts_read_as_unknown():
    record = StateRecord.decode("sideways", 42, True, "yesterday", "{not json", float("nan"))
    assert record == StateRecord("unknown", "", None, None, Aspects(), None)
    assert Aspects.from_json({"uptime": {"s": "many"}, "reach": {"ok": "yes", "pending": 5}}) == Aspects()


def test_the_ticket_seam_reads_the_same_record():
    device = device_record("camera", 7, {"state": "degraded", "cause": "stream:refused", "since": 300.0,
                                         "aspects": STORED})
    assert device.record is not None and device.aspects["stream"].cause == "stream:refused"
    assert device.reboots == (100.0, 500.0) and device.state == "degraded"
    unmonitored = device_record("camera", 8, None)
    assert unmonitored.state is None and unmonitored.aspects["reach"] == Aspect() and unmonitored.reboots is None
