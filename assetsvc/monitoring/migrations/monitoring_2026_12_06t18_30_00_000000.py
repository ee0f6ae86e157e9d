"""Monitoring: the picture memory table (day/night baselines and the previous grab's signature)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import DoublePrecision, Integer, Text, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T18:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Monitoring: picture memory per camera"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="monitoring", description=DESCRIPTION)
    manager.add_table(class_name="PictureMemory", tablename="picture_memory", schema=None, columns=None)
    manager.add_column(
        table_class_name="PictureMemory", tablename="picture_memory", column_name="camera_id",
        db_column_name="camera_id", column_class_name="Integer", column_class=Integer,
        params={"null": False, "primary_key": False, "unique": True, "index": False, "default": 0, "index_method": IndexMethod.btree, "choices": None,
                "db_column_name": None, "secret": False},
        schema=None,
    )
    manager.add_column(
        table_class_name="PictureMemory", tablename="picture_memory", column_name="memory",
        db_column_name="memory", column_class_name="Text", column_class=Text,
        params={"null": False, "primary_key": False, "unique": False, "index": False, "default": '', "index_method": IndexMethod.btree, "choices": None,
                "db_column_name": None, "secret": False},
        schema=None,
    )
    manager.add_column(
        table_class_name="PictureMemory", tablename="picture_memory", column_name="day_learned",
        db_column_name="day_learned", column_class_name="DoublePrecision", column_class=DoublePrecision,
        params={"null": True, "primary_key": False, "unique": False, "index": False, "default": None, "index_method": IndexMethod.btree, "choices": None,
                "db_column_name": None, "secret": False},
        schema=None,
    )
    manager.add_column(
        table_class_name="PictureMemory", tablename="picture_memory", column_name="night_learned",
        db_column_name="night_learned", column_class_name="DoublePrecision", column_class=DoublePrecision,
        params={"null": True, "primary_key": False, "unique": False, "index": False, "default": None, "index_method": IndexMethod.btree, "choices": None,
                "db_column_name": None, "secret": False},
        schema=None,
    )
    manager.add_column(
        table_class_name="PictureMemory", tablename="picture_memory", column_name="updated_at",
        db_column_name="updated_at", column_class_name="DoublePrecision", column_class=DoublePrecision,
        params={"null": False, "primary_key": False, "unique": False, "index": False, "default": 0.0, "index_method": IndexMethod.btree, "choices": None,
                "db_column_name": None, "secret": False},
        schema=None,
    )
    manager.add_column(
        table_class_name="PictureMemory", tablename="picture_memory", column_name="reset_at",
        db_column_name="reset_at", column_class_name="DoublePrecision", column_class=DoublePrecision,
        params={"null": True, "primary_key": False, "unique": False, "index": False, "default": None, "index_method": IndexMethod.btree, "choices": None,
                "db_column_name": None, "secret": False},
        schema=None,
    )
    manager.add_column(
        table_class_name="PictureMemory", tablename="picture_memory", column_name="reset_by",
        db_column_name="reset_by", column_class_name="Varchar", column_class=Varchar,
        params={"null": False, "primary_key": False, "unique": False, "index": False, "length": 64, "default": '', "index_method": IndexMethod.btree, "choices": None,
                "db_column_name": None, "secret": False},
        schema=None,
    )
    return manager
