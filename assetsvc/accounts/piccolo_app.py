"""Piccolo app of the accounts area."""

import os

from piccolo.conf.apps import AppConfig

from assetsvc.accounts import tables

APP_CONFIG = AppConfig(
    app_name="accounts",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "migrations"),
    table_classes=[tables.User, tables.Token, tables.LoginAttempt, tables.LoginThrottle],
    migration_dependencies=["assetsvc.registry.piccolo_app"],
)
