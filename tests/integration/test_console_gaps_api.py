"""The endpoints behind the console's last gaps: the province connection test (a signed ping to a
real HTTPS fake on 127.0.0.1), the webhook event catalog, one maintenance window on several records
(all or none), and SLA terms errors naming the document path the form shows them under."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from assetsvc.monitoring.tables import MaintenanceWindow
from assetsvc.registry import crud
from assetsvc.registry.entities import CAMERA
from assetsvc.reports.province import config
from tests.fakes.province import Platform
from tests.integration.conftest import ADMIN, bearer
from tests.integration.test_tickets_api import API, World, example
from tests.integration.test_tickets_api import fresh_terms  # noqa: F401 - an autouse fixture
from tests.integration.world import camera_body

KEY = "province-signing-key-0123456789"


@pytest.fixture
def platform(tmp_path):
    fake = Platform(key=KEY, folder=tmp_path)
    fake.start()
    yield fake
    fake.close()


async def test_the_connection_test_sends_a_signed_ping_and_says_what_came_back(client, people, platform):
    admin = bearer(people.admin)
    missing = await client.post(f"{API}/province/test", headers=admin)
    assert missing.status_code == 404
    await config.configure(ADMIN, {"url": platform.url, "ca_bundle": str(platform.ca_pem), "area_code": "330100",
                                   "unit_code": "HZ-VIDEO-OFFICE", "secret": KEY, "timeout_s": 5.0})
    shown = (await client.get(f"{API}/province", headers=bearer(people.auditor))).json()
    assert shown["secret"] == "***" and KEY not in json.dumps(shown)
    assert (await client.post(f"{API}/province/test", headers=bearer(people.auditor))).status_code == 403
    answer = await client.post(f"{API}/province/test", headers=admin)
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert (found["ok"], found["reached"], found["status"], found["error"]) == (True, True, 200, None)
    [sent] = platform.requests
    body = json.loads(sent["body"])
    assert body["kind"] == "ping" and body["idempotency_key"] == sent["headers"]["Idempotency-Key"] == found["idempotency_key"]
    stamp = sent["headers"]["X-Assetsvc-Timestamp"]
    assert sent["headers"]["X-Assetsvc-Signature"] == "sha256=" + hmac.new(
        KEY.encode(), f"{stamp}.".encode() + sent["body"], hashlib.sha256).hexdigest()
    # The platform down: not reached, and the error says so.
    platform.stop()
    down = (await client.post(f"{API}/province/test", headers=admin)).json()
    assert (down["ok"], down["reached"], down["status"]) == (False, False, None) and down["error"]
    # A CA bundle that can no longer be read (moved after configuring): the attempt's error, not a 500.
    platform.ca_pem.unlink()
    unread = await client.post(f"{API}/province/test", headers=admin)
    assert unread.status_code == 200, unread.text
    assert (unread.json()["ok"], unread.json()["reached"]) == (False, False)
    assert unread.json()["error"].startswith("tls: the configured certificate files cannot be used")


async def test_the_event_catalog_lists_every_event_the_service_sends(client, people):
    listed = await client.get(f"{API}/webhooks/events", headers=bearer(people.auditor))
    assert listed.status_code == 200
    names = {e["name"] for e in listed.json()}
    assert {"ticket.opened", "ticket.suspended", "report.province_failed", "ping"} <= names
    assert (await client.get(f"{API}/webhooks/events", headers=bearer(people.contractor_a))).status_code == 403


async def test_one_window_on_several_cameras_is_stored_whole_or_not_at_all(client, people):
    admin = bearer(people.admin)
    ids = [(await crud.create_record(CAMERA, ADMIN, camera_body(f"4502040004132600150{n}", people.a_id)))["id"]
           for n in range(2)]
    window = {"scope": "camera", "starts_at": "2026-12-08T09:00:00+08:00", "ends_at": "2026-12-08T12:00:00+08:00",
              "reason": "杆件迁移"}
    bad = await client.post(f"{API}/maintenance/batch", headers=admin, json={**window, "refs": [str(ids[0]), "999999"]})
    assert bad.status_code == 400
    assert [(e["field"], e["kind"]) for e in bad.json()["errors"]] == [("refs", "unknown_reference")]
    assert await MaintenanceWindow.count().run() == 0
    twice = await client.post(f"{API}/maintenance/batch", headers=admin, json={**window, "refs": [str(ids[0])] * 2})
    assert twice.status_code == 400 and twice.json()["errors"][0]["kind"] == "duplicate"
    made = await client.post(f"{API}/maintenance/batch", headers=admin, json={**window, "refs": [str(i) for i in ids]})
    assert made.status_code == 201, made.text
    assert sorted(w["ref"] for w in made.json()) == sorted(str(i) for i in ids)
    assert await MaintenanceWindow.count().run() == 2
    denied = await client.post(f"{API}/maintenance/batch", headers=bearer(people.auditor), json={**window, "refs": ["1"]})
    assert denied.status_code == 403


@pytest.mark.parametrize(("change", "field"), [
    (lambda d: d["penalties"][2].__setitem__("counts", ["degraded"]), "penalties[2].counts"),
    (lambda d: d["terms"][1].__setitem__("respond", "2d"), "terms[1].respond"),
    (lambda d: d["terms"][1].pop("restore"), "terms[1].restore"),
    (lambda d: d["scoring"]["grades"][1].__setitem__("min", -1), "scoring.grades[1].min"),
    (lambda d: d["calendars"]["office"].__setitem__("windows", ["08:30-12:00", "25:00-26:00"]), "calendars.office.windows[1]"),
    (lambda d: d["penalties"][0].__setitem__("name", "迟到 (到场).x"), None),  # a name with brackets and a dot is fine
    (lambda d: (d["penalties"][0].__setitem__("name", "迟到 (到场).x"), d["penalties"][0].__setitem__("stage", "x")),
     "penalties[0].stage"),
    (lambda d: d["penalties"][3].__setitem__("points", 0), "penalties[3]"),
])
async def test_a_refused_terms_document_names_the_path_of_the_field_at_fault(client, people, change, field):
    w = await World(people).build()
    doc = example()
    change(doc)
    answer = await client.put(f"{API}/contracts/{w.contract_a}/sla", headers=bearer(people.admin), json=doc)
    if field is None:
        assert answer.status_code == 200, answer.text
        return
    assert answer.status_code == 400
    assert [e["field"] for e in answer.json()["errors"]] == [field], answer.json()
