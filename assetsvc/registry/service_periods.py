"""A camera's service periods (在用时段): the records every uptime figure counts a camera inside.

A period is [start, end) in Unix seconds, `end` None while the camera is in service. They are
written here only: when the declared status enters or leaves service (registry/lifecycle.py),
and when an import gives a registration date (注册/启用日期) or a decommissioning date
(撤除/停用日期). They are never re-derived from the change log. Other slices read them with
`service_periods()` (monitoring's uptime sums) and `service_dates()` (what a record shows).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from assetsvc import bulk, db
from assetsvc.registry.lifecycle import in_service
from assetsvc.registry.tables import ServicePeriod
from assetsvc.runtime import settings

Span = tuple[float, float | None]  # a stored period: start, end (None: still in service)
CHUNK = 500


@dataclass(frozen=True)
class ServiceDates:
    """What a camera's record shows of its periods: first registration, and the date it left service."""

    registered_on: dt.date | None
    decommissioned_on: dt.date | None  # None while in service (or never registered)
    periods: tuple[Span, ...]


class PeriodConflict(ValueError):
    """Dates that cannot make periods (e.g. a decommissioning date before the registration)."""


def day_start(day: dt.date) -> float:
    """Midnight opening `day` in the office's time zone (ASSETSVC_TIMEZONE), in Unix seconds."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=settings().zone).timestamp()


def local_day(at: float) -> dt.date:
    return dt.datetime.fromtimestamp(at, settings().zone).date()


def plan(stored: Sequence[Span], status: str, now: float, *, registered: float | None = None,
         decommissioned: float | None = None) -> list[Span]:
    """The periods a camera should have after a change (pure; stored periods sorted by start).

    - a registration instant sets the start of the first period (periods ending by then go);
    - a decommissioning instant closes the last period there (periods starting from then go);
    - then the status decides: in service with no open period opens one now; out of service
      with an open one closes it now. A camera taken out and brought back so has two periods.
    """
    periods = [list(p) for p in sorted(stored)]
    if registered is not None:
        if decommissioned is not None and decommissioned <= registered:
            raise PeriodConflict("the decommissioning date must be after the registration date")
        periods = [p for p in periods if p[1] is None or p[1] > registered]
        if periods:
            periods[0][0] = registered
        else:
            periods = [[registered, None]]
    if decommissioned is not None:
        if in_service(status):
            raise PeriodConflict(f"a camera with status {status!r} is in service and has no decommissioning date")
        periods = [p for p in periods if p[0] < decommissioned]
        if not periods:
            raise PeriodConflict("a decommissioning date needs a registration date (the camera has no service "
                                 "period before it)")
        periods[-1][1] = decommissioned
    open_now = bool(periods) and periods[-1][1] is None
    if in_service(status) and not open_now:
        periods.append([max(now, periods[-1][1]) if periods else now, None])
    elif not in_service(status) and open_now:
        periods[-1][1] = max(now, periods[-1][0])
    return [(a, b) for a, b in periods if b is None or b > a]


async def stored_periods(camera_ids: Iterable[int]) -> dict[int, list[Span]]:
    """Every stored period of these cameras, sorted by start."""
    rows = await bulk.fetch_in(ServicePeriod, "SELECT camera_id, starts_at, ends_at FROM service_period "
                               "WHERE camera_id IN ({in})", [int(i) for i in camera_ids])
    found: dict[int, list[Span]] = {}
    for row in rows:
        found.setdefault(row["camera_id"], []).append(
            (float(row["starts_at"]), None if row["ends_at"] is None else float(row["ends_at"])))
    return {cam: sorted(spans) for cam, spans in found.items()}


async def replace(changed: Mapping[int, Sequence[Span]], source: str) -> None:
    """Store these cameras' periods instead of their old ones (call inside the writing transaction)."""
    ids = sorted(changed)
    for start in range(0, len(ids), CHUNK):
        part = ids[start:start + CHUNK]
        await bulk.fetch(ServicePeriod, f"DELETE FROM service_period WHERE camera_id IN "
                                        f"({','.join('?' * len(part))})", part)
    await bulk.insert_rows(ServicePeriod, [{"camera_id": cam, "starts_at": a, "ends_at": b, "source": source}
                                           for cam in ids for a, b in changed[cam]])


async def follow_status(camera_id: int, status: str, now: float, source: str = "status") -> None:
    """Open or close the camera's period after its declared status was written (in the caller's
    transaction when there is one: piccolo nests by reusing it)."""
    async with db.write_transaction():
        stored = (await stored_periods([camera_id])).get(camera_id, [])
        wanted = plan(stored, status, now)
        if wanted != stored:
            await replace({camera_id: wanted}, source)


