"""Monitoring: the stream URIs each camera reported through ONVIF (stream_source)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import DoublePrecision, Integer, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T18:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Monitoring: stream_source, the main, sub and snapshot URIs (and declared rates) a camera reported, and when"


def _params(**extra) -> dict:
    return {"null": False, "primary_key": False, "unique": False, "index": False,
            "index_method": IndexMethod.btree, "choices": None, "db_column_name": None, "secret": False, **extra}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="monitoring", description=DESCRIPTION)
    manager.add_table(class_name="StreamSource", tablename="stream_source", schema=None, columns=None)
    manager.add_column(table_class_name="StreamSource", tablename="stream_source", column_name="camera_id",
                       db_column_name="camera_id", column_class_name="Integer", column_class=Integer,
                       params=_params(default=0, unique=True), schema=None)
    for name in ("main_uri", "sub_uri", "snapshot_uri"):
        manager.add_column(table_class_name="StreamSource", tablename="stream_source", column_name=name,
                           db_column_name=name, column_class_name="Varchar", column_class=Varchar,
                           params=_params(length=1024, default=""), schema=None)
    for name in ("main_fps", "sub_fps"):
        manager.add_column(table_class_name="StreamSource", tablename="stream_source", column_name=name,
                           db_column_name=name, column_class_name="DoublePrecision", column_class=DoublePrecision,
                           params=_params(default=None, null=True), schema=None)
    manager.add_column(table_class_name="StreamSource", tablename="stream_source", column_name="read_at",
                       db_column_name="read_at", column_class_name="DoublePrecision",
                       column_class=DoublePrecision, params=_params(default=0.0), schema=None)
    return manager
