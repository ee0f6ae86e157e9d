"""Users and their tokens as the office sees them: list users, list and revoke tokens.

The office (admin) sees and revokes every token, an auditor sees them all; any other user only
their own: another user's tokens answer 404, so token and user ids do not leak.
"""

from __future__ import annotations

from typing import Any

from assetsvc import db
from assetsvc.accounts.service import Actor, set_active
from assetsvc.accounts.tables import Token, User
from assetsvc.audit import service as audit
from assetsvc.errors import Forbidden, NotFound

READERS = ("admin", "auditor")  # who sees every user and token (only admin changes them)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


async def list_users(actor: Actor) -> list[dict[str, Any]]:
    """Every user with role, contractor and whether enabled (the office and auditors)."""
    if actor.role not in READERS:
        raise Forbidden("only the video office and auditors may list users")
    rows = await User.select(User.id, User.username, User.role, User.contractor,
                             User.contractor.name.as_alias("contractor_name"), User.active,
                             User.must_change_password, User.created_at).order_by(User.username).run()
    return [{**r, "active": bool(r["active"]), "must_change_password": bool(r["must_change_password"]),
             "created_at": _iso(r["created_at"])} for r in rows]


async def _username(actor: Actor, user_id: int) -> str:
    """The user's name, when the actor may see that user's tokens (office, auditor: anyone; else self)."""
    if actor.role not in READERS and actor.user_id != user_id:
        raise NotFound(f"no user {user_id}")
    row = await User.select(User.username).where(User.id == user_id).first().run()
    if row is None:
        raise NotFound(f"no user {user_id}")
    return row["username"]


async def user_id_of(username: str) -> int:
    """The id of a user named on the command line."""
    row = await User.select(User.id).where(User.username == username).first().run()
    if row is None:
        raise NotFound(f"no user {username!r}")
    return row["id"]


async def list_tokens(actor: Actor, user_id: int) -> list[dict[str, Any]]:
    """A user's sessions and API tokens (never the token itself), newest first."""
    await _username(actor, user_id)
    rows = await Token.select(Token.id, Token.kind, Token.name, Token.created_at, Token.expires_at,
                              Token.last_used_at).where(Token.user == user_id) \
        .order_by(Token.id, ascending=False).run()
    return [{k: _iso(v) if k.endswith("_at") else v for k, v in r.items()} for r in rows]


async def revoke_token(actor: Actor, token_id: int, source: str = "api") -> None:
    """End one token at once (audited); another user's token is a 404 unless the actor is admin."""
    row = await Token.select(Token.id, Token.kind, Token.name, Token.user.id, Token.user.username) \
        .where(Token.id == token_id).first().run()
    if row is None or (actor.role != "admin" and row["user.id"] != actor.user_id):
        raise NotFound(f"no token {token_id}")
    async with db.write_transaction():
        await Token.delete().where(Token.id == token_id).run()
        await audit.record(actor.username, "delete", "token", token_id,
                           f"{row['user.username']}: {row['name']}"[:200],
                           {"kind": [row["kind"], None], "name": [row["name"], None]}, source)


async def set_user_active(actor: Actor, user_id: int, active: bool, source: str = "api") -> dict[str, Any]:
    """Enable or disable a user by id (office only); disabling ends every token of the user."""
    if actor.role != "admin":
        raise Forbidden("only the video office may enable or disable users")
    username = await _username(actor, user_id)
    if not active and user_id == actor.user_id:
        raise Forbidden("you cannot disable yourself")
    ended = await set_active(username, active, by=actor.username, source=source)
    return {"id": user_id, "username": username, "active": active, "tokens_ended": ended}
