"""Bearer-token authentication for every endpoint but login and health."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from assetsvc.accounts.service import Actor, authenticate

OPEN_PATHS = {"/api/v1/auth/login", "/healthz"}


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
        return AuthenticationResult(user=actor, auth=token.strip())


def actor_of(connection: ASGIConnection) -> Actor:
    """The authenticated caller."""
    return connection.user
