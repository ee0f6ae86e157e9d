"""Camera records through the API: normalising input, field errors, history, references."""

from __future__ import annotations

from assetsvc.audit.tables import Change
from tests.integration import world
from tests.integration.conftest import api_import, bearer


async def create(client, token, body):
    return await client.post("/api/v1/cameras/", json=body, headers=bearer(token))


async def test_messy_input_is_stored_in_canonical_form(client, people):
    body = world.camera_body(" ４５０２０４０００４１３２６００１２１３ ", people.a_id,
                             mac="4c11.bf3d.ef08", ipv4="１２７．０．０．９", camera_type="球机",
                             install_date="2019-03-05")
    response = await create(client, people.admin, body)
    assert response.status_code == 201, response.text
    camera = response.json()
    assert camera["gb_id"] == "45020400041326001213"
    assert camera["mac"] == "4C:11:BF:3D:EF:08"
    assert camera["ipv4"] == "127.0.0.9"
    assert camera["camera_type"] == 1
    assert camera["contractor_name"] == "甲运维公司"


async def test_invalid_camera_gets_errors_keyed_by_field(client, people):
    body = world.camera_body("4502040004132600121", people.a_id, ipv4="10.4.311.57",
                             longitude=24.3, latitude=109.4)
    response = await create(client, people.admin, body)
    assert response.status_code == 400
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"gb_id", "ipv4", "longitude", "latitude"} <= fields
    assert all(e["message"] for e in response.json()["errors"])


async def test_id_must_agree_with_region(client, people):
    body = world.camera_body("45020200041326001213", people.a_id)  # 城中区 ID, 柳南区 record
    response = await create(client, people.admin, body)
    assert response.status_code == 400
    kinds = {e["kind"] for e in response.json()["errors"]}
    assert "id_admin_mismatch" in kinds


async def test_duplicate_national_id_is_a_conflict(client, people):
    body = world.camera_body("45020400041326001213", people.a_id)
    assert (await create(client, people.admin, body)).status_code == 201
    response = await create(client, people.admin, body)
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "gb_id"


