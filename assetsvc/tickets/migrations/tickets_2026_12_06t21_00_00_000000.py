"""Tickets: contractors' disputes (ticket_dispute)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import JSON, DoublePrecision, ForeignKey, Text, Varchar
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-06T21:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Tickets: disputes"


class Ticket(Table, tablename="ticket", schema=None):
    """Only the target of the foreign key."""


COLUMNS = (
    ("reason", Text, {"default": ""}),
    ("attachments", JSON, {"default": "[]"}),
    ("status", Varchar, {"length": 10, "default": "open"}),
    ("raised_by", Varchar, {"length": 64, "default": ""}),
    ("raised_at", DoublePrecision, {"default": 0.0}),
    ("decided_by", Varchar, {"length": 64, "default": None, "null": True}),
    ("decided_at", DoublePrecision, {"default": None, "null": True}),
    ("decision_note", Text, {"default": ""}),
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="tickets", description=DESCRIPTION)
    manager.add_table(class_name="TicketDispute", tablename="ticket_dispute", schema=None, columns=None)
    base = {"null": False, "primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
            "choices": None, "db_column_name": None, "secret": False}
    manager.add_column(
        table_class_name="TicketDispute", tablename="ticket_dispute", column_name="ticket", db_column_name="ticket",
        column_class_name="ForeignKey", column_class=ForeignKey,
        params={**base, "references": Ticket, "on_delete": OnDelete.cascade, "on_update": OnUpdate.cascade,
                "target_column": None, "default": None, "null": True, "index": True},
        schema=None)
    for name, column_class, extra in COLUMNS:
        manager.add_column(table_class_name="TicketDispute", tablename="ticket_dispute", column_name=name,
                           db_column_name=name, column_class_name=column_class.__name__, column_class=column_class,
                           params={**base, **extra}, schema=None)
    return manager
