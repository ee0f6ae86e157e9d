"""Device credentials: encrypted at rest, never returned, never logged; the key check at start."""

from __future__ import annotations

import logging

import pytest

from assetsvc import runtime
from assetsvc.app import startup
from assetsvc.audit.tables import Change
from assetsvc.registry.tables import Credential
from assetsvc.secrets import KeyError_
from tests.integration.conftest import bearer

SECRET = "Hik-Pa55word!"


async def make(client, token):
    return await client.post("/api/v1/credentials/", headers=bearer(token),
                             json={"name": "hik", "username": "admin", "password": SECRET})


async def test_password_is_encrypted_and_never_returned(client, people, caplog):
    caplog.set_level(logging.DEBUG)
    response = await make(client, people.admin)
    assert response.status_code == 201
    assert SECRET not in response.text and "secret" not in response.json()
    listing = await client.get("/api/v1/credentials/", headers=bearer(people.auditor))
    assert SECRET not in listing.text and "secret" not in listing.json()["items"][0]
    stored = await Credential.select(Credential.secret).first().run()
    assert SECRET not in stored["secret"]
    assert runtime.vault().decrypt(stored["secret"]) == SECRET
    history = await client.get(f"/api/v1/credentials/{response.json()['id']}/history",
                               headers=bearer(people.admin))
    assert SECRET not in history.text and stored["secret"] not in history.text
    assert SECRET not in caplog.text


async def test_password_change_is_logged_without_values(client, people):
    record = (await make(client, people.admin)).json()
    await client.patch(f"/api/v1/credentials/{record['id']}", json={"password": "new-secret-1"},
                       headers=bearer(people.admin))
    last = await Change.select(Change.changes).order_by(Change.id, ascending=False).first() \
        .output(load_json=True).run()
    assert last["changes"] == {"secret": ["***", "***"]}


async def test_contractors_cannot_see_credentials(client, people):
    await make(client, people.admin)
    response = await client.get("/api/v1/credentials/", headers=bearer(people.contractor_a))
    assert response.status_code == 403


@pytest.fixture
async def other_key(monkeypatch):
    """Lets a test change the key settings; the process's real key is restored afterwards."""
    yield monkeypatch
    monkeypatch.undo()
    runtime.settings.cache_clear()
    await startup.check_key(create_if_unused=False)


async def test_start_up_fails_when_credentials_exist_but_the_key_is_missing(other_key, client, people):
    await make(client, people.admin)
    other_key.delenv("ASSETSVC_SECRET_KEY")
    runtime.settings.cache_clear()
    with pytest.raises(KeyError_, match="no key is configured"):
        await startup.check_key(create_if_unused=True)


async def test_start_up_fails_when_the_key_is_the_wrong_one(other_key, client, people):
    from cryptography.fernet import Fernet

    await make(client, people.admin)
    other_key.setenv("ASSETSVC_SECRET_KEY", Fernet.generate_key().decode())
    runtime.settings.cache_clear()
    with pytest.raises(KeyError_, match="cannot be decrypted"):
        await startup.check_key(create_if_unused=False)


async def _use_key(monkeypatch, key: str) -> None:
    monkeypatch.setenv("ASSETSVC_SECRET_KEY", key)
    runtime.settings.cache_clear()


async def test_a_wrong_key_seals_nothing_through_the_api(other_key, client, people):
    from cryptography.fernet import Fernet

    assert (await make(client, people.admin)).status_code == 201  # the key check is written with it
    await _use_key(other_key, Fernet.generate_key().decode())
    response = await client.post("/api/v1/credentials/", headers=bearer(people.admin),
                                 json={"name": "dahua", "username": "admin", "password": SECRET})
    assert response.status_code == 503
    assert "ASSETSVC_SECRET_KEY" in response.json()["detail"]
    assert await Credential.count().run() == 1


async def test_the_cli_refuses_to_seal_a_webhook_secret_with_a_wrong_key(client, people):
    from cryptography.fernet import Fernet

    from assetsvc.webhooks.tables import WebhookEndpoint
    from tests.integration.test_cli import assetsvc

    await startup.check_key(create_if_unused=False)  # the deployment's key is established
    wrong = {"ASSETSVC_SECRET_KEY": Fernet.generate_key().decode()}
    result = assetsvc("webhooks", "add", "office", "https://192.0.2.10/hook", env=wrong)
    assert result.returncode == 1
    assert "ASSETSVC_SECRET_KEY" in result.stderr and "Traceback" not in result.stderr
    assert await WebhookEndpoint.count().run() == 0
    right = assetsvc("webhooks", "add", "office", "https://192.0.2.10/hook")
    assert right.returncode == 0, right.stderr


async def test_start_up_checks_every_stored_secret_not_a_sample(other_key, client, people):
    from cryptography.fernet import Fernet

    from assetsvc.registry.tables import KeyCheck

    await make(client, people.admin)
    await KeyCheck.delete(force=True).run()  # a deployment from before the key check
    stray = Fernet(Fernet.generate_key()).encrypt(b"sealed with another key").decode()
    await Credential(name="stray", username="admin", secret=stray).save().run()
    with pytest.raises(KeyError_, match="1 of 2 stored secrets cannot be decrypted"):
        await startup.check_key(create_if_unused=False)
    assert await KeyCheck.count().run() == 0
    await Credential.delete().where(Credential.name == "stray").run()  # so the fixture's check passes


async def test_an_existing_deployment_gets_its_key_check_once_the_key_opens_its_secrets(client, people):
    from assetsvc.registry.tables import KeyCheck

    await make(client, people.admin)
    await KeyCheck.delete(force=True).run()
    await startup.check_key(create_if_unused=False)
    [row] = await KeyCheck.select(KeyCheck.token).run()
    assert runtime.vault().decrypt(row["token"]) == "assetsvc credential key check v1"
