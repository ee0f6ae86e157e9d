"""Monitoring: evidence frames (picture_frame) and the tickets that hold them (picture_frame_link)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSON, Boolean, Bytea, DoublePrecision, Integer, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T21:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Monitoring: evidence frames and their ticket links"

# (table class, table name, [(column, column class, extra params)])
TABLES = (
    ("PictureFrame", "picture_frame", [
        ("camera_id", Integer, {"default": 0, "index": True}),
        ("kind", Varchar, {"length": 8, "default": ""}),
        ("at", DoublePrecision, {"default": 0.0, "index": True}),
        ("width", Integer, {"default": 0}),
        ("height", Integer, {"default": 0}),
        ("size", Integer, {"default": 0}),
        ("verdict", Varchar, {"length": 16, "default": "ok"}),
        ("faults", JSON, {"default": "[]"}),
        ("stats", JSON, {"default": "{}"}),
        ("jpeg", Bytea, {"default": b""}),
    ]),
    ("PictureFrameLink", "picture_frame_link", [
        ("frame_id", Integer, {"default": 0, "index": True}),
        ("ticket_id", Integer, {"default": 0, "index": True}),
        ("role", Varchar, {"length": 8, "default": ""}),
        ("held", Boolean, {"default": True}),
        ("keep_until", DoublePrecision, {"default": None, "null": True}),
    ]),
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="monitoring", description=DESCRIPTION)
    for class_name, tablename, columns in TABLES:
        manager.add_table(class_name=class_name, tablename=tablename, schema=None, columns=None)
        for name, column_class, extra in columns:
            params = {"null": False, "primary_key": False, "unique": False, "index": False,
                      "index_method": IndexMethod.btree, "choices": None, "db_column_name": None, "secret": False,
                      **extra}
            manager.add_column(table_class_name=class_name, tablename=tablename, column_name=name,
                               db_column_name=name, column_class_name=column_class.__name__,
                               column_class=column_class, params=params, schema=None)
    return manager
