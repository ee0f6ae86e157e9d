"""Tickets driven by the real monitoring engine: fake ONVIF cameras and snmpd on loopback, a test clock.

Probes run for real; the schedule, the state machine and the ticket jobs see the instants the test
sets. Times are in November 2026 (covered by the official calendar); the contract is the shipped
example (24x7 for P1, office hours for P2/P3).
"""

from __future__ import annotations

import datetime as dt
import inspect
import random
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from assetsvc import bulk
from assetsvc.monitoring import tasks
from assetsvc.monitoring.config import parse
from assetsvc.monitoring.worker import Worker
from assetsvc.registry.tables import Camera, Contract, Contractor, UpstreamDevice
from assetsvc.tickets import contracts, lifecycle, opener, sweep, verify
from assetsvc.tickets.tables import Ticket
from tests.fakes.onvif_device import FakeOnvifDevice
from tests.fakes.snmp_agents import start_snmpd
from tests.integration.conftest import ADMIN
from tests.integration.test_monitoring_engine import Clock, config_text

from assetsvc.accounts.service import Actor

LOCAL = ZoneInfo("Asia/Shanghai")
# Monday 2026-11-16 09:00 in Shanghai: office hours (08:30-12:00, 14:00-18:00) are running.
T0 = dt.datetime(2026, 11, 16, 9, 0, tzinfo=LOCAL).timestamp()
EXAMPLE = Path(__file__).parents[2] / "assetsvc" / "tickets" / "data" / "contract-sla.example.toml"


async def world() -> dict:
    contractor = Contractor(name="甲运维公司", contact="", phone="")
    await contractor.save().run()
    other = Contractor(name="乙运维公司", contact="", phone="")
    await other.save().run()
    contract = Contract(code="HT-2026-A", contractor=contractor.id, region_codes=["330100"], owner_classes=[],
                        starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2027, 12, 31))
    await contract.save().run()
    await contracts.put_terms(ADMIN, contract.id, EXAMPLE.read_text("utf-8"), now=T0 - 86400)
    user = Actor(user_id=1, username="ca", role="contractor", contractor_id=contractor.id)
    return {"contractor": contractor.id, "other": other.id, "contract": contract.id, "user": user}


async def camera(n: int, port: int, upstream: int | None = None, point_class: int = 3) -> int:
    row = Camera(gb_id=f"330106001313200{n:05d}", name=f"cam {n}", region_code="330106", ipv4="127.0.0.1",
                 ports={"onvif": port}, probe_protocols=["onvif"], upstream=upstream, point_class=point_class)
    await row.save().run()
    return row.id


async def setup(clock: Clock, snmp_port: int = 161) -> Worker:
    config = parse(config_text(snmp_port=snmp_port), "test")
    await tasks.sync(config, clock.now, random.Random(7))
    return Worker(config, name="w1", clock=clock, rng=random.Random(7))


async def at(worker: Worker, clock: Clock, offset: float) -> float:
    clock.now = T0 + offset
    await worker.run_until_idle()
    return clock.now


async def outage(stop, snmp_port: int = 161) -> tuple[Worker, Clock]:
    """Probe at 300 s (up), `stop` the device, probe at 600, 660 and 720 s: down since 600 s."""
    clock = Clock(T0)
    worker = await setup(clock, snmp_port)
    await at(worker, clock, 300)
    stopped = stop()
    if inspect.isawaitable(stopped):
        await stopped
    for step in (600, 660, 720):
        await at(worker, clock, step)
    return worker, clock


async def tickets() -> list[dict]:
    return await bulk.fetch(Ticket, "SELECT t.*, t.contractor AS contractor_id, t.contract AS contract_id "
                                    "FROM ticket t ORDER BY id")


async def events(ticket_id: int) -> list[str]:
    rows = await bulk.fetch(Ticket, "SELECT kind FROM ticket_event WHERE ticket = ? ORDER BY at, id", [ticket_id])
    return [r["kind"] for r in rows]


