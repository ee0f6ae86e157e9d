"""Sending approved monthly reports to a fake provincial platform (tests/fakes/province.py): a real
HTTPS server on loopback with a test CA. Every scenario ends with each version once in effect on
the platform and the office able to see what happened; the outbox is driven with an injected clock."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from assetsvc import bulk, db
from assetsvc.errors import Conflict, Forbidden, NotFound, ValidationFailed
from assetsvc.secrets import KeyError_
from assetsvc.registry.tables import Camera
from assetsvc.reports import versions
from assetsvc.reports.province import config, delivery, service
from assetsvc.reports.province.tables import ProvinceDelivery
from assetsvc.webhooks import service as webhooks
from assetsvc.webhooks.tables import WebhookDelivery
from tests.fakes.province import Platform
from tests.integration.conftest import ADMIN, bearer
from tests.integration.test_tickets_score import at

T0 = at(12, 2, 9)  # the November report is approved on 2 December
KEY = "province-signing-key-0123456789"
AUDITOR = ADMIN.__class__(user_id=0, username="test-auditor", role="auditor", contractor_id=None)
DAY = 86400.0


@pytest.fixture
def platform(tmp_path):
    fake = Platform(key=KEY, folder=tmp_path)
    fake.start()
    yield fake
    fake.close()


async def configure(platform: Platform, **over) -> dict:
    values = {"url": platform.url, "ca_bundle": str(platform.ca_pem), "area_code": "330100",
              "unit_code": "HZ-VIDEO-OFFICE", "secret": KEY, "timeout_s": 5.0, **over}
    return await config.configure(ADMIN, values, now=T0)


async def camera(n: int) -> None:
    await Camera(gb_id=f"330106001313200{n:05d}", name=f"cam {n}", region_code="330106", longitude=120.13,
                 latitude=30.27).save().run()


async def approve_next(now: float = T0) -> int:
    """A new version of November's report (a camera more than the last one), approved; its number."""
    await camera(await Camera.count().run() + 1)
    made = await versions.generate(ADMIN, "2026-11", now=now)
    await versions.approve(ADMIN, "2026-11", made["version"], now=now)
    return made["version"]


async def only_delivery() -> dict:
    [row] = await service.list_deliveries(ADMIN)
    return row


async def test_an_approved_version_goes_once_signed_with_its_key_and_its_receipt_is_kept(platform):
    await configure(platform)
    await approve_next()
    assert (await only_delivery())["state"] == "pending"  # queued by the approval itself
    sent = await delivery.deliver_due(T0)
    assert (sent["delivered"], sent["sent"]) == (1, 1)
    assert await delivery.deliver_due(T0 + 7200) == {"sent": 0, "delivered": 0, "retrying": 0, "failed": 0}
    row = await only_delivery()
    assert (row["state"], row["attempts"], row["kind"], row["replaces"]) == ("delivered", 1, "report", None)
    assert row["receipt"] == {"receipt": "SJ-0001", "duplicate": False}
    assert platform.distinct_keys == 1 and len(platform.requests) == 1
    request = platform.requests[0]
    assert request["headers"]["Idempotency-Key"] == "monthly-report:2026-11:v1"
    body = json.loads(request["body"])
    assert (body["area_code"], body["unit_code"], body["month"], body["version"]) == \
        ("330100", "HZ-VIDEO-OFFICE", "2026-11", 1)
    assert body["report"]["cameras_registered"] == 1 and body["mapping"] == "province-v1"
    assert set(body["report"]) >= {"online_rate", "tickets_opened", "registry_completeness_rate"}


async def test_a_corrected_version_is_sent_as_a_correction_naming_the_one_it_replaces(platform):
    await configure(platform)
    await approve_next()
    await delivery.deliver_due(T0)
    await approve_next(T0 + 100)
    await delivery.deliver_due(T0 + 100)
    newest, first = await service.list_deliveries(ADMIN, month="2026-11")
    assert (newest["version"], newest["kind"], newest["replaces"], newest["state"]) == (2, "correction", 1, "delivered")
    assert first["state"] == "delivered"
    assert platform.distinct_keys == 2
    assert platform.in_effect["monthly-report:2026-11:v2"]["replaces"] == 1


