"""The OpenAPI schema as the API really behaves: one error body, the error codes of every
operation, and the docs page served from the package's own assets (no CDN: offline networks)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import swagger_ui_bundle
from litestar import Router
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.static_files import create_static_files_router

SCHEMA_PATH = "/api/v1/schema"
ASSETS_PATH = f"{SCHEMA_PATH}/assets"
ASSETS_DIR = Path(swagger_ui_bundle.swagger_ui_path)


@dataclass
class FieldError:
    """One problem: the field (or query parameter, or `body`), a short kind, and the message."""

    field: str
    kind: str
    message: str


@dataclass
class ErrorBody:
    """Every error the API answers: a sentence, and the problems per field (may be empty)."""

    detail: str
    errors: list[FieldError]


DESCRIPTIONS = {
    400: "Bad input: the query, path or body breaks a rule (errors name each field)",
    401: "No bearer token, or an unknown, expired or revoked one",
    403: "The caller's role may not do this",
    404: "No such record, or not visible to this caller",
    409: "Conflicts with the stored state (a unique value taken, a record still referenced, a state "
         "that does not allow the action)",
    413: "The request body is larger than the limit of this endpoint",
    429: "Too many failed logins",
}


def error_response(status: int) -> ResponseSpec:
    return ResponseSpec(data_container=ErrorBody, description=DESCRIPTIONS[status], generate_examples=False)


def error_codes(handler: HTTPRouteHandler, path: str, open_paths: set[str]) -> set[int]:
    """The error codes an operation can answer, from what it is: every operation validates (400);
    one behind the token answers 401 and 403 (roles, platform accounts); a path with an id answers
    404; a write may conflict (409) and carries a body (413)."""
    codes = {400}
    if path not in open_paths:
        codes |= {401, 403}
    if "{" in path:
        codes.add(404)
    if handler.http_methods & {"POST", "PUT", "PATCH", "DELETE"}:
        codes.add(409)
    if handler.http_methods & {"POST", "PUT", "PATCH"}:
        codes.add(413)
    return codes


def _walk(handlers: Iterable) -> Iterable[tuple[HTTPRouteHandler, str]]:
    for item in handlers:
        if isinstance(item, Router):  # a built router holds its routes with their full paths
            for route in item.routes:
                for handler in getattr(route, "route_handlers", []):
                    if isinstance(handler, HTTPRouteHandler):
                        yield handler, re.sub(r":\w+}", "}", route.path)
        elif isinstance(item, HTTPRouteHandler):
            for path in item.paths:
                yield item, path


def document_errors(handlers: Iterable, open_paths: set[str]) -> None:
    """Give every operation the error responses it can give, in the one error body; a handler's own
    `responses` (202, 422, 429 ...) are kept."""
    for handler, path in _walk(handlers):
        own = dict(handler.responses or {})
        extra = {code: error_response(code) for code in sorted(error_codes(handler, path, open_paths))}
        handler.responses = {**extra, **own}


def config() -> OpenAPIConfig:
    """Swagger UI at /api/v1/schema (and /swagger) from the swagger-ui-bundle package's files."""
    swagger = SwaggerRenderPlugin(
        js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js", css_url=f"{ASSETS_PATH}/swagger-ui.css",
        standalone_preset_js_url=f"{ASSETS_PATH}/swagger-ui-standalone-preset.js",
        path=["/", "/swagger"],
        favicon=f"<link rel='icon' type='image/png' href='{ASSETS_PATH}/favicon-32x32.png'>",
    )
    return OpenAPIConfig(
        title="assetsvc", version="1", path=SCHEMA_PATH, render_plugins=[swagger],
        components=Components(security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer")}),
        security=[{"bearer": []}],
    )


def assets_router() -> Router:
    """The Swagger UI's JS, CSS and icons."""
    return create_static_files_router(path=ASSETS_PATH, directories=[ASSETS_DIR], include_in_schema=False)


BINARY = {"type": "string", "format": "binary"}
# Operations whose 200 is a file in one of several types (the schema lists each).
FILES = {
    ("get", "/api/v1/export"): ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                "text/csv", "application/geo+json"),
    ("get", "/api/v1/tickets/{ticket_id}/attachments/{attachment_id}"): ("image/jpeg", "image/png",
                                                                         "application/pdf"),
    ("get", "/api/v1/reports/{month}/export"): ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                                "text/csv", "application/json", "application/pdf"),
    ("get", "/api/v1/tickets/{ticket_id}/evidence/{frame_id}"): ("image/jpeg",),
    ("get", "/api/v1/cameras/{camera_id}/frames/{frame_id}"): ("image/jpeg",),
}


def _finished(schema: dict) -> dict:
    """What litestar cannot say from signatures: open operations need no token, file answers
    have their real types, and bodies read by the handler itself have their schema."""
    from assetsvc.api.bodies import BODIES, OPTIONAL

    # The registry's Create/Update bodies and the login refuse unknown fields (msgspec
    # forbid_unknown_fields), which litestar's schema does not say.
    for name, component in schema.get("components", {}).get("schemas", {}).items():
        if name.endswith(("Create", "Update")) or name == "LoginBody":
            component["additionalProperties"] = False
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict):
                continue
            if operation.get("security") == [{}]:
                operation["security"] = []
            if (method, path) in FILES:
                operation["responses"]["200"]["content"] = {
                    t: {"schema": {"type": "object"} if t.endswith("json") else BINARY} for t in FILES[method, path]}
            if (method, path) in BODIES:
                media = "multipart/form-data" if path.endswith("/import") else "application/json"
                content = {media: {"schema": BODIES[method, path]}}
                if path.endswith(("/sla", "/league")):
                    content["application/toml"] = {"schema": {"type": "string"}}
                operation["requestBody"] = {"content": content, "required": (method, path) not in OPTIONAL}
    return schema


def finish(app) -> None:
    """Apply _finished to the app's schema once, before it is first served."""
    from litestar._openapi.plugin import OpenAPIPlugin

    plugin = app.plugins.get(OpenAPIPlugin)
    plugin._openapi_schema = _finished(plugin.provide_openapi().to_schema())  # noqa: SLF001 - no public hook
