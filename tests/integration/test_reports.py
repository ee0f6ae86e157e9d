"""The monthly report for a small November worked by hand (tests/integration/report_world.py):
every section, every format (JSON, XLSX, CSV agree), versions, approval and a late correction."""

from __future__ import annotations

import csv
import io
import json

import jsonschema_rs
import pytest
from openpyxl import load_workbook

from pathlib import Path

from assetsvc.audit.tables import Change
from assetsvc.errors import Conflict, NotFound, ValidationFailed
from assetsvc.monitoring.tables import MaintenanceWindow
from assetsvc.reports import export, service, versions
from assetsvc.reports.tables import ReportVersion
from assetsvc.tickets.store import TERMS
from tests.integration import report_world
from tests.integration.conftest import ADMIN
from tests.integration.test_tickets_score import at

NOW = at(12, 2, 9)  # the report is drafted on 2 December
SCHEMA = Path(__file__).parents[2] / "docs" / "report.schema.json"


@pytest.fixture(autouse=True)
def fresh_terms():
    TERMS._parsed.clear()


def r6(x: float) -> float:
    return round(x, 6)


def rows(content: dict, section: str) -> dict[str, dict]:
    return {row["scope"]: row for row in content[section]["rows"]}


async def drafted(people) -> tuple[report_world.World, dict]:
    world = await report_world.build(people.a_id)
    made = await versions.generate(ADMIN, "2026-11", now=NOW)
    assert (made["version"], made["status"], made["created"]) == (1, "draft", True)
    _, content = await versions.read(ADMIN, "2026-11", 1)
    return world, content


