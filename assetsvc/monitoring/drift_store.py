"""Store registry drift found by inventory checks: open, refresh and clear DriftFlag rows."""

from __future__ import annotations

import time
from typing import Any, Mapping, Sequence

from assetsvc import bulk
from assetsvc.monitoring import drift
from assetsvc.monitoring.tables import DriftFlag

INDEX_MAX_AGE_S = 600.0  # the registry's serial/MAC index is rebuilt at most this often per process
_index: tuple[float, dict[str, set[int]]] | None = None


def forget() -> None:
    """Drop the cached index (tests, registry edits that must be seen at once)."""
    global _index
    _index = None


async def _registry_index() -> dict[str, set[int]]:
    """Registry serials and MACs -> camera ids; inventory checks are rare, so a cached full index."""
    global _index
    now = time.monotonic()
    if _index is None or now - _index[0] > INDEX_MAX_AGE_S:
        rows = await bulk.fetch(DriftFlag, "SELECT id, serial, mac FROM camera WHERE serial <> '' OR mac IS NOT NULL")
        _index = (now, drift.build_index((r["id"], r["serial"], r["mac"]) for r in rows))
    return _index[1]


def _reports_identity(facts: Mapping[str, Any]) -> bool:
    return bool(facts.get("serial") or facts.get("macs") or facts.get("model"))


async def record(items: Sequence[tuple[int, Mapping[str, Any], Mapping[str, Any], float]]) -> int:
    """(camera_id, registry identity, reported facts, at) per inventory result; returns flags open now.

    A flag stays one row while the difference persists (last_seen moves on); when the device
    matches again the flag is cleared, not deleted, so the history of a swap stays readable.
    """
    items = [i for i in items if _reports_identity(i[2])]
    if not items:
        return 0
    index = await _registry_index()
    open_rows = await bulk.fetch_in(DriftFlag, "SELECT id, camera_id, kind FROM drift_flag WHERE cleared_at IS NULL "
                                    "AND camera_id IN ({in})", [i[0] for i in items])
    existing = {(r["camera_id"], r["kind"]): r["id"] for r in open_rows}
    found: dict[tuple[int, str], dict[str, Any]] = {}
    for camera_id, registry, facts, at in items:
        for one in drift.identity_drift(registry, facts):
            found[(camera_id, one.kind)] = {"expected": one.expected, "reported": one.reported,
                                            "other": None, "at": at}
        other = drift.address_conflict(camera_id, facts, index)
        if other is not None:
            found[(camera_id, "address")] = {"expected": str(registry.get("ipv4") or ""),
                                             "reported": str(facts.get("serial") or "")[:200],
                                             "other": other, "at": at}
    checked = {(i[0], k) for i in items for k in ("serial", "model", "mac", "address")}
    new = [{"camera_id": c, "kind": k, "expected": v["expected"], "reported": v["reported"],
            "other_camera_id": v["other"], "first_seen": v["at"], "last_seen": v["at"]}
           for (c, k), v in found.items() if (c, k) not in existing]
    await bulk.insert_rows(DriftFlag, new)
    await bulk.execute_many(DriftFlag, "UPDATE drift_flag SET last_seen = ?, reported = ? WHERE id = ?",
                            [[v["at"], v["reported"], existing[key]] for key, v in found.items() if key in existing])
    cleared_at = max(i[3] for i in items)
    await bulk.execute_many(DriftFlag, "UPDATE drift_flag SET cleared_at = ? WHERE id = ?",
                            [[cleared_at, row_id] for key, row_id in existing.items()
                             if key in checked and key not in found])
    return len(found)


async def record_stream_paths(items: Sequence[tuple[int, str, bool, float]]) -> None:
    """(camera_id, the stream checked, whether it was there, at) per stream result that says so.

    A path the device answers 404/454 for opens (or refreshes) a "stream_path" flag: a
    configuration problem of the record, listed for the office with the drift flags and never a
    ticket (drift.CONFIG_KINDS). A stream that answers clears it.
    """
    if not items:
        return
    newest = {camera_id: (shown, found, at) for camera_id, shown, found, at in sorted(items, key=lambda i: i[3])}
    open_rows = await bulk.fetch_in(DriftFlag, "SELECT id, camera_id FROM drift_flag WHERE cleared_at IS NULL "
                                    "AND kind = 'stream_path' AND camera_id IN ({in})", list(newest))
    existing = {r["camera_id"]: r["id"] for r in open_rows}
    await bulk.insert_rows(DriftFlag, [
        {"camera_id": c, "kind": "stream_path", "expected": shown[:drift.SHOWN_MAX], "reported": "not found",
         "other_camera_id": None, "first_seen": at, "last_seen": at}
        for c, (shown, found, at) in newest.items() if not found and c not in existing])
    await bulk.execute_many(DriftFlag, "UPDATE drift_flag SET last_seen = ?, expected = ? WHERE id = ?",
                            [[at, shown[:drift.SHOWN_MAX], existing[c]] for c, (shown, found, at) in newest.items()
                             if not found and c in existing])
    await bulk.execute_many(DriftFlag, "UPDATE drift_flag SET cleared_at = ? WHERE id = ?",
                            [[at, existing[c]] for c, (shown, found, at) in newest.items() if found and c in existing])
