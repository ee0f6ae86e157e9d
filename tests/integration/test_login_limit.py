"""The login rate limit: atomic, hard per address, back-off per account, proxies trusted only when set."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from assetsvc import runtime
from assetsvc.accounts import service
from assetsvc.accounts.tables import LoginAttempt

RIGHT = "a-long-password"
ATTACKER = "203.0.113.9"


@pytest.fixture
async def office():
    await service.add_user("office", RIGHT, "admin")


def from_address(app, address: str) -> httpx.AsyncClient:
    """A client whose TCP peer is `address` (the ASGI scope's client)."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def attempt(client: httpx.AsyncClient, password: str, username: str = "office", **headers) -> httpx.Response:
    return await client.post("/api/v1/auth/login", json={"username": username, "password": password},
                             headers=headers)


async def test_forty_parallel_bad_attempts_get_at_most_the_limit_evaluated(app, office):
    async with from_address(app, ATTACKER) as attacker:
        answers = await asyncio.gather(*[attempt(attacker, f"guess-{n:04}-x") for n in range(40)])
    codes = [a.status_code for a in answers]
    assert codes.count(400) == 5 and codes.count(429) == 35
    assert await LoginAttempt.count().run() == 5  # the refused ones never reached the password


async def test_refusal_says_when_to_retry(app, office):
    async with from_address(app, ATTACKER) as attacker:
        for n in range(5):
            await attempt(attacker, f"guess-{n:04}-x")
        refused = await attempt(attacker, RIGHT)
        other_account = await attempt(attacker, "guess", username="someone-else")
    assert refused.status_code == other_account.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 900


async def test_the_owner_logs_in_from_a_clean_address_while_an_attacker_hammers(app, office):
    async with from_address(app, ATTACKER) as attacker, from_address(app, "198.51.100.7") as owner:
        hammering = [attempt(attacker, f"guess-{n:04}-x") for n in range(30)]
        *_, mine = await asyncio.gather(*hammering, attempt(owner, RIGHT))
        later = await attempt(owner, RIGHT)
    assert mine.status_code == 200, mine.text
    assert later.status_code == 200


async def test_an_account_slows_addresses_that_failed_on_it_without_locking_it(app, office):
    for n in range(10):  # ten addresses, one failure each: the account is slowed by 2**5 s
        async with from_address(app, f"192.0.2.{n + 1}") as one:
            assert (await attempt(one, "guess-guess")).status_code == 400
    async with from_address(app, "192.0.2.1") as failed_before, from_address(app, "192.0.2.99") as clean:
        assert (await attempt(failed_before, RIGHT)).status_code == 429  # must wait the back-off
        assert (await attempt(clean, RIGHT)).status_code == 200


async def test_a_forwarded_for_header_from_an_untrusted_peer_is_ignored(app, office):
    async with from_address(app, "127.0.0.1") as local:
        answers = [await attempt(local, "guess-guess", username=f"user{n}", **{"X-Forwarded-For": f"10.9.0.{n}"})
                   for n in range(6)]
    assert [a.status_code for a in answers] == [400] * 5 + [429]
    clients = {row["client"] for row in await LoginAttempt.select(LoginAttempt.client).run()}
    assert clients == {"127.0.0.1"}


@pytest.fixture
def trusted_proxy(monkeypatch):
    monkeypatch.setenv("ASSETSVC_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8")
    runtime.settings.cache_clear()
    yield
    monkeypatch.undo()
    runtime.settings.cache_clear()


async def test_a_configured_proxy_is_believed_for_the_nearest_untrusted_hop(app, office, trusted_proxy):
    async with from_address(app, "127.0.0.1") as proxy:
        await attempt(proxy, "guess-guess", **{"X-Forwarded-For": "6.6.6.6, 198.51.100.20, 10.1.1.1"})
    [row] = await LoginAttempt.select(LoginAttempt.client).run()
    assert row["client"] == "198.51.100.20"  # the spoofable left-most hop is not taken


def test_serve_does_not_let_uvicorn_believe_forwarded_headers(monkeypatch):
    import uvicorn

    from assetsvc.app import process

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: seen.update(kwargs))
    process.serve("127.0.0.1", 0, worker=False, scheduler=False)
    assert seen["proxy_headers"] is False


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_assetsvc_serve_ignores_a_forwarded_for_from_a_local_peer(office):
    """End to end through uvicorn: its default would believe X-Forwarded-For from 127.0.0.1."""
    import os
    import subprocess
    import sys

    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "assetsvc.cli", "serve", "--no-worker", "--no-scheduler",
                               "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              env=os.environ.copy())
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as local:
            for _ in range(300):
                try:
                    if (await local.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            # A new account and a new forwarded address each time: only the peer address can count.
            codes = [(await attempt(local, "guess-guess", username=f"user{n}",
                                    **{"X-Forwarded-For": f"10.9.0.{n}"})).status_code for n in range(6)]
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert codes == [400] * 5 + [429]


async def test_after_the_window_an_address_is_heard_again_and_old_counters_go(app, office):
    from assetsvc.accounts.tables import LoginThrottle

    async with from_address(app, ATTACKER) as attacker:
        for n in range(5):
            await attempt(attacker, f"guess-{n:04}-x")
        assert (await attempt(attacker, RIGHT)).status_code == 429
        await LoginThrottle.update({LoginThrottle.window_start: 1.0, LoginThrottle.last_failure_at: 1.0},
                                   force=True).run()
        assert (await attempt(attacker, RIGHT)).status_code == 200
    keys = {r["key"] for r in await LoginThrottle.select(LoginThrottle.key).run()}
    assert keys == {f"addr:{ATTACKER}", "user:office"}  # restarted in place, nothing else kept
    await LoginThrottle.insert(LoginThrottle(key="addr:198.51.100.1", failures=3, window_start=1.0,
                                             last_failure_at=1.0)).run()
    async with from_address(app, ATTACKER) as attacker:
        await attempt(attacker, RIGHT)
    assert "addr:198.51.100.1" not in {r["key"] for r in await LoginThrottle.select(LoginThrottle.key).run()}
