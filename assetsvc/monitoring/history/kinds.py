"""The kinds of history a batch can hold: each names its sheet layout, its row parser, how its rows'
registry references are resolved, how they are planned and written, and the table its records go
to. A new kind (closed work orders) brings the same parts and reuses the importer and the batches."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from piccolo.table import Table

from assetsvc import bulk
from assetsvc.errors import ValidationFailed, field_error
from assetsvc.monitoring.history import layouts, states, windows
from assetsvc.monitoring.history.plan import Planned
from assetsvc.monitoring.history.rows import Parser, state_row, window_row
from assetsvc.monitoring.tables import MaintenanceWindow, StateInterval
from assetsvc.registry.importer import Progress
from assetsvc.registry.sheet import Layout

# resolve(rows) -> (references by key, {row: (field, kind, reason)} of rows whose reference is not there)
Resolve = Callable[[list[Any]], Awaitable[tuple[dict[Any, Any], dict[int, tuple[str, str, str]]]]]
# plan(rows, references, actor name, now) -> what to do with each row (no writes)
Plan = Callable[[list[Any], dict[Any, Any], str, float], Awaitable[list[Planned]]]
# write(planned, progress) -> (planned row, id of the record written) per record
Write = Callable[[list[Planned], Progress | None], Awaitable[list[tuple[Planned, int]]]]
# remove(batch id): delete the records the batch wrote (their ids are its history_row target_ids)
Remove = Callable[[int], Awaitable[None]]


def delete_from(table: type[Table], before: Remove) -> Remove:
    """The undo of a kind whose records are rows of `table` in this slice (`before` runs first: it drops
    the rolled-up uptime days the records reach)."""
    name = table._meta.tablename

    async def remove(batch_id: int) -> None:
        await before(batch_id)
        await bulk.fetch(table, f"DELETE FROM {name} WHERE id IN "
                                "(SELECT target_id FROM history_row WHERE batch = ?)", [batch_id])
    return remove


@dataclass(frozen=True)
class Kind:
    """A kind of history file: `parse` checks a row without the database (rows carry `row`, `key` and
    `source`); `resolve`, `plan` and `write` run in the import's transaction, `remove` in the undo's."""

    name: str
    layout: Layout
    parse: Parser
    columns: tuple[str, ...]  # the columns a file of this kind must have
    resolve: Resolve
    plan: Plan
    write: Write
    remove: Remove


KINDS = {
    "states": Kind("states", layouts.STATES_LAYOUT, state_row, ("camera", "state", "from", "to"),
                   states.resolve, states.plan, states.write, delete_from(StateInterval, states.forget_batch)),
    "maintenance": Kind("maintenance", layouts.WINDOWS_LAYOUT, window_row, ("from", "to", "reason"),
                        windows.resolve, windows.plan, windows.write,
                        delete_from(MaintenanceWindow, windows.forget_batch)),
}


def kind_named(name: str | None) -> Kind:
    value = "states" if name is None else name.strip()
    if value not in KINDS:
        raise ValidationFailed(f"kind {value!r} is not one of {', '.join(KINDS)}",
                               [field_error("kind", "invalid", f"one of {', '.join(KINDS)}")])
    return KINDS[value]
