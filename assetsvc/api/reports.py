"""Monthly report endpoints (月报): generate, versions, read (a section, a scope), approve, export."""

# No `from __future__ import annotations`: litestar reads these signatures at runtime.
from typing import Annotated, Any

from litestar import Request, Response, get, post, put
from litestar.params import PathParameter, QueryParameter

from assetsvc.api.auth import actor_of
from assetsvc.api.query import MAX_ID, choice, only
from assetsvc.reports import export, mandatory, rules, service, versions
from assetsvc.reports.build import SECTIONS
from assetsvc.reports.tables_out import NAMES

TAGS = ["reports"]
Month = Annotated[str, PathParameter(pattern=r"^(19[7-9][0-9]|[2-9][0-9]{3})-(0[1-9]|1[0-2])$",
                                     description="YYYY-MM, e.g. 2026-11")]
Version = Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)]
VersionPath = Annotated[int, PathParameter(ge=1, le=MAX_ID)]


@post("/reports/{month:str}/generate", tags=TAGS, status_code=200,
      summary="Build the month's report (admin): a new draft when the figures differ from the latest version")
async def generate(request: Request, month: Month) -> dict[str, Any]:
    only(request)
    return await versions.generate(actor_of(request), month)


@get("/reports/{month:str}/versions", tags=TAGS, summary="The month's report versions (status, hash, approval)")
async def list_versions(request: Request, month: Month) -> list[dict[str, Any]]:
    only(request)
    return await versions.versions(actor_of(request), month)


@get("/reports/{month:str}", tags=TAGS,
     summary="A report version (default: the approved one); a contractor reads its own contracts' scores only")
async def show(request: Request, month: Month, version: Version = None,
               scope_: Annotated[str | None, QueryParameter(name="scope", max_length=60,
                                                            description="city, district:330106, station:3, "
                                                                        "owner_class:police, contractor:2, contract:1")]
               = None,
               section: Annotated[str | None, choice("section", list(SECTIONS))] = None) -> dict[str, Any]:
    only(request, "version", "scope", "section")
    return await service.show(actor_of(request), month, version, scope_, section)


@post("/reports/{month:str}/versions/{version:int}/approve", tags=TAGS, status_code=200,
      summary="Approve (审核) a draft (admin): it becomes the month's report of record")
async def approve(request: Request, month: Month, version: VersionPath) -> dict[str, Any]:
    only(request)
    return await versions.approve(actor_of(request), month, version)


@get("/reports/{month:str}/export", tags=TAGS, summary="A report version as XLSX, JSON, CSV (one table) or PDF")
async def export_report(request: Request, month: Month,
                        format: Annotated[str, choice("format", list(export.FORMATS))] = "xlsx",
                        version: Version = None,
                        table: Annotated[str | None, choice("table", list(NAMES))] = None) -> Response[bytes]:
    only(request, "format", "version", "table")
    name, media, body = await export.export(actor_of(request), month, format, version, table)
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@get("/reports/{month:str}/diff", tags=TAGS,
     summary="Every figure that differs between two versions of a month (section, scope, field, before, after)")
async def diff(request: Request, month: Month,
               base: Annotated[int, QueryParameter(name="from", ge=1, le=MAX_ID, description="the older version")],
               version: Annotated[int, QueryParameter(name="to", ge=1, le=MAX_ID, description="the newer version")]
               ) -> dict[str, Any]:
    only(request, "from", "to")
    return await versions.diff(actor_of(request), month, base, version)


@get("/report-rules/mandatory", tags=TAGS,
     summary="The mandatory field list (一机一档必填项) behind 完整率, with every field that may be named")
async def get_mandatory(request: Request) -> dict[str, Any]:
    only(request)
    return await mandatory.get_fields(actor_of(request))


@put("/report-rules/mandatory", tags=TAGS, status_code=200,
     summary="Replace the mandatory field list (admin): {fields: [...], class1: [...]} of camera field keys")
async def put_mandatory(request: Request) -> dict[str, Any]:
    only(request)
    try:
        raw: Any = await request.json()
    except Exception:  # noqa: BLE001 - any undecodable body is the same client error
        raw = None
    return await mandatory.put_fields(actor_of(request), raw)


@get("/report-rules/league", tags=TAGS, summary="The league rules (考核办法) in force (the shipped example until set)")
async def get_league(request: Request) -> dict[str, Any]:
    only(request)
    return await rules.get_rules(actor_of(request))


@put("/report-rules/league", tags=TAGS, status_code=200,
     summary="Replace the league rules (admin): a JSON object, or TOML (Content-Type application/toml or text/plain)")
async def put_league(request: Request) -> dict[str, Any]:
    only(request)
    if request.content_type[0] in ("application/toml", "text/plain"):
        raw: Any = await request.body()
    else:
        try:
            raw = await request.json()
        except Exception:  # noqa: BLE001 - any undecodable body is the same client error
            raw = None
    return await rules.put_rules(actor_of(request), raw)


HANDLERS = [generate, list_versions, show, approve, export_report, diff, get_mandatory, put_mandatory, get_league,
            put_league]