async def forget(camera_id: int) -> None:
    """A deleted camera's periods go with it."""
    await bulk.fetch(ServicePeriod, "DELETE FROM service_period WHERE camera_id = ?", [camera_id])


def service_dates_of(spans: Sequence[Span]) -> ServiceDates:
    if not spans:
        return ServiceDates(None, None, ())
    last_end = spans[-1][1]
    return ServiceDates(local_day(spans[0][0]), None if last_end is None else local_day(last_end), tuple(spans))


async def service_dates(camera_ids: Iterable[int]) -> dict[int, ServiceDates]:
    """Each camera's registration date, decommissioning date (when out of service) and periods."""
    ids = [int(i) for i in camera_ids]
    found = await stored_periods(ids)
    return {cam: service_dates_of(found.get(cam, [])) for cam in ids}


def _ids_param(ids: list[int]) -> tuple[str, list]:
    """One parameter for any number of ids (a city's 100,000 cameras included)."""
    if db.is_sqlite():
        return "camera_id IN (SELECT value FROM json_each(?))", [json.dumps(ids)]
    return "camera_id = ANY(?::int[])", [ids]


async def periods_of(camera_ids: Iterable[int]) -> dict[int, list[Span]]:
    """Every stored period of these cameras, sorted by start, read with one parameter whatever their number
    (the uptime rollup compares them with what each camera's rolled-up days were computed with)."""
    ids = sorted({int(i) for i in camera_ids})
    if not ids:
        return {}
    where, args = _ids_param(ids)
    rows = await bulk.fetch(ServicePeriod, f"SELECT camera_id, starts_at, ends_at FROM service_period WHERE {where}",
                            args)
    found: dict[int, list[Span]] = {}
    for row in rows:
        found.setdefault(row["camera_id"], []).append(
            (float(row["starts_at"]), None if row["ends_at"] is None else float(row["ends_at"])))
    return {cam: sorted(spans) for cam, spans in found.items()}


# An instant as whole milliseconds reduced modulo a prime, weighted per camera: integer sums, so a digest
# is the same whatever order the engine adds the rows in, and no sum can overflow 64 bits.
_MS = "(CAST({col} * 1000 AS BIGINT) % 1000000007)"


async def period_digests(buckets: int) -> dict[int, str]:
    """Per bucket of cameras (camera_id % buckets): a digest of all their periods (count and weighted sums).

    A reader that keeps derived figures per camera (the uptime rollup) compares these with the ones it
    stored and reads the periods again only for the cameras of a bucket that changed. Any write of a
    period (replace, forget) changes its bucket's digest, except by a collision of the sums.
    """
    weight = "(camera_id % 997 + 1)"
    ends = _MS.format(col="COALESCE(ends_at, -1)")
    rows = await bulk.fetch(ServicePeriod, f"SELECT camera_id % {int(buckets)} AS k, COUNT(*) AS n, "
                                           f"SUM({_MS.format(col='starts_at')} * {weight}) AS s, "
                                           f"SUM({ends} * {weight}) AS e, SUM(camera_id) AS c "
                                           f"FROM service_period GROUP BY camera_id % {int(buckets)}")
    return {int(r["k"]): f"{r['n']}:{r['s']}:{r['e']}:{r['c']}" for r in rows}


async def service_periods(camera_ids: Iterable[int], start: float, end: float) -> dict[int, list[tuple[float, float]]]:
    """Each camera's service inside [start, end): sorted, disjoint (start, end) ranges; cameras with none left out.

    The one door to service periods for other slices (the uptime sums call it inside their read
    transaction, so the periods and the intervals come from one snapshot). Overlapping or
    touching periods are merged, so a camera is never counted twice for the same second.
    """
    ids = sorted({int(i) for i in camera_ids})
    if not ids or end <= start:
        return {}
    where, args = _ids_param(ids)
    rows = await bulk.fetch(ServicePeriod, f"SELECT camera_id, starts_at, ends_at FROM service_period WHERE {where} "
                                           "AND starts_at < ? AND (ends_at IS NULL OR ends_at > ?)",
                            [*args, float(end), float(start)])
    spans: dict[int, list[tuple[float, float]]] = {}
    for row in rows:
        a = max(float(row["starts_at"]), start)
        b = end if row["ends_at"] is None else min(float(row["ends_at"]), end)
        if a < b:
            spans.setdefault(row["camera_id"], []).append((a, b))
    out: dict[int, list[tuple[float, float]]] = {}
    for cam, found in spans.items():
        merged: list[tuple[float, float]] = []
        for a, b in sorted(found):
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], b))
            else:
                merged.append((a, b))
        out[cam] = merged
    return out
