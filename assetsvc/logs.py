"""Log set-up: plain lines or one JSON object per line, each with the request id and the user.

The request id and the user live in context variables: the API's outermost middleware sets the
id (a sane X-Request-ID from the caller, else a new one, echoed in the answer) and the token
middleware the user, so every record written while serving that request carries both, tasks it
starts included (an import job logs with the id of the request that started it).
Secrets never reach a log call: passwords, tokens, device and webhook secrets are not passed to
loggers anywhere (tests/integration/test_log_secrets.py greps DEBUG output for each).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from typing import Any

request_id: ContextVar[str | None] = ContextVar("assetsvc_request_id", default=None)
user: ContextVar[str | None] = ContextVar("assetsvc_user", default=None)
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")  # a caller's id is kept only if it is this plain
_TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
access = logging.getLogger("assetsvc.access")


class ContextFilter(logging.Filter):
    """Puts the current request id and user on every record (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        record.user = user.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, request_id, user, exception."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            "user": getattr(record, "user", None),
        }
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def handler(fmt: str, stream=None) -> logging.Handler:
    """A stream handler in the given format ("text" or "json") with the request context filter."""
    made = logging.StreamHandler(stream or sys.stderr)
    made.addFilter(ContextFilter())
    made.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(_TEXT))
    return made


def configure(level: str, fmt: str) -> None:
    """The root logger writes to stderr at `level` in `fmt`; earlier handlers are replaced."""
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler(fmt))
    root.setLevel(level)


class RequestContext:
    """ASGI middleware (outermost): a request id per HTTP request, echoed as X-Request-ID, and one
    access line (method, path without query, status, milliseconds) logged at DEBUG when it ends
    (at INFO every request would be a line: a Prometheus scrape, a UI poll; the test server pipes
    stderr and a flood of lines fills the pipe)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        rid = given if _SANE_ID.match(given) else uuid.uuid4().hex
        rid_token, user_token = request_id.set(rid), user.set(None)
        status = [0]

        async def send_with_id(message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                message = {**message, "headers": [*message.get("headers", []), (b"x-request-id", rid.encode())]}
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            access.debug("%s %s %s %.1f ms", scope.get("method"), scope.get("path"), status[0],
                        (time.perf_counter() - started) * 1000)
            request_id.reset(rid_token)
            user.reset(user_token)
