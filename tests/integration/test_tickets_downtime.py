"""One truth for downtime: the monthly score's channel fault hours, the uptime API and the ticket
detail come from the same uptime service, worked by hand for November 2026 (Shanghai time).

Every camera below belongs to contractor A, whose contract covers Hangzhou (3301). The contract's
three fault_hours rules differ only in which states they count, each 1 point for a channel over 8 h:
- "down over 8 h" names nothing: down only;
- "down or degraded over 8 h": counts = ["down", "degraded"];
- "down or picture over 8 h": counts = ["down", "degraded:picture"] (picture:dark, picture:blur...).
"""

from __future__ import annotations

import datetime as dt

import pytest

from assetsvc import bulk, db
from assetsvc.monitoring.service import DOWN_ONLY, DowntimeRule, fault_seconds
from assetsvc.monitoring.tables import MaintenanceWindow, StateInterval
from assetsvc.errors import ValidationFailed
from assetsvc.monitoring.uptime import uptime
from assetsvc.registry.tables import Camera, Contract
from assetsvc.tickets import contracts, lifecycle, views
from assetsvc.tickets.store import TERMS
from tests.integration.conftest import ADMIN, bearer
from tests.integration.test_tickets_score import at, camera
from tests.integration.test_uptime_world import service_where

H = 3600.0
TERMS_TOML = """
[calendars.always]
kind = "24x7"

[[terms]]
severity = "P2"
area = "urban"
calendar = "always"
respond = "30m"
restore = "24h"

[scoring]
grades = [{ name = "good", min = 90 }, { name = "fail", min = 0 }]

[[penalties]]
name = "down over 8 h"
kind = "fault_hours"
over = "8h"
points = 1

[[penalties]]
name = "down or degraded over 8 h"
kind = "fault_hours"
over = "8h"
points = 1
counts = ["down", "degraded"]

[[penalties]]
name = "down or picture over 8 h"
kind = "fault_hours"
over = "8h"
points = 1
counts = ["down", "degraded:picture"]
"""


@pytest.fixture(autouse=True)
def fresh_terms():
    TERMS._parsed.clear()  # parsed terms are cached by (contract id, version); SQLite reuses ids


async def contract_a(contractor_id: int, document: str = TERMS_TOML) -> int:
    row = Contract(code="HT-2026-A", contractor=contractor_id, region_codes=["330100"], owner_classes=[],
                   starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2027, 12, 31))
    await row.save().run()
    await contracts.put_terms(ADMIN, row.id, document, now=at(10, 1, 9))
    return row.id


async def spans(camera_id: int, rows: list[tuple[str, str, float, float | None]]) -> None:
    async with db.write_transaction():
        await bulk.insert_rows(StateInterval, [{"subject_type": "camera", "subject_id": camera_id, "state": state,
                                                "cause": cause, "start": start, "end": end}
                                               for state, cause, start, end in rows])
    await service_where((camera_id, start, end) for _, _, start, end in rows)


async def window_on(camera_id: int, start: float, end: float) -> None:
    await MaintenanceWindow(scope="camera", scope_ref=str(camera_id), starts_at=start, ends_at=end,
                            reason="道路施工", created_by="test", created_at=start).save().run()


def deductions(result: dict) -> dict[str, dict]:
    return {d["rule"]: d for d in result["deductions"]}


async def test_maintenance_inside_a_down_stretch_never_counts_against_the_contractor(people):
    ours = await contract_a(people.a_id)
    cam = await camera(1, people.a_id)
    # Down Tue 10 Nov 00:00-13:00 (13 h); an approved 道路施工 window 03:00-08:00 (5 h) lies inside it.
    # Counted: 13 - 5 = 8 h, not over 8 h. (The old sum counted 13 h: one point lost for planned work.)
    await spans(cam, [("up", "", at(11, 1, 0), at(11, 10, 0)),
                      ("down", "onvif_light:timeout", at(11, 10, 0), at(11, 10, 13)),
                      ("up", "", at(11, 10, 13), None)])
    await window_on(cam, at(11, 10, 3), at(11, 10, 8))
    result = await contracts.score(ADMIN, ours, "2026-11", now=at(12, 2, 9))
    assert [d["units"] for d in result["deductions"]] == [0, 0, 0]
    assert result["score"] == "100"
    found = await fault_seconds([cam], at(11, 1, 0), at(12, 1, 0), DOWN_ONLY, now=at(12, 2, 9))
    assert found.by_camera == {cam: pytest.approx(8 * H)}


