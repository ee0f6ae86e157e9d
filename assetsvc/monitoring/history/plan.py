"""What an import would do with each accepted row: the records to write, the clips, or why none."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assetsvc.monitoring.history.clip import Clip


@dataclass
class Planned:
    """One accepted file row's fate: action import | clip | drop | already_imported | duplicate.

    `records` are the target table's rows to insert (a row clipped in the middle gives two);
    `note` says why nothing is written (the earlier batch or row holding the same content).
    """

    row: int
    key: str
    source: str
    action: str = "import"
    records: list[dict[str, Any]] = field(default_factory=list)
    clips: list[Clip] = field(default_factory=list)
    note: str = ""


def mark_repeats(rows: list[Any], imported: dict[str, int]) -> tuple[list[Planned], list[Any]]:
    """Rows whose content an earlier (not undone) batch or an earlier row of this file already
    holds, as planned no-ops; and the rows left to plan."""
    seen: dict[str, int] = {}
    done: list[Planned] = []
    left: list[Any] = []
    for r in rows:
        if r.key in imported:
            done.append(Planned(r.row, r.key, r.source, "already_imported", note=f"batch {imported[r.key]}"))
        elif r.key in seen:
            done.append(Planned(r.row, r.key, r.source, "duplicate", note=f"row {seen[r.key]}"))
        else:
            seen[r.key] = r.row
            left.append(r)
    return done, left
