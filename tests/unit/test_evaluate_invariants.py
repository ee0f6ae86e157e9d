"""Invariants over random histories: transitions strictly ordered, intervals never overlapping, state
always one of four and consistent with the aspects, and a lone lost answer never flapping a camera."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assetsvc.monitoring.evaluate import (CAUSE_MAX, DEGRADING, STATES, Rules, evaluate, observations,
                                          relabel_for_upstream, stale)
from assetsvc.monitoring.records import Aspects, StateRecord

T0 = 1_800_000_000.0
FUZZ = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])

rules = st.builds(Rules, down_after_failures=st.integers(0, 4), down_after_s=st.sampled_from([0.0, 60.0, 120.0, 600.0]),
                  up_after_successes=st.integers(0, 3), fault_after_failures=st.integers(0, 3),
                  fault_clear_after=st.integers(0, 3), stale_after_s=st.sampled_from([300.0, 900.0]))
gaps = st.sampled_from([0.0, 0.5, 1.0, 30.0, 60.0, 120.0, 299.0, 300.0, 899.0, 900.0, 2500.0])
facts = st.sampled_from([{}, {"clock_offset_s": 2.0}, {"clock_offset_s": 30.0}, {"clock_offset_s": -95.0},
                         {"iq": {"verdict": "ok"}}, {"iq": {"verdict": "dark"}}, {"iq": {"verdict": "blur"}},
                         {"online": False}, {"sys_uptime_s": 100.0}, {"sys_uptime_s": 5.0}])
probe = st.tuples(st.just("probe"), st.sampled_from(["tcp", "onvif_light", "onvif_deep", "snmp_light", "rtsp",
                                                     "rtsp_frame", "passive"]),
                  st.booleans(), st.sampled_from([None, "timeout", "refused", "auth", "protocol", "unsupported",
                                                  "clock"]), facts, gaps, st.sampled_from([0.0, 0.0, 0.0, 400.0]))
action = st.one_of(probe, st.tuples(st.just("stale"), gaps),
                   st.tuples(st.just("relabel"), st.sampled_from([None, 1, 2]), st.sampled_from([0.0, 200.0, 5000.0])),
                   st.tuples(st.just("upstream"), st.sampled_from([None, 1, 2]), st.sampled_from([0.0, 100.0, 3000.0])))


def check(before: dict, result, all_moves: list) -> None:
    """The invariants of one step, given the row before it."""
    moves = result.transitions
    label = (before["state"], before["cause"], before["root_upstream"])
    start = before["since"]
    for move in moves:
        assert move.at >= start, "a transition before the current state began"
        assert move.previous == label[0]
        assert (move.state, move.cause, move.root_upstream) != label, "a transition that changes nothing"
        label, start = (move.state, move.cause, move.root_upstream), move.at
    assert all(a.at < b.at for a, b in zip(moves, moves[1:])), "transitions not strictly ordered"
    assert (result.state, result.cause, result.root_upstream, result.since) == (*label, start)
    assert result.state in STATES and len(result.cause) <= CAUSE_MAX
    assert result.root_upstream is None or (result.state, result.cause) == ("down", "upstream")
    json.dumps(result.aspects.to_json(), allow_nan=False)
    assert Aspects.from_json(result.aspects.to_json()) == result.aspects  # the stored form reads back unchanged
    reach = result.aspects["reach"].ok
    failing = [n for n in DEGRADING if result.aspects[n].ok is False]
    expected = {False: "down", None: "unknown"}.get(reach, "degraded" if failing else "up")
    assert result.state == expected, f"state {result.state} but aspects say {expected}"
    all_moves.extend(moves)


@FUZZ
@given(rules, st.lists(action, min_size=10, max_size=80))
def test_any_history_keeps_the_state_machine_invariants(rule, actions):
    row = {"state": "unknown", "cause": "no data", "root_upstream": None, "since": T0, "aspects": {}, "last_seen": None}
    now, upstream, upstream_since, moves = T0, None, None, []
    for act in actions:
        args = [StateRecord.decode(row["state"], row["cause"], row["root_upstream"], row["since"], row["aspects"],
                                   row["last_seen"])]
        if act[0] == "probe":
            _, kind, ok, error, fact, gap, late = act
            now += gap
            obs = observations(kind, ok, None if ok else error, fact, now - late, rule)
            result = evaluate(*args, obs, now, rule, upstream_down=upstream, upstream_since=upstream_since)
        elif act[0] == "stale":
            now += act[1]
            result = stale(*args, now, rule)
        elif act[0] == "relabel":
            result = relabel_for_upstream(*args, act[1], now - act[2])
        else:
            upstream, upstream_since = act[1], now - act[2]
            continue
        if result is not None:
            check(row, result, moves)
            row = {"state": result.state, "cause": result.cause, "root_upstream": result.root_upstream,
                   "since": result.since, "aspects": result.aspects, "last_seen": result.last_seen}
    assert all(a.at <= b.at for a, b in zip(moves, moves[1:])), "intervals overlap across steps"


@FUZZ
@given(st.lists(st.tuples(st.booleans(), st.floats(1.0, 899.0)), min_size=1, max_size=60))
def test_a_lone_failed_check_never_flaps_the_camera(results):
    """Light checks at most stale_after_s apart, never two failures in a row: never down."""
    fixed, last = [], True
    for ok, gap in results:
        ok = ok or not last  # a failure right after a failure becomes a success
        fixed.append((ok, gap))
        last = ok
    row = ["unknown", "no data", None, T0, {}, None]
    now, states = T0, []
    for ok, gap in fixed:
        now += gap
        obs = observations("onvif_light", ok, None if ok else "timeout", {}, now, Rules())
        result = evaluate(StateRecord.decode(*row), obs, now, Rules())
        row = [result.state, result.cause, result.root_upstream, result.since, result.aspects, result.last_seen]
        states += [t.state for t in result.transitions]
    assert states in ([], ["up"])
