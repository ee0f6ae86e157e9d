"""Webhooks: the outbox's composite indexes, which piccolo cannot declare (raw SQL, both engines).

A separate migration because piccolo runs a migration's raw SQL before its table creation."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-24T20:54:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Webhooks: outbox indexes"


# Due pending deliveries are found by (state, next_at); an endpoint's queue is read in creation
# order by (endpoint, state, id).
INDEXES = (
    "CREATE INDEX webhook_delivery_due ON webhook_delivery (state, next_at)",
    "CREATE INDEX webhook_delivery_queue ON webhook_delivery (endpoint, state, id)",
)


class _Handle(Table, tablename="webhook_delivery"):
    """Only a handle for raw SQL."""


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="webhooks", description=DESCRIPTION)

    async def create() -> None:
        for sql in INDEXES:
            await _Handle.raw(sql).run()

    async def drop() -> None:
        for sql in INDEXES:
            name = sql.split(" INDEX ", 1)[1].split()[0]
            await _Handle.raw(f"DROP INDEX {name}").run()

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
