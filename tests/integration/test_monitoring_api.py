"""Monitoring API: passive status input (validation, roles, effect on state) and state reads (scope)."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from assetsvc.accounts.tables import User
from assetsvc.accounts.service import issue_token
from assetsvc.monitoring import tasks
from assetsvc.monitoring.config import parse
from assetsvc.monitoring.passive_scope import set_scope
from assetsvc.monitoring.tables import DeviceState, LatestResult, StateInterval
from assetsvc.registry.tables import Camera
from tests.integration.conftest import PASSWORD_HASH, bearer

CONFIG_TEXT = """
[rules]
down_after_failures = 2
down_after_s = 120
"""
PASSIVE = """
[[class]]
name = "passive"
when = { subject = "camera" }
"""
CONFIG = parse(CONFIG_TEXT + PASSIVE, "test")


def iso(at: float) -> str:
    return dt.datetime.fromtimestamp(at, dt.timezone(dt.timedelta(hours=8))).isoformat()


@pytest.fixture
async def cameras(people):
    ids = []
    for n, contractor in enumerate((people.a_id, people.b_id)):
        row = Camera(gb_id=f"3301060080132000000{n}", name=f"社会面 {n}", region_code="330106",
                     contractor=contractor)
        await row.save().run()
        ids.append(row.id)
    await tasks.sync(CONFIG, time.time() - 3600)
    return ids


@pytest.fixture
async def platform():
    await User(username="platform", password_hash=PASSWORD_HASH, role="platform").save().run()
    await set_scope("platform", [("region", "3301")])
    return await issue_token("platform", "api")


async def push(client, token, reports):
    return await client.post("/api/v1/status/passive", json={"reports": reports}, headers=bearer(token))


async def test_platform_reports_offline_twice_and_the_camera_goes_down(client, people, cameras, platform):
    now = time.time()
    first = await push(client, platform, [{"gb_id": "33010600801320000000", "online": False, "at": iso(now - 300)}])
    assert first.status_code == 200, first.text
    assert first.json() == {"accepted": 1, "older_ignored": 0, "not_in_service": 0, "probed_ignored": 0}
    second = await push(client, platform, [{"gb_id": "33010600801320000000", "online": False, "at": iso(now - 100)}])
    assert second.status_code == 200
    state = await DeviceState.select().where(DeviceState.subject_id == cameras[0]).first().run()
    assert (state["state"], state["cause"]) == ("down", "passive:offline")
    assert state["since"] == pytest.approx(now - 300, abs=1)
    latest = await LatestResult.select().where(LatestResult.subject_id == cameras[0]).first().run()
    assert latest["probe_kind"] == "passive" and not latest["ok"]


async def test_an_older_report_is_ignored_not_applied(client, people, cameras, platform):
    now = time.time()
    await push(client, platform, [{"gb_id": "33010600801320000000", "online": True, "at": iso(now - 10)}])
    late = await push(client, platform, [{"gb_id": "33010600801320000000", "online": False, "at": iso(now - 500)}])
    assert late.json()["older_ignored"] == 1
    state = await DeviceState.select().where(DeviceState.subject_id == cameras[0]).first().run()
    assert state["state"] == "up"


BAD = [
    ("not an object", None, "reports"),
    ("empty list", {"reports": []}, "reports"),
    ("online as text", {"reports": [{"gb_id": "33010600801320000000", "online": "yes"}]}, "reports[0].online"),
    ("no zone", {"reports": [{"gb_id": "33010600801320000000", "online": True, "at": "2026-11-24T10:00:00"}]},
     "reports[0].at"),
    ("from the future", {"reports": [{"gb_id": "33010600801320000000", "online": True,
                                      "at": "2099-01-01T00:00:00+08:00"}]}, "reports[0].at"),
    ("garbage time", {"reports": [{"gb_id": "33010600801320000000", "online": True, "at": "yesterday"}]},
     "reports[0].at"),
    ("unknown key", {"reports": [{"gb_id": "33010600801320000000", "online": True, "state": 1}]}, "reports[0]"),
    ("unknown camera", {"reports": [{"gb_id": "33010600801320099999", "online": True}]}, "reports"),
    ("one bad among good", {"reports": [{"gb_id": "33010600801320000000", "online": True},
                                        {"gb_id": 5, "online": True}]}, "reports[1].gb_id"),
]


@pytest.mark.parametrize("body,field", [(b, f) for _, b, f in BAD], ids=[n for n, _, _ in BAD])
async def test_bad_passive_input_is_refused_naming_the_field_and_records_nothing(client, people, cameras,
                                                                                platform, body, field):
    answer = await client.post("/api/v1/status/passive", json=body, headers=bearer(platform))
    assert answer.status_code == 400, answer.text
    assert field in {e["field"] for e in answer.json()["errors"]}
    assert await LatestResult.count().run() == 0
    assert await StateInterval.count().where(StateInterval.state != "unknown").run() == 0


async def test_a_body_that_is_not_json_is_a_clear_400(client, people, cameras, platform):
    answer = await client.post("/api/v1/status/passive", content=b"\xff\xfe not json",
                               headers={**bearer(platform), "Content-Type": "application/json"})
    assert answer.status_code == 400


@pytest.mark.parametrize("role,status", [("admin", 200), ("auditor", 403), ("contractor_a", 403)])
async def test_only_platform_accounts_and_the_office_may_push(client, people, cameras, role, status):
    answer = await push(client, getattr(people, role), [{"gb_id": "33010600801320000000", "online": True}])
    assert answer.status_code == status


async def test_a_platform_account_can_do_nothing_else(client, people, cameras, platform):
    for path in ("/api/v1/cameras", "/api/v1/status/summary", f"/api/v1/status/cameras/{cameras[0]}"):
        assert (await client.get(path, headers=bearer(platform))).status_code == 403


async def test_contractors_read_the_state_of_their_own_cameras_only(client, people, cameras):
    own = await client.get(f"/api/v1/status/cameras/{cameras[0]}", headers=bearer(people.contractor_a))
    assert own.status_code == 200 and own.json()["state"] == "unknown"
    other = await client.get(f"/api/v1/status/cameras/{cameras[1]}", headers=bearer(people.contractor_a))
    assert other.status_code == 404
    summary = await client.get("/api/v1/status/summary", headers=bearer(people.contractor_a))
    assert summary.json()["cameras"] == 1
    office = await client.get("/api/v1/status/summary", headers=bearer(people.auditor))
    assert office.json()["cameras"] == 2 and office.json()["states"]["unknown"] == 2


async def test_nodes_are_for_the_office_only(client, people):
    assert (await client.get("/api/v1/status/nodes", headers=bearer(people.admin))).status_code == 200
    assert (await client.get("/api/v1/status/nodes", headers=bearer(people.contractor_a))).status_code == 403


async def test_a_bad_region_filter_is_a_400(client, people):
    answer = await client.get("/api/v1/status/summary?region=99", headers=bearer(people.admin))
    assert answer.status_code == 400


async def test_reports_for_cameras_we_probe_ourselves_are_counted_and_ignored(client, people, platform):
    probed = Camera(gb_id="33010600011320000009", name="公安 9", region_code="330106", ipv4="127.0.0.1",
                    probe_protocols=["onvif"])
    await probed.save().run()
    onvif = """
