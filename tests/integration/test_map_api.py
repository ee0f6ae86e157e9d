"""The map API: camera points with their state (scoped), and district outlines (upload checked whole)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from assetsvc import bulk, db
from assetsvc.audit.tables import Change
from assetsvc.errors import ValidationFailed
from assetsvc.monitoring.tables import DeviceState
from assetsvc.registry import crud
from assetsvc.registry.entities import CAMERA
from assetsvc.registry.outlines import service as outlines
from assetsvc.registry.tables import Camera, DistrictOutline
from tests.integration.conftest import ADMIN, bearer
from tests.integration.world import camera_body

OUTLINES = "/api/v1/map/outlines"


def square(lon: float, lat: float, size: float = 0.05) -> list:
    return [[[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]]


def feature(code, coordinates=None, kind="Polygon", prop="code"):
    return {"type": "Feature", "properties": {prop: code, "name": "x"},
            "geometry": {"type": kind, "coordinates": coordinates if coordinates is not None else square(109.3, 24.2)}}


def collection(*features) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


VALID = collection(feature("450204"), feature(450202, [square(109.4, 24.3), square(109.5, 24.3)], "MultiPolygon",
                                              prop="adcode"))

# One bad file per rule: (name, body, the field the error names, its kind).
INVALID = [
    ("not json", b"{\"type\": \"FeatureCollection\",", "data", "json"),
    ("nan", b'{"type": "FeatureCollection", "features": [NaN]}', "data", "json"),
    ("not utf-8", b'{"type": "FeatureCollection", "name": "\xb8\xdf"}', "data", "encoding"),
    ("empty body", b"", "data", "empty"),
    ("deeply nested", b"[" * 100_000 + b"]" * 100_000, "data", "json"),
    ("a bare geometry", json.dumps({"type": "Polygon", "coordinates": square(109, 24)}).encode(), "type", "type"),
    ("no features", collection(), "features", "required"),
    ("a feature that is not one", collection({"type": "Point"}), "features[0]", "type"),
    ("point geometry", collection(feature("450204", [109.3, 24.2], "Point")), "features[0].geometry.type", "type"),
    ("open ring", collection(feature("450204", [[[109, 24], [110, 24], [110, 25], [109, 25]] + [[109, 24.5]]])),
     "features[0].geometry.coordinates[0]", "ring_open"),
    ("ring of three", collection(feature("450204", [[[109, 24], [110, 24], [109, 24]]])),
     "features[0].geometry.coordinates[0]", "ring"),
    ("longitude out of range", collection(feature("450204", [[[109, 24], [190, 24], [110, 25], [109, 24]]])),
     "features[0].geometry.coordinates[0][1]", "range"),
    ("latitude out of range", collection(feature("450204", [[[24, 109], [25, 109], [25, 110], [24, 109]]])),
     "features[0].geometry.coordinates[0][0]", "range"),
    ("text coordinate", collection(feature("450204", [[["109", 24], [110, 24], [110, 25], ["109", 24]]])),
     "features[0].geometry.coordinates[0][0]", "position"),
    ("boolean coordinate", collection(feature("450204", [[[True, 24], [110, 24], [110, 25], [True, 24]]])),
     "features[0].geometry.coordinates[0][0]", "position"),
    ("unknown region", collection(feature("450204"), feature("999999")), "features[1].properties", "unknown_region"),
    ("no region code", collection(feature("450204", prop="名称")), "features[0].properties", "required"),
    ("malformed code", collection(feature("45020")), "features[0].properties.code", "invalid"),
    ("duplicate region", collection(feature("450204"), feature("450204")), "features[1].properties", "duplicate"),
]


async def put(client, token, body: bytes, query: str = ""):
    return await client.put(f"{OUTLINES}{query}", content=body, headers={**bearer(token),
                                                                          "Content-Type": "application/json"})


async def test_valid_outlines_are_stored_and_read_back_as_geojson(client, people):
    response = await put(client, people.admin, VALID)
    assert response.status_code == 200, response.text
    assert [(r["region_code"], r["name"], r["geometry_type"]) for r in response.json()["regions"]] == [
        ("450202", "城中区", "MultiPolygon"), ("450204", "柳南区", "Polygon")]
    for token in (people.admin, people.auditor, people.contractor_a):
        read = await client.get(OUTLINES, headers=bearer(token))
        assert read.status_code == 200
        doc = read.json()
        assert doc["type"] == "FeatureCollection" and doc["datum"] == "wgs84"
        assert [f["properties"]["code"] for f in doc["features"]] == ["450202", "450204"]
        assert doc["features"][1]["geometry"]["coordinates"] == square(109.3, 24.2)
    changes = await Change.select().where(Change.entity == outlines.ENTITY).run()
    assert len(changes) == 1 and changes[0]["actor"] == "admin"


async def test_an_upload_replaces_the_set_and_keeps_the_datum(client, people):
    assert (await put(client, people.admin, VALID)).status_code == 200
    response = await put(client, people.admin, collection(feature("450205")), "?datum=gcj02")
    assert response.status_code == 200, response.text
    doc = (await client.get(OUTLINES, headers=bearer(people.admin))).json()
    assert [f["properties"]["code"] for f in doc["features"]] == ["450205"] and doc["datum"] == "gcj02"
    last = (await Change.select().where(Change.entity == outlines.ENTITY).order_by(Change.id, ascending=False)
            .first().output(load_json=True).run())
    assert last["changes"] == {"regions": [["450202", "450204"], ["450205"]], "datum": ["wgs84", "gcj02"]}


@pytest.mark.parametrize("name,body,field,kind", INVALID, ids=[c[0] for c in INVALID])
async def test_a_bad_file_is_refused_by_name_and_nothing_changes(client, people, name, body, field, kind):
    assert (await put(client, people.admin, VALID)).status_code == 200
    response = await put(client, people.admin, body)
    assert response.status_code == 400, response.text
    errors = response.json()["errors"]
    assert {"field": field, "kind": kind} == {k: errors[0][k] for k in ("field", "kind")}, errors
    assert sorted(r["region_code"] for r in await DistrictOutline.select().run()) == ["450202", "450204"]


async def test_only_the_named_property_is_read_for_the_code(client, people):
    body = collection({"type": "Feature", "properties": {"code": "450204", "DISTRICT": "450202"},
                       "geometry": {"type": "Polygon", "coordinates": square(109, 24)}})
    response = await put(client, people.admin, body, "?property=DISTRICT")
    assert response.status_code == 200, response.text
    assert [r["region_code"] for r in response.json()["regions"]] == ["450202"]


async def test_unknown_datum_and_query_parameters_are_refused(client, people):
    assert (await put(client, people.admin, VALID, "?datum=bd09")).json()["errors"][0]["field"] == "datum"
    assert (await put(client, people.admin, VALID, "?datums=wgs84")).status_code == 400
    assert await DistrictOutline.count().run() == 0


async def test_a_file_over_the_limit_is_refused_with_the_limit_named():
    with pytest.raises(ValidationFailed) as caught:
        await outlines.upload(ADMIN, VALID, max_bytes=100)
    assert caught.value.errors[0]["kind"] == "too_large" and "OUTLINE_MAX_MB" in caught.value.message


async def test_many_bad_features_are_listed_up_to_the_cap(client, people):
    body = collection(*[feature("999999") for _ in range(80)])
    response = await put(client, people.admin, body)
    assert response.status_code == 400
    assert len(response.json()["errors"]) == 50 and response.json()["detail"].startswith("80 of 80 features")


@pytest.mark.parametrize("role,put_status,delete_status,read_status", [
    ("anonymous", 401, 401, 401), ("auditor", 403, 403, 200), ("contractor_a", 403, 403, 200), ("admin", 200, 200, 200)])
async def test_only_the_office_admin_changes_outlines(client, people, role, put_status, delete_status, read_status):
    headers = {} if role == "anonymous" else bearer(getattr(people, role))
    sent = await client.put(OUTLINES, content=VALID, headers={**headers, "Content-Type": "application/json"})
    assert sent.status_code == put_status
    assert (await client.get(OUTLINES, headers=headers)).status_code == read_status
    await outlines.upload(ADMIN, VALID, max_bytes=2**20)
    removed = await client.delete(OUTLINES, headers=headers)
    assert removed.status_code == delete_status
    assert await DistrictOutline.count().run() == (0 if delete_status == 200 else 2)


async def test_delete_leaves_an_empty_collection(client, people):
    await outlines.upload(ADMIN, VALID, max_bytes=2**20)
    assert (await client.delete(OUTLINES, headers=bearer(people.admin))).json() == {"deleted": 2}
    assert (await client.get(OUTLINES, headers=bearer(people.admin))).json()["features"] == []


async def _cameras(people) -> dict[str, int]:
    made = {}
    for key, gb, contractor, extra in (
        ("a_down", "45020400041326001201", people.a_id, {"longitude": 109.30, "latitude": 24.20}),
        ("a_new", "45020400041326001202", people.a_id, {"longitude": 109.31, "latitude": 24.21}),
        ("b_up", "45020400041326001203", people.b_id, {"longitude": 109.32, "latitude": 24.22}),
        ("b_planned", "45020400041326001204", people.b_id, {"status": "planned"}),
        ("a_nowhere", "45020400041326001205", people.a_id, {}),
    ):
        made[key] = (await crud.create_record(CAMERA, ADMIN, camera_body(gb, contractor, **extra)))["id"]
    # A record from before coordinates were required (the validator refuses it now).
    await Camera.update({Camera.longitude: None, Camera.latitude: None}).where(Camera.id == made["a_nowhere"]).run()
    await DeviceState.insert(
        DeviceState(subject_type="camera", subject_id=made["a_down"], state="down", cause="reach:timeout", since=1.0),
        DeviceState(subject_type="camera", subject_id=made["b_up"], state="up", cause="", since=1.0)).run()
    return made


async def test_points_carry_each_in_service_cameras_position_and_state(client, people):
    made = await _cameras(people)
    response = await client.get("/api/v1/map/points", headers=bearer(people.auditor))
    assert response.status_code == 200, response.text
    doc = response.json()
    assert doc["datum"] == "WGS-84" and doc["count"] == 3 and doc["without_position"] == 1
    by_id = {i: (doc["lon"][n], doc["lat"][n], doc["states"][doc["state"][n]], doc["causes"][doc["cause"][n]])
             for n, i in enumerate(doc["id"])}
    assert by_id == {made["a_down"]: (109.30, 24.20, "down", "reach:timeout"),
                     made["a_new"]: (109.31, 24.21, "unknown", ""),
                     made["b_up"]: (109.32, 24.22, "up", "")}


async def test_points_are_gzipped_for_clients_that_accept_it(client, people):
    rows = [{"gb_id": f"450204000413260{n:05d}", "name": f"摄像机{n}", "region_code": "450204", "status": "active",
             "longitude": 109.3 + n / 10_000, "latitude": 24.2 + n / 10_000} for n in range(200)]
    async with db.write_transaction():
        await bulk.insert_rows(Camera, rows)
    response = await client.get("/api/v1/map/points", headers={**bearer(people.admin), "Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.headers["content-encoding"] == "gzip"
    assert response.json()["count"] == 200  # httpx undid the gzip
    assert response.headers["cache-control"] == "no-store"
    plain = await client.get("/api/v1/map/points", headers={**bearer(people.admin), "Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.json() == {**response.json(), "at": plain.json()["at"]}


async def test_a_contractor_gets_only_the_points_it_maintains(client, people):
    made = await _cameras(people)
    doc = (await client.get("/api/v1/map/points", headers=bearer(people.contractor_a))).json()
    assert sorted(doc["id"]) == sorted([made["a_down"], made["a_new"]])
    assert (await client.get("/api/v1/map/points")).status_code == 401


def assetsvc(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assetsvc.cli", *args], capture_output=True, text=True,
                          timeout=120, env=dict(os.environ))


async def test_cli_loads_shows_refuses_and_deletes_outlines(tmp_path):
    good, bad = tmp_path / "ok.geojson", tmp_path / "bad.geojson"
    good.write_bytes(VALID)
    bad.write_bytes(collection(feature("450204"), feature("999999")))
    loaded = assetsvc("outlines", "load", str(good))
    assert loaded.returncode == 0, loaded.stderr
    assert "450204  柳南区  Polygon  5 vertices" in loaded.stdout and "2 districts" in loaded.stdout
    refused = assetsvc("outlines", "load", str(bad))
    assert refused.returncode == 1 and "features[1].properties: 999999 is not a GB/T 2260 region code" in refused.stderr
    assert "2 districts" in assetsvc("outlines", "show").stdout
    assert "2 district outlines removed" in assetsvc("outlines", "delete", "--yes").stdout
    assert await DistrictOutline.count().run() == 0
