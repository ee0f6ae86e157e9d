"""Uptime figures on hand-worked timelines, on the real database (SQLite and PostgreSQL).

Every expected number below is worked by hand in the comment above its test; times are hours
from T0 (test_uptime_world.py), the period is [T0, T0 + 10 h) unless said otherwise, and the
sample step is one hour, so the instants are T0 + 0 h, 1 h, ... 9 h.
"""

from __future__ import annotations

import pytest

from assetsvc.accounts.service import Actor
from assetsvc.monitoring.uptime import uptime
from assetsvc.monitoring.uptime_cameras import camera_rows
from tests.integration.conftest import ADMIN
from tests.integration.test_uptime_world import H, T0, at, camera, records, timeline, window

PERIOD = (T0, at(10))
LATER = at(12)  # "now" after the period: every open interval runs to the period's end


def approx(value: float) -> object:
    return pytest.approx(value, rel=1e-12, abs=1e-9)


async def test_every_state_and_both_period_edges_on_one_camera():
    # up [-2, 2) crosses the start: 2 h counted; down own [2, 3) 1 h; down upstream [3, 4) 1 h;
    # unknown [4, 5) 1 h; degraded [5, 7) 2 h; up [7, open) runs to the end: 3 h.
    # in service 10 h, up 5, degraded 2, down 2 (1 own, 1 upstream), unknown 1, maintenance 0.
    # observed = 10 - 0 - 1 = 9 h; online = (5 + 2) / 9; working = 5 / 9; unknown share = 1 / 10.
    # Instants 0..9: up up down down [unknown: skipped] degraded degraded up up up
    # -> 9 counted, 7 online: mean of per-instant shares (each 1 or 0) = 7 / 9.
    ids = await records()
    cam = await camera(1)
    await timeline(cam, [("up", -2, 2), ("down", 2, 3), ("down", 3, 4, "upstream", ids["edge"]),
                         ("unknown", 4, 5), ("degraded", 5, 7), ("up", 7, None)])
    result = await uptime(ADMIN, "camera", str(cam), *PERIOD, causes=True, now=LATER)
    body = result.as_dict()
    assert body["cameras"] == 1
    assert body["seconds"] == {"in_service": 10 * H, "maintenance": 0.0, "observed": 9 * H, "up": 5 * H,
                               "degraded": 2 * H, "down": 2 * H, "unknown": 1 * H}
    assert body["online_rate"] == approx(7 / 9)
    assert body["working_rate"] == approx(5 / 9)
    assert body["unknown_share"] == approx(1 / 10)
    assert body["down"]["own"] == 1 * H and body["down"]["upstream"] == 1 * H
    assert body["down"]["by_root_upstream"] == [{"upstream_id": ids["edge"], "seconds": 1 * H}]
    assert body["causes"]["down"] == {"onvif_light:timeout": 1 * H, "upstream": 1 * H}
    assert body["causes"]["degraded"] == {"picture:dark": 2 * H}
    assert body["sampled"] == {"step": H, "instants": 10, "counted": 9, "skipped": 1, "online_rate": approx(7 / 9)}