async def test_an_outage_opens_one_ticket_after_grace_and_a_passing_check_closes_it():
    w = await world()
    async with FakeOnvifDevice() as device:
        cam = await camera(1, device.port)
        worker, clock = await outage(device.stop)
        # Down (confirmed at 600 s, the first failure) but within the 10 min grace: no ticket yet.
        assert (await opener.run(T0 + 900)).opened == 0
        assert await tickets() == []
        outcome = await opener.run(T0 + 1200)
        assert outcome.opened == 1
        [ticket] = await tickets()
        assert (ticket["subject_id"], ticket["fault"], ticket["state"]) == (cam, "down", "open")
        assert (ticket["contractor_id"], ticket["contract_id"]) == (w["contractor"], w["contract"])
        assert ticket["severity"] == "P2" and ticket["area"] == "urban"
        assert ticket["opened_at"] == T0 + 1200
        # P2 urban: office hours; 09:20 + 30 min of service time = 09:50, all within the morning window.
        assert ticket["respond_due"] == pytest.approx(T0 + 1200 + 1800)
        # A second run finds the ticket: one per device and fault kind.
        assert (await opener.run(T0 + 1260)).opened == 0
        # The contractor acknowledges and resolves; the device is still dead, so the check fails.
        await lifecycle.act(w["user"], ticket["id"], "acknowledge", {}, now=T0 + 1300)
        await lifecycle.act(w["user"], ticket["id"], "resolve", {"note": "restarted"}, now=T0 + 1400)
        await at(worker, clock, 1410)  # the resolve made the light check due at once
        outcome = await verify.run(T0 + 1420)
        assert outcome.reopened == 1
        [ticket] = await tickets()
        assert (ticket["state"], ticket["reopen_count"], ticket["restored_at"]) == ("reopened", 1, None)
        # The fix for real this time: the device answers, the contractor resolves, the check passes.
        await device.start()
        await lifecycle.act(w["user"], ticket["id"], "resolve", {"note": "replaced the PSU"}, now=T0 + 2000)
        await at(worker, clock, 2010)
        assert (await verify.run(T0 + 2020)).verified == 1
        [ticket] = await tickets()
        assert (ticket["state"], ticket["close_reason"]) == ("closed", "verified")
        assert ticket["restored_at"] == pytest.approx(T0 + 2010, abs=5)  # the check's time
        assert ticket["respond_breached_at"] is None and ticket["restore_breached_at"] is None
        assert await events(ticket["id"]) == ["opened", "acknowledge", "resolve", "verification_failed",
                                               "resolve", "verified"]


async def test_a_device_that_recovers_before_anyone_acts_is_closed_as_self_recovered():
    await world()
    async with FakeOnvifDevice() as device:
        await camera(1, device.port)
        worker, clock = await outage(device.stop)
        await opener.run(T0 + 1300)
        await device.start()
        for step in (1500, 1800):
            await at(worker, clock, step)
        outcome = await opener.run(T0 + 1900)
        assert outcome.self_recovered == 1
        [ticket] = await tickets()
        assert (ticket["state"], ticket["close_reason"]) == ("closed", "self_recovered")
        # Restored when the monitoring saw it back, not when the job noticed.
        assert T0 + 1300 < ticket["restored_at"] <= T0 + 1800


async def test_a_dead_switch_gets_one_ticket_with_its_cameras_linked():
    w = await world()
    agent = start_snmpd()
    try:
        switch = UpstreamDevice(name="sw1", kind="switch", ipv4="127.0.0.1", region_code="330106",
                                contractor=w["contractor"])
        await switch.save().run()
        async with FakeOnvifDevice() as device:
            cams = [await camera(n, device.port, upstream=switch.id) for n in (1, 2, 3)]
            clock = Clock(T0)
            worker = await setup(clock, agent.port)
            await at(worker, clock, 300)
            agent.stop()
            await device.stop()
            for step in (600, 660, 720, 780):
                await at(worker, clock, step)
            await opener.run(T0 + 2000)
            rows = await tickets()
            assert [(t["subject_type"], t["fault"]) for t in rows] == [("upstream", "down")]
            links = await bulk.fetch(Ticket, "SELECT camera_id FROM ticket_camera WHERE ticket = ? ORDER BY camera_id",
                                     [rows[0]["id"]])
            assert [r["camera_id"] for r in links] == sorted(cams)
            assert rows[0]["affected_count"] == 3
    finally:
        agent.stop()


