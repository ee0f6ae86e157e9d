"""Piccolo app of the monitoring area (tables and migrations)."""

import os

from piccolo.conf.apps import AppConfig

from assetsvc.monitoring import tables

APP_CONFIG = AppConfig(
    app_name="monitoring",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "migrations"),
    table_classes=[
        tables.ProbeTask,
        tables.DeviceState,
        tables.StateInterval,
        tables.LatestResult,
        tables.ResultHistory,
        tables.MaintenanceWindow,
        tables.DriftFlag,
        tables.StreamSource,
        tables.Node,
        tables.PlatformScope,
        tables.PassiveBatch,
        tables.PictureMemory,
        tables.PictureFrame,
        tables.PictureFrameLink,
        tables.HistoryBatch,
        tables.HistoryRow,
        tables.UptimeDay,
        tables.UptimeRollupCamera,
        tables.UptimeRollupBucket,
        tables.UptimeScopeDay,
    ],
)
