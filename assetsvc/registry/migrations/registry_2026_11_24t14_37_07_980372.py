from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Date
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.column_types import Timestamptz

ID = "2026-11-24T14:37:07:980372"
VERSION = "1.38.0"
DESCRIPTION = "Index camera station, owner, contractor (list filters, contractor scope), install_date, updated_at (list sorts)"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="registry", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="Camera",
        tablename="camera",
        column_name="station",
        db_column_name="station",
        params={"index": True},
        old_params={"index": False},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    manager.alter_column(
        table_class_name="Camera",
        tablename="camera",
        column_name="owner",
        db_column_name="owner",
        params={"index": True},
        old_params={"index": False},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    manager.alter_column(
        table_class_name="Camera",
        tablename="camera",
        column_name="contractor",
        db_column_name="contractor",
        params={"index": True},
        old_params={"index": False},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    manager.alter_column(
        table_class_name="Camera",
        tablename="camera",
        column_name="install_date",
        db_column_name="install_date",
        params={"index": True},
        old_params={"index": False},
        column_class=Date,
        old_column_class=Date,
        schema=None,
    )

    manager.alter_column(
        table_class_name="Camera",
        tablename="camera",
        column_name="updated_at",
        db_column_name="updated_at",
        params={"index": True},
        old_params={"index": False},
        column_class=Timestamptz,
        old_column_class=Timestamptz,
        schema=None,
    )

    return manager
