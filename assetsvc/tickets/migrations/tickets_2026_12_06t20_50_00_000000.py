"""Tickets: paper work orders. Each timeline line keeps when it was entered beside when it happened
(`entered_at`), and a correcting line names the line it voids (`voids`); docs/tickets.md."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import DoublePrecision, Integer
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T20:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Tickets: entry time and voided line of timeline events (paper work orders)"


def _nullable() -> dict:
    return {"default": None, "null": True, "primary_key": False, "unique": False, "index": False,
            "index_method": IndexMethod.btree, "choices": None, "db_column_name": None, "secret": False}


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="tickets", description=DESCRIPTION)
    for name, column_class in (("entered_at", DoublePrecision), ("voids", Integer)):
        manager.add_column(table_class_name="TicketEvent", tablename="ticket_event", column_name=name,
                           db_column_name=name, column_class_name=column_class.__name__, column_class=column_class,
                           params=_nullable(), schema=None)
    return manager
