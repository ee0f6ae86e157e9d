"""Reports: the report_version table (frozen monthly report versions)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSON, DoublePrecision, Integer, Text, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T21:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Reports: report_version (month, version, status, canonical content and its hash, approval)"


def _params(**extra):
    return {"null": False, "primary_key": False, "unique": False, "index": False,
            "index_method": IndexMethod.btree, "choices": None, "db_column_name": None, "secret": False, **extra}


COLUMNS = (
    ("month", Varchar, _params(length=7, default="", index=True)),
    ("version", Integer, _params(default=0)),
    ("status", Varchar, _params(length=12, default="draft")),
    ("content", Text, _params(default="")),
    ("content_hash", Varchar, _params(length=64, default="")),
    ("changes", JSON, _params(default="[]")),
    ("based_on", Integer, _params(default=None, null=True)),
    ("created_at", DoublePrecision, _params(default=0.0)),
    ("created_by", Varchar, _params(length=150, default="")),
    ("approved_at", DoublePrecision, _params(default=None, null=True)),
    ("approved_by", Varchar, _params(length=150, default=None, null=True)),
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="reports", description=DESCRIPTION)
    manager.add_table(class_name="ReportVersion", tablename="report_version", schema=None, columns=None)
    for name, column_class, params in COLUMNS:
        manager.add_column(table_class_name="ReportVersion", tablename="report_version", column_name=name,
                           db_column_name=name, column_class_name=column_class.__name__, column_class=column_class,
                           params=params, schema=None)
    return manager
