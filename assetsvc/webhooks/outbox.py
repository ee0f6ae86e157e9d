"""Putting events in the webhook outbox, inside the transaction of the change they report.

An event is written to the outbox in the same transaction as the change it reports (a ticket
breaching its SLA, say): either both are stored or neither, so a crash can neither lose a
notification nor send one for a change that was rolled back. Sending happens later
(delivery.py), outside any transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from typing import Any, Iterable, Mapping

from assetsvc import bulk, db
from assetsvc.webhooks.tables import WebhookDelivery, WebhookEndpoint

EVENT_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
MAX_EVENT = 64


def check_event(event: str) -> None:
    """Event names are dotted lower-case words, e.g. ticket.breached."""
    if not isinstance(event, str) or len(event) > MAX_EVENT or not EVENT_NAME.match(event):
        raise ValueError(f"event name {event!r} is not dotted lower-case words (at most {MAX_EVENT} characters)")


def body(event: str, delivery: str, at: float, payload: Mapping[str, Any]) -> str:
    """The exact JSON text sent to a receiver (UTF-8, not ASCII-escaped; NaN refused)."""
    instant = dt.datetime.fromtimestamp(at, dt.timezone.utc).isoformat(timespec="milliseconds")
    return json.dumps({"event": event, "delivery": delivery, "at": instant, "data": payload},
                      ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def wants(events: Any, event: str) -> bool:
    """Whether an endpoint's events list (a JSON column's raw value) takes this event; empty = all."""
    names = bulk.json_column(events, [])
    return not names or event in names


def _require_transaction() -> None:
    if db.engine().current_transaction.get() is None:
        raise RuntimeError("webhook enqueue runs inside the caller's db.write_transaction()")


async def enqueue_to(endpoint_ids: Iterable[int], event: str, payload: Mapping[str, Any], at: float) -> list[str]:
    """One delivery per endpoint (no filtering), in the caller's transaction; their delivery ids."""
    _require_transaction()
    check_event(event)
    rows = []
    for endpoint_id in endpoint_ids:
        delivery = str(uuid.uuid4())
        rows.append({"endpoint": endpoint_id, "event": event, "delivery": delivery,
                     "payload": body(event, delivery, at, payload), "state": "pending",
                     "attempts": 0, "next_at": at, "created_at": at})
    await bulk.insert_rows(WebhookDelivery, rows)
    return [row["delivery"] for row in rows]


async def enqueue(event: str, payload: dict, *, contractor_id: int | None, at: float) -> int:
    """Queue `event` for every active endpoint that takes it: office endpoints (no contractor)
    always, plus those of `contractor_id`. Runs inside the caller's write transaction, so the
    deliveries are stored with the change they report or not at all. Returns how many.

    `payload` must be JSON (TypeError, or ValueError for NaN, otherwise: the caller's bug, and
    its transaction rolls back)."""
    _require_transaction()
    check_event(event)
    endpoints = await bulk.fetch(
        WebhookEndpoint, "SELECT id, events FROM webhook_endpoint WHERE active = ? "
        "AND (contractor IS NULL OR contractor = ?) ORDER BY id", [True, contractor_id])
    chosen = [row["id"] for row in endpoints if wants(row["events"], event)]
    return len(await enqueue_to(chosen, event, payload, at))
