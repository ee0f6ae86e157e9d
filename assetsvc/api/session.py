"""The web UI's browser session: an httpOnly cookie holding a session token, and the same-origin
rule for cookie requests that change state.

The cookie carries a token like a bearer token (only its SHA-256 is stored, accounts/service.py),
so logout, revocation and expiry work the same for both. A browser sends the cookie with any
request to this server, also one a foreign page makes it send; SameSite=Strict keeps it off
cross-site requests in current browsers, and the Origin check refuses a state change that still
carries it from another origin (older browsers, a same-site sibling host).
"""

from __future__ import annotations

from litestar.connection import ASGIConnection

from assetsvc.api.client import client_address
from assetsvc.errors import Forbidden, field_error

COOKIE = "assetsvc_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def is_tls(connection: ASGIConnection) -> bool:
    """Whether the browser reached us over TLS: our own listener, or a trusted proxy saying so."""
    if connection.scope.get("scheme") == "https":
        return True
    # client_address() differs from the peer only when the peer is a trusted proxy.
    proxied = connection.client is not None and client_address(connection) != connection.client.host
    return proxied and connection.headers.get("x-forwarded-proto", "").lower() == "https"


def own_origin(connection: ASGIConnection) -> str:
    """This server's origin as the browser addressed it (scheme and Host header)."""
    scheme = "https" if is_tls(connection) else "http"
    return f"{scheme}://{connection.headers.get('host', '')}".lower()


def check_origin(connection: ASGIConnection, *, required: bool) -> None:
    """Refuse (403) a request whose Origin is another site's; `required`: a missing one too."""
    origin = connection.headers.get("origin")
    if origin is None and not required:
        return
    if origin is None or origin.lower() != own_origin(connection):
        said = "no Origin header" if origin is None else f"Origin {origin!r}"
        message = (f"cross-site request refused: a request with the session cookie that changes state must "
                   f"come from this server's own pages ({own_origin(connection)}), not {said}")
        raise Forbidden(message, [field_error("origin", "cross_site", message)])


def cookie_header(token: str, max_age_s: int, *, tls: bool) -> str:
    """Set-Cookie for a new session (`max_age_s` 0 and an empty token end it in the browser)."""
    parts = [f"{COOKIE}={token}", "Path=/", f"Max-Age={max_age_s}", "HttpOnly", "SameSite=Strict"]
    if tls:
        parts.append("Secure")
    return "; ".join(parts)
