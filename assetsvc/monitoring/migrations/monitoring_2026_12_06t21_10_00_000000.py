"""Monitoring: history import batches (history_batch) and the records each wrote (history_row)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSON, DoublePrecision, Integer, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T21:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Monitoring: history import batches"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="monitoring", description=DESCRIPTION)
    manager.add_table(class_name="HistoryBatch", tablename="history_batch", schema=None, columns=None)
    manager.add_table(class_name="HistoryRow", tablename="history_row", schema=None, columns=None)
    manager.add_column(
        table_class_name="HistoryBatch", tablename="history_batch", column_name="kind",
        db_column_name="kind", column_class_name="Varchar", column_class=Varchar,
        params={"null": False, "primary_key": False, "unique": False, "index": False, "length": 16, "default": '', "index_method": IndexMethod.btree, "choices": None,
                "db_column_name": None, "secret": False},
        schema=None,
    )
    manager.add_column(
        table_class_name="HistoryBatch", tablename="history_batch", column_name="filename",
        db_column_name="filename", column_class_name="Varchar", column_class=Varchar,
        params={"null": False, "primary_key": False, "unique": False, "index": False, "length": 255, "default": '', "index_method": IndexMethod.btree, "choices": None,
                "db_column_name": None, "secret": False},
        schema=None,
    )
    manager.add_column(
        table_class_name="HistoryBatch", tablename="history_batch", column_name="rows",
        db_column_name="rows", column_class_name="Integer", column_class=Integer,
        params={"null": False, "primary_key": False, "unique": False, "index": False, "default": 0, "index_method": IndexMethod.btree, "choices": None,
                "db_column_name": None, "secret": False},
        schema=None,
    )
    manager.add_column(
        table_class_name="HistoryBatch", tablename="history_batch", column_name="written",
        db_column_name="written", column_class_name="Integer", column_class=Integer,
        params={"null": False, "primary_key": False, "unique": False, "index": False, "default": 0, "index_method": IndexMethod.btree, "choices": None,
                "db_column_name": None, "secret": False},
        schema=None,
    )
    manager.add_column(
        table_class_name="HistoryBatch", tablename="history_batch", column_name="clipped",
        db_column_name="clipped", column_class_name="Integer", column_class=Integer,
        params={"null": False, "primary_key": False, "unique": False, "index": False, "default": 0, "index_method": IndexMethod.btree, "choices": None,
                "db_column_name": None, "secret": False},
        schema=None,
    )
    manager.add_column(
        table_class_name="HistoryBatch", tablename="history_batch", column_name="created_by",
        db_column_name="created_by", column_class_name="Varchar", column_class=Varchar,
        params={"null": False, "primary_key": False, "unique": False, "index": False, "length": 64, "default": '', "index_method": IndexMethod.btree, "choices": None,
                "db_column_name": None, "secret": False},
        schema=None,
    )
    manager.add_column(
        table_class_name="HistoryBatch", tablename="history_batch", column_name="created_at",
        db_column_name="created_at", column_class_name="DoublePrecision", column_class=DoublePrecision,
        params={"null": False, "primary_key": False, "unique": False, "index": False, "default": 0.0, "index_method": IndexMethod.btree, "choices": None,
                "db_column_name": None, "secret": False},
        schema=None,
    )
    manager.add_column(
        table_class_name="HistoryBatch", tablename="history_batch", column_name="undone_by",
        db_column_name="undone_by", column_class_name="Varchar", column_class=Varchar,
        params={"null": False, "primary_key": False, "unique": False, "index": False, "length": 64, "default": '', "index_method": IndexMethod.btree, "choices": None,
                "db_column_name": None, "secret": False},
        schema=None,
    )
    manager.add_column(
        table_class_name="HistoryBatch", tablename="history_batch", column_name="undone_at",
        db_column_name="undone_at", column_class_name="DoublePrecision", column_class=DoublePrecision,
        params={"null": True, "primary_key": False, "unique": False, "index": False, "default": None, "index_method": IndexMethod.btree, "choices": None,
                "db_column_name": None, "secret": False},
        schema=None,
    )
    manager.add_column(
        table_class_name="HistoryBatch", tablename="history_batch", column_name="summary",
        db_column_name="summary", column_class_name="JSON", column_class=JSON,
        params={"null": False, "primary_key": False, "unique": False, "index": False, "default": '{}', "index_method": IndexMethod.btree, "choices": None,
                "db_column_name": None, "secret": False},
        schema=None,
    )
    manager.add_column(
        table_class_name="HistoryRow", tablename="history_row", column_name="batch",
        db_column_name="batch", column_class_name="Integer", column_class=Integer,
        params={"null": False, "primary_key": False, "unique": False, "index": True, "default": 0, "index_method": IndexMethod.btree, "choices": None,
                "db_column_name": None, "secret": False},
        schema=None,
    )
    manager.add_column(
        table_class_name="HistoryRow", tablename="history_row", column_name="key",
        db_column_name="key", column_class_name="Varchar", column_class=Varchar,
        params={"null": False, "primary_key": False, "unique": False, "index": True, "length": 64, "default": '', "index_method": IndexMethod.btree, "choices": None,
                "db_column_name": None, "secret": False},
        schema=None,
    )
    manager.add_column(
        table_class_name="HistoryRow", tablename="history_row", column_name="target_id",
        db_column_name="target_id", column_class_name="Integer", column_class=Integer,
        params={"null": False, "primary_key": False, "unique": False, "index": True, "default": 0, "index_method": IndexMethod.btree, "choices": None,
                "db_column_name": None, "secret": False},
        schema=None,
    )
    manager.add_column(
        table_class_name="HistoryRow", tablename="history_row", column_name="row",
        db_column_name="row", column_class_name="Integer", column_class=Integer,
        params={"null": False, "primary_key": False, "unique": False, "index": False, "default": 0, "index_method": IndexMethod.btree, "choices": None,
                "db_column_name": None, "secret": False},
        schema=None,
    )
    manager.add_column(
        table_class_name="HistoryRow", tablename="history_row", column_name="source",
        db_column_name="source", column_class_name="Varchar", column_class=Varchar,
        params={"null": False, "primary_key": False, "unique": False, "index": False, "length": 64, "default": '', "index_method": IndexMethod.btree, "choices": None,
                "db_column_name": None, "secret": False},
        schema=None,
    )
    return manager