async def test_overlapping_windows_count_once_and_mid_period_cameras_count_only_in_service():
    # Camera B (site, upstream = edge switch under the core switch) is registered at 1 h and
    # decommissioned at 8 h: unknown [1, 2), up [2, 6), down [6, 8) -> in service 7 h.
    # Windows: core switch [0.5, 1.5) (covers B through its ancestor), B [5, 7), B's site [6, 9).
    # B's maintenance union = [0.5, 1.5) + [5, 9); inside its service: [1, 1.5) unknown 0.5 h,
    # [5, 6) up 1 h, [6, 8) down 2 h -> 3.5 h. B counted: unknown 0.5, up 3, down 0.
    # Camera C (region 330106): up [-5, 3.5), down [3.5, 4.5), up [4.5, open) -> up 9, down 1.
    # Window region 3301 [9.5, 11) clips to [9.5, 10): 0.5 h of C's up. C counted: up 8.5, down 1.
    # Totals: in service 17 h, maintenance 4 h, up 11.5, down 1, unknown 0.5, degraded 0.
    # observed = 17 - 4 - 0.5 = 12.5 h: online = working = 11.5 / 12.5 = 0.92;
    # unknown share = 0.5 / (17 - 4) = 0.5 / 13.
    # Instants: t0 C only (1/1); t1 B unknown and in maintenance, C (1/1); t2, t3 B and C up (2/2);
    # t4 B up, C down (1/2); t5-t7 B in maintenance, C up (1/1); t8 B gone (its end is 8 h), C (1/1);
    # t9 C (window starts 9.5) (1/1) -> mean = (9 * 1 + 0.5) / 10 = 0.95.
    ids = await records()
    b = await camera(2, region="450204", site=ids["site"], upstream=ids["edge"], status="decommissioned")
    c = await camera(3, region="330106")
    await timeline(b, [("unknown", 1, 2), ("up", 2, 6), ("down", 6, 8)])
    await timeline(c, [("up", -5, 3.5), ("down", 3.5, 4.5), ("up", 4.5, None)])
    await window("upstream", ids["core"], 0.5, 1.5)
    await window("camera", b, 5, 7)
    await window("site", ids["site"], 6, 9)
    await window("region", "3301", 9.5, 11)
    body = (await uptime(ADMIN, "all", None, *PERIOD, now=LATER)).as_dict()
    assert body["cameras"] == 2
    assert body["seconds"] == {"in_service": 17 * H, "maintenance": 4 * H, "observed": 12.5 * H,
                               "up": 11.5 * H, "degraded": 0.0, "down": 1 * H, "unknown": 0.5 * H}
    assert body["online_rate"] == approx(0.92)
    assert body["working_rate"] == approx(0.92)
    assert body["unknown_share"] == approx(0.5 / 13)
    assert body["sampled"]["counted"] == 10 and body["sampled"]["online_rate"] == approx(0.95)


async def test_a_period_with_no_observed_time_gives_null_rates_not_zero():
    # Camera D is unknown all period: in service 10 h, unknown 10 h, observed 0 -> online and
    # working rates are null; unknown share = 10 / 10 = 1. No instant has a known camera: the
    # sampled rate is null with all 10 instants skipped.
    d = await camera(4)
    await timeline(d, [("unknown", -1, None)])
    body = (await uptime(ADMIN, "all", None, *PERIOD, now=LATER)).as_dict()
    assert body["seconds"]["observed"] == 0.0
    assert body["online_rate"] is None and body["working_rate"] is None
    assert body["unknown_share"] == 1.0
    assert body["sampled"] == {"step": H, "instants": 10, "counted": 0, "skipped": 10, "online_rate": None}


async def test_a_camera_in_maintenance_all_period_has_no_figures():
    # E is up all period but a window [-1, 11) covers it: in service 10 h, maintenance 10 h,
    # observed 0 and in service outside maintenance 0 -> all three rates null.
    e = await camera(5)
    await timeline(e, [("up", -1, None)])
    await window("camera", e, -1, 11)
    body = (await uptime(ADMIN, "all", None, *PERIOD, now=LATER)).as_dict()
    assert body["seconds"]["maintenance"] == 10 * H and body["seconds"]["up"] == 0.0
    assert (body["online_rate"], body["working_rate"], body["unknown_share"]) == (None, None, None)
    assert body["sampled"]["online_rate"] is None


async def test_an_empty_scope_has_zero_cameras_and_null_figures():
    body = (await uptime(ADMIN, "region", "3301", *PERIOD, now=LATER)).as_dict()
    assert body["cameras"] == 0 and body["seconds"]["in_service"] == 0.0
    assert body["online_rate"] is None and body["sampled"]["online_rate"] is None


async def test_time_after_now_is_not_counted():
    # Period [0, 10) but now = 4 h: F up [-1, 2), down [2, open) -> up 2 h, down 2 h (not 8).
    # observed 4 h, online 2 / 4. Instants before now: 0, 1, 2, 3 -> up up down down -> 0.5.
    f = await camera(6)
    await timeline(f, [("up", -1, 2), ("down", 2, None)])
    body = (await uptime(ADMIN, "camera", str(f), *PERIOD, now=at(4))).as_dict()
    assert body["seconds"]["in_service"] == 4 * H and body["seconds"]["down"] == 2 * H
    assert body["online_rate"] == 0.5
    assert body["sampled"]["instants"] == 4 and body["sampled"]["online_rate"] == 0.5
    assert body["period"]["counted_until"] == "2026-01-15T12:00:00+00:00"


