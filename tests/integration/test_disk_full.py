"""A full disk during a probe cycle and during an import: said plainly, nothing partial, and the
service carries on once space returns.

The disk fills without filling the real one: every SQLite connection the service opens gets
`PRAGMA max_page_count` at the database's current size (SQLite keeps it at least that), so the
first write that needs a new page fails with SQLITE_FULL ("database or disk is full"), exactly
as a full file system makes it fail. Lifting the limit is space returning. SQLite only: a full
PostgreSQL disk answers DiskFullError, which storage.classify() maps the same way.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3

import pytest

from assetsvc import bulk, db
from assetsvc.monitoring.tables import DeviceState, LatestResult, ProbeTask, ResultHistory, StateInterval
from assetsvc.registry.tables import Camera, ImportJob
from tests.conftest import ENGINE, SHARED_DATA
from tests.fakes.onvif_device import FakeOnvifDevice
from tests.integration.conftest import bearer, finished_job
from tests.integration.test_monitoring_engine import T0, Clock, camera, config_text, setup

pytestmark = pytest.mark.skipif(ENGINE != "sqlite", reason="max_page_count is SQLite's; PostgreSQL maps DiskFullError")

CAMERAS = 40


@pytest.fixture
def disk(monkeypatch):
    """disk.full() / disk.freed(): new connections get (or not) a page limit at the file's size."""

    class Disk:
        limited = False

        def full(self) -> None:
            # VACUUM first: free pages that earlier tests left in the file would otherwise take
            # writes below the limit, and whether a write fails would depend on the test order.
            with sqlite3.connect(db.engine().path) as conn:
                conn.execute("VACUUM")
            self.limited = True

        def freed(self) -> None:
            self.limited = False

    state = Disk()
    plain_init = db._Connection.__init__

    def init(self, *args, **kwargs):
        plain_init(self, *args, **kwargs)
        if state.limited:
            self.execute("PRAGMA max_page_count = 1")  # raised to the current size by SQLite

    monkeypatch.setattr(db._Connection, "__init__", init)
    return state


async def written() -> dict[str, int]:
    counts = {}
    for table in (LatestResult, ResultHistory, StateInterval):
        counts[table._meta.tablename] = await table.count().run()
    counts["unknown"] = await DeviceState.count().where(DeviceState.state == "unknown").run()
    counts["runs"] = (await bulk.fetch(ProbeTask, "SELECT COALESCE(SUM(runs), 0) AS n FROM probe_task"))[0]["n"]
    return counts


async def until(condition, what: str) -> None:
    for _ in range(600):  # bounded: 30 s at most
        if await condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def test_a_full_disk_during_a_probe_cycle_writes_nothing_then_the_next_write_succeeds(disk, caplog):
    caplog.set_level(logging.WARNING, logger="assetsvc.monitoring")
    async with FakeOnvifDevice() as device:
        cameras = [await camera(n, device.port) for n in range(CAMERAS)]
        clock = Clock()
        worker = await setup(config_text(), clock)
        clock.now = T0 + 300  # every light check due
        before = await written()
        assert before["unknown"] == CAMERAS and before["latest_result"] == 0

        disk.full()
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run(stop, flush_every_s=0.05))
        try:
            async def failed_twice():
                return worker.stats.errors >= 2

            await until(failed_twice, "the worker to meet the full disk")
            # nothing partial: no result, no history, no transition, no task handed back
            assert await written() == before
            assert worker.stats.written == 0
            message = next(r.getMessage() for r in caplog.records if "full" in r.getMessage())
            assert "the disk holding the database or data folder is full; nothing was written" in message
            assert f"{CAMERAS} finished probe(s) kept for the next write" in message
            assert worker.stats.probed == CAMERAS  # each camera probed once, not again while waiting

            disk.freed()

            async def all_written():
                return worker.stats.written == CAMERAS

            await until(all_written, "the kept results to be written once space returned")
        finally:
            stop.set()
            await running
    after = await written()
    assert after["latest_result"] == CAMERAS and after["unknown"] == 0
    assert after["runs"] == CAMERAS  # each task completed exactly once
    states = await DeviceState.select(DeviceState.state).where(DeviceState.subject_id.is_in(cameras)).run()
    assert {s["state"] for s in states} == {"up"}
    assert worker.stats.probed == CAMERAS


@pytest.mark.skipif(not (SHARED_DATA / "registry-sample.xlsx").exists(), reason="shared sample sheet absent")
async def test_an_import_on_a_full_disk_says_so_writes_nothing_and_succeeds_after(client, people, disk):
    files = {"data": ("registry-sample.xlsx", (SHARED_DATA / "registry-sample.xlsx").read_bytes())}
    disk.full()
    # Whether the job's own row still fits in a page the file has depends on the free pages the
    # earlier tests left: either the request answers 507, or the job starts and its import fails.
    started = await client.post("/api/v1/import?skip_invalid=true", files=files, headers=bearer(people.admin))
    full = "the disk holding the database or data folder is full; nothing was written. Free space and the service"
    if started.status_code == 507:
        assert full in started.json()["detail"]
    else:
        assert started.status_code == 202, started.text
        job = await finished_job(client, people.admin, started.json())
        assert job["state"] == "failed" and job["report"] is None
        assert job["error"]["detail"].startswith(f"the import was not written: {full}")
    assert await Camera.count().run() == 0
    disk.freed()
    started = await client.post("/api/v1/import?skip_invalid=true", files=files, headers=bearer(people.admin))
    job = await finished_job(client, people.admin, started.json())
    assert job["state"] == "done"
    assert await Camera.count().run() == 285
    assert await ImportJob.count().where(ImportJob.state == "done").run() == 1


@pytest.mark.skipif(not (SHARED_DATA / "registry-sample.xlsx").exists(), reason="shared sample sheet absent")
async def test_an_import_written_before_the_disk_filled_says_done_and_is_recorded_once_space_returns(
        client, people, disk, monkeypatch):
    from assetsvc.registry import import_jobs

    plain_finish = import_jobs._finish

    async def finish_on_a_full_disk(*args, **kwargs):
        disk.full()  # the import's rows are in; the job's outcome (its report) needs new pages
        await plain_finish(*args, **kwargs)

    monkeypatch.setattr(import_jobs, "_finish", finish_on_a_full_disk)
    files = {"data": ("registry-sample.xlsx", (SHARED_DATA / "registry-sample.xlsx").read_bytes())}
    started = await client.post("/api/v1/import?skip_invalid=true", files=files, headers=bearer(people.admin))
    assert started.status_code == 202, started.text
    job = await finished_job(client, people.admin, started.json())
    # Not "interrupted": the outcome kept in memory is shown until it can be written.
    assert job["state"] == "done" and job["report"] is not None
    assert (await ImportJob.select(ImportJob.state).where(ImportJob.id == job["id"]).first().run())["state"] == "running"
    disk.freed()
    again = await client.get(f"/api/v1/import/jobs/{job['id']}", headers=bearer(people.admin))
    assert again.json()["state"] == "done"
    assert (await ImportJob.select(ImportJob.state).where(ImportJob.id == job["id"]).first().run())["state"] == "done"
    assert await Camera.count().run() == 285
