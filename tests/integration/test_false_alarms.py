"""False alarms and disputes (误报, 申诉): a false-alarm mark teaches the camera's baseline through the
monitoring engine; a dispute upheld or rejected changes the monthly score as docs/sla.md says.

The picture half reuses test_monitoring_picture's fake ONVIF camera and test clock; the score half
reuses test_tickets_score's November contract (late arrival: 1 point per ticket; a channel faulty
over 8 h: 1 point)."""

from __future__ import annotations

import datetime as dt

import cv2
import numpy as np
import pytest

from assetsvc.accounts.service import Actor
from assetsvc.audit import service as audit
from assetsvc.errors import Conflict, Forbidden, ValidationFailed
from assetsvc.monitoring import picture_memory
from assetsvc.tickets import contracts, disputes, lifecycle, opener, views
from assetsvc.tickets.tables import Ticket
from tests.fakes.onvif_device import FakeOnvifDevice
from tests.integration.conftest import ADMIN
from tests.integration.test_monitoring_engine import T0, state_of
from tests.integration.test_monitoring_picture import EVERY, elsewhere, engine, live, run, verdict
from tests.integration.test_tickets_score import at, camera, contract, fresh_terms, intervals, opened  # noqa: F401

HOUR = 3600


def photo() -> bytes:
    """A site photo the contractor attaches as evidence."""
    return cv2.imencode(".jpg", np.full((60, 80, 3), 120, np.uint8))[1].tobytes()


async def picture_tickets(camera_id: int) -> list[dict]:
    return await Ticket.select(Ticket.id, Ticket.state, Ticket.close_reason).where(
        (Ticket.subject_id == camera_id) & (Ticket.fault == "picture")).order_by(Ticket.id).run()


async def test_a_false_alarm_mark_stops_the_same_scene_from_being_flagged_again():
    async with FakeOnvifDevice() as device:
        cam, clock, worker = await engine(device)
        step = await run(device, worker, clock, [live(1), live(2), live(3)], 1)
        # The camera was turned on purpose (a new view the office asked for): the engine calls it moved.
        step = await run(device, worker, clock, [elsewhere(n) for n in range(1, 5)], step)
        assert (await state_of(cam))["cause"] == "picture:scene_change"
        now = T0 + step * EVERY + HOUR  # past the picture grace period
        assert (await opener.run(now)).opened == 1
        [ticket] = await picture_tickets(cam)
        frames = await views.evidence(ADMIN, ticket["id"])
        assert sorted(f["role"] for f in frames) == ["fault", "good"]
        assert {f["verdict"] for f in frames if f["role"] == "fault"} == {"scene_change"}

        done = await disputes.false_alarm(ADMIN, ticket["id"], {"note": "re-aimed at the office's request"}, now=now)
        assert (done["state"], done["close_reason"], done["baseline_updated"]) == ("cancelled", "false_alarm", True)
        # The baseline change is audited against the camera, by the office user who marked it.
        [learned] = await audit.history("picture_baseline", cam)
        assert (learned["actor"], learned["action"], learned["changes"]["accepted"]) == (
            ADMIN.username, "update", [None, "scene_change frame as normal (day)"])
        assert learned["label"] == f"camera {cam}: false alarm of ticket {ticket['id']}"
        # The fault is still confirmed until the next check, but the same streak opens no new ticket.
        assert (await opener.run(now + 60)).opened == 0

        # The same scene again: judged against the baseline that now holds it, it is not flagged.
        await run(device, worker, clock, [elsewhere(n) for n in range(5, 9)], step + 13)
        assert await verdict(cam) == "ok"
        state = await state_of(cam)
        assert (state["state"], state["cause"]) == ("up", "")
        assert (await opener.run(T0 + (step + 20) * EVERY)).opened == 0
        assert [t["close_reason"] for t in await picture_tickets(cam)] == ["false_alarm"]
        changes = await picture_memory.status(cam)
        assert changes.day_learned is not None


