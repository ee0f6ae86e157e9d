"""Keep the probe work queue and the open state intervals in step with the registry (a leader job)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from assetsvc import bulk, db
from assetsvc.monitoring import evidence, picture_memory
from assetsvc.monitoring.config import MonitoringConfig
from assetsvc.monitoring.subjects import wanted_sql
from assetsvc.monitoring.tables import DeviceState, ProbeTask, StateInterval

# A sync that adds this many rows (a first import of a large registry) refreshes the planner's
# statistics of the tables it filled: autovacuum's analyze would come minutes later, and until
# then PostgreSQL plans the claim and the writer's lookups for the empty tables it last saw.
ANALYZE_AFTER_ROWS = 1000
FILLED = ("probe_task", "device_state", "state_interval")


@dataclass(frozen=True)
class SyncReport:
    tasks_added: int
    tasks_removed: int
    subjects_added: int
    subjects_removed: int
    analyzed: bool = False


def first_due(now: float, every_s: float, rng: random.Random) -> float:
    """A new task's first run: uniformly spread over one interval, so load is flat from the start."""
    return now + rng.uniform(0, every_s)


async def sync(config: MonitoringConfig, now: float, rng: random.Random | None = None) -> SyncReport:
    """Add tasks and states for newly monitored devices, drop those no longer in service.

    A device entering service gets an `unknown` interval from now; one leaving service (declared
    planned or decommissioned, or deleted) has its open interval closed at now, so its time is
    no longer counted.

    The comparison runs in the database (subjects.wanted_sql: the registry classified by the
    configuration's classes in SQL), so a minute in which nothing changed reads no task or state
    row into Python; only the differences come back.
    """
    rng = rng or random.Random()
    wanted, args = wanted_sql(config)
    async with db.write_transaction():
        added = [{"subject_type": r["subject_type"], "subject_id": r["subject_id"], "plan": r["plan"],
                  "due_at": first_due(now, config.classes[r["cls"]].plans[r["plan"]].every_s, rng)}
                 for r in await bulk.fetch(ProbeTask, f"""
            WITH {wanted}
            SELECT w.subject_type, w.subject_id, w.plan, w.cls FROM wanted_task w
            WHERE NOT EXISTS (SELECT 1 FROM probe_task t WHERE t.subject_type = w.subject_type
                              AND t.subject_id = w.subject_id AND t.plan = w.plan)
            ORDER BY w.subject_type, w.subject_id, w.k""", args)]
        stale_tasks = [[r["id"]] for r in await bulk.fetch(ProbeTask, f"""
            WITH {wanted}
            SELECT t.id FROM probe_task t
            WHERE NOT EXISTS (SELECT 1 FROM wanted_task w WHERE w.subject_type = t.subject_type
                              AND w.subject_id = t.subject_id AND w.plan = t.plan)
            ORDER BY t.id""", args)]
        await bulk.insert_rows(ProbeTask, added)
        await bulk.execute_many(ProbeTask, "DELETE FROM probe_task WHERE id = ?", stale_tasks)
        new = [(r["subject_type"], r["subject_id"]) for r in await bulk.fetch(DeviceState, f"""
            WITH {wanted}
            SELECT w.subject_type, w.subject_id FROM wanted_subject w
            WHERE NOT EXISTS (SELECT 1 FROM device_state s WHERE s.subject_type = w.subject_type
                              AND s.subject_id = w.subject_id)
            ORDER BY w.subject_type, w.subject_id""", args)]
        gone = [(r["subject_type"], r["subject_id"]) for r in await bulk.fetch(DeviceState, f"""
            WITH {wanted}
            SELECT s.subject_type, s.subject_id FROM device_state s
            WHERE NOT EXISTS (SELECT 1 FROM wanted_subject w WHERE w.subject_type = s.subject_type
                              AND w.subject_id = s.subject_id)
            ORDER BY s.subject_type, s.subject_id""", args)]
        await bulk.insert_rows(DeviceState, [
            {"subject_type": t, "subject_id": i, "state": "unknown", "cause": "no data", "since": now,
             "aspects": {}} for t, i in new])
        await bulk.insert_rows(StateInterval, [
            {"subject_type": t, "subject_id": i, "state": "unknown", "cause": "no data", "start": now}
            for t, i in new])
        # The state row goes first: on PostgreSQL the DELETE waits for a worker that holds the row
        # (writer.states locks it), so the interval close below sees what that worker wrote.
        await bulk.execute_many(DeviceState, "DELETE FROM device_state WHERE subject_type = ? AND subject_id = ?",
                                [[t, i] for t, i in gone])
        await bulk.execute_many(StateInterval, 'UPDATE state_interval SET "end" = ? WHERE subject_type = ? '
                                'AND subject_id = ? AND "end" IS NULL', [[now, t, i] for t, i in gone])
        await picture_memory.forget(i for t, i in gone if t == "camera")
        await evidence.forget([i for t, i in gone if t == "camera"], now)
        # The stream URIs it reported go with it (SQLite reuses a deleted camera's id).
        await bulk.execute_many(DeviceState, "DELETE FROM stream_source WHERE camera_id = ?",
                                [[i] for t, i in gone if t == "camera"])
    analyzed = len(added) + len(new) >= ANALYZE_AFTER_ROWS
    if analyzed:  # after the commit (the statistics must see the rows), outside any transaction
        for table in FILLED:
            await db.engine().run_ddl(f"ANALYZE {table}")
    return SyncReport(len(added), len(stale_tasks), len(new), len(gone), analyzed)


def describe(report: SyncReport) -> dict[str, Any]:
    return {"tasks_added": report.tasks_added, "tasks_removed": report.tasks_removed,
            "subjects_added": report.subjects_added, "subjects_removed": report.subjects_removed,
            "analyzed": report.analyzed}
