"""Service errors that every interface (API, CLI, jobs) turns into a precise message."""

from __future__ import annotations


class ServiceError(Exception):
    """Base: a request that cannot be carried out; `status` is the HTTP code the API answers."""

    status = 400

    def __init__(self, message: str, errors: list[dict] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []


class ValidationFailed(ServiceError):
    """Input broke one or more rules; `errors` holds {field, kind, message} per problem."""

    status = 400


class NotFound(ServiceError):
    """No such record (or not visible to this caller: contractors never learn others' ids exist)."""

    status = 404


class Conflict(ServiceError):
    """The change clashes with existing data (a unique key, a record still referenced)."""

    status = 409


class Forbidden(ServiceError):
    """The caller's role may not do this."""

    status = 403


def field_error(field: str, kind: str, message: str) -> dict:
    """One entry of ServiceError.errors."""
    return {"field": field, "kind": kind, "message": message}
