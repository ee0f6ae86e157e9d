"""Webhook endpoints and deliveries for people: the rules the API and the CLI share.

The video office (admin) manages endpoints; an auditor may read them; contractors may not see
them at all. A signing secret is shown once, in the answer that created or rotated it, and
never again: not in lists, the change log or the server log.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any, Mapping

from assetsvc import bulk, db
from assetsvc.actor import Actor
from assetsvc.audit import service as audit
from assetsvc.errors import Conflict, Forbidden, NotFound, ValidationFailed, field_error
from assetsvc.registry.keycheck import verified_vault as registry_vault
from assetsvc.secrets import Resealed, Vault
from assetsvc.webhooks import outbox
from assetsvc.webhooks.tables import WebhookDelivery, WebhookEndpoint
from assetsvc.webhooks.validate import FIELDS, clean_endpoint, new_secret

STATES = ("pending", "delivered", "dead")
MAX_LIST = 1000
AUDIT_NAME = "webhook_endpoint"
_ENDPOINT_COLUMNS = "id, name, url, contractor, events, active, created_at"


def _require_admin(actor: Actor) -> None:
    if actor.role != "admin":
        raise Forbidden("only the video office (admin) may change webhooks")


def can_read(actor: Actor) -> None:
    if actor.role not in ("admin", "auditor"):
        raise Forbidden("only the video office (admin) and auditors may read webhooks")


def _iso(at: float | None) -> str | None:
    return None if at is None else dt.datetime.fromtimestamp(at, dt.timezone.utc).isoformat(timespec="seconds")


def render(row: Mapping[str, Any], counts: Mapping[str, int] | None = None) -> dict[str, Any]:
    """An endpoint as shown (never its secret), with its deliveries per state when given."""
    out = {"id": row["id"], "name": row["name"], "url": row["url"], "contractor": row["contractor"],
           "events": bulk.json_column(row["events"], []), "active": bool(row["active"]),
           "created_at": _iso(row["created_at"])}
    if counts is not None:
        out["deliveries"] = {state: counts.get(state, 0) for state in STATES}
    return out


async def _counts() -> dict[int, dict[str, int]]:
    rows = await bulk.fetch(WebhookDelivery, "SELECT endpoint, state, COUNT(*) AS n FROM webhook_delivery "
                            "GROUP BY endpoint, state")
    found: dict[int, dict[str, int]] = {}
    for row in rows:
        found.setdefault(row["endpoint"], {})[row["state"]] = row["n"]
    return found


async def list_endpoints(actor: Actor) -> list[dict[str, Any]]:
    """Every endpoint by name, with its deliveries per state."""
    can_read(actor)
    rows = await bulk.fetch(WebhookEndpoint, f"SELECT {_ENDPOINT_COLUMNS} FROM webhook_endpoint ORDER BY name")
    counts = await _counts()
    return [render(row, counts.get(row["id"], {})) for row in rows]


async def _stored(endpoint_id: int) -> dict[str, Any]:
    rows = await bulk.fetch(WebhookEndpoint, f"SELECT {_ENDPOINT_COLUMNS} FROM webhook_endpoint WHERE id = ?",
                            [endpoint_id])
    if not rows:
        raise NotFound(f"no webhook endpoint with id {endpoint_id}")
    return rows[0]


async def get_endpoint(actor: Actor, endpoint_id: int) -> dict[str, Any]:
    """One endpoint, with its deliveries per state."""
    can_read(actor)
    row = await _stored(endpoint_id)
    return render(row, (await _counts()).get(endpoint_id, {}))


async def find_endpoint(actor: Actor, ref: str) -> int:
    """An endpoint's id from its id or its name (for the CLI)."""
    can_read(actor)
    rows = await bulk.fetch(WebhookEndpoint, "SELECT id FROM webhook_endpoint WHERE name = ?", [ref.strip()])
    if rows:
        return rows[0]["id"]
    if ref.strip().isdigit():
        return (await _stored(int(ref)))["id"]
    raise NotFound(f"no webhook endpoint named {ref!r}")


async def _check_unique(name: str, endpoint_id: int | None) -> None:
    rows = await bulk.fetch(WebhookEndpoint, "SELECT id FROM webhook_endpoint WHERE name = ?", [name])
    if any(row["id"] != endpoint_id for row in rows):
        raise Conflict(f"name {name!r} is already used", [field_error("name", "duplicate",
                                                                     f"name {name!r} is already used")])


def _audited(values: Mapping[str, Any]) -> dict[str, Any]:
    """The stored values the change log may hold: the secret only as a marker that it changed."""
    shown = {k: v for k, v in values.items() if k not in ("secret", "id", "created_at")}
    if "secret" in values:
        shown["secret"] = "***"
    return shown


