"""Random timelines against a brute-force reference: the SQL sums must equal counting by hand.

The reference knows nothing of the service's method: it cuts each camera's time at every
boundary (intervals, windows, period) and asks, for each piece, which interval and which
window contain its midpoint; the sample instants are checked one by one. Boundaries fall on a
15-minute grid, so many coincide with hourly instants and with each other: the half-open
rules are exercised, not just the easy cases.
"""

from __future__ import annotations

import random

import pytest

from assetsvc.monitoring.service import DowntimeRule, fault_seconds
from assetsvc.monitoring.uptime import uptime
from assetsvc.monitoring.uptime_cameras import camera_rows
from tests.integration.conftest import ADMIN
from tests.integration.test_uptime_world import H, at, camera, timeline, window

STATES = ("up", "degraded", "down", "unknown")
DEGRADED_CAUSES = ("picture:dark", "picture", "stream:timeout", "clock", "pictures:x")
# Contract downtime rules, each checked against the reference's own reading of the rule.
RULES = {"down only": (DowntimeRule(), lambda state, cause: state == "down"),
         "down and degraded": (DowntimeRule(degraded=True), lambda state, cause: state in ("down", "degraded")),
         "down and picture": (DowntimeRule(causes=("picture",)),
                              lambda state, cause: state == "down" or (state == "degraded" and cause in (
                                  "picture:dark", "picture"))),
         "down, picture:dark and clock": (DowntimeRule(causes=("clock", "picture:dark")),
                                          lambda state, cause: state == "down" or (state == "degraded" and cause in (
                                              "picture:dark", "clock")))}
PERIOD_H = (0.0, 24.0)


def random_timeline(rnd: random.Random) -> list[tuple]:
    """Contiguous intervals from a random start, perhaps with a gap out of service, perhaps still open."""
    t = rnd.choice((-6.0, -0.25, 0.0, 3.0, 11.5))
    spans = []
    while t < 30 and len(spans) < 12:
        length = rnd.choice((0.25, 0.5, 1.0, 1.75, 3.0, 7.0))
        state = rnd.choice(STATES)
        cause = "x"
        if state == "down":
            cause = rnd.choice(("onvif_light:timeout", "upstream"))
        elif state == "degraded":
            cause = rnd.choice(DEGRADED_CAUSES)
        spans.append((state, t, t + length, cause))
        t += length + (rnd.choice((2.0, 5.25)) if rnd.random() < 0.15 else 0.0)
    if rnd.random() < 0.6:
        last = spans[-1]
        spans[-1] = (last[0], last[1], None, last[3])
    return spans


def random_windows(rnd: random.Random) -> list[tuple[float, float]]:
    """Up to four windows in a narrow span, so they often overlap or touch."""
    starts = [rnd.choice(range(-4, 30)) * 0.5 for _ in range(rnd.choice((0, 1, 2, 3, 4)))]
    return [(a, a + rnd.choice((0.25, 1.0, 2.5, 6.0))) for a in starts]


def reference(spans: list[tuple], windows: list[tuple[float, float]], now_h: float) -> dict:
    """Per-state hours outside maintenance, maintenance hours, and per-instant state (None if not counted)."""
    end_h = min(PERIOD_H[1], now_h)
    closed = [(s, a, b if b is not None else end_h) for s, a, b, _ in spans]
    cuts = sorted({PERIOD_H[0], end_h, *[x for _, a, b in closed for x in (a, b)],
                   *[x for a, b in windows for x in (a, b)]})
    cuts = [c for c in cuts if PERIOD_H[0] <= c <= end_h]
    hours = dict.fromkeys(STATES, 0.0)
    held = 0.0
    for lo, hi in zip(cuts, cuts[1:]):
        mid = (lo + hi) / 2
        state = next((s for s, a, b in closed if a <= mid < b), None)
        if state is None:
            continue
        if any(a <= mid < b for a, b in windows):
            held += hi - lo
        else:
            hours[state] += hi - lo
    instants = []
    k = 0
    while PERIOD_H[0] + k < end_h:
        t = PERIOD_H[0] + k
        state = next((s for s, a, b in closed if a <= t < b), None)
        instants.append(None if state is None or any(a <= t < b for a, b in windows) else state)
        k += 1
    return {"hours": hours, "held": held, "instants": instants}


