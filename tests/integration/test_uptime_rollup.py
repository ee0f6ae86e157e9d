"""The daily uptime rollup (uptime_day): closed days read from stored rows equal /uptime's day, and every
write that changes a closed day drops what it changes (figure before, change, figure after == /uptime).

T0 is 2026-01-15 16:00 at +08:00; the days are 14-17 January at +08:00 (long closed for the real now).
"""

from __future__ import annotations

import datetime as dt
import time

import pytest

from assetsvc import bulk, db
from assetsvc.monitoring import maintenance, stale, uptime, uptime_series
from assetsvc.monitoring.config import parse
from assetsvc.monitoring.history import batches
from assetsvc.monitoring.history.importer import import_history
from assetsvc.monitoring.tables import DeviceState, UptimeDay
from assetsvc.monitoring.uptime_scope import CameraSet
from assetsvc.registry import service_periods
from assetsvc.registry.tables import Camera, Site
from tests.integration.conftest import ADMIN
from tests.integration.test_monitoring_engine import config_text
from tests.integration.test_uptime_world import at, camera, service, timeline, window

DAYS = ("2026-01-14", "2026-01-18")
EVERY = CameraSet("all", None, "1 = 1")


def gb(n: int) -> str:
    return f"33010600011320{n:06d}"


async def world() -> dict[str, int]:
    """Three cameras in service from T0 - 40 h: one with an outage, one with a day-long hole, one degraded."""
    cams = {"a": await camera(1), "b": await camera(2), "c": await camera(3)}
    await timeline(cams["a"], [("up", -40, 10), ("down", 10, 14), ("up", 14, None)], periods=False)
    await timeline(cams["b"], [("up", -40, 20), ("up", 40, None)], periods=False)  # no data 20 .. 40
    await timeline(cams["c"], [("degraded", -40, 0), ("up", 0, None)], periods=False)
    for cam in cams.values():
        await service(cam, [(-40, None)])
    return cams


async def figures(cameras: CameraSet = EVERY, tz: str = "+08:00") -> list[tuple]:
    """Each day's (cameras, Totals) from the series, asserted equal (==) to uptime.compute of that day."""
    days, _ = uptime_series.day_bounds(*DAYS, tz)
    got = await uptime_series.totals_by_day(cameras, [(a, b) for _, a, b in days], time.time())
    for (day, a, b), (count, totals) in zip(days, got):
        want = await uptime.compute(cameras, a, b)
        assert (count, totals) == (want.cameras, want.totals), day
    return got


async def stored() -> int:
    return (await bulk.fetch(UptimeDay, "SELECT COUNT(*) AS n FROM uptime_day"))[0]["n"]


async def series() -> list[tuple]:
    days, _ = uptime_series.day_bounds(*DAYS, "+08:00")
    return await uptime_series.totals_by_day(EVERY, [(a, b) for _, a, b in days], time.time())


async def test_closed_days_are_stored_per_camera_and_per_set_and_read_back():
    await world()
    first = await figures()
    assert await stored() == 3 * 4  # every camera, every day
    assert (await bulk.fetch(UptimeDay, "SELECT COUNT(*) AS n FROM uptime_scope_day"))[0]["n"] == 4
    # The next read takes the set's stored day: a row changed behind the service's back shows ...
    async with db.write_transaction():
        await bulk.fetch(UptimeDay, "UPDATE uptime_scope_day SET down = down + 3600 WHERE day_start = ?", [at(-16)])
    again = await series()
    assert again[1][1].state["down"] == first[1][1].state["down"] + 3600
    assert [again[i] for i in (0, 2, 3)] == [first[i] for i in (0, 2, 3)]
    # ... and without it, the set's day is its cameras' rows added up again.
    async with db.write_transaction():
        await bulk.fetch(UptimeDay, "DELETE FROM uptime_scope_day")
        await bulk.fetch(UptimeDay, "UPDATE uptime_day SET up = up - 3600, down = down + 3600 WHERE day_start = ?",
                         [at(-16)])
    again = await series()
    assert again[1][1].state["down"] == first[1][1].state["down"] + 3 * 3600


async def test_today_is_computed_live_and_not_stored():
    cam = await camera(1)
    now = time.time()
    today = dt.datetime.fromtimestamp(now, dt.timezone(dt.timedelta(hours=8))).date()
    await service(cam, [((now - 3 * 86400 - at(0)) / 3600, None)])
    await timeline(cam, [("up", (now - 3 * 86400 - at(0)) / 3600, None)], periods=False)
    series = await uptime_series.daily(ADMIN, None, None, (today - dt.timedelta(days=2)).isoformat(),
                                       (today + dt.timedelta(days=1)).isoformat(), "+08:00", now)
    assert [d.cameras for d in series.days] == [1, 1, 1]
    rows = await bulk.fetch(UptimeDay, "SELECT day_end FROM uptime_day")
    assert rows and all(r["day_end"] + 3600 <= now for r in rows)  # no row for today


