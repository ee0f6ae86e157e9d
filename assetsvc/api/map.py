"""The map (地图): every in-service camera's position and state in one compact answer; district outlines."""

# No `from __future__ import annotations`: litestar reads these signatures at runtime.
from typing import Annotated, Any

from litestar import Request, Router, delete, get, put
from litestar.config.compression import CompressionConfig
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.compression import CompressionMiddleware
from litestar.params import QueryParameter

from assetsvc.api.auth import actor_of
from assetsvc.api.query import choice, only
from assetsvc.monitoring.map_points import MapPoints, map_points
from assetsvc.registry.outlines import service as outlines
from assetsvc.registry.outlines.geojson import CODE_PROPERTIES, DATUMS
from assetsvc.runtime import settings


# 100,000 cameras are 2.9 MiB of JSON and 0.9 MiB gzipped (bench/map_points.py): this one answer is
# compressed for clients that accept gzip; the rest of the API is small and stays as it is.
GZIP = DefineMiddleware(CompressionMiddleware, config=CompressionConfig(backend="gzip", gzip_compress_level=5))


@get("/map/points", tags=["map"], middleware=[GZIP],
     summary="Every in-service camera's lon/lat and state now, as parallel arrays (contractors: their cameras)")
async def points(request: Request) -> MapPoints:
    only(request)
    return await map_points(actor_of(request))


@get("/map/outlines", tags=["map"], summary="The district outlines as a GeoJSON FeatureCollection (properties.code)")
async def read_outlines(request: Request) -> dict[str, Any]:
    only(request)
    return await outlines.feature_collection(actor_of(request))


@put("/map/outlines", tags=["map"], status_code=200,
     summary="Replace the district outlines with a GeoJSON FeatureCollection (admin; checked whole, all or nothing)")
async def put_outlines(
    request: Request,
    property: Annotated[str | None, QueryParameter(
        description=f"the feature property holding the GB/T 2260 code (default: the first of {', '.join(CODE_PROPERTIES)})",
        max_length=64)] = None,
    datum: Annotated[str, choice("datum", list(DATUMS), "the file's datum: wgs84 (as the registry) or gcj02")] = "wgs84",
) -> dict[str, Any]:
    only(request, "property", "datum")
    content = await request.body()
    stored = await outlines.upload(actor_of(request), content, settings().outline_max_mb * 2**20,
                                   code_property=property, datum=datum)
    return stored.to_json()


@delete("/map/outlines", tags=["map"], status_code=200, summary="Remove every district outline (admin)")
async def delete_outlines(request: Request) -> dict[str, int]:
    only(request)
    return {"deleted": await outlines.delete(actor_of(request))}


def router() -> Router:
    """The map's routes; the outline upload takes bodies up to ASSETSVC_OUTLINE_MAX_MB (+1 MB: the
    service's own check gives the precise message below that)."""
    upload = Router(path="/", route_handlers=[put_outlines],
                    request_max_body_size=(settings().outline_max_mb + 1) * 2**20)
    return Router(path="/", route_handlers=[points, read_outlines, delete_outlines, upload])
