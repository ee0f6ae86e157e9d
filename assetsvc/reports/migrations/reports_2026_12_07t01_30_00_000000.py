"""Reports: report_mandatory (the office's mandatory field list for 完整率, one row per version)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSON, DoublePrecision, Integer, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T01:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Reports: report_mandatory (version, document, updated_at, updated_by)"


def _params(**extra):
    return {"null": False, "primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
            "choices": None, "db_column_name": None, "secret": False, **extra}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="reports", description=DESCRIPTION)
    manager.add_table(class_name="MandatoryFieldsDocument", tablename="report_mandatory", schema=None, columns=None)
    for name, column_class, params in (("version", Integer, _params(default=0, unique=True)),
                                       ("document", JSON, _params(default="{}")),
                                       ("updated_at", DoublePrecision, _params(default=0.0)),
                                       ("updated_by", Varchar, _params(length=150, default=""))):
        manager.add_column(table_class_name="MandatoryFieldsDocument", tablename="report_mandatory",
                           column_name=name, db_column_name=name, column_class_name=column_class.__name__,
                           column_class=column_class, params=params, schema=None)
    return manager
