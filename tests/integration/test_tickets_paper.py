"""Paper work orders (纸质工单补录): a ticket taken by phone on Monday 2 November 2026 and entered on
Wednesday the 4th, with one wrong entry voided and entered again. Worked by hand from the example
contract (assetsvc/tickets/data/contract-sla.example.toml): P2 in an urban district runs on office
hours, 08:30-12:00 and 14:00-18:00 on working days (Mon 2 and Tue 3 Nov are working days):
respond 30 min, arrive 2 h, restore 24 h of that time; an approved pause stops only the restore
clock, from the office's approval. Late arrival costs 1 point (the monthly score, base 100).

The paper says: opened Mon 09:00; accepted 09:20; on site 10:40; the owner denied access, a pause
asked at 11:45 and approved at 11:50, ended Tue 09:00; repaired Tue 15:00; closed Tue 16:00.
- respond: 09:00-09:20 = 20 min (1200 s), met.
- arrive: 09:00-10:40 = 1 h 40 min (6000 s), met. Entered wrongly as 11:40 first: 2 h 40 min
  (9600 s) against 2 h, breached at the 11:00 deadline, 1 point off.
- pause: Mon 11:50-12:00 10 min + 14:00-18:00 4 h, Tue 08:30-09:00 30 min = 4 h 40 min (16800 s).
- restore: Mon 3 h + 4 h, Tue 08:30-12:00 3.5 h + 14:00-15:00 1 h = 11.5 h, less the pause:
  6 h 50 min (24600 s), met.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from assetsvc import bulk
from assetsvc.accounts.service import Actor
from assetsvc.errors import Conflict, ValidationFailed
from assetsvc.registry.tables import Camera, Contract
from assetsvc.tickets import contracts, lifecycle, views
from assetsvc.tickets.paper import service as paper
from assetsvc.tickets.tables import Ticket
from tests.integration.conftest import ADMIN, bearer

LOCAL = ZoneInfo("Asia/Shanghai")
EXAMPLE = Path(__file__).parents[2] / "assetsvc" / "tickets" / "data" / "contract-sla.example.toml"
API = "/api/v1"
NONE_MISSED = {"missed_inspection": 0}


def at(day: int, hour: int, minute: int = 0) -> float:
    """An instant in November 2026, Shanghai time."""
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=LOCAL).timestamp()


def text(day: int, hour: int, minute: int = 0) -> str:
    """The same instant as the office types it (zone-less: the office's time zone)."""
    return f"2026-11-{day:02d} {hour:02d}:{minute:02d}"


ENTERED = at(4, 10)  # two days after the ticket opened


async def world(contractor_id: int) -> tuple[int, int]:
    """(contract id, camera id): contractor A's contract over Hangzhou and one camera in 330106 (urban)."""
    row = Contract(code="HT-2026-A", contractor=contractor_id, region_codes=["330100"], owner_classes=[],
                   starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2027, 12, 31))
    await row.save().run()
    await contracts.put_terms(ADMIN, row.id, EXAMPLE.read_text("utf-8"), now=at(1, 9) - 30 * 86400)
    cam = Camera(gb_id="33010600131320000001", name="东门 1", region_code="330106", ipv4="127.0.0.1",
                 contractor=contractor_id, point_class=3)
    await cam.save().run()
    return row.id, cam.id


async def paper_ticket(camera_id: int, now: float = ENTERED) -> int:
    body = {"subject_type": "camera", "subject_id": camera_id, "severity": "P2", "note": "phoned in by the station",
            "opened_at": text(2, 9)}
    return (await lifecycle.open_manual(ADMIN, body, now=now))["id"]


async def record(ticket_id: int, kind: str, when: str, now: float = ENTERED, **extra: str) -> dict:
    return await paper.record(ADMIN, ticket_id, {"kind": kind, "at": when, **extra}, now=now)


