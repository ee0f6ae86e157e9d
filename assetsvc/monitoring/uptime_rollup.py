"""The daily uptime rollup (每日在线率汇总): closed days' sums stored per camera and per camera set, added up on read.

For a closed day (uptime_forget.closed: ended GRACE_S ago) each camera's row in uptime_day holds
what uptime._totals adds up for that day: the seconds per known state and down for an upstream
device inside its service ranges (uptime_queries.sums_by_day), the same inside maintenance
(causes_by_day), and the lengths of its service and maintenance ranges (uptime_coverage). The
row is filled by those same queries over the same coverage, so a rolled-up day is the day's own
/uptime figure. A camera set's day (uptime_scope_day) is its cameras' rows added up in SQL once;
the series then reads one row per day and hands the sums to uptime.totals_of.

Rows are filled lazily (a read finds what is missing for its set, computes and stores it) and by
the leader's nightly job (every camera, so the dashboard's first load reads stored rows). They are
dropped by the writes listed in uptime_forget.py, and here when the registry changed what a
camera's days depend on (registry.py: its site, upstream device and region, its service periods,
the upstream topology). A set's day is valid while its members are the same and no camera row of
that day was dropped. Rows older than ASSETSVC_UPTIME_ROLLUP_DAYS and of deleted cameras are
pruned by the job.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Sequence

from assetsvc import bulk, db
from assetsvc.monitoring import uptime_queries as queries
from assetsvc.monitoring import uptime_sql as q
from assetsvc.monitoring.tables import UptimeDay, UptimeScopeDay
from assetsvc.monitoring.uptime import totals_of
from assetsvc.monitoring.uptime_coverage import coverage
from assetsvc.monitoring.uptime_forget import closed, lock
from assetsvc.monitoring.uptime_input import DEFAULT_STEP_S
from assetsvc.monitoring.uptime_math import KNOWN, Totals, length
from assetsvc.monitoring.uptime_read import fetch_all
from assetsvc.monitoring.uptime_rollup_registry import Changes, changes, follow
from assetsvc.monitoring.uptime_scope import CameraSet, camera_ids

Day = tuple[float, float]
SUMS = ("service", "held", "up", "degraded", "down", "upstream", "h_up", "h_degraded", "h_down", "h_upstream")
INSERT_CHUNK = 20_000


def _in(column: str, ids: Sequence[int]) -> tuple[str, list[Any]]:
    """`column` is one of `ids`, as one parameter whatever their number."""
    if db.is_sqlite():
        return f"{column} IN (SELECT value FROM json_each(?))", [json.dumps(list(ids))]
    return f"{column} = ANY(?::int[])", [list(ids)]


async def _fetch(sql: str, args: Sequence[Any] = ()) -> list[dict[str, Any]]:
    return await bulk.fetch(UptimeDay, sql, args)


def scope_key(cameras: CameraSet) -> str:
    return hashlib.sha256(json.dumps([cameras.where, list(cameras.args)], default=str).encode()).hexdigest()


async def _members(cameras: CameraSet) -> str:
    """The set's members as a digest (count and integer id sums: exact on both engines)."""
    row = (await _fetch(f"SELECT COUNT(*) AS n, SUM(c.id) AS s, SUM((CAST(c.id AS BIGINT) % 65521) * (c.id % 65519)) AS t "
                        f"FROM camera c WHERE {cameras.where}", cameras.args))[0]
    return f"{row['n']}:{row['s'] or 0}:{row['t'] or 0}"


async def _scope_days(key: str, members: str, days: list[Day]) -> dict[Day, dict[str, Any]]:
    """The set's stored days that are still valid (same members)."""
    rows = await _fetch("SELECT * FROM uptime_scope_day WHERE scope_key = ? AND day_start >= ? AND day_start <= ?",
                        [key, min(a for a, _ in days), max(a for a, _ in days)])
    wanted = set(days)
    return {(float(r["day_start"]), float(r["day_end"])): r for r in rows
            if r["members"] == members and (float(r["day_start"]), float(r["day_end"])) in wanted}


