"""Every scheduled job, declared in one list, run by APScheduler 3 on the leader node only."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from dataclasses import dataclass
from typing import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from assetsvc import telemetry
from assetsvc.actor import Actor
from assetsvc.app.leader import Leadership, job_lock
from assetsvc.monitoring import evidence, stale, tasks, uptime_series, worker
from assetsvc.monitoring.config import MonitoringConfig
from assetsvc.reports import versions as reports
from assetsvc.reports.province import delivery as province
from assetsvc.runtime import settings
from assetsvc.tickets import opener, sweep, verify
from assetsvc.webhooks import delivery

log = logging.getLogger("assetsvc.jobs")
NODE_FORGET_S = 86400  # a node not seen for a day is dropped from the node list


@dataclass(frozen=True)
class Job:
    """A scheduled job: a coroutine taking the monitoring configuration, run every `every_s`."""

    name: str
    run: Callable[[MonitoringConfig], Awaitable[object]]
    every_s: float
    doc: str
    cron: str | None = None  # a crontab line in the office time zone instead of every_s (first run then, not at once)


async def _sync(config: MonitoringConfig) -> object:
    return tasks.describe(await tasks.sync(config, time.time()))


async def _stale(config: MonitoringConfig) -> object:
    return await stale.sweep(config.state_rules(), time.time())


async def _nodes(config: MonitoringConfig) -> object:
    await worker.forget_nodes(time.time() - NODE_FORGET_S)
    return None


async def _tickets(config: MonitoringConfig) -> object:
    return (await opener.run(time.time())).describe()


async def _verify(config: MonitoringConfig) -> object:
    return (await verify.run(time.time())).describe()


async def _sla(config: MonitoringConfig) -> object:
    return (await sweep.run(time.time())).describe()


async def _webhooks(config: MonitoringConfig) -> object:
    return await delivery.job()


async def _province(config: MonitoringConfig) -> object:
    return await province.job()


async def _evidence(config: MonitoringConfig) -> object:
    return await evidence.evict(time.time())


async def _rollup(config: MonitoringConfig) -> object:
    return await uptime_series.roll_up(time.time(), settings().uptime_rollup_days)


ROLLUP_CRON = "10 1 * * *"  # 01:10 office time: yesterday is closed (uptime_forget.GRACE_S after midnight)


REPORT_ACTOR = Actor(user_id=0, username="system:monthly-report", role="admin", contractor_id=None)
REPORT_CRON = "0 2 1 * *"  # 02:00 on the 1st, office time: the month just ended is drafted


def month_just_ended(now: float) -> str:
    """The calendar month before the one `now` falls in (office time zone)."""
    today = dt.datetime.fromtimestamp(now, settings().zone).date().replace(day=1) - dt.timedelta(days=1)
    return f"{today.year}-{today.month:02d}"


async def _report(config: MonitoringConfig) -> object:
    now = time.time()
    found = await reports.generate(REPORT_ACTOR, month_just_ended(now), now)
    return f"{found['month']} v{found['version']} {'new draft' if found['created'] else 'unchanged'}"


# The one place schedules are declared.
JOBS: tuple[Job, ...] = (
    Job("sync_tasks", _sync, 60, "probe tasks and states follow the registry (new, changed, retired devices)"),
    Job("stale_sweep", _stale, 60, "subjects with no result for stale_after_s become unknown"),
    Job("forget_nodes", _nodes, 3600, "drop workers not seen for a day from the node list"),
    Job("open_tickets", _tickets, 60, "confirmed faults open tickets; recoveries close untouched ones; "
                                      "cameras behind a dead upstream device are linked to its ticket"),
    Job("verify_tickets", _verify, 15, "resolved tickets are closed or reopened by the first check after the resolve"),
    Job("sla_sweep", _sla, 30, "breached SLA stages are marked and notified; long breaches escalate to the office"),
    Job("evidence_evict", _evidence, 600, "evidence frames over ASSETSVC_EVIDENCE_MAX_MB: the oldest no ticket "
                                          "keeps go; expired ticket holds are dropped"),
    Job("deliver_webhooks", _webhooks, 15, "send due webhook deliveries (signed; retried with back-off)"),
    Job("deliver_province", _province, 30, "send approved monthly reports to the provincial platform "
                                           "(signed, idempotent; retried up to an hour apart; docs/province.md)"),
    Job("uptime_rollup", _rollup, 0, "roll up yesterday's (and any missed) uptime per camera and day for the "
                                     "daily series; prune days older than ASSETSVC_UPTIME_ROLLUP_DAYS",
        cron=ROLLUP_CRON),
    Job("monthly_report", _report, 0, "draft the report of the month just ended (docs/reports.md)", cron=REPORT_CRON),
)


async def _run_job(job: Job, config: MonitoringConfig) -> str:
    """One run under the job's lock: ok, failed, or skipped (another node is running this job)."""
    started = time.perf_counter()
    try:
        async with job_lock(job.name) as mine:
            if not mine:
                log.warning("job %s skipped: another node is still running it", job.name)
                telemetry.JOB_DURATION.labels(job.name, "skipped").observe(time.perf_counter() - started)
                return "skipped"
            outcome = await job.run(config)
    except Exception:  # noqa: BLE001 - one failed run is logged; the schedule goes on
        log.exception("job %s failed", job.name)
        telemetry.JOB_FAILURES.labels(job.name).inc()
        telemetry.JOB_DURATION.labels(job.name, "failed").observe(time.perf_counter() - started)
        return "failed"
    took = time.perf_counter() - started
    telemetry.JOB_DURATION.labels(job.name, "ok").observe(took)
    log.info("job %s done in %.2f s: %s", job.name, took, outcome)
    return "ok"


