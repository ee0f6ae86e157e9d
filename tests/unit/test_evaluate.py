"""The debounced state machine: confirmation rules, back-dating, degraded causes, staleness, events."""

from __future__ import annotations

import json
from typing import Any

import pytest

from assetsvc.monitoring.evaluate import (FaultChange, Observation, Rules, evaluate, needs_recheck, observations,
                                          relabel_for_upstream, stale)
from assetsvc.monitoring.records import StateRecord

T0 = 1_800_000_000.0
RULES = Rules(stale_after_s=900.0)  # the worked examples below use a 900 s staleness


class Subject:
    """A stored DeviceState row fed the way the writer feeds it; intervals rebuilt from transitions."""

    def __init__(self, since: float = T0, rules: Rules = RULES) -> None:
        self.rules = rules
        self.row: dict[str, Any] = {"state": "unknown", "cause": "no data", "root_upstream": None, "since": since,
                                    "aspects": {}, "last_seen": None}
        self.intervals: list[list[Any]] = [["unknown", "no data", None, since, None]]
        self.faults: list[FaultChange] = []
        self.events: list[str] = []

    def args(self) -> list[Any]:
        r = self.row
        return [StateRecord.decode(r["state"], r["cause"], r["root_upstream"], r["since"], r["aspects"],
                                   r["last_seen"])]

    def probe(self, kind: str, ok: bool, at: float, error: str | None = None, facts: Any = None,
              upstream: int | None = None, upstream_since: float | None = None):
        obs = observations(kind, ok, error, {} if facts is None else facts, at, self.rules)
        return self.see(obs, at, upstream, upstream_since)

    def see(self, obs: list[Observation], now: float, upstream: int | None = None,
            upstream_since: float | None = None):
        return self.apply(evaluate(*self.args(), obs, now, self.rules, upstream_down=upstream,
                                   upstream_since=upstream_since))

    def sweep(self, now: float):
        return self.apply(stale(*self.args(), now, self.rules))

    def relabel(self, upstream: int | None, at: float):
        return self.apply(relabel_for_upstream(*self.args(), upstream, at))

    def apply(self, result):
        if result is None:
            return None
        json.dumps(result.aspects.to_json(), allow_nan=False)  # storable as JSON
        for move in result.transitions:  # as the writer does: close the open interval, open the next
            assert move.at >= self.intervals[-1][3], "a transition before the current interval began"
            assert move.previous == self.intervals[-1][0]
            self.intervals[-1][4] = move.at
            self.intervals.append([move.state, move.cause, move.root_upstream, move.at, None])
        self.row.update(state=result.state, cause=result.cause, root_upstream=result.root_upstream,
                        since=result.since, aspects=result.aspects, last_seen=result.last_seen)
        assert self.intervals[-1][:4] == [result.state, result.cause, result.root_upstream, result.since]
        self.faults += result.confirmed_faults
        self.events += result.events
        return result

    @property
    def now(self) -> tuple[str, str]:
        return self.row["state"], self.row["cause"]

    def states(self) -> list[str]:
        return [i[0] for i in self.intervals]


def up_camera(at: float = T0 + 10, rules: Rules = RULES) -> Subject:
    cam = Subject(rules=rules)
    for n in range(max(1, rules.up_after_successes)):
        cam.probe("onvif_light", True, at + n, facts={"clock_offset_s": 0.4})
    assert cam.now == ("up", "")
    return cam


def clock(ok: bool, at: float) -> Observation:
    return Observation("clock", ok, "" if ok else "clock", at)


# --- reach: up and down ---------------------------------------------------------------------------
def test_a_new_camera_is_up_from_its_first_successful_light_check():
    cam = Subject()
    result = cam.probe("onvif_light", True, T0 + 100)
    assert cam.now == ("up", "")
    assert [(t.at, t.state, t.previous) for t in result.transitions] == [(T0 + 100, "up", "unknown")]


def test_a_new_camera_that_never_answers_stays_unknown_until_the_outage_is_confirmed():
    cam = Subject()
    cam.probe("onvif_light", False, T0 + 100, "timeout")
    cam.probe("onvif_light", False, T0 + 160, "timeout")
    assert cam.now == ("unknown", "no data")
    cam.probe("onvif_light", False, T0 + 220, "timeout")
    assert cam.now == ("down", "onvif_light:timeout")
    assert cam.row["since"] == T0 + 100


