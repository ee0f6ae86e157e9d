"""Draining the province outbox: claim the head with a lease, build and freeze its body, POST, record.

Versions go out one at a time in the order they were approved (a correction never overtakes the
version it replaces): the oldest pending delivery is the head, and nothing behind it is sent
until it is delivered or failed. The retry policy is the province's own: 30 s doubling to one
hour between tries, for `give_up_days` (7 by default) from approval or the office's retry; then
the delivery is failed and the office told (webhook event report.province_failed). Every
attempt is a province_attempt row. No transaction is held while a request runs; a node dying
mid-send leaves a lease that runs out after LEASE_S, and the version is sent again with the same
idempotency key (at least once; the platform honours the key).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from functools import partial
from typing import Any

from assetsvc import bulk, db
from assetsvc.reports.province import config, mapping
from assetsvc.reports.province.sending import Outcome, send
from assetsvc.reports.province.tables import ProvinceAttempt, ProvinceDelivery, ProvinceTarget
from assetsvc.reports.tables import ReportVersion
from assetsvc.secrets import KeyError_
from assetsvc.webhooks import outbox as webhooks

log = logging.getLogger("assetsvc.province")

BACKOFF_FIRST_S = 30.0
BACKOFF_MAX_S = 3600.0
LEASE_S = 900.0  # longer than one exchange can last (3 x the at most 300 s timeout)
DAY_S = 86400.0


def backoff(attempts: int) -> float:
    """Seconds until the next try after `attempts` failed ones: 30, 60, 120, ... capped at 1 h."""
    return min(BACKOFF_FIRST_S * 2 ** min(max(attempts - 1, 0), 20), BACKOFF_MAX_S)


def _owner() -> str:
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def body(row: dict[str, Any], target: config.Target) -> str:
    """The body of a delivery: who sends, which version (a correction names the one it replaces),
    the content's hash and the report as the mapping lays it out."""
    found = await bulk.fetch(ReportVersion, "SELECT content, content_hash, approved_at FROM report_version WHERE id = ?",
                             [row["report_version"]])
    content = json.loads(found[0]["content"])
    shape = mapping.load(target.mapping)
    return json.dumps({"idempotency_key": row["idempotency_key"], "kind": row["kind"], "replaces": row["replaces"],
                       "area_code": target.area_code, "unit_code": target.unit_code, "month": row["month"],
                       "version": row["version"], "content_sha256": found[0]["content_hash"],
                       "approved_at": found[0]["approved_at"], "mapping": shape.name,
                       "report": shape.apply(content)},
                      ensure_ascii=False, allow_nan=False, separators=(",", ":"), sort_keys=True)


async def claim(owner: str, now: float) -> tuple[config.Target, dict[str, Any]] | None:
    """The head delivery, leased to `owner`, with its body frozen; None when nothing is due."""
    async with db.write_transaction():
        lock = "" if db.is_sqlite() else " FOR UPDATE SKIP LOCKED"  # one sender at a time (PostgreSQL)
        if not await bulk.fetch(ProvinceTarget, "SELECT id FROM province_target WHERE id = 1" + lock):
            return None  # not configured, or another node is claiming
        heads = await bulk.fetch(ProvinceDelivery, "SELECT * FROM province_delivery WHERE state = 'pending' "
                                 "ORDER BY id LIMIT 1")
        if not heads or heads[0]["next_at"] > now:
            return None
        head = heads[0]
        if head["lease_until"] is not None and head["lease_until"] >= now:
            return None  # another node is sending it
        try:
            target = await config.target()
        except KeyError_ as exc:  # stays pending until the key is fixed
            log.error("province signing key cannot be opened: %s", exc)
            return None
        if target is None:
            return None
        if head["payload"] is None:
            head["payload"] = await body(head, target)
        await bulk.execute_many(ProvinceDelivery, "UPDATE province_delivery SET payload = ?, lease_owner = ?, "
                                "lease_until = ? WHERE id = ?", [[head["payload"], owner, now + LEASE_S, head["id"]]])
    return target, head


