"""The office manages users over the API (the web UI's administration screens): add, role,
password reset, API tokens; auditors read, contractors see nothing."""

from __future__ import annotations

import pytest

from assetsvc.accounts.tables import Token, User
from assetsvc.audit.tables import Change
from tests.integration.conftest import bearer

NEW = {"username": "wang", "role": "contractor", "password": "temp-password-1", "temporary": True}


async def _id(username: str) -> int:
    return (await User.select(User.id).where(User.username == username).first().run())["id"]


async def test_the_office_adds_a_contractor_user_who_must_change_the_temporary_password(client, people):
    made = await client.post("/api/v1/users", json={**NEW, "contractor": people.a_id}, headers=bearer(people.admin))
    assert made.status_code == 201, made.text
    user = made.json()
    assert (user["role"], user["contractor"], user["contractor_name"]) == ("contractor", people.a_id, "甲运维公司")
    assert user["must_change_password"] is True and user["active"] is True
    login = await client.post("/api/v1/auth/login", json={"username": "wang", "password": "temp-password-1"})
    token = login.json()["token"]
    refused = await client.get("/api/v1/cameras/", headers=bearer(token))
    assert refused.status_code == 403 and refused.json()["errors"][0]["kind"] == "change_required"
    changes = await Change.select(Change.action, Change.actor).where(
        (Change.entity == "user") & (Change.entity_id == user["id"])).run()
    assert {"action": "create", "actor": "admin"} in changes


@pytest.mark.parametrize("body, field", [
    ({**NEW}, "contractor"),  # a contractor user names its contractor
    ({**NEW, "role": "auditor", "contractor": 1}, "contractor"),  # only contractor users have one
    ({**NEW, "contractor": 999_999}, "contractor"),
    ({**NEW, "role": "root"}, "role"),
    ({**NEW, "password": "short"}, "password"),
    ({**NEW, "username": "has space", "role": "auditor"}, "username"),
    ({**NEW, "shell": "/bin/sh"}, "shell"),
])
async def test_a_bad_new_user_is_a_400_naming_the_field_and_nothing_is_written(client, people, body, field):
    response = await client.post("/api/v1/users", json=body, headers=bearer(people.admin))
    assert response.status_code == 400, response.text
    assert field in response.text
    assert await User.count().where(User.username == body["username"]).run() == 0


async def test_a_taken_user_name_is_refused(client, people):
    response = await client.post("/api/v1/users", json={**NEW, "username": "ca", "role": "auditor"},
                                 headers=bearer(people.admin))
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "username"


async def test_only_the_office_changes_users_and_auditors_read_them(client, people):
    target = await _id("cb")
    writes = [("post", "/api/v1/users", {**NEW, "role": "auditor"}),
              ("patch", f"/api/v1/users/{target}", {"role": "auditor"}),
              ("post", f"/api/v1/users/{target}/password", {"password": "a-new-password"}),
              ("post", f"/api/v1/users/{target}/tokens", {"name": "x"})]
    for token in (people.auditor, people.contractor_a):
        for method, path, body in writes:
            response = await client.request(method, path, json=body, headers=bearer(token))
            assert response.status_code == 403, (path, response.text)
    assert await User.count().where(User.username == "wang").run() == 0
    assert (await User.select(User.role).where(User.id == target).first().run())["role"] == "contractor"
    listed = await client.get(f"/api/v1/users/{target}/tokens", headers=bearer(people.auditor))
    assert listed.status_code == 200 and len(listed.json()) == 1
    assert (await client.get(f"/api/v1/users/{target}/tokens", headers=bearer(people.contractor_a))).status_code == 404


async def test_the_office_changes_a_role_from_the_next_request(client, people):
    target = await _id("auditor")
    changed = await client.patch(f"/api/v1/users/{target}", json={"role": "contractor", "contractor": people.b_id},
                                 headers=bearer(people.admin))
    assert changed.status_code == 200 and changed.json()["contractor"] == people.b_id
    assert (await client.get("/api/v1/users", headers=bearer(people.auditor))).status_code == 403
    own = await client.patch(f"/api/v1/users/{await _id('admin')}", json={"role": "auditor"},
                             headers=bearer(people.admin))
    assert own.status_code == 403
    assert (await client.patch("/api/v1/users/999999", json={"role": "auditor"},
                               headers=bearer(people.admin))).status_code == 404


async def test_a_password_reset_ends_the_users_tokens_and_is_temporary(client, people):
    target = await _id("ca")
    reset = await client.post(f"/api/v1/users/{target}/password", json={"password": "reset-password-1"},
                              headers=bearer(people.admin))
    assert reset.status_code == 200 and reset.json() == {"id": target, "tokens_ended": 1}
    assert (await client.get("/api/v1/auth/me", headers=bearer(people.contractor_a))).status_code == 401
    login = await client.post("/api/v1/auth/login", json={"username": "ca", "password": "reset-password-1"})
    me = await client.get("/api/v1/auth/me", headers=bearer(login.json()["token"]))
    assert me.json()["must_change_password"] is True


async def test_an_api_token_is_shown_once_works_and_dies_when_revoked(client, people):
    target = await _id("auditor")
    made = await client.post(f"/api/v1/users/{target}/tokens", json={"name": "报表机", "days": 30},
                             headers=bearer(people.admin))
    assert made.status_code == 201, made.text
    issued = made.json()
    assert (issued["username"], issued["name"]) == ("auditor", "报表机")
    assert (await client.get("/api/v1/auth/me", headers=bearer(issued["token"]))).json()["username"] == "auditor"
    listed = (await client.get(f"/api/v1/users/{target}/tokens", headers=bearer(people.admin))).json()
    assert issued["id"] in {t["id"] for t in listed}
    assert all("token" not in t for t in listed)
    assert await Token.count().where(Token.token_hash == issued["token"]).run() == 0  # only its hash is stored
    assert (await client.delete(f"/api/v1/tokens/{issued['id']}", headers=bearer(people.admin))).status_code == 204
    assert (await client.get("/api/v1/auth/me", headers=bearer(issued["token"]))).status_code == 401


@pytest.mark.parametrize("body", [{"days": 0}, {"days": 366}, {"name": "x" * 101}, {"hours": 1}])
async def test_a_bad_token_request_is_a_400(client, people, body):
    response = await client.post(f"/api/v1/users/{await _id('auditor')}/tokens", json=body,
                                 headers=bearer(people.admin))
    assert response.status_code == 400, response.text
    assert await Token.count().where(Token.kind == "api").run() == 4  # the fixture's


@pytest.mark.parametrize("body, field", [({"password": "reset-password-1", "temporary": 0}, "temporary"),
                                         ({"password": "reset-password-1", "temporary": "true"}, "temporary")])
async def test_a_body_is_read_strictly_not_coerced(client, people, body, field):
    response = await client.post(f"/api/v1/users/{await _id('ca')}/password", json=body, headers=bearer(people.admin))
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == field
    assert (await client.get("/api/v1/auth/me", headers=bearer(people.contractor_a))).status_code == 200


async def test_a_token_lifetime_in_text_is_refused(client, people):
    response = await client.post(f"/api/v1/users/{await _id('auditor')}/tokens", json={"days": "5"},
                                 headers=bearer(people.admin))
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "days"
