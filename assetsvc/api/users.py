"""Users and their tokens for the office: list (admin, auditor), add, role, password, enable/disable,
API tokens (admin)."""

# No `from __future__ import annotations`: litestar reads these signatures at runtime.
from typing import Annotated, Any, Literal, TypeVar

import msgspec
from litestar import Request, get, patch, post
from litestar.params import JSONBody

from assetsvc.accounts import office, tokens
from assetsvc.accounts.service import MAX_TOKEN_DAYS
from assetsvc.api.account import TokenRead
from assetsvc.api.auth import actor_of
from assetsvc.api.query import MAX_ID, Id
from assetsvc.errors import ValidationFailed, field_error

TAGS = ["auth"]
Role = Literal["admin", "auditor", "contractor", "platform", "metrics"]
ContractorId = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)] | None
Password = Annotated[str, msgspec.Meta(min_length=10, max_length=1024)]


class UserRead(msgspec.Struct):
    """A user as the office sees it (never a password or its hash); `must_change_password`: the
    password is temporary, not changed yet."""

    id: int
    username: str
    role: str
    contractor: int | None
    contractor_name: str | None
    active: bool
    must_change_password: bool
    created_at: str | None


class UserCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A new user; a contractor user names its contractor (id); `temporary`: to be changed at first login."""

    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    role: Role
    password: Password
    contractor: ContractorId = None
    temporary: bool = True


class UserUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Another role (a contractor user names its contractor); it holds from the user's next request."""

    role: Role
    contractor: ContractorId = None


class PasswordUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """A password the office sets; `temporary`: the user must change it at the next login."""

    password: Password
    temporary: bool = True


class ApiTokenCreate(msgspec.Struct, forbid_unknown_fields=True):
    """What the token is for, and how many days it lives (default ASSETSVC_API_TOKEN_DAYS)."""

    name: Annotated[str, msgspec.Meta(max_length=100)] = ""
    days: Annotated[int, msgspec.Meta(ge=1, le=MAX_TOKEN_DAYS)] | None = None


Body = TypeVar("Body", UserCreate, UserUpdate, PasswordUpdate, ApiTokenCreate)


class ActiveChange(msgspec.Struct):
    id: int
    username: str
    active: bool
    tokens_ended: int


class PasswordChanged(msgspec.Struct):
    id: int
    tokens_ended: int


async def _strict(request: Request, kind: type[Body]) -> Body:
    """The body checked again in msgspec's strict mode. Litestar quirk (2.x, _signature/model.py):
    it converts bodies with strict=False, so `"temporary": 0` would be false and `"days": "5"` five,
    which the schema does not allow (schemathesis' negative checks)."""
    try:
        return msgspec.convert(await request.json(), kind, strict=True)
    except msgspec.ValidationError as exc:
        text = str(exc)
        field = text.rpartition("`$.")[2].rstrip("`") if "`$." in text else "body"
        raise ValidationFailed(f"invalid body: {text}", [field_error(field, "invalid", text)]) from None


async def _user(user_id: int, request: Request) -> UserRead:
    for row in await tokens.list_users(actor_of(request)):
        if row["id"] == user_id:
            return msgspec.convert(row, UserRead)
    raise AssertionError(f"user {user_id} was just written")  # pragma: no cover - the service checked it


@get("/users", tags=TAGS, summary="Every user with role, contractor and whether enabled (office, auditor)")
async def users(request: Request) -> list[UserRead]:
    return msgspec.convert(await tokens.list_users(actor_of(request)), list[UserRead])


@post("/users", tags=TAGS, status_code=201,
      summary="Add a user (admin); a temporary password must be changed at the first login")
async def create_user(request: Request, data: JSONBody[UserCreate]) -> UserRead:
    data = await _strict(request, UserCreate)
    user_id = await office.create_user(actor_of(request), data.username, data.role, data.contractor,
                                       data.password, data.temporary)
    return await _user(user_id, request)


@patch("/users/{user_id:int}", tags=TAGS, summary="Give a user another role (admin; not one's own)")
async def change_role(request: Request, user_id: Id, data: JSONBody[UserUpdate]) -> UserRead:
    data = await _strict(request, UserUpdate)
    await office.change_role(actor_of(request), user_id, data.role, data.contractor)
    return await _user(user_id, request)


@post("/users/{user_id:int}/password", tags=TAGS, status_code=200,
      summary="Set a user's password (admin), temporary by default; every session and token of the user ends")
async def reset_password(request: Request, user_id: Id, data: JSONBody[PasswordUpdate]) -> PasswordChanged:
    data = await _strict(request, PasswordUpdate)
    ended = await office.reset_password(actor_of(request), user_id, data.password, data.temporary)
    return PasswordChanged(user_id, ended)


@post("/users/{user_id:int}/disable", tags=TAGS, status_code=200,
      summary="Disable a user and end all its sessions and API tokens (admin)")
async def disable_user(request: Request, user_id: Id) -> ActiveChange:
    return msgspec.convert(await tokens.set_user_active(actor_of(request), user_id, False), ActiveChange)


@post("/users/{user_id:int}/enable", tags=TAGS, status_code=200, summary="Enable a user (admin)")
async def enable_user(request: Request, user_id: Id) -> ActiveChange:
    return msgspec.convert(await tokens.set_user_active(actor_of(request), user_id, True), ActiveChange)


@get("/users/{user_id:int}/tokens", tags=TAGS,
     summary="A user's sessions and API tokens, with last use (office, auditor; or one's own)")
async def user_tokens(request: Request, user_id: Id) -> list[TokenRead]:
    return msgspec.convert(await tokens.list_tokens(actor_of(request), user_id), list[TokenRead])


@post("/users/{user_id:int}/tokens", tags=TAGS, status_code=201,
      summary="Make an API token for a user's machine client (admin); the answer shows it once")
async def create_token(request: Request, user_id: Id, data: JSONBody[ApiTokenCreate]) -> office.IssuedToken:
    data = await _strict(request, ApiTokenCreate)
    return await office.issue_api_token(actor_of(request), user_id, data.name, data.days)


HANDLERS: list[Any] = [users, create_user, change_role, reset_password, disable_user, enable_user, user_tokens,
                       create_token]