async def test_intervals_ending_or_starting_exactly_on_an_instant_are_half_open():
    # G: up [0, 3), down [3, 3.5), up [3.5, open). Instant 3 h falls in the down interval (its
    # start is included); instant 0 in the first up one. Step 1 h: t0-t2 up, t3 down, t4-t9 up
    # -> 9 of 10 online. A 30-minute step has 20 instants, t6 (3 h) down -> 19 / 20.
    g = await camera(7)
    await timeline(g, [("up", 0, 3), ("down", 3, 3.5), ("up", 3.5, None)])
    hourly = (await uptime(ADMIN, "all", None, *PERIOD, now=LATER)).sampled
    assert hourly["online_rate"] == approx(0.9)
    half = (await uptime(ADMIN, "all", None, *PERIOD, step=H / 2, now=LATER)).sampled
    assert half["instants"] == 20 and half["online_rate"] == approx(19 / 20)


async def test_the_sampled_rate_averages_per_instant_shares_not_camera_time():
    # Two cameras. H1 up all period. H2 down [0, 1), unknown [1, 10).
    # t0: H1 up, H2 down -> 1/2; t1-t9: only H1 known -> 1/1 each. Mean = (0.5 + 9) / 10 = 0.95.
    # Time-weighted: up 10 h, down 1 h, unknown 9 h -> observed 11 h, online 10 / 11.
    h1, h2 = await camera(8), await camera(9)
    await timeline(h1, [("up", -1, None)])
    await timeline(h2, [("down", -1, 1), ("unknown", 1, None)])
    result = await uptime(ADMIN, "all", None, *PERIOD, now=LATER)
    assert result.sampled["online_rate"] == approx(0.95)
    assert result.figures()["online_rate"] == approx(10 / 11)


async def test_a_gap_in_service_is_not_counted_and_not_sampled():
    # K is in service [1, 3) up, taken out of service at 3, back at 6: unknown [6, 7), down [7, open).
    # In service 2 + 4 = 6 h: up 2, unknown 1, down 3 -> observed 5 h, online 2 / 5, unknown 1 / 6.
    # Instants: t1, t2 up; t3-t5 out of service (not counted at all); t6 unknown (skipped);
    # t7-t9 down; t0 not yet in service -> counted 5 (t1, t2, t7, t8, t9), online 2 / 5.
    k = await camera(10)
    await timeline(k, [("up", 1, 3), ("unknown", 6, 7), ("down", 7, None)])
    body = (await uptime(ADMIN, "all", None, *PERIOD, now=LATER)).as_dict()
    assert body["seconds"]["in_service"] == 6 * H and body["seconds"]["observed"] == 5 * H
    assert body["online_rate"] == approx(2 / 5) and body["unknown_share"] == approx(1 / 6)
    assert body["sampled"]["counted"] == 5 and body["sampled"]["online_rate"] == approx(2 / 5)


async def test_scopes_select_their_cameras_and_a_contractor_sees_only_its_own():
    # One camera per attribute, each up [-1, open) except the contractor B camera, down all period.
    ids = await records()
    in_site = await camera(11, site=ids["site"])
    in_station = await camera(12, station=ids["station"])
    police = await camera(13, owner=ids["police"], contractor=ids["con_a"])
    other_region = await camera(14, region="450204", owner=ids["social"], contractor=ids["con_b"])
    for cam in (in_site, in_station, police):
        await timeline(cam, [("up", -1, None)])
    await timeline(other_region, [("down", -1, None)])
    expect = {("site", str(ids["site"])): 1, ("station", str(ids["station"])): 1,
              ("owner_class", "police"): 1, ("owner_class", "social"): 1, ("region", "3301"): 3,
              ("region", "330106"): 3, ("region", "45"): 1, ("contractor", str(ids["con_b"])): 1,
              ("camera", str(police)): 1, ("all", None): 4}
    for (scope, ref), cameras in expect.items():
        assert (await uptime(ADMIN, scope, ref, *PERIOD, now=LATER)).cameras == cameras, (scope, ref)
    contractor_a = Actor(user_id=1, username="ca", role="contractor", contractor_id=ids["con_a"])
    mine = await uptime(contractor_a, "all", None, *PERIOD, now=LATER)
    assert mine.cameras == 1 and mine.figures()["online_rate"] == 1.0
    assert (await uptime(contractor_a, "region", "45", *PERIOD, now=LATER)).cameras == 0


