"""JSON error bodies: {"detail": ..., "errors": [{field, kind, message}]} for every failure."""

from __future__ import annotations

import logging

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from assetsvc.accounts.service import AccountError, RateLimited
from assetsvc.errors import ServiceError, field_error

log = logging.getLogger("assetsvc.api")


def _body(detail: str, errors: list[dict], status: int) -> Response:
    return Response({"detail": detail, "errors": errors}, status_code=status)


def service_error(_: Request, exc: ServiceError) -> Response:
    return _body(exc.message, exc.errors, exc.status)


def account_error(_: Request, exc: AccountError) -> Response:
    return _body(str(exc), [field_error(exc.field, "invalid", str(exc))], 400)


def rate_limited(_: Request, exc: RateLimited) -> Response:
    return _body(str(exc), [], 429)


def validation_error(_: Request, exc: ValidationException) -> Response:
    errors = []
    for item in exc.extra or []:
        if isinstance(item, dict):
            key = str(item.get("key") or item.get("source") or "body")
            errors.append(field_error(key, "invalid", str(item.get("message", exc.detail))))
    return _body(exc.detail or "invalid request", errors, 400)


def http_error(_: Request, exc: HTTPException) -> Response:
    return _body(exc.detail, [], exc.status_code)


def internal_error(request: Request, exc: Exception) -> Response:
    # Log the type and where, never the request body (it may hold passwords).
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return _body("internal error; the server log has the details", [], 500)


HANDLERS = {
    ServiceError: service_error,
    AccountError: account_error,
    RateLimited: rate_limited,
    ValidationException: validation_error,
    HTTPException: http_error,
    Exception: internal_error,
}
