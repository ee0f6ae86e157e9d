"""Reports: the provincial platform (province_target), its outbox (province_delivery) and attempts."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import DoublePrecision, ForeignKey, Integer, Serial, Text, Varchar
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-06T22:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Reports: province_target, province_delivery (outbox, receipts), province_attempt"


class ReportVersion(Table, tablename="report_version", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree,
                choices=None, db_column_name="id", secret=False)


class ProvinceDelivery(Table, tablename="province_delivery", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False, index_method=IndexMethod.btree,
                choices=None, db_column_name="id", secret=False)


def _params(**extra):
    return {"null": False, "primary_key": False, "unique": False, "index": False, "index_method": IndexMethod.btree,
            "choices": None, "db_column_name": None, "secret": False, **extra}


def _fk(references, on_delete, **extra):
    return _params(references=references, on_delete=on_delete, on_update=OnUpdate.cascade, target_column=None,
                   **extra)


TABLES = {
    ("ProvinceTarget", "province_target"): (
        ("url", Varchar, _params(length=2000, default="")),
        ("ca_bundle", Varchar, _params(length=1000, default=None, null=True)),
        ("client_cert", Varchar, _params(length=1000, default=None, null=True)),
        ("client_key", Varchar, _params(length=1000, default=None, null=True)),
        ("mapping", Varchar, _params(length=1000, default="")),
        ("area_code", Varchar, _params(length=12, default="")),
        ("unit_code", Varchar, _params(length=64, default="")),
        ("secret", Text, _params(default="")),
        ("give_up_days", Integer, _params(default=7)),
        ("timeout_s", DoublePrecision, _params(default=30.0)),
        ("updated_at", DoublePrecision, _params(default=0.0)),
        ("updated_by", Varchar, _params(length=150, default="")),
    ),
    ("ProvinceDelivery", "province_delivery"): (
        ("report_version", ForeignKey, _fk(ReportVersion, OnDelete.restrict, default=None, null=True, unique=True)),
        ("month", Varchar, _params(length=7, default="", index=True)),
        ("version", Integer, _params(default=0)),
        ("idempotency_key", Varchar, _params(length=100, default="", unique=True)),
        ("kind", Varchar, _params(length=12, default="")),
        ("replaces", Integer, _params(default=None, null=True)),
        ("payload", Text, _params(default=None, null=True)),
        ("state", Varchar, _params(length=10, default="pending")),
        ("attempts", Integer, _params(default=0)),
        ("next_at", DoublePrecision, _params(default=0.0)),
        ("since", DoublePrecision, _params(default=0.0)),
        ("created_at", DoublePrecision, _params(default=0.0)),
        ("delivered_at", DoublePrecision, _params(default=None, null=True)),
        ("failed_at", DoublePrecision, _params(default=None, null=True)),
        ("last_status", Integer, _params(default=None, null=True)),
        ("last_error", Varchar, _params(length=300, default=None, null=True)),
        ("receipt", Text, _params(default=None, null=True)),
        ("lease_owner", Varchar, _params(length=64, default=None, null=True)),
        ("lease_until", DoublePrecision, _params(default=None, null=True)),
    ),
    ("ProvinceAttempt", "province_attempt"): (
        ("delivery", ForeignKey, _fk(ProvinceDelivery, OnDelete.cascade, default=None, null=True, index=True)),
        ("at", DoublePrecision, _params(default=0.0)),
        ("status", Integer, _params(default=None, null=True)),
        ("error", Varchar, _params(length=300, default=None, null=True)),
    ),
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="reports", description=DESCRIPTION)
    for class_name, tablename in TABLES:
        manager.add_table(class_name=class_name, tablename=tablename, schema=None, columns=None)
    for (class_name, tablename), columns in TABLES.items():
        for name, column_class, params in columns:
            manager.add_column(table_class_name=class_name, tablename=tablename, column_name=name,
                               db_column_name=name, column_class_name=column_class.__name__,
                               column_class=column_class, params=params, schema=None)
    return manager
