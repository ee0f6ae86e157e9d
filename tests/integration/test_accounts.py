"""Accounts: password hashing, login and its rate limit, tokens, logout."""

from __future__ import annotations

import datetime as dt

import pytest

from assetsvc.accounts import service
from assetsvc.accounts.service import AccountError
from assetsvc.accounts.tables import Token, User
from tests.integration.conftest import bearer


async def test_password_is_stored_as_an_argon2id_hash():
    await service.add_user("office", "a-long-password", "admin")
    row = await User.select(User.password_hash).first().run()
    assert row["password_hash"].startswith("$argon2id$")
    assert "a-long-password" not in row["password_hash"]


@pytest.mark.parametrize("args,field", [
    (("x", "short", "admin"), "password"),
    (("x", "long-enough-pw", "root"), "role"),
    (("x", "long-enough-pw", "contractor"), "contractor"),
    (("x", "long-enough-pw", "contractor", "no such company"), "contractor"),
    (("x", "long-enough-pw", "admin", "甲运维公司"), "contractor"),
    (("has space", "long-enough-pw", "admin"), "username"),
])
async def test_bad_user_is_refused_naming_the_field(args, field):
    with pytest.raises(AccountError) as info:
        await service.add_user(*args)
    assert info.value.field == field


async def test_login_returns_a_working_session_token(client):
    await service.add_user("office", "a-long-password", "auditor")
    response = await client.post("/api/v1/auth/login",
                                 json={"username": "office", "password": "a-long-password"})
    assert response.status_code == 200
    token = response.json()["token"]
    me = await client.get("/api/v1/auth/me", headers=bearer(token))
    assert me.json() == {"username": "office", "role": "auditor", "contractor": None,
                         "must_change_password": False,
                         "timezone": "Asia/Shanghai"}
    assert (await client.post("/api/v1/auth/logout", headers=bearer(token))).status_code == 204
    assert (await client.get("/api/v1/auth/me", headers=bearer(token))).status_code == 401


async def test_wrong_password_and_unknown_user_answer_alike(client):
    await service.add_user("office", "a-long-password", "admin")
    wrong = await client.post("/api/v1/auth/login", json={"username": "office", "password": "nope"})
    unknown = await client.post("/api/v1/auth/login", json={"username": "ghost", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json()["detail"] == unknown.json()["detail"]


async def test_repeated_failures_are_rate_limited_even_with_the_right_password(client):
    await service.add_user("office", "a-long-password", "admin")
    for _ in range(5):
        await client.post("/api/v1/auth/login", json={"username": "office", "password": "guess"})
    response = await client.post("/api/v1/auth/login",
                                 json={"username": "office", "password": "a-long-password"})
    assert response.status_code == 429
    assert "too many" in response.json()["detail"]


async def test_expired_token_is_refused(client):
    await service.add_user("office", "a-long-password", "admin")
    token = await service.issue_token("office", "api", hours=1)
    await Token.update({Token.expires_at: dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)}) \
        .where(Token.kind == "api").run()
    assert (await client.get("/api/v1/auth/me", headers=bearer(token))).status_code == 401


async def test_disabled_user_token_is_refused(client):
    await service.add_user("office", "a-long-password", "admin")
    token = await service.issue_token("office", "api")
    await User.update({User.active: False}).where(User.username == "office").run()
    assert (await client.get("/api/v1/auth/me", headers=bearer(token))).status_code == 401


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer ", "Basic abc", "Bearer not-a-token"])
async def test_missing_or_bad_authorization_is_401(client, header):
    response = await client.get("/api/v1/cameras/", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.json()["detail"]


async def test_token_is_stored_only_as_a_digest():
    await service.add_user("office", "a-long-password", "admin")
    token = await service.issue_token("office", "api")
    stored = await Token.select(Token.token_hash).first().run()
    assert token not in stored["token_hash"] and len(stored["token_hash"]) == 64
