"""What the registry changed under the daily uptime rollup (uptime_rollup.py), found without reading every camera.

A camera's rolled-up days depend on registry records: its service periods (when it counts), and its
site, upstream device (with the devices above it) and region (which maintenance windows reach it).
The registry may not call monitoring (pyproject.toml's layers), so the rollup keeps what it computed
with (uptime_rollup_camera) and compares:
- site, upstream and region column by column in SQL against the camera table (only differences return);
- service periods through the registry's per-bucket digests (service_periods.period_digests): only the
  cameras of a bucket whose digest changed have their periods read and compared;
- the upstream topology (every device's parent) as one digest: a change drops every rolled-up day.
A changed camera's days are dropped, and with them every camera set's stored days.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Sequence

from assetsvc import bulk, db
from assetsvc.monitoring.tables import UptimeRollupBucket, UptimeRollupCamera
from assetsvc.monitoring.uptime_scope import CameraSet
from assetsvc.registry.service_periods import period_digests, periods_of

BUCKETS = 1024
TOPOLOGY = -1  # the bucket row holding the upstream topology's digest


@dataclass(frozen=True)
class Changes:
    """What differs from the stored records: the topology's new digest (None: same), the set's cameras
    whose columns differ or have no record, and the period buckets whose digest changed."""

    topology: str | None = None
    cameras: list[int] = field(default_factory=list)
    buckets: dict[int, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.topology is not None or bool(self.cameras) or bool(self.buckets)


async def _fetch(sql: str, args: Sequence[Any] = ()) -> list[dict[str, Any]]:
    return await bulk.fetch(UptimeRollupCamera, sql, args)


def _same(a: str, b: str) -> str:
    return f"{a} IS {b}" if db.is_sqlite() else f"{a} IS NOT DISTINCT FROM {b}"


async def changes(cameras: CameraSet) -> Changes:
    """Compare the registry with what the set's rolled-up days were computed with (reads only)."""
    parents = await _fetch("SELECT id, parent FROM upstream_device ORDER BY id")
    topology = hashlib.sha256(json.dumps([[r["id"], r["parent"]] for r in parents]).encode()).hexdigest()
    stored = {r["bucket"]: r["digest"] for r in await _fetch("SELECT bucket, digest FROM uptime_rollup_bucket")}
    moved = await _fetch(
        f"SELECT c.id AS id FROM camera c LEFT JOIN uptime_rollup_camera f ON f.camera_id = c.id "
        f"WHERE ({cameras.where}) AND (f.camera_id IS NULL OR NOT ({_same('f.site', 'c.site')} AND "
        f"{_same('f.upstream', 'c.upstream')} AND f.region_code = COALESCE(c.region_code, '')))", cameras.args)
    digests = await period_digests(BUCKETS)
    buckets = {k: d for k, d in digests.items() if stored.get(k) != d}
    buckets.update({k: "" for k in stored if k != TOPOLOGY and k not in digests and stored[k] != ""})
    return Changes(topology if stored.get(TOPOLOGY) != topology else None, [r["id"] for r in moved], buckets)


def _in(column: str, ids: Sequence[int]) -> tuple[str, list[Any]]:
    if db.is_sqlite():
        return f"{column} IN (SELECT value FROM json_each(?))", [json.dumps(list(ids))]
    return f"{column} = ANY(?::int[])", [list(ids)]


async def _set_buckets(digests: dict[int, str]) -> None:
    if not digests:
        return
    where, args = _in("bucket", sorted(digests))
    await _fetch(f"DELETE FROM uptime_rollup_bucket WHERE {where}", args)
    await bulk.insert_rows(UptimeRollupBucket, [{"bucket": k, "digest": d} for k, d in sorted(digests.items())])


async def follow(found: Changes) -> list[int]:
    """Drop what the changes make stale and record the new state (inside the rollup's write transaction,
    under its lock); the cameras whose days were dropped."""
    if not found:
        return []
    if found.topology is not None:
        for table in ("uptime_day", "uptime_scope_day", "uptime_rollup_camera", "uptime_rollup_bucket"):
            await _fetch(f"DELETE FROM {table}")
        await _set_buckets({TOPOLOGY: found.topology})
    changed = set(found.cameras)
    if found.buckets:
        where, args = _in(f"camera_id % {BUCKETS}", sorted(found.buckets))
        recorded = {r["camera_id"]: r["periods"] for r in await _fetch(
            f"SELECT camera_id, periods FROM uptime_rollup_camera WHERE {where}", args)}
        now = await periods_of(recorded)
        changed |= {cam for cam, text in recorded.items() if text != repr(now.get(cam, []))}
    if changed:
        ids = sorted(changed)
        where, args = _in("camera_id", ids)
        await _fetch(f"DELETE FROM uptime_day WHERE {where}", args)
        await _fetch(f"DELETE FROM uptime_rollup_camera WHERE {where}", args)
        await _fetch("DELETE FROM uptime_scope_day")
        where, args = _in("c.id", ids)
        rows = await _fetch(f"SELECT c.id AS id, c.site AS site, c.upstream AS upstream, "
                            f"COALESCE(c.region_code, '') AS region FROM camera c WHERE {where}", args)
        periods = await periods_of(r["id"] for r in rows)
        await bulk.insert_rows(UptimeRollupCamera, [
            {"camera_id": r["id"], "site": r["site"], "upstream": r["upstream"], "region_code": r["region"],
             "periods": repr(periods.get(r["id"], []))} for r in rows])
    await _set_buckets(found.buckets)
    return sorted(changed)
