"""Probe results -> aspect observations: every probe kind and error class, and hostile facts."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assetsvc.monitoring.evaluate import ASPECTS, CAUSE_MAX, Observation, Rules, observations
from probes.types import ErrorKind

T = 1_800_000_000.0
RULES = Rules()
DARK = {"iq": {"verdict": "dark", "faults": ["dark"]}}
GOOD = {"iq": {"verdict": "ok", "faults": []}}


def seen(kind, ok, error=None, facts=None):
    """(aspect, ok, cause) of each observation, plus the flags that are set."""
    out = []
    for o in observations(kind, ok, error, {} if facts is None else facts, T, RULES):
        flags = tuple(f for f in ("fallback", "no_answer", "brief", "rate_unjudged") if getattr(o, f))
        out.append((o.aspect, o.ok, o.cause, *flags))
    return out


CASES = [
    # light checks own reach; a reply of any kind is reach ok
    ("tcp", True, None, {"connect_ms": {80: 1.0}}, [("reach", True, "")]),
    ("tcp", False, "refused", {}, [("reach", False, "tcp:refused")]),
    ("onvif_light", True, None, {"clock_offset_s": 2.0}, [("reach", True, ""), ("clock", True, "")]),
    ("onvif_light", True, None, {}, [("reach", True, "")]),
    ("onvif_light", False, "timeout", {}, [("reach", False, "onvif_light:timeout")]),
    ("onvif_light", False, "protocol", {}, [("reach", False, "onvif_light:protocol")]),
    ("onvif_light", False, "auth", {}, [("reach", True, "")]),
    ("onvif_light", False, "unsupported", {}, [("reach", True, "")]),
    ("onvif_light", False, "clock", {"clock_offset_s": 900.0}, [("reach", True, ""), ("clock", False, "clock")]),
    ("snmp_light", True, None, {"sys_uptime_s": 5.0}, [("reach", True, "")]),
    ("snmp_light", False, "timeout", {}, [("reach", False, "snmp_light:timeout")]),
    ("snmp_light", False, "clock", {}, [("reach", True, "")]),  # SNMPv3 time window, not the wall clock
    ("snmp", True, None, {"sys_descr": "x"}, [("reach", True, "")]),
    ("passive", True, None, {"online": True}, [("reach", True, "")]),
    ("passive", False, "offline", {"online": False}, [("reach", False, "passive:offline")]),
    # deep checks: reach ok when they answer, picture from the executor's verdict
    ("onvif_deep", True, None, {"clock_offset_s": 1.0, **DARK},
     [("reach", True, ""), ("clock", True, ""), ("picture", False, "picture:dark")]),
    ("onvif_deep", True, None, GOOD, [("reach", True, ""), ("picture", True, "")]),
    ("onvif_deep", True, None, {"serial": "X"}, [("reach", True, "")]),  # no verdict, no picture
    ("onvif_deep", False, "auth", {"clock_offset_s": 3.0}, [("reach", True, ""), ("clock", True, "")]),
    ("onvif_deep", False, "unsupported", {}, [("reach", True, "")]),
    ("onvif_deep", False, "clock", {"clock_offset_s": -700.0}, [("reach", True, ""), ("clock", False, "clock")]),
    ("onvif_deep", False, "timeout", {}, []),
    ("onvif_deep", False, "refused", {}, []),
    ("onvif_deep", False, "protocol", DARK, []),
    # streams: RTSP stands in for reach only as a fallback; auth is no stream verdict
    ("rtsp", True, None, {"has_video": True}, [("reach", True, "", "fallback"), ("stream", True, "", "brief")]),
    ("rtsp", False, "timeout", {}, [("reach", False, "rtsp:timeout", "fallback"),
                                    ("stream", False, "stream:timeout", "no_answer")]),
    ("rtsp", False, "refused", {}, [("reach", False, "rtsp:refused", "fallback"),
                                    ("stream", False, "stream:refused", "no_answer")]),
    ("rtsp", False, "unsupported", {}, [("reach", True, "", "fallback"), ("stream", False, "stream:unsupported")]),
    ("rtsp", False, "protocol", {}, [("reach", False, "rtsp:protocol", "fallback"),
                                     ("stream", False, "stream:protocol")]),
    ("rtsp", False, "auth", {}, [("reach", True, "", "fallback")]),
    ("rtsp_frame", True, None, DARK, [("reach", True, "", "fallback"), ("stream", True, "", "brief"),
                                      ("picture", False, "picture:dark")]),
    ("rtsp_frame", False, "timeout", {}, [("stream", False, "stream:timeout", "no_answer")]),
    ("rtsp_frame", False, "protocol", {}, [("stream", False, "stream:protocol")]),
    ("rtsp_frame", False, "unsupported", {}, [("reach", True, "", "fallback"),
                                              ("stream", False, "stream:unsupported")]),
    ("rtsp_frame", False, "auth", {}, [("reach", True, "", "fallback")]),
    # a stream path that is not there: the record's fault, shown as its own cause
    ("rtsp", False, "config", {}, [("reach", True, "", "fallback"), ("stream", False, "stream:config")]),
    ("rtsp_frame", False, "config", {}, [("reach", True, "", "fallback"), ("stream", False, "stream:config")]),
    ("rtsp_continuity", False, "config", {}, [("reach", True, "", "fallback"), ("stream", False, "stream:config")]),
    # the viewer limit (453) and our transport (461): the device answered, the stream is not judged
    ("rtsp", False, "busy", {}, [("reach", True, "", "fallback")]),
    ("rtsp_frame", False, "busy", {}, [("reach", True, "", "fallback")]),
    ("rtsp_continuity", False, "busy", {}, [("reach", True, "", "fallback")]),
    ("rtsp_continuity", False, "transport", {}, [("reach", True, "", "fallback")]),
    # continuity: stalled and low_fps are stream faults, frozen a picture fault
    # (ok and still: the key frames differ, a picture that is not frozen, which only the continuity
    # check's own frozen heeds: tests/unit/test_evaluate.py)
    ("rtsp_continuity", True, None, {"verdict": "ok"}, [("reach", True, "", "fallback"), ("stream", True, ""),
                                                        ("picture", True, "")]),
    ("rtsp_continuity", True, None, {"verdict": "stalled"}, [("reach", True, "", "fallback"),
                                                             ("stream", False, "stream:stalled")]),
    ("rtsp_continuity", True, None, {"verdict": "low_fps"}, [("reach", True, "", "fallback"),
                                                             ("stream", False, "stream:low_fps")]),
    ("rtsp_continuity", True, None, {"verdict": "frozen"}, [("reach", True, "", "fallback"), ("stream", True, ""),
                                                            ("picture", False, "picture:frozen")]),
    # A still scene (frozen not judgeable): the stream is good, the picture not frozen, no fault.
    ("rtsp_continuity", True, None, {"verdict": "still"}, [("reach", True, "", "fallback"), ("stream", True, ""),
                                                           ("picture", True, "")]),
    # Fewer than two key frames sampled: motion unknown, nothing on the picture; at full rate a good
    # stream, slow a good stream that says nothing against a low frame rate (not judged).
    ("rtsp_continuity", True, None, {"verdict": "ok", "samples": 1, "fps": 25.0, "low_fps_under": 5.0,
                                      "slow_unjudged": False},
     [("reach", True, "", "fallback"), ("stream", True, "")]),
    ("rtsp_continuity", True, None, {"verdict": "ok", "samples": 0, "fps": 4.17, "low_fps_under": 5.0,
                                      "slow_unjudged": True},
     [("reach", True, "", "fallback"), ("stream", True, "", "rate_unjudged")]),
    ("rtsp_continuity", True, None, {"verdict": "ok", "samples": 2}, [("reach", True, "", "fallback"),
                                                                      ("stream", True, ""), ("picture", True, "")]),
    ("rtsp_continuity", True, None, {"verdict": "garbage"}, [("reach", True, "", "fallback")]),
    ("rtsp_continuity", False, "timeout", {}, [("stream", False, "stream:timeout", "no_answer")]),
    # kinds that say nothing about state
    ("wsdiscovery", True, None, {}, []),
    ("ping", False, "timeout", {}, []),
]


@pytest.mark.parametrize(("kind", "ok", "error", "facts", "expected"), CASES,
                         ids=[f"{c[0]}-{c[2] or 'ok'}-{n}" for n, c in enumerate(CASES)])
def test_each_probe_result_maps_to_its_aspect_observations(kind, ok, error, facts, expected):
    assert seen(kind, ok, error, facts) == expected


def test_the_error_may_be_given_as_the_enum():
    assert seen("tcp", False, ErrorKind.TIMEOUT) == [("reach", False, "tcp:timeout")]


def test_a_failure_without_an_error_class_is_a_failure():
    assert seen("tcp", False, None) == [("reach", False, "tcp:failed")]


def test_sys_uptime_rides_on_the_reach_observation():
    assert observations("snmp_light", True, None, {"sys_uptime_s": 12.5}, T, RULES)[0].uptime_s == 12.5
    assert observations("snmp_light", True, None, {"sys_uptime_s": -1}, T, RULES)[0].uptime_s is None
    assert observations("tcp", True, None, {"sys_uptime_s": 12.5}, T, RULES)[0].uptime_s is None


@pytest.mark.parametrize("offset", [float("nan"), float("inf"), -float("inf"), "45", None, True, [], 10**400])
def test_an_unreadable_clock_offset_is_no_clock_observation(offset):
    assert seen("onvif_light", True, None, {"clock_offset_s": offset}) == [("reach", True, "")]


@pytest.mark.parametrize("iq", [None, "dark", [], {"verdict": None}, {"verdict": 3}, {"verdict": "  "},
                                {"faults": ["dark"]}])
def test_an_unreadable_picture_verdict_is_no_picture_observation(iq):
    assert seen("onvif_deep", True, None, {"iq": iq}) == [("reach", True, "")]


def test_a_hostile_verdict_becomes_a_short_plain_label():
    obs = observations("onvif_deep", True, None, {"iq": {"verdict": "Dark\x00<script>" + "x" * 500}}, T, RULES)
    assert obs[-1].cause.startswith("picture:dark_script_x") and len(obs[-1].cause) <= CAUSE_MAX


@pytest.mark.parametrize("at", [float("nan"), float("inf"), "now", None])
def test_a_result_without_a_usable_time_yields_nothing(at):
    assert observations("tcp", True, None, {}, at, RULES) == []


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                        max_size=4), max_leaves=12)
hostile_facts = st.one_of(json_values, st.fixed_dictionaries(
    {}, optional={"clock_offset_s": json_values, "iq": json_values, "online": json_values,
                  "sys_uptime_s": json_values}))
KINDS = ["tcp", "onvif_light", "onvif_deep", "snmp_light", "snmp", "rtsp", "rtsp_frame", "passive", "x"]
ERRORS = st.none() | st.sampled_from([e.value for e in ErrorKind]) | st.sampled_from(list(ErrorKind)) | json_values


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(KINDS), st.booleans(), ERRORS, hostile_facts)
def test_hostile_facts_never_raise_and_observations_are_well_formed(kind, ok, error, facts):
    for obs in observations(kind, ok, error, facts, T, RULES):
        assert isinstance(obs, Observation) and obs.aspect in ASPECTS and obs.at == T
        assert (obs.cause == "") == obs.ok and len(obs.cause) <= CAUSE_MAX
        assert obs.uptime_s is None or (math.isfinite(obs.uptime_s) and obs.uptime_s >= 0)
