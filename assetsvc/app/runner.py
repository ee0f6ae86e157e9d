"""Run monitoring in a process: a probe worker, the scheduler (when leader), or both."""

from __future__ import annotations

import asyncio
import logging

from assetsvc.app import jobs
from assetsvc.monitoring.config import MonitoringConfig, current
from assetsvc.monitoring.worker import Worker, beat, node_name, register_node

log = logging.getLogger("assetsvc.monitoring")


async def run(stop: asyncio.Event, *, worker: bool = True, scheduler: bool = True,
              config: MonitoringConfig | None = None) -> None:
    """Until `stop`: probe due tasks (worker) and contend for scheduler leadership (scheduler)."""
    config = config or current()
    parts = []
    if scheduler:
        name = node_name("scheduler")
        await register_node(name, "scheduler")

        async def changed(leading: bool) -> None:
            await beat(name, 0, leader=leading)

        parts.append(jobs.lead(config, stop, name, on_check=changed))
    if worker:
        parts.append(Worker(config).run(stop))
    await asyncio.gather(*parts)


class Background:
    """Monitoring as a background task of the API process (serve), stopped with it."""

    def __init__(self, *, worker: bool, scheduler: bool, config: MonitoringConfig | None = None) -> None:
        self.worker, self.scheduler, self.config = worker, scheduler, config
        self._stop = asyncio.Event()
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        if self.worker or self.scheduler:
            self._task = asyncio.create_task(run(self._stop, worker=self.worker, scheduler=self.scheduler,
                                                config=self.config))
            self._task.add_done_callback(_report)

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)


def _report(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("monitoring stopped: %r", task.exception())