def test_one_lost_answer_never_flaps_the_camera():
    cam = up_camera()
    cam.probe("onvif_light", False, T0 + 310, "timeout")
    cam.probe("onvif_light", True, T0 + 370)
    cam.probe("onvif_light", False, T0 + 670, "timeout")
    cam.probe("onvif_light", True, T0 + 970)
    assert cam.states() == ["unknown", "up"]
    assert cam.row["aspects"]["reach"].pending is None


def test_two_failures_closer_than_down_after_s_do_not_confirm_an_outage():
    cam = up_camera()
    cam.probe("onvif_light", False, T0 + 310, "refused")
    cam.probe("onvif_light", False, T0 + 370, "refused")
    assert cam.now == ("up", "")


def test_outage_is_confirmed_when_the_failures_span_down_after_s_and_is_dated_from_the_first():
    cam = up_camera()
    for at in (T0 + 310, T0 + 370, T0 + 430):
        cam.probe("onvif_light", False, at, "refused")
    assert cam.now == ("down", "onvif_light:refused")
    assert cam.intervals[-1][3] == T0 + 310
    assert cam.intervals[-2][4] == T0 + 310  # the up interval ends where the outage began


def test_the_span_alone_does_not_confirm_an_outage_without_enough_failures():
    cam = up_camera(rules=Rules(down_after_failures=3))
    cam.probe("onvif_light", False, T0 + 310, "timeout")
    cam.probe("onvif_light", False, T0 + 610, "timeout")
    assert cam.now == ("up", "")
    cam.probe("onvif_light", False, T0 + 910, "timeout")
    assert cam.now == ("down", "onvif_light:timeout")


def test_a_streak_of_mixed_failures_confirms_the_outage_with_the_latest_cause():
    cam = up_camera()
    cam.probe("onvif_light", False, T0 + 310, "timeout")
    cam.probe("onvif_light", False, T0 + 610, "refused")
    assert cam.now == ("down", "onvif_light:refused")


def test_recovery_needs_up_after_successes_in_a_row_and_is_dated_from_the_first():
    cam = up_camera(rules=Rules(up_after_successes=2))
    cam.probe("onvif_light", False, T0 + 310, "timeout")
    cam.probe("onvif_light", False, T0 + 610, "timeout")
    cam.probe("onvif_light", True, T0 + 910)
    cam.probe("onvif_light", False, T0 + 1210, "timeout")  # breaks the recovery streak
    cam.probe("onvif_light", True, T0 + 1510)
    assert cam.now[0] == "down"
    cam.probe("onvif_light", True, T0 + 1810)
    assert cam.now == ("up", "")
    assert cam.intervals[-1][3] == T0 + 1510


def test_the_cause_of_an_outage_changes_only_after_a_confirmed_streak_of_the_new_cause():
    cam = up_camera()
    for at in (T0 + 310, T0 + 610):
        cam.probe("onvif_light", False, at, "timeout")
    cam.probe("onvif_light", False, T0 + 910, "refused")
    assert cam.now == ("down", "onvif_light:timeout")
    cam.probe("onvif_light", False, T0 + 1210, "refused")
    assert cam.now == ("down", "onvif_light:refused")
    assert cam.states() == ["unknown", "up", "down", "down"]
    assert cam.intervals[-1][3] == T0 + 910


def test_back_dating_never_reaches_before_the_current_state_began():
    cam = up_camera(rules=Rules(fault_after_failures=1))
    cam.probe("onvif_light", False, T0 + 400, "timeout")  # a reach streak starts at 400...
    cam.see([clock(False, T0 + 500)], T0 + 500)  # ...the camera is degraded from 500...
    assert cam.now == ("degraded", "clock")
    cam.probe("onvif_light", False, T0 + 600, "timeout")  # ...and the outage confirmed at 600
    assert cam.now == ("down", "onvif_light:timeout")
    assert cam.row["since"] == T0 + 500
    assert [i[3] for i in cam.intervals] == [T0, T0 + 10, T0 + 500, T0 + 500]


def test_results_given_out_of_order_are_applied_in_time_order():
    cam = up_camera()
    obs = [*observations("onvif_light", False, "timeout", {}, T0 + 500, RULES),
           *observations("onvif_light", False, "timeout", {}, T0 + 300, RULES)]
    cam.see(obs, T0 + 500)
    assert cam.now[0] == "down" and cam.row["since"] == T0 + 300


