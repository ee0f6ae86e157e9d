"""Contract terms versions and the typed score over HTTP: who reads which version, the list after
replacements, each deduction's rule kind and the terms version that scored the month.

The world (contractors A and B, each with a contract on the shipped example terms) is the one of
test_tickets_api."""

from __future__ import annotations

import pytest

from assetsvc.tickets import lifecycle
from tests.integration.conftest import ADMIN, bearer
from tests.integration.test_tickets_api import API, World, example, march, open_ticket
from tests.integration.test_tickets_api import fresh_terms  # noqa: F401 - an autouse fixture


@pytest.fixture
async def w(people) -> World:
    return await World(people).build()


async def test_every_replacement_is_a_version_listed_newest_first(client, w):
    admin = bearer(w.people.admin)
    doc = example()
    doc["suspension_reasons"] = {"flood": "内涝 (flooding)"}
    assert (await client.put(f"{API}/contracts/{w.contract_a}/sla", json=doc, headers=admin)).status_code == 200
    listed = await client.get(f"{API}/contracts/{w.contract_a}/sla/versions", headers=bearer(w.people.auditor))
    assert listed.status_code == 200
    rows = listed.json()
    assert [(r["version"], r["updated_by"], r["current"]) for r in rows] == [(2, "admin", True),
                                                                            (1, "test-admin", False)]
    assert all("document" not in r for r in rows)
    first = await client.get(f"{API}/contracts/{w.contract_a}/sla/versions/1", headers=admin)
    assert first.status_code == 200
    assert first.json()["document"]["suspension_reasons"]["no_access"].startswith("无法进场")
    assert first.json()["current"] is False
    second = await client.get(f"{API}/contracts/{w.contract_a}/sla/versions/2", headers=admin)
    assert (second.json()["document"], second.json()["current"]) == (doc, True)


async def test_a_missing_version_is_404(client, w):
    response = await client.get(f"{API}/contracts/{w.contract_a}/sla/versions/7", headers=bearer(w.people.admin))
    assert response.status_code == 404 and "no terms version 7" in response.json()["detail"]


@pytest.mark.parametrize("path", ["sla/versions", "sla/versions/1"])
async def test_a_contractor_reads_the_versions_of_its_own_contract_only(client, w, path):
    own = await client.get(f"{API}/contracts/{w.contract_a}/{path}", headers=bearer(w.people.contractor_a))
    assert own.status_code == 200
    other = await client.get(f"{API}/contracts/{w.contract_b}/{path}", headers=bearer(w.people.contractor_a))
    assert other.status_code == 404
    anonymous = await client.get(f"{API}/contracts/{w.contract_a}/{path}")
    assert anonymous.status_code == 401


async def test_versions_take_no_query_parameters(client, w):
    response = await client.get(f"{API}/contracts/{w.contract_a}/sla/versions", params={"limit": 3},
                                headers=bearer(w.people.admin))
    assert response.status_code == 400 and "limit" in response.json()["detail"]


async def test_each_deduction_names_its_rule_kind_and_the_score_its_terms_version(client, w):
    one = await open_ticket(w.cam_a, march(10, 10))
    await lifecycle.act(w.user_a, one, "arrive", {}, now=march(10, 11.5))
    await lifecycle.act(ADMIN, one, "close", {"note": "办公室验收"}, now=march(10, 14.5))
    response = await client.get(f"{API}/contracts/{w.contract_a}/score",
                                params=[("month", "2025-03"), ("count", "missed_inspection:1")],
                                headers=bearer(w.people.auditor))
    assert response.status_code == 200, response.text
    score = response.json()
    assert score["terms_version"] == 1
    kinds = {d["rule"]: d["kind"] for d in score["deductions"]}
    assert kinds["late arrival"] == "late_ticket"
    assert kinds["late restore, per started hour"] == "late_hours"
    assert kinds["missed inspection"] == "per_count"
    faults = [d for d in score["deductions"] if d["kind"] == "fault_hours"]
    assert faults and all(d["counts"] for d in faults)
    assert all("counts" not in d for d in score["deductions"] if d["kind"] != "fault_hours")
