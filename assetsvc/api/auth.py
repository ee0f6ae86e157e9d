"""Authentication for every endpoint but login and health: a bearer token (machine clients) or
the web UI's session cookie (api/session.py: state changes only from our own origin)."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from assetsvc.accounts.service import authenticate
from assetsvc import logs
from assetsvc.actor import Actor
from assetsvc.api.session import COOKIE, SAFE_METHODS, check_origin
from assetsvc.errors import Forbidden, field_error

LOGIN_PATH = "/api/v1/auth/login"
SESSION_PATH = "/api/v1/auth/session"
OPEN_PATHS = {LOGIN_PATH, SESSION_PATH, "/healthz"}
# A platform account (role "platform") pushes passive status and nothing else.
PLATFORM_PATHS = {"/api/v1/status/passive", "/api/v1/auth/me", "/api/v1/auth/logout", "/api/v1/auth/tokens"}
# What a user holding a temporary password may still do: see who they are, change it, leave.
PASSWORD_PATHS = {"/api/v1/auth/me", "/api/v1/auth/password", "/api/v1/auth/logout"}
# A metrics account (role "metrics", a Prometheus server's token) reads /metrics and nothing else.
METRICS_PATHS = {"/metrics"}


def _credential(connection: ASGIConnection) -> tuple[str, bool]:
    """The token and whether it came in the cookie; a bearer header wins over a cookie."""
    header = connection.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthorizedException("send Authorization: Bearer <token> (POST /api/v1/auth/login)")
        return token.strip(), False
    token = connection.cookies.get(COOKIE, "")
    if not token:
        raise NotAuthorizedException("send Authorization: Bearer <token> (POST /api/v1/auth/login), "
                                     "or log in to the web UI (/ui/)")
    return token, True


class TokenAuth(AbstractAuthenticationMiddleware):
    """Resolves the bearer token or session cookie to an Actor; anything else is 401."""

    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        token, from_cookie = _credential(connection)
        if from_cookie and connection.scope.get("method", "GET") not in SAFE_METHODS:
            check_origin(connection, required=True)
        actor = await authenticate(token)
        if actor is None:
            raise NotAuthorizedException("the session or token is unknown, expired or revoked")
        logs.user.set(actor.username)  # every log line of this request names its user
        path = connection.url.path
        if actor.role == "platform" and path not in PLATFORM_PATHS:
            raise PermissionDeniedException("a platform account may only push passive status")
        if actor.role == "metrics" and path not in METRICS_PATHS:
            raise PermissionDeniedException("a metrics account may only read /metrics")
        if actor.must_change_password and path not in PASSWORD_PATHS:
            message = "your password is temporary: change it first (POST /api/v1/auth/password)"
            raise Forbidden(message, [field_error("password", "change_required", message)])
        return AuthenticationResult(user=actor, auth=token)


def actor_of(connection: ASGIConnection) -> Actor:
    """The authenticated caller."""
    return connection.user
