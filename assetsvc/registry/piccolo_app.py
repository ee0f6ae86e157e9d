"""Piccolo app of the registry area (tables and migrations)."""

import os

from piccolo.conf.apps import AppConfig

from assetsvc.registry import tables

APP_CONFIG = AppConfig(
    app_name="registry",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "migrations"),
    table_classes=[
        tables.Region,
        tables.Station,
        tables.Site,
        tables.CoveragePlan,
        tables.Owner,
        tables.Contractor,
        tables.Contract,
        tables.Credential,
        tables.UpstreamDevice,
        tables.Camera,
        tables.ServicePeriod,
        tables.ImportJob,
        tables.KeyCheck,
        tables.DistrictOutline,
    ],
)