def test_a_result_older_than_the_aspect_already_reflects_is_ignored():
    cam = up_camera()
    cam.probe("onvif_light", True, T0 + 600)
    cam.probe("onvif_light", False, T0 + 300, "timeout")  # late
    assert cam.row["aspects"]["reach"].pending is None
    assert cam.row["last_seen"] == T0 + 600


# --- degraded: stream, picture, clock -------------------------------------------------------------
def test_a_drifted_clock_degrades_the_camera_after_two_checks_and_clears_after_one():
    cam = up_camera()
    cam.probe("onvif_light", True, T0 + 310, facts={"clock_offset_s": 95.0})
    assert cam.now == ("up", "")
    cam.probe("onvif_light", True, T0 + 610, facts={"clock_offset_s": 96.0})
    assert cam.now == ("degraded", "clock")
    assert cam.row["since"] == T0 + 310
    cam.probe("onvif_light", True, T0 + 910, facts={"clock_offset_s": 1.0})
    assert cam.now == ("up", "")


@pytest.mark.parametrize(("offset", "ok"), [(30.0, True), (-30.0, True), (29.999, True), (30.001, False),
                                            (-30.5, False), (0, True), (3600, False)])
def test_clock_tolerance_is_inclusive_at_exactly_30_seconds(offset, ok):
    obs = observations("onvif_light", True, None, {"clock_offset_s": offset}, T0, RULES)
    assert [(o.aspect, o.ok) for o in obs] == [("reach", True), ("clock", ok)]


def test_clock_tolerance_is_a_rule():
    obs = observations("onvif_light", True, None, {"clock_offset_s": 45}, T0, Rules(clock_tolerance_s=60))
    assert obs[1].ok


def test_a_clock_that_breaks_authentication_is_a_clock_fault_on_a_camera_that_is_up():
    cam = Subject()
    cam.probe("onvif_light", False, T0 + 10, "clock", {"clock_offset_s": 900.0})
    assert cam.now == ("up", "")
    cam.probe("onvif_light", False, T0 + 310, "clock")
    assert cam.now == ("degraded", "clock")


def test_degraded_cause_is_stream_then_picture_then_clock():
    cam = up_camera(rules=Rules(fault_after_failures=1, picture_fault_after_s=0))
    cam.see([clock(False, T0 + 100)], T0 + 100)
    assert cam.now == ("degraded", "clock")
    cam.see([Observation("picture", False, "picture:dark", T0 + 200)], T0 + 200)
    assert cam.now == ("degraded", "picture:dark")
    cam.see([Observation("stream", False, "stream:unsupported", T0 + 300)], T0 + 300)
    assert cam.now == ("degraded", "stream:unsupported")
    cam.see([clock(True, T0 + 400)], T0 + 400)  # a lower fault clearing changes nothing
    assert cam.states()[-1:] == ["degraded"] and cam.intervals[-1][3] == T0 + 300
    cam.see([Observation("stream", True, "", T0 + 500)], T0 + 500)
    assert cam.now == ("degraded", "picture:dark")
    cam.see([Observation("picture", True, "", T0 + 600)], T0 + 600)
    assert cam.now == ("up", "")


def test_two_bad_pictures_closer_than_the_minimum_span_are_not_a_fault():
    cam = up_camera()  # picture_fault_after_s 600
    dark = {"iq": {"verdict": "dark", "faults": ["dark"]}}
    cam.probe("onvif_deep", True, T0 + 100, facts=dark)
    cam.probe("onvif_deep", True, T0 + 160, facts=dark)  # a minute later: the truck may still be parked
    assert cam.now == ("up", "")
    cam.probe("onvif_deep", True, T0 + 700, facts=dark)  # still dark ten minutes on: confirmed
    assert cam.now == ("degraded", "picture:dark")
    assert cam.intervals[-1][3] == T0 + 100  # dated back to the first bad picture


