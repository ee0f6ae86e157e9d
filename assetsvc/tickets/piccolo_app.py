"""Piccolo app of the tickets area (tables and migrations)."""

import os

from piccolo.conf.apps import AppConfig

from assetsvc.tickets import tables

APP_CONFIG = AppConfig(
    app_name="tickets",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "migrations"),
    table_classes=list(tables.TABLES),
)