async def test_only_the_office_marks_a_false_alarm_and_only_on_a_picture_ticket(people):
    a = Actor(user_id=3, username="ca", role="contractor", contractor_id=people.a_id)
    cam = await camera(1, people.a_id)
    ticket = await opened(cam, "P2", at(11, 2, 9))
    with pytest.raises(Conflict, match="only a camera's picture verdict"):
        await disputes.false_alarm(ADMIN, ticket, {"note": "no"}, now=at(11, 2, 10))
    with pytest.raises(ValidationFailed, match="note is required"):
        await disputes.false_alarm(ADMIN, ticket, {}, now=at(11, 2, 10))
    await contract(people.a_id, "HT-2026-A", "330100")
    with pytest.raises(Forbidden):
        await disputes.false_alarm(a, ticket, {"note": "mine"}, now=at(11, 2, 10))


async def _late_arrival(a: Actor, cam: int, day: int) -> int:
    """A P2 ticket opened at 09:00 whose contractor is on site at 11:30 (2.5 h of office time against
    2 h: arrive breached, 1 point), closed by the office at 16:00."""
    ticket = await opened(cam, "P2", at(11, day, 9))
    await lifecycle.act(a, ticket, "acknowledge", {}, now=at(11, day, 9, 10))
    await lifecycle.act(a, ticket, "arrive", {}, now=at(11, day, 11, 30))
    await lifecycle.act(ADMIN, ticket, "close", {"note": "confirmed"}, now=at(11, day, 16))
    return ticket


async def _dispute(a: Actor, ticket: int, when: float) -> int:
    photo_id = (await views.attach(a, ticket, "site.jpg", photo(), now=when))["id"]
    return (await disputes.dispute(a, ticket, {"reason": "the gate was locked by the owner",
                                                "attachments": [photo_id]}, now=when))["id"]


async def test_a_dispute_upheld_removes_its_deductions_and_a_rejected_one_leaves_them(people):
    a = Actor(user_id=3, username="ca", role="contractor", contractor_id=people.a_id)
    ours = await contract(people.a_id, "HT-2026-A", "330100")
    cams = [await camera(n, people.a_id) for n in range(1, 4)]
    kept = await _late_arrival(a, cams[0], 3)  # not disputed: 1 point
    rejected = await _late_arrival(a, cams[1], 4)  # disputed, rejected: still 1 point
    upheld = await _late_arrival(a, cams[2], 5)  # disputed, upheld: nothing
    # cams[2] was down 10 h during its ticket: over 8 h, 1 point unless the ticket is waived.
    await intervals([(cams[2], "down", at(11, 5, 9), at(11, 5, 19))])
    month = at(12, 1, 9)

    before = await contracts.score(ADMIN, ours, "2026-11", {"missed_inspection": 0}, now=month)
    assert before["score"] == "96"  # 3 late arrivals + 1 channel over 8 h

    first = await _dispute(a, rejected, at(11, 6, 9))
    second = await _dispute(a, upheld, at(11, 6, 9))
    with pytest.raises(Conflict, match="already has a dispute"):
        await _dispute(a, upheld, at(11, 6, 10))
    with pytest.raises(Forbidden):  # a contractor never decides its own dispute
        await disputes.decide_dispute(a, upheld, second, "uphold", {"note": "yes"}, now=at(11, 7, 9))
    pending = await contracts.score(ADMIN, ours, "2026-11", {"missed_inspection": 0}, now=month)
    assert pending["score"] == "96"  # a dispute waiting for the office changes nothing
    assert pending["waived"]["disputes"] == {"upheld": 0, "rejected": 0, "open": 2}

    await disputes.decide_dispute(ADMIN, rejected, first, "reject", {"note": "no proof of the lock"},
                                  now=at(11, 7, 9))
    done = await disputes.decide_dispute(ADMIN, upheld, second, "uphold", {"note": "the owner confirmed"},
                                         now=at(11, 7, 9))
    assert done == {"id": second, "status": "upheld"}
    rows = {t["id"]: t for t in await Ticket.select(Ticket.id, Ticket.state, Ticket.close_reason).run()}
    assert (rows[kept]["state"], rows[rejected]["state"]) == ("closed", "closed")
    assert (rows[upheld]["state"], rows[upheld]["close_reason"]) == ("cancelled", "dispute_upheld")

    after = await contracts.score(ADMIN, ours, "2026-11", {"missed_inspection": 0}, now=month)
    assert after["score"] == "98"  # the upheld ticket's late arrival and its channel hours are gone
    late = next(d for d in after["deductions"] if d["rule"] == "late arrival")
    assert sorted(late["items"]) == sorted([kept, rejected])
    hours = next(d for d in after["deductions"] if d["rule"].startswith("channel faulty"))
    assert hours["units"] == 0
    assert after["waived"] == {"false_alarms": 0, "disputes": {"upheld": 1, "rejected": 1, "open": 0}}
    detail = await views.detail(a, upheld)
    assert [d["status"] for d in detail["disputes"]] == ["upheld"]
    kinds = [e["kind"] for e in detail["timeline"]]
    assert "disputed" in kinds and kinds[-1] == "dispute_upheld"


