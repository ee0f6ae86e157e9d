"""Piccolo app of the webhooks area (tables and migrations)."""

import os

from piccolo.conf.apps import AppConfig

from assetsvc.webhooks import tables

APP_CONFIG = AppConfig(
    app_name="webhooks",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "migrations"),
    table_classes=list(tables.TABLES),
    migration_dependencies=["assetsvc.registry.piccolo_app"],  # endpoints refer to contractors
)
