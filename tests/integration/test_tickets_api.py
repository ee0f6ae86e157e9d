"""The ticket and contract-SLA endpoints over HTTP: who may do what to whose ticket, the life cycle,
bad bodies, attachments, list filters, terms and the monthly score.

Contractors A and B each have a contract (the shipped example terms), a camera and a ticket. Tickets
are P1 (a 24x7 calendar), so no figure depends on the day the suite runs; actions over HTTP happen at
the real time, and the score is taken for a month in the past with every instant set by the test.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
import tomllib
from pathlib import Path
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import cv2
import numpy as np
import pytest

from assetsvc import bulk, runtime
from assetsvc.accounts.service import Actor, issue_token
from assetsvc.accounts.tables import User
from assetsvc.monitoring.tables import ProbeTask
from assetsvc.registry.tables import Camera, Contract
from assetsvc.tickets import contracts, lifecycle, views
from assetsvc.tickets.store import TERMS
from assetsvc.tickets.tables import Ticket
from tests.integration.conftest import ADMIN, PASSWORD_HASH, bearer

LOCAL = ZoneInfo("Asia/Shanghai")
EXAMPLE = Path(__file__).parents[2] / "assetsvc" / "tickets" / "data" / "contract-sla.example.toml"
API = "/api/v1"


# ---- the world --------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def fresh_terms():
    # SQLite reuses the ids of deleted rows, and the terms cache is keyed by (contract id, version):
    # without this a contract of an earlier test could lend its parsed terms to a new one.
    TERMS._parsed.clear()


def jpeg() -> bytes:
    ok, data = cv2.imencode(".jpg", np.full((8, 8, 3), 200, np.uint8))
    assert ok
    return data.tobytes()


def png() -> bytes:
    ok, data = cv2.imencode(".png", np.zeros((4, 4), np.uint8))
    assert ok
    return data.tobytes()


def pdf() -> bytes:
    """A one-page PDF with a correct cross-reference table."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


async def contract(code: str, contractor: int) -> int:
    row = Contract(code=code, contractor=contractor, region_codes=["330100"], owner_classes=[],
                   starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2099, 12, 31))
    await row.save().run()
    await contracts.put_terms(ADMIN, row.id, EXAMPLE.read_text("utf-8"))
    return row.id


async def camera(n: int, contractor: int, region: str) -> int:
    row = Camera(gb_id=f"330106001313200{n:05d}", name=f"路口{n}号", region_code=region, ipv4=f"127.0.0.{n}",
                 contractor=contractor, point_class=3)
    await row.save().run()
    return row.id


async def open_ticket(cam: int, at: float, severity: str = "P1") -> int:
    opened = await lifecycle.open_manual(ADMIN, {"subject_id": cam, "note": "巡检发现黑屏", "severity": severity},
                                         now=at)
    return opened["id"]


class World:
    """Contractors A and B with a contract, a camera and a ticket each (A's with a pause and a photo)."""

    def __init__(self, people) -> None:
        self.people = people

    async def build(self) -> World:
        p = self.people
        self.contract_a = await contract("HT-A", p.a_id)
        self.contract_b = await contract("HT-B", p.b_id)
        self.cam_a = await camera(1, p.a_id, "330106")
        self.cam_b = await camera(2, p.b_id, "330127")
        now = time.time()
        self.ticket_a = await open_ticket(self.cam_a, now - 600)
        self.ticket_b = await open_ticket(self.cam_b, now - 600)
        self.user_a = Actor(user_id=0, username="ca", role="contractor", contractor_id=p.a_id)
        pause = await lifecycle.request_suspension(self.user_a, self.ticket_a,
                                                   {"reason": "no_access", "note": "小区物业不让进"})
        self.pause_a = pause["id"]
        photo = await views.attach(self.user_a, self.ticket_a, "现场.jpg", jpeg())
        self.photo_a = photo["id"]
        return self


@pytest.fixture
async def w(people) -> World:
    return await World(people).build()


async def snapshot(ticket_id: int) -> dict:
    """Everything stored about a ticket, to prove a refused request changed nothing."""
    row = await bulk.fetch(Ticket, "SELECT * FROM ticket WHERE id = ?", [ticket_id])
    events = await bulk.fetch(Ticket, "SELECT id, kind, actor FROM ticket_event WHERE ticket = ? ORDER BY id",
                              [ticket_id])
    pauses = await bulk.fetch(Ticket, "SELECT * FROM ticket_suspension WHERE ticket = ? ORDER BY id", [ticket_id])
    files = await bulk.fetch(Ticket, "SELECT id, sha256 FROM ticket_attachment WHERE ticket = ? ORDER BY id",
                             [ticket_id])
    return {"row": row, "events": events, "pauses": pauses, "files": files}


async def ticket_count() -> int:
    return (await bulk.fetch(Ticket, "SELECT COUNT(*) AS n FROM ticket", []))[0]["n"]


async def terms_row(contract_id: int) -> list[dict]:
    return await bulk.fetch(Ticket, "SELECT document, version FROM contract_terms WHERE contract = ?", [contract_id])


# ---- every endpoint x every role ---------------------------------------------------------------

WRITES = {"open", "acknowledge", "arrive", "resolve", "cancel", "close", "reopen", "note", "suspend", "approve",
          "reject", "end", "attach", "put_terms"}
READS = {"list", "queue", "detail", "download", "get_terms", "score"}
LISTS = {"list", "queue"}


