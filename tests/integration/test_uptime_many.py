"""Per-camera figures added up per scope (uptime_many, the monthly report's path) equal the uptime service's
figures computed per scope (uptime.compute), on random small worlds.

Timelines, service periods and maintenance windows are test_uptime_random.py's (intervals outside
service, stretches without data, overlapping windows, open intervals); the scopes are random
subsets of the cameras, as a report's districts, stations and contracts are.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest

from assetsvc.monitoring.uptime import compute
from assetsvc.monitoring.uptime_many import per_camera
from assetsvc.monitoring.uptime_scope import camera_ids
from tests.integration.test_uptime_random import HOURS, PERIOD_H, random_periods, random_timeline, random_windows
from tests.integration.test_uptime_world import at, camera, service, timeline, window


def same(got: Any, want: Any, where: str = "") -> None:
    """Equal structures: counts and text exactly, seconds and rates up to the order of float additions."""
    if isinstance(want, dict):
        assert isinstance(got, dict) and set(got) == set(want), where
        for key in want:
            same(got[key], want[key], f"{where}.{key}")
    elif isinstance(want, (list, tuple)):
        assert isinstance(got, (list, tuple)) and len(got) == len(want), where
        for i, (g, w) in enumerate(zip(got, want)):
            same(g, w, f"{where}[{i}]")
    elif isinstance(want, float):
        assert got == pytest.approx(want, rel=1e-9, abs=1e-6), where
    else:
        assert got == want, where


@pytest.mark.parametrize("seed", [11, 12, 13, 14])
async def test_added_up_per_camera_figures_equal_the_per_scope_figures(seed):
    rnd = random.Random(seed)
    now_h = rnd.choice((30.0, 17.5))
    cams = []
    for n in range(14):
        cam = await camera(300 + n)
        spans = random_timeline(rnd)
        await timeline(cam, spans, periods=False)
        await service(cam, random_periods(rnd, spans))
        for a, b in random_windows(rnd):
            await window("camera", cam, a, b)
        cams.append(cam)
    start, end, now = at(PERIOD_H[0]), at(PERIOD_H[1]), at(now_h)
    month = await per_camera(camera_ids(cams), start, end, causes=True, now=now, hours=HOURS, tz=dt.timezone.utc)
    scopes = [cams, cams[:1], [], *(rnd.sample(cams, rnd.randint(2, len(cams) - 1)) for _ in range(5))]
    checked = 0
    for ids in scopes:
        want = await compute(camera_ids(ids), start, end, causes=True, now=now, hours=HOURS, tz=dt.timezone.utc)
        got = month.figures(ids, causes=True)
        same(got.as_dict(), want.as_dict(), f"scope {sorted(ids)}")
        checked += bool(want.totals.in_service)
    assert checked >= 3  # the worlds have time to compare, not only empty scopes
    # Without causes (the month before in the report): the same figures, and asking for causes is refused.
    plain = await per_camera(camera_ids(cams), start, end, now=now, hours=HOURS, tz=dt.timezone.utc)
    same(plain.figures(cams).as_dict(), month.figures(cams).as_dict())
    with pytest.raises(ValueError):
        plain.figures(cams, causes=True)
