"""Webhook endpoints: receivers of signed notifications, their deliveries, retry and ping (admin)."""

# No `from __future__ import annotations`: litestar reads these signatures at runtime.
from typing import Annotated, Any

from litestar import Request, delete, get, patch, post
from litestar.params import QueryParameter

from assetsvc.api.auth import actor_of
from assetsvc.api.openapi import error_response
from assetsvc.api.query import MAX_ID, Id, Limit, choice, only
from assetsvc.webhooks import service

TAGS = ["webhooks"]
# Litestar reserves the handler argument name `state` (the app state), so the query parameter
# `state` arrives as `state_`.
State = Annotated[str | None, choice("state", ["pending", "delivered", "dead"])]


async def _body(request: Request) -> Any:
    """The JSON body, or None (the service checks the role first, then says the body is not an object)."""
    try:
        return await request.json()
    except Exception:  # noqa: BLE001 - any undecodable body is the same client error
        return None


@get("/webhooks", tags=TAGS, summary="Webhook endpoints with their deliveries per state (never secrets)")
async def list_endpoints(request: Request) -> list[dict[str, Any]]:
    return await service.list_endpoints(actor_of(request))


@post("/webhooks", tags=TAGS, status_code=201, summary="Add an endpoint; the answer shows its secret once")
async def create_endpoint(request: Request) -> dict[str, Any]:
    return await service.create_endpoint(actor_of(request), await _body(request))


@get("/webhooks/deliveries", tags=TAGS, summary="Deliveries, newest first (state: pending, delivered, dead)",
     responses={404: error_response(404)})  # an unknown endpoint filter
async def list_deliveries(request: Request, state_: State = None,
                          endpoint: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
                          limit: Limit = 100) -> list[dict[str, Any]]:
    only(request, "state", "endpoint", "limit")
    return await service.list_deliveries(actor_of(request), state=state_, endpoint=endpoint, limit=limit)


@post("/webhooks/deliveries/{delivery_id:int}/retry", tags=TAGS, status_code=200,
      summary="A dead delivery is sent again (pending, due now, fresh attempts)")
async def retry_delivery(request: Request, delivery_id: Id) -> dict[str, Any]:
    return await service.retry_delivery(actor_of(request), delivery_id)


@get("/webhooks/{endpoint_id:int}", tags=TAGS, summary="One webhook endpoint (never its secret)")
async def get_endpoint(request: Request, endpoint_id: Id) -> dict[str, Any]:
    return await service.get_endpoint(actor_of(request), endpoint_id)


@patch("/webhooks/{endpoint_id:int}", tags=TAGS,
       summary="Change an endpoint; secret or rotate_secret: true shows the new secret once")
async def update_endpoint(request: Request, endpoint_id: Id) -> dict[str, Any]:
    return await service.update_endpoint(actor_of(request), endpoint_id, await _body(request))


@delete("/webhooks/{endpoint_id:int}", tags=TAGS, status_code=200,
        summary="Remove an endpoint and its deliveries (the answer counts dropped pending ones)")
async def delete_endpoint(request: Request, endpoint_id: Id) -> dict[str, Any]:
    return await service.delete_endpoint(actor_of(request), endpoint_id)


@post("/webhooks/{endpoint_id:int}/ping", tags=TAGS, status_code=202,
      summary="Queue a ping event for this endpoint alone")
async def ping_endpoint(request: Request, endpoint_id: Id) -> dict[str, Any]:
    return await service.ping(actor_of(request), endpoint_id)


HANDLERS = [list_endpoints, create_endpoint, list_deliveries, retry_delivery, get_endpoint, update_endpoint,
            delete_endpoint, ping_endpoint]