def request_of(name: str, w: World) -> tuple[str, str, dict]:
    """(method, path, httpx keyword arguments) of one endpoint on contractor A's records, valid bodies."""
    t, s, c = w.ticket_a, w.pause_a, w.contract_a
    notes = {"acknowledge": {}, "arrive": {}, "resolve": {"note": "换了电源"}, "cancel": {"reason": "重复工单"},
             "close": {"note": "办公室确认"}, "reopen": {"note": "又坏了"}}
    if name in notes:
        return "POST", f"/tickets/{t}/{name}", {"json": notes[name]}
    return {
        "list": ("GET", "/tickets", {}),
        "queue": ("GET", "/tickets/queue", {}),
        "detail": ("GET", f"/tickets/{t}", {}),
        "open": ("POST", "/tickets", {"json": {"subject_id": w.cam_a, "note": "人工派单", "severity": "P1"}}),
        "note": ("POST", f"/tickets/{t}/notes", {"json": {"note": "已联系物业"}}),
        "suspend": ("POST", f"/tickets/{t}/suspensions", {"json": {"reason": "power_cut", "note": "停电"}}),
        "approve": ("POST", f"/tickets/{t}/suspensions/{s}/approve", {"json": {"note": "同意"}}),
        "reject": ("POST", f"/tickets/{t}/suspensions/{s}/reject", {"json": {"note": "不同意"}}),
        "end": ("POST", f"/tickets/{t}/suspensions/{s}/end", {"json": {}}),
        "attach": ("POST", f"/tickets/{t}/attachments", {"files": {"file": ("a.jpg", jpeg(), "image/jpeg")}}),
        "download": ("GET", f"/tickets/{t}/attachments/{w.photo_a}", {}),
        "get_terms": ("GET", f"/contracts/{c}/sla", {}),
        "put_terms": ("PUT", f"/contracts/{c}/sla", {"content": EXAMPLE.read_bytes(),
                                                      "headers": {"Content-Type": "application/toml"}}),
        "score": ("GET", f"/contracts/{c}/score", {"params": {"month": "2026-11", "count": "missed_inspection:0"}}),
    }[name]


async def call(client, name: str, w: World, token: str | None):
    method, path, kwargs = request_of(name, w)
    headers = {**kwargs.pop("headers", {}), **(bearer(token) if token else {})}
    return await client.request(method, API + path, headers=headers, **kwargs)


def expected(role: str, name: str) -> int:
    if role == "anonymous":
        return 401
    if role == "platform":
        return 403
    if role == "auditor":
        return 403 if name in WRITES else 200
    # contractor B, on contractor A's records: ids of others do not exist for it
    if name in LISTS:
        return 200
    return 403 if name in ("open", "put_terms") else 404


async def platform_token() -> str:
    await User(username="platform", password_hash=PASSWORD_HASH, role="platform").save().run()
    return await issue_token("platform", "api")


@pytest.mark.parametrize("role", ["anonymous", "platform", "auditor", "contractor_b"])
@pytest.mark.parametrize("name", sorted(WRITES | READS))
async def test_endpoint_answers_each_role_as_declared_and_refusals_change_nothing(client, w, role, name):
    token = {"anonymous": None, "auditor": w.people.auditor, "contractor_b": w.people.contractor_b}.get(role)
    if role == "platform":
        token = await platform_token()
    before = (await snapshot(w.ticket_a), await ticket_count(), await terms_row(w.contract_a))
    response = await call(client, name, w, token)
    assert response.status_code == expected(role, name), response.text
    if response.status_code >= 400:
        body = response.json()
        assert body["detail"]
        if response.status_code == 404:
            assert str(w.ticket_a) in body["detail"] or str(w.contract_a) in body["detail"]
        assert (await snapshot(w.ticket_a), await ticket_count(), await terms_row(w.contract_a)) == before
    if name in LISTS and role == "contractor_b":
        assert [t["id"] for t in response.json()["items"]] == [w.ticket_b]


async def test_contractor_b_never_lists_a_tickets_even_when_asking_for_contractor_a(client, w):
    headers = bearer(w.people.contractor_b)
    for params in ({}, {"contractor": w.people.a_id}, {"contractor": w.people.a_id, "state": "active"}):
        response = await client.get(f"{API}/tickets", params=params, headers=headers)
        assert response.status_code == 200
        assert w.ticket_a not in [t["id"] for t in response.json()["items"]]
    asked_for_a = await client.get(f"{API}/tickets", params={"contractor": w.people.a_id}, headers=headers)
    assert asked_for_a.json()["total"] == 0


async def test_an_unknown_ticket_or_action_is_404_for_the_office_too(client, w):
    headers = bearer(w.people.admin)
    missing = await client.get(f"{API}/tickets/{w.ticket_b + 1000}", headers=headers)
    assert missing.status_code == 404 and f"no ticket {w.ticket_b + 1000}" in missing.json()["detail"]
    action = await client.post(f"{API}/tickets/{w.ticket_a}/explode", json={}, headers=headers)
    assert action.status_code == 404 and "acknowledge" in action.json()["detail"]
    decision = await client.post(f"{API}/tickets/{w.ticket_a}/suspensions/{w.pause_a}/postpone", json={},
                                 headers=headers)
    assert decision.status_code == 404 and "approve" in decision.json()["detail"]
    photo = await client.get(f"{API}/tickets/{w.ticket_b}/attachments/{w.photo_a}", headers=headers)
    assert photo.status_code == 404  # A's photo is not reachable through B's ticket


# ---- office-only actions -----------------------------------------------------------------------

