"""Maintenance windows (计划维护): planned work whose time is excluded from uptime, and which cameras they cover."""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any, Mapping

from assetsvc import bulk, db
from assetsvc.actor import Actor
from assetsvc.audit import service as audit
from assetsvc.errors import Conflict, Forbidden, NotFound, ValidationFailed, field_error
from assetsvc.monitoring.tables import MaintenanceWindow
from assetsvc.monitoring.topology import Topology
from assetsvc.monitoring.uptime_forget import forget
from assetsvc.monitoring.uptime_input import iso, parse_instant, parse_offset
from assetsvc.monitoring.uptime_math import Range, union
from assetsvc.monitoring.uptime_scope import CameraSet, region_condition, region_ref

EVERY_CAMERA = CameraSet("all", None, "1 = 1")

SCOPES = ("camera", "site", "region", "upstream")
_TABLES = {"camera": "camera", "site": "site", "upstream": "upstream_device"}
MAX_REASON = 500
MAX_LIST = 1000
MAX_BATCH = 200  # windows planned in one request (the UI's camera picker)
AUDIT_NAME = "maintenance_window"


def _require_admin(actor: Actor) -> None:
    if actor.role != "admin":
        raise Forbidden("only the video office (admin) may create or end maintenance windows")


def _can_read(actor: Actor) -> None:
    if actor.role not in ("admin", "auditor", "contractor"):
        raise Forbidden("this account may not read maintenance windows")


async def _check_ref(scope: str, ref: Any, errors: list[dict]) -> str | None:
    if scope == "region":
        try:
            return region_ref(str(ref))
        except ValidationFailed as exc:
            errors.extend(exc.errors)
            return None
    try:
        record_id = int(str(ref).strip())
    except (TypeError, ValueError):
        errors.append(field_error("ref", "invalid", f"ref {ref!r} must be a {scope} id (an integer)"))
        return None
    table = _TABLES[scope]
    if not await bulk.fetch(MaintenanceWindow, f"SELECT 1 AS one FROM {table} WHERE id = ?", [record_id]):
        errors.append(field_error("ref", "unknown_reference", f"no {scope} with id {record_id}"))
        return None
    return str(record_id)


async def _clean(values: Mapping[str, Any], tz: str | None) -> dict[str, Any]:
    """The window's stored values, or ValidationFailed listing every problem by field."""
    errors: list[dict] = []
    scope = str(values.get("scope") or "").strip()
    ref = None
    if scope not in SCOPES:
        errors.append(field_error("scope", "invalid", f"scope {scope!r} is not one of {', '.join(SCOPES)}"))
    elif values.get("ref") in (None, ""):
        errors.append(field_error("ref", "required", f"a {scope} window needs a ref"))
    else:
        ref = await _check_ref(scope, values["ref"], errors)
    times = {}
    for name in ("starts_at", "ends_at"):
        try:
            times[name] = parse_instant(values.get(name), name, parse_offset(tz))
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    if len(times) == 2 and times["starts_at"] >= times["ends_at"]:
        errors.append(field_error("ends_at", "invalid", "must be after starts_at"))
    reason = str(values.get("reason") or "").strip()
    if not reason:
        errors.append(field_error("reason", "required", "say why (the work planned)"))
    elif len(reason) > MAX_REASON:
        errors.append(field_error("reason", "invalid", f"at most {MAX_REASON} characters"))
    if errors:
        raise ValidationFailed("invalid maintenance window", errors)
    return {"scope": scope, "scope_ref": ref, **times, "reason": reason}


def _label(row: Mapping[str, Any]) -> str:
    return f"{row['scope']} {row['scope_ref']} {iso(row['starts_at'])} .. {iso(row['ends_at'])}"


def render(row: Mapping[str, Any], tz: str | None = None, now: float | None = None) -> dict[str, Any]:
    """A window as the API and CLI show it (instants in ISO 8601 at the given offset)."""
    offset = parse_offset(tz)
    at = time.time() if now is None else now
    return {"id": row["id"], "scope": row["scope"], "ref": row["scope_ref"],
            "starts_at": iso(row["starts_at"], offset), "ends_at": iso(row["ends_at"], offset),
            "active": row["starts_at"] <= at < row["ends_at"], "reason": row["reason"],
            "created_by": row["created_by"], "created_at": iso(row["created_at"], offset)}


async def create(actor: Actor, values: Any, *, tz: str | None = None,
                 now: float | None = None, source: str = "api") -> dict[str, Any]:
    """Validate and store a window ({scope, ref, starts_at, ends_at, reason}); the change log records it."""
    _require_admin(actor)
    if not isinstance(values, Mapping):
        raise ValidationFailed("the body must be a JSON object",
                               [field_error("body", "invalid", "send {scope, ref, starts_at, ends_at, reason}")])
    at = time.time() if now is None else now
    async with db.write_transaction():
        stored = await _store(actor, await _clean(values, tz), at, source)
    return render(stored, tz, at)