async def stored(ticket_id: int) -> tuple[dict, int, int]:
    """The ticket row, its number of timeline lines and of pauses: what a refused entry must not change."""
    row = (await bulk.fetch(Ticket, "SELECT * FROM ticket WHERE id = ?", [ticket_id]))[0]
    lines = (await bulk.fetch(Ticket, "SELECT COUNT(*) AS n FROM ticket_event WHERE ticket = ?", [ticket_id]))[0]["n"]
    pauses = (await bulk.fetch(Ticket, "SELECT COUNT(*) AS n FROM ticket_suspension WHERE ticket = ?",
                               [ticket_id]))[0]["n"]
    return row, lines, pauses


async def test_a_paper_work_order_entered_two_days_late_and_corrected_follows_the_recorded_times(people):
    contract_id, cam = await world(people.a_id)
    ticket_id = await paper_ticket(cam)
    await record(ticket_id, "accepted", text(2, 9, 20))
    wrong = await record(ticket_id, "arrived", text(2, 11, 40), note="sheet 0412")
    await record(ticket_id, "pause_requested", text(2, 11, 45), reason="no_access", note="the owner locked the gate")
    await record(ticket_id, "pause_approved", text(2, 11, 50))
    await record(ticket_id, "pause_ended", text(3, 9))
    await record(ticket_id, "resolved", text(3, 15), note="replaced the power supply")
    await record(ticket_id, "closed", text(3, 16))

    found = await views.detail(ADMIN, ticket_id, now=at(4, 10, 5))
    assert found["source"] == "paper" and found["state"] == "closed"
    assert found["opened_at"] == at(2, 9) and found["on_site_at"] == at(2, 11, 40)
    assert found["sla"]["stages"]["arrive"]["status"] == "breached"
    assert found["sla"]["stages"]["arrive"]["elapsed_s"] == 9600
    assert found["arrive_breached_at"] == at(2, 11)  # marked at the deadline, not when it was entered
    before = await contracts.score(ADMIN, contract_id, "2026-11", NONE_MISSED, now=at(4, 10, 5))
    assert (before["score"], before["on_time"]["arrive"]["breached"]) == ("99", 1)

    # The sheet says 10:40: the wrong line is voided (kept, marked) and the right one entered.
    void = await paper.void(ADMIN, ticket_id, wrong["id"], {"reason": "typed 11:40; the sheet says 10:40"},
                            now=at(4, 10, 30))
    assert void["state"] == "closed"
    await record(ticket_id, "arrived", text(2, 10, 40), now=at(4, 10, 31), note="sheet 0412")

    found = await views.detail(ADMIN, ticket_id, now=at(4, 11))
    sla = found["sla"]
    assert {s: sla["stages"][s]["status"] for s in ("respond", "arrive", "restore")} == \
        {"respond": "met", "arrive": "met", "restore": "met"}
    assert [sla["stages"][s]["elapsed_s"] for s in ("respond", "arrive", "restore")] == [1200, 6000, 24600]
    assert sla["suspended_s"] == 16800
    assert found["arrive_breached_at"] is None and not found["breached"]
    assert (found["acknowledged_at"], found["on_site_at"], found["restored_at"], found["closed_at"]) == \
        (at(2, 9, 20), at(2, 10, 40), at(3, 15), at(3, 16))
    assert [(p["status"], p["requested_at"], p["decided_at"], p["ended_at"]) for p in found["suspensions"]] == \
        [("ended", at(2, 11, 45), at(2, 11, 50), at(3, 9))]

    # The timeline keeps both times of every line, and the voided line with its mark.
    lines = {line["id"]: line for line in found["timeline"]}
    assert lines[wrong["id"]]["voided_by"] == void["id"] and lines[wrong["id"]]["at"] == at(2, 11, 40)
    assert lines[void["id"]]["voids"] == wrong["id"] and lines[void["id"]]["kind"] == "void"
    assert lines[void["id"]]["note"] == "typed 11:40; the sheet says 10:40"
    arrived = [line for line in found["timeline"] if line["kind"] == "arrived" and line["voided_by"] is None]
    assert [(line["at"], line["entered_at"], line["actor"]) for line in arrived] == \
        [(at(2, 10, 40), at(4, 10, 31), "test-admin")]
    opened = found["timeline"][0]
    assert (opened["kind"], opened["at"], opened["entered_at"]) == ("opened", at(2, 9), ENTERED)

    after = await contracts.score(ADMIN, contract_id, "2026-11", NONE_MISSED, now=at(4, 11))
    assert (after["score"], after["deductions"][0]["units"] if after["deductions"] else 0) == ("100", 0)
    assert after["on_time"]["arrive"] == {"met": 1, "breached": 0, "running": 0, "not_applicable": 0, "rate": 1.0}

    # Audited: who entered what, when, for what time; and the void with its reason.
    changes = await bulk.fetch(Ticket, "SELECT actor, action, entity, entity_id, changes FROM audit_change "
                                       "WHERE entity = 'ticket_event' AND entity_id = ? ORDER BY id", [wrong["id"]])
    assert [(c["actor"], c["action"]) for c in changes] == [("test-admin", "create"), ("test-admin", "void")]
    first = bulk.json_column(changes[0]["changes"], {})
    assert first["at"] == [None, at(2, 11, 40)] and first["entered_at"] == [None, ENTERED]