async def test_every_section_matches_the_hand_worked_month(people):
    world, content = await drafted(people)
    cam1, cam2, cam3, _ = world.cams
    jsonschema_rs.validator_for(json.loads(SCHEMA.read_text("utf-8"))).validate(content)  # the published schema
    assert [s["scope"] for s in content["scopes"]] == [
        "city", "district:330106", f"station:{world.station}", "owner_class:police", "owner_class:government",
        "owner_class:social", f"contractor:{people.a_id}", f"contract:{world.contract}"]

    reg = rows(content, "registry")["city"]
    # 4 registered, 3 in service (cam4 decommissioned), networked cam1 and cam3; complete: cam1 only
    # (cam2 lacks 设备厂商 and 安装地址, cam3 安装地址 and 所属派出所).
    assert (reg["registered"], reg["in_service"], reg["networked"], reg["complete"]) == (4, 3, 2, 1)
    assert reg["completeness_rate"] == r6(1 / 3)
    assert [(f["field"], f["records"]) for f in reg["worst_fields"]] == [("address", 2), ("station", 1), ("vendor", 1)]
    assert reg["networked_to_province"] == 1  # cam1; cam3 only from 15 December

    cover = content["registry"]["coverage"]
    assert [(r["category"], r["planned"], r["built"], r["counted"], r["beyond_plan"], r["rate"]) for r in cover["rows"]] \
        == [("hospital", 2, 0, 0, 0, 0.0), ("school", 1, 2, 1, 1, 1.0)]
    assert (cover["city"]["planned"], cover["city"]["counted"], cover["city"]["rate"]) == (3, 1, r6(1 / 3))

    up = rows(content, "uptime")
    city = up["city"]
    # Hours: up 705 + 676 + 690 = 2071, degraded 5 + 20 = 25, down 10 + (30 - 6 in maintenance) = 34,
    # unknown 24; observed 2130 of 2160 in service, 6 in maintenance.
    assert city["hours"] == {"in_service": 2160.0, "maintenance": 6.0, "observed": 2130.0, "up": 2071.0,
                             "degraded": 25.0, "down": 34.0, "unknown": 24.0}
    assert city["online_rate"] == r6(2096 / 2130)
    assert city["working_rate"] == r6(2071 / 2130)
    assert city["unknown_share"] == r6(24 / 2154)
    # Hourly instants: 34 with one of three known cameras down (2/3), 686 all online: 2126 / 2160.
    assert city["sampled_online_rate"] == r6(2126 / 2160)
    # At the office's fixed hours (02:00, 08:00, 14:00, 20:00 Shanghai), 120 instants: one of three
    # known cameras down at 6 of them (cam1 on the 10th at 02 and 08; cam3 on the 12th at 08, 14, 20
    # and the 13th at 02; the 12th at 02 is cam3's maintenance), all known ones online at 114.
    assert city["sampled_fixed_hours"] == r6((6 * 2 / 3 + 114) / 120)
    assert city["sample_hours"] == ["02:00", "08:00", "14:00", "20:00"]
    # Clock and picture over cam1 and cam2 (cam3 is passive): observed 720 + 696 = 1416 h.
    assert city["clock_accuracy"] == r6(1396 / 1416)
    assert city["picture_pass_rate"] == r6(1411 / 1416)
    assert city["picture_faults"] == {"dark": r6(5 / 1416)}
    assert city["change"]["online_rate"] == round(r6(2096 / 2130) - 1.0, 6)  # October: all up
    social = up["owner_class:social"]
    assert (social["online_rate"], social["clock_accuracy"]["value"], social["picture_pass_rate"]["value"]) == \
        (r6(690 / 714), "n/a", "n/a")
    station = up[f"station:{world.station}"]
    assert (station["online_rate"], station["working_rate"]) == (r6(1406 / 1416), r6(1381 / 1416))

    tickets = rows(content, "tickets")
    for key in ("city", "district:330106", f"contractor:{people.a_id}", f"contract:{world.contract}"):
        t = tickets[key]
        # T1 9 h (met), T2 52 h (late), T3 open since the 20th (late): MTTR (9 + 52) / 2 = 30.5 h.
        assert (t["opened"], t["closed"], t["self_recovered"], t["overdue"], t["open_at_end"]) == (3, 2, 0, 2, 1)
        assert (t["mttr_wall_h"], t["mttr_contract_h"]) == (30.5, 30.5)
        assert t["on_time"]["respond"]["rate"] == 1.0
        assert (t["on_time"]["restore"]["met"], t["on_time"]["restore"]["breached"]) == (1, 2)
    [old] = content["tickets"]["long_standing"]
    assert (old["ticket_id"], old["open_days"], old["reasons"]) == (world.tickets[2], 10.62, ["no_access"])

    [scored] = content["contractors"]["contracts"]
    # cam1 10 h and cam3 24 h down (over 8 h): 2 points; T2 and T3 restored late: 4 points, 200 yuan.
    assert (scored["score"], scored["grade"], scored["points"], scored["amount"]) == ("94", "good", "6", "200")
    assert all("kind" not in d for d in scored["deductions"])  # the report keeps its shape (docs/report.schema.json)
    assert {d["rule"]: (d["units"], d["items"]) for d in scored["deductions"]} == {
        "down over 8 h": (2, sorted([cam1, cam3])), "late restore": (2, world.tickets[1:])}

    worst = content["worst_cameras"]["rows"]
    assert [(w["camera_id"], w["down_hours"]) for w in worst] == [(cam3, 24.0), (cam1, 10.0)]
    assert worst[1]["causes"] == {"degraded": {"picture:dark": 5.0}, "down": {"onvif_light:timeout": 10.0}}
    assert cam2 not in [w["camera_id"] for w in worst]


async def test_xlsx_csv_and_json_agree(people):
    await drafted(people)
    _, _, body = await export.export(ADMIN, "2026-11", "json", version=1)
    content = json.loads(body)["report"]
    city = rows(content, "uptime")["city"]
    _, _, xlsx = await export.export(ADMIN, "2026-11", "xlsx", version=1)
    book = load_workbook(io.BytesIO(xlsx))
    assert book.sheetnames == ["登记与覆盖", "覆盖规划", "在线与完好", "工单", "长期故障", "运维考核", "排名", "最差点位"]
    sheet = book["在线与完好"]
    assert "2026-11 月报 第1版" in sheet["A1"].value and "A1:" in str(sheet.merged_cells.ranges)
    headers = [c.value for c in sheet[2]]
    city_row = next(r for r in sheet.iter_rows(min_row=3, values_only=True) if r[0] == "city")
    assert city_row[headers.index("在线率(时间加权)")] == city["online_rate"]  # a number, not text
    assert city_row[headers.index("在线率(指定时点)")] == city["sampled_fixed_hours"]
    social_row = next(r for r in sheet.iter_rows(min_row=3, values_only=True) if r[0] == "owner_class:social")
    assert social_row[headers.index("时钟准确率")] == "n/a"  # passive cameras: never 100 %
    assert sheet.cell(row=3, column=headers.index("完好率") + 1).number_format == "0.00%"
    _, _, data = await export.export(ADMIN, "2026-11", "csv", version=1, table="uptime")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[0] == headers
    found = next(r for r in table[1:] if r[0] == "city")
    assert float(found[headers.index("在线率(时间加权)")]) == city["online_rate"]
    score = book["运维考核"]
    assert [c.value for c in score[3]][:6] == ["HT-2026-A", "甲运维公司", 94, "good", 6, 200]


