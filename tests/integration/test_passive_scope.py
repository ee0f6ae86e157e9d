"""Passive status from platform accounts: each reports only inside its scope, never learns which
national IDs exist, and cannot take down much of its fleet without the office confirming."""

from __future__ import annotations

import time

import pytest

from assetsvc.accounts.service import issue_token
from assetsvc.accounts.tables import User
from assetsvc.monitoring import tasks
from assetsvc.monitoring.config import parse
from assetsvc.monitoring.passive_scope import set_scope
from assetsvc.monitoring.tables import DeviceState, LatestResult, PassiveBatch
from assetsvc.registry.tables import Camera, Owner
from tests.integration.conftest import PASSWORD_HASH, bearer
from tests.integration.test_cli import assetsvc

CONFIG = parse('[[class]]\nname = "passive"\nwhen = { subject = "camera" }\n', "test")
SOCIAL_HZ = [f"330106008013200000{n:02d}" for n in range(10)]  # social, Hangzhou 西湖区
POLICE_HZ = "33010600011320000077"
SOCIAL_NN = "45020400801320000088"  # social, Liuzhou


@pytest.fixture
async def fleet(people):
    social = Owner(name="商户联盟", owner_class="social")
    police = Owner(name="公安分局", owner_class="police")
    await social.save().run()
    await police.save().run()
    rows = [Camera(gb_id=g, name=g, region_code="330106", owner=social.id) for g in SOCIAL_HZ]
    rows += [Camera(gb_id=POLICE_HZ, name="公安", region_code="330106", owner=police.id),
             Camera(gb_id=SOCIAL_NN, name="柳州", region_code="450204", owner=social.id)]
    await Camera.insert(*rows).run()
    await tasks.sync(CONFIG, time.time() - 3600)
    return {"social": social.id, "police": police.id}


async def platform_account(name: str, rules: list[tuple[str, str]]) -> str:
    await User(username=name, password_hash=PASSWORD_HASH, role="platform").save().run()
    await set_scope(name, rules)
    return await issue_token(name, "api")


@pytest.fixture
async def platform(fleet):
    return await platform_account("shop-platform", [("owner_class", "social"), ("region", "3301")])


async def push(client, token, gb_ids, online=False):
    reports = [{"gb_id": g, "online": online} for g in gb_ids]
    return await client.post("/api/v1/status/passive", json={"reports": reports}, headers=bearer(token))


async def down() -> int:
    return await DeviceState.count().where(DeviceState.state == "down").run()


async def test_a_platform_reports_on_cameras_inside_its_scope(client, platform):
    answer = await push(client, platform, SOCIAL_HZ[:1], online=True)
    assert answer.status_code == 200, answer.text
    assert answer.json()["accepted"] == 1


@pytest.mark.parametrize("gb_id", [POLICE_HZ, SOCIAL_NN], ids=["other owner class", "other region"])
async def test_a_camera_outside_the_scope_is_refused_and_nothing_is_recorded(client, platform, gb_id):
    answer = await push(client, platform, [SOCIAL_HZ[0], gb_id])
    assert answer.status_code == 400
    assert await LatestResult.count().run() == 0


async def test_unknown_and_out_of_scope_ids_get_the_same_answer_naming_no_id(client, platform):
    outside = await push(client, platform, [POLICE_HZ])
    unknown = await push(client, platform, ["33010600801329999999"])
    assert outside.status_code == unknown.status_code == 400
    assert outside.json() == unknown.json()
    assert POLICE_HZ not in outside.text and "99999" not in unknown.text


async def test_an_account_without_scope_reports_on_nothing(client, fleet):
    token = await platform_account("bare", [])
    assert (await push(client, token, SOCIAL_HZ[:1], online=True)).status_code == 400


