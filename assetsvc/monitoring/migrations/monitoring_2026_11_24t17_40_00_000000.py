"""Monitoring: the composite keys and partial indexes piccolo cannot declare (raw SQL, both engines).

A separate migration because piccolo runs a migration's raw SQL before its table creation."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-24T17:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Monitoring: composite unique keys and interval indexes"


# Composite keys: one task per (subject, plan), one state per subject, one latest result per
# (subject, probe kind), one history row per ring slot; intervals are read per subject in time
# order and the open one (end IS NULL) is found by a partial index on both engines.
INDEXES = (
    "CREATE UNIQUE INDEX probe_task_subject_plan ON probe_task (subject_type, subject_id, plan)",
    "CREATE UNIQUE INDEX device_state_subject ON device_state (subject_type, subject_id)",
    "CREATE UNIQUE INDEX latest_result_subject_kind ON latest_result (subject_type, subject_id, probe_kind)",
    "CREATE UNIQUE INDEX result_history_subject_slot ON result_history (subject_type, subject_id, slot)",
    "CREATE INDEX state_interval_subject_start ON state_interval (subject_type, subject_id, start)",
    # At most one open interval per subject: the writer's invariant, enforced by the database too.
    'CREATE UNIQUE INDEX state_interval_open ON state_interval (subject_type, subject_id) WHERE "end" IS NULL',
    'CREATE INDEX state_interval_end ON state_interval ("end")',
    "CREATE INDEX maintenance_window_scope ON maintenance_window (scope, scope_ref)",
    "CREATE INDEX maintenance_window_ends ON maintenance_window (ends_at)",
)


class _Handle(Table, tablename="probe_task"):
    """Only a handle for raw SQL."""


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="monitoring", description=DESCRIPTION)

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