async def test_entries_out_of_bounds_are_refused_and_write_nothing(people):
    _, cam = await world(people.a_id)
    ticket_id = await paper_ticket(cam)
    await record(ticket_id, "accepted", text(2, 9, 20))
    await record(ticket_id, "arrived", text(2, 10, 40))
    snapshot = await stored(ticket_id)

    cases = [({"kind": "resolved", "at": text(4, 11)}, "in_future"),  # ENTERED is 4 Nov 10:00
             ({"kind": "resolved", "at": text(2, 8, 59)}, "before_open"),
             ({"kind": "resolved", "at": text(2, 10)}, "out_of_order"),  # before the arrival at 10:40
             ({"kind": "accepted", "at": text(2, 11)}, "out_of_order"),  # accepted already, at 09:20
             ({"kind": "pause_approved", "at": text(2, 11)}, "out_of_order"),  # no pause asked
             ({"kind": "pause_requested", "at": text(2, 11)}, "required"),  # a pause needs its reason
             ({"kind": "pause_requested", "at": text(2, 11), "reason": "rain"}, "not_allowed"),
             ({"kind": "resolved", "at": "next tuesday"}, "invalid"),
             ({"kind": "resolved", "at": "2026-11-02"}, "invalid"),
             ({"kind": "reopened", "at": text(2, 11)}, "invalid")]
    for body, kind in cases:
        with pytest.raises(ValidationFailed) as refused:
            await paper.record(ADMIN, ticket_id, body, now=ENTERED)
        assert [e["kind"] for e in refused.value.errors] == [kind], body
    with pytest.raises(ValidationFailed) as refused:
        await paper.record(ADMIN, ticket_id, {"kind": "resolved", "at": text(2, 10)}, now=ENTERED)
    assert "resolved at 2026-11-02 10:00:00" in str(refused.value) and "arrived at 2026-11-02 10:40:00" in \
        str(refused.value)
    await record(ticket_id, "closed", text(2, 17))
    with pytest.raises(ValidationFailed, match="the ticket is closed then"):
        await record(ticket_id, "resolved", text(2, 18))
    # Voiding the arrival would leave nothing out of order; voiding the opening is not possible.
    first = (await bulk.fetch(Ticket, "SELECT id FROM ticket_event WHERE ticket = ? AND kind = 'opened'",
                              [ticket_id]))[0]["id"]
    with pytest.raises(Conflict, match="cancel the ticket"):
        await paper.void(ADMIN, ticket_id, first, {"reason": "wrong day"}, now=ENTERED)
    assert (await stored(ticket_id))[1] == snapshot[1] + 1  # only the close was written

    with pytest.raises(ValidationFailed) as refused:
        await lifecycle.open_manual(ADMIN, {"subject_id": cam, "note": "x", "opened_at": text(5, 9)}, now=ENTERED)
    assert [e["kind"] for e in refused.value.errors] == ["in_future"]


