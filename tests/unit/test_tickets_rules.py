"""Ticket rules without a database: which faults a device has, severity, contract assignment,
breach settling and the verification verdict."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest

from assetsvc.monitoring import evaluate as ev
from assetsvc.monitoring.service import decide_check, device_record
from assetsvc.tickets import config as ticket_config
from assetsvc.tickets.calendar import DataError, WorkingDays
from assetsvc.tickets.clocks import Clock, clock, settle
from assetsvc.tickets.faults import Cleared, Fault, aspect_of
from assetsvc.tickets.faults import assess as assess_device
from assetsvc.tickets.sla import STAGES, PauseRule, load_contract_sla
from assetsvc.tickets.store import Contracts, covers

CONFIG = ticket_config.load(None)
EXAMPLE = Path(ticket_config.__file__).with_name("data") / "contract-sla.example.toml"
NOW = dt.datetime(2026, 11, 16, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))).timestamp()


def aspect(ok, cause="", since=None):
    return {"ok": ok, "cause": cause, "since": since, "at": since, "pending": None}


def state(label, cause="", since=NOW - 600, **aspects):
    base = {name: aspect(True, since=since) for name in ev.ASPECTS}
    base.update(aspects)
    return {"state": label, "cause": cause, "since": since, "aspects": base}


def assess(subject_type, row, drift, config, now):
    """faults.assess on the record the monitoring service builds from a stored state row and drift flags."""
    return assess_device(device_record(subject_type, 1, row, drift), config, now)


# ---- faults ---------------------------------------------------------------------------------------

def test_a_down_camera_has_a_down_fault_since_its_state_began():
    found = assess("camera", state("down", "onvif_light:timeout"), [], CONFIG, NOW)
    assert found["down"] == Fault("down", "onvif_light:timeout", NOW - 600)
    assert "picture" not in found  # cannot be told while it is down: tickets for it are left alone


def test_a_camera_down_behind_its_switch_has_no_fault_of_its_own_and_none_cleared():
    found = assess("camera", state("down", "upstream"), [], CONFIG, NOW)
    assert "down" not in found


def test_an_unknown_device_tells_nothing():
    assert assess("camera", state("unknown", "stale"), [], CONFIG, NOW) == {"drift": Cleared("drift", NOW)}


def test_degraded_aspects_are_faults_and_healthy_ones_cleared():
    found = assess("camera", state("degraded", "picture:dark", picture=aspect(False, "picture:dark", NOW - 100)),
                   [], CONFIG, NOW)
    assert found["picture"] == Fault("picture", "picture:dark", NOW - 100)
    assert found["down"] == Cleared("down", NOW - 600)
    assert isinstance(found["clock"], Cleared)


def test_a_stream_path_that_is_not_there_is_no_fault_of_the_device_and_its_flag_no_drift():
    found = assess("camera", state("degraded", "stream:config", stream=aspect(False, "stream:config", NOW - 100)),
                   [{"kind": "stream_path", "first_seen": NOW - 100, "cleared_at": None}], CONFIG, NOW)
    assert "stream" not in found  # cannot be told: an open stream ticket is left alone, none opens
    assert found["drift"] == Cleared("drift", NOW)


def test_a_reboot_loop_needs_enough_reboots_inside_the_window():
    row = state("up")
    row["aspects"]["uptime"] = {"s": 10, "at": NOW, "reboots": [NOW - 4000, NOW - 3000, NOW - 1000]}
    assert isinstance(assess("camera", row, [], CONFIG, NOW)["reboot_loop"], Cleared)  # 2 in the last hour
    row["aspects"]["uptime"]["reboots"].append(NOW - 10)
    assert assess("camera", row, [], CONFIG, NOW)["reboot_loop"] == Fault("reboot_loop", "3 reboots", NOW - 3000)


def test_open_drift_flags_are_a_fault_from_the_first_one_seen():
    flags = [{"kind": "serial", "first_seen": NOW - 50, "cleared_at": None},
             {"kind": "mac", "first_seen": NOW - 90, "cleared_at": None}]
    assert assess("camera", None, flags, CONFIG, NOW)["drift"] == Fault("drift", "drift:mac,serial", NOW - 90)
    cleared = [{"kind": "serial", "first_seen": NOW - 50, "cleared_at": NOW - 5}]
    assert assess("camera", None, cleared, CONFIG, NOW)["drift"] == Cleared("drift", NOW - 5)


# ---- severity and configuration -----------------------------------------------------------------

@pytest.mark.parametrize("point, expected", [
    ({"subject": "upstream", "fault": "down", "affected": 12}, "P1"),
    ({"subject": "upstream", "fault": "down", "affected": 3}, "P2"),
    ({"subject": "camera", "fault": "down", "point_class": 1}, "P1"),
    ({"subject": "camera", "fault": "stream", "key_category": "checkpoint"}, "P1"),
    ({"subject": "camera", "fault": "picture", "point_class": 1}, "P2"),
    ({"subject": "camera", "fault": "clock", "point_class": 1}, "P3"),
    ({"subject": "camera", "fault": "drift"}, "P3"),
])
def test_severity_rules_first_match_wins(point, expected):
    assert CONFIG.severity_of(point)[0] == expected


def test_a_configuration_without_a_catch_all_severity_is_refused():
    import tomllib

    raw = tomllib.loads(ticket_config.BUILT_IN.read_text("utf-8"))
    raw["severity"] = raw["severity"][:-1]
    with pytest.raises(DataError, match="last rule must have no conditions"):
        ticket_config.parse(raw, "test.toml")
    raw = tomllib.loads(ticket_config.BUILT_IN.read_text("utf-8"))
    raw["grace"]["down"] = "soon"
    with pytest.raises(DataError, match=r"test.toml: grace.down = 'soon'"):
        ticket_config.parse(raw, "test.toml")
    raw = tomllib.loads(ticket_config.BUILT_IN.read_text("utf-8"))
    raw["severity"][0]["faults"] = ["melted"]
    with pytest.raises(DataError, match="faults: 'melted' must be one of"):
        ticket_config.parse(raw, "test.toml")


# ---- contract assignment ------------------------------------------------------------------------

def contract(cid, contractor, regions, classes=()):
    return {"id": cid, "code": f"HT-{cid}", "contractor_id": contractor, "region_codes": list(regions),
            "owner_classes": list(classes)}


def test_region_cover_is_by_code_prefix_of_the_contract_level():
    assert covers("330100", "330106") and covers("330000", "330106") and covers("330106", "330106")
    assert not covers("330200", "330106") and not covers("999999", "330106")


def test_the_most_specific_covering_contract_wins_and_own_contractor_is_respected():
    book = Contracts([contract(1, 10, ["330100"]), contract(2, 20, ["330106"]), contract(3, 30, ["330106"], ["social"])])
    assert book.assign({"region_code": "330106", "owner_class": "police"}).contract_id == 2
    assert book.assign({"region_code": "330106", "owner_class": "social"}).contract_id == 2  # HT-2 < HT-3
    assert book.assign({"region_code": "330102", "owner_class": "police"}).contract_id == 1
    own = book.assign({"region_code": "330106", "contractor_id": 10})
    assert (own.contractor_id, own.contract_id) == (10, 1)
    none = book.assign({"region_code": "330106", "contractor_id": 99})
    assert (none.contractor_id, none.contract_id) == (99, None) and "no contract" in none.note
    orphan = book.assign({"region_code": "440106"})
    assert orphan.contractor_id is None and "no contractor" in orphan.note


def test_areas_and_suspension_reasons_come_from_the_contract():
    sla = load_contract_sla(EXAMPLE, WorkingDays())
    assert sla.area_of("330127") == "rural" and sla.area_of("330106") == "urban"
    assert set(sla.suspension_reasons) == {"no_access", "power_cut", "third_party_works"}


# ---- settling breaches --------------------------------------------------------------------------

def ticket(**over):
    row = {"id": 1, "contract_id": 7, "sla_note": "", "closed_at": None, "opened_at": NOW, "severity": "P1",
           "area": "urban", "acknowledged_at": None, "on_site_at": None, "restored_at": None, "state": "open",
           "escalated_at": None, "respond_breached_at": None, "arrive_breached_at": None, "restore_breached_at": None}
    row.update(over)
    return row


def test_a_breach_is_marked_at_the_deadline_and_withdrawn_only_by_a_pause_backdated_over_it():
    # P1 (24x7) opened NOW: respond due NOW + 30 min. A pause asked at +10 min, approved at +31 min 40 s.
    sla = load_contract_sla(EXAMPLE, WorkingDays())
    terms = {7: sla}
    row = ticket()
    late = settle(row, clock(row, [], terms, NOW + 2000), 3600, NOW + 2000)
    assert late.breached == ["respond"] and late.columns["respond_breached_at"] == NOW + 1800
    row.update(late.columns)
    pause = [{"status": "approved", "requested_at": NOW + 600, "decided_at": NOW + 1900, "ended_at": None}]
    # The defaults: the clock stops at the approval and respond never stops: the breach stands.
    kept = settle(row, clock(row, pause, terms, NOW + 2000), 3600, NOW + 2000)
    assert kept.withdrawn == [] and kept.columns["respond_breached_at"] == NOW + 1800
    # Stopping respond too changes nothing while the pause counts from its approval, after the deadline.
    every = {7: replace(sla, terms=replace(sla.terms, pauses=PauseRule("approval", frozenset(STAGES))))}
    assert settle(row, clock(row, pause, every, NOW + 2000), 3600, NOW + 2000).withdrawn == []
    # Only a contract that backdates pauses to the request (and stops respond) moves the deadline.
    backdated = {7: replace(sla, terms=replace(sla.terms, pauses=PauseRule("request", frozenset(STAGES))))}
    moved = settle(row, clock(row, pause, backdated, NOW + 2000), 3600, NOW + 2000)
    assert moved.withdrawn == ["respond"] and moved.columns["respond_breached_at"] is None
    rejected = [{"status": "rejected", "requested_at": NOW + 600, "decided_at": NOW + 1900, "ended_at": None}]
    assert settle(row, clock(row, rejected, backdated, NOW + 2000), 3600, NOW + 2000).columns[
        "respond_breached_at"] == NOW + 1800


def test_escalation_comes_once_the_first_breach_is_old_enough():
    terms = {7: load_contract_sla(EXAMPLE, WorkingDays())}
    row = ticket(respond_breached_at=NOW + 1800)
    assert not settle(row, clock(row, [], terms, NOW + 1800 + 3599), 3600, NOW + 1800 + 3599).escalate
    assert settle(row, clock(row, [], terms, NOW + 1800 + 3600), 3600, NOW + 1800 + 3600).escalate


def test_no_contract_or_no_terms_means_no_clock_and_a_reason():
    assert clock(ticket(contract_id=None, sla_note="no contract covers it"), [], {}, NOW).note == "no contract covers it"
    assert "no SLA terms" in clock(ticket(), [], {}, NOW).note
    assert "no SLA terms for severity 'P9'" in clock(ticket(severity="P9"), [],
                                                      {7: load_contract_sla(EXAMPLE, WorkingDays())}, NOW).note
    assert isinstance(clock(ticket(), [], {7: DataError("x")}, NOW), Clock)


# ---- the verification verdict -------------------------------------------------------------------

RULES = ev.Rules()


def result(kind, ok, error=None, at=NOW, facts=None):
    return {"probe_kind": kind, "ok": ok, "error": error, "at": at, "facts": facts or {}}


def decide(fault, results, drift_open, rules, cause="", raised_by=""):
    """The verdict verify gets: the monitoring service's first check on the fault's aspect (and cause)."""
    return decide_check(aspect_of(fault), results, drift_open, rules, cause, raised_by)


def test_the_first_result_that_speaks_to_the_fault_decides():
    results = [result("onvif_light", True, at=NOW + 1, facts={"clock_offset_s": 0.5}),
               result("rtsp_frame", True, at=NOW + 2, facts={"iq": {"verdict": "dark"}})]
    assert decide("down", results, False, RULES).passed
    assert decide("down", results, False, RULES).at == NOW + 1
    assert decide("down", [result("onvif_light", False, "timeout")], False, RULES).passed is False
    assert decide("stream", results[:1], False, RULES) is None  # a light check says nothing about the stream


def test_a_stalled_stream_ticket_is_decided_by_reading_the_stream_not_by_a_describe():
    results = [result("rtsp", True, at=NOW + 1, facts={"has_video": True}),
               result("rtsp_continuity", True, at=NOW + 2, facts={"verdict": "stalled"})]
    verdict = decide("stream", results, False, RULES, "stream:stalled")
    assert (verdict.passed, verdict.probe, verdict.cause) == (False, "rtsp_continuity", "stream:stalled")
    assert decide("stream", results, False, RULES, "stream:refused").passed  # a lost stream: any answer


def test_drift_needs_an_inventory_result_and_no_open_flag():
    inventory = [result("onvif_deep", True, at=NOW + 5)]
    assert decide("drift", inventory, False, RULES).passed
    assert decide("drift", inventory, True, RULES).passed is False
    assert decide("drift", [result("onvif_light", True)], False, RULES) is None


def test_a_picture_fault_is_decided_by_the_image_quality_verdict():
    dark = [result("onvif_light", True, at=NOW + 1), result("rtsp_frame", True, at=NOW + 2, facts={"iq": {"verdict": "dark"}})]
    verdict = decide("picture", dark, False, RULES)
    assert (verdict.passed, verdict.cause, verdict.at) == (False, "picture:dark", NOW + 2)
    fine = [result("onvif_deep", True, at=NOW + 3, facts={"iq": {"verdict": "ok"}})]
    assert decide("picture", fine, False, RULES).passed


@pytest.mark.parametrize("continuity", ["still", "ok"])
def test_a_live_stream_read_never_passes_a_picture_ticket(continuity):
    # An ONVIF camera's deep run after the contractor's resolve (rtsp, rtsp_continuity, onvif_deep: one
    # `at`, stored in that order). The stream reads live; the snapshot still says dark: not verified.
    run = [result("rtsp", True, facts={"has_video": True}),
           result("rtsp_continuity", True, facts={"verdict": continuity}),
           result("onvif_deep", True, facts={"iq": {"verdict": "dark", "faults": ["dark"]}})]
    verdict = decide("picture", run, False, RULES, "picture:dark")
    assert (verdict.passed, verdict.probe, verdict.cause) == (False, "onvif_deep", "picture:dark")
    # Nor a frozen one: the snapshot check may have raised it, and only the snapshot's verdict clears
    # that in the engine; here the snapshot of the same run decides (a second review's finding).
    frozen = decide("picture", run, False, RULES, "picture:frozen")
    assert (frozen.passed, frozen.probe) == (False, "onvif_deep")
    live = run[:2] + [result("onvif_deep", True, facts={"iq": {"verdict": "ok", "faults": []}})]
    assert decide("picture", live, False, RULES, "picture:frozen").probe == "onvif_deep"
    # A camera whose snapshot could not be fetched (no verdict in the run): a continuity `ok` (the
    # picture moves) passes a frozen ticket, as the engine clears the continuity check's frozen; a
    # `still` one (frozen not judgeable) waits (a third review: such a ticket was never verified).
    no_snapshot = run[:2] + [result("onvif_deep", False, "protocol")]
    verdict = decide("picture", no_snapshot, False, RULES, "picture:frozen", "continuity")
    assert verdict is None if continuity == "still" else (verdict.passed, verdict.probe) == (True, "rtsp_continuity")
    # Not a frozen the snapshot check raised: the engine keeps it until a snapshot is judged (a fourth
    # review: verify closed such a ticket and the opener opened it again at once).
    assert decide("picture", no_snapshot, False, RULES, "picture:frozen", "snapshot") is None
    assert decide("picture", no_snapshot, False, RULES, "picture:dark") is None
    # A frozen read fails any picture ticket: the picture is still not good.
    stuck = [result("rtsp_continuity", True, facts={"verdict": "frozen"})]
    assert decide("picture", stuck, False, RULES, "picture:dark").passed is False


def test_a_long_gop_stream_read_whole_verifies_a_stall_but_a_slow_one_not_a_low_frame_rate():
    whole = result("rtsp_continuity", True, facts={"verdict": "ok", "samples": 1, "fps": 25.0,
                                                          "low_fps_under": 5.0, "slow_unjudged": False})
    slow = result("rtsp_continuity", True, facts={"verdict": "ok", "samples": 1, "fps": 4.0,
                                                         "low_fps_under": 5.0, "slow_unjudged": True})
    assert decide("stream", [whole], False, RULES, "stream:stalled").passed
    assert decide("stream", [whole], False, RULES, "stream:low_fps").passed
    assert decide("stream", [slow], False, RULES, "stream:stalled").passed  # frames came all window
    assert decide("stream", [slow], False, RULES, "stream:low_fps") is None  # the rate was not judged