async def test_a_dispute_needs_the_tickets_own_attachments_as_evidence(people):
    a = Actor(user_id=3, username="ca", role="contractor", contractor_id=people.a_id)
    b = Actor(user_id=4, username="cb", role="contractor", contractor_id=people.b_id)
    await contract(people.a_id, "HT-2026-A", "330100")
    cams = [await camera(n, people.a_id) for n in range(1, 3)]
    one, other = await opened(cams[0], "P2", at(11, 2, 9)), await opened(cams[1], "P2", at(11, 2, 9))
    theirs = (await views.attach(a, other, "site.jpg", photo(), now=at(11, 2, 10)))["id"]
    with pytest.raises(ValidationFailed, match="attachment ids"):
        await disputes.dispute(a, one, {"reason": "not ours", "attachments": []}, now=at(11, 2, 10))
    with pytest.raises(ValidationFailed, match=f"no attachment {theirs}"):
        await disputes.dispute(a, one, {"reason": "not ours", "attachments": [theirs]}, now=at(11, 2, 10))
    # A whole number written as 12.0 is the id 12 (JSON Schema's integer); 1.5 is no id.
    with pytest.raises(ValidationFailed, match=f"no attachment {theirs}"):
        await disputes.dispute(a, one, {"reason": "not ours", "attachments": [float(theirs)]}, now=at(11, 2, 10))
    with pytest.raises(ValidationFailed, match="attachment ids"):
        await disputes.dispute(a, one, {"reason": "not ours", "attachments": [1.5]}, now=at(11, 2, 10))
    from assetsvc.errors import NotFound

    with pytest.raises(NotFound):  # another contractor's ticket does not exist for it
        await disputes.dispute(b, other, {"reason": "x", "attachments": [theirs]}, now=at(11, 2, 10))


async def test_the_cli_records_a_dispute_decides_it_and_marks_a_false_alarm(people):
    from tests.integration.test_tickets_cli import cli

    a = Actor(user_id=3, username="ca", role="contractor", contractor_id=people.a_id)
    await contract(people.a_id, "HT-2026-A", "330100")
    cam = await camera(1, people.a_id)
    first = await opened(cam, "P2", at(11, 2, 9))
    photo_id = (await views.attach(a, first, "site.jpg", photo(), now=at(11, 2, 10)))["id"]
    raised = cli("tickets", "dispute", str(first), "--reason", "the owner's scaffolding", "--attachment", str(photo_id))
    assert raised.returncode == 0, raised.stderr
    assert "waits for the office" in raised.stdout
    [row] = await disputes.disputes_of(first)
    refused = cli("tickets", "uphold-dispute", str(first), str(row["id"]))  # the office must say why
    assert refused.returncode != 0
    upheld = cli("tickets", "uphold-dispute", str(first), str(row["id"]), "--note", "the owner confirmed")
    assert upheld.returncode == 0 and "cancelled without penalty" in upheld.stdout, upheld.stderr
    assert (await Ticket.select(Ticket.close_reason).where(Ticket.id == first).first().run())["close_reason"] == \
        "dispute_upheld"
    shown = cli("tickets", "show", str(first))
    assert shown.returncode == 0 and f"dispute #{row['id']} upheld by cli:" in shown.stdout, shown.stderr
    # A picture ticket opened by hand has no frame to learn from: cancelled, the baseline unchanged.
    made = await lifecycle.open_manual(ADMIN, {"subject_type": "camera", "subject_id": cam, "fault": "picture",
                                               "note": "the station says the picture is grey"}, now=at(11, 3, 9))
    marked = cli("tickets", "false-alarm", str(made["id"]), "--note", "the fog")
    assert marked.returncode == 0, marked.stderr
    assert "no evidence frame" in marked.stdout
    wrong = cli("tickets", "false-alarm", str(made["id"]), "--note", "again")
    assert wrong.returncode == 1 and "cancelled already" in wrong.stderr