async def test_a_contractor_cannot_approve_its_own_pause(client, w):
    response = await client.post(f"{API}/tickets/{w.ticket_a}/suspensions/{w.pause_a}/approve", json={},
                                 headers=bearer(w.people.contractor_a))
    assert response.status_code == 403
    assert "cannot approve its own pause" in response.json()["detail"]
    [pause] = (await snapshot(w.ticket_a))["pauses"]
    assert pause["status"] == "requested"


@pytest.mark.parametrize("action,body", [("cancel", {"reason": "重复"}), ("close", {"note": "好了"})])
async def test_cancel_and_close_are_the_office_s(client, w, action, body):
    path = f"{API}/tickets/{w.ticket_b}/{action}"
    refused = await client.post(path, json=body, headers=bearer(w.people.contractor_b))
    assert refused.status_code == 403 and "only the video office" in refused.json()["detail"]
    done = await client.post(path, json=body, headers=bearer(w.people.admin))
    assert done.status_code == 200
    assert done.json() == {"id": w.ticket_b, "state": {"cancel": "cancelled", "close": "closed"}[action]}


async def test_reopen_and_open_are_the_office_s(client, w):
    admin, contractor = bearer(w.people.admin), bearer(w.people.contractor_b)
    await client.post(f"{API}/tickets/{w.ticket_b}/close", json={"note": "好了"}, headers=admin)
    path = f"{API}/tickets/{w.ticket_b}/reopen"
    assert (await client.post(path, json={"note": "又黑了"}, headers=contractor)).status_code == 403
    reopened = await client.post(path, json={"note": "又黑了"}, headers=admin)
    assert reopened.json()["state"] == "reopened"
    body = {"subject_id": w.cam_b, "note": "人工派单"}
    assert (await client.post(f"{API}/tickets", json=body, headers=contractor)).status_code == 403
    opened = await client.post(f"{API}/tickets", json=body, headers=admin)
    assert opened.status_code == 201
    ticket = opened.json()
    assert (ticket["state"], ticket["source"], ticket["contractor_id"]) == ("open", "manual", w.people.b_id)
    assert [(e["kind"], e["actor"], e["note"]) for e in ticket["timeline"]] == [("opened", "admin", "人工派单")]


# ---- the whole life ----------------------------------------------------------------------------

async def test_a_ticket_lives_from_opening_to_resolve_with_a_pause_and_every_step_on_the_timeline(client, w):
    admin, a = bearer(w.people.admin), bearer(w.people.contractor_a)
    await ProbeTask(subject_type="camera", subject_id=w.cam_a, plan="light", due_at=time.time() + 86400).save().run()
    opened = await client.post(f"{API}/tickets", json={"subject_id": w.cam_a, "note": "黑屏", "severity": "P1"},
                               headers=admin)
    tid = opened.json()["id"]
    base = f"{API}/tickets/{tid}"
    for action, state in (("acknowledge", "acknowledged"), ("arrive", "on_site")):
        response = await client.post(f"{base}/{action}", json={"note": f"{action} 好"}, headers=a)
        assert response.json() == {"id": tid, "state": state}
    bad = await client.post(f"{base}/suspensions", json={"reason": "weather", "note": "下雨"}, headers=a)
    assert bad.status_code == 400
    assert "no_access, power_cut, third_party_works" in bad.json()["errors"][0]["message"]
    asked = await client.post(f"{base}/suspensions", json={"reason": "third_party_works", "note": "道路施工"},
                              headers=a)
    assert asked.status_code == 201 and asked.json()["status"] == "requested"
    sid = asked.json()["id"]
    approved = await client.post(f"{base}/suspensions/{sid}/approve", json={"note": "同意挂起"}, headers=admin)
    assert approved.json() == {"id": sid, "status": "approved"}
    assert (await client.get(base, headers=a)).json()["state"] == "suspended"
    ended = await client.post(f"{base}/suspensions/{sid}/end", headers=a)  # no body at all
    assert ended.json() == {"id": sid, "status": "ended"}
    before_resolve = time.time()
    resolved = await client.post(f"{base}/resolve", json={"note": "恢复供电后正常"}, headers=a)
    assert resolved.json() == {"id": tid, "state": "resolved"}
    detail = (await client.get(base, headers=a)).json()
    assert detail["state"] == "resolved" and detail["resolved_at"] >= before_resolve
    assert [(e["kind"], e["actor"]) for e in detail["timeline"]] == [
        ("opened", "admin"), ("acknowledge", "ca"), ("on_site", "ca"), ("suspension_requested", "ca"),
        ("suspended", "admin"), ("resumed", "ca"), ("resolve", "ca")]
    assert [(s["id"], s["status"], s["decided_by"], s["ended_by"]) for s in detail["suspensions"]] == [
        (sid, "ended", "admin", "ca")]
    assert detail["sla"]["available"] and detail["sla"]["stages"]["respond"]["status"] == "met"
    assert detail["device"]["id"] == w.cam_a and detail["contractor_name"] == "甲运维公司"
    [task] = await bulk.fetch(ProbeTask, "SELECT due_at FROM probe_task WHERE subject_id = ?", [w.cam_a])
    assert before_resolve <= task["due_at"] <= detail["resolved_at"]  # made due at the resolve


@pytest.mark.parametrize("action,state_after", [("arrive", "resolved"), ("acknowledge", "resolved"),
                                                ("reopen", "resolved")])
