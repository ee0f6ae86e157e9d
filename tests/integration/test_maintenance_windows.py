"""Maintenance windows: validation, listing, ending early, the change log, and which cameras they cover."""

from __future__ import annotations

import pytest

from assetsvc.accounts.service import Actor
from assetsvc.audit.tables import Change
from assetsvc.errors import Conflict, Forbidden, NotFound, ValidationFailed
from assetsvc.monitoring import maintenance
from assetsvc.monitoring.uptime_scope import resolve
from tests.integration.conftest import ADMIN
from tests.integration.test_uptime_world import T0, at, camera, records, window

AUDITOR = Actor(user_id=2, username="auditor", role="auditor", contractor_id=None)
ISO = "2026-01-15T{:02d}:00:00+00:00"  # T0 is 2026-01-15T08:00:00Z


def body(**extra) -> dict:
    values = {"scope": "region", "ref": "330106", "starts_at": ISO.format(9), "ends_at": ISO.format(11),
              "reason": "光缆割接"}
    values.update(extra)
    return values


async def test_create_stores_the_window_with_its_author_and_logs_it():
    made = await maintenance.create(ADMIN, body(), tz="+00:00", now=T0)
    assert made["scope"] == "region" and made["ref"] == "330106" and made["created_by"] == "test-admin"
    assert made["starts_at"] == ISO.format(9) and made["ends_at"] == ISO.format(11) and made["active"] is False
    log = await Change.select().where(Change.entity == "maintenance_window").output(load_json=True).run()
    assert len(log) == 1 and log[0]["action"] == "create" and log[0]["actor"] == "test-admin"
    assert log[0]["changes"]["reason"] == [None, "光缆割接"] and log[0]["entity_id"] == made["id"]


async def test_a_region_is_stored_as_its_code_prefix():
    # 330100 (Hangzhou) and 3301 name the same cities' cameras; 33 is the province.
    city = await maintenance.create(ADMIN, body(ref="330100"), now=T0)
    province = await maintenance.create(ADMIN, body(ref="33"), now=T0)
    assert (city["ref"], province["ref"]) == ("3301", "33")


@pytest.mark.parametrize("values, field", [
    ({"scope": "building"}, "scope"),
    ({"ref": "999999"}, "ref"),
    ({"ref": "33010"}, "ref"),
    ({"scope": "camera", "ref": "424242"}, "ref"),
    ({"scope": "site", "ref": "west gate"}, "ref"),
    ({"scope": "upstream", "ref": None}, "ref"),
    ({"starts_at": "yesterday"}, "starts_at"),
    ({"ends_at": None}, "ends_at"),
    ({"ends_at": ISO.format(9)}, "ends_at"),
    ({"reason": "   "}, "reason"),
    ({"reason": "x" * 501}, "reason"),
])
async def test_invalid_windows_are_refused_naming_the_field(values, field):
    with pytest.raises(ValidationFailed) as caught:
        await maintenance.create(ADMIN, body(**values), now=T0)
    assert field in [e["field"] for e in caught.value.errors]
    assert await maintenance.list_windows(ADMIN) == []


async def test_every_problem_is_reported_at_once():
    with pytest.raises(ValidationFailed) as caught:
        await maintenance.create(ADMIN, {"scope": "camera", "ref": "x", "reason": ""}, now=T0)
    assert {e["field"] for e in caught.value.errors} == {"ref", "starts_at", "ends_at", "reason"}


async def test_only_admins_create_or_end_windows():
    with pytest.raises(Forbidden):
        await maintenance.create(AUDITOR, body(), now=T0)
    made = await maintenance.create(ADMIN, body(), now=T0)
    with pytest.raises(Forbidden):
        await maintenance.end(AUDITOR, made["id"], now=T0)


