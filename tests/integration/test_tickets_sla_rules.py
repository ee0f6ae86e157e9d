"""SLA rules an office would sign, worked by hand: when a pause stops the clock, which stages it
stops, and what a fault that cleared by itself counts for.

Every ticket runs on the example contract (assetsvc/tickets/data/contract-sla.example.toml): a P2
camera in an urban area counts office hours, 08:30-12:00 and 14:00-18:00 (7.5 h) on working days,
with respond 30 min, arrive 2 h and restore 24 h. November 2026 has no holiday and no make-up day.
Mon 16 Nov and Tue 24 Nov are working days; instants are Asia/Shanghai.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from assetsvc import bulk, db
from assetsvc.accounts.service import Actor
from assetsvc.monitoring.tables import DeviceState
from assetsvc.registry.tables import Camera, Contract
from assetsvc.tickets import contracts, lifecycle, opener, sweep, views
from assetsvc.tickets.store import TERMS
from assetsvc.tickets.tables import Ticket
from tests.integration.conftest import ADMIN

LOCAL = ZoneInfo("Asia/Shanghai")
EXAMPLE = Path(__file__).parents[2] / "assetsvc" / "tickets" / "data" / "contract-sla.example.toml"
DEFAULT_RULES = 'from = "approval"\nstops = ["restore"]'
M, H = 60, 3600


@pytest.fixture(autouse=True)
def fresh_terms():
    # Parsed terms are cached by (contract id, version); SQLite reuses a deleted contract's id.
    TERMS._parsed.clear()


def at(month: int, day: int, hour: int, minute: int = 0) -> float:
    """An instant in 2026, Shanghai time."""
    return dt.datetime(2026, month, day, hour, minute, tzinfo=LOCAL).timestamp()


async def contract(contractor_id: int, rules: str = DEFAULT_RULES) -> int:
    """A contract on the example terms, with its [suspension_rules] replaced by `rules`."""
    text = EXAMPLE.read_text("utf-8")
    assert DEFAULT_RULES in text
    row = Contract(code="HT-RULES", contractor=contractor_id, region_codes=["330100"], owner_classes=[],
                   starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2027, 12, 31))
    await row.save().run()
    await contracts.put_terms(ADMIN, row.id, text.replace(DEFAULT_RULES, rules), now=at(10, 1, 9))
    return row.id


async def camera(n: int, contractor_id: int) -> int:
    row = Camera(gb_id=f"330106001313200{n:05d}", name=f"路口{n}号", region_code="330106", ipv4=f"127.0.0.{n}",
                 contractor=contractor_id, point_class=3)
    await row.save().run()
    return row.id


async def row(ticket_id: int) -> dict:
    return (await bulk.fetch(Ticket, "SELECT * FROM ticket WHERE id = ?", [ticket_id]))[0]


async def kinds(ticket_id: int) -> list[str]:
    rows = await bulk.fetch(Ticket, "SELECT kind FROM ticket_event WHERE ticket = ? ORDER BY at, id", [ticket_id])
    return [r["kind"] for r in rows]


# ---- a pause approved an hour after its request -------------------------------------------------
#
# P2 urban, opened Mon 16 Nov 09:00. At 09:10, before acknowledging, the contractor asks to pause
# (the owner denies access); the sweep runs at 09:45; the office approves at 10:10, an hour after
# the request; the sweep runs again at 11:30 while the ticket is suspended; the contractor ends the
# pause Tue 17 Nov 10:00, acknowledges 10:05, is on site 11:00; the office closes it (restored)
# Thu 19 Nov 14:30.
#
# Office time from the opening: Mon 09:00-12:00 3 h and 14:00-18:00 4 h (7 h); Tue 08:30-10:00
# 1.5 h (8.5 h), to 10:05 8 h 35 min, to 11:00 9.5 h, to 18:00 14.5 h; Wed 22 h; Thu 08:30-12:00
# and 14:00-14:30 26 h. The pause covers, from the approval (Mon 10:10) 8.5 h - 70 min = 7 h 20 min;
# from the request (Mon 09:10) 8.5 h - 10 min = 8 h 20 min.
#
# Restore (24 h), stopped in every case:
#   from approval: 31 h 20 min of office time: Mon 7, Tue 14.5, Wed 22, Thu 29.5, Fri 20 Nov
#     08:30 + 1 h 50 min = 10:20. Elapsed 26 h - 7 h 20 min = 18 h 40 min: met.
#   from request: 32 h 20 min: Fri 08:30 + 2 h 50 min = 11:20. Elapsed 17 h 40 min: met.
# Respond (30 min) and arrive (2 h), not stopped (the default, whichever `from`):
#   respond due Mon 09:30, done Tue 10:05: 8 h 35 min, 8 h 5 min late; the 09:45 sweep marks it.
#   arrive due Mon 11:00, done Tue 11:00: 9.5 h, 7.5 h late; the 11:30 sweep marks it although the
#   ticket is suspended (the pause does not stop arrive).
# Respond and arrive stopped from the approval: the pause starts after respond was due (09:30), so
#   respond stays breached: 8 h 35 min - 7 h 20 min = 1 h 15 min, 45 min late. Arrive: 70 min before
#   the pause, the other 50 min from Tue 10:00: due Tue 10:50; done 11:00, 10 min late.
# Respond and arrive stopped from the request: respond 10 min before + Tue 10:00-10:05 = 15 min,
#   met (due Tue 10:00 + 20 min = 10:20); the 09:45 sweep's mark is withdrawn at the approval,
#   which is the after-the-fact withdrawal only a contract choosing `request` allows. Arrive
#   10 min + 60 min = 70 min, met (due Tue 10:00 + 110 min = 11:50).

PAUSE_CASES = {
    "default: from approval, restore only": (
        DEFAULT_RULES, at(11, 16, 10, 10), ("breached", 8 * H + 5 * M, at(11, 16, 9, 30)),
        ("breached", 7.5 * H, at(11, 16, 11)), (at(11, 20, 10, 20), 18 * H + 40 * M)),
    "from request, restore only": (
        'from = "request"\nstops = ["restore"]', at(11, 16, 9, 10), ("breached", 8 * H + 5 * M, at(11, 16, 9, 30)),
        ("breached", 7.5 * H, at(11, 16, 11)), (at(11, 20, 11, 20), 17 * H + 40 * M)),
    "from approval, every stage": (
        'from = "approval"\nstops = ["respond", "arrive", "restore"]', at(11, 16, 10, 10),
        ("breached", 45 * M, at(11, 16, 9, 30)), ("breached", 10 * M, at(11, 17, 10, 50)),
        (at(11, 20, 10, 20), 18 * H + 40 * M)),
    "from request, every stage": (
        'from = "request"\nstops = ["respond", "arrive", "restore"]', at(11, 16, 9, 10),
        ("met", 0, None), ("met", 0, None), (at(11, 20, 11, 20), 17 * H + 40 * M)),
}


@pytest.mark.parametrize("case", PAUSE_CASES)
async def test_a_pause_approved_an_hour_after_its_request(people, case):
    rules, paused_from, respond, arrive, restore = PAUSE_CASES[case]
    ours = await contract(people.a_id, rules)
    a = Actor(user_id=3, username="ca", role="contractor", contractor_id=people.a_id)
    cam = await camera(1, people.a_id)
    made = await lifecycle.open_manual(ADMIN, {"subject_id": cam, "severity": "P2", "note": "黑屏"},
                                       now=at(11, 16, 9))
    t = made["id"]
    assert (await row(t))["contract"] == ours
    pause = await lifecycle.request_suspension(a, t, {"reason": "no_access", "note": "业主不在"}, now=at(11, 16, 9, 10))
    await sweep.run(at(11, 16, 9, 45))
    assert (await row(t))["respond_breached_at"] == at(11, 16, 9, 30)  # only asked: the clocks still ran
    await lifecycle.decide_suspension(ADMIN, t, pause["id"], "approve", {}, now=at(11, 16, 10, 10))
    await sweep.run(at(11, 16, 11, 30))
    during = await row(t)
    assert during["state"] == "suspended"
    assert during["arrive_breached_at"] == (at(11, 16, 11) if "restore only" in case else None)
    await lifecycle.decide_suspension(a, t, pause["id"], "end", {}, now=at(11, 17, 10))
    await lifecycle.act(a, t, "acknowledge", {}, now=at(11, 17, 10, 5))
    await lifecycle.act(a, t, "arrive", {}, now=at(11, 17, 11))
    await lifecycle.act(ADMIN, t, "close", {"note": "confirmed on the wall"}, now=at(11, 19, 14, 30))

    stages = (await views.detail(ADMIN, t, now=at(11, 20, 9)))["sla"]["stages"]
    stored = await row(t)
    for name, (status, late_s, breached_at) in (("respond", respond), ("arrive", arrive)):
        assert (stages[name]["status"], stages[name]["late_s"]) == (status, late_s), name
        assert stored[f"{name}_breached_at"] == breached_at, name
    assert (stages["restore"]["status"], stages["restore"]["deadline"], stages["restore"]["elapsed_s"]) == (
        "met", *restore)
    assert stored["restore_due"] == restore[0]
    suspended = [e for e in await bulk.fetch(Ticket, "SELECT kind, data FROM ticket_event WHERE ticket = ? AND "
                                                     "kind = 'suspended'", [t])]
    assert bulk.json_column(suspended[0]["data"], {})["from"] == paused_from
    assert ("breach_withdrawn" in await kinds(t)) == (case == "from request, every stage")


async def test_a_stored_terms_version_without_pause_rules_loads_with_the_defaults(people):
    """A version stored before [suspension_rules] existed: the same figures as the default case."""
    text = EXAMPLE.read_text("utf-8")
    old = text[:text.index("# What an approved pause stops")]
    assert "suspension_rules" not in old
    row_ = Contract(code="HT-OLD", contractor=people.a_id, region_codes=["330100"], owner_classes=[],
                    starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2027, 12, 31))
    await row_.save().run()
    await contracts.put_terms(ADMIN, row_.id, old, now=at(10, 1, 9))
    a = Actor(user_id=3, username="ca", role="contractor", contractor_id=people.a_id)
    t = (await lifecycle.open_manual(ADMIN, {"subject_id": await camera(1, people.a_id), "severity": "P2",
                                             "note": "黑屏"}, now=at(11, 16, 9)))["id"]
    pause = await lifecycle.request_suspension(a, t, {"reason": "no_access", "note": "业主不在"}, now=at(11, 16, 9, 10))
    await lifecycle.decide_suspension(ADMIN, t, pause["id"], "approve", {}, now=at(11, 16, 10, 10))
    await lifecycle.decide_suspension(a, t, pause["id"], "end", {}, now=at(11, 17, 10))
    # As in the default case: restore due Fri 10:20; respond (due Mon 09:30) was not stopped.
    stored = await row(t)
    assert (stored["restore_due"], stored["respond_breached_at"]) == (at(11, 20, 10, 20), at(11, 16, 9, 30))


# ---- a fault that cleared by itself -------------------------------------------------------------
#
# Tue 24 Nov. S1: camera down from 09:00, the opener opens the ticket at 09:15 (grace 10 min), the
# camera is back at 09:40 before anyone acted: closed self-recovered at 09:40. Respond (due 09:45)
# and arrive (due 11:15) were not yet owed: not applicable. Restore 25 min: met.
# S2: down from 14:00, opened 14:15, back at 15:00. Respond was due 14:45 and nobody answered: it
# stays breached, 15 min late (marked at 14:45). Arrive (due 16:15): not applicable. Restore met.
# Two tickets handled by people in the same month:
# T1 opened Mon 2 Nov 09:00, acknowledged 09:10, on site 10:00, closed 15:00: all met.
# T2 opened Tue 3 Nov 09:00, acknowledged 09:20, on site 11:30 (2.5 h of 2 h): arrive breached.
#    Closed 16:00: restore met.
# On time, met of met + breached: respond T1, T2 met, S2 breached: 2 of 3 (S1 left out; counting
# it met would give 3 of 4). Arrive T1 met, T2 breached: 1 of 2 (S1 and S2 left out; counted met
# they would make it 3 of 4). Restore all four met.
# Score: late arrival 1 point (T2 only); no fault hours recorded, no missed inspection: 99, good.

async def self_recovered(cam: int, down: float, opened: float, back: float) -> int:
    """The monitoring sees the camera down from `down`, the opener opens a ticket at `opened`, and
    the camera is back at `back`; the next run (5 min later) closes the ticket as self-recovered."""
    async with db.write_transaction():
        await bulk.execute_many(DeviceState, "DELETE FROM device_state WHERE subject_id = ?", [[cam]])
        await bulk.insert_rows(DeviceState, [{"subject_type": "camera", "subject_id": cam, "state": "down",
                                              "cause": "onvif_light:timeout", "since": down}])
    assert (await opener.run(opened)).opened == 1
    async with db.write_transaction():
        await bulk.execute_many(DeviceState, "UPDATE device_state SET state = 'up', cause = '', since = ? "
                                             "WHERE subject_id = ?", [[back, cam]])
    assert (await opener.run(back + 5 * M)).self_recovered == 1
    [found] = await bulk.fetch(Ticket, "SELECT id FROM ticket WHERE subject_id = ? AND close_reason = "
                                       "'self_recovered'", [cam])
    return found["id"]


async def test_a_self_recovered_fault_is_not_counted_as_answered(people):
    ours = await contract(people.a_id)
    a = Actor(user_id=3, username="ca", role="contractor", contractor_id=people.a_id)
    cams = [await camera(n, people.a_id) for n in range(1, 5)]
    s1 = await self_recovered(cams[0], at(11, 24, 9), at(11, 24, 9, 15), at(11, 24, 9, 40))
    s2 = await self_recovered(cams[1], at(11, 24, 14), at(11, 24, 14, 15), at(11, 24, 15))
    t1 = (await lifecycle.open_manual(ADMIN, {"subject_id": cams[2], "severity": "P2", "note": "x"},
                                      now=at(11, 2, 9)))["id"]
    await lifecycle.act(a, t1, "acknowledge", {}, now=at(11, 2, 9, 10))
    await lifecycle.act(a, t1, "arrive", {}, now=at(11, 2, 10))
    await lifecycle.act(ADMIN, t1, "close", {"note": "ok"}, now=at(11, 2, 15))
    t2 = (await lifecycle.open_manual(ADMIN, {"subject_id": cams[3], "severity": "P2", "note": "x"},
                                      now=at(11, 3, 9)))["id"]
    await lifecycle.act(a, t2, "acknowledge", {}, now=at(11, 3, 9, 20))
    await lifecycle.act(a, t2, "arrive", {}, now=at(11, 3, 11, 30))
    await lifecycle.act(ADMIN, t2, "close", {"note": "ok"}, now=at(11, 3, 16))

    # The ticket detail: S1's respond and arrive have no deadline, elapsed time or done instant.
    shown = (await views.detail(ADMIN, s1, now=at(11, 25, 9)))["sla"]["stages"]
    for stage in ("respond", "arrive"):
        assert (shown[stage]["status"], shown[stage]["deadline"], shown[stage]["elapsed_s"],
                shown[stage]["done_at"], shown[stage]["late_s"]) == ("not_applicable", None, None, None, 0)
    assert (shown["restore"]["status"], shown["restore"]["elapsed_s"]) == ("met", 25 * M)
    first = await row(s1)
    assert (first["respond_due"], first["arrive_due"], first["respond_breached_at"]) == (None, None, None)
    second = (await views.detail(ADMIN, s2, now=at(11, 25, 9)))["sla"]["stages"]
    assert (second["respond"]["status"], second["respond"]["late_s"]) == ("breached", 15 * M)
    assert (await row(s2))["respond_breached_at"] == at(11, 24, 14, 45)
    assert (second["arrive"]["status"], second["restore"]["status"]) == ("not_applicable", "met")

    result = await contracts.score(ADMIN, ours, "2026-11", {"missed_inspection": 0}, now=at(12, 3, 9))
    assert result["tickets"] == 4
    assert (result["score"], result["grade"], result["points"]) == ("99", "good", "1")
    by_rule = {d["rule"]: d for d in result["deductions"]}
    assert by_rule["late arrival"]["items"] == [t2]
    assert result["on_time"] == {
        "respond": {"met": 2, "breached": 1, "running": 0, "not_applicable": 1, "rate": 2 / 3},
        "arrive": {"met": 1, "breached": 1, "running": 0, "not_applicable": 2, "rate": 0.5},
        "restore": {"met": 4, "breached": 0, "running": 0, "not_applicable": 0, "rate": 1.0},
    }