async def test_same_data_same_version_and_a_late_correction_makes_a_new_draft(people):
    world, _ = await drafted(people)
    again = await versions.generate(ADMIN, "2026-11", now=NOW + 3600)
    assert (again["version"], again["created"]) == (1, False)  # same content, same hash: no new version
    with pytest.raises(NotFound):  # nothing approved yet: no report of record to export
        await export.export(ADMIN, "2026-11", "json")
    await versions.approve(ADMIN, "2026-11", 1, now=NOW)
    with pytest.raises(Conflict):
        await versions.approve(ADMIN, "2026-11", 1, now=NOW)
    # A late maintenance window on cam1's outage (planned work entered after the fact).
    await MaintenanceWindow(scope="camera", scope_ref=str(world.cams[0]), starts_at=at(11, 10, 0),
                            ends_at=at(11, 10, 10), reason="补录计划维护", created_by="test",
                            created_at=NOW).save().run()
    draft = await versions.generate(ADMIN, "2026-11", now=NOW + 7200)
    assert (draft["version"], draft["status"], draft["based_on"]) == (2, "draft", 1)
    record, content = await versions.read(ADMIN, "2026-11", 2)
    moved = {(c["section"], c["scope"], c["field"]): (c["before"], c["after"]) for c in record["changes"]}
    assert moved[("uptime", "city", "hours.down")] == (34.0, 24.0)
    assert moved[("uptime", "city", "online_rate")] == (r6(2096 / 2130), r6(2096 / 2120))
    # The approved version is unchanged and still the one exported; approving v2 supersedes it.
    _, approved = await versions.read(ADMIN, "2026-11")
    assert rows(approved, "uptime")["city"]["hours"]["down"] == 34.0
    await versions.approve(ADMIN, "2026-11", 2, now=NOW + 7300)
    assert [(v["version"], v["status"]) for v in await versions.versions(ADMIN, "2026-11")] == \
        [(1, "superseded"), (2, "approved")]
    assert rows(content, "uptime")["city"]["hours"]["down"] == 24.0


async def test_bad_input_is_refused_and_writes_nothing(people):
    await report_world.build(people.a_id)
    changes = await Change.count().run()
    with pytest.raises(ValidationFailed, match="has not ended"):
        await versions.generate(ADMIN, "2026-12", now=NOW)
    with pytest.raises(ValidationFailed, match="must look like 2026-11"):
        await versions.generate(ADMIN, "2026-13", now=NOW)
    assert await ReportVersion.count().run() == 0 and await Change.count().run() == changes
    await versions.generate(ADMIN, "2026-11", now=NOW)
    with pytest.raises(NotFound, match="no scope station:999"):
        await service.show(ADMIN, "2026-11", 1, "station:999")
    with pytest.raises(ValidationFailed, match="scope 'planet:1'"):
        await service.show(ADMIN, "2026-11", 1, "planet:1")
    with pytest.raises(ValidationFailed, match="a CSV holds one table"):
        await export.export(ADMIN, "2026-11", "csv", version=1)


LEAGUE = """
name = "按建设单位类别排名（测试）"
rank = "owner_class"
[[figures]]
figure = "online_rate"
weight = 60
zero = 0.90
full = 1.00
[[figures]]
figure = "completeness_rate"
weight = 40
zero = 0.0
full = 1.0
[[adjustments]]
figure = "unknown_share"
per = 0.01
points = -1
cap = -5
"""


