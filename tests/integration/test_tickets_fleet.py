"""A camera outage on the simulated fleet, end to end: monitoring, ticket, contractor over HTTP, verification.

The fleet answers on loopback and the real monitoring Worker probes it on a test clock, so the
outage is confirmed and outlasts its grace period without waiting. The scenario is set in the half
hour before the test runs, because the HTTP actions happen at the real time: the ticket is opened
(test clock) a few minutes before the contractor acknowledges it (real time), and the checks after
the resolve run on the test clock moved up to the real time. The camera is a key point (一类):
P1, whose clocks run 24x7, so service time is plain elapsed time whatever the day; every expected
figure is computed here from the recorded instants.

Contractor A's contract covers 450202 (the fleet's first district, where the camera is), B's 450203.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from assetsvc import bulk, db
from assetsvc.monitoring import tasks
from assetsvc.monitoring.config import parse
from assetsvc.monitoring.tables import ResultHistory
from assetsvc.monitoring.worker import Worker
from assetsvc.registry.tables import Camera, Contract
from assetsvc.simfleet import Fault, Fleet, Ports
from assetsvc.simfleet.registry import register
from assetsvc.tickets import contracts, opener, verify
from assetsvc.tickets.store import TERMS
from assetsvc.tickets.tables import Ticket
from assetsvc.webhooks.tables import WebhookEndpoint
from tests.integration.conftest import ADMIN, bearer
from tests.integration.test_monitoring_fleet import config

EXAMPLE = Path(__file__).parents[2] / "assetsvc" / "tickets" / "data" / "contract-sla.example.toml"
API = "/api/v1"
# P1 urban in the example terms, on the 24x7 calendar.
RESPOND_S, ARRIVE_S, RESTORE_S = 1800, 3600, 7200


@pytest.fixture(autouse=True)
def fresh_terms():
    # Parsed terms are cached by (contract id, version); SQLite reuses a deleted contract's id.
    TERMS._parsed.clear()


@dataclass
class World:
    fleet: Fleet
    worker: Worker
    clock: list[float]
    t0: float
    camera: int  # the registry id of the key-point camera in A's district
    address: str
    contract_a: int
    contract_b: int

    async def rounds(self, *offsets: float) -> None:
        for offset in offsets:
            self.clock[0] = self.t0 + offset
            await self.worker.run_until_idle()

    async def round_now(self) -> None:
        """A worker round at the real time, after the resolve (the checks it made due run in it); the
        clock must not run ahead of the real time, or the API would see the check in its future."""
        self.clock[0] = time.time()
        await self.worker.run_until_idle()


async def contract(code: str, contractor: int, region: str) -> int:
    row = Contract(code=code, contractor=contractor, region_codes=[region], owner_classes=[],
                   starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2099, 12, 31))
    await row.save().run()
    await contracts.put_terms(ADMIN, row.id, EXAMPLE.read_text("utf-8"))
    return row.id


@pytest.fixture
async def world(people):
    fleet = Fleet(20, seed=5, ports=Ports(0, 0, 0), drifts=False)
    await fleet.start()
    try:
        await register(fleet, ADMIN)
        # Cameras 0-15 hang off switch 0 in 450202, 16-19 off switch 1 in 450203. The office records
        # who maintains each district's cameras.
        async with db.write_transaction():
            for region, contractor in (("450202", people.a_id), ("450203", people.b_id)):
                await bulk.execute_many(Camera, "UPDATE camera SET contractor = ? WHERE region_code = ?",
                                        [[contractor, region]])
        contract_a = await contract("HT-A", people.a_id, "450202")
        contract_b = await contract("HT-B", people.b_id, "450203")
        t0 = math.floor(time.time()) - 1800
        await WebhookEndpoint(name="office", url="http://127.0.0.1:9/hooks", secret="unused", contractor=None,
                              created_at=t0).save().run()
        address = fleet.addresses[0]  # camera 0: point class 1 (a key point)
        row = await Camera.select(Camera.id, Camera.point_class, Camera.region_code).where(
            Camera.ipv4 == address).first().run()
        assert (row["point_class"], row["region_code"]) == (1, "450202")
        text = config(fleet)
        await tasks.sync(parse(text, "test"), t0, random.Random(1))
        clock = [t0]
        worker = Worker(parse(text, "test"), name="w", clock=lambda: clock[0], rng=random.Random(1))
        yield World(fleet, worker, clock, t0, row["id"], address, contract_a, contract_b)
    finally:
        await fleet.stop()


async def outage_ticket(w: World, people) -> dict:
    """Camera 0 dies; the opener waits out the 10 min grace, then opens exactly one ticket."""
    await w.rounds(300)  # every first check, all healthy
    w.fleet.set(w.address, Fault.OUTAGE)
    await w.rounds(600, 630, 660, 690)  # down from the first failure (600 s), confirmed by the recheck
    assert (await opener.run(w.t0 + 900)).opened == 0  # 5 min into the outage: within the grace
    assert (await opener.run(w.t0 + 1260)).opened == 1
    rows = await bulk.fetch(Ticket, "SELECT t.*, t.contractor AS contractor_id, t.contract AS contract_id "
                                    "FROM ticket t")
    assert len(rows) == 1
    ticket = rows[0]
    assert (ticket["subject_type"], ticket["subject_id"], ticket["fault"]) == ("camera", w.camera, "down")
    assert (ticket["contractor_id"], ticket["contract_id"]) == (people.a_id, w.contract_a)
    assert (ticket["severity"], ticket["area"], ticket["region_code"]) == ("P1", "urban", "450202")
    opened = w.t0 + 1260
    assert ticket["opened_at"] == opened
    assert (ticket["respond_due"], ticket["arrive_due"], ticket["restore_due"]) == pytest.approx(
        (opened + RESPOND_S, opened + ARRIVE_S, opened + RESTORE_S))
    assert (await opener.run(w.t0 + 1320)).opened == 0  # one ticket per device and fault
    return ticket


async def post(client, token: str, path: str, body: dict) -> tuple[float, float, dict]:
    """(real time before, after, response body) of a contractor's action."""
    before = time.time()
    response = await client.post(f"{API}{path}", json=body, headers=bearer(token))
    after = time.time()
    assert response.status_code == 200, response.text
    return before, after, response.json()