async def test_a_camera_decommissioned_mid_month_counts_up_to_its_decommissioning(people):
    ours = await contract_a(people.a_id)
    cam = await camera(2, people.a_id)
    # Down Thu 5 Nov 00:00-10:00 (10 h), then up until it leaves service Fri 20 Nov 12:00 (the sync
    # closed its interval); it is decommissioned now. 10 h > 8 h: it costs a point under every rule.
    # (The old sum took the contract's cameras by their status now and dropped it from November.)
    await spans(cam, [("down", "onvif_light:timeout", at(11, 5, 0), at(11, 5, 10)),
                      ("up", "", at(11, 5, 10), at(11, 20, 12))])
    await Camera.update({Camera.status: "decommissioned"}).where(Camera.id == cam).run()
    result = await contracts.score(ADMIN, ours, "2026-11", now=at(12, 2, 9))
    assert [(d["units"], d["items"]) for d in result["deductions"]] == [(1, [cam])] * 3
    # In service 5 Nov 00:00 to 20 Nov 12:00 only: 15.5 days, of which 10 h down.
    figures = (await uptime(ADMIN, "camera", str(cam), at(11, 1, 0), at(12, 1, 0), now=at(12, 2, 9))).as_dict()
    assert figures["seconds"]["in_service"] == pytest.approx(15.5 * 24 * H)
    assert figures["seconds"]["down"] == pytest.approx(10 * H)


async def test_each_rule_counts_only_the_states_it_names_and_the_score_says_which(people):
    ours = await contract_a(people.a_id)
    dark, frozen, late_clock = [await camera(n, people.a_id) for n in (3, 4, 5)]
    # Each camera: down 5 h on 10 Nov, then degraded 4 h on 20 Nov for a different cause; unknown
    # (no data) 30 h on 25 Nov, which no rule counts.
    for cam, cause in ((dark, "picture:dark"), (frozen, "stream:timeout"), (late_clock, "clock")):
        await spans(cam, [("down", "onvif_light:timeout", at(11, 10, 9), at(11, 10, 14)),
                          ("up", "", at(11, 10, 14), at(11, 20, 20)),
                          ("degraded", cause, at(11, 20, 20), at(11, 21, 0)),
                          ("unknown", "stale", at(11, 25, 0), at(11, 26, 6))])
    result = await contracts.score(ADMIN, ours, "2026-11", now=at(12, 2, 9))
    by_rule = deductions(result)
    # Down only: 5 h each, none over 8 h.
    assert (by_rule["down over 8 h"]["units"], by_rule["down over 8 h"]["counts"]) == (0, ["down"])
    # Down and degraded: 9 h each, all three.
    assert (by_rule["down or degraded over 8 h"]["units"], by_rule["down or degraded over 8 h"]["items"],
            by_rule["down or degraded over 8 h"]["counts"]) == (3, sorted([dark, frozen, late_clock]),
                                                                ["down", "degraded"])
    # Down plus picture faults: only the dark camera's 9 h.
    assert (by_rule["down or picture over 8 h"]["items"], by_rule["down or picture over 8 h"]["counts"]) == \
        ([dark], ["down", "degraded:picture"])
    assert (result["points"], result["score"]) == ("4", "96")


async def test_a_configuration_fault_of_the_record_never_counts_against_the_contractor(people):
    # stream:config: the registered stream path is not there (RTSP 404/454), the office's to fix. The
    # camera is degraded for it 10 h, with a real 5 h outage and 4 h of a stream timeout beside it.
    ours = await contract_a(people.a_id)
    cam = await camera(3, people.a_id)
    await spans(cam, [("down", "onvif_light:timeout", at(11, 10, 9), at(11, 10, 14)),
                      ("degraded", "stream:config", at(11, 12, 0), at(11, 12, 10)),
                      ("up", "", at(11, 12, 10), at(11, 20, 20)),
                      ("degraded", "stream:timeout", at(11, 20, 20), at(11, 21, 0))])
    rule = DowntimeRule.parse(["down", "degraded:stream"])
    assert not rule.matches("degraded", "stream:config") and rule.matches("degraded", "stream:timeout")
    assert not DowntimeRule.parse(["down", "degraded"]).matches("degraded", "stream:config")
    result = await contracts.score(ADMIN, ours, "2026-11", now=at(12, 2, 9))
    by_rule = deductions(result)
    # 5 h down + 4 h timeout = 9 h: over 8 h; with the 10 h of stream:config it would be 19 h, and
    # the picture rule (down 5 h) would stay under.
    assert by_rule["down or degraded over 8 h"]["items"] == [cam]
    found = await fault_seconds([cam], at(11, 1, 0), at(12, 1, 0), DowntimeRule(degraded=True), now=at(12, 2, 9))
    assert found.by_camera[cam] == pytest.approx(9 * H)


