"""District outlines (区划边界): one row per region code from the office's GeoJSON upload."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSON, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T01:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "district_outline: region_code, name, geometry, vertices, datum, uploaded_by, uploaded_at"


def _params(**extra):
    return {"null": False, "primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
            "choices": None, "db_column_name": None, "secret": False, **extra}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="registry", description=DESCRIPTION)
    manager.add_table(class_name="DistrictOutline", tablename="district_outline", schema=None, columns=None)
    for name, column_class, params in (
        ("region_code", Varchar, _params(length=6, default="", unique=True)),
        ("name", Varchar, _params(length=64, default="")),
        ("geometry", JSON, _params(default="{}")),
        ("vertices", Integer, _params(default=0)),
        ("datum", Varchar, _params(length=8, default="wgs84")),
        ("uploaded_by", Varchar, _params(length=150, default="")),
        ("uploaded_at", Timestamptz, _params(default=TimestamptzNow())),
    ):
        manager.add_column(table_class_name="DistrictOutline", tablename="district_outline", column_name=name,
                           db_column_name=name, column_class_name=column_class.__name__, column_class=column_class,
                           params=params, schema=None)
    return manager