async def test_a_live_ticket_takes_no_recorded_events_and_a_paper_one_no_live_actions(people):
    _, cam = await world(people.a_id)
    live = (await lifecycle.open_manual(ADMIN, {"subject_id": cam, "note": "seen on the wall"}, now=at(2, 9)))["id"]
    with pytest.raises(Conflict, match="not a paper work order"):
        await paper.record(ADMIN, live, {"kind": "accepted", "at": text(2, 9, 5)}, now=at(2, 10))
    ticket_id = await paper_ticket(cam)
    contractor = Actor(user_id=3, username="ca", role="contractor", contractor_id=people.a_id)
    with pytest.raises(Conflict, match="paper work order"):
        await lifecycle.act(contractor, ticket_id, "acknowledge", {}, now=ENTERED)
    cancelled = await lifecycle.act(ADMIN, ticket_id, "cancel", {"reason": "a duplicate of #1"}, now=ENTERED)
    assert cancelled["state"] == "cancelled"
    with pytest.raises(Conflict, match="cancelled"):
        await record(ticket_id, "accepted", text(2, 9, 20))


async def test_over_the_api_only_the_office_enters_and_the_contractor_sees_the_void_marks(client, people):
    _, cam = await world(people.a_id)
    admin, ca, cb = bearer(people.admin), bearer(people.contractor_a), bearer(people.contractor_b)
    made = await client.post(f"{API}/tickets", headers=admin, json={
        "subject_id": cam, "severity": "P2", "note": "phoned in", "opened_at": "2026-11-02T09:00:00+08:00"})
    assert made.status_code == 201, made.text
    ticket_id = made.json()["id"]
    assert made.json()["source"] == "paper" and made.json()["opened_at"] == at(2, 9)
    path = f"{API}/tickets/{ticket_id}/events"
    wrong = await client.post(path, headers=admin, json={"kind": "accepted", "at": text(2, 9, 50)})
    assert wrong.status_code == 201, wrong.text
    before = await stored(ticket_id)

    for token, code in ((ca, 403), (cb, 404), (bearer(people.auditor), 403)):
        refused = await client.post(path, headers=token, json={"kind": "arrived", "at": text(2, 10)})
        assert refused.status_code == code, refused.text
        refused = await client.post(f"{path}/{wrong.json()['id']}/void", headers=token, json={"reason": "mine"})
        assert refused.status_code == code, refused.text
    assert (await client.post(path, headers=admin, json={"kind": "arrived", "at": "2099-01-01T00:00:00Z"})).json()[
        "errors"][0]["kind"] == "in_future"
    early = await client.post(path, headers=admin, json={"kind": "arrived", "at": text(2, 8)})
    assert early.status_code == 400 and early.json()["errors"][0]["kind"] == "before_open"
    assert "before the ticket opened" in early.json()["detail"]
    assert await stored(ticket_id) == before

    void = await client.post(f"{path}/{wrong.json()['id']}/void", headers=admin, json={"reason": "it was 09:20"})
    assert void.status_code == 201, void.text
    again = await client.post(f"{path}/{wrong.json()['id']}/void", headers=admin, json={"reason": "twice"})
    assert again.status_code == 409
    right = await client.post(path, headers=admin, json={"kind": "accepted", "at": at(2, 9, 20)})
    assert right.status_code == 201, right.text

    seen = await client.get(f"{API}/tickets/{ticket_id}", headers=ca)
    assert seen.status_code == 200
    lines = {line["id"]: line for line in seen.json()["timeline"]}
    assert lines[wrong.json()["id"]]["voided_by"] == void.json()["id"]
    assert lines[right.json()["id"]]["at"] == at(2, 9, 20) and lines[right.json()["id"]]["entered_at"] > at(4, 0)
    assert seen.json()["acknowledged_at"] == at(2, 9, 20)
    assert seen.json()["sla"]["stages"]["respond"]["status"] == "met"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assetsvc.cli", *args], capture_output=True, text=True,
                          timeout=120, env=dict(os.environ))