async def test_older_terms_without_counts_count_down_only(people):
    # Terms stored before the key existed (the example contract as it was) load, and count down only.
    old = TERMS_TOML.split('[[penalties]]\nname = "down or degraded')[0]
    ours = await contract_a(people.a_id, old)
    cam = await camera(6, people.a_id)
    await spans(cam, [("down", "onvif_light:timeout", at(11, 10, 0), at(11, 10, 5)),
                      ("degraded", "picture:dark", at(11, 10, 5), at(11, 10, 10))])
    result = await contracts.score(ADMIN, ours, "2026-11", now=at(12, 2, 9))
    assert [(d["units"], d["counts"]) for d in result["deductions"]] == [(0, ["down"])]


async def test_the_score_the_uptime_api_and_the_ticket_detail_agree(people, client):
    ours = await contract_a(people.a_id)
    cam = await camera(7, people.a_id)
    # Down Mon 16 Nov 08:00 to Tue 17 Nov 02:00 (18 h), a window 12:00-14:00 inside (2 h): 16 h counted.
    await spans(cam, [("up", "", at(11, 1, 0), at(11, 16, 8)),
                      ("down", "onvif_light:timeout", at(11, 16, 8), at(11, 17, 2)),
                      ("up", "", at(11, 17, 2), None)])
    await window_on(cam, at(11, 16, 12), at(11, 16, 14))
    # The office opens a ticket at 09:00 and closes it when the camera is back at 02:00: the ticket's
    # span (09:00-02:00, 17 h) minus the window is 15 h of down time.
    made = await lifecycle.open_manual(ADMIN, {"subject_type": "camera", "subject_id": cam, "fault": "down",
                                               "severity": "P2", "note": "黑屏"}, now=at(11, 16, 9))
    await lifecycle.act(ADMIN, made["id"], "close", {"note": "back"}, now=at(11, 17, 2))
    # Over HTTP, as the office reads them (the month is over: every call counts it whole).
    headers = bearer(people.admin)
    score = (await client.get(f"/api/v1/contracts/{ours}/score", params={"month": "2026-11"}, headers=headers)).json()
    assert deductions(score)["down over 8 h"]["items"] == [cam]
    month = await fault_seconds([cam], at(11, 1, 0), at(12, 1, 0), DOWN_ONLY, now=at(12, 2, 9))
    assert month.by_camera[cam] == pytest.approx(16 * H)
    figures = await client.get("/api/v1/uptime", params={"scope": "camera", "ref": cam, "start": "2026-11-01",
                                                         "end": "2026-12-01"}, headers=headers)
    assert figures.json()["seconds"]["down"] == pytest.approx(month.by_camera[cam])
    detail = (await client.get(f"/api/v1/tickets/{made['id']}", headers=headers)).json()
    assert detail["downtime"]["counts"] == ["down"]
    assert detail["downtime"]["seconds"] == pytest.approx(15 * H)
    span = await client.get("/api/v1/uptime", params={"scope": "camera", "ref": cam, "start": "2026-11-16T09:00",
                                                      "end": "2026-11-17T02:00"}, headers=headers)
    assert span.json()["seconds"]["down"] == pytest.approx(detail["downtime"]["seconds"])
    assert (await views.detail(ADMIN, made["id"]))["downtime"] == detail["downtime"]


@pytest.mark.parametrize("counts, message", [
    (["degraded"], 'must include "down"'),
    (["down", "unknown"], "'unknown' is not"),
    (["down", "degraded", "degraded:picture"], "already counts every degraded cause"),
    (["down", "degraded:smoke"], "must be stream, picture or clock"),
    ("down", "must be a list"),
])
async def test_a_bad_counts_value_is_refused_naming_the_key(people, counts, message):
    row = Contract(code="HT-X", contractor=people.a_id, region_codes=["330100"], owner_classes=[],
                   starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2027, 12, 31))
    await row.save().run()
    rendered = counts if isinstance(counts, str) else "[" + ", ".join(f'"{c}"' for c in counts) + "]"
    document = TERMS_TOML.replace('counts = ["down", "degraded"]', f"counts = {rendered!s}" if isinstance(
        counts, list) else f'counts = "{counts}"')
    with pytest.raises(ValidationFailed, match=r"penalties #2 \(down or degraded over 8 h\)\.counts") as raised:
        await contracts.put_terms(ADMIN, row.id, document, now=at(10, 1, 9))
    assert message in str(raised.value)


def test_a_rule_reads_its_counts_back_as_written():
    assert DowntimeRule.parse(["down"]) == DOWN_ONLY
    assert DowntimeRule.parse(["down", "degraded"]).counts == ("down", "degraded")
    rule = DowntimeRule.parse(["degraded:picture", "down"])
    assert rule.counts == ("down", "degraded:picture")
    assert rule.matches("degraded", "picture:dark") and rule.matches("degraded", "picture")
    assert not rule.matches("degraded", "pictures") and not rule.matches("degraded", "stream:timeout")
    assert not rule.matches("unknown", "stale") and rule.matches("down", "upstream")
