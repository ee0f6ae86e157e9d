"""Export to XLSX/CSV/GeoJSON and the lossless export -> import round-trip."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from assetsvc.registry.exporter import export_cameras
from assetsvc.registry.fields import FIELDS
from assetsvc.registry.importer import import_sheet
from assetsvc.registry.tables import Camera, Contractor, Owner, Station
from tests.conftest import SHARED_DATA
from tests.integration.conftest import ADMIN

SAMPLE = SHARED_DATA / "registry-sample.xlsx"
pytestmark = pytest.mark.skipif(not SAMPLE.exists(), reason=f"{SAMPLE} is not present")
COMPARED = ("gb_id", "name", "vendor", "model", "region_code", "site_alias", "address", "longitude",
            "latitude", "ipv4", "ipv6", "mac", "camera_type", "point_class", "networked",
            "install_date", "retention_days", "light", "direction", "contact", "status", "custom")


async def snapshot() -> list[dict]:
    rows = await Camera.select(
        *[getattr(Camera, c) for c in COMPARED], Camera.station.name, Camera.owner.name,
        Camera.owner.owner_class, Camera.contractor.name,
    ).order_by(Camera.gb_id).output(load_json=True).run()
    return rows


async def wipe() -> None:
    for table in (Camera, Station, Owner, Contractor):
        await table.delete(force=True).run()


async def load_sample_with_custom_column() -> None:
    book = openpyxl.load_workbook(SAMPLE)
    sheet = book["一机一档"]
    sheet.cell(row=3, column=23, value="杆件编号")
    for row in range(4, 304):
        sheet.cell(row=row, column=23, value=f"GJ-{row:04d}" if row % 3 else None)
    out = io.BytesIO()
    book.save(out)
    report = await import_sheet(out.getvalue(), "sample+custom.xlsx", ADMIN, skip_invalid=True)
    assert report.created == 285


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
async def test_export_then_import_into_empty_registry_is_lossless(fmt):
    await load_sample_with_custom_column()
    before = await snapshot()
    assert any(r["custom"] for r in before)
    content = await export_cameras(ADMIN, fmt, {})
    await wipe()
    report = await import_sheet(content, f"export.{fmt}", ADMIN)
    assert (report.accepted, report.rejected, report.created) == (285, 0, 285)
    assert await snapshot() == before


async def test_reimporting_an_export_changes_nothing():
    await load_sample_with_custom_column()
    content = await export_cameras(ADMIN, "xlsx", {})
    report = await import_sheet(content, "export.xlsx", ADMIN)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 285)


async def test_xlsx_export_has_the_office_layout():
    await load_sample_with_custom_column()
    content = await export_cameras(ADMIN, "xlsx", {"region": "450202"})
    sheet = openpyxl.load_workbook(io.BytesIO(content))["一机一档"]
    width = len(FIELDS) + 1  # the standard columns, then the one custom column
    assert f"A1:{get_column_letter(width)}1" in {str(r) for r in sheet.merged_cells.ranges}
    assert [c.value for c in sheet[3]][:3] == ["设备编码", "设备名称", "设备厂商"]
    assert sheet.cell(row=3, column=width).value == "杆件编号"
    last = sheet.max_row
    assert sheet.cell(row=last, column=1).value == "合计"
    ids = [sheet.cell(row=r, column=1).value for r in range(4, last)]
    assert ids and all(i.startswith("450202") and len(i) == 20 for i in ids)


async def test_geojson_export_is_a_feature_collection_of_points():
    await load_sample_with_custom_column()
    data = json.loads(await export_cameras(ADMIN, "geojson", {"owner_class": "police"}))
    assert data["type"] == "FeatureCollection"
    feature = data["features"][0]
    assert feature["geometry"]["type"] == "Point"
    lon, lat = feature["geometry"]["coordinates"]
    assert 109 < lon < 110 and 24 < lat < 25
    assert {f["properties"]["owner_class"] for f in data["features"]} == {"公安自建"}