async def test_unknown_reference_is_a_field_error(client, people):
    body = world.camera_body("45020400041326001213", 99999)
    response = await create(client, people.admin, body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "contractor"


async def test_unknown_body_field_is_rejected(client, people):
    body = world.camera_body("45020400041326001213", people.a_id, colour="red")
    response = await create(client, people.admin, body)
    assert response.status_code == 400
    assert "colour" in response.text


async def test_update_records_only_changed_fields_with_before_and_after(client, people):
    camera = (await create(client, people.admin,
                           world.camera_body("45020400041326001213", people.a_id))).json()
    url = f"/api/v1/cameras/{camera['id']}"
    response = await client.patch(url, json={"name": "新名字", "networked": False,
                                             "retention_days": 90}, headers=bearer(people.admin))
    assert response.status_code == 200, response.text
    history = (await client.get(f"{url}/history", headers=bearer(people.auditor))).json()
    assert [h["action"] for h in history] == ["create", "update"]
    assert history[1]["actor"] == "admin"
    assert history[1]["changes"] == {"name": ["测试摄像机1213", "新名字"], "retention_days": [None, 90]}
    # The same patch again is no change and leaves no history.
    await client.patch(url, json={"name": "新名字"}, headers=bearer(people.admin))
    assert await Change.count().where((Change.entity == "camera") & (Change.entity_id == camera["id"])).run() == 2


async def test_update_that_breaks_a_rule_changes_nothing(client, people):
    camera = (await create(client, people.admin,
                           world.camera_body("45020400041326001213", people.a_id))).json()
    url = f"/api/v1/cameras/{camera['id']}"
    response = await client.patch(url, json={"region_code": "450202"}, headers=bearer(people.admin))
    assert response.status_code == 400
    assert (await client.get(url, headers=bearer(people.admin))).json()["region_code"] == "450204"


async def test_list_filters_sort_and_paginate(client, people):
    ids = await world.build(people.a_id, people.b_id)
    for n in range(3, 8):
        body = world.camera_body(f"4502040004132600000{n}", people.b_id, networked=n % 2 == 0)
        assert (await create(client, people.admin, body)).status_code == 201
    get = lambda q: client.get(f"/api/v1/cameras/?{q}", headers=bearer(people.admin))  # noqa: E731
    page = (await get("contractor=%d&sort=-gb_id&per_page=2&page=2" % people.b_id)).json()
    assert page["total"] == 6
    assert [c["gb_id"][-1] for c in page["items"]] == ["5", "4"]
    assert (await get("networked=true")).json()["total"] == 2
    assert (await get("owner_class=police")).json()["total"] == 2
    assert (await get("region=450200")).json()["total"] == 7
    assert (await get("region=450202")).json()["total"] == 0
    assert (await get("q=26000001")).json()["items"][0]["id"] == ids["cameras"]["a"]
    bad = await get("colour=red")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "colour"
    assert (await get("region=999999")).status_code == 400
    assert (await get("sort=password")).status_code == 400


async def test_summary_counts_by_region_and_owner_class(client, people):
    await world.build(people.a_id, people.b_id)
    body = (await client.get("/api/v1/summary", headers=bearer(people.auditor))).json()
    assert body["totals"]["police"] == 2 and body["totals"]["total"] == 2
    assert body["regions"][0]["region_name"].endswith("柳南区")
    mine = (await client.get("/api/v1/summary", headers=bearer(people.contractor_a))).json()
    assert mine["totals"]["total"] == 1


async def test_deleting_a_referenced_record_is_refused(client, people):
    ids = await world.build(people.a_id, people.b_id)
    response = await client.delete(f"/api/v1/stations/{ids['stations']['a']}",
                                   headers=bearer(people.admin))
    assert response.status_code == 409
    assert "camera" in response.json()["detail"]


async def test_deleted_camera_keeps_its_history(client, people):
    ids = await world.build(people.a_id, people.b_id)
    url = f"/api/v1/cameras/{ids['cameras']['a']}"
    assert (await client.delete(url, headers=bearer(people.admin))).status_code == 204
    assert (await client.get(url, headers=bearer(people.admin))).status_code == 404
    history = (await client.get(f"{url}/history", headers=bearer(people.admin))).json()
    assert [h["action"] for h in history] == ["create", "delete"]
    assert history[1]["changes"]["gb_id"] == ["45020400041326000001", None]


async def test_api_import_is_atomic_and_reports_rows(client, people):
    csv = ("设备编码,设备名称,行政区域,经度,纬度\n"
           "45020400041326001213,好的,450204,109.388946,24.293187\n"
           "4502040004132600121,坏的,450204,109.388946,24.293187\n").encode()
    files = {"data": ("sheet.csv", csv, "text/csv")}
    job = await api_import(client, people.admin, files)
    # The job's "rejected" is what the endpoint answered 422 for before imports became jobs.
    assert job["state"] == "rejected" and job["error"] is None
    report = job["report"]
    assert report["summary"]["written"] is False
    assert report["rows"][1]["status"] == "rejected" and report["rows"][1]["row"] == 3
    job = await api_import(client, people.admin, files, "?skip_invalid=true")
    assert job["state"] == "done" and job["report"]["summary"]["created"] == 1


async def test_api_import_of_garbage_is_one_clear_error(client, people):
    files = {"data": ("sheet.xlsx", b"PK\x03\x04 not really a zip", "application/octet-stream")}
    job = await api_import(client, people.admin, files)
    assert job["state"] == "failed" and job["report"] is None
    assert job["error"]["errors"][0]["field"] == "file"


async def test_topology_loop_is_refused(client, people):
    ids = await world.build(people.a_id, people.b_id)
    a, b = ids["devices"]["a"], ids["devices"]["b"]
    ok = await client.patch(f"/api/v1/devices/{b}", json={"parent": a}, headers=bearer(people.admin))
    assert ok.status_code == 200
    loop = await client.patch(f"/api/v1/devices/{a}", json={"parent": b}, headers=bearer(people.admin))
    assert loop.status_code == 400 and loop.json()["errors"][0]["kind"] == "cycle"
    itself = await client.patch(f"/api/v1/devices/{a}", json={"parent": a}, headers=bearer(people.admin))
    assert itself.status_code == 400


async def test_custom_values_the_import_would_refuse_are_refused_and_export_keeps_working(client, people):
    for custom, field in (({"备注": {"nested": 1}}, "custom.备注"), ({"杆号": [1, 2]}, "custom.杆号"),
                          ({"备注": "bell\x07"}, "custom.备注"),
                          ({"备注": "nul\x00"}, "body"),  # U+0000 anywhere is refused first (api/guard.py)
                          ({"bad\x01header": "x"}, "custom")):
        body = world.camera_body("45020400041326001213", people.a_id, custom=custom)
        response = await create(client, people.admin, body)
        assert response.status_code == 400, custom
        assert [e["field"] for e in response.json()["errors"]] == [field]
    created = await create(client, people.admin,
                           world.camera_body("45020400041326001213", people.a_id, custom={"备注": "好"}))
    url = f"/api/v1/cameras/{created.json()['id']}"
    patch = await client.patch(url, json={"custom": {"备注": {"a": "b"}}}, headers=bearer(people.admin))
    assert patch.status_code == 400 and patch.json()["errors"][0]["field"] == "custom.备注"
    for fmt in ("xlsx", "csv", "geojson"):
        response = await client.get(f"/api/v1/export?format={fmt}", headers=bearer(people.admin))
        assert response.status_code == 200, fmt


async def test_line_breaks_in_custom_values_fold_into_a_space_as_in_the_import(client, people):
    body = world.camera_body("45020400041326001213", people.a_id, custom={"备注": " 一行\n二行 ", "杆高": 6.5})
    response = await create(client, people.admin, body)
    assert response.status_code == 201, response.text
    assert response.json()["custom"] == {"备注": "一行 二行", "杆高": 6.5}