async def sealed_secrets() -> list[str]:
    """The webhook secrets stored sealed (the key check must open them too)."""
    return [row["secret"] for row in await WebhookEndpoint.select(WebhookEndpoint.secret).run()]


async def verified_vault():
    """The credential vault once the key opened the stored key check (registry/keycheck.py)."""
    return await registry_vault(sealed_secrets)


async def reseal_secrets(vault: Vault) -> Resealed:
    """Seal every endpoint's signing secret again with the newest key (a key rotation), in one write
    transaction (the caller's, if any); an endpoint no configured key opens stops it, named, with
    nothing written. Rows are locked on PostgreSQL so a secret rotated meanwhile is kept."""
    lock = "" if db.is_sqlite() else " FOR UPDATE"
    async with db.write_transaction():
        rows = await bulk.fetch(WebhookEndpoint, f"SELECT id, name, secret FROM webhook_endpoint ORDER BY id{lock}")
        changed, done = vault.reseal(rows, "webhook secrets", lambda r: r["secret"],
                                     lambda r: f"webhook endpoint {r['id']} ({r['name']!r}, table webhook_endpoint)")
        await bulk.execute_many(WebhookEndpoint, "UPDATE webhook_endpoint SET secret = ? WHERE id = ?",
                                [(token, row["id"]) for row, token in changed])
    return done


async def create_endpoint(actor: Actor, values: Any, *, now: float | None = None,
                          source: str = "api") -> dict[str, Any]:
    """Add an endpoint; the answer holds its secret (generated unless given), shown this once."""
    _require_admin(actor)
    async with db.write_transaction():
        cleaned, secret = await clean_endpoint(values, None)
        await _check_unique(cleaned["name"], None)
        secret = secret or new_secret()
        at = time.time() if now is None else now
        row = WebhookEndpoint(**cleaned, secret=(await verified_vault()).encrypt(secret), created_at=at)
        await row.save().run()
        await audit.record(actor.username, "create", AUDIT_NAME, row.id, cleaned["name"],
                           audit.diff({}, _audited({**cleaned, "secret": secret})), source)
        stored = await _stored(row.id)
    return {**render(stored, {}), "secret": secret}


async def update_endpoint(actor: Actor, endpoint_id: int, patch: Any, *, source: str = "api") -> dict[str, Any]:
    """Change some fields; `secret` sets a new one, `rotate_secret: true` makes one. A new secret
    is in this answer only."""
    _require_admin(actor)
    async with db.write_transaction():
        before = await _stored(endpoint_id)
        cleaned, secret = await clean_endpoint(patch, before)
        if "name" in cleaned:
            await _check_unique(cleaned["name"], endpoint_id)
        changes = audit.diff(_audited({k: _current(before, k) for k in cleaned}), _audited(cleaned))
        columns: dict[Any, Any] = {getattr(WebhookEndpoint, k): v for k, v in cleaned.items()}
        if secret is not None:
            columns[WebhookEndpoint.secret] = (await verified_vault()).encrypt(secret)
            changes["secret"] = ["***", "*** (new)"]
        if columns:
            await WebhookEndpoint.update(columns).where(WebhookEndpoint.id == endpoint_id).run()
        if changes:
            await audit.record(actor.username, "update", AUDIT_NAME, endpoint_id,
                               cleaned.get("name", before["name"]), changes, source)
        stored = await _stored(endpoint_id)
    shown = render(stored, (await _counts()).get(endpoint_id, {}))
    return {**shown, "secret": secret} if secret is not None else shown


def _current(row: Mapping[str, Any], name: str) -> Any:
    """A stored field as the validator returns it (raw reads give JSON text, and 0/1 on SQLite)."""
    value = row.get(name)
    if name == "events":
        return bulk.json_column(value, [])
    return bool(value) if name == "active" else value


async def delete_endpoint(actor: Actor, endpoint_id: int, *, source: str = "api") -> dict[str, Any]:
    """Remove an endpoint and its deliveries (pending ones are dropped: the answer says how many)."""
    _require_admin(actor)
    async with db.write_transaction():
        before = await _stored(endpoint_id)
        counts = (await _counts()).get(endpoint_id, {})
        await WebhookEndpoint.delete().where(WebhookEndpoint.id == endpoint_id).run()
        await audit.record(actor.username, "delete", AUDIT_NAME, endpoint_id, before["name"],
                           audit.diff(_audited({k: _current(before, k) for k in FIELDS}), {}), source)
    return {"deleted": endpoint_id, "name": before["name"], "dropped_pending": counts.get("pending", 0)}


