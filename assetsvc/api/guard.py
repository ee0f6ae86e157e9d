"""Checks every request passes before its handler: no NUL character anywhere in its text.

PostgreSQL text refuses U+0000 while SQLite stores it, so the same request must not be taken on
one engine and refused on the other; one check here holds for every endpoint. File uploads
(multipart) are bytes and are not checked; any other body is, whatever its Content-Type says:
litestar's Request.json() decodes the body as JSON without looking at the declared type, so a JSON
body sent as application/octet-stream (or with no type) reached the handlers unchecked.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from litestar import Request

from assetsvc.errors import ValidationFailed, field_error

# \u0000 in JSON text, not preceded by an odd number of backslashes (\\u0000 is the text "\u0000").
JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")

def _refuse(where: str) -> None:
    message = f"the {where} holds a NUL character (U+0000), which no text may hold"
    raise ValidationFailed(message, [field_error(where, "invalid", "no NUL characters")])


async def refuse_nul(request: Request) -> None:
    """before_request hook: a 400 when the path, the query or a body other than a multipart
    upload holds U+0000 (raw, or escaped as JSON writes it)."""
    if b"\x00" in unquote_to_bytes(request.scope.get("raw_path") or b""):
        _refuse("path")
    if b"\x00" in unquote_to_bytes(request.scope.get("query_string") or b""):
        _refuse("query")
    media = request.content_type[0]
    if request.method in ("POST", "PUT", "PATCH") and not media.startswith("multipart/"):
        body = await request.body()  # bounded by the endpoint's body limit; handlers reuse it
        if b"\x00" in body or JSON_NUL.search(body):
            _refuse("body")


# API answers hold inventory and tokens: no cache may keep them, no browser may sniff them. Set on
# every answer, errors included (litestar's response_headers skip the exception handlers' answers).
SECURITY_HEADERS = ((b"cache-control", b"no-store"), (b"x-content-type-options", b"nosniff"))


async def security_headers(message: dict, scope: dict) -> None:
    """before_send hook: add the headers an answer does not set itself."""
    if message["type"] != "http.response.start":
        return
    headers = list(message.get("headers") or [])
    present = {name.lower() for name, _ in headers}
    headers += [(name, value) for name, value in SECURITY_HEADERS if name not in present]
    message["headers"] = headers