async def _store(actor: Actor, cleaned: dict[str, Any], at: float, source: str) -> dict[str, Any]:
    row = MaintenanceWindow(**cleaned, created_by=actor.username[:64], created_at=at)
    await row.save().run()
    await forget_windows([cleaned], at)  # a window over the past changes closed days' figures
    stored = {"id": row.id, **cleaned, "created_by": row.created_by, "created_at": at}
    await audit.record(actor.username, "create", AUDIT_NAME, row.id, _label(stored),
                       audit.diff({}, {k: v for k, v in stored.items() if k != "id"}), source)
    return stored


async def create_many(actor: Actor, values: Any, *, tz: str | None = None,
                      now: float | None = None, source: str = "api") -> list[dict[str, Any]]:
    """The same window on several records ({scope, refs: [...], starts_at, ends_at, reason}), as the
    UI's camera picker sends it: every window stored, or none (a bad ref names itself under `refs`)."""
    _require_admin(actor)
    refs = values.get("refs") if isinstance(values, Mapping) else None
    if not isinstance(refs, list) or not 1 <= len(refs) <= MAX_BATCH or \
            any(isinstance(r, bool) or not isinstance(r, (str, int)) for r in refs):
        raise ValidationFailed("send {scope, refs, starts_at, ends_at, reason}", [field_error(
            "refs", "invalid", f"refs is a list of 1 to {MAX_BATCH} ids (or region codes)")])
    if len({str(r).strip() for r in refs}) < len(refs):
        raise ValidationFailed("a record is named twice", [field_error("refs", "duplicate", "name each record once")])
    at = time.time() if now is None else now
    async with db.write_transaction():
        cleaned, errors = [], []
        for ref in refs:
            try:
                cleaned.append(await _clean({**values, "ref": ref}, tz))
            except ValidationFailed as exc:
                # The period and reason are the same for every ref: their problems are listed once.
                for error in exc.errors:
                    error = {**error, "field": "refs"} if error["field"] == "ref" else error
                    if error not in errors:
                        errors.append(error)
        if errors:
            raise ValidationFailed("invalid maintenance windows", errors)
        stored = [await _store(actor, one, at, source) for one in cleaned]
    return [render(one, tz, at) for one in stored]


async def _get(window_id: int) -> dict[str, Any]:
    rows = await bulk.fetch(MaintenanceWindow, "SELECT * FROM maintenance_window WHERE id = ?", [window_id])
    if not rows:
        raise NotFound(f"no maintenance window with id {window_id}")
    return rows[0]


async def end(actor: Actor, window_id: int, *, tz: str | None = None, now: float | None = None,
              source: str = "api") -> dict[str, Any]:
    """End a window now: one not yet started is deleted, a running one ends now, a past one stays."""
    _require_admin(actor)
    at = time.time() if now is None else now
    async with db.write_transaction():
        row = await _get(window_id)
        if row["ends_at"] <= at:
            # The figures of its period depend on it; changing the past would rewrite them.
            raise Conflict(f"maintenance window {window_id} ended at {iso(row['ends_at'])}; past windows stay")
        if row["starts_at"] >= at:
            await MaintenanceWindow.delete().where(MaintenanceWindow.id == window_id).run()
            await audit.record(actor.username, "delete", AUDIT_NAME, window_id, _label(row),
                               audit.diff({k: v for k, v in row.items() if k != "id"}, {}), source)
            return {"action": "deleted", "window": render(row, tz, at)}
        await MaintenanceWindow.update({MaintenanceWindow.ends_at: at}).where(
            MaintenanceWindow.id == window_id).run()
        await audit.record(actor.username, "update", AUDIT_NAME, window_id, _label(row),
                           {"ends_at": [row["ends_at"], at]}, source)
        return {"action": "ended", "window": render({**row, "ends_at": at}, tz, at)}


def _contractor_filter(actor: Actor) -> tuple[str, list[Any]]:
    """A contractor sees region and site windows, and those on its own cameras and devices."""
    if not actor.is_contractor:
        return "", []
    return (" AND (scope IN ('region', 'site')"
            " OR (scope = 'camera' AND scope_ref IN (SELECT CAST(id AS TEXT) FROM camera WHERE contractor = ?))"
            " OR (scope = 'upstream' AND scope_ref IN "
            "(SELECT CAST(id AS TEXT) FROM upstream_device WHERE contractor = ?)))",
            [actor.contractor_id, actor.contractor_id])


async def list_windows(actor: Actor, *, active_at: str | None = None, scope: str | None = None,
                       ref: str | None = None, tz: str | None = None, limit: int = 200,
                       now: float | None = None) -> list[dict[str, Any]]:
    """Windows, newest start first; optionally only those running at an instant, or of one scope/ref."""
    _can_read(actor)
    if not 1 <= limit <= MAX_LIST:
        raise ValidationFailed("bad limit", [field_error("limit", "invalid", f"1..{MAX_LIST}")])
    where, args = _contractor_filter(actor)
    if active_at:
        at = parse_instant(active_at, "active_at", parse_offset(tz))
        where += " AND starts_at <= ? AND ends_at > ?"
        args += [at, at]
    if scope:
        if scope not in SCOPES:
            raise ValidationFailed("bad scope", [field_error("scope", "invalid", f"one of {', '.join(SCOPES)}")])
        where += " AND scope = ?"
        args.append(scope)
        if ref:
            where += " AND scope_ref = ?"
            args.append(region_ref(ref) if scope == "region" else str(ref).strip())
    rows = await bulk.fetch(MaintenanceWindow, f"SELECT * FROM maintenance_window WHERE 1 = 1{where} "
                            "ORDER BY starts_at DESC, id DESC LIMIT ?", [*args, limit])
    return [render(r, tz, now) for r in rows]


