"""The Litestar application: API routes, auth, errors, OpenAPI and start-up."""

from __future__ import annotations

import logging

from litestar import Litestar, Router, get
from litestar.middleware.base import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from assetsvc import db
from assetsvc.api import account, errors, monitoring, monitoring_uptime, registry
from assetsvc.api import tickets, webhooks
from assetsvc.api.auth import OPEN_PATHS, TokenAuth
from assetsvc.api.crud import entity_router
from assetsvc.registry import import_jobs
from assetsvc.registry.entities import ENTITIES
from assetsvc.runtime import settings


@get("/healthz", tags=["health"], summary="Liveness (no data, no authentication)")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def create_app(*, on_startup: list | None = None, on_shutdown: list | None = None,
               manage_db: bool = True) -> Litestar:
    """Build the app; `on_startup` hooks run after the database pool is open.

    `manage_db=False` leaves the connection pool to the caller (tests share one per session).
    """
    api = Router(
        path="/api/v1",
        route_handlers=[
            *account.HANDLERS,
            registry.registry_summary, registry.import_file, registry.import_job, registry.export_file,
            *[entity_router(e) for e in ENTITIES],
            *monitoring.HANDLERS,
            *monitoring_uptime.HANDLERS,
            *tickets.HANDLERS,
            *webhooks.HANDLERS,
        ],
    )
    return Litestar(
        route_handlers=[api, healthz],
        middleware=[DefineMiddleware(TokenAuth, exclude=[f"^{p}$" for p in OPEN_PATHS])],
        exception_handlers=errors.HANDLERS,
        on_startup=[*([db.start] if manage_db else []), import_jobs.sweep, *(on_startup or [])],
        on_shutdown=[import_jobs.stop_running, *(on_shutdown or []), *([db.stop] if manage_db else [])],
        # The import's own limit gives the precise message; the body may carry multipart headers too.
        request_max_body_size=(settings().import_max_mb + 1) * 2**20,
        openapi_config=OpenAPIConfig(
            title="assetsvc", version="1", path="/api/v1/schema",
            components=Components(security_schemes={
                "bearer": SecurityScheme(type="http", scheme="bearer")}),
            security=[{"bearer": []}],
        ),
        logging_config=None,
        debug=False,
    )


def configure_logging() -> None:
    """Plain log lines to stderr at ASSETSVC_LOG_LEVEL."""
    logging.basicConfig(level=settings().log_level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # APScheduler logs every job run at INFO; our jobs log their own outcome (assetsvc.jobs).
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, logging.getLogger().level))


