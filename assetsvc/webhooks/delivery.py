"""Sending due webhook deliveries: claim with a lease, sign, POST, record, back off.

Order and exclusion: deliveries to one endpoint go out in creation order, one at a time; a
failure stops that endpoint's queue until its head is due again (or dead). Claiming locks the
endpoints' rows (PostgreSQL: FOR NO KEY UPDATE SKIP LOCKED; SQLite: the IMMEDIATE write
transaction) and leases the chosen deliveries, so two nodes never send to one endpoint at the
same time. The database is never held in a transaction while a request runs: every outcome is
written in its own short transaction. A node dying mid-send leaves a lease that runs out after
LEASE_S; the delivery is then sent again (at least once: receivers dedupe on the delivery id).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import httpx

from assetsvc import bulk, db
from assetsvc.secrets import KeyError_
from assetsvc.webhooks.service import verified_vault
from assetsvc.webhooks.sending import Outcome, post, signature
from assetsvc.webhooks.tables import WebhookDelivery, WebhookEndpoint

log = logging.getLogger("assetsvc.webhooks")

MAX_ATTEMPTS = 31  # 30 s doubling to the 1 h cap: the last try is about 24 h after the first
BACKOFF_FIRST_S = 30.0
BACKOFF_MAX_S = 3600.0
TIMEOUT_S = 10.0  # connect, write and read each
LEASE_S = 600.0  # how long a claimed delivery is ours; sending stops well before it runs out
CONCURRENCY = 8  # endpoints sent to at the same time
REPLAY_WINDOW_S = 300.0  # verify_signature refuses timestamps further than this from now
COUNTED = {"delivered": "delivered", "pending": "retrying", "dead": "dead"}  # new state -> count


def backoff(attempts: int) -> float:
    """Seconds until the next try after `attempts` failed ones: 30, 60, 120, ... capped at 1 h."""
    return min(BACKOFF_FIRST_S * 2 ** min(max(attempts - 1, 0), 20), BACKOFF_MAX_S)


def verify_signature(secret: str, timestamp: str | int, body: bytes, header: str, *,
                     now: float | None = None, window_s: float = REPLAY_WINDOW_S) -> bool:
    """For receivers: the signature matches and the timestamp is within `window_s` of now.

    The window (5 minutes by default) bounds replays: a captured request re-sent later fails.
    Within it a receiver dedupes on X-Assetsvc-Delivery.
    """
    try:
        stamp = int(str(timestamp).strip())
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - stamp) > window_s or not isinstance(header, str):
        return False
    return hmac.compare_digest(signature(secret, stamp, body).encode(), header.strip().encode())


@dataclass
class Queue:
    """One endpoint's claimed deliveries, oldest first."""

    endpoint_id: int
    url: str
    secret: str
    items: list[dict[str, Any]] = field(default_factory=list)


def _owner() -> str:
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def _due_endpoints(now: float) -> list[dict[str, Any]]:
    """Active endpoints with a due pending delivery, locked against other claimers (PostgreSQL)."""
    # NO KEY UPDATE, not UPDATE: an enqueue's foreign-key check takes KEY SHARE on the endpoint,
    # which FOR UPDATE would conflict with; two claimers still exclude each other.
    lock = "" if db.is_sqlite() else " FOR NO KEY UPDATE SKIP LOCKED"
    return await bulk.fetch(
        WebhookEndpoint, "SELECT id, url, secret FROM webhook_endpoint WHERE active = ? AND id IN "
        "(SELECT endpoint FROM webhook_delivery WHERE state = 'pending' AND next_at <= ?) ORDER BY id"
        + lock, [True, now])


async def _head(endpoint_id: int, now: float, limit: int) -> list[dict[str, Any]] | None:
    """The endpoint's due deliveries in order, up to the first not yet due; None when another
    node is sending to it (a live lease)."""
    rows = await bulk.fetch(
        WebhookDelivery, "SELECT id, delivery, event, payload, attempts, next_at, lease_until "
        "FROM webhook_delivery WHERE endpoint = ? AND state = 'pending' ORDER BY id LIMIT ?",
        [endpoint_id, limit])
    if any(r["lease_until"] is not None and r["lease_until"] >= now for r in rows):
        return None
    due = []
    for row in rows:
        if row["next_at"] > now:
            break
        due.append(row)
    return due


def _share(queues: list[Queue], limit: int) -> None:
    """Cut the queues to `limit` deliveries in all, round robin, so one backlog cannot take every slot."""
    kept = {q.endpoint_id: 0 for q in queues}
    total = 0
    while total < limit and any(kept[q.endpoint_id] < len(q.items) for q in queues):
        for q in queues:
            if total < limit and kept[q.endpoint_id] < len(q.items):
                kept[q.endpoint_id] += 1
                total += 1
    for q in queues:
        del q.items[kept[q.endpoint_id]:]