def _event(row: dict[str, Any], state: str, outcome: Outcome) -> dict[str, Any]:
    return {"delivery": row["id"], "month": row["month"], "version": row["version"], "kind": row["kind"],
            "idempotency_key": row["idempotency_key"], "state": state, "attempts": row["attempts"] + 1,
            "last_status": outcome.status, "last_error": outcome.error}


async def record(owner: str, row: dict[str, Any], target: config.Target, outcome: Outcome, now: float) -> str:
    """Write one attempt's outcome (and the office's notice when it ends); the new state."""
    attempts = row["attempts"] + 1
    if outcome.ok:
        state, sql, args = "delivered", "state = 'delivered', delivered_at = ?, receipt = ?, last_error = NULL", \
            [now, outcome.receipt]
    elif now - row["since"] >= target.give_up_days * DAY_S:
        state, sql, args = "failed", "state = 'failed', failed_at = ?, last_error = ?", [now, outcome.error]
    else:
        state, sql, args = "pending", "next_at = ?, last_error = ?", [now + backoff(attempts), outcome.error]
    async with db.write_transaction():
        await bulk.insert_rows(ProvinceAttempt, [{"delivery": row["id"], "at": now, "status": outcome.status,
                                                  "error": outcome.error}])
        held = await bulk.fetch(ProvinceDelivery, "SELECT lease_owner FROM province_delivery WHERE id = ?", [row["id"]])
        if not held or held[0]["lease_owner"] != owner:
            # Our lease ran out and another node took the delivery over: the attempt is kept on
            # record, the state is the other node's to write.
            log.warning("province delivery %s: lease lost during the attempt; outcome not applied", row["id"])
            return "lost"
        await bulk.execute_many(ProvinceDelivery, f"UPDATE province_delivery SET {sql}, attempts = ?, last_status = ?, "
                                "lease_owner = NULL, lease_until = NULL WHERE id = ?",
                                [[*args, attempts, outcome.status, row["id"]]])
        if state != "pending":  # the office hears of the end either way
            await webhooks.enqueue(f"report.province_{state}", _event(row, state, outcome), contractor_id=None, at=now)
    return state


async def release(owner: str, delivery_id: int) -> None:
    """Give back our lease of a delivery whose attempt did not get recorded."""
    async with db.write_transaction():
        await bulk.execute_many(ProvinceDelivery, "UPDATE province_delivery SET lease_owner = NULL, lease_until = NULL "
                                "WHERE id = ? AND lease_owner = ?", [[delivery_id, owner]])


async def deliver_due(now: float, *, limit: int = 20) -> dict[str, int]:
    """Send the due head deliveries at `now` (Unix seconds), up to `limit` attempts; counts."""
    owner = _owner()
    counts = {"sent": 0, "delivered": 0, "retrying": 0, "failed": 0}
    started = time.monotonic()
    for _ in range(limit):
        claimed = await claim(owner, now)
        if claimed is None:
            break
        target, row = claimed
        try:
            outcome = await send(target, row["idempotency_key"], row["payload"],
                                 int(now + time.monotonic() - started))
            state = await record(owner, row, target, outcome, now)
        except BaseException:
            # Cut short (the job cancelled when leadership was lost, the database gone while
            # recording): hand the lease back as soon as the server answers, so the version is sent
            # again (same idempotency key) at the next run, not when the lease runs out.
            await db.retry_while_unreachable(partial(release, owner, row["id"]), "province lease")
            raise
        counts["sent"] += 1
        if state == "lost":
            break
        counts[{"pending": "retrying"}.get(state, state)] += 1
        if state == "pending":
            log.warning("province delivery %s (%s v%s) failed, attempt %d: %s", row["id"], row["month"],
                        row["version"], row["attempts"] + 1, outcome.error)
            break
    return counts


async def job() -> object:
    """The scheduled job: one round of due province deliveries."""
    counts = await deliver_due(time.time())
    return {k: v for k, v in counts.items() if v}
