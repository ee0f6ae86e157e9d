"""The provincial platform (省级平台): its configuration, deliveries of approved reports, retry, push.

Admins configure and send; auditors read (docs/province.md)."""

# No `from __future__ import annotations`: litestar reads these signatures at runtime.
from typing import Annotated, Any

import msgspec
from litestar import Request, get, post, put
from litestar.params import QueryParameter

from assetsvc.api.auth import actor_of
from assetsvc.api.openapi import error_response
from assetsvc.api.query import Id, choice, only
from assetsvc.reports.province import check, config, service

TAGS = ["province"]
MONTH = r"^(19[7-9][0-9]|[2-9][0-9]{3})-(0[1-9]|1[0-2])$"
Month = Annotated[str | None, QueryParameter(pattern=MONTH, description="YYYY-MM, e.g. 2026-11")]
State = Annotated[str | None, choice("state", list(service.STATES))]
Limit = Annotated[int, QueryParameter(ge=1, le=service.MAX_LIST)]


class ProvinceConfig(msgspec.Struct):
    """The provincial platform's configuration (docs/province.md); the signing key is never shown:
    `secret` is always "***" (it is required the first time, so a stored configuration has one)."""

    url: str
    ca_bundle: str | None
    client_cert: str | None
    client_key: str | None
    mapping: str
    area_code: str
    unit_code: str
    give_up_days: int
    timeout_s: float
    updated_at: float
    updated_by: str
    secret: str


async def _body(request: Request) -> Any:
    try:
        return await request.json()
    except Exception:  # noqa: BLE001 - any undecodable body is the same client error
        return None


@get("/province", tags=TAGS, summary="The provincial platform's configuration (never the signing key)",
     responses={404: error_response(404)})
async def show_config(request: Request) -> ProvinceConfig:
    return msgspec.convert(await config.show(actor_of(request)), ProvinceConfig)


@put("/province", tags=TAGS, summary="Set the provincial platform (admin); the signing key is required the first time")
async def set_config(request: Request) -> ProvinceConfig:
    return msgspec.convert(await config.configure(actor_of(request), await _body(request)), ProvinceConfig)


class ConnectionTest(msgspec.Struct):
    """A signed `ping` to the configured platform: `reached` when it answered at all (TLS and network
    fine), `ok` when with a 2xx; `status`, `error`, the 2xx answer's body, the ping's idempotency key."""

    url: str
    ok: bool
    reached: bool
    status: int | None
    error: str | None
    answer: str | None
    idempotency_key: str
    elapsed_ms: int


@post("/province/test", tags=TAGS, status_code=200,
      summary="Test the connection (admin): a signed ping to the configured platform; nothing is stored",
      responses={404: error_response(404), 409: error_response(409)})
async def test_connection(request: Request) -> ConnectionTest:
    only(request)
    return msgspec.convert(await check.test_connection(actor_of(request)), ConnectionTest)


@get("/province/status", tags=TAGS, summary="Deliveries per state and the failed ones the office must act on")
async def status(request: Request) -> dict[str, Any]:
    only(request)
    return await service.status(actor_of(request))


@get("/province/deliveries", tags=TAGS,
     summary="Deliveries of approved reports, newest first, with their attempts and receipts")
async def list_deliveries(request: Request, month: Month = None, state_: State = None,
                          limit: Limit = 100) -> list[dict[str, Any]]:
    only(request, "month", "state", "limit")
    return await service.list_deliveries(actor_of(request), month=month, state=state_, limit=limit)


@get("/province/deliveries/{delivery_id:int}", tags=TAGS, summary="One delivery with its attempts and receipt")
async def get_delivery(request: Request, delivery_id: Id) -> dict[str, Any]:
    only(request)
    return await service.get_delivery(actor_of(request), delivery_id)


@post("/province/deliveries/{delivery_id:int}/retry", tags=TAGS, status_code=200,
      summary="A failed or waiting delivery is due now with a fresh give-up window (admin)")
async def retry(request: Request, delivery_id: Id) -> dict[str, Any]:
    only(request)
    return await service.retry(actor_of(request), delivery_id)


@post("/province/push", tags=TAGS, status_code=200,
      summary="Send what is due now (admin); `month` also queues that month's approved version if not yet",
      responses={404: error_response(404)})
async def push(request: Request, month: Month = None) -> dict[str, Any]:
    only(request, "month")
    return await service.push(actor_of(request), month)


HANDLERS = [show_config, set_config, test_connection, status, list_deliveries, get_delivery, retry, push]
