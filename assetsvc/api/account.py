"""Login, logout, who-am-I; users (office) and tokens (office, or one's own)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, delete, get, post
from litestar.params import FromPath, JSONBody

from assetsvc.accounts import service, tokens
from assetsvc.api.auth import actor_of
from assetsvc.api.client import client_address
from assetsvc.api.openapi import error_response
from assetsvc.runtime import settings


class LoginBody(msgspec.Struct, forbid_unknown_fields=True):
    username: str
    password: str


@post("/auth/login", tags=["auth"], summary="Exchange a password for a session token", status_code=200,
      security=[{}], responses={429: error_response(429)})
async def login(request: Request, data: JSONBody[LoginBody]) -> dict[str, Any]:
    s = settings()
    client = client_address(request)
    token = await service.login(data.username, data.password, client, max_failures=s.login_max_failures,
                                window_s=s.login_window_seconds, session_hours=s.session_hours)
    return {"token": token, "token_type": "bearer", "expires_in": s.session_hours * 3600}


@post("/auth/logout", tags=["auth"], summary="Revoke the token of this request", status_code=204)
async def logout(request: Request) -> None:
    await service.logout(request.auth, actor_of(request))


@get("/auth/me", tags=["auth"], summary="The caller's identity and role")
async def me(request: Request) -> dict[str, Any]:
    actor = actor_of(request)
    return {"username": actor.username, "role": actor.role, "contractor": actor.contractor_id}


@get("/users", tags=["auth"], summary="Every user with role and whether enabled (office only)")
async def users(request: Request) -> list[dict[str, Any]]:
    return await tokens.list_users(actor_of(request))


@post("/users/{user_id:int}/disable", tags=["auth"], status_code=200,
      summary="Disable a user and end all its sessions and API tokens (office only)")
async def disable_user(request: Request, user_id: FromPath[int]) -> dict[str, Any]:
    return await tokens.set_user_active(actor_of(request), user_id, False)


@post("/users/{user_id:int}/enable", tags=["auth"], status_code=200, summary="Enable a user (office only)")
async def enable_user(request: Request, user_id: FromPath[int]) -> dict[str, Any]:
    return await tokens.set_user_active(actor_of(request), user_id, True)


@get("/users/{user_id:int}/tokens", tags=["auth"],
     summary="A user's sessions and API tokens, with last use (office; or one's own)")
async def user_tokens(request: Request, user_id: FromPath[int]) -> list[dict[str, Any]]:
    return await tokens.list_tokens(actor_of(request), user_id)


@get("/auth/tokens", tags=["auth"], summary="The caller's own sessions and API tokens")
async def my_tokens(request: Request) -> list[dict[str, Any]]:
    actor = actor_of(request)
    return await tokens.list_tokens(actor, actor.user_id)


@delete("/tokens/{token_id:int}", tags=["auth"], status_code=204,
        summary="Revoke a token at once (office: any; others: their own, else 404)")
async def revoke_token(request: Request, token_id: FromPath[int]) -> None:
    await tokens.revoke_token(actor_of(request), token_id)


HANDLERS = [login, logout, me, users, disable_user, enable_user, user_tokens, my_tokens, revoke_token]