async def test_disputes_and_false_alarms_over_http_follow_the_ticket_scoping(client, people):
    from tests.integration.conftest import bearer

    await contract(people.a_id, "HT-2026-A", "330100")
    cam = await camera(1, people.a_id)
    ticket = await opened(cam, "P2", at(11, 2, 9))
    a = Actor(user_id=3, username="ca", role="contractor", contractor_id=people.a_id)
    photo_id = (await views.attach(a, ticket, "site.jpg", photo(), now=at(11, 2, 10)))["id"]
    url = f"/api/v1/tickets/{ticket}/disputes"
    body = {"reason": "the power company cut the line", "attachments": [photo_id]}
    assert (await client.post(url, json=body, headers=bearer(people.contractor_b))).status_code == 404
    bad = await client.post(url, json={"reason": "x", "attachments": "1"}, headers=bearer(people.contractor_a))
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "attachments"
    raised = await client.post(url, json=body, headers=bearer(people.contractor_a))
    assert raised.status_code == 201, raised.text
    decide = f"{url}/{raised.json()['id']}/reject"
    assert (await client.post(decide, json={"note": "no"}, headers=bearer(people.contractor_a))).status_code == 403
    assert (await client.post(f"{url}/{raised.json()['id']}/maybe", json={"note": "?"},
                              headers=bearer(people.admin))).status_code == 404
    rejected = await client.post(decide, json={"note": "the line was ours"}, headers=bearer(people.admin))
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    again = await client.post(decide, json={"note": "twice"}, headers=bearer(people.admin))
    assert again.status_code == 409
    shown = (await client.get(f"/api/v1/tickets/{ticket}", headers=bearer(people.contractor_a))).json()
    assert shown["state"] == "open" and [d["status"] for d in shown["disputes"]] == ["rejected"]
    alarm = f"/api/v1/tickets/{ticket}/false-alarm"
    assert (await client.post(alarm, json={"note": "x"}, headers=bearer(people.contractor_a))).status_code == 403
    assert (await client.post(alarm, json={"note": "x"}, headers=bearer(people.admin))).status_code == 409


async def _picture_ticket(cam: int, when: float) -> int:
    made = await lifecycle.open_manual(ADMIN, {"subject_type": "camera", "subject_id": cam, "fault": "picture",
                                               "severity": "P2", "note": "the picture is dark"}, now=when)
    return made["id"]


def _channel_rule(result: dict) -> dict:
    return next(d for d in result["deductions"] if d["rule"].startswith("channel faulty"))


async def test_a_false_alarm_excuses_its_picture_time_but_not_an_outage_inside_its_span(people):
    # The contract counts down and degraded time: a channel faulty over 8 h in the month, 1 point.
    ours = await contract(people.a_id, "HT-2026-A", "330100")
    cams = [await camera(n, people.a_id) for n in range(1, 3)]
    tickets = [await _picture_ticket(cam, at(11, 2, 9)) for cam in cams]
    # Inside both tickets' spans (2 Nov 09:00 to the mark on 5 Nov 09:00): a dark picture and, the
    # next day, a real outage. cams[0]: dark 10 h, down 9 h; cams[1]: dark 5 h, down 5 h.
    await intervals([(cams[0], "degraded", at(11, 2, 9), at(11, 2, 19)),
                     (cams[0], "down", at(11, 3, 8), at(11, 3, 17)),
                     (cams[1], "degraded", at(11, 2, 9), at(11, 2, 14)),
                     (cams[1], "down", at(11, 3, 8), at(11, 3, 13))])
    month = at(12, 1, 9)
    before = _channel_rule(await contracts.score(ADMIN, ours, "2026-11", {"missed_inspection": 0}, now=month))
    assert before["items"] == sorted(cams)  # 19 h and 10 h

    for ticket in tickets:
        await disputes.false_alarm(ADMIN, ticket, {"note": "fog on the lens"}, now=at(11, 5, 9))
    after = _channel_rule(await contracts.score(ADMIN, ours, "2026-11", {"missed_inspection": 0}, now=month))
    # The dark hours are excused, the outages are not: cams[0] 9 h down (over 8 h), cams[1] 5 h.
    assert (after["units"], after["items"]) == (1, [cams[0]])
    terms = (await contracts._scheme_terms(ours, month))[1]
    start, end = contracts.month_bounds("2026-11")
    fault_s = await contracts.fault_seconds(ours, start, end, terms.scheme, month)
    excused = await contracts.excused_seconds(ours, start, end, fault_s, month)
    [rule] = fault_s
    assert excused == {(rule, cams[0]): 10 * HOUR, (rule, cams[1]): 5 * HOUR}


