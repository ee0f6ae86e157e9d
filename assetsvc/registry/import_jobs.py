"""Imports sent through the API run as jobs (导入任务): answered at once, run beside requests, polled.

The job row is the truth every process reads: its state, stage and row counts while it runs
(the heartbeat moves every BEAT_SECONDS), then the import report or the error. A job runs as a
task of the process that accepted the upload; reading and validating go to a worker thread
(importer.import_sheet), the database work stays on the event loop.

Other imports (monitoring's history import, the tickets' work-order import) run as jobs the
same way: they pass their own `run(progress)`, whose report has `rows`, `rejected` and
`to_json()` like ImportReport.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Protocol

from piccolo.query.functions.aggregate import Count

from assetsvc import db, storage
from assetsvc.actor import Actor
from assetsvc.errors import Forbidden, NotFound, ServiceError
from assetsvc.registry.importer import Progress, import_sheet
from assetsvc.registry.tables import ImportJob

log = logging.getLogger(__name__)

BEAT_SECONDS = 0.5
# A running job whose heartbeat is older than this was interrupted (its process died).
STALE_SECONDS = 30
ACTIVE = ("queued", "running")
# Strong references to the running tasks: the event loop keeps only weak ones.
_running: dict[int, asyncio.Task] = {}
# A finished job whose outcome could not be written (the disk was full): the outcome is kept here,
# shown by get() and written by the first get() that can. Its import may well have been written.
_unrecorded: dict[int, dict[Any, Any]] = {}
# One import at a time per process: the others stay queued. Two imports writing at once raced
# on the lookups they create (the same region or station inserted twice) and share two cores.
_one_at_a_time: asyncio.Lock | None = None


def _turn() -> asyncio.Lock:
    global _one_at_a_time
    if _one_at_a_time is None:
        _one_at_a_time = asyncio.Lock()
    return _one_at_a_time


@dataclass(frozen=True, slots=True)
class JobProgress:
    """Rows through the current stage (reading, validating, writing); total 0 while unknown."""

    stage: str
    done: int
    total: int


@dataclass(frozen=True, slots=True)
class JobError:
    """Why a job failed, shaped as the API's error body."""

    detail: str
    errors: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class ImportJobView:
    """An import job as the API shows it.

    state: queued, running, then done (the report), rejected (an atomic import with invalid
    rows: the report, nothing written) or failed (the error: an unreadable file, an
    interruption).
    """

    id: int
    state: str
    progress: JobProgress
    file: str
    dry_run: bool
    skip_invalid: bool
    created_by: str
    created_at: dt.datetime
    finished_at: dt.datetime | None
    report: dict[str, Any] | None
    error: JobError | None


class Report(Protocol):
    """What a job's import answers: its rows, whether any was rejected, and its JSON form."""

    rows: list[Any]

    @property
    def rejected(self) -> int: ...

    def to_json(self) -> dict[str, Any]: ...


# An import run by a job: given the progress to move, its report (ServiceError: the job failed).
Runner = Callable[[Progress], Awaitable[Report]]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _view(row: dict[str, Any]) -> ImportJobView:
    error = row["error"]
    return ImportJobView(
        id=row["id"], state=row["state"],
        progress=JobProgress(row["stage"], row["done"], row["total"]),
        file=row["filename"], dry_run=row["dry_run"], skip_invalid=row["skip_invalid"],
        created_by=row["created_by"], created_at=row["created_at"], finished_at=row["finished_at"],
        report=row["report"], error=JobError(error["detail"], error["errors"]) if error else None,
    )


def _admin_only(actor: Actor) -> None:
    if actor.role != "admin":
        raise Forbidden("only the video office (admin) may run imports and read their jobs")


async def start(data: bytes, filename: str, actor: Actor, *, dry_run: bool = False,
                skip_invalid: bool = False, max_bytes: int = 50 * 2**20,
                run: Runner | None = None) -> ImportJobView:
    """Record a queued import job and start it in this process; the job as it stands now.

    Without `run` the job imports the camera sheet; with it, the job runs that import instead.
    """
    _admin_only(actor)
    job = ImportJob(filename=filename[:255], dry_run=dry_run, skip_invalid=skip_invalid,
                    created_by=actor.username, created_at=_now(), heartbeat_at=_now())
    await job.save().run()
    if run is None:
        def run(progress: Progress) -> Awaitable[Report]:
            return import_sheet(data, filename, actor, dry_run=dry_run, skip_invalid=skip_invalid,
                                max_bytes=max_bytes, source="api", progress=progress)
    task = asyncio.create_task(_run(job.id, run, skip_invalid))
    _running[job.id] = task
    task.add_done_callback(lambda _: _running.pop(job.id, None))
    return await get(actor, job.id)


async def get(actor: Actor, job_id: int) -> ImportJobView:
    """One job (admin only, like the import)."""
    _admin_only(actor)
    row = await ImportJob.select().where(ImportJob.id == job_id).first().output(load_json=True).run()
    if row is None:
        raise NotFound(f"no import job {job_id}")
    if job_id in _unrecorded:
        values = _unrecorded[job_id]
        if await _record(job_id, values):
            _unrecorded.pop(job_id, None)
        row |= {column._meta.name: value for column, value in values.items()}
    elif row["state"] in ACTIVE and job_id not in _running and await fail_interrupted(job_id):
        row = await ImportJob.select().where(ImportJob.id == job_id).first().output(load_json=True).run()
    return _view(row)


