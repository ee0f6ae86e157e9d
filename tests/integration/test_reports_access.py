"""Who may do what with the monthly report (API and CLI): admins generate and approve, auditors read
everything, a contractor reads only the contractors section for its own contracts."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest
from openpyxl import load_workbook

from assetsvc.app.jobs import JOBS, month_just_ended
from assetsvc.reports import versions
from assetsvc.reports.tables import ReportVersion
from assetsvc.tickets.store import TERMS
from tests.integration import report_world
from tests.integration.conftest import ADMIN, bearer
from tests.integration.test_tickets_score import at

NOW = at(12, 2, 9)


@pytest.fixture(autouse=True)
def fresh_terms():
    TERMS._parsed.clear()


async def test_roles_decide_what_each_account_reads(people, client):
    world = await report_world.build(people.a_id)
    for token in (people.auditor, people.contractor_a):
        refused = await client.post("/api/v1/reports/2026-11/generate", headers=bearer(token))
        assert refused.status_code == 403, refused.text
    await versions.generate(ADMIN, "2026-11", now=NOW)
    refused = await client.post("/api/v1/reports/2026-11/versions/1/approve", headers=bearer(people.auditor))
    assert refused.status_code == 403
    approved = await client.post("/api/v1/reports/2026-11/versions/1/approve", headers=bearer(people.admin))
    assert approved.status_code == 200 and approved.json()["status"] == "approved"

    full = (await client.get("/api/v1/reports/2026-11", headers=bearer(people.auditor))).json()
    assert set(full["report"]) >= {"registry", "uptime", "tickets", "contractors", "worst_cameras"}
    mine = (await client.get("/api/v1/reports/2026-11", headers=bearer(people.contractor_a))).json()["report"]
    assert set(mine) == {"month", "period", "contractors"}
    assert [c["contract_id"] for c in mine["contractors"]["contracts"]] == [world.contract]
    theirs = (await client.get("/api/v1/reports/2026-11", headers=bearer(people.contractor_b))).json()["report"]
    assert theirs["contractors"]["contracts"] == []
    hidden = await client.get("/api/v1/reports/2026-11", params={"section": "uptime"},
                              headers=bearer(people.contractor_a))
    assert hidden.status_code == 404
    sheet = await client.get("/api/v1/reports/2026-11/export", params={"format": "xlsx"},
                             headers=bearer(people.contractor_a))
    assert load_workbook(io.BytesIO(sheet.content)).sheetnames == ["运维考核"]
    one = await client.get("/api/v1/reports/2026-11", params={"scope": "district:330106", "section": "uptime"},
                           headers=bearer(people.auditor))
    assert [r["scope"] for r in one.json()["report"]["uptime"]["rows"]] == ["district:330106"]


async def test_bad_months_and_scopes_are_a_clear_400_or_404_and_write_nothing(people, client):
    await report_world.build(people.a_id)
    future = await client.post("/api/v1/reports/2099-01/generate", headers=bearer(people.admin))
    assert future.status_code == 400 and future.json()["errors"][0]["field"] == "month"
    assert "has not ended" in future.json()["detail"]
    assert await ReportVersion.count().run() == 0
    await versions.generate(ADMIN, "2026-11", now=NOW)
    missing = await client.get("/api/v1/reports/2026-11", params={"version": 1, "scope": "station:999"},
                               headers=bearer(people.admin))
    assert missing.status_code == 404 and "station:999" in missing.json()["detail"]
    odd = await client.get("/api/v1/reports/2026-11", params={"version": 1, "scope": "planet"},
                           headers=bearer(people.admin))
    assert odd.status_code == 400 and odd.json()["errors"][0]["field"] == "scope"
    bad_table = await client.get("/api/v1/reports/2026-11/export", params={"format": "csv", "version": 1},
                                 headers=bearer(people.admin))
    assert bad_table.status_code == 400 and bad_table.json()["errors"][0]["field"] == "table"


def test_the_monthly_job_drafts_the_month_just_ended_at_two_on_the_first():
    import datetime as dt

    from assetsvc.app.jobs import build_scheduler
    from assetsvc.monitoring.config import current
    from assetsvc.runtime import settings

    job = next(j for j in JOBS if j.name == "monthly_report")
    assert job.cron == "0 2 1 * *"
    trigger = build_scheduler(current(), (job,)).get_job("monthly_report").trigger
    after = dt.datetime(2026, 12, 6, 12, 0, tzinfo=settings().zone)
    assert trigger.get_next_fire_time(None, after) == dt.datetime(2027, 1, 1, 2, 0, tzinfo=settings().zone)
    assert month_just_ended(at(12, 1, 2)) == "2026-11"
    assert month_just_ended(at(1, 1, 2)) == "2025-12"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assetsvc.cli", "report", *args], capture_output=True, text=True,
                          timeout=300, env=dict(os.environ))


async def test_the_cli_generates_approves_and_exports(people, tmp_path):
    await report_world.build(people.a_id)
    made = cli("generate", "--month", "2026-11")
    assert made.returncode == 0, made.stderr
    assert "new draft 2026-11 v1" in made.stdout and "building the report" in made.stderr
    assert cli("approve", "--month", "2026-11", "--version", "1").returncode == 0
    listed = json.loads(cli("versions", "--month", "2026-11", "--json").stdout)
    assert [(v["version"], v["status"]) for v in listed] == [(1, "approved")]
    shown = json.loads(cli("show", "--month", "2026-11", "--scope", "city", "--section", "uptime").stdout)
    assert [r["scope"] for r in shown["report"]["uptime"]["rows"]] == ["city"]
    out = tmp_path / "csv"
    exported = cli("export", "--month", "2026-11", "--format", "csv", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"report-2026-11-v1-{t}.csv" for t in ("registry", "coverage", "uptime", "tickets", "long_standing", "contractors", "league",
                                                "worst_cameras"))
    future = cli("generate", "--month", "2099-01")
    assert future.returncode != 0 and "has not ended" in future.stderr


async def test_the_office_edits_the_coverage_plan_through_the_api_and_the_cli(people, client):
    body = {"region_code": "330106", "category": "school", "planned": 12}
    refused = await client.post("/api/v1/coverage-plans", json=body, headers=bearer(people.contractor_a))
    assert refused.status_code == 403
    made = await client.post("/api/v1/coverage-plans", json=body, headers=bearer(people.admin))
    assert made.status_code == 201, made.text
    twice = await client.post("/api/v1/coverage-plans", json=body, headers=bearer(people.admin))
    assert twice.status_code == 400 and twice.json()["errors"][0]["field"] == "category"
    bad = await client.post("/api/v1/coverage-plans", json={**body, "category": "hospital", "planned": -1},
                            headers=bearer(people.admin))
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "planned"
    changed = subprocess.run([sys.executable, "-m", "assetsvc.cli", "report", "coverage-plan", "set", "330106",
                              "school", "15"], capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert changed.returncode == 0, changed.stderr
    listed = json.loads(subprocess.run([sys.executable, "-m", "assetsvc.cli", "report", "coverage-plan", "list",
                                        "--json"], capture_output=True, text=True, timeout=120,
                                       env=dict(os.environ)).stdout)
    assert [(r["region_code"], r["category"], r["planned"]) for r in listed] == [("330106", "school", 15)]


async def test_the_cli_sets_league_rules_and_refuses_an_unknown_figure(people, tmp_path):
    good = tmp_path / "rules.toml"
    good.write_text('name = "测试"\nrank = "district"\n[[figures]]\nfigure = "online_rate"\nweight = 100\n'
                    'zero = 0.9\nfull = 1.0\n', "utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(good.read_text("utf-8").replace("online_rate", "happiness"), "utf-8")
    refused = cli("league-rules", "set", str(bad))
    assert refused.returncode != 0 and "'happiness' is not a report figure" in refused.stderr
    stored = cli("league-rules", "set", str(good))
    assert stored.returncode == 0 and "league rules v1: 测试" in stored.stdout, stored.stderr
    shown = json.loads(cli("league-rules", "show").stdout)
    assert (shown["version"], shown["rules"]["figures"][0]["figure"]) == (1, "online_rate")
