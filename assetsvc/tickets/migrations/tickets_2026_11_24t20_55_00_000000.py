"""Tickets: the partial unique index and composite indexes piccolo cannot declare (raw SQL, both engines).

A separate migration because piccolo runs a migration's raw SQL before its table creation."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-24T20:55:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Tickets: one active automatic ticket per device and fault; sweep indexes"

ACTIVE = "state NOT IN ('closed', 'cancelled')"
INDEXES = (
    # One active automatic ticket per device and fault kind: new failures append to it. The
    # opener's invariant, enforced by the database too (two schedulers, a race with a manual open).
    f"CREATE UNIQUE INDEX ticket_active_fault ON ticket (subject_type, subject_id, fault) "
    f"WHERE {ACTIVE} AND source = 'auto'",
    "CREATE INDEX ticket_subject ON ticket (subject_type, subject_id)",
    "CREATE INDEX ticket_state_respond ON ticket (state, respond_due)",
    "CREATE INDEX ticket_state_arrive ON ticket (state, arrive_due)",
    "CREATE INDEX ticket_state_restore ON ticket (state, restore_due)",
    "CREATE INDEX ticket_event_ticket_at ON ticket_event (ticket, at)",
    "CREATE UNIQUE INDEX ticket_camera_link ON ticket_camera (ticket, camera_id)",
)


class _Handle(Table, tablename="ticket"):
    """Only a handle for raw SQL."""


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="tickets", description=DESCRIPTION)

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