def test_one_bad_picture_is_not_a_fault_and_a_new_fault_kind_needs_its_own_streak():
    cam = up_camera(rules=Rules(stale_after_s=900.0, picture_fault_after_s=0))
    dark = {"iq": {"verdict": "dark", "faults": ["dark"]}}
    cam.probe("onvif_deep", True, T0 + 100, facts=dark)
    assert cam.now == ("up", "")
    cam.probe("onvif_deep", True, T0 + 200, facts=dark)
    assert cam.now == ("degraded", "picture:dark")
    cam.probe("onvif_deep", True, T0 + 300, facts={"iq": {"verdict": "blur", "faults": ["blur"]}})
    assert cam.now == ("degraded", "picture:dark")
    cam.probe("onvif_deep", True, T0 + 400, facts={"iq": {"verdict": "blur", "faults": ["blur"]}})
    assert cam.now == ("degraded", "picture:blur")


def test_down_outranks_degraded_and_the_fault_is_still_there_after_recovery():
    cam = up_camera(rules=Rules(fault_after_failures=1))
    cam.see([clock(False, T0 + 100)], T0 + 100)
    for at in (T0 + 300, T0 + 600):
        cam.probe("onvif_light", False, at, "timeout")
    assert cam.now == ("down", "onvif_light:timeout")
    cam.probe("snmp_light", True, T0 + 900)  # answers, but carries no clock reading
    assert cam.now == ("degraded", "clock")


def test_an_outage_leaves_no_stream_fault_behind():
    cam = up_camera()
    cam.probe("onvif_light", False, T0 + 300, "timeout")
    cam.probe("rtsp", False, T0 + 330, "timeout")  # deep check during the outage's first streak
    cam.probe("onvif_light", False, T0 + 600, "timeout")
    cam.probe("rtsp", False, T0 + 630, "refused")  # and during the confirmed outage
    cam.probe("onvif_light", True, T0 + 900)
    assert cam.now == ("up", "")
    assert cam.row["aspects"]["stream"].ok is None


def test_a_stream_refused_while_the_camera_answers_is_a_stream_fault():
    cam = up_camera()
    cam.probe("rtsp", False, T0 + 100, "refused")
    cam.probe("onvif_light", True, T0 + 300)
    cam.probe("rtsp", False, T0 + 400, "refused")
    assert cam.now == ("degraded", "stream:refused")


def test_a_camera_probed_only_over_rtsp_goes_down_on_rtsp_failures():
    cam = Subject()
    cam.probe("rtsp", True, T0 + 10)
    assert cam.now == ("up", "")
    cam.probe("rtsp", False, T0 + 310, "timeout")
    cam.probe("rtsp", False, T0 + 610, "timeout")
    assert cam.now == ("down", "rtsp:timeout")
    assert cam.row["aspects"]["stream"].ok is True  # the outage is not also a stream fault
    cam.probe("rtsp", False, T0 + 910, "unsupported")  # answers 404: reachable, stream gone
    cam.probe("rtsp", False, T0 + 1210, "unsupported")
    assert cam.now == ("degraded", "stream:unsupported")


def test_rtsp_results_do_not_decide_reach_for_a_camera_with_a_light_check():
    cam = up_camera()
    for at in (T0 + 100, T0 + 400, T0 + 700):
        cam.probe("rtsp", False, at, "timeout")
        cam.probe("onvif_light", True, at + 100)
    assert cam.now == ("degraded", "stream:timeout")
    assert cam.row["aspects"]["reach"].pending is None


def test_faults_confirmed_and_cleared_are_reported_for_tickets():
    cam = up_camera()
    for at in (T0 + 300, T0 + 600):
        cam.probe("onvif_light", False, at, "refused")
    cam.probe("onvif_light", True, T0 + 900)
    assert cam.faults == [FaultChange("reach", True, "onvif_light:refused", T0 + 300),
                          FaultChange("reach", False, "onvif_light:refused", T0 + 900)]


def test_two_changes_at_one_instant_give_one_transition():
    cam = Subject(rules=Rules(fault_after_failures=1))
    result = cam.probe("onvif_light", True, T0 + 10, facts={"clock_offset_s": 400})
    assert [(t.state, t.cause, t.previous) for t in result.transitions] == [("degraded", "clock", "unknown")]


# --- topology root cause --------------------------------------------------------------------------
def test_a_camera_confirmed_down_behind_a_dead_upstream_is_down_for_the_upstream():
    cam = up_camera()
    cam.probe("onvif_light", False, T0 + 300, "timeout", upstream=7)
    cam.probe("onvif_light", False, T0 + 600, "timeout", upstream=7)
    assert (cam.now, cam.row["root_upstream"], cam.row["since"]) == (("down", "upstream"), 7, T0 + 300)


