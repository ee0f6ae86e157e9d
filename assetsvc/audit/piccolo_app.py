"""Piccolo app of the audit area."""

import os

from piccolo.conf.apps import AppConfig

from assetsvc.audit import tables

APP_CONFIG = AppConfig(
    app_name="audit",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "migrations"),
    table_classes=[tables.Change],
)
