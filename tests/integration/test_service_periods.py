"""Service periods (在用时段): kept as records, opened and closed by the status, set by an import, counted by uptime.

The month below is worked by hand in hours from T0 (tests/integration/test_uptime_world.py).
"""

from __future__ import annotations

import datetime as dt

import pytest

from assetsvc.audit.tables import Change
from assetsvc.monitoring.service import fault_seconds
from assetsvc.monitoring.uptime import uptime
from assetsvc.monitoring.uptime_cameras import camera_rows
from assetsvc.registry import service_periods as periods
from assetsvc.registry.exporter import export_cameras
from assetsvc.registry.importer import import_sheet
from assetsvc.registry.tables import Camera, ServicePeriod
from tests.integration import world
from tests.integration.conftest import ADMIN, bearer
from tests.integration.test_uptime_world import H, at, camera, timeline

DAY = dt.date


async def test_a_camera_taken_out_of_service_and_brought_back_counts_only_inside_its_two_periods():
    cam = await camera(1)
    # Registered a day before the period; decommissioned at 10 h; back in service at 30 h.
    await periods.follow_status(cam, "active", at(-24))
    await periods.follow_status(cam, "decommissioned", at(10))
    await periods.follow_status(cam, "active", at(30))
    assert (await periods.stored_periods([cam]))[cam] == [(at(-24), at(10)), (at(30), None)]
    # Up, then down until it is taken out. Between the periods an old platform's record says
    # up (outside service: not counted). Back at 30 h: unknown for an hour, up until 40 h, then
    # no data at all (the prober stopped): unknown, never "not in service".
    await timeline(cam, [("up", -24, 6), ("down", 6, 10), ("up", 12, 14), ("unknown", 30, 31), ("up", 31, 40)],
                   periods=False)
    result = await uptime(ADMIN, "camera", str(cam), at(0), at(48), now=at(48), causes=True)
    body = result.as_dict()
    # In service: [0, 10) and [30, 48) = 28 h. Up 6 + 9 = 15 h, down 4 h, unknown 1 + 8 = 9 h.
    assert body["seconds"]["in_service"] == pytest.approx(28 * H)
    assert (body["seconds"]["up"], body["seconds"]["down"], body["seconds"]["unknown"]) == pytest.approx(
        (15 * H, 4 * H, 9 * H))
    assert body["online_rate"] == pytest.approx(15 / 19)
    assert body["unknown_share"] == pytest.approx(9 / 28)
    assert body["causes"]["unknown"] == pytest.approx({"stale": 1 * H, "no_data": 8 * H})
    # Hourly instants 0..47: 28 in service, 19 of them known (15 up, 4 down); each weighs the same.
    assert (body["sampled"]["instants"], body["sampled"]["counted"], body["sampled"]["skipped"]) == (48, 19, 29)
    assert body["sampled"]["online_rate"] == pytest.approx(15 / 19)
    page = await camera_rows(ADMIN, "camera", str(cam), at(0), at(48), now=at(48))
    assert page["total"] == 1
    assert page["items"][0]["in_service"] == pytest.approx(28 * H)
    assert page["items"][0]["unknown"] == pytest.approx(9 * H)
    assert (await fault_seconds([cam], at(0), at(48), now=at(48))).by_camera == pytest.approx({cam: 4 * H})
    # Between the periods the camera counts nowhere: no camera, no rate.
    gap = await uptime(ADMIN, "camera", str(cam), at(11), at(29), now=at(48))
    assert (gap.cameras, gap.totals.in_service, gap.figures()["online_rate"]) == (0, 0.0, None)


async def test_the_record_shows_the_registration_date_and_where_it_left_service_its_decommissioning_date():
    cam = await camera(2)
    # T0 is 2026-01-15 08:00 UTC, 16:00 in Shanghai (the office's time zone in the tests).
    await periods.follow_status(cam, "active", at(-24))
    await periods.follow_status(cam, "decommissioned", at(10))
    dates = (await periods.service_dates([cam]))[cam]
    assert (dates.registered_on, dates.decommissioned_on) == (DAY(2026, 1, 14), DAY(2026, 1, 16))
    await periods.follow_status(cam, "under_repair", at(30))  # under repair is in service
    dates = (await periods.service_dates([cam]))[cam]
    assert (dates.registered_on, dates.decommissioned_on, len(dates.periods)) == (DAY(2026, 1, 14), None, 2)
    await periods.follow_status(cam, "active", at(31))  # still in service: nothing changes
    assert len((await periods.stored_periods([cam]))[cam]) == 2


