"""Bearer-token authentication for every endpoint but login and health."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from assetsvc.accounts.service import authenticate
from assetsvc import logs
from assetsvc.actor import Actor

OPEN_PATHS = {"/api/v1/auth/login", "/healthz"}
# A platform account (role "platform") pushes passive status and nothing else.
PLATFORM_PATHS = {"/api/v1/status/passive", "/api/v1/auth/me", "/api/v1/auth/logout", "/api/v1/auth/tokens"}
# A metrics account (role "metrics", a Prometheus server's token) reads /metrics and nothing else.
METRICS_PATHS = {"/metrics"}


class TokenAuth(AbstractAuthenticationMiddleware):
    """Resolves `Authorization: Bearer <token>` to an Actor; anything else is 401."""

    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthorizedException("send Authorization: Bearer <token> (POST /api/v1/auth/login)")
        actor = await authenticate(token.strip())
        if actor is None:
            raise NotAuthorizedException("the token is unknown, expired or revoked")
        logs.user.set(actor.username)  # every log line of this request names its user
        if actor.role == "platform" and connection.url.path not in PLATFORM_PATHS:
            raise PermissionDeniedException("a platform account may only push passive status")
        if actor.role == "metrics" and connection.url.path not in METRICS_PATHS:
            raise PermissionDeniedException("a metrics account may only read /metrics")
        return AuthenticationResult(user=actor, auth=token.strip())


def actor_of(connection: ASGIConnection) -> Actor:
    """The authenticated caller."""
    return connection.user
