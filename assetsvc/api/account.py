"""Login, logout, who-am-I, one's own tokens, revoking a token (users: api/users.py)."""

from __future__ import annotations

from typing import Any

import datetime as dt

import msgspec
from litestar import Request, Response, delete, get, post
from litestar.params import FromPath, JSONBody

from assetsvc.accounts import service, tokens
from assetsvc.api import session as browser
from assetsvc.api.auth import actor_of
from assetsvc.api.client import client_address
from assetsvc.api.openapi import error_response
from assetsvc.runtime import settings


class LoginBody(msgspec.Struct, forbid_unknown_fields=True):
    username: str
    password: str


class PasswordBody(msgspec.Struct, forbid_unknown_fields=True):
    current_password: str
    new_password: str


class TokenRead(msgspec.Struct):
    """A session (`session`: bearer login, `browser`: the web UI's cookie) or API token (`api`); never the token."""

    id: int
    kind: str
    name: str
    created_at: str | None
    expires_at: str | None
    last_used_at: str | None


class Me(msgspec.Struct):
    """Who the caller is; `must_change_password`: a temporary password, to be changed first;
    `timezone`: the office's (ASSETSVC_TIMEZONE), in which the UI shows times."""

    username: str
    role: str
    contractor: int | None
    must_change_password: bool
    timezone: str


async def _login(request: Request, data: LoginBody, kind: str) -> tuple[str, int]:
    s = settings()
    token = await service.login(data.username, data.password, client_address(request),
                                max_failures=s.login_max_failures, window_s=s.login_window_seconds,
                                session=dt.timedelta(minutes=s.session_minutes), kind=kind)
    return token, s.session_minutes * 60


@post("/auth/login", tags=["auth"], summary="Exchange a password for a bearer session token", status_code=200,
      security=[{}], responses={429: error_response(429)})
async def login(request: Request, data: JSONBody[LoginBody]) -> dict[str, Any]:
    token, lifetime_s = await _login(request, data, "session")
    return {"token": token, "token_type": "bearer", "expires_in": lifetime_s}


@post("/auth/session", tags=["auth"], status_code=200, security=[{}],
      summary="The web UI's login: a password for an httpOnly session cookie (from this server's pages only)",
      responses={403: error_response(403), 429: error_response(429)})
async def open_session(request: Request, data: JSONBody[LoginBody]) -> Response[Me]:
    browser.check_origin(request, required=False)  # no logging a browser in from a foreign page
    token, lifetime_s = await _login(request, data, "browser")
    actor = await service.authenticate(token)
    assert actor is not None  # just issued
    cookie = browser.cookie_header(token, lifetime_s, tls=browser.is_tls(request))
    return Response(_me(actor), headers={"set-cookie": cookie})


@post("/auth/logout", tags=["auth"], status_code=204,
      summary="End the session of this request on the server (bearer token or the UI's cookie)")
async def logout(request: Request) -> Response[None]:
    await service.logout(request.auth, actor_of(request))
    # The browser forgets its cookie too (harmless for a bearer client, which has none).
    return Response(None, status_code=204,
                    headers={"set-cookie": browser.cookie_header("", 0, tls=browser.is_tls(request))})


def _me(actor: service.Actor) -> Me:
    return Me(actor.username, actor.role, actor.contractor_id, actor.must_change_password, settings().timezone)


@get("/auth/me", tags=["auth"], summary="The caller's identity and role")
async def me(request: Request) -> Me:
    return _me(actor_of(request))


@post("/auth/password", tags=["auth"], status_code=204,
      summary="Change one's own password (a temporary one first of all); other sessions and tokens end")
async def change_password(request: Request, data: JSONBody[PasswordBody]) -> None:
    await service.change_own_password(actor_of(request), data.current_password, data.new_password, request.auth)


@get("/auth/tokens", tags=["auth"], summary="The caller's own sessions and API tokens")
async def my_tokens(request: Request) -> list[TokenRead]:
    actor = actor_of(request)
    return msgspec.convert(await tokens.list_tokens(actor, actor.user_id), list[TokenRead])


@delete("/tokens/{token_id:int}", tags=["auth"], status_code=204,
        summary="Revoke a token at once (office: any; others: their own, else 404)")
async def revoke_token(request: Request, token_id: FromPath[int]) -> None:
    await tokens.revoke_token(actor_of(request), token_id)


HANDLERS = [login, open_session, logout, me, change_password, my_tokens, revoke_token]