async def test_status_changes_through_the_api_open_and_close_periods_and_the_record_shows_the_dates(client, people):
    body = world.camera_body("45020400041326001213", people.a_id)
    created = await client.post("/api/v1/cameras/", json=body, headers=bearer(people.admin))
    assert created.status_code == 201, created.text
    cam = created.json()
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date().isoformat()
    assert (cam["registered_on"], cam["decommissioned_on"]) == (today, None)
    url = f"/api/v1/cameras/{cam['id']}"
    off = await client.patch(url, json={"status": "decommissioned"}, headers=bearer(people.admin))
    assert off.status_code == 200, off.text
    assert (off.json()["registered_on"], off.json()["decommissioned_on"]) == (today, today)
    back = await client.patch(url, json={"status": "active"}, headers=bearer(people.admin))
    assert back.json()["decommissioned_on"] is None
    stored = (await periods.stored_periods([cam["id"]]))[cam["id"]]
    assert len(stored) == 2 and stored[0][1] is not None and stored[1][1] is None
    listed = await client.get("/api/v1/cameras/?status=active", headers=bearer(people.contractor_a))
    assert listed.json()["items"][0]["registered_on"] == today
    shown = await client.get(f"{url}/service-periods", headers=bearer(people.contractor_a))
    assert shown.status_code == 200, shown.text
    assert [p["to"] is None for p in shown.json()["periods"]] == [False, True]
    assert shown.json()["periods"][0]["from"].endswith("+08:00")
    assert (await client.get(f"{url}/service-periods", headers=bearer(people.contractor_b))).status_code == 404
    assert (await client.delete(url, headers=bearer(people.admin))).status_code in (200, 204)
    assert await ServicePeriod.count().where(ServicePeriod.camera_id == cam["id"]).run() == 0


HEAD = "设备编码,设备名称,行政区域,经度,纬度,设备状态,注册日期,撤除日期\n"
ROWS = ("45020400041326001213,在用球机,450204,109.388946,24.293187,在用,2025-06-01,\n"
        "45020400041326001214,已拆除枪机,450204,109.388946,24.293187,停用,2025-03-01,2025-11-20\n")


async def test_an_import_sets_registration_and_decommissioning_dates_and_reading_the_export_back_changes_nothing():
    report = await import_sheet((HEAD + ROWS).encode(), "dates.csv", ADMIN)
    assert (report.created, report.rejected) == (2, 0), report.to_json()
    ids = {r["gb_id"]: r["id"] for r in await Camera.select(Camera.id, Camera.gb_id).run()}
    found = await periods.service_dates(ids.values())
    active, gone = found[ids["45020400041326001213"]], found[ids["45020400041326001214"]]
    assert (active.registered_on, active.decommissioned_on) == (DAY(2025, 6, 1), None)
    assert (gone.registered_on, gone.decommissioned_on) == (DAY(2025, 3, 1), DAY(2025, 11, 20))
    # Midnight in the office's time zone (Shanghai, +08:00) opens each date.
    assert gone.periods == ((dt.datetime(2025, 2, 28, 16, tzinfo=dt.timezone.utc).timestamp(),
                             dt.datetime(2025, 11, 19, 16, tzinfo=dt.timezone.utc).timestamp()),)
    exported = (await export_cameras(ADMIN, "csv", {})).decode("utf-8-sig")
    header, first, second = exported.splitlines()[:3]
    assert "注册日期" in header and "撤除日期" in header
    assert "2025-03-01" in second and "2025-11-20" in second and "2025-06-01" in first
    again = await import_sheet(exported.encode(), "export.csv", ADMIN)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    # A later registration date moves the start; the change log says so.
    moved = await import_sheet((HEAD + ROWS.replace("2025-06-01", "2025-07-01")).encode(), "moved.csv", ADMIN)
    assert (moved.updated, moved.unchanged) == (1, 1)
    last = await Change.select().where(Change.entity_id == ids["45020400041326001213"]).order_by(
        Change.id, ascending=False).first().output(load_json=True).run()
    assert last["changes"] == {"registered_on": ["2025-06-01", "2025-07-01"]}


@pytest.mark.parametrize("row, field, words", [
    ("45020400041326001215,在用却撤除,450204,109.388946,24.293187,在用,2025-06-01,2025-08-01",
     "decommissioned_on", "is in service"),
    ("45020400041326001216,先撤后建,450204,109.388946,24.293187,停用,2025-06-01,2025-05-01",
     "decommissioned_on", "after the registration"),
    ("45020400041326001217,未来启用,450204,109.388946,24.293187,在用,2099-01-01,",
     "registered_on", "future"),
])
async def test_dates_that_cannot_make_service_periods_reject_the_row_and_write_nothing(row, field, words):
    report = await import_sheet((HEAD + ROWS + row + "\n").encode(), "bad.csv", ADMIN)
    rejected = [r for r in report.rows if r["status"] == "rejected"]
    assert [(r["row"], r["errors"][0]["field"]) for r in rejected] == [(4, field)]
    assert words in rejected[0]["errors"][0]["reason"]
    assert await Camera.count().run() == 0 and await ServicePeriod.count().run() == 0


async def test_the_migration_gives_cameras_in_service_one_open_period_from_their_creation():
    import importlib

    migration = importlib.import_module("assetsvc.registry.migrations.registry_2026_12_06t20_41_00_000000")
    made = dt.datetime(2025, 5, 4, 3, 2, 1, tzinfo=dt.timezone.utc)
    ids = {}
    for n, status in enumerate(("active", "under_repair", "decommissioned", "planned"), start=1):
        row = Camera(gb_id=f"330106000113200000{n:02d}", name=f"旧摄像机{n}", region_code="330106", status=status,
                     created_at=made)
        await row.save().run()
        ids[status] = row.id
    await migration.backfill()
    stored = await periods.stored_periods(ids.values())
    assert stored == {ids["active"]: [(made.timestamp(), None)], ids["under_repair"]: [(made.timestamp(), None)]}
    await migration.backfill()  # run again: nothing doubles
    assert await ServicePeriod.count().run() == 2