async def test_a_correction_waits_for_the_version_it_replaces(platform):
    await configure(platform)
    platform.stop()
    await approve_next()
    await delivery.deliver_due(T0)  # v1 fails: the platform is down
    await approve_next(T0 + 10)
    platform.start()
    assert (await delivery.deliver_due(T0 + 20))["sent"] == 0  # v1 is not due yet, and v2 waits behind it
    await delivery.deliver_due(T0 + 40)
    assert [json.loads(r["body"])["version"] for r in platform.requests] == [1, 2]


async def _fail_once_then_deliver(platform: Platform, expect: str) -> dict:
    await approve_next()
    await delivery.deliver_due(T0)
    row = await only_delivery()
    assert row["state"] == "pending" and row["attempts"] == 1, row
    assert expect in (row["last_error"] or ""), row["last_error"]
    return row


@pytest.mark.parametrize("scenario", ["down", "answer_500", "bad_signature", "client_cert_refused",
                                      "client_cert_missing"])
async def test_every_failure_is_retried_until_the_version_is_once_in_effect(platform, scenario):
    await configure(platform)
    if scenario == "down":
        platform.stop()
        await _fail_once_then_deliver(platform, "refused")
        platform.start()
    elif scenario == "answer_500":
        platform.fail_500 = 1
        await _fail_once_then_deliver(platform, "HTTP 500")
    elif scenario == "bad_signature":
        await configure(platform, secret="not-the-platform-key-at-all")
        await _fail_once_then_deliver(platform, "HTTP 401")
        await configure(platform)  # the office sets the right key
    else:
        platform.require_client_cert = True
        platform.stop()
        platform.start()
        if scenario == "client_cert_refused":  # from a CA the platform does not trust
            await configure(platform, client_cert=str(platform.stranger_pem))
        await _fail_once_then_deliver(platform, "tls")
        await configure(platform, client_cert=str(platform.client_pem))
    assert (await delivery.deliver_due(T0 + 10))["sent"] == 0  # not before its back-off
    await delivery.deliver_due(T0 + delivery.backoff(1))
    row = await only_delivery()
    assert (row["state"], row["attempts"]) == ("delivered", 2)
    assert [t["error"] is None for t in row["tries"]] == [False, True]  # the office sees both attempts
    assert platform.distinct_keys == 1


async def test_a_slow_platform_within_the_time_limit_takes_it_at_the_first_try(platform):
    await configure(platform)
    platform.slow_s = 0.3
    await approve_next()
    assert (await delivery.deliver_due(T0))["delivered"] == 1
    assert platform.distinct_keys == 1 and len(platform.requests) == 1


async def test_a_time_out_after_the_body_arrived_is_resent_and_stays_once_in_effect(platform):
    await configure(platform, timeout_s=0.5)
    platform.hang_after_body = True
    await approve_next()
    await delivery.deliver_due(T0)
    row = await only_delivery()
    assert row["state"] == "pending" and "timeout" in row["last_error"]
    assert platform.distinct_keys == 1  # the platform took it, we could not know
    platform.hang_after_body = False
    await delivery.deliver_due(T0 + delivery.backoff(1))
    row = await only_delivery()
    assert row["state"] == "delivered" and row["receipt"] == {"receipt": "SJ-0001", "duplicate": True}
    assert platform.distinct_keys == 1 and len(platform.requests) == 2


async def _office_endpoint() -> None:
    await webhooks.create_endpoint(ADMIN, {"name": "office", "url": "http://office-hooks.invalid/hooks"}, now=T0)


async def _drive(until: float, limit: int = 400) -> int:
    """Run the outbox at each next due time up to `until`; how many rounds (bounded)."""
    rounds = 0
    while rounds < limit:
        [row] = await bulk.fetch(ProvinceDelivery, "SELECT state, next_at FROM province_delivery")
        if row["state"] != "pending" or row["next_at"] > until:
            return rounds
        await delivery.deliver_due(row["next_at"])
        rounds += 1
    raise AssertionError("the outbox never settled")


async def test_three_days_down_loses_nothing_and_tries_at_most_an_hour_apart(platform):
    await configure(platform)
    platform.stop()
    await approve_next()
    rounds = await _drive(T0 + 3 * DAY)
    row = await only_delivery()
    assert row["state"] == "pending" and rounds == row["attempts"]
    assert 72 <= rounds <= 90  # 30 s doubling to 1 h, then hourly
    platform.start()
    await _drive(T0 + 3 * DAY + 3600)
    assert (await only_delivery())["state"] == "delivered" and platform.distinct_keys == 1