async def test_the_league_table_ranks_by_the_office_rules(people):
    from assetsvc.reports import rules

    await report_world.build(people.a_id)
    await rules.put_rules(ADMIN, LEAGUE, now=NOW)
    await versions.generate(ADMIN, "2026-11", now=NOW)
    _, content = await versions.read(ADMIN, "2026-11", 1)
    table = {r["scope"]: r for r in content["league"]["rows"]}
    police, social, government = (table[f"owner_class:{c}"] for c in ("police", "social", "government"))
    # 公安 (cam1, cam2): online 1406/1416 -> 60 x (0.992938 - 0.9) / 0.1; complete 1 of 2 -> 20;
    # unknown 24/1440 -> -1 per 0.01.
    assert police["total"] == round(round(60 * (r6(1406 / 1416) - 0.9) / 0.1, 4) + 20.0
                                    + round(-r6(24 / 1440) / 0.01, 4), 4)
    # 社会面 (cam3): online 690/714; its record is incomplete (0); no unknown time.
    assert social["total"] == round(60 * (r6(690 / 714) - 0.9) / 0.1, 4)
    # 其他政府: no camera, no figure: nothing earned, the missing figures named.
    assert (government["total"], government["missing"]) == (0.0, ["completeness_rate", "online_rate", "unknown_share"])
    assert [(r["rank"], r["scope"]) for r in content["league"]["rows"]] == [
        (1, "owner_class:police"), (2, "owner_class:social"), (3, "owner_class:government")]


@pytest.mark.parametrize("document, where", [
    (LEAGUE.replace('figure = "online_rate"', 'figure = "happiness"'), "figures[0].figure"),
    (LEAGUE.replace('rank = "owner_class"', 'rank = "planet"'), "rank"),
    (LEAGUE.replace("cap = -5", "cap = 5"), "adjustments[0]"),
    (LEAGUE.replace("zero = 0.90", "zero = 1.00"), "figures[0]"),
    ("rank = ", "document"),
])
async def test_broken_league_rules_are_refused_naming_the_entry_and_store_nothing(people, client, document, where):
    from tests.integration.conftest import bearer

    changes = await Change.count().run()
    answer = await client.put("/api/v1/report-rules/league", content=document.encode(),
                              headers={**bearer(people.admin), "Content-Type": "application/toml"})
    assert answer.status_code == 400 and answer.json()["errors"][0]["field"] == where, answer.text
    shown = (await client.get("/api/v1/report-rules/league", headers=bearer(people.auditor))).json()
    assert (shown["version"], shown["example"]) == (0, True)
    assert await Change.count().run() == changes


async def test_two_generations_at_once_store_one_version(people):
    import asyncio

    await report_world.build(people.a_id)
    made = await asyncio.gather(versions.generate(ADMIN, "2026-11", now=NOW), versions.generate(ADMIN, "2026-11", now=NOW))
    assert sorted(m["created"] for m in made) == [False, True]
    assert [v["version"] for v in await versions.versions(ADMIN, "2026-11")] == [1]


async def test_the_pdf_carries_the_same_figures_in_chinese(people, tmp_path):
    import subprocess

    from tests.tools import need

    need("cjk-font")
    need("pdftotext")
    await drafted(people)
    _, content = await versions.read(ADMIN, "2026-11", 1)
    name, media, body = await export.export(ADMIN, "2026-11", "pdf", version=1)
    assert (name, media, body[:5]) == ("report-2026-11-v1.pdf", "application/pdf", b"%PDF-")
    path = tmp_path / name
    path.write_bytes(body)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    city = rows(content, "uptime")["city"]
    assert "2026-11 视频监控月报 第1版" in text and "在线与完好" in text and "运维考核" in text
    assert f"{city['online_rate'] * 100:.2f}%" in text  # the same figure as the JSON, as a percentage
    assert "HT-2026-A" in text and "94" in text
    pages = subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "2", str(path), str(tmp_path / "page")],
                           capture_output=True, check=True)
    assert pages.returncode == 0 and len(list(tmp_path.glob("page*.png"))) == 2
