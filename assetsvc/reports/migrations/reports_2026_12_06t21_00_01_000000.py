"""Reports: one row per (month, version) (raw SQL, both engines; piccolo runs raw SQL before table creation,
hence a migration of its own)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-06T21:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "Reports: unique (month, version)"


class _Handle(Table, tablename="report_version"):
    """Only a handle for raw SQL."""


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="reports", description=DESCRIPTION)

    async def create() -> None:
        await _Handle.raw("CREATE UNIQUE INDEX report_version_month_version ON report_version (month, version)").run()

    async def drop() -> None:
        await _Handle.raw("DROP INDEX report_version_month_version").run()

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