async def test_after_the_limit_the_delivery_fails_the_office_is_told_and_a_retry_sends_it(platform):
    await _office_endpoint()
    await configure(platform, give_up_days=7)
    platform.stop()
    await approve_next()
    await _drive(T0 + 30 * DAY)
    row = await only_delivery()
    assert row["state"] == "failed" and row["failed_at"] is not None
    told = await bulk.fetch(WebhookDelivery, "SELECT event, payload FROM webhook_delivery")
    assert [t["event"] for t in told] == ["report.province_failed"]
    assert json.loads(told[0]["payload"])["data"]["idempotency_key"] == "monthly-report:2026-11:v1"
    status = await service.status(AUDITOR)
    assert status["deliveries"]["failed"] == 1 and status["failed"][0]["id"] == row["id"]
    platform.start()
    await service.retry(ADMIN, row["id"], now=T0 + 31 * DAY)
    await delivery.deliver_due(T0 + 31 * DAY)
    assert (await only_delivery())["state"] == "delivered" and platform.distinct_keys == 1


async def test_a_sender_that_died_mid_send_is_taken_over_after_its_lease(platform):
    await configure(platform)
    await approve_next()
    assert await delivery.claim("dead-node", T0) is not None  # claimed, then the node died
    assert (await delivery.deliver_due(T0 + 60))["sent"] == 0
    await delivery.deliver_due(T0 + delivery.LEASE_S + 1)
    assert (await only_delivery())["state"] == "delivered" and platform.distinct_keys == 1