async def test_an_upheld_dispute_excuses_the_tickets_own_fault_until_its_restore_only(people):
    a = Actor(user_id=3, username="ca", role="contractor", contractor_id=people.a_id)
    ours = await contract(people.a_id, "HT-2026-A", "330100")
    cam = await camera(1, people.a_id)
    made = await lifecycle.open_manual(ADMIN, {"subject_type": "camera", "subject_id": cam, "fault": "down",
                                               "severity": "P2", "note": "no video"}, now=at(11, 2, 9))
    ticket = made["id"]
    await lifecycle.act(ADMIN, ticket, "close", {"note": "back"}, now=at(11, 3, 16))  # restored 3 Nov 16:00
    # Its span runs from 2 Nov 09:00 to the restore: the ticket's outage (5 h, excused once upheld) and
    # a dark picture (6 h, not what the ticket is about). After the restore and before the decision on
    # 6 Nov, a new outage (5 h): not this ticket's fault.
    await intervals([(cam, "down", at(11, 2, 9), at(11, 2, 14)),
                     (cam, "degraded", at(11, 2, 20), at(11, 3, 2)),
                     (cam, "down", at(11, 4, 9), at(11, 4, 14))])
    disputed = await _dispute(a, ticket, at(11, 5, 9))
    await disputes.decide_dispute(ADMIN, ticket, disputed, "uphold", {"note": "the owner cut the power"},
                                  now=at(11, 6, 9))
    month = at(12, 1, 9)
    after = _channel_rule(await contracts.score(ADMIN, ours, "2026-11", {"missed_inspection": 0}, now=month))
    assert (after["units"], after["items"]) == (1, [cam])  # 6 h dark + 5 h down: over 8 h
    terms = (await contracts._scheme_terms(ours, month))[1]
    start, end = contracts.month_bounds("2026-11")
    fault_s = await contracts.fault_seconds(ours, start, end, terms.scheme, month)
    [rule] = fault_s
    assert await contracts.excused_seconds(ours, start, end, fault_s, month) == {(rule, cam): 5 * HOUR}


async def test_a_false_alarm_ticket_leaves_the_monthly_score(people):
    a = Actor(user_id=3, username="ca", role="contractor", contractor_id=people.a_id)
    ours = await contract(people.a_id, "HT-2026-A", "330100")
    cam = await camera(1, people.a_id)
    ticket = await _picture_ticket(cam, at(11, 2, 9))
    await lifecycle.act(a, ticket, "acknowledge", {}, now=at(11, 2, 9, 10))
    await lifecycle.act(a, ticket, "arrive", {}, now=at(11, 2, 11, 30))  # 2.5 h against 2 h: 1 point
    month = at(12, 1, 9)
    before = await contracts.score(ADMIN, ours, "2026-11", {"missed_inspection": 0}, now=month)
    late = next(d for d in before["deductions"] if d["rule"] == "late arrival")
    assert (before["tickets"], before["score"], late["items"]) == (1, "99", [ticket])

    await disputes.false_alarm(ADMIN, ticket, {"note": "the lens was fogged, not broken"}, now=at(11, 3, 9))
    after = await contracts.score(ADMIN, ours, "2026-11", {"missed_inspection": 0}, now=month)
    late = next(d for d in after["deductions"] if d["rule"] == "late arrival")
    assert (after["tickets"], after["score"], late["units"], late["items"]) == (0, "100", 0, [])
    assert after["waived"] == {"false_alarms": 1, "disputes": {"upheld": 0, "rejected": 0, "open": 0}}