async def test_the_cli_opens_records_voids_and_shows_both_times(people):
    # The commands enter at the real time, which is after November 2026.
    contract_id, cam = await world(people.a_id)
    opened = cli("tickets", "open", "--camera", str(cam), "--severity", "P2", "--note", "phoned in",
                 "--opened-at", text(2, 9))
    assert opened.returncode == 0, opened.stderr
    ticket_id = int(opened.stdout.split()[2])
    for kind, when in (("accepted", text(2, 9, 20)), ("arrived", text(2, 11, 40)), ("resolved", text(2, 15)),
                       ("closed", text(2, 16))):
        done = cli("tickets", "record", str(ticket_id), kind, "--at", when)
        assert done.returncode == 0, done.stderr
    timeline = json.loads(cli("tickets", "show", str(ticket_id), "--json").stdout)["timeline"]
    wrong = next(line["id"] for line in timeline if line["kind"] == "arrived")
    refused = cli("tickets", "record", str(ticket_id), "arrived", "--at", "2099-01-01 00:00")
    assert refused.returncode != 0 and "in the future" in refused.stderr
    voided = cli("tickets", "void", str(ticket_id), str(wrong), "--reason", "the sheet says 10:40")
    assert voided.returncode == 0, voided.stderr
    assert cli("tickets", "record", str(ticket_id), "arrived", "--at", text(2, 10, 40)).returncode == 0
    shown = cli("tickets", "show", str(ticket_id))
    assert shown.returncode == 0, shown.stderr
    assert f"#{wrong} 2026-11-02 11:40" in shown.stdout and "VOIDED by #" in shown.stdout
    assert "(entered 20" in shown.stdout and f"void #{wrong}" in shown.stdout
    listed = cli("tickets", "list", "--source", "paper", "--json")
    assert [t["id"] for t in json.loads(listed.stdout)["items"]] == [ticket_id]
    score = cli("contracts", "score", str(contract_id), "--month", "2026-11", "--count", "missed_inspection=0",
                "--json")
    assert score.returncode == 0, score.stderr
    assert json.loads(score.stdout)["on_time"]["arrive"]["met"] == 1 and json.loads(score.stdout)["score"] == "100"


# ---- importing closed work orders of past months ---------------------------------------------------
# October 2026: Mon 12 and Tue 13 are working days. WO-1001 (P2, urban office hours) is on time:
# accepted after 20 min, on site after 1 h 40 min, restored after 4 h (09:00-12:00, 14:00-15:00).
# WO-1002 arrives at 11:30, 2 h 30 min after opening against 2 h: late arrival, 1 point.
SHEET = """工单号,设备编码,故障等级,派单时间,响应时间,到场时间,修复时间,关闭时间,故障描述
WO-1001,33010600131320000001,P2,2026-10-12 09:00,2026-10-12 09:20,2026-10-12 10:40,2026-10-12 15:00,2026-10-12 16:00,断电
WO-1002,33010600131320000001,P2,2026-10-13 09:00,2026-10-13 09:10,2026-10-13 11:30,2026-10-13 16:00,2026-10-13 17:00,镜头进水
"""
BAD = """工单号,设备编码,故障等级,派单时间,响应时间,到场时间,修复时间,关闭时间
WO-2001,33010600131320000001,P2,2026-10-12 09:00,,,2026-10-12 15:00,2026-10-12 16:00
WO-2002,33010600131320099999,P2,2026-10-12 09:00,,,2026-10-12 15:00,2026-10-12 16:00
WO-2003,33010600131320000001,P2,2026-10-12 09:00,2026-10-12 11:00,2026-10-12 10:00,2026-10-12 15:00,2026-10-12 16:00
WO-2004,33010600131320000001,P2,2026-10-12 09:00,,,2099-10-12 15:00,2099-10-12 16:00
WO-2001,33010600131320000001,P2,2026-10-12 09:00,,,2026-10-12 15:00,
"""


async def tickets_now() -> list[dict]:
    return await bulk.fetch(Ticket, "SELECT id, source, state, opened_at, on_site_at, restored_at, closed_at "
                                    "FROM ticket ORDER BY opened_at")


