"""A probe worker: claims due tasks, probes with bounded concurrency, writes results in batches.

Claiming, probing and writing overlap: a worker claims more tasks whenever half a batch of
probe slots is free, so one camera that times out never holds back the others, and finished
probes are written together (one transaction per flush) instead of one by one.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import time
import uuid
from dataclasses import dataclass, field
from typing import Callable

from assetsvc import bulk, db, storage, telemetry
from assetsvc.monitoring import drift_store, evidence, picture_memory, queue, streams, targets
from assetsvc.monitoring.config import MonitoringConfig
from assetsvc.monitoring.evaluate import needs_recheck
from assetsvc.monitoring.executor import Limiter, Outcome, run_task
from assetsvc.monitoring.tables import Node
from assetsvc.monitoring.writer import Applied, Reading, apply
from probes.types import ErrorKind

log = logging.getLogger("assetsvc.monitoring")


def node_name(role: str) -> str:
    """A name unique to this process: host, pid and a random suffix."""
    return f"{socket.gethostname()[:32]}-{os.getpid()}-{role}-{uuid.uuid4().hex[:6]}"


def readings_of(outcome: Outcome) -> list[Reading]:
    return [Reading(r.kind, r.ok, r.error, r.message, r.duration_s * 1000, r.facts, outcome.at)
            for r in outcome.results]


STREAM_KINDS = ("rtsp", "rtsp_frame", "rtsp_continuity")


def stream_paths(outcomes: list[Outcome]) -> list[tuple[int, str, bool, float]]:
    """(camera_id, stream checked, there or not, at) for stream results that tell: a reply, or 404/454."""
    out = []
    for o in outcomes:
        if o.plan is None:
            continue
        for r in o.results:
            if r.kind in STREAM_KINDS and (r.ok or r.error is ErrorKind.CONFIG):
                choice = targets.stream_choice(o.subject, targets.options_for(r.kind, dict(o.plan.options)))
                out.append((o.task.subject_id, f"{choice.path} ({choice.source})", r.ok, o.at))
    return out


@dataclass
class Stats:
    claimed: int = 0
    probed: int = 0
    written: int = 0
    lost_leases: int = 0
    transitions: int = 0
    flushes: int = 0
    errors: int = 0
    write_s: float = 0.0
    started: float = field(default_factory=time.time)


class Worker:
    """One worker process's probing loop."""

    def __init__(self, config: MonitoringConfig, name: str | None = None,
                 clock: Callable[[], float] = time.time, rng: random.Random | None = None) -> None:
        self.config = config
        self.name = name or node_name("worker")
        self.clock = clock
        self.rng = rng or random.Random()
        self.limiter = Limiter(config.limits)
        self.stats = Stats()
        self._done: list[Outcome] = []
        self._inflight: dict[asyncio.Task, int] = {}  # probe job -> its task id
        self._flush_lock = asyncio.Lock()

    # --- claiming and probing ---------------------------------------------------------------------
    async def _claim_and_start(self) -> int:
        limits = self.config.limits
        free = limits.global_ - len(self._inflight)
        if free < max(1, min(limits.batch, limits.global_) // 2):
            return 0
        claimed = await queue.claim(self.name, self.clock(), min(free, limits.batch), limits.lease_s)
        if not claimed:
            return 0
        self.stats.claimed += len(claimed)
        now = self.clock()
        for task in claimed:  # due against run: how far behind its slot each task starts
            telemetry.CYCLE_LAG.observe(max(0.0, now - task.due_at))
        subjects = await targets.load((c.subject_type, c.subject_id) for c in claimed)
        # Plans other than light may grab a picture: judge it with the camera's memory.
        memories = await picture_memory.load(c.subject_id for c in claimed
                                             if c.subject_type == "camera" and c.plan != "light")
        for task in claimed:
            subject = subjects.get((task.subject_type, task.subject_id))
            device_class = self.config.classify(subject.match) if subject else None
            plan = device_class.plans.get(task.plan) if device_class else None
            memory = memories.get(task.subject_id) if task.subject_type == "camera" else None
            job = asyncio.create_task(run_task(task, subject, plan, self.limiter, self.clock, memory))
            self._inflight[job] = task.id
            job.add_done_callback(self._finished)
        return len(claimed)

    def _finished(self, job: asyncio.Task) -> None:
        self._inflight.pop(job, None)
        if not job.cancelled() and job.exception() is None:
            outcome = job.result()
            self._done.append(outcome)
            self.stats.probed += 1
            for result in outcome.results:
                telemetry.PROBE_RESULTS.labels(result.kind, "ok" if result.ok else _outcome(result.error)).inc()
                telemetry.PROBE_DURATION.labels(result.kind).observe(result.duration_s)
        elif not job.cancelled():
            log.error("probe task failed unexpectedly: %r", job.exception())

    # --- writing ----------------------------------------------------------------------------------
    def _done_row(self, outcome: Outcome, applied) -> queue.Done:
        task, plan, now = outcome.task, outcome.plan, outcome.at
        failures = task.failures + 1 if outcome.failed else 0
        if plan is None:  # the device left its class or the registry: look again in an hour
            return queue.Done(task.id, now + 3600, 0, now)
        recheck = None
        evaluated = applied.evaluated.get((task.subject_type, task.subject_id))
        if plan.name == "light" and evaluated is not None and needs_recheck(evaluated.aspects):
            recheck = self.config.recheck_after_s  # a reach change is pending: confirm it soon
        due = queue.next_due(task, now, plan.every_s, failures, self.config.backoff, recheck, self.rng)
        return queue.Done(task.id, due, failures, now)

    async def flush(self) -> int:
        """Write every finished outcome in one transaction; returns how many were written."""
        async with self._flush_lock:
            outcomes, self._done = self._done, []
            if not outcomes:
                return 0
            # A task claimed twice by this worker (its lease ran out while it waited) is applied once.
            outcomes = list({o.task.id: o for o in outcomes}.values())
            started = time.perf_counter()
            try:
                applied, kept = await self._write(outcomes)
            except BaseException:
                # Nothing was written: keep the outcomes for the next flush (their leases still
                # decide whether they count then).
                self._done = outcomes + self._done
                raise
            took = time.perf_counter() - started
            telemetry.WRITER_BATCH.observe(took)
            telemetry.WRITER_ROWS.labels("kept").inc(len(kept))
            if len(outcomes) > len(kept):
                telemetry.WRITER_ROWS.labels("lost_lease").inc(len(outcomes) - len(kept))
            self.stats.write_s += took
            self.stats.flushes += 1
            self.stats.written += len(kept)
            self.stats.lost_leases += len(outcomes) - len(kept)
            self.stats.transitions += len(applied.transitions)
            return len(kept)

    async def _write(self, outcomes: list[Outcome]) -> tuple[Applied, list[Outcome]]:
        """One transaction: drop outcomes whose lease was lost, apply the rest, hand tasks back."""
        async with db.write_transaction():
            held = await queue.held(self.name, [o.task.id for o in outcomes])
            kept = [o for o in outcomes if o.task.id in held]
            batch: dict[tuple[str, int], list[Reading]] = {}
            for outcome in kept:
                batch.setdefault((outcome.task.subject_type, outcome.task.subject_id), []).extend(
                    readings_of(outcome))
            applied = await apply(batch, self.config.state_rules(), self.config.history_per_subject,
                                  self.clock())
            await queue.complete(self.name, [self._done_row(o, applied) for o in kept])
            # Only memories of cameras still in service (a state row): one that left is not revived.
            await picture_memory.save([(o.task.subject_id, o.memory, o.at) for o in kept
                                       if o.memory is not None and o.task.subject_type == "camera"
                                       and ("camera", o.task.subject_id) in applied.evaluated])
            await evidence.record([(o.task.subject_id, shown, o.at) for o in kept for shown in o.frames
                                   if o.task.subject_type == "camera"
                                   and ("camera", o.task.subject_id) in applied.evaluated], self.clock())
            cameras = [o for o in kept if o.subject is not None and o.task.subject_type == "camera"]
            await drift_store.record([(o.task.subject_id, o.subject.registry, r.facts, o.at) for o in cameras
                                      for r in o.results if r.kind == "onvif_deep" and r.ok])
            await streams.record([(o.task.subject_id, r.facts, o.at) for o in cameras
                                  for r in o.results if r.kind == "onvif_deep" and r.ok])
            await drift_store.record_stream_paths(stream_paths(cameras))
        return applied, kept

    # --- loops ------------------------------------------------------------------------------------
    async def run_until_idle(self) -> Stats:
        """Probe everything due now and write it (tests, benchmarks, `assetsvc worker --once`)."""
        while True:
            started = await self._claim_and_start()
            if not started and not self._inflight:
                break
            if not started:
                await asyncio.wait(list(self._inflight), return_when=asyncio.FIRST_COMPLETED)
            if len(self._done) >= self.config.limits.batch:
                await self.flush()
        await self.flush()
        return self.stats

    async def run(self, stop: asyncio.Event, flush_every_s: float = 0.5) -> Stats:
        """Work until `stop` is set, then give back unstarted leases and write what finished."""
        heart = asyncio.create_task(self._heartbeat(stop))
        pause = 1.0
        try:
            last_flush = time.monotonic()
            while not stop.is_set():
                try:
                    started = await self._claim_and_start()
                    if len(self._done) >= self.config.limits.batch or time.monotonic() - last_flush > flush_every_s:
                        await self.flush()
                        last_flush = time.monotonic()
                    pause = 1.0
                except Exception as exc:  # noqa: BLE001 - a database hiccup must not end probing
                    # (lock timeout, deadlock victim, lost connection): log, back off, carry on.
                    if (failure := storage.classify(exc)) is not None:
                        # A full disk (or a read-only one): the batch was rolled back and its
                        # outcomes stay in memory (flush), written by the first flush that succeeds.
                        log.error("worker %s: %s; %d finished probe(s) kept for the next write; retrying "
                                  "in %.0f s", self.name, failure, len(self._done), pause)
                    else:
                        log.warning("worker %s: %s: %s; retrying in %.0f s", self.name, type(exc).__name__, exc,
                                    pause)
                    self.stats.errors += 1
                    telemetry.WORKER_ERRORS.inc()
                    await _wait(stop, pause)
                    pause = min(pause * 2, 60.0)
                    continue
                if not started:
                    await _wait(stop, min(flush_every_s, self.config.limits.idle_poll_s))
        finally:
            for job in list(self._inflight):
                job.cancel()
            await asyncio.gather(*self._inflight, return_exceptions=True)
            try:
                await self.flush()
                await queue.release(self.name)
            except Exception as exc:  # noqa: BLE001 - leases then simply expire
                log.warning("worker %s could not hand back its work on stopping: %s", self.name, exc)
            heart.cancel()
            await asyncio.gather(heart, return_exceptions=True)
        return self.stats

    async def _heartbeat(self, stop: asyncio.Event, every_s: float = 5.0) -> None:
        """Node heartbeat, and lease renewal for tasks still queued, running or not yet written."""
        every_s = min(every_s, self.config.limits.lease_s / 3)
        await register_node(self.name, "worker")
        while not stop.is_set():
            try:
                await beat(self.name, self.stats.probed)
                held = [*self._inflight.values(), *(o.task.id for o in self._done)]
                if held:
                    await queue.renew(self.name, held, self.clock(), self.config.limits.lease_s)
            except Exception as exc:  # noqa: BLE001 - a missed beat must not stop probing
                log.warning("heartbeat failed: %s", exc)
            await _wait(stop, every_s)


def _outcome(error: ErrorKind | None) -> str:
    return error.value if isinstance(error, ErrorKind) else "error"


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except asyncio.TimeoutError:
        pass


async def register_node(name: str, role: str) -> None:
    now = time.time()
    async with db.write_transaction():
        await bulk.insert_rows(Node, [{"name": name, "host": socket.gethostname()[:128], "pid": os.getpid(),
                                       "role": role, "started_at": now, "seen_at": now}])


async def beat(name: str, probes_done: int, leader: bool | None = None) -> None:
    async with db.write_transaction():
        if leader is None:
            await bulk.execute_many(Node, "UPDATE monitor_node SET seen_at = ?, probes_done = ? WHERE name = ?",
                                    [[time.time(), probes_done, name]])
        else:
            await bulk.execute_many(Node, "UPDATE monitor_node SET seen_at = ?, leader = ? WHERE name = ?",
                                    [[time.time(), leader, name]])


async def forget_nodes(before: float) -> None:
    """Drop nodes not seen since `before` from the node list."""
    async with db.write_transaction():
        await bulk.execute_many(Node, "DELETE FROM monitor_node WHERE seen_at < ?", [[before]])
