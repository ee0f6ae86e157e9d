"""The uptime and maintenance endpoints over HTTP: figures, roles, contractor scope, bad input."""

from __future__ import annotations

import httpx
import pytest
from litestar import Litestar, Router
from litestar.middleware.base import DefineMiddleware

from assetsvc.api import errors, monitoring_uptime
from assetsvc.api.auth import OPEN_PATHS, TokenAuth
from tests.integration.conftest import bearer
from tests.integration.test_uptime_world import camera, timeline, window

# T0 = 2026-01-15T08:00:00Z; the period [T0, T0 + 10 h).
PERIOD = {"start": "2026-01-15T08:00:00Z", "end": "2026-01-15T18:00:00Z"}


@pytest.fixture(scope="module")
def uptime_app() -> Litestar:
    """The app as create_app builds it (auth middleware, error handlers), with only these routes."""
    api = Router(path="/api/v1", route_handlers=monitoring_uptime.HANDLERS)
    return Litestar(route_handlers=[api], exception_handlers=errors.HANDLERS, logging_config=None, debug=False,
                    middleware=[DefineMiddleware(TokenAuth, exclude=[f"^{p}$" for p in OPEN_PATHS])])


@pytest.fixture
async def api(uptime_app):
    transport = httpx.ASGITransport(app=uptime_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def fleet(people) -> dict[str, int]:
    """Camera a (contractor A) up all period; camera b (contractor B) down all period."""
    a = await camera(1, contractor=people.a_id)
    b = await camera(2, contractor=people.b_id)
    await timeline(a, [("up", -1, None)])
    await timeline(b, [("down", -1, None)])
    return {"a": a, "b": b}


def fields(response: httpx.Response) -> set[str]:
    return {e["field"] for e in response.json()["errors"]}


async def test_region_figures_over_http(api, people):
    # a up 10 h, b down 10 h: online 0.5; every instant 1 of 2 online -> sampled 0.5.
    await fleet(people)
    response = await api.get("/api/v1/uptime", params={"scope": "region", "ref": "330106", **PERIOD},
                             headers=bearer(people.auditor))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["cameras"] == 2 and body["online_rate"] == 0.5 and body["sampled"]["online_rate"] == 0.5
    assert body["period"]["start"] == "2026-01-15T16:00:00+08:00"  # rendered at the default offset
    assert "causes" not in body
    detailed = await api.get("/api/v1/uptime", params={**PERIOD, "causes": "true", "tz": "+00:00"},
                             headers=bearer(people.admin))
    assert detailed.json()["causes"] == {"down": {"onvif_light:timeout": 36000.0}}
    assert detailed.json()["period"]["end"] == "2026-01-15T18:00:00+00:00"


async def test_dates_are_midnights_at_the_offset(api, people):
    await fleet(people)
    response = await api.get("/api/v1/uptime", params={"start": "2026-01-15", "end": "2026-01-16", "tz": "+08:00"},
                             headers=bearer(people.admin))
    assert response.json()["period"] == {"start": "2026-01-15T00:00:00+08:00", "end": "2026-01-16T00:00:00+08:00",
                                         "counted_until": response.json()["period"]["counted_until"]}


@pytest.mark.parametrize("params, field", [
    ({"end": PERIOD["end"]}, "start"),
    ({"start": "2027-13-01", "end": PERIOD["end"]}, "start"),
    ({"start": PERIOD["end"], "end": PERIOD["start"]}, "end"),
    ({**PERIOD, "scope": "galaxy"}, "scope"),
    ({**PERIOD, "scope": "region", "ref": "12345"}, "ref"),
    ({**PERIOD, "scope": "region"}, "ref"),
    ({**PERIOD, "scope": "site", "ref": "first"}, "ref"),
    ({**PERIOD, "scope": "owner_class", "ref": "military"}, "ref"),
    ({**PERIOD, "step": "10"}, "step"),
    ({**PERIOD, "step": "hourly"}, "step"),
    ({"start": "2020-01-01", "end": "2027-01-01", "step": "60"}, "step"),
    ({**PERIOD, "tz": "Asia/Shanghai"}, "tz"),
])
async def test_bad_uptime_input_is_a_400_naming_the_field(api, people, params, field):
    response = await api.get("/api/v1/uptime", params=params, headers=bearer(people.admin))
    assert response.status_code == 400, response.text
    assert field in fields(response)


@pytest.mark.parametrize("params, field", [
    ({"sort": "name"}, "sort"),
    ({"per_page": "0"}, "per_page"),
    ({"per_page": "501"}, "per_page"),
    ({"page": "zero"}, "page"),
])
async def test_bad_camera_page_input_is_a_400_naming_the_field(api, people, params, field):
    response = await api.get("/api/v1/uptime/cameras", params={**PERIOD, **params}, headers=bearer(people.admin))
    assert response.status_code == 400, response.text
    assert field in fields(response)


async def test_an_unknown_record_is_a_404(api, people):
    response = await api.get("/api/v1/uptime", params={**PERIOD, "scope": "site", "ref": "999"},
                             headers=bearer(people.admin))
    assert response.status_code == 404


async def test_without_a_token_nothing_is_answered(api):
    for path in ("/api/v1/uptime", "/api/v1/uptime/cameras", "/api/v1/maintenance"):
        assert (await api.get(path, params=PERIOD)).status_code == 401


async def test_a_contractor_gets_figures_of_its_own_cameras_only(api, people):
    cams = await fleet(people)
    headers = bearer(people.contractor_a)
    everything = await api.get("/api/v1/uptime", params=PERIOD, headers=headers)
    assert everything.json()["cameras"] == 1 and everything.json()["online_rate"] == 1.0
    own = await api.get("/api/v1/uptime", params={**PERIOD, "scope": "contractor", "ref": str(people.a_id)},
                        headers=headers)
    assert own.status_code == 200 and own.json()["cameras"] == 1
    other = await api.get("/api/v1/uptime", params={**PERIOD, "scope": "contractor", "ref": str(people.b_id)},
                          headers=headers)
    assert other.status_code == 403
    their_camera = await api.get("/api/v1/uptime", params={**PERIOD, "scope": "camera", "ref": str(cams["b"])},
                                 headers=headers)
    assert their_camera.status_code == 404
    rows = await api.get("/api/v1/uptime/cameras", params=PERIOD, headers=headers)
    assert [r["camera_id"] for r in rows.json()["items"]] == [cams["a"]]


async def test_the_camera_page_lists_the_worst_first(api, people):
    cams = await fleet(people)
    response = await api.get("/api/v1/uptime/cameras", params={**PERIOD, "per_page": "1"},
                             headers=bearer(people.auditor))
    body = response.json()
    assert body["total"] == 2 and body["items"][0]["camera_id"] == cams["b"]
    assert body["items"][0]["online_rate"] == 0.0 and body["items"][0]["down"] == 36000.0


async def test_only_the_office_plans_and_ends_windows(api, people):
    await fleet(people)
    plan = {"scope": "region", "ref": "3301", "starts_at": "2030-01-01T00:00:00+08:00",
            "ends_at": "2030-01-01T06:00:00+08:00", "reason": "核心交换机升级"}
    for token in (people.auditor, people.contractor_a):
        assert (await api.post("/api/v1/maintenance", json=plan, headers=bearer(token))).status_code == 403
    made = await api.post("/api/v1/maintenance", json=plan, headers=bearer(people.admin))
    assert made.status_code == 201, made.text
    window_id = made.json()["id"]
    assert made.json()["starts_at"] == "2030-01-01T00:00:00+08:00" and made.json()["created_by"] == "admin"
    listed = await api.get("/api/v1/maintenance", headers=bearer(people.contractor_a))
    assert [w["id"] for w in listed.json()] == [window_id]
    assert (await api.delete(f"/api/v1/maintenance/{window_id}", headers=bearer(people.auditor))).status_code == 403
    ended = await api.delete(f"/api/v1/maintenance/{window_id}", headers=bearer(people.admin))
    assert ended.status_code == 200 and ended.json()["action"] == "deleted"
    assert (await api.delete(f"/api/v1/maintenance/{window_id}", headers=bearer(people.admin))).status_code == 404


@pytest.mark.parametrize("payload, field", [
    (b"not json", "body"),
    (b"[1, 2]", "body"),
    (b'{"scope": "camera", "ref": "abc", "starts_at": "2030-01-01", "ends_at": "2030-01-02", "reason": "x"}', "ref"),
    (b'{"scope": "site", "ref": 1, "starts_at": "2030-01-02", "ends_at": "2030-01-01", "reason": "x"}', "ends_at"),
])
async def test_a_bad_window_is_a_400_naming_the_field(api, people, payload, field):
    response = await api.post("/api/v1/maintenance", content=payload, headers={
        **bearer(people.admin), "Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert field in fields(response)


async def test_active_windows_are_listed_by_instant(api, people):
    cams = await fleet(people)
    running = await window("camera", cams["a"], 0, 2)
    await window("camera", cams["a"], 5, 6)
    response = await api.get("/api/v1/maintenance", params={"active_at": "2026-01-15T09:00:00Z"},
                             headers=bearer(people.auditor))
    assert response.status_code == 200 and [w["id"] for w in response.json()] == [running]
    bad = await api.get("/api/v1/maintenance", params={"active_at": "soon"}, headers=bearer(people.auditor))
    assert bad.status_code == 400 and fields(bad) == {"active_at"}