async def test_a_maintenance_window_created_over_the_past_drops_the_days_it_covers():
    cams = await world()
    before = await figures()
    await maintenance.create(ADMIN, {"scope": "camera", "ref": cams["a"], "starts_at": "2026-01-16T00:00:00+08:00",
                                     "ends_at": "2026-01-16T08:00:00+08:00", "reason": "光缆割接"})
    after = await figures()
    assert after[2] != before[2] and after[2][1].maintenance["down"] == 4 * 3600
    assert [after[i] for i in (0, 1, 3)] == [before[i] for i in (0, 1, 3)]


async def test_a_batch_of_windows_from_the_camera_picker_drops_the_days_it_covers():
    cams = await world()
    before = await figures()
    await maintenance.create_many(ADMIN, {"scope": "camera", "refs": [cams["a"], cams["c"]],
                                          "starts_at": "2026-01-16T00:00:00+08:00",
                                          "ends_at": "2026-01-16T08:00:00+08:00", "reason": "光缆割接"})
    after = await figures()
    assert after[2] != before[2] and after[2][1].maintenance["down"] == 4 * 3600


async def test_a_history_import_and_its_undo_drop_the_days_they_write():
    await world()
    before = await figures()
    report = await import_history(f"设备编码,状态,原因,开始时间,结束时间,来源\n{gb(2)},离线,,2026-01-16 14:00,"
                                  f"2026-01-16 20:00,旧平台\n".encode(), "h.csv", ADMIN, tz="+08:00")
    assert report.records == 1
    imported = await figures()
    assert imported[2][1].state["down"] == before[2][1].state["down"] + 6 * 3600
    await batches.undo(ADMIN, report.batch)
    assert await figures() == before


async def test_a_maintenance_history_import_and_its_undo_drop_the_days_they_reach():
    await world()
    before = await figures()
    report = await import_history("设备编码,范围,对象,开始时间,结束时间,维护原因,来源\n,region,330106,2026-01-15 "
                                  "10:00,2026-01-15 12:00,机房断电检修,旧平台\n".encode(), "w.csv", ADMIN,
                                  kind="maintenance", tz="+08:00")
    assert report.records == 1
    held = await figures()
    assert held[1][1].maintenance_total == 3 * 2 * 3600 and held[1] != before[1]
    await batches.undo(ADMIN, report.batch)
    assert await figures() == before


async def test_service_periods_changed_by_the_registry_drop_the_cameras_days():
    cams = await world()
    before = await figures()
    async with db.write_transaction():  # an import's 撤除日期: out of service from T0 + 4 h
        await service_periods.replace({cams["c"]: [(at(-40), at(4))]}, "import")
    after = await figures()
    assert after[2][0] == before[2][0] - 1 and after[1][1].in_service == before[1][1].in_service - 4 * 3600


async def test_a_camera_moved_under_a_sites_window_drops_its_days():
    cams = await world()
    site = Site(name="西溪路口", region_code="330106")
    await site.save().run()
    await window("site", site.id, 10, 14)  # a's outage, but a is not on that site yet
    before = await figures()
    await Camera.update({Camera.site: site.id}).where(Camera.id == cams["a"]).run()
    after = await figures()
    assert after[2][1].maintenance["down"] == 4 * 3600 and before[2][1].maintenance["down"] == 0


async def test_a_deleted_camera_leaves_the_rolled_up_days():
    cams = await world()
    before = await figures()
    await Camera.delete().where(Camera.id == cams["b"]).run()
    await service_periods.forget(cams["b"])
    after = await figures()
    assert [n for n, _ in after] == [n - 1 for n, _ in before]


async def test_a_late_transition_from_the_stale_sweep_drops_the_days_after_it():
    cam = await camera(1)
    await service(cam, [(-40, None)])
    await timeline(cam, [("up", -40, None)], periods=False)
    await DeviceState(subject_type="camera", subject_id=cam, state="up", cause="", since=at(-40), aspects={},
                      last_seen=at(10)).save().run()
    before = await figures()
    rules = parse(config_text(), "test").state_rules()
    assert await stale.sweep(rules, time.time()) == 1  # unknown from T0 + 10 h + stale_after_s
    after = await figures()
    assert after[2][1].state["up"] < before[2][1].state["up"] and after[0] == before[0]