def build_scheduler(config: MonitoringConfig, jobs: tuple[Job, ...] = JOBS) -> AsyncIOScheduler:
    """An APScheduler with every job (first run at once), in memory: job stores are never shared."""
    scheduler = AsyncIOScheduler(job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30})
    for job in jobs:
        if job.cron is not None:
            scheduler.add_job(_run_job, CronTrigger.from_crontab(job.cron, timezone=settings().zone),
                              args=[job, config], id=job.name, name=job.doc)
            continue
        scheduler.add_job(_run_job, IntervalTrigger(seconds=job.every_s), args=[job, config], id=job.name,
                          name=job.doc, next_run_time=_now())
    return scheduler


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


async def lead(config: MonitoringConfig, stop: asyncio.Event, name: str, check_every_s: float = 5.0,
               on_check: Callable[[bool], Awaitable[None]] | None = None, jobs: tuple[Job, ...] = JOBS) -> None:
    """Contend for leadership until `stop`; run the scheduler while leader, stop it when the lock is lost."""
    leadership = Leadership()
    scheduler: AsyncIOScheduler | None = None
    try:
        while not stop.is_set():
            leading = await leadership.try_acquire()
            if leading and scheduler is None:
                log.info("%s is now the scheduler leader", name)
                scheduler = build_scheduler(config, jobs)
                scheduler.start()
            elif not leading and scheduler is not None:
                log.warning("%s lost scheduler leadership", name)
                # APScheduler 3 quirk: AsyncIOExecutor.shutdown cancels the job coroutines still
                # running (wait=True cannot be honoured there). A run that does not stop at once
                # still holds its job lock (leader.job_lock), so the new leader's run waits its turn.
                scheduler.shutdown(wait=False)
                scheduler = None
            if on_check:  # the node's heartbeat, with whether it leads
                try:
                    await on_check(leading)
                except Exception as exc:  # noqa: BLE001 - a missed beat must not stop the jobs
                    log.warning("scheduler heartbeat failed: %s", exc)
            try:
                await asyncio.wait_for(stop.wait(), check_every_s)
            except asyncio.TimeoutError:
                pass
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        await leadership.release()