def render_delivery(row: Mapping[str, Any]) -> dict[str, Any]:
    """A delivery as shown: its state, tries, next try, last error, and the body it sends."""
    return {"id": row["id"], "endpoint": row["endpoint"], "endpoint_name": row["endpoint_name"],
            "event": row["event"], "delivery": row["delivery"], "state": row["state"],
            "attempts": row["attempts"], "next_at": _iso(row["next_at"]) if row["state"] == "pending" else None,
            "last_status": row["last_status"], "last_error": row["last_error"],
            "created_at": _iso(row["created_at"]), "delivered_at": _iso(row["delivered_at"]),
            "payload": bulk.json_column(row["payload"], row["payload"])}


def _check_limit(limit: Any) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIST:
        raise ValidationFailed(f"limit must be a whole number in 1..{MAX_LIST}",
                               [field_error("limit", "invalid", f"1..{MAX_LIST}")])
    return limit


async def list_deliveries(actor: Actor, *, state: str | None = None, endpoint: int | None = None,
                          limit: int = 100) -> list[dict[str, Any]]:
    """Deliveries, newest first, optionally of one state and/or one endpoint."""
    can_read(actor)
    _check_limit(limit)
    where, args = "", []
    if state is not None:
        if state not in STATES:
            raise ValidationFailed(f"state {state!r} is not one of {', '.join(STATES)}",
                                   [field_error("state", "invalid", f"one of {', '.join(STATES)}")])
        where += " AND d.state = ?"
        args.append(state)
    if endpoint is not None:
        await _stored(endpoint)
        where += " AND d.endpoint = ?"
        args.append(endpoint)
    rows = await bulk.fetch(
        WebhookDelivery, "SELECT d.*, e.name AS endpoint_name FROM webhook_delivery d "
        f"JOIN webhook_endpoint e ON e.id = d.endpoint WHERE 1 = 1{where} ORDER BY d.id DESC LIMIT ?",
        [*args, limit])
    return [render_delivery(row) for row in rows]


async def retry_delivery(actor: Actor, delivery_id: int, *, now: float | None = None,
                         source: str = "api") -> dict[str, Any]:
    """A dead delivery is pending again, due now, with a fresh set of attempts."""
    _require_admin(actor)
    at = time.time() if now is None else now
    async with db.write_transaction():
        rows = await bulk.fetch(WebhookDelivery, "SELECT state, event FROM webhook_delivery WHERE id = ?",
                                [delivery_id])
        if not rows:
            raise NotFound(f"no webhook delivery with id {delivery_id}")
        if rows[0]["state"] != "dead":
            raise Conflict(f"webhook delivery {delivery_id} is {rows[0]['state']}; only dead deliveries are retried")
        await bulk.execute_many(WebhookDelivery, "UPDATE webhook_delivery SET state = 'pending', attempts = 0, "
                                "next_at = ?, lease_owner = NULL, lease_until = NULL WHERE id = ?",
                                [[at, delivery_id]])
        await audit.record(actor.username, "update", "webhook_delivery", delivery_id, rows[0]["event"],
                           {"state": ["dead", "pending"]}, source)
    found = await bulk.fetch(WebhookDelivery, "SELECT d.*, e.name AS endpoint_name FROM webhook_delivery d "
                             "JOIN webhook_endpoint e ON e.id = d.endpoint WHERE d.id = ?", [delivery_id])
    return render_delivery(found[0])


async def ping(actor: Actor, endpoint_id: int, *, now: float | None = None) -> dict[str, Any]:
    """Queue a `ping` event for this endpoint alone (whatever its events list)."""
    _require_admin(actor)
    at = time.time() if now is None else now
    async with db.write_transaction():
        row = await _stored(endpoint_id)
        if not row["active"]:
            raise Conflict(f"webhook endpoint {endpoint_id} is inactive; activate it first")
        [delivery] = await outbox.enqueue_to([endpoint_id], "ping", {"endpoint": row["name"]}, at)
    return {"queued": 1, "event": "ping", "delivery": delivery}


@dataclass(frozen=True)
class OutboxFigures:
    """The webhook outbox now (for /metrics): deliveries per state, the oldest pending one's age."""

    by_state: Mapping[str, int]
    oldest_pending_s: float  # 0 when nothing is pending


async def outbox_figures(now: float) -> OutboxFigures:
    rows = await bulk.fetch(WebhookDelivery, "SELECT state, COUNT(*) AS n, MIN(created_at) AS oldest "
                            "FROM webhook_delivery GROUP BY state")
    by_state = {s: 0 for s in STATES}
    oldest = None
    for row in rows:
        by_state[row["state"]] = int(row["n"])
        if row["state"] == "pending":
            oldest = row["oldest"]
    return OutboxFigures(by_state, max(0.0, now - oldest) if oldest is not None else 0.0)