async def test_a_wrong_transition_is_409_naming_the_current_state(client, w, action, state_after):
    headers = bearer(w.people.admin)
    await client.post(f"{API}/tickets/{w.ticket_b}/resolve", json={}, headers=headers)
    before = await snapshot(w.ticket_b)
    response = await client.post(f"{API}/tickets/{w.ticket_b}/{action}", json={"note": "再试"}, headers=headers)
    assert response.status_code == 409
    assert f"ticket {w.ticket_b} is {state_after}" in response.json()["detail"]
    assert await snapshot(w.ticket_b) == before


async def test_a_second_pause_while_one_is_pending_is_409(client, w):
    response = await client.post(f"{API}/tickets/{w.ticket_a}/suspensions", json={"reason": "power_cut",
                                                                                 "note": "停电"},
                                 headers=bearer(w.people.contractor_a))
    assert response.status_code == 409 and f"#{w.pause_a}" in response.json()["detail"]


# ---- bad bodies ----------------------------------------------------------------------------------

BAD_BODIES = [
    ("not json", {"content": b"note=hello", "headers": {"Content-Type": "application/json"}}, "body"),
    ("array", {"json": ["note"]}, "body"),
    ("note a number", {"json": {"note": 5}}, "note"),
    ("note too long", {"json": {"note": "长" * 2001}}, "note"),
    ("unknown field", {"json": {"note": "ok", "state": "closed"}}, "state"),
    ("note and reason", {"json": {"note": "a", "reason": "b"}}, "reason"),
]


@pytest.mark.parametrize("path", ["acknowledge", "notes", "suspensions"])
@pytest.mark.parametrize("case,kwargs,field", BAD_BODIES, ids=[c[0] for c in BAD_BODIES])
async def test_a_bad_body_is_400_with_the_field_and_nothing_is_written(client, w, path, case, kwargs, field):
    if path == "suspensions" and case == "note and reason":
        return  # both belong in a pause request
    kwargs = dict(kwargs)
    if path == "suspensions" and isinstance(kwargs.get("json"), dict):
        kwargs["json"] = {"reason": "no_access", **kwargs["json"]}  # a good reason: the note is at fault
    before = await snapshot(w.ticket_b)
    headers = {**kwargs.pop("headers", {}), **bearer(w.people.contractor_b)}
    response = await client.post(f"{API}/tickets/{w.ticket_b}/{path}", headers=headers, **kwargs)
    assert response.status_code == 400, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert await snapshot(w.ticket_b) == before


@pytest.mark.parametrize("body,field", [
    ({"reason": ["no_access"], "note": "x"}, "reason"),
    ({"reason": "no_access"}, "note"),
    ({"reason": "no_access", "note": "   "}, "note"),
])
async def test_a_bad_pause_request_is_400(client, w, body, field):
    before = await snapshot(w.ticket_b)
    response = await client.post(f"{API}/tickets/{w.ticket_b}/suspensions", json=body,
                                 headers=bearer(w.people.contractor_b))
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert await snapshot(w.ticket_b) == before


@pytest.mark.parametrize("kwargs,fields", [
    ({"content": b"{not json", "headers": {"Content-Type": "application/json"}}, ["body"]),
    ({"json": [1, 2]}, ["body"]),
    ({"json": {"subject_id": "1", "note": "x"}}, ["subject_id"]),
    ({"json": {"subject_id": 1, "note": "x", "priority": "high"}}, ["priority"]),
    ({"json": {"subject_id": 1, "note": 7, "severity": 1, "fault": "fire"}}, ["fault", "severity", "note"]),
    ({"json": {"subject_id": 999999, "note": "x"}}, ["subject_id"]),
    ({"json": {"subject_id": 1, "note": "长" * 2001}}, ["note"]),
])
async def test_a_bad_ticket_is_400_with_field_errors_and_none_is_opened(client, w, kwargs, fields):
    before = await ticket_count()
    headers = {**kwargs.get("headers", {}), **bearer(w.people.admin)}
    response = await client.post(f"{API}/tickets", headers=headers,
                                 **{k: v for k, v in kwargs.items() if k != "headers"})
    assert response.status_code == 400, response.text
    assert sorted(e["field"] for e in response.json()["errors"]) == sorted(fields)
    assert await ticket_count() == before


async def test_cancel_needs_a_reason_and_takes_it_as_reason_or_note(client, w):
    headers = bearer(w.people.admin)
    empty = await client.post(f"{API}/tickets/{w.ticket_b}/cancel", headers=headers)
    assert empty.status_code == 400 and empty.json()["errors"][0]["field"] == "reason"
    done = await client.post(f"{API}/tickets/{w.ticket_b}/cancel", json={"reason": "设备已拆除"}, headers=headers)
    assert done.json()["state"] == "cancelled"
    detail = (await client.get(f"{API}/tickets/{w.ticket_b}", headers=headers)).json()
    assert detail["timeline"][-1]["note"] == "设备已拆除" and detail["close_reason"] == "cancelled"


# ---- attachments -------------------------------------------------------------------------------