def test_an_upstream_confirmed_down_later_relabels_a_down_camera_from_the_upstreams_since():
    cam = up_camera()
    for at in (T0 + 300, T0 + 600):
        cam.probe("onvif_light", False, at, "timeout")
    cam.relabel(7, T0 + 700)
    assert (cam.now, cam.row["root_upstream"]) == (("down", "upstream"), 7)
    assert [i[:4] for i in cam.intervals[-2:]] == [["down", "onvif_light:timeout", None, T0 + 300],
                                                   ["down", "upstream", 7, T0 + 700]]


def test_a_relabel_is_never_dated_before_the_cameras_own_outage():
    cam = up_camera()
    for at in (T0 + 300, T0 + 600):
        cam.probe("onvif_light", False, at, "timeout")
    cam.relabel(7, T0 + 100)  # the upstream died first; the camera's own outage began later
    assert cam.intervals[-1][:4] == ["down", "upstream", 7, T0 + 300]
    assert len(cam.intervals) == 4  # the zero-length own-cause interval is the only trace


def test_evaluate_relabels_an_already_down_camera_at_the_upstreams_since():
    cam = up_camera()
    for at in (T0 + 300, T0 + 600):
        cam.probe("onvif_light", False, at, "timeout")
    cam.probe("onvif_light", False, T0 + 900, "timeout", upstream=7, upstream_since=T0 + 800)
    assert cam.intervals[-1][:4] == ["down", "upstream", 7, T0 + 800]


def test_when_the_upstream_recovers_a_camera_still_down_returns_to_its_own_cause():
    cam = up_camera()
    for at in (T0 + 300, T0 + 600):
        cam.probe("onvif_light", False, at, "refused", upstream=7)
    cam.relabel(None, T0 + 1000)
    assert (cam.now, cam.row["root_upstream"]) == (("down", "onvif_light:refused"), None)
    assert cam.intervals[-1][3] == T0 + 1000


def test_a_camera_evaluated_after_its_upstream_recovered_returns_to_its_own_cause():
    cam = up_camera()
    for at in (T0 + 300, T0 + 600):
        cam.probe("onvif_light", False, at, "refused", upstream=7)
    cam.probe("onvif_light", False, T0 + 900, "refused")
    assert cam.now == ("down", "onvif_light:refused")


def test_a_camera_that_recovers_while_its_upstream_is_down_is_up():
    cam = up_camera()
    for at in (T0 + 300, T0 + 600):
        cam.probe("onvif_light", False, at, "timeout", upstream=7)
    cam.probe("onvif_light", True, T0 + 900, upstream=7)
    assert (cam.now, cam.row["root_upstream"]) == (("up", ""), None)


def test_relabel_leaves_cameras_that_are_not_down_or_already_labelled_alone():
    cam = up_camera()
    assert cam.relabel(7, T0 + 100) is None
    for at in (T0 + 300, T0 + 600):
        cam.probe("onvif_light", False, at, "timeout", upstream=7)
    assert cam.relabel(7, T0 + 700) is None
    assert cam.relabel(3, T0 + 700).root_upstream == 3  # a higher dead device became the root


# --- staleness --------------------------------------------------------------------------------------
def test_no_result_for_stale_after_s_makes_the_camera_unknown_from_when_the_data_ran_out():
    cam = up_camera()
    assert cam.sweep(T0 + 10 + 899) is None
    cam.sweep(T0 + 5000)
    assert cam.now == ("unknown", "stale")
    assert cam.intervals[-1][3] == T0 + 10 + 900
    assert cam.sweep(T0 + 9000) is None  # already unknown


def test_a_stale_camera_is_up_again_at_its_next_success():
    cam = up_camera()
    cam.sweep(T0 + 5000)
    cam.probe("onvif_light", True, T0 + 5100)
    assert cam.now == ("up", "")
    assert cam.intervals[-1][3] == T0 + 5100


def test_a_stale_camera_needs_a_full_confirmation_to_be_down():
    cam = up_camera()
    cam.sweep(T0 + 5000)
    cam.probe("onvif_light", False, T0 + 5100, "timeout")
    assert cam.now == ("unknown", "stale")  # old data does not make it "up" again
    cam.probe("onvif_light", False, T0 + 5300, "timeout")
    assert cam.now == ("down", "onvif_light:timeout")
    assert cam.intervals[-1][3] == T0 + 5100


