"""GET /uptime/daily: each day's figures equal /uptime's for that day, exactly, on random worlds; the closed
days are read from the daily rollup (uptime_day), as they are in production."""

from __future__ import annotations

import random

import pytest

from assetsvc import bulk
from assetsvc.monitoring.tables import UptimeDay

from tests.integration.conftest import bearer
from tests.integration.test_uptime_api import api, uptime_app  # noqa: F401 - fixtures
from tests.integration.test_uptime_random import random_periods, random_timeline, random_windows
from tests.integration.test_uptime_world import camera, service, timeline, window

# T0 is 2026-01-15 16:00 at +08:00; the random timelines run from T0 - 6 h to about T0 + 40 h.
DAYS = ("2026-01-14", "2026-01-15", "2026-01-16", "2026-01-17", "2026-01-18")
FIGURES = ("cameras", "online_rate", "working_rate", "unknown_share")


async def world(rnd: random.Random, contractors: tuple[int, int]) -> list[int]:
    cams = []
    for n in range(10):
        cam = await camera(500 + n, contractor=contractors[n % 2])
        spans = random_timeline(rnd)
        await timeline(cam, spans, periods=False)
        await service(cam, random_periods(rnd, spans))
        for a, b in random_windows(rnd):
            await window("camera", cam, a, b)
        cams.append(cam)
    return cams


@pytest.mark.parametrize("seed", [21, 22, 23])
@pytest.mark.parametrize("who, scope", [("admin", {}), ("auditor", {"scope": "region", "ref": "330106"}),
                                        ("contractor_a", {})])
async def test_each_day_equals_the_uptime_of_that_day(api, people, seed, who, scope):  # noqa: F811
    await world(random.Random(seed), (people.a_id, people.b_id))
    headers = bearer(getattr(people, who))
    params = {"start": DAYS[0], "end": DAYS[-1], "tz": "+08:00", **scope}
    first = await api.get("/api/v1/uptime/daily", params=params, headers=headers)
    assert first.status_code == 200, first.text
    # The days are closed: the first call rolled them up (a row per camera in scope and day), the
    # second adds up the stored rows; that is the path compared with /uptime below.
    rolled = await bulk.fetch(UptimeDay, "SELECT COUNT(*) AS n, COUNT(DISTINCT day_start) AS d FROM uptime_day")
    assert rolled[0]["d"] == len(DAYS) - 1 and rolled[0]["n"] == (len(DAYS) - 1) * (5 if who == "contractor_a" else 10)
    series = await api.get("/api/v1/uptime/daily", params=params, headers=headers)
    assert series.json() == first.json()
    days = series.json()["days"]
    assert [d["day"] for d in days] == list(DAYS[:-1])
    for d, (first, then) in zip(days, zip(DAYS, DAYS[1:])):
        one = await api.get("/api/v1/uptime", params={"start": first, "end": then, "tz": "+08:00", **scope},
                            headers=headers)
        want = one.json()
        assert {k: d[k] for k in FIGURES} == {k: want[k] for k in FIGURES}, first
        assert (d["start"], d["end"]) == (want["period"]["start"], want["period"]["end"])
    whole = await api.get("/api/v1/uptime", params={"start": DAYS[0], "end": DAYS[-1], "tz": "+08:00", **scope},
                          headers=headers)
    assert series.json()["whole"] == {k: whole.json()[k] for k in FIGURES[1:]}
    assert sum(d["cameras"] for d in days) > 0 and any(d["online_rate"] not in (None, 1.0) for d in days)


@pytest.mark.parametrize("params, field", [
    ({"end": "2026-01-16"}, "start"),
    ({"start": "2026-01-16", "end": "2026-01-16"}, "end"),
    ({"start": "2026-01-16T08:00:00", "end": "2026-01-18"}, "start"),
    ({"start": "2026-01-01", "end": "2026-06-01"}, "end"),
    ({"start": "9999-12-30", "end": "9999-12-31"}, "end"),
    ({"start": "2026-01-01", "end": "2026-01-02", "scope": "owner_class", "ref": "army"}, "ref"),
    ({"start": "2026-01-01", "end": "2026-01-02", "step": "60"}, "step"),
])
async def test_bad_series_input_is_a_400_naming_the_field(api, people, params, field):  # noqa: F811
    response = await api.get("/api/v1/uptime/daily", params=params, headers=bearer(people.admin))
    assert response.status_code == 400, response.text
    assert field in {e["field"] for e in response.json()["errors"]}


async def test_a_contractor_cannot_ask_for_another_contractors_series(api, people):  # noqa: F811
    response = await api.get("/api/v1/uptime/daily", params={"start": "2026-01-15", "end": "2026-01-16",
                                                             "scope": "contractor", "ref": str(people.b_id)},
                             headers=bearer(people.contractor_a))
    assert response.status_code == 403
