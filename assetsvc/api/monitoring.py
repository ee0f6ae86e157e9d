"""Monitoring endpoints: camera state with evidence, state counts, drift, nodes, passive status input."""

# No `from __future__ import annotations`: litestar reads these signatures at runtime.
import time
from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery

from assetsvc.api.auth import actor_of
from assetsvc.errors import Forbidden
from assetsvc.monitoring import passive, picture_memory, status
from assetsvc.monitoring.config import current


@get("/status/cameras/{camera_id:int}", tags=["monitoring"], summary="A camera's measured state and evidence")
async def camera_status(request: Request, camera_id: FromPath[int]) -> dict[str, Any]:
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
      summary="A video platform pushes online/offline for cameras we cannot probe")
async def passive_status(request: Request) -> dict[str, int]:
    actor = actor_of(request)
    if actor.role not in ("admin", "platform"):
        raise Forbidden("only a platform account or the video office may push passive status")
    try:
        body = await request.json()
    except Exception:  # noqa: BLE001 - any undecodable body is the same client error
        body = None
    return await passive.ingest(body, current(), time.time())


@get("/cameras/{camera_id:int}/picture-baseline", tags=["monitoring"],
     summary="What a camera's picture baseline holds (when its day and night baselines were learned)")
async def picture_baseline(request: Request, camera_id: FromPath[int]) -> dict[str, Any]:
    return (await picture_memory.show(actor_of(request), camera_id)).to_json()


@post("/cameras/{camera_id:int}/picture-baseline/reset", tags=["monitoring"], status_code=200,
      summary="Forget a camera's picture baseline after it was re-aimed (admin); it is learned again")
async def reset_picture_baseline(request: Request, camera_id: FromPath[int]) -> dict[str, Any]:
    return (await picture_memory.reset(actor_of(request), camera_id)).to_json()


HANDLERS = [camera_status, state_summary, drift, nodes, passive_status, picture_baseline, reset_picture_baseline]