async def test_per_camera_rows_are_worst_first_with_maintenance_removed():
    # Same timelines as the overlapping-windows test. B: in service 7 h, maintenance 3.5 h,
    # up 3, unknown 0.5, down 0 -> observed 3, online 1.0, unknown share 0.5 / 3.5.
    # C: in service 10 h, maintenance 0.5, up 8.5, down 1 -> observed 9.5, online 8.5 / 9.5.
    # Worst online first: C then B; by unknown share (highest first): B then C.
    ids = await records()
    b = await camera(2, region="450204", site=ids["site"], upstream=ids["edge"], status="decommissioned")
    c = await camera(3, region="330106")
    await timeline(b, [("unknown", 1, 2), ("up", 2, 6), ("down", 6, 8)])
    await timeline(c, [("up", -5, 3.5), ("down", 3.5, 4.5), ("up", 4.5, None)])
    await window("upstream", ids["core"], 0.5, 1.5)
    await window("camera", b, 5, 7)
    await window("site", ids["site"], 6, 9)
    await window("region", "3301", 9.5, 11)
    page = await camera_rows(ADMIN, "all", None, *PERIOD, now=LATER)
    assert page["total"] == 2 and [r["camera_id"] for r in page["items"]] == [c, b]
    row_c, row_b = page["items"]
    assert (row_b["in_service"], row_b["maintenance"], row_b["up"], row_b["unknown"], row_b["down"]) == (
        7 * H, 3.5 * H, 3 * H, 0.5 * H, 0.0)
    assert row_b["online_rate"] == 1.0 and row_b["unknown_share"] == approx(0.5 / 3.5)
    assert row_c["observed"] == 9.5 * H and row_c["online_rate"] == approx(8.5 / 9.5)
    assert row_c["gb_id"].startswith("330106") and row_b["declared_status"] == "decommissioned"
    by_unknown = await camera_rows(ADMIN, "all", None, *PERIOD, sort="unknown_share", now=LATER)
    assert [r["camera_id"] for r in by_unknown["items"]] == [b, c]
    second = await camera_rows(ADMIN, "all", None, *PERIOD, page=2, per_page=1, now=LATER)
    assert [r["camera_id"] for r in second["items"]] == [b] and second["total"] == 2
    beyond = await camera_rows(ADMIN, "all", None, *PERIOD, page=3, per_page=1, now=LATER)
    assert beyond["items"] == [] and beyond["total"] == 2


async def test_a_camera_without_observed_time_sorts_last_with_null_rates():
    # M unknown all period (online null), N up all period (online 1.0): N first, M last.
    m, n = await camera(15), await camera(16)
    await timeline(m, [("unknown", -1, None)])
    await timeline(n, [("up", -1, None)])
    page = await camera_rows(ADMIN, "all", None, *PERIOD, now=LATER)
    assert [(r["camera_id"], r["online_rate"]) for r in page["items"]] == [(n, 1.0), (m, None)]


async def test_a_period_that_has_not_begun_counts_nothing():
    # now = -1 h, before the period: no camera, no time, every figure null.
    p = await camera(17)
    await timeline(p, [("up", -5, None)])
    result = await uptime(ADMIN, "all", None, *PERIOD, now=at(-1))
    assert result.cameras == 0 and result.totals.in_service == 0.0
    assert result.figures() == {"online_rate": None, "working_rate": None, "unknown_share": None}
    assert result.sampled["instants"] == 0 and result.sampled["online_rate"] is None
    assert (await camera_rows(ADMIN, "all", None, *PERIOD, now=at(-1)))["total"] == 0


async def test_maintenance_is_taken_out_of_the_upstream_share_of_down_time():
    # Q: up [-1, 2), down upstream [2, 5), down own [5, 6), up [6, open); window [3, 4).
    # Down 4 h of which 1 h in maintenance -> counted down 3 h: upstream 2 h, own 1 h.
    ids = await records()
    cam = await camera(18, upstream=ids["edge"])
    await timeline(cam, [("up", -1, 2), ("down", 2, 5, "upstream", ids["core"]), ("down", 5, 6), ("up", 6, None)])
    await window("camera", cam, 3, 4)
    body = (await uptime(ADMIN, "all", None, *PERIOD, causes=True, now=LATER)).as_dict()
    assert body["seconds"]["down"] == 3 * H and body["seconds"]["maintenance"] == 1 * H
    assert body["down"]["upstream"] == 2 * H and body["down"]["own"] == 1 * H
    assert body["down"]["by_root_upstream"] == [{"upstream_id": ids["core"], "seconds": 2 * H}]
    row = (await camera_rows(ADMIN, "all", None, *PERIOD, now=LATER))["items"][0]
    assert (row["down_upstream"], row["down_own"]) == (2 * H, 1 * H)
