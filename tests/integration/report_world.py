"""A small November 2026 (Shanghai time) for the monthly report tests, every figure worked by hand.

Region 330106 (西湖区); contractor A maintains every camera under contract HT-2026-A (all of
Hangzhou, 24x7 terms: respond 30 min, restore 24 h; a channel down over 8 h costs 1 point; a
late restore 2 points and 100 yuan).

| camera | owner | station | probes | status | November (720 h) |
|---|---|---|---|---|---|
| cam1 | police (公安) | 西溪派出所 | onvif | active, networked, province since 8 Oct | down 10 h (10th 00-10), picture:dark 5 h (20th 00-05), up 705 h |
| cam2 | police | 西溪派出所 | onvif | active | clock 20 h (5th 00-20), unknown 24 h (25th), up 676 h |
| cam3 | social (社会面) | - | passive | active, networked, province since 15 Dec | down 30 h (12th 00:00 - 13th 06:00), of it 6 h in maintenance (12th 00-06), up 690 h |
| cam4 | social | - | - | decommissioned | no intervals |

October: cam1, cam2, cam3 up the whole month (online and working 100 %).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from assetsvc import bulk, db
from assetsvc.accounts.service import Actor
from assetsvc.monitoring.tables import MaintenanceWindow, StateInterval
from assetsvc.registry.tables import Camera, Contract, CoveragePlan, Owner, Site, Station
from assetsvc.tickets import contracts, lifecycle
from tests.integration.conftest import ADMIN
from tests.integration.test_tickets_score import at

TERMS = """
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
name = "late restore"
kind = "late_ticket"
stage = "restore"
points = 2
amount = 100

[suspension_reasons]
no_access = "无法进场"
"""


@dataclass
class World:
    cams: list[int]
    contract: int
    station: int
    tickets: list[int]


async def _camera(n: int, owner: int, contractor: int, station: int | None, **extra) -> int:
    values = dict(gb_id=f"330106001313200{n:05d}", name=f"cam {n}", region_code="330106", ipv4=f"127.0.0.{n}",
                  contractor=contractor, point_class=3, camera_type=1, vendor="海康", address=f"文三路{n}号",
                  longitude=120.13, latitude=30.27, owner=owner, station=station)
    values.update(extra)
    row = Camera(**values)
    await row.save().run()
    return row.id


async def spans(rows: list[tuple[int, str, str, float, float | None]]) -> None:
    async with db.write_transaction():
        await bulk.insert_rows(StateInterval, [{"subject_type": "camera", "subject_id": cam, "state": state,
                                                "cause": cause, "start": start, "end": end}
                                               for cam, state, cause, start, end in rows])


async def build(contractor_id: int) -> World:
    station = Station(name="西溪派出所", region_code="330106")
    await station.save().run()
    police, social = Owner(name="西湖分局", owner_class="police"), Owner(name="某小区物业", owner_class="social")
    await police.save().run()
    await social.save().run()
    # Coverage: schools 文三路小学 (cam1) and 古荡小学 (cam2) built, 西溪医院 (cam4, decommissioned) not;
    # the plan asks 1 school (2 built: 1 counted, 1 beyond plan) and 2 hospitals (none built).
    sites = []
    for name, category in (("文三路小学", "school"), ("古荡小学", "school"), ("西溪医院", "hospital")):
        site = Site(name=name, region_code="330106", key_category=category)
        await site.save().run()
        sites.append(site.id)
    for category, planned in (("school", 1), ("hospital", 2)):
        await CoveragePlan(region_code="330106", category=category, planned=planned).save().run()
    cam1 = await _camera(1, police.id, contractor_id, station.id, networked=True, probe_protocols=["onvif"],
                         province_networked=True, province_networked_on=dt.date(2026, 10, 8), site=sites[0])
    cam2 = await _camera(2, police.id, contractor_id, station.id, vendor="", address="", probe_protocols=["onvif"],
                         site=sites[1])
    cam3 = await _camera(3, social.id, contractor_id, None, address="", networked=True, province_networked=True,
                         province_networked_on=dt.date(2026, 12, 15))  # networked to the province in December
    cam4 = await _camera(4, social.id, contractor_id, None, status="decommissioned", site=sites[2])
    oct1, nov1, dec1 = at(10, 1, 0), at(11, 1, 0), at(12, 1, 0)
    await spans([
        (cam1, "up", "", oct1, at(11, 10, 0)), (cam1, "down", "onvif_light:timeout", at(11, 10, 0), at(11, 10, 10)),
        (cam1, "up", "", at(11, 10, 10), at(11, 20, 0)), (cam1, "degraded", "picture:dark", at(11, 20, 0), at(11, 20, 5)),
        (cam1, "up", "", at(11, 20, 5), None),
        (cam2, "up", "", oct1, at(11, 5, 0)), (cam2, "degraded", "clock", at(11, 5, 0), at(11, 5, 20)),
        (cam2, "up", "", at(11, 5, 20), at(11, 25, 0)), (cam2, "unknown", "stale", at(11, 25, 0), at(11, 26, 0)),
        (cam2, "up", "", at(11, 26, 0), None),
        (cam3, "up", "", oct1, at(11, 12, 0)), (cam3, "down", "passive:offline", at(11, 12, 0), at(11, 13, 6)),
        (cam3, "up", "", at(11, 13, 6), None),
    ])
    assert nov1 < dec1
    await MaintenanceWindow(scope="camera", scope_ref=str(cam3), starts_at=at(11, 12, 0), ends_at=at(11, 12, 6),
                            reason="线路改造", created_by="test", created_at=at(11, 1, 0)).save().run()
    row = Contract(code="HT-2026-A", contractor=contractor_id, region_codes=["330100"], owner_classes=[],
                   starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2027, 12, 31))
    await row.save().run()
    await contracts.put_terms(ADMIN, row.id, TERMS, now=at(10, 1, 9))
    tickets = await _tickets(contractor_id, cam1, cam2, cam3)
    return World([cam1, cam2, cam3, cam4], row.id, station.id, tickets)


async def _tickets(contractor_id: int, cam1: int, cam2: int, cam3: int) -> list[int]:
    """T1 cam1 restored in 9 h (met); T2 cam3 restored in 52 h (late); T3 cam2 open at month end
    since the 20th 09:00 (late, long-standing; paused a day for no_access)."""
    a = Actor(user_id=3, username="ca", role="contractor", contractor_id=contractor_id)

    async def opened(cam: int, when: float) -> int:
        made = await lifecycle.open_manual(ADMIN, {"subject_type": "camera", "subject_id": cam, "fault": "down",
                                                   "severity": "P2", "note": "巡查发现"}, now=when)
        await lifecycle.act(a, made["id"], "acknowledge", {}, now=when + 600)
        return made["id"]

    t1 = await opened(cam1, at(11, 10, 1))
    await lifecycle.act(ADMIN, t1, "close", {"note": "back"}, now=at(11, 10, 10))
    t2 = await opened(cam3, at(11, 12, 1))
    await lifecycle.act(ADMIN, t2, "close", {"note": "back"}, now=at(11, 14, 5))
    t3 = await opened(cam2, at(11, 20, 9))
    pause = await lifecycle.request_suspension(a, t3, {"reason": "no_access", "note": "业主不在"}, now=at(11, 21, 10))
    await lifecycle.decide_suspension(ADMIN, t3, pause["id"], "approve", {}, now=at(11, 21, 10))
    await lifecycle.decide_suspension(a, t3, pause["id"], "end", {}, now=at(11, 22, 10))
    return [t1, t2, t3]
