"""The office manages users by id (用户管理): add, change role, reset a password, make an API token.

The same rules as the CLI (service.py); only the video office (admin) may do any of it. Users are
named here by id, as the API and the web UI know them; a contractor by its id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from assetsvc.accounts import service
from assetsvc.accounts.service import AccountError
from assetsvc.accounts.tables import Token, User
from assetsvc.actor import Actor
from assetsvc.errors import Forbidden, NotFound
from assetsvc.registry.tables import Contractor


@dataclass(frozen=True)
class IssuedToken:
    """A new API token: the secret is in this answer only (only its SHA-256 is stored)."""

    id: int
    username: str
    name: str
    token: str
    expires_at: str


def _require_admin(actor: Actor) -> None:
    if actor.role != "admin":
        raise Forbidden("only the video office (admin) manages users and their tokens")


async def _username(user_id: int) -> str:
    row = await User.select(User.username).where(User.id == user_id).first().run()
    if row is None:
        raise NotFound(f"no user {user_id}")
    return row["username"]


async def _contractor_name(contractor_id: int | None) -> str | None:
    """The contractor's name (service.py names contractors as the CLI does), or a 400 keyed contractor."""
    if contractor_id is None:
        return None
    row = await Contractor.select(Contractor.name).where(Contractor.id == contractor_id).first().run()
    if row is None:
        raise AccountError("contractor", f"no contractor with id {contractor_id}")
    return row["name"]


async def create_user(actor: Actor, username: str, role: str, contractor: int | None, password: str,
                      temporary: bool) -> int:
    """Add a user (audited); a temporary password must be changed at the first login. Its id."""
    _require_admin(actor)
    user = await service.add_user(username, password, role, await _contractor_name(contractor),
                                  by=actor.username, source="api", temporary=temporary)
    return user.id


async def change_role(actor: Actor, user_id: int, role: str, contractor: int | None) -> None:
    """Give a user another role (a contractor user names its contractor); not one's own."""
    _require_admin(actor)
    username = await _username(user_id)
    if user_id == actor.user_id:
        raise Forbidden("you cannot change your own role")
    await service.set_role(username, role, await _contractor_name(contractor), by=actor.username, source="api")


async def reset_password(actor: Actor, user_id: int, password: str, temporary: bool) -> int:
    """Set a user's password (temporary: to be changed at the next login); every token of the
    user ends. How many ended."""
    _require_admin(actor)
    username = await _username(user_id)
    if user_id == actor.user_id:
        raise Forbidden("change your own password with POST /auth/password")
    return await service.set_password(username, password, by=actor.username, source="api", temporary=temporary)


async def issue_api_token(actor: Actor, user_id: int, name: str, days: int | None) -> IssuedToken:
    """An API token for a user's machine client, living `days` (default ASSETSVC_API_TOKEN_DAYS)."""
    _require_admin(actor)
    username = await _username(user_id)
    token = await service.issue_token(username, "api", name, days=days, by=actor.username, source="api")
    row = await Token.select(Token.id, Token.expires_at).where(
        Token.token_hash == hashlib.sha256(token.encode()).hexdigest()).first().run()
    expires: dt.datetime = row["expires_at"]
    return IssuedToken(row["id"], username, name[:100], token, expires.isoformat())
