"""GET /metrics: Prometheus text format through prometheus_client, for admin and metrics tokens.

Two kinds of figure: what this process counted itself (telemetry.py: probe results and
durations, cycle lag, writer batches, job runs), and what the database holds now, read at scrape
time through each slice's service function (queue depth and leases, devices by state, tickets by
state and SLA standing, webhook and province outbox depth and age, import jobs). The second kind is a custom
collector built per scrape from a snapshot taken before the text is rendered, because
prometheus_client calls `collect()` synchronously and the database is read asynchronously.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Iterable, Mapping

from litestar import Request, Response, get
from litestar.openapi import ResponseSpec
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from assetsvc.api.auth import actor_of
from assetsvc.errors import Forbidden
from assetsvc.monitoring.service import QueueFigures, queue_figures
from assetsvc.registry import import_jobs
from assetsvc.reports.province import service as province
from assetsvc.tickets.store import TicketCount, ticket_counts
from assetsvc.webhooks.service import OutboxFigures, outbox_figures

MEDIA_TYPE = "text/plain; version=0.0.4; charset=utf-8"
READERS = ("admin", "metrics")


@dataclass(frozen=True)
class Snapshot:
    """The database-derived figures of one scrape."""

    queue: QueueFigures
    tickets: list[TicketCount]
    outbox: OutboxFigures
    province: province.OutboxFigures
    imports: Mapping[str, int]
    took_s: float


async def snapshot(now: float) -> Snapshot:
    started = time.perf_counter()
    queue = await queue_figures(now)
    tickets = await ticket_counts()
    outbox = await outbox_figures(now)
    pushed = await province.outbox_figures(now)
    imports = await import_jobs.counts()
    return Snapshot(queue, tickets, outbox, pushed, imports, time.perf_counter() - started)


def _gauge(name: str, doc: str, labels: Iterable[str] = (), values: Iterable[tuple[tuple[str, ...], float]] = (),
           value: float | None = None) -> GaugeMetricFamily:
    if value is not None:
        return GaugeMetricFamily(name, doc, value=value)
    family = GaugeMetricFamily(name, doc, labels=list(labels))
    for key, number in values:
        family.add_metric(list(key), number)
    return family


class DatabaseCollector(Collector):
    """Yields one scrape's snapshot as gauge families (the same on every API process)."""

    def __init__(self, shot: Snapshot) -> None:
        self.shot = shot

    def collect(self) -> Iterable[Metric]:
        q, o = self.shot.queue, self.shot.outbox
        yield _gauge("assetsvc_probe_tasks", "Probe tasks in the queue", value=q.tasks)
        yield _gauge("assetsvc_probe_queue_due", "Probe tasks due now that no worker holds (queue depth)", value=q.due)
        yield _gauge("assetsvc_probe_queue_oldest_due_seconds", "How long the longest-waiting due task has waited",
                     value=q.oldest_due_s)
        yield _gauge("assetsvc_probe_leases", "Live probe task leases per worker node", ["node"],
                     (((node,), n) for node, n in sorted(q.leases.items())))
        yield _gauge("assetsvc_devices", "Monitored devices per measured state", ["state"],
                     (((state,), n) for state, n in sorted(q.states.items())))
        yield _gauge("assetsvc_tickets", "Tickets by state and SLA standing (within, breached, none: no deadlines)",
                     ["state", "sla"], (((t.state, t.sla), t.count) for t in self.shot.tickets))
        yield _gauge("assetsvc_webhook_deliveries", "Webhook outbox rows by state (pending is the depth)", ["state"],
                     (((state,), n) for state, n in sorted(o.by_state.items())))
        yield _gauge("assetsvc_webhook_oldest_pending_seconds", "Age of the oldest pending webhook delivery",
                     value=o.oldest_pending_s)
        p = self.shot.province
        yield _gauge("assetsvc_province_deliveries", "Province report outbox rows by state (pending is the depth)",
                     ["state"], (((state,), n) for state, n in sorted(p.by_state.items())))
        yield _gauge("assetsvc_province_oldest_pending_seconds", "Age of the oldest pending province delivery "
                     "(since its version was approved)", value=p.oldest_pending_s)
        yield _gauge("assetsvc_import_jobs", "Import jobs by state", ["state"],
                     (((state,), n) for state, n in sorted(self.shot.imports.items())))
        yield _gauge("assetsvc_metrics_scrape_seconds", "Time the database figures of this scrape took",
                     value=self.shot.took_s)


def render(shot: Snapshot) -> bytes:
    """This process's own metrics, then the database figures (each family named once)."""
    scraped = CollectorRegistry(auto_describe=False)
    scraped.register(DatabaseCollector(shot))
    return generate_latest(REGISTRY) + generate_latest(scraped)


@get("/metrics", tags=["operations"], summary="Prometheus metrics (admin or metrics token)",
     responses={200: ResponseSpec(data_container=str, generate_examples=False, media_type="text/plain",
                                  description="Prometheus text exposition format 0.0.4")})
async def metrics(request: Request) -> Response[bytes]:
    """Prometheus text format: this process's counters and the database figures read now."""
    if actor_of(request).role not in READERS:
        raise Forbidden("only admin and metrics accounts may read metrics")
    return Response(render(await snapshot(time.time())), media_type=MEDIA_TYPE)
