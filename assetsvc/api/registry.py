"""Registry endpoints beyond CRUD: summary, import and export."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromQuery

from assetsvc.api.auth import actor_of
from assetsvc.api.query import Id, choice
from assetsvc.errors import ValidationFailed, field_error
from assetsvc.registry import entities, exporter, import_jobs, summary
from assetsvc.registry.import_jobs import ImportJobView
from assetsvc.runtime import settings

EXPORT_RESERVED = {"format", "q"}


@get("/summary", tags=["cameras"], summary="Camera counts by region x owner class")
async def registry_summary(request: Request) -> dict[str, Any]:
    return await summary.summary(actor_of(request))


async def read_upload(request: Request) -> tuple[bytes, str]:
    """The multipart part named `data`: its bytes and file name (every upload endpoint reads it so)."""
    # The form is read here, not as a `data: MultipartBody[UploadFile]` argument: litestar 2.x
    # answers a form without that part with a 500 (StopIteration). Its schema is in api/bodies.py.
    data = (await request.form()).get("data")
    if not isinstance(data, UploadFile):
        raise ValidationFailed("send the file as the multipart/form-data part named data",
                               [field_error("data", "required", "a file part named data")])
    return await data.read(), data.filename or "upload"
@get("/cameras/{camera_id:int}/service-periods", tags=["cameras"],
     summary="A camera's service periods (在用时段): when it counted as in service")
async def camera_service_periods(request: Request, camera_id: Id) -> dict[str, Any]:
    return await entities.camera_periods(actor_of(request), camera_id)


@post("/import", tags=["import/export"], status_code=202,
      summary="Import an office sheet (xlsx or csv) as a job; poll GET /import/jobs/{job_id}")
async def import_file(
    request: Request,
    dry_run: FromQuery[bool] = False,
    skip_invalid: FromQuery[bool] = False,
) -> ImportJobView:
    content, filename = await read_upload(request)
    return await import_jobs.start(content, filename, actor_of(request), dry_run=dry_run,
                                   skip_invalid=skip_invalid, max_bytes=settings().import_max_mb * 2**20)


@get("/import/jobs/{job_id:int}", tags=["import/export"],
     summary="An import job: progress while it runs, then its report (done, rejected) or error (failed)")
async def import_job(request: Request, job_id: Id) -> ImportJobView:
    return await import_jobs.get(actor_of(request), job_id)


@get("/export", tags=["import/export"], summary="Export cameras (filters as for /cameras)")
async def export_file(request: Request, format: Annotated[str, choice("format", list(exporter.FORMATS))] = "xlsx",
                      q: FromQuery[str | None] = None) -> Response[bytes]:
    filters = {k: v for k, v in request.query_params.items() if k not in EXPORT_RESERVED}
    content = await exporter.export_cameras(actor_of(request), format, filters, q)
    name = f"cameras.{format}"
    return Response(content, media_type=exporter.MEDIA_TYPES[format],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
