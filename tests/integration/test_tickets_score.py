"""A contractor's monthly score (考核) for November 2026, worked out by hand from the example contract.

The tickets go through the real services (opened by the office or by the opener, acted on by the
contractor, closed by the office, by a passing check or by the device recovering); the channels'
fault hours come from state intervals. Every expected figure below is computed in the comments
from the contract (assetsvc/tickets/data/contract-sla.example.toml) and the calendar:
- P1 runs on the `always` calendar (24x7): respond 30 min, arrive 1 h, restore 2 h.
- P2 urban runs on `office` hours, 08:30-12:00 and 14:00-18:00 (7.5 h) on working days:
  respond 30 min, arrive 2 h, restore 24 h of that time.
- November 2026 has no holiday and no make-up working day (the 2026 notice: the last make-up day is
  Sat 10 Oct), so its working days are Monday to Friday. Sun 1 Nov; Mondays are the 2nd, 9th, 16th,
  23rd and 30th.
Penalties: late arrival 1 point per ticket; late restore 100 yuan per started hour (at most 24 per
ticket, 5000 a month); a channel faulty over 8 h in the month 1 point (at most 20); a missed
inspection 5 points. Grades: good >= 90, pass >= 80, fail below.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from assetsvc import bulk, db
from assetsvc.accounts.service import Actor
from assetsvc.errors import ValidationFailed
from assetsvc.monitoring.tables import DeviceState, ResultHistory, StateInterval
from assetsvc.registry.tables import Camera, Contract
from assetsvc.tickets import contracts, lifecycle, opener, verify
from assetsvc.tickets.store import TERMS
from assetsvc.tickets.tables import Ticket
from tests.integration.conftest import ADMIN
from tests.integration.test_uptime_world import service_where

LOCAL = ZoneInfo("Asia/Shanghai")
EXAMPLE = Path(__file__).parents[2] / "assetsvc" / "tickets" / "data" / "contract-sla.example.toml"
CAUSES = {"down": "onvif_light:timeout", "degraded": "picture:dark", "unknown": "no data"}


@pytest.fixture(autouse=True)
def fresh_terms():
    # Parsed terms are cached by (contract id, version); SQLite reuses a deleted contract's id.
    TERMS._parsed.clear()


def at(month: int, day: int, hour: int, minute: int = 0) -> float:
    """An instant in 2026, Shanghai time."""
    return dt.datetime(2026, month, day, hour, minute, tzinfo=LOCAL).timestamp()


async def contract(contractor_id: int, code: str, region: str) -> int:
    row = Contract(code=code, contractor=contractor_id, region_codes=[region], owner_classes=[],
                   starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2027, 12, 31))
    await row.save().run()
    await contracts.put_terms(ADMIN, row.id, EXAMPLE.read_text("utf-8"), now=at(10, 1, 9))
    return row.id


async def camera(n: int, contractor_id: int, region: str = "330106") -> int:
    row = Camera(gb_id=f"{region}001313200{n:05d}", name=f"cam {n}", region_code=region, ipv4=f"127.0.0.{n}",
                 contractor=contractor_id, point_class=3)
    await row.save().run()
    return row.id


async def opened(camera_id: int, severity: str, when: float) -> int:
    """A ticket the office opens by hand (the monitoring may not see every fault)."""
    made = await lifecycle.open_manual(ADMIN, {"subject_type": "camera", "subject_id": camera_id,
                                               "severity": severity, "note": "reported by the station"}, now=when)
    return made["id"]


async def intervals(rows: list[tuple[int, str, float, float | None]]) -> None:
    async with db.write_transaction():
        await bulk.insert_rows(StateInterval, [{"subject_type": "camera", "subject_id": cam, "state": state,
                                                "cause": CAUSES[state],
                                                "start": start, "end": end} for cam, state, start, end in rows])
    await service_where((cam, start, end) for cam, _, start, end in rows)


async def test_the_november_score_matches_the_hand_worked_figures(people):
    a = Actor(user_id=3, username="ca", role="contractor", contractor_id=people.a_id)
    ours = await contract(people.a_id, "HT-2026-A", "330100")  # all of Hangzhou; 330106 is urban
    theirs = await contract(people.b_id, "HT-2026-B", "330200")
    cams = [await camera(n, people.a_id) for n in range(1, 9)]

    # T1, met. P2 opened Mon 2 Nov 09:00. Acknowledged 09:10 (10 min <= 30), on site 10:00
    # (1 h <= 2 h), restored 15:00: 09:00-12:00 is 3 h, 14:00-15:00 1 h, 4 h <= 24 h. No deduction.
    t1 = await opened(cams[0], "P2", at(11, 2, 9))
    await lifecycle.act(a, t1, "acknowledge", {}, now=at(11, 2, 9, 10))
    await lifecycle.act(a, t1, "arrive", {}, now=at(11, 2, 10))
    await lifecycle.act(ADMIN, t1, "close", {"note": "confirmed on the wall"}, now=at(11, 2, 15))

    # T2, late arrival. P2 opened Tue 3 Nov 09:00, on site 11:30: 2 h 30 min of office time against
    # 2 h, so arrive is breached (1 point). Restored 16:00: 3 h + 2 h = 5 h, met.
    t2 = await opened(cams[1], "P2", at(11, 3, 9))
    await lifecycle.act(a, t2, "acknowledge", {}, now=at(11, 3, 9, 20))
    await lifecycle.act(a, t2, "arrive", {}, now=at(11, 3, 11, 30))
    await lifecycle.act(ADMIN, t2, "close", {"note": "confirmed"}, now=at(11, 3, 16))

    # T3, restore late by 2 h 10 min. P2 opened Fri 6 Nov 17:00; the weekend is not office time.
    # Arrive (2 h): Fri 17:00-18:00 is 1 h, the second hour Mon 9 Nov 08:30-09:30; on site Mon 09:00:
    # 1 h 30 min, met. Restore (24 h): Fri 1 h, Mon 7.5 (8.5), Tue 7.5 (16), Wed 7.5 (23.5), Thu 12 Nov
    # 08:30-09:00 the last 0.5 h: deadline Thu 09:00. The contractor resolves Thu 11:05 and the check
    # passes at 11:10: 2 h 10 min of office time after the deadline. late_hours rounds up: 3 units,
    # 300 yuan.
    t3 = await opened(cams[2], "P2", at(11, 6, 17))
    await lifecycle.act(a, t3, "acknowledge", {}, now=at(11, 6, 17, 20))
    await lifecycle.act(a, t3, "arrive", {}, now=at(11, 9, 9))
    await lifecycle.act(a, t3, "resolve", {"note": "replaced the power supply"}, now=at(11, 12, 11, 5))
    async with db.write_transaction():
        await bulk.insert_rows(ResultHistory, [{"subject_type": "camera", "subject_id": cams[2], "slot": 0,
                                                "probe_kind": "onvif_light", "at": at(11, 12, 11, 10), "ok": True,
                                                "duration_ms": 14.0, "facts": {}}])
    assert (await verify.run(at(11, 12, 11, 12))).verified == 1

    # T4, suspended, and late on site all the same. P2 opened Mon 16 Nov 09:00, acknowledged 09:10.
    # At 10:00 the contractor asks to pause (the owner denies access), the office approves at 10:30
    # and the pause ends Tue 17 Nov 10:00. The example contract keeps the default pause rules: the
    # clock stops at the approval, and only the restore clock stops.
    # Arrive (2 h) runs through the pause: on site Tue 11:00 is Mon 7 h + Tue 08:30-11:00 2.5 h =
    # 9.5 h, breached at Mon 11:00: 1 point. (This ticket used to show a pause turning the late
    # arrival into met: paused from the request and stopping every clock, arrive counted Mon
    # 09:00-10:00 + Tue 10:00-11:00 = exactly 2 h. The office's rule no longer allows that.)
    # Restore (24 h) is paused from Mon 10:30: 10:30-12:00 1.5 h + 14:00-18:00 4 h + Tue 08:30-10:00
    # 1.5 h = 7 h of office time. Restored Thu 19 Nov 14:30: Mon 7 + Tue 7.5 + Wed 7.5 + Thu 3.5 + 0.5
    # = 26 h, less 7 h paused = 19 h, met; not paused it would be 26 h, 200 yuan.
    t4 = await opened(cams[3], "P2", at(11, 16, 9))
    await lifecycle.act(a, t4, "acknowledge", {}, now=at(11, 16, 9, 10))
    pause = await lifecycle.request_suspension(a, t4, {"reason": "no_access", "note": "业主不在"},
                                               now=at(11, 16, 10))
    await lifecycle.decide_suspension(ADMIN, t4, pause["id"], "approve", {}, now=at(11, 16, 10, 30))
    await lifecycle.decide_suspension(a, t4, pause["id"], "end", {}, now=at(11, 17, 10))
    await lifecycle.act(a, t4, "arrive", {}, now=at(11, 17, 11))
    await lifecycle.act(ADMIN, t4, "close", {"note": "confirmed"}, now=at(11, 19, 14, 30))

    # T5, self-recovered. The monitoring confirms cam 5 down at Tue 24 Nov 09:00; the opener opens
    # the ticket at 09:15 (grace 10 min: P2, a camera down); the camera is back at 09:40, before
    # anyone acted, so the next run closes it restored at 09:40: restore 25 min, met. Nobody had to
    # respond (due 09:45) or arrive (due 11:15): both stages are not applicable, in no rate.
    async with db.write_transaction():
        await bulk.insert_rows(DeviceState, [{"subject_type": "camera", "subject_id": cams[4], "state": "down",
                                              "cause": "onvif_light:timeout", "since": at(11, 24, 9)}])
    assert (await opener.run(at(11, 24, 9, 15))).opened == 1
    async with db.write_transaction():
        await bulk.execute_many(DeviceState, "UPDATE device_state SET state = 'up', cause = '', since = ? "
                                "WHERE subject_id = ?", [[at(11, 24, 9, 40), cams[4]]])
    assert (await opener.run(at(11, 24, 9, 45))).self_recovered == 1

    # T6, cancelled: P2 opened Wed 25 Nov 09:00, left untouched until the office cancels it Thu 10:00
    # (a duplicate). Its arrive clock ran out Wed 11:00, but a cancelled ticket is not scored.
    t6 = await opened(cams[5], "P2", at(11, 25, 9))
    await lifecycle.act(ADMIN, t6, "cancel", {"reason": "duplicate of a station report"}, now=at(11, 26, 10))

    # T7, P1 on a Saturday: the `always` calendar counts the weekend. Opened Sat 21 Nov 10:00,
    # acknowledged 10:05, on site 10:50 (50 min <= 1 h), restored 12:30: 2 h 30 min against 2 h, late
    # 30 min, one started hour: 100 yuan. (Under office hours Saturday would not count at all.)
    t7 = await opened(cams[6], "P1", at(11, 21, 10))
    await lifecycle.act(a, t7, "acknowledge", {}, now=at(11, 21, 10, 5))
    await lifecycle.act(a, t7, "arrive", {}, now=at(11, 21, 10, 50))
    await lifecycle.act(ADMIN, t7, "close", {"note": "confirmed"}, now=at(11, 21, 12, 30))

    # Not November's: opened Fri 30 Oct 09:00 with a late arrival (14:00: 3 h of office time).
    t0 = await opened(cams[7], "P2", at(10, 30, 9))
    await lifecycle.act(a, t0, "arrive", {}, now=at(10, 30, 14))
    await lifecycle.act(ADMIN, t0, "close", {"note": "confirmed"}, now=at(10, 30, 16))
    # Nor contractor B's: its own contract, a late arrival that is B's to answer for.
    other = await camera(20, people.b_id, region="330203")
    tb = await opened(other, "P2", at(11, 4, 9))
    await lifecycle.act(ADMIN, tb, "arrive", {}, now=at(11, 4, 15))
    assert ours != theirs

    # Fault hours in November (state intervals of the contractor's cameras, clipped to the month):
    # F1 down 10 Nov 09:00-14:00 (5 h) and dark 20 Nov 20:00-24:00 (4 h): 9 h > 8 h, counts.
    # F2 down 31 Oct 20:00 - 1 Nov 06:00 (6 h in November) and 30 Nov 20:00 - 1 Dec 02:00 (4 h):
    #    10 h, counts.
    # F3 down 12 Nov 00:00-08:00: exactly 8 h, not over 8 h.
    # F4 unknown (no data) for 20 h: not a fault.
    # B's camera down 12 h: not this contractor's.
    # Two channels: 2 points.
    f = [await camera(n, people.a_id) for n in (11, 12, 13, 14)]
    await intervals([(f[0], "down", at(11, 10, 9), at(11, 10, 14)),
                     (f[0], "degraded", at(11, 20, 20), at(11, 21, 0)),
                     (f[1], "down", at(10, 31, 20), at(11, 1, 6)),
                     (f[1], "down", at(11, 30, 20), at(12, 1, 2)),
                     (f[2], "down", at(11, 12, 0), at(11, 12, 8)),
                     (f[3], "unknown", at(11, 14, 0), at(11, 14, 20)),
                     (other, "down", at(11, 4, 0), at(11, 4, 12))])

    result = await contracts.score(ADMIN, ours, "2026-11", {"missed_inspection": 1}, now=at(12, 3, 9))

    # Counted: T1, T2, T3, T4, T5, T7 (T6 cancelled, T0 October, TB contractor B's).
    # Points: late arrival 2 (T2, T4) + fault hours 2 (F1, F2) + missed inspection 5 = 9; score
    # 100 - 9 = 91, grade good (>= 90). Money: late restore 3 units (T3) + 1 unit (T7) = 4 x 100 = 400 yuan.
    assert result["tickets"] == 6
    assert (result["points"], result["score"], result["grade"], result["amount"]) == ("9", "91", "good", "400")
    assert result["amount_capped"] is False
    by_rule = {d["rule"]: d for d in result["deductions"]}
    assert (by_rule["late arrival"]["units"], by_rule["late arrival"]["points"]) == (2, "2")
    assert by_rule["late arrival"]["items"] == [t2, t4]
    # On time, met of met + breached, T5's respond and arrive left out: respond T1 T2 T3 T4 T7 all
    # met; arrive T1 T3 T7 met, T2 T4 breached; restore T1 T2 T4 T5 met, T3 T7 breached.
    assert {stage: (r["met"], r["breached"], r["not_applicable"]) for stage, r in result["on_time"].items()} == {
        "respond": (5, 0, 1), "arrive": (3, 2, 1), "restore": (4, 2, 0)}
    assert (result["on_time"]["arrive"]["rate"], result["on_time"]["restore"]["rate"]) == (0.6, 4 / 6)
    assert (by_rule["late restore, per started hour"]["units"], by_rule["late restore, per started hour"]["amount"]) \
        == (4, "400")
    assert by_rule["late restore, per started hour"]["items"] == [t3, t7]
    assert (by_rule["channel faulty over 8 h in the month"]["units"],
            by_rule["channel faulty over 8 h in the month"]["items"]) == (2, sorted(f[:2]))
    assert (by_rule["missed inspection"]["units"], by_rule["missed inspection"]["points"]) == (1, "5")
    # The stored clocks agree with the reasoning above.
    rows = {r["id"]: r for r in await bulk.fetch(Ticket, "SELECT * FROM ticket")}
    assert rows[t2]["arrive_breached_at"] == at(11, 3, 11)
    assert (rows[t3]["restore_due"], rows[t3]["restored_at"], rows[t3]["close_reason"]) == (
        at(11, 12, 9), at(11, 12, 11, 10), "verified")
    # T4's pause covered 7 h of the restore clock: due Thu 10:30 + 7 h = Thu 10:30-12:00 1.5 h,
    # 14:00-18:00 4 h, Fri 08:30-10:00 1.5 h: Fri 20 Nov 10:00. Arrive was breached at its Mon 11:00 deadline.
    assert (rows[t4]["arrive_breached_at"], rows[t4]["restore_due"]) == (at(11, 16, 11), at(11, 20, 10))
    [t5] = [r for r in rows.values() if r["subject_id"] == cams[4]]
    assert (t5["close_reason"], t5["opened_at"], t5["restored_at"]) == ("self_recovered", at(11, 24, 9, 15),
                                                                        at(11, 24, 9, 40))


async def test_the_score_refuses_to_run_without_the_months_inspection_count(people):
    ours = await contract(people.a_id, "HT-2026-A", "330100")
    with pytest.raises(ValidationFailed, match="missed_inspection"):
        await contracts.score(ADMIN, ours, "2026-11", {}, now=at(12, 3, 9))