async def test_ending_early_cuts_a_running_window_deletes_a_future_one_and_keeps_a_past_one():
    running = await maintenance.create(ADMIN, body(starts_at=ISO.format(7), ends_at=ISO.format(11)),
                                       tz="+00:00", now=T0)
    future = await maintenance.create(ADMIN, body(), now=T0)
    past = await window("camera", await camera(1), -5, -1)
    ended = await maintenance.end(ADMIN, running["id"], tz="+00:00", now=T0)
    assert ended["action"] == "ended" and ended["window"]["ends_at"] == ISO.format(8)
    assert (await maintenance.end(ADMIN, future["id"], now=T0))["action"] == "deleted"
    with pytest.raises(Conflict):
        await maintenance.end(ADMIN, past, now=T0)
    with pytest.raises(NotFound):
        await maintenance.end(ADMIN, future["id"], now=T0)
    ids = [w["id"] for w in await maintenance.list_windows(ADMIN)]
    assert sorted(ids) == sorted([running["id"], past])
    log = await Change.select(Change.action).where(Change.entity == "maintenance_window").run()
    assert sorted(r["action"] for r in log) == ["create", "create", "delete", "update"]


async def test_list_filters_by_instant_and_scope():
    cam = await camera(2)
    early = await window("camera", cam, 0, 2)
    late = await window("region", "3301", 1, 5)
    active_at_1h = await maintenance.list_windows(ADMIN, active_at=ISO.format(9), tz="+00:00", now=at(1))
    assert {w["id"] for w in active_at_1h} == {early, late} and all(w["active"] for w in active_at_1h)
    # An end is exclusive: at 2 h the camera window is over.
    assert [w["id"] for w in await maintenance.list_windows(ADMIN, active_at=ISO.format(10), tz="+00:00")] == [late]
    assert [w["id"] for w in await maintenance.list_windows(ADMIN, scope="region", ref="330100")] == [late]
    assert [w["id"] for w in await maintenance.list_windows(ADMIN, scope="camera", ref=str(cam))] == [early]
    with pytest.raises(ValidationFailed):
        await maintenance.list_windows(ADMIN, scope="planet")


async def test_a_contractor_sees_region_and_site_windows_and_those_on_its_own_devices():
    ids = await records()
    mine = await camera(3, contractor=ids["con_a"])
    theirs = await camera(4, contractor=ids["con_b"])
    shared = await window("region", "3301", 0, 1)
    on_mine = await window("camera", mine, 0, 1)
    await window("camera", theirs, 0, 1)
    contractor_a = Actor(user_id=3, username="ca", role="contractor", contractor_id=ids["con_a"])
    assert {w["id"] for w in await maintenance.list_windows(contractor_a)} == {shared, on_mine}


async def test_coverage_follows_sites_upstream_ancestors_region_prefixes_and_merges_overlaps():
    # Camera P hangs off the edge switch (under the core switch) at the site, in 330106.
    # Windows: core [1, 3), site [2, 4), region 33 [6, 7), camera P [6.5, 8); another region 45 [0, 10).
    # P's ranges within the period [0, 10): [1, 4) and [6, 8). Q (450204, no site or switch): [0, 10).
    # R (330106, nothing else) only gets the region window [6, 7).
    ids = await records()
    p = await camera(5, site=ids["site"], upstream=ids["edge"])
    q = await camera(6, region="450204")
    r = await camera(7)
    await window("upstream", ids["core"], 1, 3)
    await window("site", ids["site"], 2, 4)
    await window("region", "33", 6, 7)
    await window("camera", p, 6.5, 8)
    await window("region", "45", -2, 12)
    found = await maintenance.ranges_for(await resolve(ADMIN, "all", None), T0, at(10))
    assert found == {p: [(at(1), at(4)), (at(6), at(8))], q: [(at(0), at(10))], r: [(at(6), at(7))]}
    only_r = await maintenance.ranges_for(await resolve(ADMIN, "camera", str(r)), T0, at(10))
    assert only_r == {r: [(at(6), at(7))]}
    assert await maintenance.ranges_for(await resolve(ADMIN, "all", None), at(20), at(30)) == {}