async def test_another_offset_is_rolled_up_in_rows_of_its_own():
    await world()
    east = await figures(tz="+08:00")
    west = await figures(tz="-05:00")
    assert east != west
    starts = await bulk.fetch(UptimeDay, "SELECT COUNT(DISTINCT day_start) AS n FROM uptime_day")
    assert starts[0]["n"] == 8
    assert await figures(tz="+08:00") == east


async def test_a_contractors_read_rolls_up_its_cameras_only(people):
    cams = await world()
    await Camera.update({Camera.contractor: people.a_id}).where(Camera.id == cams["a"]).run()
    mine = CameraSet("all", None, "c.contractor = ?", (people.a_id,))
    got = await figures(mine)
    assert [n for n, _ in got] == [1, 1, 1, 1]
    rows = await bulk.fetch(UptimeDay, "SELECT DISTINCT camera_id FROM uptime_day")
    assert [r["camera_id"] for r in rows] == [cams["a"]]


async def test_the_nightly_job_rolls_up_every_camera_and_prunes_old_and_orphan_rows():
    cams = await world()
    await figures()  # the cameras' fingerprints are stored: their rows stay until a change
    now = at(8 + 48) + 3600  # 2026-01-18 01:00 +08:00: 17 January closed an hour ago
    async with db.write_transaction():
        await bulk.insert_rows(UptimeDay, [{"camera_id": cams["a"], "day_start": now - 500 * 86400,
                                            "day_end": now - 499 * 86400},
                                           {"camera_id": 999_999, "day_start": at(-16), "day_end": at(8)}])
    said = await uptime_series.roll_up(now, keep_days=400)
    assert said.startswith("31 days rolled up, 1 old rows pruned")
    rows = await bulk.fetch(UptimeDay, "SELECT camera_id, day_start FROM uptime_day WHERE day_start >= ?", [at(-40)])
    assert sorted((r["camera_id"], r["day_start"]) for r in rows) == sorted(
        (c, at(-16 + 24 * d)) for c in cams.values() for d in (-1, 0, 1, 2))
    assert not await bulk.fetch(UptimeDay, "SELECT id FROM uptime_day WHERE camera_id = 999999 OR day_end < ?",
                                [now - 400 * 86400])
    # The dashboard's sets are added up too: all cameras and each owner class, every day.
    sets = await bulk.fetch(UptimeDay, "SELECT COUNT(DISTINCT scope_key) AS k, COUNT(*) AS n FROM uptime_scope_day")
    assert (sets[0]["k"], sets[0]["n"]) == (4, 4 * 31)


@pytest.mark.parametrize("late", [True, False])
async def test_a_transition_written_within_the_grace_touches_no_rolled_up_day(late):
    from assetsvc.monitoring.uptime_forget import GRACE_S, forget
    cam = await camera(1)
    now = at(8 + 48) + 2 * GRACE_S
    async with db.write_transaction():
        await bulk.insert_rows(UptimeDay, [{"camera_id": cam, "day_start": at(-16 + 48), "day_end": at(8 + 48)}])
    applied = await forget([(cam, at(8 + 48) - 60 if late else now - GRACE_S / 2, None)], now)
    assert applied == (1 if late else 0)
    assert await stored() == (0 if late else 1)


async def test_a_device_moved_under_a_windowed_switch_drops_its_cameras_days():
    from assetsvc.registry.tables import UpstreamDevice
    core = UpstreamDevice(name="核心交换机", kind="switch", region_code="330106")
    await core.save().run()
    edge = UpstreamDevice(name="接入交换机", kind="switch", region_code="330106")
    await edge.save().run()
    cams = await world()
    await Camera.update({Camera.upstream: edge.id}).where(Camera.id == cams["a"]).run()
    await window("upstream", core.id, 10, 14)  # a's outage, but a's switch is not under the core yet
    before = await figures()
    await UpstreamDevice.update({UpstreamDevice.parent: core.id}).where(UpstreamDevice.id == edge.id).run()
    after = await figures()
    assert after[2][1].maintenance["down"] == 4 * 3600 and before[2][1].maintenance["down"] == 0


async def test_a_registry_with_large_camera_ids_rolls_up():
    # The members digest multiplies ids: it must not overflow PostgreSQL's 32-bit integers.
    cam = Camera(id=3_000_000, gb_id=gb(9), name="大编号摄像机", region_code="330106", status="active")
    await Camera.insert(cam).run()
    await service(3_000_000, [(-40, None)])
    await timeline(3_000_000, [("up", -40, None)], periods=False)
    assert [n for n, _ in await figures()] == [1, 1, 1, 1]