def assetsvc(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assetsvc.cli", *args], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ))


async def test_a_restarted_process_picks_up_the_retry_and_the_cli_shows_it(platform):
    await configure(platform)
    platform.stop()
    await approve_next()
    await delivery.deliver_due(T0)  # fails; this process "stops" here
    platform.start()
    pushed = assetsvc("report", "push")  # a new process, a new engine: real time is past the back-off
    assert pushed.returncode == 0, pushed.stderr
    assert "1 delivered" in pushed.stdout
    shown = assetsvc("report", "deliveries", "--json")
    assert shown.returncode == 0, shown.stderr
    [row] = json.loads(shown.stdout)
    assert (row["state"], row["attempts"], len(row["tries"])) == ("delivered", 2, 2)
    assert platform.distinct_keys == 1


async def test_push_queues_a_month_approved_before_and_only_admins_send(platform):
    await approve_next()
    await db_delete_deliveries()
    await configure(platform)
    with pytest.raises(Forbidden):
        await service.push(AUDITOR, "2026-11", now=T0)
    found = await service.push(ADMIN, "2026-11", now=T0)
    assert found["queued"] and found["delivered"] == 1
    again = await service.push(ADMIN, "2026-11", now=T0)
    assert not again["queued"] and again["sent"] == 0
    with pytest.raises(NotFound):
        await service.push(ADMIN, "2026-10", now=T0)
    with pytest.raises(Conflict):
        await service.retry(ADMIN, found["deliveries"][0]["id"], now=T0)


async def db_delete_deliveries() -> None:
    async with db.write_transaction():
        await ProvinceDelivery.delete(force=True).run()


async def test_bad_configuration_is_refused_naming_each_field(platform):
    with pytest.raises(ValidationFailed) as refused:
        await config.configure(ADMIN, {"url": "http://province.example/api", "area_code": "33", "unit_code": "x",
                                       "ca_bundle": "/no/such/file.pem", "mapping": "no-such-mapping",
                                       "secret": KEY}, now=T0)
    assert {e["field"] for e in refused.value.errors} == {"url", "area_code", "ca_bundle", "mapping"}
    with pytest.raises(ValidationFailed) as missing:
        await config.configure(ADMIN, {"url": platform.url, "area_code": "330100", "unit_code": "x"}, now=T0)
    assert [e["field"] for e in missing.value.errors] == ["secret"]
    with pytest.raises(Forbidden):
        await config.configure(AUDITOR, {"url": platform.url}, now=T0)
    with pytest.raises(NotFound):
        await config.show(ADMIN)


async def test_the_api_lists_deliveries_to_auditors_and_only_admins_retry(platform, people, client):
    await configure(platform)
    platform.stop()
    await approve_next()
    await delivery.deliver_due(T0)
    listed = await client.get("/api/v1/province/deliveries", headers=bearer(people.auditor))
    assert listed.status_code == 200, listed.text
    [row] = listed.json()
    assert row["tries"][0]["error"].startswith("refused")
    shown = await client.get("/api/v1/province", headers=bearer(people.auditor))
    assert shown.status_code == 200 and shown.json()["secret"] == "***" and KEY not in shown.text
    assert (await client.get("/api/v1/province/deliveries", headers=bearer(people.contractor_a))).status_code == 403
    denied = await client.post(f"/api/v1/province/deliveries/{row['id']}/retry", headers=bearer(people.auditor))
    assert denied.status_code == 403
    platform.start()
    retried = await client.post(f"/api/v1/province/deliveries/{row['id']}/retry", headers=bearer(people.admin))
    assert retried.status_code == 200 and retried.json()["state"] == "pending"
    pushed = await client.post("/api/v1/province/push", headers=bearer(people.admin))
    assert pushed.status_code == 200 and pushed.json()["delivered"] == 1
    bad = await client.get("/api/v1/province/deliveries?limit=0", headers=bearer(people.admin))
    assert bad.status_code == 400
    bad_body = await client.put("/api/v1/province", json={"url": "ftp://x", "colour": 1}, headers=bearer(people.admin))
    assert bad_body.status_code == 400 and bad_body.json()["errors"][0]["field"] == "colour"


async def test_an_outcome_arriving_after_the_lease_was_taken_over_changes_nothing(platform):
    await configure(platform)
    await approve_next()
    target, row = await delivery.claim("slow-node", T0)
    await delivery.deliver_due(T0 + delivery.LEASE_S + 1)  # another node takes over and delivers
    late = delivery.Outcome(False, None, "timeout: no answer within 30 s")
    assert await delivery.record("slow-node", row, target, late, T0 + delivery.LEASE_S + 2) == "lost"
    found = await only_delivery()
    assert (found["state"], found["attempts"], len(found["tries"])) == ("delivered", 1, 2)


def test_the_cli_sets_the_platform_reading_the_key_from_stdin_and_never_shows_it(platform):
    made = subprocess.run([sys.executable, "-m", "assetsvc.cli", "report", "province", "set", "--url", platform.url,
                           "--ca-bundle", str(platform.ca_pem), "--area-code", "330100", "--unit-code", "HZ",
                           "--key-stdin"], input=KEY + "\n", capture_output=True, text=True, timeout=120,
                          env=dict(os.environ))
    assert made.returncode == 0, made.stderr
    shown = assetsvc("report", "province", "show")
    assert shown.returncode == 0 and KEY not in shown.stdout + made.stdout
    assert json.loads(shown.stdout)["area_code"] == "330100"
    bad = assetsvc("report", "province", "set", "--url", "http://plain.example/api")
    assert bad.returncode != 0 and "url" in bad.stderr and "Traceback" not in bad.stderr
    missing = assetsvc("report", "retry-delivery", "99")
    assert missing.returncode != 0 and "no province delivery with id 99" in missing.stderr


async def test_a_wrong_credential_key_sends_nothing_and_loses_nothing(platform, monkeypatch):
    from cryptography.fernet import Fernet

    from assetsvc import runtime
    from assetsvc.app import startup

    await configure(platform)
    await approve_next()
    monkeypatch.setenv("ASSETSVC_SECRET_KEY", Fernet.generate_key().decode())
    runtime.settings.cache_clear()
    try:
        assert (await delivery.deliver_due(T0))["sent"] == 0
        with pytest.raises(KeyError_):
            await configure(platform)
    finally:
        monkeypatch.undo()
        runtime.settings.cache_clear()
        await startup.check_key(create_if_unused=False)
    assert (await only_delivery())["state"] == "pending" and not platform.requests
    assert (await delivery.deliver_due(T0))["delivered"] == 1 and platform.distinct_keys == 1


async def test_two_senders_at_once_send_each_version_once(platform):
    import asyncio

    await configure(platform)
    await approve_next()
    await approve_next(T0 + 1)
    results = await asyncio.gather(delivery.deliver_due(T0 + 2), delivery.deliver_due(T0 + 2))
    assert sum(r["delivered"] for r in results) == 2
    assert len(platform.requests) == 2 and platform.distinct_keys == 2
