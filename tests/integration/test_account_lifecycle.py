"""Cutting off leaked credentials: disable/enable, token lists and revocation, lifetimes, audit."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from assetsvc.accounts import service
from assetsvc.accounts.service import AccountError
from assetsvc.accounts.tables import Token, User
from assetsvc.audit.tables import Change
from tests.integration.conftest import PASSWORD, bearer
from tests.integration.test_cli import assetsvc


async def _id(username: str) -> int:
    return (await User.select(User.id).where(User.username == username).first().run())["id"]


async def _status(client, token: str) -> int:
    return (await client.get("/api/v1/auth/me", headers=bearer(token))).status_code


async def test_disabling_a_user_ends_its_sessions_and_tokens_at_once(client, people):
    session = await service.issue_token("ca", "session", hours=1)
    disabled = await client.post(f"/api/v1/users/{await _id('ca')}/disable", headers=bearer(people.admin))
    assert disabled.status_code == 200 and disabled.json()["tokens_ended"] == 2
    assert await _status(client, session) == await _status(client, people.contractor_a) == 401
    assert await Token.count().where(Token.user == await _id("ca")).run() == 0
    login = await client.post("/api/v1/auth/login", json={"username": "ca", "password": PASSWORD})
    assert login.status_code == 400
    await client.post(f"/api/v1/users/{await _id('ca')}/enable", headers=bearer(people.admin))
    assert await _status(client, people.contractor_a) == 401  # ended tokens stay ended
    again = await client.post("/api/v1/auth/login", json={"username": "ca", "password": PASSWORD})
    assert again.status_code == 200


async def test_only_the_office_disables_users(client, people):
    for token in (people.auditor, people.contractor_a):
        response = await client.post(f"/api/v1/users/{await _id('cb')}/disable", headers=bearer(token))
        assert response.status_code == 403
    assert await _status(client, people.contractor_b) == 200


async def test_password_change_ends_every_api_token_and_session(client):
    await service.add_user("office", "a-long-password", "admin")
    session = await service.issue_token("office", "session", hours=1)
    api = await service.issue_token("office", "api")
    assert await service.set_password("office", "another-long-password") == 2
    assert await _status(client, session) == await _status(client, api) == 401


async def test_password_change_may_keep_the_changing_session_only():
    await service.add_user("office", "a-long-password", "admin")
    mine = await service.issue_token("office", "session", hours=1)
    await service.issue_token("office", "session", hours=1)
    await service.issue_token("office", "api")
    await service.set_password("office", "another-long-password", keep_token=mine)
    assert await Token.count().run() == 1


async def test_api_token_without_a_lifetime_expires_after_the_default_days():
    await service.add_user("office", "a-long-password", "admin")
    await service.issue_token("office", "api")
    row = await Token.select(Token.expires_at).first().run()
    expected = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=90)
    assert row["expires_at"] is not None
    assert abs((row["expires_at"] - expected).total_seconds()) < 60


@pytest.mark.parametrize("lifetime", [{"days": 366}, {"hours": 366 * 24}, {"hours": 0}])
async def test_api_token_lifetime_is_bounded(lifetime):
    await service.add_user("office", "a-long-password", "admin")
    with pytest.raises(AccountError):
        await service.issue_token("office", "api", **lifetime)


async def test_token_records_its_last_use_at_most_once_a_minute(client, people):
    admin_id = await _id("admin")
    assert await _status(client, people.admin) == 200
    first = (await Token.select(Token.last_used_at).where(Token.user == admin_id).first().run())["last_used_at"]
    assert first is not None
    assert await _status(client, people.admin) == 200
    row = await Token.select(Token.last_used_at).where(Token.user == admin_id).first().run()
    assert row["last_used_at"] == first  # used again within the minute: not rewritten
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=2)
    await Token.update({Token.last_used_at: old}).where(Token.user == admin_id).run()
    assert await _status(client, people.admin) == 200
    row = await Token.select(Token.last_used_at).where(Token.user == admin_id).first().run()
    assert row["last_used_at"] > old + dt.timedelta(minutes=1)


async def test_a_user_lists_and_revokes_their_own_tokens_only(client, people):
    mine = (await client.get("/api/v1/auth/tokens", headers=bearer(people.contractor_a))).json()
    assert [t["kind"] for t in mine] == ["api"] and "token_hash" not in mine[0]
    assert mine[0]["last_used_at"] is not None
    admin_tokens = (await client.get(f"/api/v1/users/{await _id('admin')}/tokens",
                                     headers=bearer(people.admin))).json()
    other = await client.get(f"/api/v1/users/{await _id('admin')}/tokens", headers=bearer(people.contractor_a))
    assert other.status_code == 404
    steal = await client.delete(f"/api/v1/tokens/{admin_tokens[0]['id']}", headers=bearer(people.contractor_a))
    assert steal.status_code == 404
    assert await _status(client, people.admin) == 200
    own = await client.delete(f"/api/v1/tokens/{mine[0]['id']}", headers=bearer(people.contractor_a))
    assert own.status_code == 204
    assert await _status(client, people.contractor_a) == 401


async def test_the_office_revokes_any_token_at_once(client, people):
    listed = (await client.get(f"/api/v1/users/{await _id('cb')}/tokens", headers=bearer(people.admin))).json()
    response = await client.delete(f"/api/v1/tokens/{listed[0]['id']}", headers=bearer(people.admin))
    assert response.status_code == 204
    assert await _status(client, people.contractor_b) == 401
    users = (await client.get("/api/v1/users", headers=bearer(people.admin))).json()
    assert {u["username"] for u in users} == {"admin", "auditor", "ca", "cb"}
    # Auditors read every user (the administration screens, read-only); contractors do not.
    assert (await client.get("/api/v1/users", headers=bearer(people.auditor))).status_code == 200
    assert (await client.get("/api/v1/users", headers=bearer(people.contractor_a))).status_code == 403


async def _log() -> list[dict]:
    return await Change.select().where(Change.entity.is_in(["user", "token"])).order_by(Change.id) \
        .output(load_json=True).run()


async def test_logins_tokens_and_user_changes_are_audited_without_secrets(client):
    await service.add_user("office", "a-long-password", "admin", by="cli:root")
    bad = await client.post("/api/v1/auth/login", json={"username": "office", "password": "wrong-guess-1"})
    good = await client.post("/api/v1/auth/login", json={"username": "office", "password": "a-long-password"})
    session = good.json()["token"]
    api = await service.issue_token("office", "api", name="gis", by="cli:root")
    token_id = (await Token.select(Token.id).where(Token.kind == "api").first().run())["id"]
    await client.delete(f"/api/v1/tokens/{token_id}", headers=bearer(session))
    await service.set_active("office", False, by="cli:root")
    await service.set_active("office", True, by="cli:root")
    await service.set_password("office", "another-long-password", by="cli:root")
    assert bad.status_code == 400
    log = await _log()
    assert [(c["action"], c["entity"]) for c in log] == [
        ("create", "user"), ("login", "user"), ("login", "user"), ("create", "token"), ("delete", "token"),
        ("update", "user"), ("update", "user"), ("update", "user")]
    assert [c["changes"]["outcome"][1] for c in log[1:3]] == ["refused", "ok"]
    assert log[4]["actor"] == "office" and log[5]["changes"]["active"] == [True, False]
    text = json.dumps(log, default=str)
    stored_hash = (await User.select(User.password_hash).first().run())["password_hash"]
    for secret in ("a-long-password", "wrong-guess-1", "another-long-password", session, api, stored_hash):
        assert secret not in text


async def test_a_role_change_holds_at_once_and_is_audited(client, people):
    await service.set_role("auditor", "contractor", "乙运维公司", by="cli:root")
    assert (await client.get("/api/v1/auth/me", headers=bearer(people.auditor))).json()["role"] == "contractor"
    [logged] = await Change.select(Change.changes).where(Change.action == "update").output(load_json=True).run()
    assert logged["changes"] == {"role": ["auditor", "contractor"], "contractor": [None, people.b_id]}


async def test_cli_disables_lists_and_revokes():
    assert assetsvc("user", "add", "office", "--role", "admin", stdin="a-long-password\n").returncode == 0
    token = assetsvc("user", "token", "office", "--name", "gis", "--days", "30").stdout.strip()
    listed = assetsvc("user", "tokens", "office", "--json")
    assert listed.returncode == 0, listed.stderr
    [entry] = json.loads(listed.stdout)
    assert entry["name"] == "gis" and token not in listed.stdout
    revoked = assetsvc("user", "revoke", str(entry["id"]))
    assert revoked.returncode == 0 and await Token.count().run() == 0
    assetsvc("user", "token", "office")
    disabled = assetsvc("user", "disable", "office")
    assert disabled.returncode == 0 and "1 session(s) and token(s) ended" in disabled.stdout
    assert await User.select(User.active).first().run() == {"active": False}
    assert "DISABLED" in assetsvc("user", "list").stdout
    assert assetsvc("user", "enable", "office").returncode == 0
    assert await User.select(User.active).first().run() == {"active": True}
    too_long = assetsvc("user", "token", "office", "--days", "400")
    assert too_long.returncode == 1 and "365 days" in too_long.stderr


async def test_cli_gives_temporary_passwords_the_user_must_change():
    added = assetsvc("user", "add", "newbie", "--role", "auditor", "--temporary", stdin="first-temporary-pw\n")
    assert added.returncode == 0, added.stderr
    assert await User.select(User.must_change_password).first().run() == {"must_change_password": True}
    await User.update({User.must_change_password: False}).where(User.username == "newbie").run()
    reset = assetsvc("user", "passwd", "newbie", "--temporary", stdin="second-temporary\n")
    assert reset.returncode == 0, reset.stderr
    assert await User.select(User.must_change_password).first().run() == {"must_change_password": True}
