"""JSON error bodies: {"detail": ..., "errors": [{field, kind, message}]} for every failure."""

from __future__ import annotations

import logging
import sqlite3

import asyncpg

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from assetsvc.accounts.service import RateLimited
from assetsvc.errors import ServiceError, field_error
from assetsvc import storage
from assetsvc.secrets import KeyError_
from assetsvc.storage import StorageFailure

log = logging.getLogger("assetsvc.api")


def _body(detail: str, errors: list[dict], status: int, headers: dict[str, str] | None = None) -> Response:
    return Response({"detail": detail, "errors": errors}, status_code=status, headers=headers)


def service_error(_: Request, exc: ServiceError) -> Response:
    return _body(exc.message, exc.errors, exc.status)


def rate_limited(_: Request, exc: RateLimited) -> Response:
    response = _body(str(exc), [], 429)
    response.headers["Retry-After"] = str(exc.retry_after_s)
    return response


def key_error(_: Request, exc: KeyError_) -> Response:
    """The server's credential key is missing or wrong: nothing was sealed or opened."""
    log.error("credential key: %s", exc)
    return _body(str(exc), [], 503)


def validation_error(_: Request, exc: ValidationException) -> Response:
    errors = []
    for item in exc.extra or []:
        if isinstance(item, dict):
            key = str(item.get("key") or item.get("source") or "body")
            errors.append(field_error(key, "invalid", str(item.get("message", exc.detail))))
    return _body(exc.detail or "invalid request", errors, 400)


def http_error(_: Request, exc: HTTPException) -> Response:
    return _body(exc.detail, [], exc.status_code, exc.headers)  # 405 keeps its Allow header


MAX_ID = 2**31 - 1  # the id columns are 32-bit integers on PostgreSQL


def out_of_range(request: Request, exc: Exception) -> Response:
    """A value the database cannot take (an id beyond its integer column, U+0000 in text on
    PostgreSQL; any integer over 64 bits on SQLite): a path id is no such record, anything else a
    client error. One mechanism for every endpoint instead of a range check on each parameter."""
    big = [part for part in request.url.path.split("/") if part.isdigit() and int(part) > MAX_ID]
    if big:
        return _body(f"no record {big[0]} (ids are at most {MAX_ID})", [], 404)
    message = f"a value cannot be stored: whole numbers and ids are at most {MAX_ID}, and text may not hold NUL"
    return _body(message, [field_error("body", "out_of_range", message)], 400)


def too_deep(request: Request, exc: RecursionError) -> Response:
    """JSON nested deeper than the decoder goes (msgspec raises RecursionError); any other
    recursion is our fault."""
    if "deserializ" not in str(exc):
        return internal_error(request, exc)
    message = "the JSON is nested too deeply"
    return _body(message, [field_error("body", "invalid", message)], 400)


def storage_error(request: Request, exc: Exception) -> Response:
    """A full disk (507), or a database that cannot be written or read (503), said plainly;
    anything else from the driver or the OS is an internal error."""
    failure = storage.classify(exc)
    if failure is None:
        return internal_error(request, exc)
    log.error("storage: %s", failure)
    return _body(str(failure), [], 507 if failure.kind == "full" else 503)


def internal_error(request: Request, exc: Exception) -> Response:
    # Log the type and where, never the request body (it may hold passwords).
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return _body("internal error; the server log has the details", [], 500)


HANDLERS = {
    ServiceError: service_error,
    RateLimited: rate_limited,
    KeyError_: key_error,
    ValidationException: validation_error,
    HTTPException: http_error,
    OverflowError: out_of_range,  # sqlite3: "Python int too large to convert to SQLite INTEGER"
    asyncpg.exceptions.DataError: out_of_range,  # out of int32 range, NUL in text (SQLSTATE class 22)
    RecursionError: too_deep,
    StorageFailure: storage_error,
    sqlite3.Error: storage_error,
    OSError: storage_error,
    asyncpg.exceptions.DiskFullError: storage_error,
    asyncpg.exceptions.ReadOnlySQLTransactionError: storage_error,
    Exception: internal_error,
}
