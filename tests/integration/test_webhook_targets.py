"""Webhook targets: never this machine, link-local addresses or a cloud metadata service unless
allowed; checked when an endpoint is saved and again, after DNS, before each delivery."""

from __future__ import annotations

import ipaddress

import pytest

from assetsvc.webhooks import delivery, targets
from assetsvc.webhooks.tables import WebhookDelivery
from tests.integration.conftest import bearer
from tests.integration.test_webhooks import _empty_outbox, T0, emit, endpoint, receiver  # noqa: F401 - fixtures

ip = ipaddress.ip_address


def nets(text: str, variable: str = "WEBHOOK_ALLOW_CIDRS") -> tuple:
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "169.254.169.254", "fd00:ec2::254", "100.100.100.200",
                                     "fe80::1", "0.0.0.0", "::ffff:127.0.0.1", "169.254.0.23"])
def test_loopback_link_local_and_metadata_addresses_are_refused_by_default(address):
    assert targets.address_problem(ip(address)) is not None


@pytest.mark.parametrize("address", ["10.1.2.3", "192.168.0.10", "172.16.5.5", "fd12::1", "203.0.113.7"])
def test_private_and_public_addresses_are_allowed(address):
    assert targets.address_problem(ip(address)) is None


def test_the_allow_list_opens_a_refused_range_and_the_deny_list_closes_any():
    assert targets.address_problem(ip("127.0.0.1"), allow=nets("127.0.0.0/8", "X")) is None
    assert targets.address_problem(ip("10.9.9.9"), deny=nets("10.0.0.0/8", "X")) is not None
    assert targets.address_problem(ip("127.0.0.1"), allow=nets("127.0.0.0/8", "X"), deny=nets("127.0.0.1/32", "X"))


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/",
                                 "http://100.100.100.200/latest/meta-data"])
async def test_an_endpoint_aimed_at_a_metadata_service_is_refused_when_saved(client, people, url):
    answer = await client.post("/api/v1/webhooks", json={"name": "x", "url": url}, headers=bearer(people.admin))
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["field"] == "url"


async def test_a_private_office_receiver_is_accepted(client, people):
    answer = await client.post("/api/v1/webhooks", json={"name": "office", "url": "http://10.20.30.40:8080/hook"},
                               headers=bearer(people.admin))
    assert answer.status_code == 201, answer.text


async def test_a_name_that_resolves_to_a_refused_address_is_not_delivered_to(receiver, monkeypatch):  # noqa: F811
    await endpoint(f"http://localhost:{receiver.port}/hook")  # saved while loopback is allowed
    monkeypatch.setattr(targets, "_limits", lambda: ((), ()))  # the default: loopback refused
    await emit("ticket.breached", {"ticket": 1})
    counts = await delivery.deliver_due(T0)
    assert counts["delivered"] == 0
    assert receiver.requests == []
    row = (await WebhookDelivery.select().run())[0]
    assert row["last_error"].startswith("refused:")
    assert "127.0.0.1" in row["last_error"] or "::1" in row["last_error"]
