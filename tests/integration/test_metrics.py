"""GET /metrics: Prometheus text for admin and metrics tokens only; probe counters of this process
and the database figures read at scrape time (queue, leases, tickets, outbox, import jobs)."""

from __future__ import annotations

import socket
import time

from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from assetsvc import db
from assetsvc.accounts.service import issue_token
from assetsvc.accounts.tables import User
from assetsvc.monitoring import queue, tasks
from assetsvc.monitoring.config import parse
from assetsvc.monitoring.worker import Worker
from assetsvc.registry.tables import Camera, ImportJob
from assetsvc.reports.province import outbox as province
from assetsvc.reports.tables import ReportVersion
from assetsvc.tickets.tables import Ticket
from assetsvc.webhooks import outbox
from assetsvc.webhooks.tables import WebhookEndpoint
from tests.fakes.onvif_device import FakeOnvifDevice
from tests.integration.conftest import PASSWORD_HASH, bearer

T0 = 1_800_000_000.0
CONFIG = """
[[class]]
name = "onvif"
when = { subject = "camera", protocol = "onvif" }
light = { every = 300, probes = ["onvif_light"], timeout = 3 }
"""


async def metrics_token() -> str:
    await User(username="prometheus", password_hash=PASSWORD_HASH, role="metrics").save().run()
    return await issue_token("prometheus", "api", "scraper")


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} of a scrape, parsed by prometheus_client's own parser."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_metrics_token_reads_metrics_and_nothing_else(client, people):
    token = await metrics_token()
    answer = await client.get("/metrics", headers=bearer(token))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert ("assetsvc_probe_tasks", ()) in samples(answer.text)
    for path in ("/api/v1/cameras", "/api/v1/auth/me", "/api/v1/tickets", "/api/v1/status/summary"):
        refused = await client.get(path, headers=bearer(token))
        assert refused.status_code == 403, (path, refused.text)
        assert "metrics account" in refused.json()["detail"]


async def test_only_admin_and_metrics_roles_may_scrape(client, people):
    assert (await client.get("/metrics", headers=bearer(people.admin))).status_code == 200
    for token in (people.auditor, people.contractor_a):
        refused = await client.get("/metrics", headers=bearer(token))
        assert refused.status_code == 403 and "metrics" in refused.json()["detail"]
    assert (await client.get("/metrics")).status_code == 401


async def test_probe_outcomes_durations_and_lag_are_counted_by_kind(client, people):
    config = parse(CONFIG, "test")
    before = {o: REGISTRY.get_sample_value("assetsvc_probe_results_total", {"kind": "onvif_light", "outcome": o}) or 0
              for o in ("ok", "refused")}
    lag_before = REGISTRY.get_sample_value("assetsvc_probe_cycle_lag_seconds_count") or 0
    on_time_before = REGISTRY.get_sample_value("assetsvc_probe_cycle_lag_seconds_bucket", {"le": "60.0"}) or 0
    batches_before = REGISTRY.get_sample_value("assetsvc_writer_batch_seconds_count") or 0
    async with FakeOnvifDevice() as device:
        for n, port in enumerate((device.port, closed_port())):
            await Camera(gb_id=f"330106001313200{n:05d}", name=f"cam {n}", region_code="330106", ipv4="127.0.0.1",
                         ports={"onvif": port}, probe_protocols=["onvif"]).save().run()
        await tasks.sync(config, T0)
        clock_now = T0 + 400  # both due; each claimed at least 100 s after its slot
        await Worker(config, clock=lambda: clock_now).run_until_idle()
    text = (await client.get("/metrics", headers=bearer(people.admin))).text
    found = samples(text)
    assert found[("assetsvc_probe_results_total", (("kind", "onvif_light"), ("outcome", "ok")))] == before["ok"] + 1
    assert found[("assetsvc_probe_results_total", (("kind", "onvif_light"), ("outcome", "refused")))] == \
        before["refused"] + 1
    assert found[("assetsvc_probe_duration_seconds_count", (("kind", "onvif_light"),))] >= 2
    assert found[("assetsvc_probe_cycle_lag_seconds_count", ())] == lag_before + 2
    # Claimed at T0+400 for slots within T0..T0+300: no task ran within 100 s of its slot.
    assert found[("assetsvc_probe_cycle_lag_seconds_bucket", (("le", "60.0"),))] == on_time_before
    assert found[("assetsvc_writer_batch_seconds_count", ())] > batches_before
    assert found[("assetsvc_probe_tasks", ())] == 2
    assert found[("assetsvc_devices", (("state", "unknown"),))] + \
        found.get(("assetsvc_devices", (("state", "up"),)), 0) == 2


