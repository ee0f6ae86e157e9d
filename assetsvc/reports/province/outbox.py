"""Queueing an approved version for the province, in the approval's own transaction (outbox).

The delivery row is written with the approval or not at all, so no approved version is missed
and none is queued twice (one row per version: report_version is unique). A version approved
after another of the same month was queued is a correction naming the version it replaces.
"""

from __future__ import annotations

from typing import Any

from assetsvc import bulk, db
from assetsvc.reports.province.tables import ProvinceDelivery


def idempotency_key(month: str, version: int) -> str:
    """The key a receiver dedupes on: (report, month, version)."""
    return f"monthly-report:{month}:v{version}"


async def enqueue(version_row: dict[str, Any], at: float) -> bool:
    """Queue one approved version (id, month, version) unless it is queued already; whether it was."""
    if db.engine().current_transaction.get() is None:
        raise RuntimeError("province enqueue runs inside the approval's db.write_transaction()")
    queued = await bulk.fetch(ProvinceDelivery, "SELECT id FROM province_delivery WHERE report_version = ?",
                              [version_row["id"]])
    if queued:
        return False
    before = await bulk.fetch(ProvinceDelivery, "SELECT version FROM province_delivery WHERE month = ? AND version < ? "
                              "ORDER BY version DESC LIMIT 1", [version_row["month"], version_row["version"]])
    replaces = before[0]["version"] if before else None
    await bulk.insert_rows(ProvinceDelivery, [{
        "report_version": version_row["id"], "month": version_row["month"], "version": version_row["version"],
        "idempotency_key": idempotency_key(version_row["month"], version_row["version"]),
        "kind": "correction" if replaces is not None else "report", "replaces": replaces, "payload": None,
        "state": "pending", "attempts": 0, "next_at": at, "since": at, "created_at": at}])
    return True
