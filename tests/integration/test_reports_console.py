"""What the office's report console needs from the API: the changes between two versions of a month,
and the mandatory field list (一机一档必填项) the office edits, validated, versioned, auditor read-only."""

from __future__ import annotations

import pytest

from assetsvc.reports import versions
from assetsvc.reports.tables import MandatoryFieldsDocument
from assetsvc.tickets.store import TERMS
from tests.integration import report_world
from tests.integration.conftest import ADMIN, bearer
from tests.integration.test_tickets_score import at

NOW = at(12, 2, 9)
CITY = "city"


@pytest.fixture(autouse=True)
def fresh_terms():
    TERMS._parsed.clear()


async def test_a_shorter_mandatory_list_makes_a_new_draft_and_the_diff_shows_the_completeness_moving(people, client):
    await report_world.build(people.a_id)
    await versions.generate(ADMIN, "2026-11", now=NOW)
    await versions.approve(ADMIN, "2026-11", 1, now=NOW)
    put = await client.put("/api/v1/report-rules/mandatory", json={"fields": ["gb_id", "name"], "class1": []},
                           headers=bearer(people.admin))
    assert put.status_code == 200, put.text
    assert (put.json()["version"], put.json()["fields"], put.json()["default"]) == (1, ["gb_id", "name"], False)
    assert (await versions.generate(ADMIN, "2026-11", now=NOW))["version"] == 2
    answer = await client.get("/api/v1/reports/2026-11/diff", params={"from": 1, "to": 2},
                              headers=bearer(people.auditor))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["from"]["version"], body["to"]["version"]) == (1, 2)
    moved = {(c["section"], c["scope"], c["field"]): (c["before"], c["after"]) for c in body["changes"]}
    before, after = moved[("registry", CITY, "completeness_rate")]
    assert after == 1.0 and before < 1.0  # every in-service record now has its (two) mandatory fields
    assert body["total"] == len(body["changes"])
    # The other way round, the same figures swap sides.
    back = (await client.get("/api/v1/reports/2026-11/diff", params={"from": 2, "to": 1},
                             headers=bearer(people.admin))).json()
    assert {(c["section"], c["scope"], c["field"]): (c["after"], c["before"]) for c in back["changes"]} == moved


async def test_the_diff_refuses_contractors_one_version_and_a_missing_one(people, client):
    await report_world.build(people.a_id)
    await versions.generate(ADMIN, "2026-11", now=NOW)
    refused = await client.get("/api/v1/reports/2026-11/diff", params={"from": 1, "to": 1},
                               headers=bearer(people.contractor_a))
    assert refused.status_code == 403
    same = await client.get("/api/v1/reports/2026-11/diff", params={"from": 1, "to": 1}, headers=bearer(people.admin))
    assert same.status_code == 400 and same.json()["errors"][0]["field"] == "to"
    missing = await client.get("/api/v1/reports/2026-11/diff", params={"from": 1, "to": 9},
                               headers=bearer(people.admin))
    assert missing.status_code == 404 and "no version 9" in missing.json()["detail"]
    unnamed = await client.get("/api/v1/reports/2026-11/diff", params={"from": 1}, headers=bearer(people.admin))
    assert unnamed.status_code == 400


@pytest.mark.parametrize(("body", "field"), [
    ({"fields": ["gb_id", "colour"]}, "fields[1]"),
    ({"fields": ["gb_id", "gb_id"]}, "fields[1]"),
    ({"fields": []}, "fields"),
    ({"fields": "gb_id"}, "fields"),
    ({"fields": ["gb_id"], "class1": [3]}, "class1[0]"),
    ({"fields": ["gb_id"], "extra": True}, "extra"),
    (["gb_id"], "body"),
])
async def test_a_bad_mandatory_list_is_a_400_naming_the_entry_and_nothing_is_stored(people, client, body, field):
    answer = await client.put("/api/v1/report-rules/mandatory", json=body, headers=bearer(people.admin))
    assert answer.status_code == 400, answer.text
    assert field in [e["field"] for e in answer.json()["errors"]]
    assert await MandatoryFieldsDocument.count().run() == 0


async def test_auditors_read_the_mandatory_list_and_cannot_change_it(people, client):
    shown = await client.get("/api/v1/report-rules/mandatory", headers=bearer(people.auditor))
    assert shown.status_code == 200 and shown.json()["default"] is True and "gb_id" in shown.json()["fields"]
    assert {"field": "gb_id", "header": "设备编码"} in shown.json()["choices"]
    refused = await client.put("/api/v1/report-rules/mandatory", json={"fields": ["gb_id"]},
                               headers=bearer(people.auditor))
    assert refused.status_code == 403 and await MandatoryFieldsDocument.count().run() == 0
    contractor = await client.get("/api/v1/report-rules/mandatory", headers=bearer(people.contractor_a))
    assert contractor.status_code == 403
