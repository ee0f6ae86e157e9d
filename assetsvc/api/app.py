"""The Litestar application: API routes, auth, errors, OpenAPI and start-up."""

from __future__ import annotations

import logging

from litestar import Litestar, Response, Router, get
from litestar.middleware.base import DefineMiddleware
from litestar.openapi import ResponseSpec

from assetsvc import db, logs, storage
from assetsvc.api import account, errors, history, monitoring, monitoring_uptime, registry
from assetsvc.api import guard, metrics, openapi, province, reports, tickets, ui, webhooks
from assetsvc.api import map as map_api
from assetsvc.api import users
from assetsvc.api.auth import OPEN_PATHS, TokenAuth
from assetsvc.api.crud import entity_router
from assetsvc.registry import import_jobs
from assetsvc.registry.entities import ENTITIES
from assetsvc.runtime import settings


@get("/healthz", tags=["health"], summary="Liveness: the database can be read (no authentication)", security=[{}],
     responses={503: ResponseSpec(data_container=dict[str, str], generate_examples=False,
                                  description="The database cannot be read: {status: error, database: why}")})
async def healthz() -> Response[dict[str, str]]:
    """200 while the database can be read; 503 with the reason when it cannot (damaged, gone)."""
    try:
        await db.check_readable()
    except Exception as exc:  # whatever the driver raises, the probe's answer is the same
        failure = storage.classify(exc)
        reason = str(failure) if failure else f"the database cannot be read: {type(exc).__name__}"
        return Response({"status": "error", "database": reason}, status_code=503)
    return Response({"status": "ok"}, status_code=200)


def create_app(*, on_startup: list | None = None, on_shutdown: list | None = None,
               manage_db: bool = True) -> Litestar:
    """Build the app; `on_startup` hooks run after the database pool is open.

    `manage_db=False` leaves the connection pool to the caller (tests share one per session).
    """
    # Uploads get the large limit (the import's own check gives the precise message; the body may
    # carry multipart headers too); every other body, login included, the small one.
    uploads = Router(path="/", route_handlers=[registry.import_file, *history.UPLOADS],
                     request_max_body_size=(settings().import_max_mb + 1) * 2**20)
    api = Router(
        path="/api/v1",
        route_handlers=[
            *account.HANDLERS,
            *users.HANDLERS,
            registry.registry_summary, registry.camera_service_periods, uploads, registry.import_job, registry.export_file,
            *[entity_router(e) for e in ENTITIES],
            *monitoring.HANDLERS,
            *monitoring_uptime.HANDLERS,
            *history.HANDLERS,
            *tickets.HANDLERS,
            *webhooks.HANDLERS,
            *reports.HANDLERS,
            *province.HANDLERS,
            map_api.router(),
        ],
    )
    openapi.document_errors([api, healthz, metrics.metrics], OPEN_PATHS)
    app = Litestar(
        route_handlers=[api, healthz, metrics.metrics, openapi.assets_router(), *ui.HANDLERS],
        middleware=[logs.RequestContext, DefineMiddleware(TokenAuth, exclude=[f"^{p}$" for p in OPEN_PATHS]
                                     + [f"^{openapi.ASSETS_PATH}/",  # the docs page's static files
                                        "^/$", "^/ui(/|$)"])],  # the web UI's files (it logs in itself)
        exception_handlers=errors.HANDLERS,
        before_request=guard.refuse_nul,
        before_send=[guard.security_headers],
        on_startup=[*([db.start] if manage_db else []), import_jobs.sweep, *(on_startup or [])],
        on_shutdown=[import_jobs.stop_running, *(on_shutdown or []), *([db.stop] if manage_db else [])],
        request_max_body_size=settings().body_max_kb * 1024,
        openapi_config=openapi.config(),
        logging_config=None,
        debug=False,
    )
    openapi.finish(app)
    _allow_every_method(app)
    return app


def _allow_every_method(app: Litestar) -> None:
    """Litestar quirk (2.x): a path whose handlers come from a nested router keeps the OPTIONS
    handler of the first route built for it, so `Allow` lists only that route's methods (GET, not
    POST). Give those stale routes the methods of the route the app really dispatches."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if "OPTIONS" in handler.http_methods and handler.fn.__closure__:
                stale = handler.fn.__closure__[0].cell_contents
                if stale is not route and hasattr(stale, "methods"):
                    stale.methods |= set(route.methods)


def configure_logging() -> None:
    """Log lines to stderr at ASSETSVC_LOG_LEVEL, plain or JSON (ASSETSVC_LOG_FORMAT)."""
    logs.configure(settings().log_level, settings().log_format)
    # APScheduler logs every job run at INFO; our jobs log their own outcome (assetsvc.jobs).
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, logging.getLogger().level))


