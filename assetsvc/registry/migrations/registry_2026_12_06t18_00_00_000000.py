"""The camera's stream URI or path (取流地址), an optional sheet column."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T18:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Camera.stream_uri: the stream's rtsp:// URI or path as the office registers it"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="registry", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Camera",
        tablename="camera",
        column_name="stream_uri",
        db_column_name="stream_uri",
        column_class_name="Varchar",
        column_class=Varchar,
        params={"length": 512, "default": "", "null": False, "primary_key": False, "unique": False,
                "index": False, "index_method": IndexMethod.btree, "choices": None, "db_column_name": None,
                "secret": False},
        schema=None,
    )
    return manager
