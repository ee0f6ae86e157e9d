"""The processes: `serve` (API, UI, scheduler, worker in one) and `worker` (probes, optionally jobs)."""

from __future__ import annotations

import asyncio
import signal
import time
from typing import Any

import uvicorn

from assetsvc.api.app import create_app
from assetsvc.app import runner, startup
from assetsvc.monitoring import tasks
from assetsvc.monitoring.config import MonitoringConfig
from assetsvc.monitoring.worker import Worker


def serve(host: str, port: int, *, worker: bool = True, scheduler: bool = True, extra: Any = None,
          config: MonitoringConfig | None = None) -> None:
    """Serve the API (and UI) with monitoring in the background until the server stops.

    `extra` (e.g. the demo's simulated fleet) starts before probing and stops after it."""
    config = startup.begin(ticket_rules=True, config=config)
    startup.expose_metrics()
    background = runner.Background(worker=worker, scheduler=scheduler, config=config)
    starts, stops = [background.start], [background.stop]
    if extra is not None:
        starts.insert(0, extra.start)
        stops.append(extra.stop)
    print(f"assetsvc on http://{host}:{port}/ (web UI at /ui/, API at /api/v1, OpenAPI at /api/v1/schema); "
          f"worker {'on' if worker else 'off'}, scheduler {'on' if scheduler else 'off'}", flush=True)
    # proxy_headers off: uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1; the
    # login rate limit reads it only from ASSETSVC_TRUSTED_PROXIES (assetsvc/api/client.py).
    uvicorn.run(create_app(on_startup=starts, on_shutdown=stops), host=host, port=port, log_level="warning",
                proxy_headers=False)


async def work(config: MonitoringConfig, *, scheduler: bool, once: bool) -> str:
    """A probe worker until SIGINT/SIGTERM (contending for the scheduler too with `scheduler`);
    with `once`, probe what is due now, write it and return."""
    await startup.prepare(create_key=False)
    startup.expose_metrics()
    if once:
        await tasks.sync(config, time.time())
        stats = await Worker(config).run_until_idle()
        return f"probed {stats.probed}, wrote {stats.written}, {stats.transitions} state change(s)"
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await runner.run(stop, worker=True, scheduler=scheduler, config=config)
    return "worker stopped"