def _sum_columns() -> str:
    return ", ".join(f"SUM(r.{c}) AS {c}" for c in SUMS)


async def _added(cameras: CameraSet, days: list[Day]) -> dict[Day, dict[str, Any]]:
    """Per day with any row: rows of the set's cameras (n), cameras in service, and the sums."""
    rows = await _fetch(
        f"SELECT r.day_start AS a, r.day_end AS b, COUNT(*) AS n, "
        f"SUM(CASE WHEN r.service > 0 THEN 1 ELSE 0 END) AS cameras, {_sum_columns()} "
        f"FROM uptime_day r JOIN camera c ON c.id = r.camera_id WHERE ({cameras.where}) "
        f"AND r.day_start >= ? AND r.day_start <= ? GROUP BY r.day_start, r.day_end",
        [*cameras.args, min(a for a, _ in days), max(a for a, _ in days)])
    wanted = set(days)
    return {(float(r["a"]), float(r["b"])): r for r in rows if (float(r["a"]), float(r["b"])) in wanted}


async def _missing(ids: list[int], days: list[Day], found: dict[Day, dict[str, Any]]) -> dict[int, set[int]]:
    """Per day index: the cameras of `ids` without a row that day."""
    out: dict[int, set[int]] = {}
    where, args = _in("camera_id", ids)
    for i, day in enumerate(days):
        if day in found and int(found[day]["n"]) == len(ids):
            continue
        have = {r["camera_id"] for r in await _fetch(
            f"SELECT camera_id FROM uptime_day WHERE day_start = ? AND day_end = ? AND {where}", [*day, *args])}
        lacking = set(ids) - have
        if lacking:
            out[i] = lacking
    return out


async def _compute(missing: dict[int, set[int]], days: list[Day], now: float) -> list[dict[str, Any]]:
    """The rows of the missing camera-days, by the uptime service's own coverage and queries."""
    cams = sorted(set().union(*missing.values()))
    chosen = sorted(missing)
    whole = q.Window(min(days[i][0] for i in chosen), max(days[i][1] for i in chosen), DEFAULT_STEP_S)
    cov = await coverage(_fetch, camera_ids(cams), whole)
    parts = {i: cov.clipped(*days[i]) for i in chosen}
    service = [(cam, i, a, b) for i in chosen for cam, spans in parts[i].service.items() if cam in missing[i]
               for a, b in spans]
    held = [(cam, i, a, b) for i in chosen for cam, spans in parts[i].held.items() if cam in missing[i]
            for a, b in spans]
    sums = await _fetch(*queries.sums_by_day(service)) if service else []
    causes = await _fetch(*queries.causes_by_day(held, by_camera=True)) if held else []
    known = {(int(r["id"]), int(r["d"])): r for r in sums}
    inside: dict[tuple[int, int], dict[str, float]] = {}
    # Each camera-day's maintenance rows in one fixed order, as uptime._totals adds a day's.
    for r in sorted(causes, key=lambda r: (r["state"], r["cause"] or "", r["root"] is not None, r["root"] or 0)):
        if r["state"] not in KNOWN:
            continue
        sums_of = inside.setdefault((int(r["cam"]), int(r["d"])), {"h_up": 0.0, "h_degraded": 0.0, "h_down": 0.0,
                                                                  "h_upstream": 0.0})
        sums_of[f"h_{r['state']}"] += float(r["v"])
        if r["state"] == "down" and r["cause"] == "upstream":
            sums_of["h_upstream"] += float(r["v"])
    rows = []
    for i in chosen:
        a, b = days[i]
        for cam in sorted(missing[i]):
            found = known.get((cam, i), {})
            rows.append({"camera_id": cam, "day_start": a, "day_end": b,
                         "service": length(parts[i].service.get(cam, [])),
                         "held": length(parts[i].held.get(cam, [])),
                         **{s: float(found.get(s) or 0.0) for s in KNOWN},
                         "upstream": float(found.get("down_upstream") or 0.0),
                         **inside.get((cam, i), {}), "computed_at": now})
    return rows


