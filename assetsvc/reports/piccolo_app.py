"""Piccolo app of the reports area (tables and migrations)."""

import os

from piccolo.conf.apps import AppConfig

from assetsvc.reports import tables

APP_CONFIG = AppConfig(
    app_name="reports",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "migrations"),
    table_classes=list(tables.TABLES),
)
