"""History import endpoints (admin): upload a history file as a job, list batches, undo one."""

# No `from __future__ import annotations`: litestar reads these signatures at runtime.
from typing import Annotated

from litestar import Request, get, post
from litestar.params import FromQuery, QueryParameter

from assetsvc.api.auth import actor_of
from assetsvc.api.query import Id, choice
from assetsvc.api.registry import read_upload
from assetsvc.monitoring.history import batches
from assetsvc.monitoring.history.batches import BatchView
from assetsvc.monitoring.history.importer import import_history
from assetsvc.monitoring.history.kinds import KINDS, kind_named
from assetsvc.monitoring.uptime_input import parse_offset
from assetsvc.registry import import_jobs
from assetsvc.registry.import_jobs import ImportJobView
from assetsvc.runtime import settings

TAGS = ["history"]
Kind = Annotated[str, choice("kind", list(KINDS), "states: outage history; maintenance: maintenance windows")]
OptionalKind = Annotated[str | None, choice("kind", ["", *KINDS])]
BatchLimit = Annotated[int, QueryParameter(ge=1, le=batches.MAX_LIST)]


@post("/history/import", tags=TAGS, status_code=202,
      summary="Import outage history or maintenance windows (xlsx or csv) as a job; poll GET /history/jobs/{job_id}")
async def history_import(request: Request, kind: Kind = "states", dry_run: FromQuery[bool] = False,
                         tz: FromQuery[str | None] = None) -> ImportJobView:
    actor, spec = actor_of(request), kind_named(kind)
    batches.require_admin(actor)
    parse_offset(tz)  # a bad offset is the request's 400, not a failed job
    content, filename = await read_upload(request)
    limit = settings().import_max_mb * 2**20

    def run(progress):
        return import_history(content, filename, actor, kind=spec.name, dry_run=dry_run, tz=tz,
                              max_bytes=limit, source="api", progress=progress)
    return await import_jobs.start(content, filename, actor, dry_run=dry_run, max_bytes=limit, run=run)


@get("/history/jobs/{job_id:int}", tags=TAGS,
     summary="A history import job: progress while it runs, then its report (done, rejected) or error (failed)")
async def history_job(request: Request, job_id: Id) -> ImportJobView:
    return await import_jobs.get(actor_of(request), job_id)


@get("/history/batches", tags=TAGS, summary="History batches, newest first (undone ones too, marked)")
async def history_batches(request: Request, kind: OptionalKind = None, tz: FromQuery[str | None] = None,
                          limit: BatchLimit = 100) -> list[BatchView]:
    return await batches.list_batches(actor_of(request), kind=kind or None, tz=tz, limit=limit)


@get("/history/batches/{batch_id:int}", tags=TAGS, summary="One history batch")
async def history_batch(request: Request, batch_id: Id, tz: FromQuery[str | None] = None) -> BatchView:
    return await batches.get(actor_of(request), batch_id, tz=tz)


@post("/history/batches/{batch_id:int}/undo", tags=TAGS, status_code=200,
      summary="Undo a batch: delete every record it wrote (live history and other batches stay)")
async def undo_history_batch(request: Request, batch_id: Id, tz: FromQuery[str | None] = None) -> BatchView:
    return await batches.undo(actor_of(request), batch_id, tz=tz)


UPLOADS = [history_import]
HANDLERS = [history_job, history_batches, history_batch, undo_history_batch]
