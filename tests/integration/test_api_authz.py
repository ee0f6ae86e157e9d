"""Authorisation matrix: every registry endpoint x every role, declared as data."""

from __future__ import annotations

import pytest

from assetsvc.registry.entities import ENTITIES
from tests.integration import world
from tests.integration.conftest import bearer

SEES_ALL = {e.name for e in ENTITIES if e.contractor_sees_all}
SCOPED = {e.name for e in ENTITIES if e.contractor_column and not e.contractor_sees_all}
HIDDEN_FROM_CONTRACTORS = {e.name for e in ENTITIES} - SEES_ALL - SCOPED
NAMES = [e.name for e in ENTITIES]
UPDATES = {
    "regions": None, "stations": {"contact": "0772-1"}, "sites": {"alias": "新俗称"}, "coverage-plans": {"planned": 5},
    "owners": {"contact": "0772-2"}, "contractors": {"phone": "0772-3"}, "contracts": {"note": "续签"},
    "credentials": {"username": "operator"}, "devices": {"model": "S5735"},
    "cameras": {"name": "改名后的摄像机"},
}


def expected(role: str, action: str, entity: str, whose: str) -> int:
    """The status a role gets; `whose` is 'a' (contractor A's record) or 'b'."""
    reads = {"list": 200, "read": 200, "history": 200}
    writes = {"create": 201, "update": 200, "delete": 204}
    if role == "anonymous":
        return 401
    if role == "admin":
        return {**reads, **writes}[action]
    if action in writes:
        return 403
    if role == "auditor" or entity in SEES_ALL:
        return 200
    if entity in HIDDEN_FROM_CONTRACTORS:
        return 403
    if action == "list":
        return 200
    return 200 if whose == "a" else 404


async def call(client, token, action, entity, record_id, body):
    headers = bearer(token) if token else {}
    base = f"/api/v1/{entity}"
    if action == "list":
        return await client.get(f"{base}/", headers=headers)
    if action == "read":
        return await client.get(f"{base}/{record_id}", headers=headers)
    if action == "history":
        return await client.get(f"{base}/{record_id}/history", headers=headers)
    if action == "create":
        return await client.post(f"{base}/", json=body, headers=headers)
    if action == "update":
        return await client.patch(f"{base}/{record_id}", json=body, headers=headers)
    return await client.delete(f"{base}/{record_id}", headers=headers)


CASES = [
    (role, action, entity, whose)
    for role in ("anonymous", "admin", "auditor", "contractor")
    for entity in NAMES
    for action in ("list", "read", "history", "create", "update", "delete")
    for whose in (("a", "b") if action in ("read", "history", "update", "delete") else ("a",))
    if not (action == "update" and UPDATES[entity] is None)
]


@pytest.mark.parametrize("role,action,entity,whose", CASES)
async def test_role_gets_expected_status(client, people, role, action, entity, whose):
    ids = await world.build(people.a_id, people.b_id)
    token = {"anonymous": None, "admin": people.admin, "auditor": people.auditor,
             "contractor": people.contractor_a}[role]
    body = world.bodies(people.a_id, people.b_id)[entity] if action == "create" else UPDATES[entity]
    record_id = ids[entity][whose]
    response = await call(client, token, action, entity, record_id, body)
    want = expected(role, action, entity, whose)
    if want == 204 and response.status_code == 409:
        # Still referenced by other records: the admin is allowed, the data forbids it.
        assert "still used" in response.json()["detail"]
        return
    assert response.status_code == want, response.text
    if response.status_code >= 400:
        assert response.json()["detail"]


async def test_contractor_list_shows_only_own_cameras(client, people):
    ids = await world.build(people.a_id, people.b_id)
    response = await client.get("/api/v1/cameras/", headers=bearer(people.contractor_a))
    assert [c["id"] for c in response.json()["items"]] == [ids["cameras"]["a"]]
    response = await client.get("/api/v1/cameras/", headers=bearer(people.contractor_b))
    assert [c["id"] for c in response.json()["items"]] == [ids["cameras"]["b"]]


async def test_contractor_export_holds_only_own_cameras(client, people):
    await world.build(people.a_id, people.b_id)
    response = await client.get("/api/v1/export?format=geojson", headers=bearer(people.contractor_b))
    assert [f["id"] for f in response.json()["features"]] == ["45020400041326000002"]


async def test_contractor_cannot_import(client, people):
    files = {"data": ("x.csv", "设备编码,设备名称\n".encode(), "text/csv")}
    response = await client.post("/api/v1/import", files=files, headers=bearer(people.contractor_a))
    assert response.status_code == 403


async def test_openapi_schema_needs_a_token(client, people):
    assert (await client.get("/api/v1/schema/openapi.json")).status_code == 401
    response = await client.get("/api/v1/schema/openapi.json", headers=bearer(people.auditor))
    assert response.status_code == 200
    assert "/api/v1/cameras/{record_id}" in response.json()["paths"]