@pytest.mark.parametrize("name,make,declared,stored", [
    ("现场照片 1.jpg", jpeg, "image/jpeg", "image/jpeg"),
    ("机箱.png", png, "application/octet-stream", "image/png"),
    ("维修单.pdf", pdf, "application/pdf", "application/pdf"),
])
async def test_a_photo_or_pdf_is_kept_and_comes_back_byte_for_byte(client, w, name, make, declared, stored):
    data = make()
    headers = bearer(w.people.contractor_b)
    response = await client.post(f"{API}/tickets/{w.ticket_b}/attachments", headers=headers,
                                 files={"file": (name, data, declared)})
    assert response.status_code == 201, response.text
    kept = response.json()
    assert (kept["filename"], kept["content_type"], kept["size"]) == (name, stored, len(data))
    assert kept["sha256"] == hashlib.sha256(data).hexdigest()
    back = await client.get(f"{API}/tickets/{w.ticket_b}/attachments/{kept['id']}", headers=headers)
    assert back.status_code == 200 and back.content == data
    assert back.headers["content-type"] == stored
    assert back.headers["x-content-type-options"] == "nosniff"
    disposition = back.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert unquote(disposition.split("filename*=UTF-8''", 1)[1]) == name
    detail = (await client.get(f"{API}/tickets/{w.ticket_b}", headers=bearer(w.people.auditor))).json()
    assert [(f["id"], f["sha256"], f["uploaded_by"]) for f in detail["attachments"]] == [
        (kept["id"], kept["sha256"], "cb")]
    assert detail["timeline"][-1]["kind"] == "attachment"


HOSTILE = [
    ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00" + bytes(200)),
    ("photo.jpg", b"<html><script>alert(1)</script></html>"),
    ("photo.jpg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    ("photo.jpg", b"\xff\xd8"),  # half a JPEG signature
]


@pytest.mark.parametrize("name,data", HOSTILE, ids=["exe", "html", "svg", "short"])
async def test_content_that_is_not_jpeg_png_or_pdf_is_refused_whatever_its_declared_type(client, w, name, data):
    before = await snapshot(w.ticket_b)
    response = await client.post(f"{API}/tickets/{w.ticket_b}/attachments", headers=bearer(w.people.contractor_b),
                                 files={"file": (name, data, "image/jpeg")})
    assert response.status_code == 400
    assert response.json()["errors"][0]["kind"] == "unsupported_type"
    assert await snapshot(w.ticket_b) == before


async def test_an_empty_file_is_refused(client, w):
    response = await client.post(f"{API}/tickets/{w.ticket_b}/attachments", headers=bearer(w.people.contractor_b),
                                 files={"file": ("empty.jpg", b"", "image/jpeg")})
    assert response.status_code == 400 and response.json()["detail"] == "the file is empty"


@pytest.mark.parametrize("kwargs,message", [
    ({"json": {"file": "aGVsbG8="}}, "send the file as multipart/form-data"),
    ({"files": {"photo": ("a.jpg", b"\xff\xd8\xff", "image/jpeg")}}, "no part named file"),
    ({"content": b"--xyz\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n\xff\xd8\xff",
      "headers": {"Content-Type": "multipart/form-data; boundary=xyz"}}, "malformed"),
    ({"content": b"", "headers": {"Content-Type": "multipart/form-data"}}, "has no boundary"),
])
async def test_a_body_that_is_not_a_multipart_file_is_400(client, w, kwargs, message):
    before = await snapshot(w.ticket_b)
    headers = {**kwargs.get("headers", {}), **bearer(w.people.contractor_b)}
    response = await client.post(f"{API}/tickets/{w.ticket_b}/attachments", headers=headers,
                                 **{k: v for k, v in kwargs.items() if k != "headers"})
    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert await snapshot(w.ticket_b) == before


@pytest.mark.parametrize("raw", [
    b"../../etc/\xe5\xbc\xa0\x07\xe4\xb8\x89\t\x1b.jpg",  # a path, BEL, TAB, ESC as raw bytes
    b"C:\\Users\\ca\\\xe5\xbc\xa0\xe4\xb8\x89.jpg",  # an old browser's full Windows path
    b"\xe5\xbc\xa0%0D%0A\xe4\xb8\x89.jpg",  # CR LF as a browser escapes them (HTML5 form encoding)
])
async def test_a_file_name_loses_its_path_and_control_characters(client, w, raw):
    boundary = "name-test"
    body = (b"--name-test\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + raw + b"\"\r\n"
            b"Content-Type: image/jpeg\r\n\r\n" + jpeg() + b"\r\n--name-test--\r\n")
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", **bearer(w.people.contractor_b)}
    response = await client.post(f"{API}/tickets/{w.ticket_b}/attachments", content=body, headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["filename"] == "张三.jpg"
    back = await client.get(f"{API}/tickets/{w.ticket_b}/attachments/{response.json()['id']}",
                            headers=bearer(w.people.contractor_b))
    assert back.headers["content-disposition"] == (
        "attachment; filename=\"__.jpg\"; filename*=UTF-8''%E5%BC%A0%E4%B8%89.jpg")


@pytest.fixture
def upload_limit_1mb(monkeypatch):
    monkeypatch.setenv("ASSETSVC_UPLOAD_MAX_MB", "1")
    runtime.settings.cache_clear()
    yield 2**20
    monkeypatch.undo()
    runtime.settings.cache_clear()


def multipart(data: bytes, boundary: str = "assetsvc-test-boundary") -> tuple[bytes, dict]:
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.jpg\"\r\n"
            f"Content-Type: image/jpeg\r\n\r\n").encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), {"Content-Type": f"multipart/form-data; "
                                                                              f"boundary={boundary}"}


async def test_a_file_at_the_limit_is_kept_and_one_byte_more_is_413(client, w, upload_limit_1mb):
    limit = upload_limit_1mb
    at_limit = b"\xff\xd8\xff" + bytes(limit - 3)
    headers = bearer(w.people.contractor_b)
    kept = await client.post(f"{API}/tickets/{w.ticket_b}/attachments", headers=headers,
                             files={"file": ("max.jpg", at_limit, "image/jpeg")})
    assert kept.status_code == 201 and kept.json()["size"] == limit
    before = await snapshot(w.ticket_b)
    over = await client.post(f"{API}/tickets/{w.ticket_b}/attachments", headers=headers,
                             files={"file": ("over.jpg", at_limit + b"\x00", "image/jpeg")})
    assert over.status_code == 413
    assert over.json()["detail"] == ("the file is over the limit of 1048576 bytes (1 MB, ASSETSVC_UPLOAD_MAX_MB)")
    assert await snapshot(w.ticket_b) == before


