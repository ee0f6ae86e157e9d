"""Monitoring: a partial index on the root upstream device of intervals (the upstream device's uptime).

Few intervals name a root device (cameras down because a switch, encoder or NVR above them
was), so the index is small; without it the "cameras this device took down" query scanned
every interval of the period.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-06T20:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Monitoring: state_interval index by root upstream device"

INDEX = ("CREATE INDEX state_interval_root ON state_interval (root_upstream, start) "
         "WHERE root_upstream IS NOT NULL")


class _Handle(Table, tablename="state_interval"):
    """Only a handle for raw SQL."""


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="monitoring", description=DESCRIPTION)

    async def create() -> None:
        await _Handle.raw(INDEX).run()

    async def drop() -> None:
        await _Handle.raw("DROP INDEX state_interval_root").run()

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