def _totals(row: dict[str, Any] | None) -> tuple[int, Totals]:
    """A day's summed rows as uptime.totals_of takes them."""
    v = {c: float((row or {}).get(c) or 0.0) for c in SUMS}
    return (int((row or {}).get("cameras") or 0),
            totals_of({s: v[s] for s in KNOWN}, v["upstream"], v["service"], {s: v[f"h_{s}"] for s in KNOWN},
                      v["h_upstream"], v["held"]))


async def fill(cameras: CameraSet, days: list[Day], now: float) -> dict[Day, dict[str, Any]]:
    """Follow the registry's changes, roll up the set's missing camera-days, and store the set's days:
    one write transaction under the rollup lock (uptime_forget.lock)."""
    async with db.write_transaction():
        await lock()
        await follow(await changes(cameras))
        key, members = scope_key(cameras), await _members(cameras)
        valid = await _scope_days(key, members, days)
        todo = [d for d in days if d not in valid]
        if not todo:
            return valid
        ids = [r["id"] for r in await _fetch(f"SELECT c.id AS id FROM camera c WHERE {cameras.where}", cameras.args)]
        found = await _added(cameras, todo)
        missing = await _missing(ids, todo, found) if ids else {}
        if missing:
            rows = await _compute(missing, todo, now)
            for start in range(0, len(rows), INSERT_CHUNK):
                await bulk.insert_rows(UptimeDay, rows[start:start + INSERT_CHUNK])
            found = await _added(cameras, todo)
        for a, b in todo:
            await _fetch("DELETE FROM uptime_scope_day WHERE scope_key = ? AND day_start = ? AND day_end = ?",
                         [key, a, b])
        await bulk.insert_rows(UptimeScopeDay, [
            {"scope_key": key, "day_start": a, "day_end": b, "members": members,
             "n": int((found.get((a, b)) or {}).get("n") or 0), "cameras": int((found.get((a, b)) or {}).get("cameras") or 0),
             **{c: float((found.get((a, b)) or {}).get(c) or 0.0) for c in SUMS}} for a, b in todo])
        return {**valid, **{d: found.get(d) or {} for d in todo}}


async def day_totals(cameras: CameraSet, days: list[Day], now: float) -> list[tuple[int, Totals]]:
    """Per closed day [a, b): the cameras counted and the Totals uptime.compute gives for that day alone,
    from the stored rows (filled first where missing or stale)."""
    if not days:
        return []
    if not all(closed(b, now) for _, b in days):
        raise ValueError("only closed days are rolled up")
    async with fetch_all():
        changed: Changes = await changes(cameras)
        members = await _members(cameras)
        valid = await _scope_days(scope_key(cameras), members, days) if not changed else {}
    if changed or len(valid) < len(set(days)):
        valid = await fill(cameras, days, now)
    return [_totals(valid.get(d)) for d in days]


async def prune(now: float, keep_days: int) -> int:
    """Drop rows of days ended more than keep_days ago, and of cameras no longer in the registry."""
    before = now - keep_days * 86400.0
    async with db.write_transaction():
        await lock()
        old = await _fetch("SELECT COUNT(*) AS n FROM uptime_day WHERE day_end < ?", [before])
        await _fetch("DELETE FROM uptime_day WHERE day_end < ?", [before])
        await _fetch("DELETE FROM uptime_scope_day WHERE day_end < ?", [before])
        await _fetch("DELETE FROM uptime_day WHERE NOT EXISTS (SELECT 1 FROM camera c WHERE c.id = uptime_day.camera_id)")
        await _fetch("DELETE FROM uptime_rollup_camera WHERE NOT EXISTS "
                     "(SELECT 1 FROM camera c WHERE c.id = uptime_rollup_camera.camera_id)")
    return int(old[0]["n"])