async def claim(owner: str, now: float, limit: int) -> list[Queue]:
    """Lease up to `limit` due deliveries, per endpoint a prefix of its queue in creation order."""
    queues = []
    async with db.write_transaction():
        try:
            vault = await verified_vault()
        except KeyError_ as exc:  # everything stays pending until the key is fixed
            log.error("webhook secrets cannot be opened: %s", exc)
            return []
        for endpoint in await _due_endpoints(now):
            items = await _head(endpoint["id"], now, limit)
            if not items:
                continue
            try:
                secret = vault.decrypt(endpoint["secret"])
            except KeyError_ as exc:  # everything stays pending until the key is fixed
                log.error("webhook endpoint %s: cannot decrypt its secret: %s", endpoint["id"], exc)
                continue
            queues.append(Queue(endpoint["id"], endpoint["url"], secret, items))
        _share(queues, limit)
        ids = sorted(item["id"] for q in queues for item in q.items)
        for start in range(0, len(ids), bulk.IN_CHUNK):
            part = ids[start:start + bulk.IN_CHUNK]
            await bulk.execute_many(WebhookDelivery, "UPDATE webhook_delivery SET lease_owner = ?, lease_until = ? "
                                    f"WHERE id IN ({','.join('?' * len(part))})", [[owner, now + LEASE_S, *part]])
    return [q for q in queues if q.items]


async def _record(owner: str, item: dict[str, Any], outcome: Outcome, now: float) -> str:
    """Write one attempt's outcome; returns the delivery's new state."""
    attempts = item["attempts"] + 1
    if outcome.ok:
        state, sql, args = "delivered", ("state = 'delivered', delivered_at = ?, last_error = NULL"), [now]
    elif attempts >= MAX_ATTEMPTS:
        state, sql, args = "dead", "state = 'dead', last_error = ?", [outcome.error]
    else:
        state, sql, args = "pending", "next_at = ?, last_error = ?", [now + backoff(attempts), outcome.error]
    async with db.write_transaction():
        await bulk.execute_many(
            WebhookDelivery, f"UPDATE webhook_delivery SET {sql}, attempts = ?, last_status = ?, "
            "lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?",
            [[*args, attempts, outcome.status, item["id"], owner]])
    return state


async def _release(owner: str) -> None:
    """Give back the leases of claimed deliveries not attempted (behind a failure, or cut short)."""
    async with db.write_transaction():
        await bulk.execute_many(WebhookDelivery, "UPDATE webhook_delivery SET lease_owner = NULL, "
                                "lease_until = NULL WHERE lease_owner = ?", [[owner]])


async def _send_queue(client: httpx.AsyncClient, queue: Queue, owner: str, now: float, started: float,
                      counts: dict[str, int]) -> None:
    """One endpoint's deliveries in order; the first failure ends its turn."""
    for item in queue.items:
        elapsed = time.monotonic() - started
        if elapsed > LEASE_S / 2:  # stop long before the lease runs out; the rest go next run
            return
        outcome = await post(client, queue.url, queue.secret, item, int(now + elapsed))
        # Idempotent (WHERE lease_owner = owner): recorded once the server is back, rather than
        # sent again because a restart fell between the answer and the write.
        state = await db.retry_while_unreachable(partial(_record, owner, item, outcome, now),
                                                 "webhook outcome")
        counts[COUNTED[state]] += 1
        if not outcome.ok:
            log.warning("webhook %s to endpoint %s failed (attempt %d%s): %s", item["event"], queue.endpoint_id,
                        item["attempts"] + 1, ", now dead" if state == "dead" else "", outcome.error)
            return


def new_client() -> httpx.AsyncClient:
    """The sending client: time limits, no redirects, no proxy from the environment (an office
    network reaches its receivers directly; a proxy variable meant for something else must not
    reroute signed notifications)."""
    return httpx.AsyncClient(timeout=httpx.Timeout(TIMEOUT_S), follow_redirects=False, trust_env=False)


async def deliver_due(now: float, *, client: httpx.AsyncClient | None = None, limit: int = 100) -> dict:
    """Send the deliveries due at `now` (Unix seconds); counts of what happened."""
    owner = _owner()
    queues = await claim(owner, now, limit)
    counts = {"endpoints": len(queues), "sent": 0, "delivered": 0, "retrying": 0, "dead": 0}
    if not queues:
        return counts
    started = time.monotonic()
    own = client is None
    http = new_client() if own else client
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(queue: Queue) -> None:
        async with gate:
            await _send_queue(http, queue, owner, now, started, counts)

    try:
        # Every queue runs to its end even if another fails (a database error while recording):
        # the leases are released only when nothing is sending any more.
        failures = [r for r in await asyncio.gather(*(one(q) for q in queues), return_exceptions=True)
                    if isinstance(r, BaseException)]
    finally:
        if own:
            await http.aclose()
        # Also when the run was cut short (a database restart, leadership lost): the leases go
        # back as soon as the server answers, not when they run out.
        await db.retry_while_unreachable(partial(_release, owner), "webhook leases")
    if failures:
        raise failures[0]
    counts["sent"] = counts["delivered"] + counts["retrying"] + counts["dead"]
    return counts


async def job() -> object:
    """The scheduled job: one round of due deliveries."""
    counts = await deliver_due(time.time())
    return {k: v for k, v in counts.items() if v}
