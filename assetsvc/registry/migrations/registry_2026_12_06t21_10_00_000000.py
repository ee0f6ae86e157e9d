"""联网上级平台: a camera's flag and date of being networked to the provincial platform."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean, Date
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T21:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Camera.province_networked and province_networked_on (联网上级平台 flag and date)"


def _params(**extra):
    return {"null": False, "primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
            "choices": None, "db_column_name": None, "secret": False, **extra}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="registry", description=DESCRIPTION)
    for name, column_class, params in (("province_networked", Boolean, _params(default=False)),
                                       ("province_networked_on", Date, _params(default=None, null=True))):
        manager.add_column(table_class_name="Camera", tablename="camera", column_name=name, db_column_name=name,
                           column_class_name=column_class.__name__, column_class=column_class, params=params,
                           schema=None)
    return manager
