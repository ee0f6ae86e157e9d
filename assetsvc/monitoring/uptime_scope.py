"""Which cameras an uptime figure covers: a scope (camera, site, station, region, ...) as SQL on `camera c`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable

from assetsvc import bulk, db
from assetsvc.actor import Actor
from assetsvc.errors import Forbidden, NotFound, ValidationFailed, field_error
from assetsvc.registry import regions
from assetsvc.registry.entities import region_prefix
from assetsvc.registry.tables import Camera

SCOPES = ("all", "camera", "site", "station", "region", "owner_class", "contractor")
OWNER_CLASSES = ("police", "government", "social")
# Scopes whose ref is a record id, with the table that holds it.
_ID_TABLES = {"camera": "camera", "site": "site", "station": "station", "contractor": "contractor"}


@dataclass(frozen=True)
class CameraSet:
    """A set of cameras as a condition on the camera table aliased `c` (with `?` arguments)."""

    scope: str
    ref: str | None
    where: str
    args: tuple[Any, ...] = ()


def camera_ids(ids: Iterable[int], scope: str = "cameras", ref: str | None = None) -> CameraSet:
    """A set of cameras by id, as one parameter whatever its size (a city contract holds 20,000+)."""
    chosen = sorted({int(i) for i in ids})
    if not chosen:
        return CameraSet(scope, ref, "1 = 0")
    if db.is_sqlite():
        return CameraSet(scope, ref, "c.id IN (SELECT value FROM json_each(?))", (json.dumps(chosen),))
    return CameraSet(scope, ref, "c.id = ANY(?::int[])", (chosen,))


def _bad(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, [field_error(field, "invalid", message)])


def region_ref(text: str, field: str = "ref") -> str:
    """A region given as a GB/T 2260 code (330106, 330100) or code prefix (33, 3301) -> its prefix."""
    text = str(text).strip()
    if not (text.isascii() and text.isdigit() and len(text) in (2, 4, 6)):
        raise _bad(field, f"region {text!r} must be a code prefix of 2, 4 or 6 digits (33, 3301, 330106)")
    if regions.region(text.ljust(6, "0")) is None:
        raise _bad(field, f"region {text!r} is not a GB/T 2260 code")
    return region_prefix(text) if len(text) == 6 else text


def prefix_bounds(prefix: str) -> tuple[str, str | None]:
    """[low, high) of the codes starting with a digit prefix.

    Why a range and not LIKE 'p%': SQLite's LIKE is case-blind and cannot use the (binary)
    region_code index, and a range of digit strings sorts the same under any collation, where
    a punctuation sentinel (p || ':') would not (glibc locales ignore punctuation).
    """
    if set(prefix) == {"9"}:
        return prefix, None
    return prefix, str(int(prefix) + 1).zfill(len(prefix))


def region_condition(prefix: str, column: str = "c.region_code") -> tuple[str, tuple[str, ...]]:
    low, high = prefix_bounds(prefix)
    if high is None:
        return f"{column} >= ?", (low,)
    return f"{column} >= ? AND {column} < ?", (low, high)


def _record_id(ref: str | None) -> int:
    try:
        value = int(str(ref).strip())
    except (TypeError, ValueError):
        raise _bad("ref", f"ref {ref!r} must be a record id (an integer)") from None
    if value < 1:
        raise _bad("ref", f"ref {ref!r} must be a positive record id")
    return value


async def _exists(table: str, record_id: int, extra: str = "", args: tuple = ()) -> bool:
    rows = await bulk.fetch(Camera, f"SELECT 1 AS one FROM {table} WHERE id = ?{extra}", [record_id, *args])
    return bool(rows)


def check_role(actor: Actor) -> None:
    if actor.role not in ("admin", "auditor", "contractor"):
        raise Forbidden("this account may not read uptime figures")


async def resolve(actor: Actor, scope: str | None, ref: str | None) -> CameraSet:
    """The cameras of `scope`/`ref` that this actor may see (a contractor: only those it maintains)."""
    check_role(actor)
    scope = (scope or "all").strip()
    if scope not in SCOPES:
        raise _bad("scope", f"scope {scope!r} is not one of {', '.join(SCOPES)}")
    if scope != "all" and (ref is None or str(ref).strip() == ""):
        raise _bad("ref", f"scope {scope} needs a ref")
    found = await _base(scope, ref, actor)
    if actor.is_contractor:
        return CameraSet(found.scope, found.ref, f"({found.where}) AND c.contractor = ?",
                         (*found.args, actor.contractor_id))
    return found


async def _base(scope: str, ref: str | None, actor: Actor) -> CameraSet:
    if scope == "all":
        return CameraSet("all", None, "1 = 1")
    if scope == "region":
        prefix = region_ref(str(ref))
        where, args = region_condition(prefix)
        return CameraSet("region", prefix, where, args)
    if scope == "owner_class":
        if ref not in OWNER_CLASSES:
            raise _bad("ref", f"owner class {ref!r} is not one of {', '.join(OWNER_CLASSES)}")
        return CameraSet("owner_class", ref, "c.owner IN (SELECT id FROM owner WHERE owner_class = ?)", (ref,))
    record_id = _record_id(ref)
    if scope == "contractor" and actor.is_contractor and record_id != actor.contractor_id:
        # Checked before existence, so the answer tells nothing about other contractors' ids.
        raise Forbidden("a contractor may query only its own cameras")
    table = _ID_TABLES[scope]
    mine = (" AND contractor = ?", (actor.contractor_id,)) if actor.is_contractor and scope == "camera" else ("", ())
    if not await _exists(table, record_id, *mine):
        raise NotFound(f"no {scope} with id {record_id}")
    column = "c.id" if scope == "camera" else f"c.{scope}"
    return CameraSet(scope, str(record_id), f"{column} = ?", (record_id,))
