"""Each scheduled job holds a transaction advisory lock (PostgreSQL): two nodes never run the same
job at once, even when leadership moves while a slowed job is still running. And a large task
sync is followed by ANALYZE of the tables it filled."""

from __future__ import annotations

import asyncio
import os
import time

import pytest
from prometheus_client import REGISTRY

from assetsvc import bulk, db
from assetsvc.app import jobs
from assetsvc.app.leader import LOCK_KEY
from assetsvc.monitoring import tasks
from assetsvc.monitoring.config import parse
from assetsvc.monitoring.tables import ProbeTask
from assetsvc.registry.tables import Camera

POSTGRES = os.environ.get("ASSETSVC_TEST_DB", "sqlite") == "postgres"
CONFIG = parse("""
[[class]]
name = "onvif"
when = { subject = "camera", protocol = "onvif" }
light = { every = 300, probes = ["onvif_light"], timeout = 3 }
""", "test")
SLOW_S = 2.5


def slow_job(node: str, runs: list[tuple[str, float, float]]) -> jobs.Job:
    """The same job name on every node; each run records who ran it, from when to when."""

    async def run(config) -> object:
        started = time.monotonic()
        try:
            await asyncio.sleep(SLOW_S)  # slowed on purpose: leadership moves while it runs
        finally:  # a run cut short (its scheduler shut down) counts until it stopped
            runs.append((node, started, time.monotonic()))
        return None

    return jobs.Job("slow_report", run, 0.5, "a job slowed down on purpose")


def skipped_runs() -> float:
    return REGISTRY.get_sample_value("assetsvc_job_duration_seconds_count",
                                     {"job": "slow_report", "outcome": "skipped"}) or 0


async def drop_leader_connection() -> int:
    """End the session holding the scheduler's leadership lock (as a network cut would)."""
    rows = await bulk.fetch(ProbeTask, "SELECT pg_terminate_backend(pid) AS ended FROM pg_locks WHERE locktype = "
                            "'advisory' AND classid = ? AND objid = ? AND granted",
                            [LOCK_KEY >> 32, LOCK_KEY & 0xFFFFFFFF])
    return len(rows)


@pytest.mark.skipif(not POSTGRES, reason="job locks are PostgreSQL advisory locks (SQLite: one machine)")
async def test_two_nodes_never_run_the_same_job_at_once_when_leadership_moves_mid_run():
    runs: list[tuple[str, float, float]] = []
    skipped_before = skipped_runs()
    stop_a, stop_b = asyncio.Event(), asyncio.Event()
    # Node a checks its leadership only every 6 s: for that long after losing it, a still believes
    # it leads and its scheduler keeps starting the job (a node cut off from the server, or slow).
    node_a = asyncio.create_task(jobs.lead(CONFIG, stop_a, "node-a", check_every_s=6,
                                           jobs=(slow_job("a", runs),)))
    await asyncio.sleep(0.8)  # node a leads and its first run is under way
    node_b = asyncio.create_task(jobs.lead(CONFIG, stop_b, "node-b", check_every_s=0.2,
                                           jobs=(slow_job("b", runs),)))
    await asyncio.sleep(0.4)
    dropped = time.monotonic()
    assert await drop_leader_connection() == 1  # a loses leadership while its run goes on; b takes it
    deadline = time.monotonic() + 30
    while not any(node == "b" for node, _, _ in runs) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    stop_b.set()
    stop_a.set()
    await asyncio.gather(node_a, node_b)
    assert {node for node, _, _ in runs} == {"a", "b"}, runs  # leadership did move to b
    spans = sorted((start, end) for _, start, end in runs)
    overlaps = [(x, y) for x, y in zip(spans, spans[1:]) if y[0] < x[1]]
    assert overlaps == [], runs
    # b's scheduler started the job at once on taking over and found a's run holding the lock.
    assert skipped_runs() > skipped_before
    # a went on running the job after b took over: without the job lock the two would overlap.
    b_first = min(start for node, start, _ in runs if node == "b")
    assert any(node == "a" and end > dropped for node, _, end in runs) and b_first > dropped


