"""The one validator of a webhook endpoint's fields (create and update), errors keyed by field."""

from __future__ import annotations

import secrets
from typing import Any, Mapping
from urllib.parse import urlsplit

from assetsvc import bulk
from assetsvc.errors import ValidationFailed, field_error
from assetsvc.webhooks.outbox import EVENT_NAME, MAX_EVENT
from assetsvc.webhooks.targets import host_problem
from assetsvc.webhooks.tables import WebhookEndpoint

FIELDS = ("name", "url", "contractor", "events", "active")
MAX_NAME = 100
MAX_URL = 2000
MAX_EVENTS = 50
MIN_SECRET, MAX_SECRET = 16, 200


def new_secret() -> str:
    """A random signing secret (256 bits, URL-safe text)."""
    return "whsec_" + secrets.token_urlsafe(32)


def _name(value: Any, errors: list[dict]) -> str | None:
    if not isinstance(value, str):
        errors.append(field_error("name", "type", "name must be text"))
        return None
    name = value.strip()
    if not name:
        errors.append(field_error("name", "required", "name is empty"))
    elif len(name) > MAX_NAME:
        errors.append(field_error("name", "too_long", f"name is longer than {MAX_NAME} characters"))
    elif not name.isprintable():
        errors.append(field_error("name", "invalid", "name has control characters"))
    return name


def url_problem(url: str) -> str | None:
    """Why this URL cannot be a webhook target, or None."""
    if len(url) > MAX_URL:
        return f"url is longer than {MAX_URL} characters"
    if any(not c.isprintable() or c.isspace() for c in url):
        return "url has spaces or control characters"
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a port that is not 0..65535
    except ValueError as exc:
        return f"url is malformed: {exc}"
    if parts.scheme.lower() not in ("http", "https"):
        return f"url scheme {parts.scheme or '(none)'!r} is not http or https"
    if "@" in parts.netloc:
        return "url must not hold a user name or password (the signature authenticates us)"
    if not parts.hostname:
        return "url has no host"
    if port == 0:
        return "url port 0 is not a port"
    if parts.fragment:
        return "url has a #fragment, which is never sent"
    return host_problem(parts.hostname)


def _url(value: Any, errors: list[dict]) -> str | None:
    if not isinstance(value, str) or not value.strip():
        errors.append(field_error("url", "required", "url must be an http:// or https:// address"))
        return None
    url = value.strip()
    problem = url_problem(url)
    if problem:
        errors.append(field_error("url", "invalid", problem))
    return url


def _events(value: Any, errors: list[dict]) -> list[str] | None:
    if value is None:
        return []
    if not isinstance(value, list) or any(not isinstance(v, str) for v in value):
        errors.append(field_error("events", "type", "events must be a list of event names (empty = all)"))
        return None
    names = sorted({v.strip() for v in value})
    bad = [n for n in names if len(n) > MAX_EVENT or not EVENT_NAME.match(n)]
    if bad:
        errors.append(field_error("events", "invalid", f"not event names (dotted lower-case words, "
                                  f"e.g. ticket.breached): {', '.join(repr(b[:80]) for b in bad[:5])}"))
    elif len(names) > MAX_EVENTS:
        errors.append(field_error("events", "too_many", f"at most {MAX_EVENTS} event names"))
    return names


async def _contractor(value: Any, errors: list[dict]) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        errors.append(field_error("contractor", "type", "contractor must be a contractor id or null (office)"))
        return None
    if not await bulk.fetch(WebhookEndpoint, "SELECT id FROM contractor WHERE id = ?", [value]):
        errors.append(field_error("contractor", "unknown_reference", f"no contractor with id {value}"))
    return value


def _secret(values: Mapping[str, Any], errors: list[dict], updating: bool) -> str | None:
    given = values.get("secret")
    rotate = values.get("rotate_secret", False)
    if updating and not isinstance(rotate, bool):
        errors.append(field_error("rotate_secret", "type", "rotate_secret must be true or false"))
    if given is None:
        if updating and rotate is True:
            return new_secret()
        return None
    if updating and rotate is True:
        errors.append(field_error("rotate_secret", "invalid", "give a secret or rotate_secret, not both"))
    if not isinstance(given, str) or not MIN_SECRET <= len(given) <= MAX_SECRET or not given.isprintable():
        errors.append(field_error("secret", "invalid", f"secret must be {MIN_SECRET}..{MAX_SECRET} printable "
                                  "characters (leave it out to have one generated)"))
        return None
    return given


async def clean_endpoint(values: Any, stored: Mapping[str, Any] | None) -> tuple[dict[str, Any], str | None]:
    """The columns to write and the new secret (None: keep or generate), or ValidationFailed.

    `stored` None is a create (name and url required); otherwise only the fields given change.
    """
    updating = stored is not None
    if not isinstance(values, Mapping):
        raise ValidationFailed("the body must be a JSON object", [field_error(
            "body", "invalid", "send {name, url, contractor, events, active, secret}")])
    allowed = (*FIELDS, "secret", *(("rotate_secret",) if updating else ()))
    errors = [field_error(str(k)[:60], "unknown", f"not a webhook field; fields: {', '.join(allowed)}")
              for k in values if k not in allowed]
    out: dict[str, Any] = {}
    if not updating or "name" in values:
        out["name"] = _name(values.get("name"), errors)
    if not updating or "url" in values:
        out["url"] = _url(values.get("url"), errors)
    if not updating or "contractor" in values:
        out["contractor"] = await _contractor(values.get("contractor"), errors)
    if not updating or "events" in values:
        out["events"] = _events(values.get("events"), errors)
    if not updating or "active" in values:
        active = values.get("active", True)
        if not isinstance(active, bool):
            errors.append(field_error("active", "type", "active must be true or false"))
        out["active"] = active
    secret = _secret(values, errors, updating)
    if errors:
        raise ValidationFailed("invalid webhook endpoint", errors)
    return out, secret
