"""联网上级平台: a camera's flag and date of being networked to the provincial platform, through the
import, the export, the API and the monthly report's registry section."""

from __future__ import annotations

import csv
import io

from assetsvc.registry.exporter import export_cameras
from assetsvc.registry.importer import import_sheet
from assetsvc.registry.tables import Camera
from tests.integration.conftest import ADMIN, bearer

HEADERS = "设备编码,设备名称,行政区域,经度,纬度,联网上级平台,联网上级平台日期\n"


async def test_the_sheet_carries_the_flag_and_date_both_ways():
    sheet = (HEADERS + "33010600131320000001,东门,330106,120.13,30.27,是,2026-10-08\n"
                       "33010600131320000002,西门,330106,120.13,30.27,未联网上级平台,\n").encode()
    report = await import_sheet(sheet, "province.csv", ADMIN)
    assert report.created == 2
    stored = await Camera.select(Camera.gb_id, Camera.province_networked, Camera.province_networked_on).order_by(
        Camera.gb_id).run()
    assert [(r["province_networked"], str(r["province_networked_on"])[:10] if r["province_networked_on"] else None)
            for r in stored] == [(True, "2026-10-08"), (False, None)]
    exported = list(csv.reader(io.StringIO((await export_cameras(ADMIN, "csv", {})).decode("utf-8-sig"))))
    flag, since = exported[0].index("联网上级平台"), exported[0].index("联网上级平台日期")
    assert [(row[flag], row[since]) for row in exported[1:]] == [("已联网上级平台", "2026-10-08"), ("未联网上级平台", "")]


async def test_a_date_without_the_flag_is_refused_naming_the_field():
    sheet = (HEADERS + "33010600131320000003,南门,330106,120.13,30.27,否,2026-10-08\n").encode()
    report = await import_sheet(sheet, "province.csv", ADMIN)
    assert report.created == 0
    assert [e["field"] for row in report.rows if row["status"] == "rejected" for e in row["errors"]] == \
        ["province_networked_on"]
    assert await Camera.count().run() == 0


async def test_the_api_takes_and_filters_the_flag(people, client):
    body = {"gb_id": "33010600131320000004", "name": "北门", "region_code": "330106", "longitude": 120.13,
            "latitude": 30.27, "province_networked": True, "province_networked_on": "2026-11-02"}
    made = await client.post("/api/v1/cameras", json=body, headers=bearer(people.admin))
    assert made.status_code == 201, made.text
    assert (made.json()["province_networked"], made.json()["province_networked_on"]) == (True, "2026-11-02")
    found = await client.get("/api/v1/cameras", params={"province_networked": "true"}, headers=bearer(people.admin))
    assert [c["gb_id"] for c in found.json()["items"]] == ["33010600131320000004"]
    bad = await client.patch(f"/api/v1/cameras/{made.json()['id']}", json={"province_networked": False},
                             headers=bearer(people.admin))
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "province_networked_on"