async def test_the_sweep_marks_a_breach_at_its_deadline_and_escalates_later():
    w = await world()
    async with FakeOnvifDevice() as device:
        await camera(1, device.port, point_class=1)  # a key point: P1, 24x7, respond in 30 min
        worker, clock = await outage(device.stop)
        await opener.run(T0 + 1200)
        [ticket] = await tickets()
        assert ticket["severity"] == "P1"
        assert (await sweep.run(T0 + 1200 + 1799)).checked == 0
        assert (await sweep.run(T0 + 1200 + 1900)).checked == 1
        [ticket] = await tickets()
        assert ticket["respond_breached_at"] == pytest.approx(T0 + 1200 + 1800)  # at the deadline, not the sweep
        assert ticket["escalated_at"] is None
        await sweep.run(T0 + 1200 + 1800 + 3600)
        [ticket] = await tickets()
        assert ticket["escalated_at"] == T0 + 1200 + 1800 + 3600
        # respond breached at the first sweep; arrive (1 h) by the second, which also escalates.
        assert await events(ticket["id"]) == ["opened", "breached", "breached", "escalated"]
        assert ticket["arrive_breached_at"] == pytest.approx(T0 + 1200 + 3600)
        assert w["contractor"] == ticket["contractor_id"]


async def test_planned_maintenance_holds_the_ticket_until_the_window_ends():
    from assetsvc.monitoring.tables import MaintenanceWindow

    await world()
    async with FakeOnvifDevice() as device:
        cam = await camera(1, device.port)
        await MaintenanceWindow(scope="camera", scope_ref=str(cam), starts_at=T0 + 500, ends_at=T0 + 3000,
                                reason="更换立杆", created_by="admin", created_at=T0).save().run()
        worker, clock = await outage(device.stop)
        outcome = await opener.run(T0 + 2000)
        assert (outcome.opened, outcome.in_maintenance) == (0, 1)
        assert (await opener.run(T0 + 3001)).opened == 1  # still down after the window: opened at once


async def test_a_region_contract_with_owner_classes_still_covers_the_switches_there():
    w = await world()
    await Contract.update({Contract.owner_classes: ["police"]}).where(Contract.id == w["contract"]).run()
    agent = start_snmpd()
    try:
        switch = UpstreamDevice(name="sw1", kind="switch", ipv4="127.0.0.1", region_code="330106")
        await switch.save().run()
        worker, clock = await outage(agent.stop, agent.port)
        await opener.run(T0 + 2000)
        [ticket] = await tickets()
        assert (ticket["subject_type"], ticket["contract_id"], ticket["contractor_id"]) == \
            ("upstream", w["contract"], w["contractor"])
    finally:
        agent.stop()


async def test_new_terms_move_the_deadlines_of_open_tickets_at_once():
    w = await world()
    async with FakeOnvifDevice() as device:
        await camera(1, device.port)
        worker, clock = await outage(device.stop)
        await opener.run(T0 + 1200)
        [ticket] = await tickets()
        assert ticket["respond_due"] == pytest.approx(T0 + 1200 + 1800)
        stricter = EXAMPLE.read_text("utf-8").replace('severity = "P2"\narea = "urban"\ncalendar = "office"\n'
                                                      'respond = "30m"', 'severity = "P2"\narea = "urban"\n'
                                                      'calendar = "office"\nrespond = "10m"')
        assert stricter != EXAMPLE.read_text("utf-8")
        await contracts.put_terms(ADMIN, w["contract"], stricter, now=T0 + 2000)
        [ticket] = await tickets()
        assert ticket["respond_due"] == pytest.approx(T0 + 1200 + 600)
        assert ticket["respond_breached_at"] == pytest.approx(T0 + 1200 + 600)  # already late under the new terms


