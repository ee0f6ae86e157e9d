"""Webhook endpoints: receivers of signed notifications, their deliveries, retry and ping (admin)."""

# No `from __future__ import annotations`: litestar reads these signatures at runtime.
from typing import Annotated, Any

import msgspec
from litestar import Request, delete, get, patch, post
from litestar.params import QueryParameter

from assetsvc.api.auth import actor_of
from assetsvc.api.openapi import error_response
from assetsvc.api.query import MAX_ID, Id, Limit, choice, only
from assetsvc.webhooks import service
from assetsvc.webhooks.events import EVENTS

TAGS = ["webhooks"]
# Litestar reserves the handler argument name `state` (the app state), so the query parameter
# `state` arrives as `state_`.
State = Annotated[str | None, choice("state", ["pending", "delivered", "dead"])]


class DeliveryCounts(msgspec.Struct):
    pending: int
    delivered: int
    dead: int


class EndpointRead(msgspec.Struct, omit_defaults=True):
    """A receiver (never its secret, but once: `secret` in the answer that made or rotated it);
    `contractor` null: the office's endpoint (every event); `events` empty: every event."""

    id: int
    name: str
    url: str
    contractor: int | None
    events: list[str]
    active: bool
    created_at: str | None
    deliveries: DeliveryCounts
    secret: str | None = None


class DeliveryRead(msgspec.Struct):
    """One event to one endpoint: `state` pending (next try at `next_at`), delivered or dead;
    `attempts`, the last answer's status or error, and the exact body sent."""

    id: int
    endpoint: int
    endpoint_name: str
    event: str
    delivery: str
    state: str
    attempts: int
    next_at: str | None
    last_status: int | None
    last_error: str | None
    created_at: str | None
    delivered_at: str | None
    payload: Any


class EndpointDeleted(msgspec.Struct):
    deleted: int
    name: str
    dropped_pending: int


class PingQueued(msgspec.Struct):
    queued: int
    event: str
    delivery: str


class EventRead(msgspec.Struct):
    """An event name assetsvc sends, what its payload is about (ticket, report, webhook) and what it means."""

    name: str
    about: str
    summary: str


async def _body(request: Request) -> Any:
    """The JSON body, or None (the service checks the role first, then says the body is not an object)."""
    try:
        return await request.json()
    except Exception:  # noqa: BLE001 - any undecodable body is the same client error
        return None


@get("/webhooks", tags=TAGS, summary="Webhook endpoints with their deliveries per state (never secrets)")
async def list_endpoints(request: Request) -> list[EndpointRead]:
    return msgspec.convert(await service.list_endpoints(actor_of(request)), list[EndpointRead])


@post("/webhooks", tags=TAGS, status_code=201, summary="Add an endpoint; the answer shows its secret once")
async def create_endpoint(request: Request) -> EndpointRead:
    return msgspec.convert(await service.create_endpoint(actor_of(request), await _body(request)), EndpointRead)


@get("/webhooks/deliveries", tags=TAGS, summary="Deliveries, newest first (state: pending, delivered, dead)",
     responses={404: error_response(404)})  # an unknown endpoint filter
async def list_deliveries(request: Request, state_: State = None,
                          endpoint: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
                          limit: Limit = 100) -> list[DeliveryRead]:
    only(request, "state", "endpoint", "limit")
    found = await service.list_deliveries(actor_of(request), state=state_, endpoint=endpoint, limit=limit)
    return msgspec.convert(found, list[DeliveryRead])


@post("/webhooks/deliveries/{delivery_id:int}/retry", tags=TAGS, status_code=200,
      summary="A dead delivery is sent again (pending, due now, fresh attempts)")
async def retry_delivery(request: Request, delivery_id: Id) -> DeliveryRead:
    return msgspec.convert(await service.retry_delivery(actor_of(request), delivery_id), DeliveryRead)


@get("/webhooks/events", tags=TAGS, summary="The event names an endpoint may take (its `events` list)")
async def list_events(request: Request) -> list[EventRead]:
    only(request)
    service.can_read(actor_of(request))
    return [EventRead(e.name, e.about, e.summary) for e in EVENTS]


@get("/webhooks/{endpoint_id:int}", tags=TAGS, summary="One webhook endpoint (never its secret)")
async def get_endpoint(request: Request, endpoint_id: Id) -> EndpointRead:
    return msgspec.convert(await service.get_endpoint(actor_of(request), endpoint_id), EndpointRead)


@patch("/webhooks/{endpoint_id:int}", tags=TAGS,
       summary="Change an endpoint; secret or rotate_secret: true shows the new secret once")
async def update_endpoint(request: Request, endpoint_id: Id) -> EndpointRead:
    changed = await service.update_endpoint(actor_of(request), endpoint_id, await _body(request))
    return msgspec.convert(changed, EndpointRead)


@delete("/webhooks/{endpoint_id:int}", tags=TAGS, status_code=200,
        summary="Remove an endpoint and its deliveries (the answer counts dropped pending ones)")
async def delete_endpoint(request: Request, endpoint_id: Id) -> EndpointDeleted:
    return msgspec.convert(await service.delete_endpoint(actor_of(request), endpoint_id), EndpointDeleted)


@post("/webhooks/{endpoint_id:int}/ping", tags=TAGS, status_code=202,
      summary="Queue a ping event for this endpoint alone")
async def ping_endpoint(request: Request, endpoint_id: Id) -> PingQueued:
    return msgspec.convert(await service.ping(actor_of(request), endpoint_id), PingQueued)


HANDLERS = [list_endpoints, list_events, create_endpoint, list_deliveries, retry_delivery, get_endpoint, update_endpoint,
            delete_endpoint, ping_endpoint]