async def ranges_for(cameras: CameraSet, start: float, end: float) -> dict[int, list[Range]]:
    """Each camera of the set that any window covers within [start, end): its maintenance ranges.

    A camera is covered by windows on itself, its site, its upstream device or any device above
    that one, and any region whose code prefix its region code starts with. The ranges are the
    union of its windows clipped to the period (sorted, disjoint), so overlapping windows count once.
    """
    windows = await bulk.fetch(MaintenanceWindow, "SELECT scope, scope_ref, starts_at, ends_at FROM "
                               "maintenance_window WHERE starts_at < ? AND ends_at > ?", [end, start])
    if not windows:
        return {}
    by_scope: dict[str, dict[str, list[Range]]] = defaultdict(lambda: defaultdict(list))
    for w in windows:
        by_scope[w["scope"]][w["scope_ref"]].append((w["starts_at"], w["ends_at"]))
    spans: dict[int, list[Range]] = defaultdict(list)
    for camera_id, covering in await _covered(cameras, by_scope):
        spans[camera_id].extend(covering)
    # A window over a region covers its 100,000 cameras with the same ranges: merge each
    # distinct set of ranges once.
    merged: dict[tuple[Range, ...], list[Range]] = {}
    found = {}
    for cam, ranges in spans.items():
        key = tuple(sorted(ranges))
        if key not in merged:
            merged[key] = union(key, start, end)
        if merged[key]:
            found[cam] = merged[key]
    return found


async def forget_windows(windows: list[Mapping[str, Any]], now: float | None = None) -> int:
    """Drop the rolled-up days (uptime_forget) of every camera these windows ({scope, scope_ref, starts_at,
    ends_at}) cover, over the windows' time: a window written or removed over the past changes them."""
    at = time.time() if now is None else now
    past = [w for w in windows if w["starts_at"] < at]
    if not past:
        return 0
    by_scope: dict[str, dict[str, list[Range]]] = defaultdict(lambda: defaultdict(list))
    for w in past:
        by_scope[w["scope"]][str(w["scope_ref"])].append((float(w["starts_at"]), float(w["ends_at"])))
    return await forget(((cam, a, b) for cam, ranges in await _covered(EVERY_CAMERA, by_scope) for a, b in ranges), at)


async def _select(cameras: CameraSet, column: str, values: list[Any], extra: str = "") -> list[dict[str, Any]]:
    """(id, key) of the set's cameras whose `column` is one of `values`."""
    return await bulk.fetch_in(MaintenanceWindow, f"SELECT c.id, {column} AS key FROM camera c WHERE "
                               f"({cameras.where}) AND {column} IN ({{in}})", values, cameras.args)


Covered = list[tuple[int, list[Range]]]


async def _covered(cameras: CameraSet, by_scope: Mapping[str, Mapping[str, list[Range]]]) -> Covered:
    """(camera id, window ranges) pairs for every scope kind of window."""
    out: Covered = []
    if "camera" in by_scope:
        refs = by_scope["camera"]
        out += [(r["id"], refs[str(r["key"])]) for r in await _select(cameras, "c.id", [int(k) for k in refs])]
    if "site" in by_scope:
        refs = by_scope["site"]
        out += [(r["id"], refs[str(r["key"])]) for r in await _select(cameras, "c.site", [int(k) for k in refs])]
    if "upstream" in by_scope:
        out += await _covered_by_upstream(cameras, by_scope["upstream"])
    for prefix, ranges in by_scope.get("region", {}).items():
        where, args = region_condition(prefix)
        rows = await bulk.fetch(MaintenanceWindow, f"SELECT c.id FROM camera c WHERE ({cameras.where}) AND {where}",
                                [*cameras.args, *args])
        out += [(r["id"], ranges) for r in rows]
    return out


async def _covered_by_upstream(cameras: CameraSet, refs: Mapping[str, list[Range]]) -> Covered:
    """Cameras hanging off a window's device or off any device below it."""
    parents = await bulk.fetch(MaintenanceWindow, "SELECT id, parent FROM upstream_device")
    topology = Topology({r["id"]: r["parent"] for r in parents}, {})
    windows_of: dict[int, list[Range]] = defaultdict(list)  # device -> ranges of windows above it
    for device in topology.parent:
        for ancestor in topology.chain(device):
            windows_of[device].extend(refs.get(str(ancestor), []))
    devices = [d for d, ranges in windows_of.items() if ranges]
    return [(r["id"], windows_of[r["key"]]) for r in await _select(cameras, "c.upstream", devices)]