async def test_a_job_runs_under_its_lock_and_a_second_run_at_once_is_skipped():
    entered = asyncio.Event()
    release = asyncio.Event()

    async def hold(config) -> object:
        entered.set()
        await release.wait()
        return None

    job = jobs.Job("held_job", hold, 60, "holds until released")
    first = asyncio.create_task(jobs._run_job(job, CONFIG))  # noqa: SLF001
    await entered.wait()
    if POSTGRES:
        assert await jobs._run_job(job, CONFIG) == "skipped"  # noqa: SLF001 - another session holds it
    release.set()
    assert await first == "ok"
    assert await jobs._run_job(jobs.Job("held_job", lambda c: asyncio.sleep(0), 60, ""), CONFIG) == "ok"  # noqa: SLF001


async def test_a_large_task_sync_analyzes_the_tables_it_filled():
    rows = [{"gb_id": f"330106001313200{n:05d}", "name": f"cam {n}", "region_code": "330106",
             "probe_protocols": ["onvif"], "ports": {}} for n in range(tasks.ANALYZE_AFTER_ROWS + 10)]
    async with db.write_transaction():
        await bulk.insert_rows(Camera, rows)
    report = await tasks.sync(CONFIG, time.time())
    assert report.tasks_added == len(rows) and report.analyzed
    if POSTGRES:
        stats = await bulk.fetch(ProbeTask, "SELECT relname, analyze_count FROM pg_stat_user_tables WHERE relname "
                                 "IN ('probe_task', 'device_state', 'state_interval')")
        assert len(stats) == 3 and all(s["analyze_count"] >= 1 for s in stats), stats
    else:
        stats = await bulk.fetch(ProbeTask, "SELECT tbl, stat FROM sqlite_stat1 WHERE tbl IN "
                                 "('probe_task', 'device_state', 'state_interval')")
        assert {s["tbl"] for s in stats} == {"probe_task", "device_state", "state_interval"}
        assert any(s["tbl"] == "probe_task" and s["stat"].startswith(str(len(rows))) for s in stats), stats
    small = await tasks.sync(CONFIG, time.time())  # nothing new: no ANALYZE
    assert small.tasks_added == 0 and not small.analyzed


async def job_lock_sessions() -> int:
    """End the sessions holding job locks (transaction-level advisory locks), as a server restart would."""
    rows = await bulk.fetch(ProbeTask, "SELECT pg_terminate_backend(l.pid) AS ended FROM pg_locks l "
                            "WHERE l.locktype = 'advisory' AND l.granted AND l.pid <> pg_backend_pid() "
                            "AND NOT (l.classid = ? AND l.objid = ?)", [LOCK_KEY >> 32, LOCK_KEY & 0xFFFFFFFF])
    return len(rows)


@pytest.mark.skipif(not POSTGRES, reason="job locks are PostgreSQL advisory locks (SQLite: one machine)")
async def test_a_run_whose_lock_session_is_cut_ends_with_its_own_outcome(caplog):
    entered, release = asyncio.Event(), asyncio.Event()

    async def work(config) -> object:
        entered.set()
        await release.wait()
        return "done"

    async def broken(config) -> object:
        entered.set()
        await release.wait()
        raise ValueError("the job's own error")

    for job, expected in ((jobs.Job("cut_ok", work, 60, ""), "ok"), (jobs.Job("cut_failing", broken, 60, ""), "failed")):
        entered.clear()
        release.clear()
        caplog.clear()
        run = asyncio.create_task(jobs._run_job(job, CONFIG))  # noqa: SLF001
        await entered.wait()
        assert await job_lock_sessions() == 1  # the lock's session is gone while the job runs on
        await asyncio.sleep(0.2)  # the client sees the connection close
        release.set()
        assert await run == expected
        text = caplog.text
        assert f"job {job.name}: the session holding its lock was cut" in text
        assert "underlying connection is closed" not in text
        if expected == "failed":
            assert "the job's own error" in text  # the job's error, not the lock's