async def outbox() -> list[tuple[str, int | None]]:
    rows = await bulk.fetch(Ticket, "SELECT event, payload FROM webhook_delivery ORDER BY id")
    return [(r["event"], json.loads(r["payload"])["data"]["ticket"]["contractor_id"]) for r in rows]


def status(elapsed: float, limit: float, done: bool) -> str:
    return "breached" if elapsed > limit else ("met" if done else "running")


async def test_a_fix_verified_by_the_fleet_closes_the_ticket_with_the_right_figures(world, people, client):
    w = world
    ticket = await outage_ticket(w, people)
    tid, opened = ticket["id"], ticket["opened_at"]
    # Contractor B cannot see it, not even that it exists.
    assert (await client.get(f"{API}/tickets/{tid}", headers=bearer(people.contractor_b))).status_code == 404
    assert (await client.get(f"{API}/tickets", headers=bearer(people.contractor_b))).json()["total"] == 0

    ack_from, ack_to, body = await post(client, people.contractor_a, f"/tickets/{tid}/acknowledge",
                                        {"note": "已派人"})
    assert body["state"] == "acknowledged"
    w.fleet.clear(w.address)  # the technician fixes the camera
    resolve_from, _, body = await post(client, people.contractor_a, f"/tickets/{tid}/resolve",
                                       {"note": "更换电源适配器"})
    assert body["state"] == "resolved"
    await w.round_now()  # the resolve made the camera's light check due at once
    assert (await verify.run(time.time())).verified == 1

    # The first check after the resolve decides, and restored_at is its time.
    results = await bulk.fetch(ResultHistory, "SELECT probe_kind, at, ok FROM result_history WHERE "
                                              "subject_type = 'camera' AND subject_id = ? AND at > ? ORDER BY at",
                               [w.camera, resolve_from])
    assert results and all(r["ok"] for r in results)
    restored = results[0]["at"]

    got = (await client.get(f"{API}/tickets/{tid}", headers=bearer(people.contractor_a))).json()
    assert (got["state"], got["close_reason"], got["restored_at"]) == ("closed", "verified", restored)
    assert ack_from <= got["acknowledged_at"] <= ack_to
    stages = got["sla"]["stages"]
    # Respond ends at the acknowledgement; arrive (nobody logged a visit) and restore at the restore.
    respond = got["acknowledged_at"] - opened
    restore = restored - opened
    assert stages["respond"]["elapsed_s"] == pytest.approx(respond, abs=1e-6)
    assert stages["respond"]["status"] == status(respond, RESPOND_S, True) == "met"
    assert stages["arrive"]["elapsed_s"] == pytest.approx(restore, abs=1e-6)
    assert stages["restore"]["elapsed_s"] == pytest.approx(restore, abs=1e-6)
    assert stages["restore"]["status"] == status(restore, RESTORE_S, True) == "met"
    assert stages["restore"]["late_s"] == 0 and stages["restore"]["deadline"] == pytest.approx(opened + RESTORE_S)
    assert [e["kind"] for e in got["timeline"]] == ["opened", "acknowledge", "resolve", "verified"]
    # The office endpoint has every notice, each about A's ticket; nothing was sent (no delivery job ran).
    assert await outbox() == [("ticket.opened", people.a_id), ("ticket.acknowledged", people.a_id),
                              ("ticket.resolved", people.a_id), ("ticket.closed", people.a_id)]


async def test_a_resolve_while_the_camera_is_still_dead_reopens_and_the_clock_keeps_running(world, people, client):
    w = world
    ticket = await outage_ticket(w, people)
    tid, opened = ticket["id"], ticket["opened_at"]
    await post(client, people.contractor_a, f"/tickets/{tid}/acknowledge", {"note": "已派人"})
    resolve_from, _, _ = await post(client, people.contractor_a, f"/tickets/{tid}/resolve", {"note": "重启了"})
    await w.round_now()  # the camera still resets every connection
    assert (await verify.run(time.time())).reopened == 1
    results = await bulk.fetch(ResultHistory, "SELECT ok FROM result_history WHERE subject_type = 'camera' "
                                              "AND subject_id = ? AND at > ?", [w.camera, resolve_from])
    assert results and not any(r["ok"] for r in results)

    before = time.time()
    got = (await client.get(f"{API}/tickets/{tid}", headers=bearer(people.contractor_a))).json()
    after = time.time()
    assert (got["state"], got["reopen_count"], got["restored_at"], got["resolved_at"]) == ("reopened", 1, None, None)
    restore = got["sla"]["stages"]["restore"]
    # Still counted from the opening (24x7, no pause): as of the GET, not from the failed resolve.
    assert before - opened <= restore["elapsed_s"] <= after - opened
    assert restore["status"] == status(restore["elapsed_s"], RESTORE_S, False) == "running"
    assert restore["done_at"] is None and restore["deadline"] == pytest.approx(opened + RESTORE_S)
    assert got["restore_due"] == pytest.approx(opened + RESTORE_S)
    assert [e["kind"] for e in got["timeline"]] == ["opened", "acknowledge", "resolve", "verification_failed"]
    assert [event for event, _ in await outbox()] == ["ticket.opened", "ticket.acknowledged", "ticket.resolved",
                                                      "ticket.reopened"]