def reference_faults(spans: list[tuple], windows: list[tuple[float, float]], now_h: float, counts) -> float:
    """Hours outside maintenance in a state (and cause) the rule counts, piece by piece."""
    end_h = min(PERIOD_H[1], now_h)
    closed = [(s, a, b if b is not None else end_h, c) for s, a, b, c in spans]
    cuts = sorted({PERIOD_H[0], end_h, *[x for _, a, b, _ in closed for x in (a, b)],
                   *[x for a, b in windows for x in (a, b)]})
    cuts = [c for c in cuts if PERIOD_H[0] <= c <= end_h]
    hours = 0.0
    for lo, hi in zip(cuts, cuts[1:]):
        mid = (lo + hi) / 2
        found = next(((s, c) for s, a, b, c in closed if a <= mid < b), None)
        if found is not None and counts(*found) and not any(a <= mid < b for a, b in windows):
            hours += hi - lo
    return hours


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
async def test_random_fleets_match_the_brute_force_reference(seed):
    rnd = random.Random(seed)
    now_h = rnd.choice((30.0, 17.5))
    expected_hours = dict.fromkeys(STATES, 0.0)
    expected_held = 0.0
    per_instant: list[list[str | None]] = []
    expected_faults: dict[str, dict[int, float]] = {name: {} for name in RULES}
    for n in range(12):
        cam = await camera(100 + n)
        spans = random_timeline(rnd)
        await timeline(cam, spans)
        windows = random_windows(rnd)
        for a, b in windows:
            await window("camera", cam, a, b)
        found = reference(spans, windows, now_h)
        for name, (_, counts) in RULES.items():
            expected_faults[name][cam] = reference_faults(spans, windows, now_h, counts)
        for state in STATES:
            expected_hours[state] += found["hours"][state]
        expected_held += found["held"]
        per_instant.append(found["instants"])
    result = await uptime(ADMIN, "all", None, at(PERIOD_H[0]), at(PERIOD_H[1]), now=at(now_h))
    got = result.as_dict()["seconds"]
    for state in STATES:
        assert got[state] == pytest.approx(expected_hours[state] * H), state
    assert got["maintenance"] == pytest.approx(expected_held * H)
    rates = []
    for k in range(len(per_instant[0])):
        states = [cam[k] for cam in per_instant if cam[k] not in (None, "unknown")]
        if states:
            rates.append(sum(s in ("up", "degraded") for s in states) / len(states))
    assert result.sampled["counted"] == len(rates)
    assert result.sampled["online_rate"] == (pytest.approx(sum(rates) / len(rates)) if rates else None)
    page = await camera_rows(ADMIN, "all", None, at(PERIOD_H[0]), at(PERIOD_H[1]), per_page=500, now=at(now_h))
    assert sum(r["down"] for r in page["items"]) == pytest.approx(expected_hours["down"] * H)
    assert sum(r["maintenance"] for r in page["items"]) == pytest.approx(expected_held * H)
    # The contract rules' fault seconds (the monthly score's figure) from the same service.
    cams = sorted(expected_faults["down only"])
    for name, (rule, _) in RULES.items():
        got_faults = await fault_seconds(cams, at(PERIOD_H[0]), at(PERIOD_H[1]), rule, now=at(now_h))
        expected = {c: h * H for c, h in expected_faults[name].items() if h > 0}
        assert got_faults.by_camera == pytest.approx(expected), name
    assert expected_faults["down only"] and any(expected_faults["down and picture"].values())