async def test_closed_work_orders_import_as_a_batch_again_without_change_and_undo_as_a_whole(people):
    from assetsvc.tickets.paper import batches, importer

    contract_id, _ = await world(people.a_id)
    data = SHEET.encode("utf-8")
    dry = await importer.import_orders(data, "oct.csv", ADMIN, dry_run=True)
    assert dry.to_json()["summary"] == {"rows": 2, "import": 2, "already_imported": 0, "rejected": 0,
                                        "dry_run": True, "written": 0}
    assert await tickets_now() == []

    done = (await importer.import_orders(data, "oct.csv", ADMIN)).to_json()
    assert done["batch"] is not None and done["summary"]["written"] == 2
    made = await tickets_now()
    assert [(t["source"], t["state"], t["opened_at"], t["on_site_at"], t["restored_at"], t["closed_at"])
            for t in made] == [
        ("paper", "closed", at(12, 9) - 31 * 86400, at(12, 10, 40) - 31 * 86400, at(12, 15) - 31 * 86400,
         at(12, 16) - 31 * 86400),
        ("paper", "closed", at(13, 9) - 31 * 86400, at(13, 11, 30) - 31 * 86400, at(13, 16) - 31 * 86400,
         at(13, 17) - 31 * 86400)]
    score = await contracts.score(ADMIN, contract_id, "2026-10", NONE_MISSED)
    assert (score["tickets"], score["score"], score["on_time"]["arrive"]["met"],
            score["on_time"]["arrive"]["breached"]) == (2, "99", 1, 1)

    again = (await importer.import_orders(data, "oct.csv", ADMIN)).to_json()
    assert again["batch"] is None and again["summary"]["already_imported"] == 2
    assert [r["batch"] for r in again["rows"]] == [done["batch"], done["batch"]]
    assert len(await tickets_now()) == 2

    listed = await batches.list_batches(ADMIN)
    assert [(b["id"], b["rows"], b["written"], b["undone_at"]) for b in listed] == [(done["batch"], 2, 2, None)]
    undone = await batches.undo(ADMIN, done["batch"])
    assert undone["undone_by"] == "test-admin" and await tickets_now() == []
    left = await bulk.fetch(Ticket, "SELECT COUNT(*) AS n FROM ticket_event")
    assert left[0]["n"] == 0  # the timelines went with their tickets
    assert (await contracts.score(ADMIN, contract_id, "2026-10", NONE_MISSED))["tickets"] == 0
    with pytest.raises(Conflict, match="undone already"):
        await batches.undo(ADMIN, done["batch"])
    # Once undone, the same file imports anew.
    assert (await importer.import_orders(data, "oct.csv", ADMIN)).to_json()["summary"]["written"] == 2


async def test_a_work_order_sheet_with_bad_rows_names_each_by_row_and_writes_nothing(people):
    from assetsvc.tickets.paper import importer

    await world(people.a_id)
    report = (await importer.import_orders(BAD.encode("utf-8"), "bad.csv", ADMIN)).to_json()
    rows = {r["row"]: r for r in report["rows"]}
    assert rows[2]["action"] == "import"
    assert rows[3]["errors"][0]["field"] == "camera" and "33010600131320099999" in rows[3]["errors"][0]["reason"]
    assert rows[4]["errors"][0]["field"] == "order" and "arrived at 2026-10-12 10:00:00" in \
        rows[4]["errors"][0]["reason"]
    assert {e["field"] for e in rows[5]["errors"]} == {"resolved", "closed"}
    assert "in the future" in rows[5]["errors"][0]["reason"]
    assert [e["field"] for e in rows[6]["errors"]] == ["closed", "order_no"]  # required; the number is on row 2
    assert report["summary"]["rejected"] == 4 and report["batch"] is None
    assert await tickets_now() == []


async def import_job(client, token: str, text: str, query: str = "", name: str = "oct.csv") -> dict:
    """POST the sheet (202, a job), then poll the job until it has finished; the finished job."""
    files = {"file": (name, text.encode("utf-8"), "text/csv")}
    answer = await client.post(f"{API}/tickets/import{query}", headers=bearer(token), files=files)
    assert answer.status_code == 202, answer.text
    job = answer.json()
    assert job["state"] in ("queued", "running", "done", "rejected", "failed") and job["file"] == name
    for _ in range(2000):  # bounded: a job of a few rows finishes in a few polls
        if job["state"] not in ("queued", "running"):
            return job
        await asyncio.sleep(0.02)
        polled = await client.get(f"{API}/tickets/import/jobs/{job['id']}", headers=bearer(token))
        assert polled.status_code == 200, polled.text
        job = polled.json()
    raise AssertionError("the import job did not finish")


