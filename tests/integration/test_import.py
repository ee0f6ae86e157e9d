"""Importing office sheets into the registry: atomicity, upsert, history, dry run."""

from __future__ import annotations

import json

import pytest

from assetsvc.audit.tables import Change
from assetsvc.errors import ValidationFailed
from assetsvc.registry.importer import import_sheet
from assetsvc.registry.tables import Camera, Contractor, Owner, Station
from tests.conftest import SHARED_DATA
from tests.integration.conftest import ADMIN

SAMPLE = SHARED_DATA / "registry-sample.xlsx"
EXPECTED = SHARED_DATA / "registry-sample.expected.json"
pytestmark = pytest.mark.skipif(not SAMPLE.exists(), reason=f"{SAMPLE} is not present")


def sample() -> bytes:
    return SAMPLE.read_bytes()


async def test_atomic_import_of_sample_writes_nothing_and_names_every_bad_row():
    report = await import_sheet(sample(), SAMPLE.name, ADMIN)
    expected = json.loads(EXPECTED.read_text())["rows"]
    rejected = {r["row"] for r in report.rows if r["status"] == "rejected"}
    assert rejected == {int(k) for k, v in expected.items() if v["status"] == "error"}
    assert not report.written
    assert await Camera.count().run() == 0
    assert await Station.count().run() == 0
    assert await Change.count().run() == 0


async def test_skip_invalid_writes_the_285_valid_cameras_with_their_lookups():
    report = await import_sheet(sample(), SAMPLE.name, ADMIN, skip_invalid=True)
    assert (report.accepted, report.rejected, report.created) == (285, 15, 285)
    assert await Camera.count().run() == 285
    row = await Camera.select(Camera.mac, Camera.camera_type, Camera.station.name,
                              Camera.owner.owner_class, Camera.contractor.name) \
        .where(Camera.gb_id == "45020400801328001070").first().run()
    assert row["mac"] == "4C:11:BF:3D:EF:08"
    assert row["owner.owner_class"] == "social"
    assert row["contractor.name"] == "广西龙城智安科技有限公司"
    assert await Contractor.count().run() >= 3
    assert await Owner.count().where(Owner.owner_class == "police").run() >= 1


async def test_reimporting_the_same_sheet_changes_nothing():
    await import_sheet(sample(), SAMPLE.name, ADMIN, skip_invalid=True)
    before = await Change.count().run()
    report = await import_sheet(sample(), SAMPLE.name, ADMIN, skip_invalid=True)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 285)
    assert await Change.count().run() == before


async def test_changed_cell_is_one_update_with_before_and_after(tmp_path):
    await import_sheet(sample(), SAMPLE.name, ADMIN, skip_invalid=True)
    csv = ("设备编码,设备名称,行政区域,经度,纬度\n"
           "45020400801328001070,改名的球机,450204,109.386358,24.306004\n").encode()
    report = await import_sheet(csv, "fix.csv", ADMIN)
    assert (report.created, report.updated) == (0, 1)
    camera = await Camera.select(Camera.id, Camera.name, Camera.mac).where(
        Camera.gb_id == "45020400801328001070").first().run()
    assert camera["name"] == "改名的球机"
    assert camera["mac"] == "4C:11:BF:3D:EF:08"  # a column the sheet lacks is left alone
    last = await Change.select().where(Change.entity_id == camera["id"]).order_by(
        Change.id, ascending=False).first().output(load_json=True).run()
    assert last["action"] == "update"
    assert last["changes"] == {"name": ["柳南和谐苑6栋东北侧球机", "改名的球机"]}


async def test_dry_run_reports_without_writing():
    report = await import_sheet(sample(), SAMPLE.name, ADMIN, skip_invalid=True, dry_run=True)
    assert (report.created, report.written) == (285, False)
    assert await Camera.count().run() == 0
    assert await Station.count().run() == 0


@pytest.mark.parametrize("content,name", [
    (b"", "empty.xlsx"),
    (b"%PDF-1.4 not a sheet", "renamed.xlsx"),
    (b"PK\x03\x04garbage", "broken.xlsx"),
    (b"\x00\x01\x02", "data.bin"),
])
async def test_unreadable_file_is_one_clear_error_and_writes_nothing(content, name):
    with pytest.raises(ValidationFailed) as info:
        await import_sheet(content, name, ADMIN)
    assert info.value.errors[0]["field"] == "file"
    assert await Camera.count().run() == 0


async def test_custom_columns_survive_import_and_update():
    csv = ("设备编码,设备名称,行政区域,经度,纬度,杆件编号\n"
           "45020400041326001213,测试机,450204,109.388946,24.293187,GJ-001\n").encode()
    await import_sheet(csv, "custom.csv", ADMIN)
    row = await Camera.select(Camera.custom).first().output(load_json=True).run()
    assert row["custom"] == {"杆件编号": "GJ-001"}
