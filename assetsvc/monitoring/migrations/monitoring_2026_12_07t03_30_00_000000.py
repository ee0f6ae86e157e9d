"""Monitoring: the daily per-camera uptime rollup (uptime_day) and what each camera's days were computed with.

Written as DDL: piccolo runs a migration's raw steps before its add_table steps, and the indexes
(a unique key leading with the day, a camera index for the writers' drops) need the table.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.table import Table

ID = "2026-12-07T03:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Monitoring: daily uptime rollup"

SUMS = ("service", "held", "up", "degraded", "down", "upstream", "h_up", "h_degraded", "h_down", "h_upstream",
        "computed_at")


class _Day(Table, tablename="uptime_day"):
    """Only a handle for raw SQL."""


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="monitoring", description=DESCRIPTION)

    async def create() -> None:
        sqlite = isinstance(_Day._meta.db, SQLiteEngine)
        key = "id INTEGER PRIMARY KEY" if sqlite else "id SERIAL PRIMARY KEY"
        real = "REAL" if sqlite else "DOUBLE PRECISION"
        sums = ", ".join(f"{c} {real} NOT NULL DEFAULT 0.0" for c in SUMS)
        await _Day.raw(f"CREATE TABLE uptime_day ({key}, camera_id INTEGER NOT NULL DEFAULT 0, "
                       f"day_start {real} NOT NULL DEFAULT 0.0, day_end {real} NOT NULL DEFAULT 0.0, {sums})").run()
        await _Day.raw("CREATE UNIQUE INDEX uptime_day_key ON uptime_day (day_start, day_end, camera_id)").run()
        await _Day.raw("CREATE INDEX uptime_day_camera ON uptime_day (camera_id, day_end)").run()
        await _Day.raw(f"CREATE TABLE uptime_rollup_camera ({key}, camera_id INTEGER NOT NULL DEFAULT 0 UNIQUE, "
                       "fingerprint TEXT NOT NULL DEFAULT '')").run()

    async def drop() -> None:
        await _Day.raw("DROP TABLE uptime_rollup_camera").run()
        await _Day.raw("DROP TABLE uptime_day").run()

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