async def test_the_work_order_import_over_the_api_and_the_cli(client, people, tmp_path):
    await world(people.a_id)
    files = {"file": ("oct.csv", SHEET.encode("utf-8"), "text/csv")}
    refused = await client.post(f"{API}/tickets/import", headers=bearer(people.contractor_a), files=files)
    assert refused.status_code == 403
    dry = await import_job(client, people.admin, SHEET, "?dry_run=true")
    assert (dry["state"], dry["dry_run"], dry["progress"]) == ("done", True, {"stage": "finished", "done": 2,
                                                                              "total": 2})
    assert dry["report"]["summary"]["import"] == 2 and await tickets_now() == []
    peeked = await client.get(f"{API}/tickets/import/jobs/{dry['id']}", headers=bearer(people.contractor_a))
    assert peeked.status_code == 403  # a job, like the import, is the office's
    missing = await client.get(f"{API}/tickets/import/jobs/999999", headers=bearer(people.admin))
    assert missing.status_code == 404
    # A rejected sheet: the job says so, with the report naming each row; nothing is written.
    rejected = await import_job(client, people.admin, BAD, name="bad.csv")
    assert rejected["state"] == "rejected" and rejected["report"]["summary"]["rejected"] == 4
    assert await tickets_now() == []
    # An unreadable file: the job failed, with the reason in the API's error shape.
    broken = await import_job(client, people.admin, "工单号,设备编码\n", name="empty.csv")
    assert broken["state"] == "failed" and broken["error"]["errors"][0]["field"] == "file", broken
    path = tmp_path / "oct.csv"
    path.write_text(SHEET, "utf-8")
    first = cli("tickets", "import", str(path), "--progress")
    assert first.returncode == 0, first.stderr
    assert "imported 2" in first.stdout
    assert "validating 2 of 2 rows" in first.stderr and "finished 2 of 2 rows" in first.stderr
    again = cli("tickets", "import", str(path))
    assert again.returncode == 0 and "2 already imported" in again.stdout
    listed = await client.get(f"{API}/tickets/import/batches", headers=bearer(people.admin))
    assert listed.status_code == 200 and len(listed.json()) == 1
    batch = listed.json()[0]["id"]
    undone = cli("tickets", "undo-import", str(batch))
    assert undone.returncode == 0 and f"batch {batch} undone: 2 ticket(s)" in undone.stdout
    again = await client.post(f"{API}/tickets/import/batches/{batch}/undo", headers=bearer(people.admin))
    assert again.status_code == 409
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD, "utf-8")
    rejected = cli("tickets", "import", str(bad))
    assert rejected.returncode == 1 and "row 3: REJECTED camera" in rejected.stdout
    assert "nothing written" in rejected.stdout and await tickets_now() == []


async def test_the_same_work_orders_import_from_an_xlsx_workbook(people):
    from assetsvc.tickets.paper import importer
    from tests.fakes.sheets import header_row, inline, workbook

    await world(people.a_id)
    lines = [line.split(",") for line in SHEET.strip().splitlines()]
    rows = header_row(lines[0]) + "".join(
        f'<row r="{n}">' + "".join(inline(f"{chr(65 + i)}{n}", cell) for i, cell in enumerate(cells)) + "</row>"
        for n, cells in enumerate(lines[1:], start=2))
    done = (await importer.import_orders(workbook(rows), "oct.xlsx", ADMIN)).to_json()
    assert [(r["row"], r["order_no"], r["action"]) for r in done["rows"]] == [(2, "WO-1001", "import"),
                                                                              (3, "WO-1002", "import")]
    assert [t["on_site_at"] for t in await tickets_now()] == [at(12, 10, 40) - 31 * 86400,
                                                             at(13, 11, 30) - 31 * 86400]


