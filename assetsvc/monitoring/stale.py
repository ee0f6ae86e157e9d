"""Mark subjects with no recent result `unknown` (prober down, device unreachable to us, no pushes)."""

from __future__ import annotations

from assetsvc import bulk, db
from assetsvc.monitoring import evaluate as ev
from assetsvc.monitoring.tables import DeviceState
from assetsvc.monitoring.writer import Applied, states, write_states


async def sweep(rules: ev.Rules, now: float) -> int:
    """Apply the staleness rule to every subject not yet unknown; returns how many changed."""
    cutoff = now - rules.stale_after_s
    async with db.write_transaction():
        rows = await bulk.fetch(DeviceState, "SELECT subject_type, subject_id FROM device_state "
                                "WHERE state <> 'unknown' AND (last_seen IS NULL OR last_seen < ?)", [cutoff])
        current = await states((r["subject_type"], r["subject_id"]) for r in rows)
        updates = {}
        for key, row in current.items():
            result = ev.stale(row["record"], now, rules)
            if result is not None:
                updates[key] = (row, result)
        await write_states(updates, Applied())
    return len(updates)
