"""Record and query the change history of registry records."""

from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

from assetsvc.audit.tables import Change


def jsonable(value: Any) -> Any:
    """A value as it is stored in the change log (dates as ISO text)."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for each field whose value differs."""
    keys = sorted(set(before) | set(after))
    out = {}
    for key in keys:
        old, new = jsonable(before.get(key)), jsonable(after.get(key))
        if old != new:
            out[key] = [old, new]
    return out


def change_row(
    actor: str, action: str, entity: str, entity_id: int, label: str,
    changes: Mapping[str, list[Any]], source: str,
) -> Change:
    """An unsaved change-log row (saved in bulk by callers that write many records)."""
    return Change(
        actor=actor, action=action, entity=entity, entity_id=entity_id,
        label=label[:200], changes=dict(changes), source=source,
    )


async def record(
    actor: str, action: str, entity: str, entity_id: int, label: str,
    changes: Mapping[str, list[Any]], source: str = "api",
) -> None:
    """Write one change-log row; callers run it in the same transaction as the change."""
    await Change.insert(change_row(actor, action, entity, entity_id, label, changes, source)).run()


async def history(entity: str, entity_id: int) -> list[dict[str, Any]]:
    """The change log of one record, oldest first."""
    rows = (
        await Change.select()
        .where((Change.entity == entity) & (Change.entity_id == entity_id))
        .order_by(Change.id)
        .output(load_json=True)
        .run()
    )
    for row in rows:
        row["at"] = row["at"].isoformat()
    return rows
