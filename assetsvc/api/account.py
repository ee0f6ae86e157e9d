"""Login, logout and who-am-I."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.params import JSONBody

from assetsvc.accounts import service
from assetsvc.api.auth import actor_of
from assetsvc.api.openapi import error_response
from assetsvc.runtime import settings


class LoginBody(msgspec.Struct, forbid_unknown_fields=True):
    username: str
    password: str


@post("/auth/login", tags=["auth"], summary="Exchange a password for a session token", status_code=200,
      security=[{}], responses={429: error_response(429)})
async def login(request: Request, data: JSONBody[LoginBody]) -> dict[str, Any]:
    s = settings()
    client = request.client.host if request.client else "unknown"
    token = await service.login(data.username, data.password, client, max_failures=s.login_max_failures,
                                window_s=s.login_window_seconds, session_hours=s.session_hours)
    return {"token": token, "token_type": "bearer", "expires_in": s.session_hours * 3600}


@post("/auth/logout", tags=["auth"], summary="Revoke the token of this request", status_code=204)
async def logout(request: Request) -> None:
    await service.logout(request.auth)


@get("/auth/me", tags=["auth"], summary="The caller's identity and role")
async def me(request: Request) -> dict[str, Any]:
    actor = actor_of(request)
    return {"username": actor.username, "role": actor.role, "contractor": actor.contractor_id}
