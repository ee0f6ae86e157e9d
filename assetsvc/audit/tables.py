"""Change-log table: one row per create, update or delete of a record."""

from piccolo.columns import JSON, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Change(Table, tablename="audit_change"):
    """Who changed which record when, with {field: [before, after]} for each changed field."""

    at = Timestamptz(default=TimestamptzNow(), index=True)
    actor = Varchar(length=64)
    action = Varchar(length=8)  # create | update | delete
    entity = Varchar(length=32, index=True)
    entity_id = Integer(index=True)
    label = Varchar(length=200, default="")
    changes = JSON(default={})
    source = Varchar(length=16, default="api")  # api | cli | import