def test_a_gap_in_the_data_is_unknown_even_when_no_sweep_ran():
    cam = up_camera()
    cam.probe("onvif_light", False, T0 + 300, "timeout")
    cam.probe("onvif_light", False, T0 + 3000, "timeout")  # 2700 s later: the streak does not span the gap
    assert cam.now == ("unknown", "stale")
    assert cam.intervals[-1][3] == T0 + 300 + 900


# --- passive status ---------------------------------------------------------------------------------
def test_passive_reports_drive_a_camera_up_and_down():
    cam = Subject()
    cam.probe("passive", True, T0 + 10, facts={"online": True})
    assert cam.now == ("up", "")
    cam.probe("passive", False, T0 + 100, "offline", {"online": False})
    cam.probe("passive", False, T0 + 400, "offline", {"online": False})
    assert cam.now == ("down", "passive:offline")
    cam.probe("passive", True, T0 + 700, facts={"online": True})
    assert cam.now == ("up", "")


def test_a_passive_report_is_read_from_online_when_it_is_a_boolean_else_from_ok():
    assert observations("passive", True, None, {"online": False}, T0, RULES)[0].ok is False
    assert observations("passive", False, "offline", {"online": "yes"}, T0, RULES)[0].ok is False
    assert observations("passive", True, None, None, T0, RULES)[0].ok is True


# --- reboot, recheck, hostile rows -----------------------------------------------------------------
def test_sys_uptime_going_backwards_is_a_reboot_event_not_a_state_change():
    cam = Subject()
    cam.probe("snmp_light", True, T0 + 10, facts={"sys_uptime_s": 86400.0})
    assert cam.events == []
    cam.probe("snmp_light", True, T0 + 310, facts={"sys_uptime_s": 86700.0})
    assert cam.events == []
    result = cam.probe("snmp_light", True, T0 + 610, facts={"sys_uptime_s": 40.0})
    assert result.events == ["reboot"] and result.transitions == []
    assert cam.now == ("up", "")


def test_reboot_instants_are_kept_for_a_day_for_reboot_loop_tickets():
    cam = Subject()
    cam.probe("snmp_light", True, T0, facts={"sys_uptime_s": 86400.0})
    cam.probe("snmp_light", True, T0 + 300, facts={"sys_uptime_s": 100.0})  # booted at T0 + 200
    assert list(cam.row["aspects"].uptime.reboots) == [T0 + 200]
    cam.probe("snmp_light", True, T0 + 600, facts={"sys_uptime_s": 50.0})  # booted again at T0 + 550
    assert list(cam.row["aspects"].uptime.reboots) == [T0 + 200, T0 + 550]
    cam.probe("snmp_light", True, T0 + 90000, facts={"sys_uptime_s": 30.0})  # a day later: the old ones go
    assert list(cam.row["aspects"].uptime.reboots) == [T0 + 89970]
    cam.probe("snmp_light", True, T0 + 200000, facts={"sys_uptime_s": 110030.0})  # no reboot, a day on
    assert "reboots" not in cam.row["aspects"].uptime.to_json()


def test_a_recheck_is_asked_for_while_a_reach_streak_could_change_the_state():
    cam = up_camera()
    assert not needs_recheck(cam.row["aspects"])
    cam.probe("onvif_light", False, T0 + 300, "timeout")
    assert needs_recheck(cam.row["aspects"])
    cam.probe("onvif_light", False, T0 + 360, "timeout")
    assert needs_recheck(cam.row["aspects"])  # two failures, but not yet spanning two minutes
    cam.probe("onvif_light", False, T0 + 420, "timeout")
    assert not needs_recheck(cam.row["aspects"])  # confirmed down
    assert needs_recheck({"reach": {"ok": None, "pending": {"ok": False, "count": 1, "first": 1, "last": 1}}})
    assert not needs_recheck("garbage")


@pytest.mark.parametrize("aspects", [None, "{}", [], {"reach": "up"}, {"reach": {"ok": "yes", "pending": 5}},
                                     {"reach": {"ok": True, "pending": {"ok": False, "count": -3, "first": "x"}}},
                                     {"clock": {"ok": False, "cause": 42, "since": float("nan")}},
                                     {"uptime": {"s": "many", "at": None}}])