async def test_the_office_sets_a_scope_through_the_api_and_others_may_not(client, people, fleet):
    token = await platform_account("later", [])
    body = {"scope": [{"kind": "owner", "value": "公安分局"}]}
    path = "/api/v1/status/passive/scopes/later"
    assert (await client.put(path, json=body, headers=bearer(people.auditor))).status_code == 403
    answer = await client.put(path, json=body, headers=bearer(people.admin))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"scope": [{"kind": "owner", "value": str(fleet["police"])}]}
    assert (await client.get(path, headers=bearer(people.auditor))).json() == answer.json()
    assert (await push(client, token, [POLICE_HZ], online=True)).status_code == 200
    assert (await push(client, token, SOCIAL_HZ[:1], online=True)).status_code == 400
    bad = await client.put(path, json={"scope": [{"kind": "region", "value": "hz"}]}, headers=bearer(people.admin))
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "scope[0]"
    assert (await client.put(path, json=body, headers=bearer(token))).status_code == 403


async def test_reports_taking_down_a_large_share_are_held_until_the_office_confirms(client, people, platform):
    answer = await push(client, platform, SOCIAL_HZ[:6])  # 6 of 10 > 20 %
    assert answer.status_code == 202, answer.text
    batch = answer.json()["held"]
    assert await LatestResult.count().run() == 0
    listed = await client.get("/api/v1/status/passive/held", headers=bearer(people.auditor))
    assert [(b["id"], b["offline"], b["cameras"]) for b in listed.json()] == [(batch, 6, 10)]
    path = f"/api/v1/status/passive/held/{batch}"
    assert (await client.post(f"{path}/confirm", headers=bearer(people.auditor))).status_code == 403
    assert (await client.post(f"{path}/confirm", headers=bearer(platform))).status_code == 403
    confirmed = await client.post(f"{path}/confirm", headers=bearer(people.admin))
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["accepted"] == 6
    assert await LatestResult.count().run() == 6
    assert (await client.post(f"{path}/discard", headers=bearer(people.admin))).status_code == 409


async def test_a_discarded_batch_changes_nothing(client, people, platform):
    batch = (await push(client, platform, SOCIAL_HZ[:6])).json()["held"]
    answer = await client.post(f"/api/v1/status/passive/held/{batch}/discard", headers=bearer(people.admin))
    assert answer.json() == {"id": batch, "status": "discarded"}
    assert await LatestResult.count().run() == 0
    assert (await client.get("/api/v1/status/passive/held", headers=bearer(people.admin))).json() == []


async def test_the_share_counts_every_report_of_the_account_within_the_window(client, platform):
    first = await push(client, platform, SOCIAL_HZ[:4])
    assert first.status_code == 200 and first.json()["accepted"] == 4
    second = await push(client, platform, SOCIAL_HZ[4:6])  # 6 of 10 within the window
    assert second.status_code == 202
    assert await PassiveBatch.count().where(PassiveBatch.status == "held").run() == 1


async def test_the_cli_sets_scopes_and_confirms_held_batches(fleet):
    added = assetsvc("user", "add", "gis", "--role", "platform", "--scope", "owner_class=social",
                     "--scope", "region=3301", stdin="a-long-password\n")
    assert added.returncode == 0, added.stderr
    assert assetsvc("user", "scope", "gis").stdout.strip() == "owner_class=social region=3301"
    bad = assetsvc("user", "scope", "gis", "--scope", "colour=red")
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
    user = await User.select(User.id).where(User.username == "gis").first().run()
    await PassiveBatch(user_id=user["id"], username="gis", received_at=time.time(), status="held",
                       offline=[], cameras=10, reports=[[SOCIAL_HZ[0], False, time.time()]]).save().run()
    listed = assetsvc("status", "held")
    assert "gis" in listed.stdout, listed.stderr
    batch = int(listed.stdout.split()[0])
    assert '"accepted": 1' in assetsvc("status", "confirm", str(batch)).stdout
    assert await down() == 0  # one offline report is not yet an outage (debounce)


async def test_the_cli_adds_no_account_when_its_scope_is_refused(fleet):
    refused = assetsvc("user", "add", "gis2", "--role", "platform", "--scope", "owner=无此单位",
                       stdin="a-long-password\n")
    assert refused.returncode != 0 and "no owner '无此单位'" in refused.stderr and "Traceback" not in refused.stderr
    assert not await User.exists().where(User.username == "gis2").run()  # the user and its scope, or neither
