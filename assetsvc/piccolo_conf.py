"""Piccolo configuration: the engine from ASSETSVC_DATABASE_URL and the apps with migrations."""

from piccolo.conf.apps import AppRegistry

from assetsvc.db import make_engine
from assetsvc.settings import load_settings

DB = make_engine(load_settings())

APP_REGISTRY = AppRegistry(
    apps=[
        "assetsvc.registry.piccolo_app",
        "assetsvc.accounts.piccolo_app",
        "assetsvc.audit.piccolo_app",
        "assetsvc.monitoring.piccolo_app",
        "assetsvc.tickets.piccolo_app",
        "assetsvc.webhooks.piccolo_app",
        "assetsvc.reports.piccolo_app",
    ]
)