def test_a_garbled_stored_row_is_read_as_unknown_parts_and_never_raises(aspects):
    result = evaluate(StateRecord.decode("bogus", None, "x", float("nan"), aspects, float("inf")),
                      observations("onvif_light", True, None, {}, T0, RULES), T0, RULES)
    assert result.state in ("up", "degraded")
    json.dumps(result.aspects.to_json(), allow_nan=False)


def test_hand_made_observations_that_are_malformed_are_dropped():
    bad = [Observation("smell", False, "x", T0), Observation("reach", "no", "x", T0),  # type: ignore[arg-type]
           Observation("reach", False, "x", float("nan")), "not an observation"]
    result = evaluate(StateRecord("unknown", "no data", None, T0), bad, T0, RULES)  # type: ignore[arg-type]
    assert (result.state, result.transitions, result.last_seen) == ("unknown", [], None)


def test_a_stream_seen_only_briefly_neither_clears_nor_interrupts_a_stall():
    cam = up_camera()
    for at in (T0 + 100, T0 + 200):  # light DESCRIBE ok and continuity stalled, at the same instants
        cam.probe("rtsp", True, at, facts={"has_video": True})
        cam.probe("rtsp_continuity", True, at, facts={"verdict": "stalled"})
    assert cam.now == ("degraded", "stream:stalled")
    cam.probe("rtsp", True, T0 + 300, facts={"has_video": True})
    assert cam.now == ("degraded", "stream:stalled")
    cam.probe("rtsp_frame", True, T0 + 400, facts={})  # one frame: video flowed for a moment
    assert cam.now == ("degraded", "stream:stalled")
    cam.probe("rtsp_continuity", True, T0 + 500, facts={"verdict": "ok"})  # the window read without a gap
    assert cam.now == ("up", "")


def test_a_brief_stream_still_clears_a_lost_stream():
    cam = up_camera(rules=Rules(fault_after_failures=1))
    cam.probe("rtsp", False, T0 + 100, error="refused")
    assert cam.now == ("degraded", "stream:refused")
    cam.probe("rtsp", True, T0 + 200, facts={"has_video": True})
    assert cam.now == ("up", "")


def test_deep_checks_hours_apart_confirm_a_stall_although_far_beyond_stale_after_s():
    cam = up_camera()
    for n in range(1, 60):  # the light check keeps the camera fresh every 5 minutes
        cam.probe("onvif_light", True, T0 + n * 300, facts={"clock_offset_s": 0.4})
        if n in (2, 50):  # two deep checks 4 hours apart (stale_after_s is 30 minutes)
            cam.probe("rtsp_continuity", True, T0 + n * 300, facts={"verdict": "stalled"})
    assert cam.now == ("degraded", "stream:stalled")


# --- the continuity check's frozen and its ok/still reads -----------------------------------------
LONG = Rules(stale_after_s=9000.0)
FROZEN_IQ = {"iq": {"verdict": "frozen", "faults": ["frozen"]}}


def _frozen_by(kind: str) -> Subject:
    """A camera whose picture:frozen two checks 10 minutes apart of `kind` confirmed."""
    cam = up_camera(rules=LONG)
    for at in (T0 + 100, T0 + 800):
        if kind == "rtsp_continuity":
            cam.probe(kind, True, at, facts={"verdict": "frozen"})
        else:
            cam.probe(kind, True, at, facts=FROZEN_IQ)
    assert cam.now == ("degraded", "picture:frozen")
    return cam


@pytest.mark.parametrize("verdict", ["still", "ok"])
def test_a_still_or_moving_stream_clears_the_frozen_picture_the_continuity_check_raised(verdict):
    cam = _frozen_by("rtsp_continuity")
    cam.probe("rtsp_continuity", True, T0 + 4000, facts={"verdict": verdict})
    assert cam.now == ("up", "")
    assert cam.faults[-1] == FaultChange("picture", False, "picture:frozen", T0 + 4000)


def test_a_still_stream_leaves_the_frozen_picture_the_snapshot_check_raised():
    cam = _frozen_by("rtsp_frame")
    cam.probe("rtsp_continuity", True, T0 + 4000, facts={"verdict": "still"})
    assert cam.now == ("degraded", "picture:frozen")
    cam.probe("rtsp_frame", True, T0 + 5000, facts={"iq": {"verdict": "ok", "faults": []}})
    assert cam.now == ("up", "")


