"""`tickets` and `contracts` commands as the office runs them (a subprocess on the test database).

They run as `python -m assetsvc.tickets.cli`, the module's own entry point, until assetsvc/cli.py
registers the groups under `assetsvc`. Tickets the tests inspect by time are written through the
services with fixed instants in November 2026; the commands themselves act at the real time, so
only what does not depend on it (states, stored deadlines and flags, messages) is asserted.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from zoneinfo import ZoneInfo

from assetsvc import bulk
from assetsvc.accounts.service import Actor
from assetsvc.monitoring.tables import DeviceState
from assetsvc.registry.tables import Camera, Contract, Contractor
from assetsvc.tickets import contracts, lifecycle, sweep
from assetsvc.tickets.tables import Ticket
from tests.integration.conftest import ADMIN

LOCAL = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 11, 16, 9, 0, tzinfo=LOCAL).timestamp()  # a Monday, in office hours
EXAMPLE = Path(__file__).parents[2] / "assetsvc" / "tickets" / "data" / "contract-sla.example.toml"


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assetsvc.tickets.cli", *args], capture_output=True, text=True,
                          timeout=120, env={**os.environ, **(env or {})})


async def world() -> dict:
    firm = Contractor(name="甲运维公司", contact="", phone="")
    await firm.save().run()
    contract = Contract(code="HT-2026-A", contractor=firm.id, region_codes=["330100"], owner_classes=[],
                        starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2027, 12, 31))
    await contract.save().run()
    await contracts.put_terms(ADMIN, contract.id, EXAMPLE.read_text("utf-8"), now=T0 - 86400)
    cams = []
    for n in (1, 2):
        row = Camera(gb_id=f"330106001313200{n:05d}", name=f"东门 {n}", region_code="330106", ipv4="127.0.0.1")
        await row.save().run()
        cams.append(row.id)
    user = Actor(user_id=1, username="ca", role="contractor", contractor_id=firm.id)
    return {"contractor": firm.id, "contract": contract.id, "cams": cams, "user": user}


async def open_at(camera: int, at: float, severity: str, fault: str = "down") -> int:
    body = {"subject_type": "camera", "subject_id": camera, "note": "reported by phone", "severity": severity,
            "fault": fault}
    return (await lifecycle.open_manual(ADMIN, body, now=at))["id"]


async def ticket(ticket_id: int) -> dict:
    return (await bulk.fetch(Ticket, "SELECT * FROM ticket WHERE id = ?", [ticket_id]))[0]


async def kinds(ticket_id: int) -> list[str]:
    rows = await bulk.fetch(Ticket, "SELECT kind FROM ticket_event WHERE ticket = ? ORDER BY at, id", [ticket_id])
    return [r["kind"] for r in rows]


async def test_list_and_show_print_the_tickets_with_their_breaches():
    w = await world()
    late = await open_at(w["cams"][0], T0, "P1")  # 24x7: respond 30 min, arrive 1 h, restore 2 h
    calm = await open_at(w["cams"][1], T0 + 60, "P3", "clock")
    await sweep.run(T0 + 1900)  # the P1 ticket's respond deadline (09:30) has passed
    listed = cli("tickets", "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].startswith("2 ticket(s); page 1")
    row = {line.split()[0]: line.split() for line in lines[2:]}
    assert row[str(late)][1:4] == ["open", "P1", "down"] and "respond" in row[str(late)]
    assert "甲运维公司" in row[str(late)] and "2026-11-16" in row[str(late)] and "09:00" in row[str(late)]
    assert row[str(calm)][1:4] == ["open", "P3", "clock"]
    assert [r["id"] for r in json.loads(cli("tickets", "list", "--breached", "--json").stdout)["items"]] == [late]
    assert [r["id"] for r in json.loads(cli("tickets", "list", "--not-breached", "--json").stdout)["items"]] == [calm]
    assert [r["id"] for r in json.loads(cli("tickets", "list", "--severity", "P3", "--json").stdout)["items"]] == [calm]
    assert json.loads(cli("tickets", "list", "--region", "330127", "--json").stdout)["total"] == 0

    shown = cli("tickets", "show", str(late))
    assert shown.returncode == 0, shown.stderr
    text = shown.stdout
    assert f"ticket {late}: down: 东门 1" in text and "contractor  甲运维公司" in text
    assert "flags       respond" in text
    stages = {line.split()[0]: line.split() for line in text.splitlines() if line.startswith("  re")
              or line.startswith("  arrive")}
    assert stages["respond"][1:4] == ["30m", "2026-11-16", "09:30"]
    assert stages["restore"][1:4] == ["2h00m", "2026-11-16", "11:00"]
    assert "system  breached: respond deadline passed" in text and "test-admin  opened ->open" in text
    detail = json.loads(cli("tickets", "show", str(late), "--json").stdout)
    assert detail["sla"]["stages"]["arrive"]["deadline"] == T0 + 3600
    assert [e["kind"] for e in detail["timeline"]] == ["opened", "breached"]


async def test_each_action_moves_the_ticket_through_its_life_cycle():
    w = await world()
    opened = cli("tickets", "open", "--camera", str(w["cams"][0]), "--note", "镜头被遮挡", "--severity", "P2")
    assert opened.returncode == 0, opened.stderr
    ticket_id = int(opened.stdout.split()[-1])
    assert (await ticket(ticket_id))["source"] == "manual"
    for args, state in ((("ack",), "acknowledged"), (("arrive",), "on_site"), (("resolve", "--note", "cleaned"),
                        "resolved"), (("close", "--note", "seen on the wall"), "closed"),
                        (("reopen", "--note", "still covered"), "reopened"), (("cancel", "--reason", "duplicate"),
                                                                              "cancelled")):
        result = cli("tickets", args[0], str(ticket_id), *args[1:])
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"ticket {ticket_id} is now {state}"
        assert (await ticket(ticket_id))["state"] == state
    assert cli("tickets", "note", str(ticket_id), "call the owner").returncode == 0
    assert await kinds(ticket_id) == ["opened", "acknowledge", "on_site", "resolve", "close", "reopen", "cancel",
                                      "note"]
    row = await ticket(ticket_id)
    assert (row["close_reason"], row["reopen_count"]) == ("cancelled", 1)


async def test_a_refused_action_exits_non_zero_with_the_services_message():
    w = await world()
    ticket_id = await open_at(w["cams"][0], T0, "P2")
    await lifecycle.act(ADMIN, ticket_id, "close", {"note": "fixed"}, now=T0 + 600)
    wrong_state = cli("tickets", "ack", str(ticket_id))
    assert wrong_state.returncode == 1 and "Traceback" not in wrong_state.stderr
    assert f"ticket {ticket_id} is closed; acknowledge needs it open or reopened" in wrong_state.stderr
    no_reason = cli("tickets", "reopen", str(ticket_id))
    assert no_reason.returncode == 1 and "note is required" in no_reason.stderr
    missing = cli("tickets", "show", str(ticket_id + 1000))
    assert missing.returncode == 1 and f"no ticket {ticket_id + 1000}" in missing.stderr
    unknown_device = cli("tickets", "open", "--upstream", "999999", "--note", "x")
    assert unknown_device.returncode == 1 and "subject_id: no upstream 999999" in unknown_device.stderr
    both = cli("tickets", "open", "--camera", "1", "--upstream", "1", "--note", "x")
    assert both.returncode == 2 and "exactly one of --camera or --upstream" in both.stderr
    assert (await ticket(ticket_id))["state"] == "closed" and await Ticket.count().run() == 1


async def test_the_office_approves_rejects_and_ends_pauses():
    w = await world()
    ticket_id = await open_at(w["cams"][0], T0, "P2")
    await lifecycle.act(w["user"], ticket_id, "acknowledge", {}, now=T0 + 300)
    asked = await lifecycle.request_suspension(w["user"], ticket_id, {"reason": "no_access", "note": "门卫不让进"},
                                               now=T0 + 600)
    approved = cli("tickets", "approve-pause", str(ticket_id), str(asked["id"]))
    assert approved.returncode == 0, approved.stderr
    assert approved.stdout.strip() == f"pause {asked['id']} of ticket {ticket_id} is now approved"
    assert (await ticket(ticket_id))["state"] == "suspended"
    assert "pauses (挂起)" in cli("tickets", "show", str(ticket_id)).stdout
    ended = cli("tickets", "end-pause", str(ticket_id), str(asked["id"]))
    assert ended.returncode == 0 and (await ticket(ticket_id))["state"] == "acknowledged"
    again = await lifecycle.request_suspension(w["user"], ticket_id, {"reason": "power_cut", "note": "停电"},
                                               now=T0 + 7200)
    unexplained = cli("tickets", "reject-pause", str(ticket_id), str(again["id"]))
    assert unexplained.returncode == 1 and "note is required" in unexplained.stderr
    rejected = cli("tickets", "reject-pause", str(ticket_id), str(again["id"]), "--note", "power was on")
    assert rejected.returncode == 0 and rejected.stdout.strip().endswith("is now rejected")
    twice = cli("tickets", "end-pause", str(ticket_id), str(again["id"]))
    assert twice.returncode == 1 and f"pause {again['id']} is rejected; end needs it approved" in twice.stderr
    # The requests carry test instants, the decisions the real time: compare the events, not their order.
    # A pause stops the clock at its approval (the real time, long after T0), so the clocks ran out
    # in between and the ticket also carries `breached` (and `escalated`) events: leave those out.
    own = [k for k in await kinds(ticket_id) if k not in ("breached", "escalated")]
    assert sorted(own) == sorted(["opened", "acknowledge", "suspension_requested", "suspended",
                                  "resumed", "suspension_requested", "suspension_rejected"])


async def test_run_jobs_opens_a_ticket_for_a_device_down_beyond_its_grace_period():
    w = await world()
    camera = w["cams"][0]
    await DeviceState(subject_type="camera", subject_id=camera, state="down", cause="onvif_light:timeout",
                      since=T0, aspects={}).save().run()
    early = cli("tickets", "run-jobs", "--now", str(T0 + 300))  # within the 10 min grace
    assert early.returncode == 0, early.stderr
    assert "open_tickets: nothing to do" in early.stdout and await Ticket.count().run() == 0
    due = cli("tickets", "run-jobs", "--now", str(T0 + 700))
    assert due.returncode == 0, due.stderr
    assert due.stdout.splitlines() == ["open_tickets: opened 1", "verify_tickets: nothing to do",
                                       "sla_sweep: nothing to do"]
    [row] = await bulk.fetch(Ticket, "SELECT * FROM ticket")
    assert (row["subject_id"], row["fault"], row["cause"], row["source"]) == (camera, "down", "onvif_light:timeout",
                                                                              "auto")
    assert (row["fault_since"], row["opened_at"], row["contract"]) == (T0, T0 + 700, w["contract"])
    again = json.loads(cli("tickets", "run-jobs", "--now", str(T0 + 760), "--json").stdout)
    assert again["open_tickets"] == {} and await Ticket.count().run() == 1


async def test_run_jobs_with_a_broken_rules_file_stops_naming_the_key(tmp_path):
    broken = tmp_path / "tickets.toml"
    broken.write_text(Path(lifecycle.__file__).with_name("tickets.toml").read_text("utf-8")
                      .replace('down = "10m"', 'down = "ten minutes"'), "utf-8")
    result = cli("tickets", "run-jobs", env={"ASSETSVC_TICKETS_CONFIG": str(broken)})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "grace.down = 'ten minutes' must be a duration" in result.stderr


async def test_sla_set_refuses_an_invalid_file_naming_the_key_and_stores_nothing(tmp_path):
    w = await world()
    before = await contracts.get_terms(ADMIN, w["contract"])
    bad = tmp_path / "terms.toml"
    bad.write_text(EXAMPLE.read_text("utf-8").replace('restore = "24h"', 'restore = "1 day"'), "utf-8")
    refused = cli("contracts", "sla-set", str(w["contract"]), str(bad))
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "terms #3 (P2/urban).restore = '1 day' must be a duration" in refused.stderr
    doubled = tmp_path / "terms.json"
    doubled.write_text('{"terms": [], "terms": []}', "utf-8")
    refused_json = cli("contracts", "sla-set", str(w["contract"]), str(doubled))
    assert refused_json.returncode == 1 and "duplicate keys ['terms']" in refused_json.stderr
    assert await contracts.get_terms(ADMIN, w["contract"]) == before
    # A good JSON file replaces the terms; --toml prints a document that reads back the same.
    good = tmp_path / "good.json"
    good.write_text(json.dumps(tomllib.loads(EXAMPLE.read_text("utf-8")), ensure_ascii=False), "utf-8")
    stored = cli("contracts", "sla-set", str(w["contract"]), str(good))
    assert stored.returncode == 0, stored.stderr
    assert "SLA terms v2 stored" in stored.stdout
    as_toml = cli("contracts", "sla-show", str(w["contract"]), "--toml")
    assert tomllib.loads(as_toml.stdout) == (await contracts.get_terms(ADMIN, w["contract"]))["document"]
    summary = cli("contracts", "sla-show", str(w["contract"])).stdout
    assert "SLA terms v2" in summary and "no_access" in summary
    assert "pauses: the clock stops at the approval; stages stopped: restore" in summary


async def test_contracts_list_shows_which_contracts_have_terms():
    w = await world()
    bare = Contract(code="HT-2026-B", contractor=w["contractor"], region_codes=["330127"], owner_classes=["police"],
                    starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 31))
    await bare.save().run()
    listed = cli("contracts", "list")
    assert listed.returncode == 0, listed.stderr
    rows = {line.split()[1]: line for line in listed.stdout.splitlines()[1:]}
    assert rows["HT-2026-A"].endswith("v1") and "330100" in rows["HT-2026-A"] and "甲运维公司" in rows["HT-2026-A"]
    assert rows["HT-2026-B"].endswith("not set") and "2026-01-01 .. 2026-12-31" in rows["HT-2026-B"]
    shown = cli("contracts", "sla-show", str(bare.id), "--json")
    assert shown.returncode == 1 and "has no SLA terms" in shown.stderr


async def test_score_prints_the_months_deductions():
    w = await world()
    ticket_id = await open_at(w["cams"][0], T0, "P1")  # arrive due 10:00, restore due 11:00
    await lifecycle.act(ADMIN, ticket_id, "arrive", {}, now=T0 + 7200)  # on site 11:00: 1 h late
    await lifecycle.act(ADMIN, ticket_id, "close", {"note": "replaced"}, now=T0 + 3 * 3600 + 60)  # 1 h 1 min late
    missing = cli("contracts", "score", str(w["contract"]), "--month", "2026-11")
    assert missing.returncode == 1 and "missed_inspection" in missing.stderr
    result = cli("contracts", "score", str(w["contract"]), "--month", "2026-11", "--count", "missed_inspection=2")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"contract {w['contract']} (HT-2026-A), 2026-11: 1 ticket(s)"
    assert lines[1].startswith("score 89 (pass), 11 point(s) deducted, amount 200")
    assert f"  late arrival: 1 unit(s), -1 point(s), amount 0 [{ticket_id}]" in lines
    assert f"  late restore, per started hour: 2 unit(s), -0 point(s), amount 200 [{ticket_id}]" in lines
    assert "  missed inspection: 2 unit(s), -10 point(s), amount 0" in lines
    twice = cli("contracts", "score", str(w["contract"]), "--month", "2026-11", "--count", "missed_inspection=1",
                "--count", "missed_inspection=2")
    assert twice.returncode == 2 and "--count missed_inspection is given twice" in twice.stderr
    bad = cli("contracts", "score", str(w["contract"]), "--month", "November")
    assert bad.returncode == 1 and "month 'November' must look like 2026-11" in bad.stderr
    as_json = json.loads(cli("contracts", "score", str(w["contract"]), "--month", "2026-11", "--count",
                             "missed_inspection=0", "--json").stdout)
    assert (as_json["score"], as_json["grade"]) == ("99", "good")