async def test_one_device_that_fails_to_ticket_holds_back_no_other(monkeypatch):
    await world()
    async with FakeOnvifDevice() as device:
        cams = [await camera(n, device.port) for n in (1, 2, 3)]
        worker, clock = await outage(device.stop)
        real = opener._apply

        async def broken(key, *args, **kwargs):
            if key == ("camera", cams[1]):
                raise RuntimeError("disk on fire")
            return await real(key, *args, **kwargs)

        monkeypatch.setattr(opener, "_apply", broken)
        outcome = await opener.run(T0 + 1200)
        assert outcome.opened == 2
        assert outcome.errors == [f"camera {cams[1]}: RuntimeError: disk on fire"]
        assert sorted(t["subject_id"] for t in await tickets()) == [cams[0], cams[2]]


async def test_self_recovery_is_dated_when_the_outage_ended_even_if_the_state_moved_on():
    await world()
    async with FakeOnvifDevice() as device:
        await camera(1, device.port)
        worker, clock = await outage(device.stop)
        await opener.run(T0 + 1300)
        await device.start()
        await at(worker, clock, 1500)  # back up
        device.scenario.drift_s = 600.0  # then its clock goes ten minutes off
        for step in (1800, 2100):
            await at(worker, clock, step)
        row = await bulk.fetch(Ticket, "SELECT state, since FROM device_state WHERE subject_type = 'camera'")
        assert row[0]["state"] == "degraded"  # up first, then degraded for the clock: the state moved on
        await opener.run(T0 + 2200)
        [ticket] = [t for t in await tickets() if t["fault"] == "down"]
        assert (ticket["state"], ticket["close_reason"]) == ("closed", "self_recovered")
        assert ticket["restored_at"] < row[0]["since"]  # when the outage ended, not when the clock broke
        assert T0 + 1300 < ticket["restored_at"] <= T0 + 1500


async def test_amended_terms_move_open_tickets_but_never_rewrite_a_closed_one():
    w = await world()
    async with FakeOnvifDevice() as device:
        await camera(1, device.port)
        worker, clock = await outage(device.stop)
        await opener.run(T0 + 1200)
        [first] = await tickets()
        # Acknowledged 20 min after opening: met under the 30 min of version 1.
        await lifecycle.act(w["user"], first["id"], "acknowledge", {}, now=T0 + 1200 + 1200)
        await lifecycle.act(ADMIN, first["id"], "close", {"note": "replaced on site"}, now=T0 + 4000)
        before = await contracts.score(ADMIN, w["contract"], "2026-11", {"missed_inspection": 0}, now=T0 + 5000)
        # Version 2 gives P2 urban 10 min to respond: the closed ticket would be late under it.
        stricter = EXAMPLE.read_text("utf-8").replace('severity = "P2"\narea = "urban"\ncalendar = "office"\n'
                                                      'respond = "30m"', 'severity = "P2"\narea = "urban"\n'
                                                      'calendar = "office"\nrespond = "10m"')
        await contracts.put_terms(ADMIN, w["contract"], stricter, now=T0 + 4500)
        [closed] = await tickets()
        assert (closed["terms_version"], closed["respond_breached_at"]) == (1, None)
        after = await contracts.score(ADMIN, w["contract"], "2026-11", {"missed_inspection": 0}, now=T0 + 5000)
        assert (after["score"], after["points"], after["amount"]) == (before["score"], before["points"], before["amount"])
        from assetsvc.tickets import views
        shown = await views.detail(ADMIN, closed["id"], now=T0 + 5000)
        assert shown["sla"]["stages"]["respond"]["status"] == "met"
        assert shown["sla"]["stages"]["respond"]["limit_s"] == 1800