def _wall_clock_between(row: dict, earlier: dt.datetime, later: dt.datetime) -> bool:
    when = dt.datetime.fromisoformat(row["at"])
    when = when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)
    return earlier <= when <= later


async def test_raising_rejecting_and_upholding_a_dispute_are_audited(people):
    a = Actor(user_id=3, username="ca", role="contractor", contractor_id=people.a_id)
    await contract(people.a_id, "HT-2026-A", "330100")
    cam = await camera(1, people.a_id)
    ticket = await opened(cam, "P2", at(11, 2, 9))
    earlier = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)  # the log keeps the wall clock
    first = await _dispute(a, ticket, at(11, 3, 9))
    await disputes.decide_dispute(ADMIN, ticket, first, "reject", {"note": "no proof of the lock"}, now=at(11, 4, 9))
    second = await _dispute(a, ticket, at(11, 5, 9))
    await disputes.decide_dispute(ADMIN, ticket, second, "uphold", {"note": "the owner confirmed"}, now=at(11, 6, 9))
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1)

    rejected = await audit.history("ticket_dispute", first)
    assert [(r["actor"], r["action"], r["label"]) for r in rejected] == [
        ("ca", "create", f"ticket {ticket}"), (ADMIN.username, "update", f"ticket {ticket}")]
    assert rejected[0]["changes"] == {"reason": [None, "the gate was locked by the owner"],
                                      "attachments": [None, rejected[0]["changes"]["attachments"][1]],
                                      "status": [None, "open"]}
    assert rejected[1]["changes"] == {"status": ["open", "rejected"], "decision_note": ["", "no proof of the lock"]}
    upheld = await audit.history("ticket_dispute", second)
    assert [(r["actor"], r["action"]) for r in upheld] == [("ca", "create"), (ADMIN.username, "update")]
    assert upheld[1]["changes"] == {"status": ["open", "upheld"], "decision_note": ["", "the owner confirmed"]}
    # The ticket's own log: the rejection leaves it alone; the uphold cancels it without penalty.
    changes = [r for r in await audit.history("ticket", ticket) if r["action"] == "update"]
    assert [(r["actor"], r["label"], r["changes"]) for r in changes] == [
        (ADMIN.username, f"ticket {ticket}", {"state": ["open", "cancelled"], "close_reason": [None, "dispute_upheld"]})]
    assert all(_wall_clock_between(r, earlier, later) for r in rejected + upheld + changes)


async def test_a_false_alarm_mark_audits_the_ticket_and_the_dispute_it_upholds(people):
    a = Actor(user_id=3, username="ca", role="contractor", contractor_id=people.a_id)
    await contract(people.a_id, "HT-2026-A", "330100")
    cam = await camera(1, people.a_id)
    ticket = await _picture_ticket(cam, at(11, 2, 9))
    waiting = await _dispute(a, ticket, at(11, 3, 9))
    earlier = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
    await disputes.false_alarm(ADMIN, ticket, {"note": "fog on the lens"}, now=at(11, 4, 9))
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1)

    [decided] = [r for r in await audit.history("ticket_dispute", waiting) if r["action"] == "update"]
    assert (decided["actor"], decided["label"], decided["changes"]) == (
        ADMIN.username, f"ticket {ticket}", {"status": ["open", "upheld"],
                                              "decision_note": ["", disputes.FALSE_ALARM_NOTE]})
    [cancelled] = [r for r in await audit.history("ticket", ticket) if r["action"] == "update"]
    assert (cancelled["actor"], cancelled["changes"]) == (
        ADMIN.username, {"state": ["open", "cancelled"], "close_reason": [None, "false_alarm"]})
    assert _wall_clock_between(decided, earlier, later) and _wall_clock_between(cancelled, earlier, later)
    [row] = await disputes.disputes_of(ticket)
    assert (row["status"], row["decided_by"], row["decided_at"]) == ("upheld", ADMIN.username, at(11, 4, 9))
    detail = await views.detail(ADMIN, ticket)
    [marked] = [e for e in detail["timeline"] if e["kind"] == "false_alarm"]
    assert (marked["kind"], marked["actor"], marked["at"]) == ("false_alarm", ADMIN.username, at(11, 4, 9))
    assert marked["data"]["disputes"] == [waiting]