async def wait(actor: Actor, job_id: int, poll: float = 0.05) -> ImportJobView:
    """The job once it has finished (for callers in the same process: tests, scripts)."""
    while (job := await get(actor, job_id)).state in ACTIVE:
        await asyncio.sleep(poll)
    return job


async def _finish(job_id: int, state: str, report: Report | None = None,
                  error: JobError | None = None) -> None:
    values: dict[Any, Any] = {ImportJob.state: state, ImportJob.finished_at: _now(),
                              ImportJob.heartbeat_at: _now()}
    if report is not None:
        values[ImportJob.report] = report.to_json()
        values[ImportJob.stage] = "finished"
        values[ImportJob.done] = values[ImportJob.total] = len(report.rows)
    if error is not None:
        values[ImportJob.error] = {"detail": error.detail, "errors": error.errors}
    if not await _record(job_id, values):
        _unrecorded[job_id] = values


async def _record(job_id: int, values: dict[Any, Any]) -> bool:
    """Write a finished job's outcome; False when the disk is full (the caller keeps it in memory)."""
    try:
        await ImportJob.update(values).where(ImportJob.id == job_id).run()
    except Exception as exc:
        if (failure := storage.classify(exc)) is None:
            raise
        log.error("import job %s: its outcome could not be recorded yet: %s", job_id, failure)
        return False
    return True


async def _beat(job_id: int, progress: Progress) -> None:
    """Write the job's progress and heartbeat every BEAT_SECONDS until cancelled."""
    while True:
        await asyncio.sleep(BEAT_SECONDS)
        # SQLite quirk: the import's write transaction holds the database's one write lock, so a
        # progress write would wait for it to end; the writing stage shows when it is done.
        if progress.stage == "writing" and db.is_sqlite():
            continue
        values: dict[Any, Any] = {ImportJob.heartbeat_at: _now()}
        if progress.stage != "queued":
            values.update({ImportJob.stage: progress.stage, ImportJob.done: progress.done,
                           ImportJob.total: progress.total})
        try:
            await ImportJob.update(values).where(ImportJob.id == job_id, ImportJob.state.is_in(list(ACTIVE))).run()
        except Exception:  # noqa: BLE001 - a missed beat is not the import's failure
            log.warning("import job %s: progress not recorded", job_id, exc_info=True)


async def _run(job_id: int, run: Runner, skip_invalid: bool) -> None:
    progress = Progress()
    # The heartbeat moves from the start, so that a job queued behind another is not taken
    # for an interrupted one.
    beat = asyncio.create_task(_beat(job_id, progress))
    try:
        async with _turn():
            await _run_now(job_id, run, skip_invalid, progress)
    except asyncio.CancelledError:
        await _finish(job_id, "failed", error=JobError("the import was interrupted: the service stopped", []))
        raise
    finally:
        beat.cancel()


async def _run_now(job_id: int, run: Runner, skip_invalid: bool, progress: Progress) -> None:
    await ImportJob.update({ImportJob.state: "running", ImportJob.heartbeat_at: _now()}).where(
        ImportJob.id == job_id).run()
    try:
        report = await run(progress)
    except ServiceError as exc:
        await _finish(job_id, "failed", error=JobError(exc.message, exc.errors))
    except Exception as exc:
        if (failure := storage.classify(exc)) is None:
            log.exception("import job %s failed", job_id)
            await _finish(job_id, "failed", error=JobError("the import failed on an internal error", []))
        else:  # a full disk: the import's transaction was rolled back, nothing of it is in the registry
            log.error("import job %s failed: %s", job_id, failure)
            await _finish(job_id, "failed", error=JobError(f"the import was not written: {failure}", []))
    else:
        # An atomic import with invalid rows wrote nothing: the API answered 422 for it before jobs.
        rejected = bool(report.rejected) and not skip_invalid
        await _finish(job_id, "rejected" if rejected else "done", report=report)


async def fail_interrupted(job_id: int | None = None) -> int:
    """Mark as failed the active jobs no process is running (their heartbeat stopped); how many.

    Start-up calls it for every job, a read for the job it shows. A job running here is never
    touched: its heartbeat is not read, its task is.
    """
    stale = _now() - dt.timedelta(seconds=STALE_SECONDS)
    query = ImportJob.update({
        ImportJob.state: "failed", ImportJob.finished_at: _now(),
        ImportJob.error: {"detail": "the import was interrupted (its process stopped); nothing "
                                    "was written unless the report says so: run it again",
                          "errors": []},
    }).where(ImportJob.state.is_in(list(ACTIVE)), ImportJob.heartbeat_at < stale)
    if job_id is not None:
        query = query.where(ImportJob.id == job_id)
    if here := [*_running, *_unrecorded]:
        query = query.where(ImportJob.id.not_in(here))
    done = await query.returning(ImportJob.id).run()
    return len(done or [])


async def sweep() -> None:
    """At start-up: fail the jobs a stopped process left active."""
    count = await fail_interrupted()
    if count:
        log.warning("%d import job(s) left running by a stopped process marked failed", count)


async def stop_running() -> None:
    """At shutdown: cancel this process's jobs (each is marked failed as it stops)."""
    tasks = list(_running.values())
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def counts() -> dict[str, int]:
    """Import jobs per state (queued, running, done, rejected, failed), for /metrics."""
    rows = await ImportJob.select(ImportJob.state, Count(ImportJob.id, alias="n")).group_by(ImportJob.state).run()
    return {row["state"]: int(row["n"]) for row in rows}
