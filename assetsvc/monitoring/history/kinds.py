"""The kinds of history a batch can hold: each names its sheet layout, its row parser and the table its
records go to. A new kind (closed work orders) brings the same four parts and reuses the batches."""

from __future__ import annotations

from dataclasses import dataclass

from piccolo.table import Table

from assetsvc.errors import ValidationFailed, field_error
from assetsvc.monitoring.history import layouts
from assetsvc.monitoring.history.rows import Parser, state_row, window_row
from assetsvc.monitoring.tables import MaintenanceWindow, StateInterval
from assetsvc.registry.sheet import Layout


@dataclass(frozen=True)
class Kind:
    """A kind of history file: `parse` checks a row without the database; `target` holds its records."""

    name: str
    layout: Layout
    parse: Parser
    target: type[Table]
    columns: tuple[str, ...]  # the columns a file of this kind must have


KINDS = {
    "states": Kind("states", layouts.STATES_LAYOUT, state_row, StateInterval, ("camera", "state", "from", "to")),
    "maintenance": Kind("maintenance", layouts.WINDOWS_LAYOUT, window_row, MaintenanceWindow, ("from", "to", "reason")),
}


def kind_named(name: str | None) -> Kind:
    value = "states" if name is None else name.strip()
    if value not in KINDS:
        raise ValidationFailed(f"kind {value!r} is not one of {', '.join(KINDS)}",
                               [field_error("kind", "invalid", f"one of {', '.join(KINDS)}")])
    return KINDS[value]