async def test_an_oversize_upload_is_refused_before_it_is_all_read(client, w, upload_limit_1mb):
    """Streamed without a length: the reader stops at the first byte over the limit."""
    body, headers = multipart(b"\xff\xd8\xff" + bytes(4 * upload_limit_1mb))
    chunk, sent = 64 * 1024, []

    async def stream():
        for start in range(0, len(body), chunk):
            sent.append(start)
            yield body[start:start + chunk]

    before = await snapshot(w.ticket_b)
    response = await client.post(f"{API}/tickets/{w.ticket_b}/attachments", content=stream(),
                                 headers={**headers, **bearer(w.people.contractor_b)})
    assert response.status_code == 413
    assert len(sent) * chunk <= upload_limit_1mb + 2 * chunk  # about a quarter of the body was read
    assert await snapshot(w.ticket_b) == before


async def test_an_announced_oversize_upload_is_refused_without_reading(client, w, upload_limit_1mb):
    body, headers = multipart(b"\xff\xd8\xff" + bytes(2 * upload_limit_1mb))
    response = await client.post(f"{API}/tickets/{w.ticket_b}/attachments", content=body,
                                 headers={**headers, **bearer(w.people.contractor_b)})
    assert response.status_code == 413 and "ASSETSVC_UPLOAD_MAX_MB" in response.json()["detail"]


# ---- list filters, paging, queue --------------------------------------------------------------

@pytest.fixture
async def listed(w):
    """Beside A's and B's tickets (10 min old, P1): A's late P1 (10 h old, acknowledged after 1 h:
    respond breached), A's fresh P3, A's cancelled one."""
    now = time.time()
    late = await open_ticket(w.cam_a, now - 36000)
    await lifecycle.act(w.user_a, late, "acknowledge", {}, now=now - 32400)
    fresh = await open_ticket(w.cam_a, now - 60, "P3")
    gone = await open_ticket(w.cam_a, now - 120)
    await lifecycle.act(ADMIN, gone, "cancel", {"reason": "重复"}, now=now - 100)
    return {"late": late, "fresh": fresh, "gone": gone, "a": w.ticket_a, "b": w.ticket_b}


@pytest.mark.parametrize("params,names", [
    ({}, ["fresh", "gone", "a", "b", "late"]),
    ({"state": "open"}, ["fresh", "a", "b"]),  # a's pause is only requested: the clocks still run
    ({"state": "cancelled"}, ["gone"]),
    ({"state": "active"}, ["fresh", "a", "b", "late"]),
    ({"severity": "P3"}, ["fresh"]),
    ({"breached": "true"}, ["late"]),
    ({"breached": "false"}, ["fresh", "gone", "a", "b"]),
    ({"region": "330127"}, ["b"]),
    ({"region": "3301"}, ["fresh", "gone", "a", "b", "late"]),
    ({"min_age_h": "5"}, ["late"]),
    ({"max_age_h": "0.1"}, ["fresh", "gone"]),
    ({"contractor": "B"}, ["b"]),
])
async def test_the_office_filters_the_ticket_list(client, w, listed, params, names):
    params = {k: (w.people.b_id if v == "B" else v) for k, v in params.items()}
    response = await client.get(f"{API}/tickets", params={**params, "sort": "-opened"},
                                headers=bearer(w.people.admin))
    assert response.status_code == 200, response.text
    ids = [t["id"] for t in response.json()["items"]]
    assert sorted(ids) == sorted(listed[n] for n in names)
    assert response.json()["total"] == len(names)


@pytest.mark.parametrize("params,field", [
    ({"colour": "red"}, "colour"),
    ({"state": "broken"}, "state"),
    ({"breached": "maybe"}, "breached"),
    ({"region": "33012"}, "region"),
    ({"region": "33a1"}, "region"),
    ({"min_age_h": "-1"}, "min_age_h"),
    ({"min_age_h": "nan"}, "min_age_h"),
    ({"contractor": "x"}, "contractor"),
    ({"contractor": "3000000000"}, "contractor"),  # beyond a database integer
    ({"subject_id": "1.5"}, "subject_id"),
    ({"page": "0"}, "page"),
    ({"page": "99999999999999999999"}, "page"),
    ({"per_page": "501"}, "per_page"),
    ({"sort": "name"}, "sort"),
])
async def test_a_bad_filter_is_400_naming_it(client, w, params, field):
    response = await client.get(f"{API}/tickets", params=params, headers=bearer(w.people.admin))
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [field]


async def test_pages_split_the_list_without_overlap(client, w, listed):
    headers = bearer(w.people.admin)
    pages = [(await client.get(f"{API}/tickets", params={"sort": "id", "per_page": 2, "page": n},
                               headers=headers)).json() for n in (1, 2, 3, 4)]
    assert [p["total"] for p in pages] == [5] * 4
    assert [len(p["items"]) for p in pages] == [2, 2, 1, 0]
    ids = [t["id"] for p in pages for t in p["items"]]
    assert ids == sorted(listed.values())


