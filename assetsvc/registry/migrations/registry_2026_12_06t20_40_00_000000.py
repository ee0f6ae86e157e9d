"""Registry: service periods (service_period), one row per stretch a camera was in service."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import DoublePrecision, Integer, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T20:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Registry: service periods of cameras"


def _params(**extra):
    return {"null": False, "primary_key": False, "unique": False, "index": False,
            "index_method": IndexMethod.btree, "choices": None, "db_column_name": None, "secret": False,
            **extra}


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="registry", description=DESCRIPTION)
    manager.add_table(class_name="ServicePeriod", tablename="service_period", schema=None, columns=None)
    for name, kind, params in (
        ("camera_id", Integer, _params(default=0, index=True)),
        ("starts_at", DoublePrecision, _params(default=0.0)),
        ("ends_at", DoublePrecision, _params(default=None, null=True)),
        ("source", Varchar, _params(default="status", length=32)),
    ):
        manager.add_column(table_class_name="ServicePeriod", tablename="service_period", column_name=name,
                           db_column_name=name, column_class_name=kind.__name__, column_class=kind,
                           params=params, schema=None)
    return manager
