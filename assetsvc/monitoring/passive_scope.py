"""Which cameras a platform account may report passive status on (接入平台的上报范围).

A scope is a set of rules (owner, owner_class, region). Rules of one kind are alternatives;
kinds together narrow (owner_class=social and region=4502: social cameras in that city). An
account without rules may report on nothing: a new platform account is harmless until the office
says what it covers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from assetsvc import db
from assetsvc.accounts.tables import User
from assetsvc.errors import NotFound, ValidationFailed, field_error
from assetsvc.monitoring.subjects import IN_SERVICE
from assetsvc.monitoring.tables import PlatformScope
from assetsvc.registry.tables import Camera, Owner

KINDS = ("owner", "owner_class", "region")
OWNER_CLASSES = ("police", "government", "social")
MAX_RULES = 100


@dataclass(frozen=True)
class Rule:
    kind: str
    value: str


def parse_rule(text: str) -> tuple[str, str]:
    """`kind=value` from the CLI."""
    kind, sep, value = text.partition("=")
    if not sep:
        raise ValidationFailed(f"scope {text!r}: write kind=value, kind one of {', '.join(KINDS)}",
                               [field_error("scope", "format", "kind=value")])
    return kind.strip(), value.strip()


async def _check(kind: Any, value: Any, where: str) -> Rule | dict:
    """A valid rule (owner names become ids) or the field error."""
    if kind not in KINDS or not isinstance(value, (str, int)) or isinstance(value, bool):
        return field_error(where, "invalid", f"kind is one of {', '.join(KINDS)} and value a string")
    value = str(value).strip()
    if kind == "owner_class" and value not in OWNER_CLASSES:
        return field_error(where, "invalid", f"owner_class is one of {', '.join(OWNER_CLASSES)}")
    if kind == "region" and not re.fullmatch(r"\d{2}|\d{4}|\d{6}", value):
        return field_error(where, "invalid", "region is a GB/T 2260 code of 2, 4 or 6 digits (45, 4502, 450204)")
    if kind == "owner":
        condition = Owner.id == int(value) if value.isdigit() and int(value) < 2**31 else Owner.name == value
        row = await Owner.select(Owner.id).where(condition).first().run()
        if row is None:
            return field_error(where, "unknown", f"no owner {value!r}")
        value = str(row["id"])
    return Rule(kind, value)


async def _platform_user(username: str) -> int:
    row = await User.select(User.id, User.role).where(User.username == username).first().run()
    if row is None or row["role"] != "platform":
        raise NotFound(f"no platform account {username!r}")
    return row["id"]


async def set_scope(username: str, rules: list[tuple[Any, Any]]) -> list[dict[str, str]]:
    """Replace a platform account's scope; every rule is checked before anything is stored."""
    user_id = await _platform_user(username)
    if len(rules) > MAX_RULES:
        raise ValidationFailed(f"at most {MAX_RULES} rules", [field_error("scope", "too_many", str(len(rules)))])
    checked = [await _check(kind, value, f"scope[{n}]") for n, (kind, value) in enumerate(rules)]
    errors = [c for c in checked if isinstance(c, dict)]
    if errors:
        raise ValidationFailed("the scope has invalid rules; nothing was changed", errors)
    unique = sorted({(r.kind, r.value) for r in checked})
    async with db.write_transaction():
        await PlatformScope.delete().where(PlatformScope.user_id == user_id).run()
        if unique:
            await PlatformScope.insert(*[PlatformScope(user_id=user_id, kind=k, value=v) for k, v in unique]).run()
    return [{"kind": k, "value": v} for k, v in unique]


async def get_scope(username: str) -> list[dict[str, str]]:
    """A platform account's scope rules."""
    user_id = await _platform_user(username)
    return [{"kind": r.kind, "value": r.value} for r in await rules_of(user_id)]


async def rules_of(user_id: int) -> list[Rule]:
    rows = await PlatformScope.select(PlatformScope.kind, PlatformScope.value).where(
        PlatformScope.user_id == user_id).order_by(PlatformScope.kind).order_by(PlatformScope.value).run()
    return [Rule(r["kind"], r["value"]) for r in rows]


def covers(rules: list[Rule], camera: dict[str, Any]) -> bool:
    """Whether a camera (owner, owner_class, region_code) lies inside the scope."""
    if not rules:
        return False
    for kind in {r.kind for r in rules}:
        values = [r.value for r in rules if r.kind == kind]
        if kind == "owner" and str(camera.get("owner")) not in values:
            return False
        if kind == "owner_class" and camera.get("owner_class") not in values:
            return False
        if kind == "region" and not any(str(camera.get("region_code") or "").startswith(v) for v in values):
            return False
    return True


async def cameras_in_scope(rules: list[Rule]) -> int:
    """In-service cameras the scope covers: the base of the hold share."""
    if not rules:
        return 0
    condition = Camera.status.is_in(list(IN_SERVICE))
    for kind in {r.kind for r in rules}:
        values = [r.value for r in rules if r.kind == kind]
        if kind == "owner":
            condition &= Camera.owner.is_in([int(v) for v in values])
        elif kind == "owner_class":
            condition &= Camera.owner.owner_class.is_in(values)
        else:
            regions = Camera.region_code.like(f"{values[0]}%")
            for value in values[1:]:
                regions |= Camera.region_code.like(f"{value}%")
            condition &= regions
    return await Camera.count().where(condition).run()