def test_a_frozen_picture_the_snapshot_check_also_saw_is_its_own_to_clear():
    cam = _frozen_by("rtsp_continuity")
    cam.probe("rtsp_frame", True, T0 + 1500, facts=FROZEN_IQ)  # the snapshot agrees
    cam.probe("rtsp_continuity", True, T0 + 4000, facts={"verdict": "still"})
    assert cam.now == ("degraded", "picture:frozen")


def test_a_frozen_picture_stored_before_its_check_was_kept_is_cleared_by_a_still_stream():
    # Under the old continuity rule a still live scene was called frozen; the stored fault does not say
    # which check raised it. A still read clears it; a snapshot check that still sees it raises it again.
    cam = _frozen_by("rtsp_continuity")
    stored = cam.row["aspects"].to_json()
    stored["picture"].pop("by", None)
    cam.row["aspects"] = stored
    cam.probe("rtsp_continuity", True, T0 + 4000, facts={"verdict": "still"})
    assert cam.now == ("up", "")


def test_a_still_stream_ends_a_continuity_frozen_streak_but_not_a_snapshot_one():
    cam = up_camera(rules=LONG)
    cam.probe("rtsp_continuity", True, T0 + 100, facts={"verdict": "frozen"})
    cam.probe("rtsp_continuity", True, T0 + 400, facts={"verdict": "still"})
    cam.probe("rtsp_continuity", True, T0 + 800, facts={"verdict": "frozen"})  # a new streak of one
    assert cam.now == ("up", "")
    cam.probe("rtsp_frame", True, T0 + 1000, facts=DARK_IQ)
    cam.probe("rtsp_continuity", True, T0 + 1300, facts={"verdict": "still"})  # says nothing of the dark
    cam.probe("rtsp_frame", True, T0 + 1700, facts=DARK_IQ)
    assert cam.now == ("degraded", "picture:dark")
    cam.probe("rtsp_continuity", True, T0 + 2000, facts={"verdict": "still"})  # nor clears it
    assert cam.now == ("degraded", "picture:dark")


DARK_IQ = {"iq": {"verdict": "dark", "faults": ["dark"]}}


def _continuity_reads(record: StateRecord, start: float, reads: list[dict], every: float = 3 * 3600.0):
    """A camera's light check and its continuity reads, `every` apart; the last evaluation."""
    result = None
    for n, facts in enumerate(reads):
        at = start + n * every
        obs = observations("tcp", True, None, {}, at, RULES) + observations("rtsp_continuity", True, None, facts,
                                                                            at + 30, RULES)
        result = evaluate(record, obs, at + 30, RULES)
        record = result.record
    return result


def test_a_long_gop_stream_read_whole_clears_a_stall_but_a_slow_one_never_a_low_frame_rate():
    # Key frames further apart than the window: one sample, so motion (and a slow rate) is unknown.
    # A whole window at 25 fps without a gap ends a stall; one at 4 fps says nothing of a low rate
    # (a second review: every such read was "brief", so a repaired stall never cleared).
    start = StateRecord("unknown", "no data", None, T0)
    stalled = _continuity_reads(start, T0, [{"verdict": "stalled", "samples": 0}] * 2)
    assert (stalled.state, stalled.cause) == ("degraded", "stream:stalled")
    whole = {"verdict": "ok", "samples": 1, "fps": 25.0, "low_fps_under": 5.0, "slow_unjudged": False}
    assert _continuity_reads(stalled.record, T0 + 86400, [whole] * 3).state == "up"
    slow = _continuity_reads(start, T0, [{"verdict": "low_fps", "samples": 2, "fps": 2.0, "low_fps_under": 5.0}] * 2)
    assert (slow.state, slow.cause) == ("degraded", "stream:low_fps")
    unjudged = {"verdict": "ok", "samples": 1, "fps": 4.0, "low_fps_under": 5.0, "slow_unjudged": True}
    assert _continuity_reads(slow.record, T0 + 86400, [unjudged] * 5).cause == "stream:low_fps"
    assert _continuity_reads(slow.record, T0 + 86400, [whole] * 3).state == "up"
