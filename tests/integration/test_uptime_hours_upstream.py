"""Hand-worked figures: the online rate sampled at fixed times of day, and an upstream device's outage.

Times are written in the office's time zone (Asia/Shanghai, +08:00), as a provincial assessment
states them.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from assetsvc.monitoring.tables import MaintenanceWindow, StateInterval
from assetsvc.monitoring.uptime import uptime
from assetsvc.monitoring.uptime_hours import SampleHours, parse_hours
from assetsvc.monitoring.uptime_upstream import upstream_uptime
from assetsvc.registry.tables import ServicePeriod, UpstreamDevice
from tests.integration.conftest import ADMIN, bearer
from tests.integration.test_uptime_cli import cli
from tests.integration.test_uptime_world import H, at, camera, records, service, timeline, window

CST = dt.timezone(dt.timedelta(hours=8))


def local(month: int, day: int, hour: float = 0.0) -> float:
    return dt.datetime(2026, month, day, tzinfo=CST).timestamp() + hour * H


async def spans(cam: int, rows: list[tuple[str, float, float | None]], cause: str = "onvif_light:timeout") -> None:
    await StateInterval.insert(*[StateInterval(subject_type="camera", subject_id=cam, state=state,
                                               cause="" if state == "up" else cause, start=a, end=b)
                                 for state, a, b in rows]).run()


async def november_fleet() -> tuple[int, int]:
    """A: in service all along, down 30 Nov 19:00 to 1 Dec 03:00. B: registered 3 Nov 12:00, down
    30 Nov 13:30-14:30 inside a window 13:00-15:00."""
    a, b = await camera(1), await camera(2)
    await ServicePeriod.insert(ServicePeriod(camera_id=a, starts_at=local(10, 1), source="test"),
                               ServicePeriod(camera_id=b, starts_at=local(11, 3, 12), source="test")).run()
    await spans(a, [("up", local(10, 1), local(11, 30, 19)), ("down", local(11, 30, 19), local(12, 1, 3)),
                    ("up", local(12, 1, 3), None)])
    await spans(b, [("up", local(11, 3, 12), local(11, 30, 13.5)), ("down", local(11, 30, 13.5), local(11, 30, 14.5)),
                    ("up", local(11, 30, 14.5), None)])
    await MaintenanceWindow(scope="camera", scope_ref=str(b), starts_at=local(11, 30, 13), ends_at=local(11, 30, 15),
                            reason="立杆加固", created_by="test", created_at=local(11, 1)).save().run()
    return a, b


async def test_fixed_hour_sampling_around_a_month_edge_and_across_a_maintenance_window():
    await november_fleet()
    four = parse_hours("02:00,08:00,14:00,20:00")
    november = await uptime(ADMIN, "all", None, local(11, 1), local(12, 1), now=local(12, 6), hours=four, tz=CST)
    # 30 days x 4 = 120 checks. Until 3 Nov 12:00 only A is in service (up: 1). 30 Nov 14:00: B is
    # in its window, out of the count; A up: 1. 30 Nov 20:00: A down, B up: 0.5. The rest: 1.
    assert november.sampled_hours == {"hours": ["02:00", "08:00", "14:00", "20:00"], "instants": 120,
                                      "counted": 120, "skipped": 0, "online_rate": pytest.approx(119.5 / 120)}
    # December's first day: 02:00 A down (0.5); 08:00, 14:00, 20:00 both up.
    december = await uptime(ADMIN, "all", None, local(12, 1), local(12, 2), now=local(12, 6), hours=four, tz=CST)
    assert (december.sampled_hours["instants"], december.sampled_hours["online_rate"]) == (4, pytest.approx(3.5 / 4))
    # Two checks a day: 30 Nov 20:00 is still the only half.
    two = await uptime(ADMIN, "all", None, local(11, 1), local(12, 1), now=local(12, 6),
                       hours=SampleHours((8 * 60, 20 * 60)), tz=CST)
    assert (two.sampled_hours["instants"], two.sampled_hours["online_rate"]) == (60, pytest.approx(59.5 / 60))
    # Beside them, the step sampling from the period's start (00:00, 01:00, ...): unchanged in kind.
    assert november.sampled["instants"] == 720 and november.sampled["step"] == 3600.0


async def test_a_month_not_over_yet_samples_only_the_hours_that_have_passed():
    await november_fleet()
    result = await uptime(ADMIN, "all", None, local(12, 1), local(1, 1) + 365 * 86400, now=local(12, 1, 15),
                          hours=parse_hours("02:00,08:00,14:00,20:00"), tz=CST)
    assert (result.sampled_hours["instants"], result.sampled_hours["online_rate"]) == (3, pytest.approx(2.5 / 3))


async def test_the_uptime_api_and_cli_take_the_hours_and_refuse_bad_ones(client, people):
    await november_fleet()
    query = {"start": "2026-11-01", "end": "2026-12-01", "hours": "08:00,20:00", "tz": "+08:00"}
    found = await client.get("/api/v1/uptime", params=query, headers=bearer(people.admin))
    assert found.status_code == 200, found.text
    assert found.json()["sampled_hours"] == {"hours": ["08:00", "20:00"], "instants": 60, "counted": 60,
                                             "skipped": 0, "online_rate": pytest.approx(59.5 / 60)}
    default = await client.get("/api/v1/uptime", params={**query, "hours": None}, headers=bearer(people.admin))
    assert default.json()["sampled_hours"]["hours"] == ["02:00", "08:00", "14:00", "20:00"]  # the office's
    for bad in ("25:00", "8", "08:00,,x", ",".join(f"{h:02d}:{m:02d}" for h in range(24) for m in (0, 30, 45))):
        refused = await client.get("/api/v1/uptime", params={**query, "hours": bad}, headers=bearer(people.admin))
        assert refused.status_code == 400, bad
        assert refused.json()["errors"][0]["field"] == "hours"
    out = cli("uptime", "--from", "2026-11-01", "--to", "2026-12-01", "--tz", "+08:00", "--hours", "08:00,20:00",
              "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["sampled_hours"]["online_rate"] == pytest.approx(59.5 / 60)
    text = cli("uptime", "--from", "2026-11-01", "--to", "2026-12-01", "--tz", "+08:00").stdout
    assert "at 02:00,08:00,14:00,20:00  99.583% (120 of 120 spot checks had a known camera)" in text
    refused = cli("uptime", "--from", "2026-11-01", "--to", "2026-12-01", "--hours", "8 点")
    assert refused.returncode == 1 and "hours" in refused.stderr and "Traceback" not in refused.stderr


async def switch_outage() -> dict[str, int]:
    """The edge switch (under the core switch) is down 2-5 h; its cameras go down with it."""
    ids = await records()
    edge, core = ids["edge"], ids["core"]
    await StateInterval.insert(
        StateInterval(subject_type="upstream", subject_id=edge, state="up", cause="", start=at(0), end=at(2)),
        StateInterval(subject_type="upstream", subject_id=edge, state="down", cause="snmp:timeout", start=at(2),
                      end=at(5)),
        StateInterval(subject_type="upstream", subject_id=edge, state="up", cause="", start=at(5), end=None),
    ).run()
    cams = {}
    for n, name in enumerate(("c1", "c2", "c3", "c4", "c5"), start=1):
        cams[name] = await camera(n, upstream=edge, contractor=ids["con_a"] if n != 2 else ids["con_b"])
    for name in ("c1", "c2", "c3"):
        await timeline(cams[name], [("up", -1, 2), ("down", 2, 5, "upstream", edge), ("up", 5, None)])
    # c4: its own fault, not the switch's. c5: registered at 3 h (before that it is not counted).
    await timeline(cams["c4"], [("up", -1, 3), ("down", 3, 4), ("up", 4, None)])
    await timeline(cams["c5"], [("down", 2, 5, "upstream", edge), ("up", 5, None)], periods=False)
    await service(cams["c5"], [(3, None)])
    await window("camera", cams["c3"], 4, 6)  # c3 in maintenance from 4 h: 2 h lost, not 3
    await window("upstream", core, 20, 22)  # the core switch's window covers the edge switch below it
    return {**ids, **cams}


async def test_a_switch_outage_and_the_cameras_it_took_down_with_the_seconds_each_lost():
    ids = await switch_outage()
    found = await upstream_uptime(ADMIN, ids["edge"], at(0), at(24), now=at(24))
    # The switch: up 0-2 and 5-24 less its 2 h window (19 h), down 3 h.
    assert found["seconds"] == pytest.approx({"up": 19 * H, "degraded": 0.0, "down": 3 * H, "unknown": 0.0,
                                              "maintenance": 2 * H, "observed": 22 * H})
    assert found["online_rate"] == pytest.approx(19 / 22)
    lost = {row["camera_id"]: row["seconds"] for row in found["cameras_down"]["items"]}
    assert lost == pytest.approx({ids["c1"]: 3 * H, ids["c2"]: 3 * H, ids["c3"]: 2 * H, ids["c5"]: 2 * H})
    assert (found["cameras_down"]["cameras"], found["cameras_down"]["seconds"]) == (4, pytest.approx(10 * H))
    # The core switch was never down and took no camera down.
    core = await upstream_uptime(ADMIN, ids["core"], at(0), at(24), now=at(24))
    assert core["cameras_down"] == {"cameras": 0, "seconds": 0, "items": []}


async def test_the_upstream_uptime_through_the_api_and_cli_with_a_contractor_seeing_only_its_own(client, people):
    ids = await switch_outage()
    await UpstreamDevice.update({UpstreamDevice.contractor: people.a_id}).where(
        UpstreamDevice.id == ids["edge"]).run()
    from assetsvc.registry.tables import Camera

    await Camera.update({Camera.contractor: people.a_id}).where(Camera.id != ids["c2"]).run()
    await Camera.update({Camera.contractor: people.b_id}).where(Camera.id == ids["c2"]).run()
    url = f"/api/v1/uptime/upstream/{ids['edge']}"
    query = {"start": "2026-01-15T08:00:00Z", "end": "2026-01-16T08:00:00Z"}
    admin = await client.get(url, params=query, headers=bearer(people.admin))
    assert admin.status_code == 200, admin.text
    assert admin.json()["cameras_down"]["cameras"] == 4
    assert admin.json()["device"]["name"] == "接入交换机"
    mine = await client.get(url, params=query, headers=bearer(people.contractor_a))
    assert [r["camera_id"] for r in mine.json()["cameras_down"]["items"]] == [ids["c1"], ids["c3"], ids["c5"]]
    theirs = await client.get(url, params=query, headers=bearer(people.contractor_b))
    assert theirs.status_code == 404
    assert (await client.get("/api/v1/uptime/upstream/999999", params=query,
                             headers=bearer(people.admin))).status_code == 404
    assert (await client.get(url, params={"start": "x"}, headers=bearer(people.admin))).status_code == 400
    out = cli("uptime", "upstream", str(ids["edge"]), "--from", query["start"], "--to", query["end"])
    assert out.returncode == 0, out.stderr
    assert "took down 4 cameras for 10.0 h in all" in out.stdout
    assert "online rate 86.364%" in out.stdout


async def test_a_contracts_terms_name_their_own_spot_check_hours_for_its_score(people):
    from assetsvc.errors import ValidationFailed
    from assetsvc.tickets import contracts
    from tests.integration.test_tickets_downtime import TERMS_TOML, contract_a, spans as ticket_spans
    from tests.integration.test_tickets_score import camera as contract_camera

    ours = await contract_a(people.a_id, TERMS_TOML.replace(
        "[scoring]\n", '[scoring]\nsample_hours = ["08:00", "20:00"]\n'))
    cam = await contract_camera(1, people.a_id)
    await ticket_spans(cam, [("up", "", local(11, 1), local(11, 30, 19)),
                             ("down", "onvif_light:timeout", local(11, 30, 19), local(12, 1, 3)),
                             ("up", "", local(12, 1, 3), None)])
    result = await contracts.score(ADMIN, ours, "2026-11", now=local(12, 2, 9))
    # 60 checks; 30 Nov 20:00 down. Time-weighted: down 19:00-24:00 on the 30th, 5 h of 720 h.
    assert result["online"] == {"hours": ["08:00", "20:00"], "instants": 60, "counted": 60,
                                "sampled_online_rate": pytest.approx(59 / 60),
                                "online_rate": pytest.approx(715 / 720)}
    await contracts.put_terms(ADMIN, ours, TERMS_TOML, now=local(10, 2))  # terms without hours: the office's
    assert (await contracts.score(ADMIN, ours, "2026-11", now=local(12, 2, 9)))["online"]["hours"] == [
        "02:00", "08:00", "14:00", "20:00"]
    with pytest.raises(ValidationFailed, match="sample_hours"):
        await contracts.put_terms(ADMIN, ours, TERMS_TOML.replace("[scoring]\n", '[scoring]\nsample_hours = ["8h"]\n'))
