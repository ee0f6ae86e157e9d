"""Registry: service periods of the cameras already registered, and the index the readers use.

A separate migration because piccolo runs a migration's raw SQL before its table creation.
Every camera in service now (active, under repair) gets one open period from its creation:
before this issue, a camera's service was its monitored time, which began at its registration.
Cameras out of service now get none (when they left was never recorded); an office that knows
can set the dates with a registry import (注册日期/撤除日期, docs/import-format.md).
"""

import datetime as dt

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-06T20:41:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Registry: an open service period for every camera in service; period index"

CHUNK = 500
INDEXES = (
    "CREATE INDEX service_period_camera_start ON service_period (camera_id, starts_at)",
    # At most one open period per camera (the status follower's invariant).
    "CREATE UNIQUE INDEX service_period_open ON service_period (camera_id) WHERE ends_at IS NULL",
)


class _Handle(Table, tablename="service_period"):
    """Only a handle for raw SQL."""


def _seconds(value) -> float:
    """created_at as read raw: a datetime (asyncpg, piccolo's SQLite converters) or ISO text."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.timestamp()


async def _create() -> None:
    for sql in INDEXES:
        await _Handle.raw(sql).run()
    await backfill()


async def backfill() -> None:
    """One open period from its creation for every camera in service now (and without a period)."""
    rows = await _Handle.raw("SELECT id, created_at FROM camera WHERE status IN ('active', 'under_repair') "
                             "AND id NOT IN (SELECT camera_id FROM service_period) ORDER BY id").run()
    for start in range(0, len(rows), CHUNK):
        part = rows[start:start + CHUNK]
        values = ", ".join("({}, {}, NULL, 'migration')" for _ in part)
        args = [x for row in part for x in (row["id"], _seconds(row["created_at"]))]
        await _Handle.raw(f"INSERT INTO service_period (camera_id, starts_at, ends_at, source) VALUES {values}",
                          *args).run()


async def _drop() -> None:
    await _Handle.raw("DELETE FROM service_period").run()
    for sql in INDEXES:
        await _Handle.raw(f"DROP INDEX {sql.split(' INDEX ', 1)[1].split()[0]}").run()


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="registry", description=DESCRIPTION)
    manager.add_raw(_create)
    manager.add_raw_backwards(_drop)
    return manager