# ---- webhook notices of paper and imported work orders ---------------------------------------------
# Entered Wed 4 Nov 10:00 for Mon 2 Nov 09:00 (P2, office hours): the respond (Mon 09:30) and arrive
# (Mon 11:00) deadlines had passed at entry, and the escalation that follows the first breach too;
# restore (24 h of office hours: Mon 7 h, Tue 7.5 h, Wed 7.5 h, Thu 08:30-10:30) is due Thu 5 Nov
# 10:30, after entry.


@pytest.fixture
def receiver():
    from tests.integration.test_webhooks import Receiver

    found = Receiver()
    found.start()
    yield found
    found.release.set()
    found.stop()


async def endpoints(receiver, contractor_id: int) -> None:
    from assetsvc.webhooks import service as webhooks

    await webhooks.create_endpoint(ADMIN, {"name": "office", "url": receiver.url("/office")}, now=ENTERED)
    await webhooks.create_endpoint(ADMIN, {"name": "contractor", "url": receiver.url("/contractor"),
                                           "contractor": contractor_id}, now=ENTERED)


def told(receiver) -> dict[str, list[tuple[str, str | None]]]:
    """Per endpoint, the notices it received: (event, stage of a breach)."""
    return {path: [(json.loads(r["body"])["event"], json.loads(r["body"])["data"].get("stage"))
                   for r in receiver.requests if r["path"] == path] for path in ("/office", "/contractor")}


async def test_a_paper_work_order_tells_its_opening_but_no_deadline_past_at_entry(people, receiver):
    from assetsvc.tickets import sweep
    from assetsvc.webhooks import delivery

    await world(people.a_id)
    await endpoints(receiver, people.a_id)
    cam = (await bulk.fetch(Camera, "SELECT id FROM camera"))[0]["id"]
    ticket_id = await paper_ticket(cam)
    row, _, _ = await stored(ticket_id)
    assert (row["respond_breached_at"], row["arrive_breached_at"], row["restore_due"]) == \
        (at(2, 9, 30), at(2, 11), at(5, 10, 30))
    assert row["escalated_at"] == ENTERED  # on the timeline and in the figures, untold
    await delivery.deliver_due(ENTERED)
    opened = [("ticket.opened", None)]
    assert told(receiver) == {"/office": opened, "/contractor": opened}

    # Entries recorded later tell nothing either; the restore deadline, still ahead at entry, is told
    # when it passes, like a live ticket's.
    await record(ticket_id, "accepted", text(2, 9, 20), now=at(4, 10, 5))
    await sweep.run(at(5, 11))
    await delivery.deliver_due(at(5, 11))
    told_now = [*opened, ("ticket.breached", "restore")]
    assert told(receiver) == {"/office": told_now, "/contractor": told_now}
    kinds = [line["kind"] for line in (await views.detail(ADMIN, ticket_id, now=at(5, 11)))["timeline"]]
    assert kinds.count("breached") == 3 and kinds.count("escalated") == 1


async def test_an_imported_closed_work_order_sends_no_notice_at_all(client, people, receiver):
    from assetsvc.tickets import sweep
    from assetsvc.webhooks import delivery
    from assetsvc.webhooks.tables import WebhookDelivery

    await world(people.a_id)
    await endpoints(receiver, people.a_id)
    job = await import_job(client, people.admin, SHEET)
    assert job["state"] == "done" and job["report"]["summary"]["written"] == 2
    # WO-1002 arrived late: the breach is on its timeline and in the score, and nobody is told.
    late = [t for t in await tickets_now() if t["on_site_at"] == at(13, 11, 30) - 31 * 86400][0]
    kinds = [line["kind"] for line in (await views.detail(ADMIN, late["id"]))["timeline"]]
    assert "breached" in kinds and "closed" in kinds
    await sweep.run()
    assert await WebhookDelivery.count().run() == 0
    assert (await delivery.deliver_due(time.time() + 3600))["sent"] == 0
    assert receiver.requests == []