[[class]]
name = "onvif"
when = { subject = "camera", protocol = "onvif" }
light = { every = 300, probes = ["onvif_light"], timeout = 2 }
"""
    config = parse(CONFIG_TEXT + onvif + PASSIVE, "test")
    from assetsvc.monitoring import passive

    await tasks.sync(config, time.time() - 60)
    counts = await passive.ingest({"reports": [{"gb_id": "33010600011320000009", "online": False}]},
                                  config, time.time())
    assert counts["probed_ignored"] == 1 and counts["accepted"] == 0


async def test_an_uptime_query_with_a_parameter_it_does_not_take_is_a_400_not_the_whole_city(client, people):
    answer = await client.get("/api/v1/uptime?region=330106&start=2026-11-01&end=2026-11-02",
                              headers=bearer(people.admin))
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["field"] == "region"


async def test_a_node_past_its_lease_shows_as_gone_and_not_leader(client, people):
    import time

    from assetsvc.monitoring.tables import Node

    now = time.time()
    await Node(name="killed-9", role="both", leader=True, started_at=now - 600, seen_at=now - 120).save().run()
    await Node(name="alive", role="both", leader=True, started_at=now - 600, seen_at=now - 2).save().run()
    nodes = (await client.get("/api/v1/status/nodes", headers=bearer(people.admin))).json()
    shown = {n["name"]: (n["alive"], n["leader"]) for n in nodes}
    assert shown == {"killed-9": (False, False), "alive": (True, True)}
