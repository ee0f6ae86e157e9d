"""Monitoring endpoints: camera state with evidence, state counts, drift, nodes, passive status input."""

# No `from __future__ import annotations`: litestar reads these signatures at runtime.
import time
from typing import Annotated, Any

from dataclasses import dataclass

import msgspec
from litestar import Request, Response, get, post, put
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody

from assetsvc.api.auth import actor_of
from assetsvc.api.query import Id, choice
from assetsvc.errors import Forbidden
from assetsvc.monitoring import evidence, passive, passive_held, passive_scope, picture_memory, status
from assetsvc.monitoring.config import current
from assetsvc.monitoring.passive_hold import Hold
from assetsvc.runtime import settings


@get("/status/cameras/{camera_id:int}", tags=["monitoring"], summary="A camera's measured state and evidence")
async def camera_status(request: Request, camera_id: Id) -> dict[str, Any]:
    return await status.camera_status(camera_id, actor_of(request))


@get("/status/summary", tags=["monitoring"], summary="In-service cameras per state now")
async def state_summary(request: Request, region: FromQuery[str | None] = None) -> dict[str, Any]:
    return await status.state_counts(actor_of(request), region)


@get("/status/drift", tags=["monitoring"], summary="Devices whose identity differs from the registry")
async def drift(request: Request) -> list[dict[str, Any]]:
    return await status.drift_flags(actor_of(request))


@get("/status/nodes", tags=["monitoring"], summary="Probe workers and the scheduler leader")
async def nodes(request: Request) -> list[dict[str, Any]]:
    return await status.nodes(actor_of(request))


@post("/status/passive", tags=["monitoring"], status_code=200,
      summary="A video platform pushes online/offline for cameras we cannot probe",
      responses={202: ResponseSpec(data_container=dict[str, Any], generate_examples=False,
                                   description="Held for the office to confirm: {held, reports, offline, cameras, detail}")})
async def passive_status(request: Request) -> Response[dict[str, Any]]:
    actor = actor_of(request)
    if actor.role not in ("admin", "platform"):
        raise Forbidden("only a platform account or the video office may push passive status")
    try:
        body = await request.json()
    except Exception:  # noqa: BLE001 - any undecodable body is the same client error
        body = None
    conf = settings()
    hold = Hold(conf.passive_hold_share, conf.passive_hold_window_s, conf.passive_hold_min)
    result = await passive.ingest(body, current(), time.time(), actor, hold)
    return Response(result, status_code=202 if "held" in result else 200)


class HeldBatch(msgspec.Struct):
    """Passive reports of a platform account held for the office: how many reports, how many say
    offline, out of how many `cameras` in the account's scope; `status` held, confirmed or discarded."""

    id: int
    username: str
    status: str
    received_at: str | None
    reports: int
    offline: int
    cameras: int
    decided_by: str | None
    decided_at: str | None


@get("/status/passive/held", tags=["monitoring"], summary="Passive report batches held for the office")
async def held_batches(request: Request,
                       wanted: Annotated[str, choice("status", list(passive_held.STATUSES))] = "held") -> list[HeldBatch]:
    return msgspec.convert(await passive_held.list_batches(actor_of(request), wanted), list[HeldBatch])


@post("/status/passive/held/{batch_id:int}/confirm", tags=["monitoring"], status_code=200,
      summary="Apply a held batch of passive reports")
async def confirm_batch(request: Request, batch_id: Id) -> dict[str, Any]:
    return await passive_held.confirm(actor_of(request), batch_id, current(), time.time())


@post("/status/passive/held/{batch_id:int}/discard", tags=["monitoring"], status_code=200,
      summary="Drop a held batch of passive reports")
async def discard_batch(request: Request, batch_id: Id) -> dict[str, Any]:
    return await passive_held.discard(actor_of(request), batch_id, time.time())


@dataclass
class ScopeRule:
    kind: str
    value: str


@dataclass
class Scope:
    scope: list[ScopeRule]


def _office(request: Request) -> None:
    if actor_of(request).role not in ("admin", "auditor"):
        raise Forbidden("only the video office manages platform scopes")


@get("/status/passive/scopes/{username:str}", tags=["monitoring"],
     summary="The cameras a platform account may report on")
async def get_scope(request: Request, username: FromPath[str]) -> Scope:
    _office(request)
    return Scope([ScopeRule(**r) for r in await passive_scope.get_scope(username)])


@put("/status/passive/scopes/{username:str}", tags=["monitoring"],
     summary="Replace the cameras a platform account may report on")
async def put_scope(request: Request, username: FromPath[str], data: JSONBody[Scope]) -> Scope:
    if actor_of(request).role != "admin":
        raise Forbidden("only the video office sets platform scopes")
    rules = await passive_scope.set_scope(username, [(r.kind, r.value) for r in data.scope])
    return Scope([ScopeRule(**r) for r in rules])


@get("/cameras/{camera_id:int}/picture-baseline", tags=["monitoring"],
     summary="What a camera's picture baseline holds (when its day and night baselines were learned)")
async def picture_baseline(request: Request, camera_id: Id) -> dict[str, Any]:
    return (await picture_memory.show(actor_of(request), camera_id)).to_json()


@post("/cameras/{camera_id:int}/picture-baseline/reset", tags=["monitoring"], status_code=200,
      summary="Forget a camera's picture baseline after it was re-aimed (admin); it is learned again")
async def reset_picture_baseline(request: Request, camera_id: Id) -> dict[str, Any]:
    return (await picture_memory.reset(actor_of(request), camera_id)).to_json()


@get("/cameras/{camera_id:int}/frames", tags=["monitoring"],
     summary="A camera's kept evidence frames, newest first (contractors: the cameras they maintain)")
async def camera_frames(request: Request, camera_id: Id) -> list[dict[str, Any]]:
    return [f.to_json(f"/api/v1/cameras/{camera_id}/frames")
            for f in await evidence.camera_frames(actor_of(request), camera_id)]


@get("/cameras/{camera_id:int}/frames/{frame_id:int}", tags=["monitoring"], summary="One evidence frame (JPEG)")
async def camera_frame(request: Request, camera_id: Id, frame_id: Id) -> Response[bytes]:
    data = await evidence.camera_jpeg(actor_of(request), camera_id, frame_id)
    return Response(data, media_type="image/jpeg", headers={"X-Content-Type-Options": "nosniff",
                                                            "Cache-Control": "private, no-store"})


HANDLERS = [camera_status, state_summary, drift, nodes, passive_status, held_batches, confirm_batch,
            discard_batch, get_scope, put_scope, picture_baseline, reset_picture_baseline,
            camera_frames, camera_frame]
