"""Accounts: login throttles (atomic rate limit per address, back-off per account) and the
credential key check row (issue 15)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import DoublePrecision
from piccolo.columns.column_types import Integer
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-06T17:36:21:753668"
VERSION = "1.38.0"
DESCRIPTION = "Login throttles per address and account; API tokens given an expiry"

# API tokens made before this migration without --hours never expired; they now expire like a
# new token made without a lifetime under the default ASSETSVC_API_TOKEN_DAYS (90 days from now).
LEGACY_TOKEN_DAYS = 90


class _Token(Table, tablename="account_token"):
    """Only a handle for raw SQL."""


async def _expire_legacy_tokens() -> None:
    import datetime as dt

    until = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=LEGACY_TOKEN_DAYS)
    await _Token.raw("UPDATE account_token SET expires_at = {} WHERE expires_at IS NULL", until).run()


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="accounts", description=DESCRIPTION
    )

    manager.add_table(
        class_name="LoginThrottle",
        tablename="account_login_throttle",
        schema=None,
        columns=None,
    )

    manager.add_column(
        table_class_name="LoginThrottle",
        tablename="account_login_throttle",
        column_name="key",
        db_column_name="key",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 100,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": True,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="LoginThrottle",
        tablename="account_login_throttle",
        column_name="failures",
        db_column_name="failures",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="LoginThrottle",
        tablename="account_login_throttle",
        column_name="window_start",
        db_column_name="window_start",
        column_class_name="DoublePrecision",
        column_class=DoublePrecision,
        params={
            "default": 0.0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="LoginThrottle",
        tablename="account_login_throttle",
        column_name="last_failure_at",
        db_column_name="last_failure_at",
        column_class_name="DoublePrecision",
        column_class=DoublePrecision,
        params={
            "default": 0.0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_raw(_expire_legacy_tokens)
    return manager
