"""Piccolo app of the reports area (tables and migrations)."""

import os

from piccolo.conf.apps import AppConfig

from assetsvc.reports import tables
from assetsvc.reports.province import tables as province

APP_CONFIG = AppConfig(
    app_name="reports",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "migrations"),
    table_classes=[*tables.TABLES, *province.TABLES],
)