async def test_database_figures_are_read_at_scrape_time(client, people):
    config = parse(CONFIG, "test")
    now = time.time()
    for n in range(3):
        await Camera(gb_id=f"330106001313200{n:05d}", name=f"cam {n}", region_code="330106", ipv4="127.0.0.1",
                     ports={"onvif": 9}, probe_protocols=["onvif"]).save().run()
    await tasks.sync(config, now - 400)  # every task due now
    await queue.claim("node-a", now, 1, 60)  # one lease held
    common = {"subject_type": "camera", "severity": "P2", "fault_since": now, "opened_at": now, "updated_at": now}
    await Ticket(subject_id=1, fault="down", state="open", respond_due=now + 60, **common).save().run()
    await Ticket(subject_id=2, fault="down", state="open", respond_due=now - 60, respond_breached_at=now,
                 **common).save().run()
    await Ticket(subject_id=3, fault="down", state="closed", **common).save().run()
    endpoint = WebhookEndpoint(name="office", url="http://127.0.0.1:9/hooks", secret="unused", contractor=None,
                               events=[], active=True, created_at=now)
    await endpoint.save().run()
    async with db.write_transaction():
        await outbox.enqueue_to([endpoint.id], "ticket.opened", {"id": 1}, now - 120)
        await outbox.enqueue_to([endpoint.id], "ticket.opened", {"id": 2}, now - 5)
    await ImportJob(state="failed", filename="x.csv", created_by="admin").save().run()
    for version in (1, 2):  # two approved versions waiting for the provincial platform, queued 600 and 60 s ago
        report = ReportVersion(month="2026-11", version=version, status="approved", content="{}", content_hash="0" * 64,
                               created_at=now, created_by="admin", approved_at=now, approved_by="admin")
        await report.save().run()
        async with db.write_transaction():
            await province.enqueue({"id": report.id, "month": "2026-11", "version": version},
                                   now - (600 if version == 1 else 60))
    found = samples((await client.get("/metrics", headers=bearer(await metrics_token()))).text)
    assert found[("assetsvc_probe_tasks", ())] == 3
    assert found[("assetsvc_probe_queue_due", ())] == 2
    assert found[("assetsvc_probe_queue_oldest_due_seconds", ())] > 0
    assert found[("assetsvc_probe_leases", (("node", "node-a"),))] == 1
    assert found[("assetsvc_tickets", (("sla", "within"), ("state", "open")))] == 1
    assert found[("assetsvc_tickets", (("sla", "breached"), ("state", "open")))] == 1
    assert found[("assetsvc_tickets", (("sla", "none"), ("state", "closed")))] == 1
    assert found[("assetsvc_webhook_deliveries", (("state", "pending"),))] == 2
    assert found[("assetsvc_webhook_deliveries", (("state", "dead"),))] == 0
    assert 119 <= found[("assetsvc_webhook_oldest_pending_seconds", ())] < 3600
    assert found[("assetsvc_import_jobs", (("state", "failed"),))] == 1
    assert found[("assetsvc_province_deliveries", (("state", "pending"),))] == 2
    assert found[("assetsvc_province_deliveries", (("state", "failed"),))] == 0
    assert 599 <= found[("assetsvc_province_oldest_pending_seconds", ())] < 3600


async def test_a_worker_process_serves_its_own_metrics_on_the_listen_address(tmp_path):
    import asyncio
    import os
    import signal
    import subprocess
    import sys

    import httpx

    config = tmp_path / "monitoring.toml"
    config.write_text(CONFIG.replace("every = 300", "every = 2"))
    await Camera(gb_id="33010600131320000001", name="cam", region_code="330106", ipv4="127.0.0.1",
                 ports={"onvif": closed_port()}, probe_protocols=["onvif"]).save().run()
    port = closed_port()
    env = {**os.environ, "ASSETSVC_MONITORING_CONFIG": str(config), "ASSETSVC_LOG_LEVEL": "WARNING",
           "ASSETSVC_METRICS_LISTEN": f"127.0.0.1:{port}"}
    proc = subprocess.Popen([sys.executable, "-m", "assetsvc.cli", "worker", "--scheduler"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        found: dict = {}
        async with httpx.AsyncClient() as http:
            for _ in range(200):  # bounded: at most ~40 s
                await asyncio.sleep(0.2)
                try:
                    found = samples((await http.get(f"http://127.0.0.1:{port}/metrics")).text)
                except httpx.TransportError:
                    continue
                if found.get(("assetsvc_probe_results_total", (("kind", "onvif_light"), ("outcome", "refused")))) \
                        and found.get(("assetsvc_job_duration_seconds_count", (("job", "sync_tasks"), ("outcome", "ok")))):
                    break
        assert found[("assetsvc_probe_results_total", (("kind", "onvif_light"), ("outcome", "refused")))] >= 1
        assert found[("assetsvc_job_duration_seconds_count", (("job", "sync_tasks"), ("outcome", "ok")))] >= 1
        # A worker exposes what it counted itself; the database figures come from the API's /metrics.
        assert ("assetsvc_probe_tasks", ()) not in found
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out.decode(errors="replace")
