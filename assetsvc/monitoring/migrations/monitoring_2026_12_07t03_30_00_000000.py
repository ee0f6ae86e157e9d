"""Monitoring: the daily uptime rollup: per camera and day (uptime_day), per camera set and day (uptime_scope_day),
and what they were computed with (uptime_rollup_camera, uptime_rollup_bucket).

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
                       "site INTEGER NULL, upstream INTEGER NULL, region_code VARCHAR(6) NOT NULL DEFAULT '', "
                       "periods TEXT NOT NULL DEFAULT '')").run()
        await _Day.raw(f"CREATE TABLE uptime_rollup_bucket ({key}, bucket INTEGER NOT NULL DEFAULT 0 UNIQUE, "
                       "digest TEXT NOT NULL DEFAULT '')").run()
        scope_sums = ", ".join(f"{c} {real} NOT NULL DEFAULT 0.0" for c in SUMS if c != "computed_at")
        await _Day.raw(f"CREATE TABLE uptime_scope_day ({key}, scope_key VARCHAR(64) NOT NULL DEFAULT '', "
                       f"day_start {real} NOT NULL DEFAULT 0.0, day_end {real} NOT NULL DEFAULT 0.0, "
                       "members VARCHAR(100) NOT NULL DEFAULT '', n INTEGER NOT NULL DEFAULT 0, "
                       f"cameras INTEGER NOT NULL DEFAULT 0, {scope_sums})").run()
        await _Day.raw("CREATE UNIQUE INDEX uptime_scope_day_key ON uptime_scope_day (scope_key, day_start, day_end)").run()

    async def drop() -> None:
        await _Day.raw("DROP TABLE uptime_scope_day").run()
        await _Day.raw("DROP TABLE uptime_rollup_bucket").run()
        await _Day.raw("DROP TABLE uptime_rollup_camera").run()
        await _Day.raw("DROP TABLE uptime_day").run()

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