async def test_the_queue_lists_active_tickets_soonest_restore_deadline_first(client, w, listed):
    # Restore deadlines: late 8 h ago; a (P1 urban, 2 h) in 1 h 50 min; b (P1 rural, 4 h) in 3 h 50 min;
    # fresh (P3, 48 h of office hours) days away, or none when today's year has no calendar: last either way.
    mine = (await client.get(f"{API}/tickets/queue", headers=bearer(w.people.contractor_a))).json()
    assert [t["id"] for t in mine["items"]] == [listed["late"], listed["a"], listed["fresh"]]
    no_terms = await open_ticket(w.cam_a, time.time() - 30, "P9")  # the contract has no P9: no deadline
    mine = (await client.get(f"{API}/tickets/queue", headers=bearer(w.people.contractor_a))).json()
    undated = [t["restore_due"] is None for t in mine["items"]]
    assert undated == sorted(undated) and undated[-1]  # tickets without a deadline last, on both engines
    assert no_terms in [t["id"] for t in mine["items"] if t["restore_due"] is None]
    await lifecycle.act(ADMIN, no_terms, "cancel", {"reason": "测试"})
    everyone = (await client.get(f"{API}/tickets/queue", headers=bearer(w.people.auditor))).json()
    assert [t["id"] for t in everyone["items"]] == [listed[n] for n in ("late", "a", "b", "fresh")]
    theirs = (await client.get(f"{API}/tickets/queue", headers=bearer(w.people.contractor_b))).json()
    assert [t["id"] for t in theirs["items"]] == [listed["b"]]
    bad = await client.get(f"{API}/tickets/queue", params={"state": "closed"}, headers=bearer(w.people.admin))
    assert bad.status_code == 400 and "state" in bad.json()["detail"]


# ---- contract terms ----------------------------------------------------------------------------

async def test_the_generic_contract_endpoints_still_answer(client, w):
    headers = bearer(w.people.admin)
    record = await client.get(f"{API}/contracts/{w.contract_a}", headers=headers)
    assert record.status_code == 200 and record.json()["code"] == "HT-A"
    assert (await client.get(f"{API}/contracts/{w.contract_a}/history", headers=headers)).status_code == 200
    terms = await client.get(f"{API}/contracts/{w.contract_a}/sla", headers=headers)
    assert terms.json()["code"] == "HT-A" and terms.json()["version"] == 1


async def test_a_contractor_reads_its_own_terms_only_and_never_changes_them(client, w):
    a = bearer(w.people.contractor_a)
    own = await client.get(f"{API}/contracts/{w.contract_a}/sla", headers=a)
    assert own.status_code == 200 and own.json()["document"]["suspension_reasons"]["no_access"].startswith("无法进场")
    assert (await client.get(f"{API}/contracts/{w.contract_b}/sla", headers=a)).status_code == 404
    put = await client.put(f"{API}/contracts/{w.contract_a}/sla", json=own.json()["document"], headers=a)
    assert put.status_code == 403


def example() -> dict:
    return tomllib.loads(EXAMPLE.read_text("utf-8"))


def broken(key: str) -> dict:
    doc = example()
    if key == "respond":
        doc["terms"][0]["respond"] = "half an hour"
    elif key == "unknown":
        doc["penalty"] = []
    elif key == "calendar":
        doc["terms"][1]["calendar"] = "weekends"
    return doc


@pytest.mark.parametrize("key,named", [("respond", "respond"), ("unknown", "penalty"), ("calendar", "weekends")])
async def test_invalid_terms_are_400_naming_the_key_and_nothing_is_stored(client, w, key, named):
    before = await terms_row(w.contract_a)
    response = await client.put(f"{API}/contracts/{w.contract_a}/sla", json=broken(key),
                                headers=bearer(w.people.admin))
    assert response.status_code == 400
    assert named in response.json()["detail"]
    assert await terms_row(w.contract_a) == before


@pytest.mark.parametrize("kwargs,message", [
    ({"content": b"[calendars\nkind=", "headers": {"Content-Type": "application/toml"}}, "not valid TOML"),
    ({"content": "kind = '24x7'".encode("gbk") + b"\xb6\xfe", "headers": {"Content-Type": "text/plain"}},
     "not UTF-8"),
    ({"content": b"{", "headers": {"Content-Type": "application/json"}}, "JSON object or TOML"),
    ({"json": [1, 2]}, "JSON object or TOML"),
    ({"content": b"x" * (300 * 1024), "headers": {"Content-Type": "application/toml"}}, "too large"),
])
async def test_a_terms_body_that_is_not_a_document_is_400(client, w, kwargs, message):
    before = await terms_row(w.contract_a)
    headers = {**kwargs.get("headers", {}), **bearer(w.people.admin)}
    response = await client.put(f"{API}/contracts/{w.contract_a}/sla", headers=headers,
                                **{k: v for k, v in kwargs.items() if k != "headers"})
    assert response.status_code == 400 and message in response.json()["detail"]
    assert await terms_row(w.contract_a) == before


