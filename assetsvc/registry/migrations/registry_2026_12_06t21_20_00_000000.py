"""The coverage plan (应覆盖目标): planned points per key-site category per district."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T21:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "coverage_plan: region_code, category, planned"


def _params(**extra):
    return {"null": False, "primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
            "choices": None, "db_column_name": None, "secret": False, **extra}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="registry", description=DESCRIPTION)
    manager.add_table(class_name="CoveragePlan", tablename="coverage_plan", schema=None, columns=None)
    for name, column_class, params in (("region_code", Varchar, _params(length=6, default="", index=True)),
                                       ("category", Varchar, _params(length=40, default="")),
                                       ("planned", Integer, _params(default=0))):
        manager.add_column(table_class_name="CoveragePlan", tablename="coverage_plan", column_name=name,
                           db_column_name=name, column_class_name=column_class.__name__, column_class=column_class,
                           params=params, schema=None)
    return manager
