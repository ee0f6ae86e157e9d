"""Registry endpoints beyond CRUD: summary, import and export."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.openapi import ResponseSpec
from litestar.params import FromQuery

from assetsvc.api.auth import actor_of
from assetsvc.api.query import choice
from assetsvc.errors import ValidationFailed, field_error
from assetsvc.registry import exporter, importer, summary
from assetsvc.runtime import settings

EXPORT_RESERVED = {"format", "q"}


@get("/summary", tags=["cameras"], summary="Camera counts by region x owner class")
async def registry_summary(request: Request) -> dict[str, Any]:
    return await summary.summary(actor_of(request))


@post("/import", tags=["import/export"], summary="Import an office sheet (xlsx or csv)", status_code=200,
      responses={422: ResponseSpec(data_container=dict[str, Any], generate_examples=False,
                                   description="Rows were refused and nothing was written: the import report")})
async def import_file(
    request: Request,
    dry_run: FromQuery[bool] = False,
    skip_invalid: FromQuery[bool] = False,
) -> Response[dict[str, Any]]:
    # The form is read here, not as a `data: MultipartBody[UploadFile]` argument: litestar 2.x
    # answers a form without that part with a 500 (StopIteration). Its schema is in api/bodies.py.
    data = (await request.form()).get("data")
    if not isinstance(data, UploadFile):
        raise ValidationFailed("send the sheet as the multipart/form-data part named data",
                               [field_error("data", "required", "a file part named data")])
    content = await data.read()
    report = await importer.import_sheet(
        content, data.filename or "upload", actor_of(request), dry_run=dry_run,
        skip_invalid=skip_invalid, max_bytes=settings().import_max_mb * 2**20, source="api",
    )
    body = report.to_json()
    # 422 tells a client plainly that an atomic import wrote nothing because rows were invalid.
    status = 422 if report.rejected and not skip_invalid else 200
    return Response(body, status_code=status)


@get("/export", tags=["import/export"], summary="Export cameras (filters as for /cameras)")
async def export_file(request: Request, format: Annotated[str, choice("format", list(exporter.FORMATS))] = "xlsx",
                      q: FromQuery[str | None] = None) -> Response[bytes]:
    filters = {k: v for k, v in request.query_params.items() if k not in EXPORT_RESERVED}
    content = await exporter.export_cameras(actor_of(request), format, filters, q)
    name = f"cameras.{format}"
    return Response(content, media_type=exporter.MEDIA_TYPES[format],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