async def test_terms_replace_as_toml_or_json_and_the_version_counts_up(client, w):
    headers = bearer(w.people.admin)
    as_toml = await client.put(f"{API}/contracts/{w.contract_a}/sla", content=EXAMPLE.read_bytes(),
                               headers={**headers, "Content-Type": "application/toml"})
    assert as_toml.status_code == 200 and as_toml.json()["version"] == 2
    doc = example()
    doc["suspension_reasons"] = {"flood": "内涝 (flooding)"}
    as_json = await client.put(f"{API}/contracts/{w.contract_a}/sla", json=doc, headers=headers)
    assert as_json.status_code == 200
    stored = (await client.get(f"{API}/contracts/{w.contract_a}/sla", headers=headers)).json()
    assert (stored["version"], stored["updated_by"], stored["document"]) == (3, "admin", doc)
    as_text = await client.put(f"{API}/contracts/{w.contract_a}/sla", content=EXAMPLE.read_text("utf-8"),
                               headers={**headers, "Content-Type": "text/plain; charset=utf-8"})
    assert as_text.json()["version"] == 4
    # The new terms apply at once: with v5 only a flood pauses A's clocks.
    await client.put(f"{API}/contracts/{w.contract_a}/sla", json=doc, headers=headers)
    refused = await client.post(f"{API}/tickets/{w.ticket_a}/suspensions", json={"reason": "no_access", "note": "x"},
                                headers=bearer(w.people.contractor_a))
    assert refused.status_code == 400
    assert "allowed: one of flood" in refused.json()["errors"][0]["message"]


async def test_a_terms_change_is_audited(client, w):
    await client.put(f"{API}/contracts/{w.contract_a}/sla", content=EXAMPLE.read_bytes(),
                     headers={**bearer(w.people.admin), "Content-Type": "application/toml"})
    rows = await bulk.fetch(Ticket, "SELECT actor, action, label FROM audit_change WHERE entity = 'contract_terms' "
                                    "AND entity_id = ? ORDER BY id", [w.contract_a])
    assert [(r["actor"], r["action"]) for r in rows] == [("test-admin", "create"), ("admin", "update")]
    assert rows[-1]["label"].endswith("SLA terms v2")


# ---- the monthly score -------------------------------------------------------------------------

def march(day: int, hour: float) -> float:
    return dt.datetime(2025, 3, day, tzinfo=LOCAL).timestamp() + hour * 3600


async def test_the_score_deducts_what_the_contract_says_for_the_month(client, w):
    """March 2025, contract A (example terms, P1 urban: respond 30 min, arrive 1 h, restore 2 h, 24x7).

    Ticket 1: on site after 90 min (late arrival: 1 point), closed after 4 h 30 min (restore 2 h 30 min
    late: 3 started hours x 100 = 300). Ticket 2: everything in time. Ticket 3 was cancelled and one
    opened in April does not count. Two missed inspections: 2 x 5 points. So 100 - 11 = 89, "pass", 300.
    """
    one = await open_ticket(w.cam_a, march(10, 10))
    await lifecycle.act(w.user_a, one, "acknowledge", {}, now=march(10, 10 + 10 / 60))
    await lifecycle.act(w.user_a, one, "arrive", {}, now=march(10, 11.5))
    await lifecycle.act(ADMIN, one, "close", {"note": "办公室验收"}, now=march(10, 14.5))
    two = await open_ticket(w.cam_a, march(12, 10))
    await lifecycle.act(w.user_a, two, "arrive", {}, now=march(12, 10.5))
    await lifecycle.act(ADMIN, two, "close", {"note": "办公室验收"}, now=march(12, 11))
    three = await open_ticket(w.cam_a, march(20, 10))
    await lifecycle.act(ADMIN, three, "cancel", {"reason": "误报"}, now=march(20, 11))
    await open_ticket(w.cam_a, march(31, 24) + 60)  # 1 April 00:01
    response = await client.get(f"{API}/contracts/{w.contract_a}/score",
                                params=[("month", "2025-03"), ("count", "missed_inspection:2")],
                                headers=bearer(w.people.auditor))
    assert response.status_code == 200, response.text
    score = response.json()
    assert (score["tickets"], score["score"], score["grade"], score["points"], score["amount"]) == (
        2, "89", "pass", "11", "300")
    by_rule = {d["rule"]: d for d in score["deductions"]}
    assert (by_rule["late arrival"]["units"], by_rule["late arrival"]["items"]) == (1, [one])
    assert by_rule["late restore, per started hour"]["units"] == 3
    assert by_rule["missed inspection"]["points"] == "10"
    mine = await client.get(f"{API}/contracts/{w.contract_a}/score",
                            params=[("month", "2025-03"), ("count", "missed_inspection:2")],
                            headers=bearer(w.people.contractor_a))
    assert mine.json() == score
    theirs = await client.get(f"{API}/contracts/{w.contract_a}/score",
                              params=[("month", "2025-03"), ("count", "missed_inspection:2")],
                              headers=bearer(w.people.contractor_b))
    assert theirs.status_code == 404


@pytest.mark.parametrize("params,message", [
    ([("month", "2025-03")], "missed_inspection"),
    ([("month", "2025-13"), ("count", "missed_inspection:0")], "must look like 2026-11"),
    ([("month", "9999-12"), ("count", "missed_inspection:0")], "must look like 2026-11"),
    ([("month", "2025-03"), ("count", "missed_inspection")], "name:number"),
    ([("month", "2025-03"), ("count", "missed_inspection:two")], "whole number"),
    ([("month", "2025-03"), ("count", "missed_inspection:-1")], ">= 0"),
    ([("month", "2025-03"), ("count", "missed_inspection:1"), ("count", "missed_inspection:2")], "twice"),
    ([("month", "2025-03"), ("count", "missed_inspection:1"), ("region", "3301")], "region"),
    ([("count", "missed_inspection:1")], "month"),
])
async def test_a_bad_score_request_is_400(client, w, params, message):
    response = await client.get(f"{API}/contracts/{w.contract_a}/score", params=params,
                                headers=bearer(w.people.admin))
    assert response.status_code == 400, response.text
    assert message in response.json()["detail"] + str(response.json()["errors"])
