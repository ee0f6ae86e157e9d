"""Random timelines against a brute-force reference: the SQL sums must equal counting by hand.

The reference knows nothing of the service's method: it cuts each camera's time at every
boundary (service periods, intervals, windows, period) and asks, for each piece, which service
period, interval and window contain its midpoint (in service without an interval: unknown);
the sample instants, step and fixed hours, are checked one by one. Service periods are either
where the intervals are or drawn at random, so intervals run outside them and stretches inside
them have no interval. Boundaries fall on a
15-minute grid, so many coincide with hourly instants and with each other: the half-open
rules are exercised, not just the easy cases.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest

from assetsvc.monitoring.service import DowntimeRule, fault_seconds, fault_seconds_by_cause
from assetsvc.monitoring.uptime import uptime
from assetsvc.monitoring.uptime_cameras import camera_rows
from tests.integration.conftest import ADMIN
from assetsvc.monitoring.uptime_hours import SampleHours
from tests.integration.test_uptime_world import H, at, camera, extents, service, timeline, window

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
# Fixed-hour sampling at 00:00, 06:00 and 18:00 UTC (uneven: the 6-hour grid's 12:00 is skipped);
# T0 is 08:00 UTC, so in hours from T0 they fall at -8, -2, 10, 16, 22, ... (whole hours of the
# 15-minute grid, like many boundaries).
HOURS = SampleHours((0, 6 * 60, 18 * 60))
HOUR_INSTANTS_H = tuple(-8 + 24 * d + h for d in (0, 1) for h in (0, 6, 18))


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


def random_periods(rnd: random.Random, spans: list[tuple]) -> list[tuple[float, float | None]]:
    """Where the intervals are (as before service periods were records), or one to three periods at random."""
    if rnd.random() < 0.3:
        return extents(spans)
    t = rnd.choice((-5.0, -0.25, 0.0, 1.5, 6.75))
    periods: list[tuple[float, float | None]] = []
    for _ in range(rnd.choice((1, 2, 3))):
        end = t + rnd.choice((0.25, 2.0, 4.5, 9.0))
        periods.append((t, end))
        t = end + rnd.choice((0.25, 1.0, 3.5))
    if rnd.random() < 0.5:
        periods[-1] = (periods[-1][0], None)
    return periods


def _at(mid: float, spans: list[tuple], periods: list[tuple[float, float]]) -> tuple | None:
    """(state, cause) of a camera at an instant: None out of service; in service without an interval: unknown."""
    if not any(a <= mid < b for a, b in periods):
        return None
    return next(((s, c) for s, a, b, c in spans if a <= mid < b), ("unknown", "no data"))


def _pieces(spans: list[tuple], periods: list[tuple], windows: list[tuple[float, float]], end_h: float):
    """(lo, hi, (state, cause) or None, in a window) for each piece of [PERIOD start, end_h) between boundaries."""
    closed = [(s, a, b if b is not None else end_h, c) for s, a, b, c in spans]
    service_h = [(a, b if b is not None else end_h) for a, b in periods]
    cuts = sorted({PERIOD_H[0], end_h, *[x for _, a, b, _ in closed for x in (a, b)],
                   *[x for a, b in windows for x in (a, b)], *[x for a, b in service_h for x in (a, b)]})
    cuts = [c for c in cuts if PERIOD_H[0] <= c <= end_h]
    for lo, hi in zip(cuts, cuts[1:]):
        mid = (lo + hi) / 2
        yield lo, hi, _at(mid, closed, service_h), any(a <= mid < b for a, b in windows)


def reference(spans: list[tuple], periods: list[tuple], windows: list[tuple[float, float]], now_h: float) -> dict:
    """Per-state hours outside maintenance, maintenance hours, and per-instant state (None if not counted)."""
    end_h = min(PERIOD_H[1], now_h)
    hours = dict.fromkeys(STATES, 0.0)
    held = 0.0
    for lo, hi, found, in_window in _pieces(spans, periods, windows, end_h):
        if found is None:
            continue
        if in_window:
            held += hi - lo
        else:
            hours[found[0]] += hi - lo
    closed = [(s, a, b if b is not None else end_h, c) for s, a, b, c in spans]
    service_h = [(a, b if b is not None else end_h) for a, b in periods]

    def state_at(t: float) -> str | None:
        found = _at(t, closed, service_h)
        return None if found is None or any(a <= t < b for a, b in windows) else found[0]

    instants = [state_at(PERIOD_H[0] + k) for k in range(int(end_h - PERIOD_H[0] + 0.999))]
    at_hours = [state_at(t) for t in HOUR_INSTANTS_H if PERIOD_H[0] <= t < end_h]
    return {"hours": hours, "held": held, "instants": instants, "at_hours": at_hours}


def reference_faults(spans: list[tuple], periods: list[tuple], windows: list[tuple[float, float]], now_h: float,
                     counts) -> float:
    """Hours in service, outside maintenance, in a state (and cause) the rule counts, piece by piece."""
    end_h = min(PERIOD_H[1], now_h)
    return sum(hi - lo for lo, hi, found, in_window in _pieces(spans, periods, windows, end_h)
               if found is not None and not in_window and counts(*found))


def mean_online(per_camera: list[list[str | None]]) -> tuple[int, float | None]:
    """Instants with a known camera, and the mean of their online shares."""
    rates = []
    for k in range(len(per_camera[0])):
        states = [cam[k] for cam in per_camera if cam[k] not in (None, "unknown")]
        if states:
            rates.append(sum(s in ("up", "degraded") for s in states) / len(states))
    return len(rates), (sum(rates) / len(rates) if rates else None)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
async def test_random_fleets_match_the_brute_force_reference(seed):
    rnd = random.Random(seed)
    now_h = rnd.choice((30.0, 17.5))
    expected_hours = dict.fromkeys(STATES, 0.0)
    expected_held = 0.0
    per_instant: list[list[str | None]] = []
    per_hour: list[list[str | None]] = []
    expected_faults: dict[str, dict[int, float]] = {name: {} for name in RULES}
    for n in range(12):
        cam = await camera(100 + n)
        spans = random_timeline(rnd)
        periods = random_periods(rnd, spans)
        await timeline(cam, spans, periods=False)
        await service(cam, periods)
        windows = random_windows(rnd)
        for a, b in windows:
            await window("camera", cam, a, b)
        found = reference(spans, periods, windows, now_h)
        for name, (_, counts) in RULES.items():
            expected_faults[name][cam] = reference_faults(spans, periods, windows, now_h, counts)
        for state in STATES:
            expected_hours[state] += found["hours"][state]
        expected_held += found["held"]
        per_instant.append(found["instants"])
        per_hour.append(found["at_hours"])
    result = await uptime(ADMIN, "all", None, at(PERIOD_H[0]), at(PERIOD_H[1]), now=at(now_h), hours=HOURS,
                          tz=dt.timezone.utc)
    got = result.as_dict()["seconds"]
    for state in STATES:
        assert got[state] == pytest.approx(expected_hours[state] * H), state
    assert got["maintenance"] == pytest.approx(expected_held * H)
    counted, rate = mean_online(per_instant)
    assert result.sampled["counted"] == counted
    assert result.sampled["online_rate"] == (pytest.approx(rate) if rate is not None else None)
    counted, rate = mean_online(per_hour)
    assert result.sampled_hours["instants"] == len(per_hour[0])
    assert result.sampled_hours["counted"] == counted
    assert result.sampled_hours["online_rate"] == (pytest.approx(rate) if rate is not None else None)
    page = await camera_rows(ADMIN, "all", None, at(PERIOD_H[0]), at(PERIOD_H[1]), per_page=500, now=at(now_h))
    assert sum(r["down"] for r in page["items"]) == pytest.approx(expected_hours["down"] * H)
    assert sum(r["maintenance"] for r in page["items"]) == pytest.approx(expected_held * H)
    # The contract rules' fault seconds (the monthly score's figure) from the same service.
    cams = sorted(expected_faults["down only"])
    by_cause = await fault_seconds_by_cause(cams, at(PERIOD_H[0]), at(PERIOD_H[1]), now=at(now_h))
    for name, (rule, _) in RULES.items():
        got_faults = await fault_seconds(cams, at(PERIOD_H[0]), at(PERIOD_H[1]), rule, now=at(now_h))
        expected = {c: h * H for c, h in expected_faults[name].items() if h > 0}
        assert got_faults.by_camera == pytest.approx(expected), name
        # By cause (what excused_seconds reads once for every rule): the pairs the rule matches add up the same.
        summed = {c: sum(v for (state, cause), v in pairs.items() if rule.matches(state, cause))
                  for c, pairs in by_cause.by_camera.items()}
        assert {c: v for c, v in summed.items() if v > 0} == pytest.approx(expected), name
    assert expected_faults["down only"] and any(expected_faults["down and picture"].values())
