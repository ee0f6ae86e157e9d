"""The office's console (web UI part 2) in a real browser against a real server: a camera's
frames and the baseline reset, a pause approved and a dispute upheld on a ticket, a monthly report
generated, approved and downloaded, and the dashboard. Screenshots in both languages."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from assetsvc import bulk, db
from assetsvc.monitoring.tables import StateInterval
from assetsvc.monitoring import evaluate, evidence, picture_memory, writer
from assetsvc.tickets import disputes, instants, lifecycle, views
from tests.e2e.conftest import PHONE, login, settled, shoot, switch_language
from tests.integration.conftest import ADMIN
from tests.integration.test_evidence_frames import grab
from tests.integration.test_tickets_api import World
from tests.integration.test_tickets_edges import state
from tests.integration.test_uptime_world import service_where

DAY = 86400

pytestmark = pytest.mark.needs("chromium")


async def _confirm(page) -> None:
    """The OK button of Element Plus' message box (a confirm or a prompt)."""
    await page.locator(".el-message-box__btns .el-button--primary").click()


async def _history(w: World, now: float) -> None:
    """A month of states: camera A up, down two days, degraded a day, up again; camera B up, down now."""
    rows = [(w.cam_a, "up", now - 30 * DAY, now - 5 * DAY), (w.cam_a, "down", now - 5 * DAY, now - 3 * DAY),
            (w.cam_a, "degraded", now - 3 * DAY, now - 2 * DAY), (w.cam_a, "up", now - 2 * DAY, now - 60),
            (w.cam_b, "up", now - 30 * DAY, now - 60)]
    causes = {"up": "", "down": "onvif_light:timeout", "degraded": "picture:dark"}
    async with db.write_transaction():
        await bulk.insert_rows(StateInterval, [{"subject_type": "camera", "subject_id": cam, "state": label,
                                                "cause": causes[label], "start": start, "end": end}
                                               for cam, label, start, end in rows])
    await service_where((cam, start, end) for cam, _, start, end in rows)  # in service all that time
    await state(w.cam_a, "up", now - 2 * DAY)
    await state(w.cam_b, "down", now - 600)


async def test_office_opens_a_camera_sees_its_frames_and_resets_the_baseline(open_page, people):
    w = await World(people).build()
    now = time.time()
    await _history(w, now)
    async with db.write_transaction():  # as the monitoring engine keeps them
        await evidence.record([(w.cam_a, grab(1, "ok"), now - 600), (w.cam_a, grab(2, "dark"), now - 300)], now)
    frames = [f.id for f in await evidence.camera_frames(ADMIN, w.cam_a)]
    assert len(frames) == 2
    # A stream continuity read of a still scene: no fault, and the page says why frozen was not judged.
    still = {"verdict": "still", "frame_count": 250, "fps": 25.0, "declared_fps": 25.0, "repeat_diff": 0.152}
    async with db.write_transaction():
        await writer.apply({("camera", w.cam_a): [writer.Reading("rtsp_continuity", True, None, "", 10400.0, still,
                                                                 now - 120)]}, evaluate.Rules(), 10, now)
    page = await open_page()
    await login(page, "admin", to=f"/ui/cameras/{w.cam_a}")
    await page.wait_for_url(f"**/ui/cameras/{w.cam_a}")
    # Both pictures are shown, and the browser got them (JPEG, from this server).
    for kind in ("good", "fault"):
        picture = page.locator(f"[data-test=frame-{kind}]")
        await picture.wait_for()
        answer = await page.context.request.get(await picture.get_attribute("src"))
        assert answer.status == 200 and (await answer.body())[:2] == b"\xff\xd8"
    await page.locator(f"[data-test=camera-tickets] >> text=#{w.ticket_a}").wait_for()
    await page.locator("[data-test=evidence]", has_text="静止场景：此处无法判断画面冻结（最接近的两帧相差 0.152").wait_for()
    await settled(page)
    await shoot(page, "camera-ops-zh")
    assert (await picture_memory.status(w.cam_a)).reset_at is None
    await page.click("[data-test=reset-baseline]")
    await _confirm(page)
    await page.locator("[data-test=baseline]", has_text="上次重置").wait_for()
    after = await picture_memory.status(w.cam_a)
    assert after.reset_at is not None and after.reset_by == "admin"
    await switch_language(page, "English")
    await page.locator("[data-test=baseline]", has_text="last reset").wait_for()
    await page.locator("[data-test=evidence]", has_text="Still scene: frozen cannot be judged here").wait_for()
    await shoot(page, "camera-ops-en")
    # A picture verdict the office knows is wrong: marked a false alarm, the ticket is cancelled.
    picture = (await lifecycle.open_manual(ADMIN, {"subject_id": w.cam_a, "note": "画面偏暗", "fault": "picture"}))["id"]
    await page.reload()
    await page.click(f"[data-test=false-alarm-{picture}]")
    await page.locator(".el-message-box__input input").fill("路灯检修，画面暗属正常")
    await _confirm(page)
    await page.locator("[data-test=camera-tickets]", has_text="已撤销").wait_for()  # (a reload: zh-CN again)
    stored = await views.detail(ADMIN, picture)
    assert (stored["state"], stored["close_reason"]) == ("cancelled", "false_alarm")


async def test_office_approves_a_pause_and_upholds_a_dispute(open_page, people):
    w = await World(people).build()  # contractor A's ticket with a pause requested and a photo
    await disputes.dispute(w.user_a, w.ticket_a, {"reason": "业主锁门，无法进场", "attachments": [w.photo_a]})
    page = await open_page()
    await login(page, "admin", to="/ui/tickets")
    await page.wait_for_url("**/ui/tickets")
    await page.click(f"[data-test=ticket-{w.ticket_a}]")
    await page.locator("[data-test=countdown-restore]").wait_for()  # the restore clock runs
    await shoot(page, "ticket-office-zh")
    await page.click(f"[data-test=pause-approve-{w.pause_a}]")
    await page.locator("[data-test=paused]").wait_for()
    assert await page.locator("[data-test=countdown-restore]").count() == 0  # the countdown stopped
    assert await page.locator("[data-test=countdown]").inner_text() == "修复时限: 计时暂停中"
    assert (await views.detail(ADMIN, w.ticket_a))["sla"]["paused"] is True
    [d] = (await views.detail(ADMIN, w.ticket_a))["disputes"]
    await page.click(f"[data-test=uphold-{d['id']}]")
    await page.locator(".el-message-box__input input").fill("照片属实，免责")
    await _confirm(page)
    await page.locator(f"[data-test=dispute-status-{d['id']}]", has_text="已支持").wait_for()
    await page.locator("[data-test=state]", has_text="已撤销").wait_for()
    stored = await views.detail(ADMIN, w.ticket_a)
    assert (stored["state"], stored["close_reason"]) == ("cancelled", "dispute_upheld")
    await switch_language(page, "English")
    await page.locator(f"[data-test=dispute-status-{d['id']}]", has_text="Upheld").wait_for()
    await shoot(page, "ticket-office-en")
    await page.goto("/ui/tickets?state=cancelled")
    await page.locator(f"[data-test=ticket-{w.ticket_a}]").wait_for()
    await shoot(page, "tickets-list-en")


async def test_a_contractor_disputes_its_ticket_with_a_reason_and_the_office_sees_it(open_page, people):
    w = await World(people).build()  # contractor A's ticket with a site photo attached
    reason = "业主锁门，无法进场（附现场照片）"
    page = await open_page()
    await login(page, "ca", to=f"/ui/tickets/{w.ticket_a}")
    await page.wait_for_url(f"**/ui/tickets/{w.ticket_a}")
    await page.locator("[data-test=dispute-form]").wait_for()
    await page.fill("#dispute-reason", reason)
    await page.locator("[data-test=dispute-files] .el-checkbox", has_text=f"#{w.photo_a}").click()
    await page.click("[data-test=dispute]")
    await page.locator("[data-test=disputes]", has_text=reason).wait_for()
    [d] = (await views.detail(ADMIN, w.ticket_a))["disputes"]
    assert (d["reason"], d["attachments"], d["raised_by"], d["status"]) == (reason, [w.photo_a], "ca", "open")
    await page.locator(f"[data-test=dispute-status-{d['id']}]", has_text="待处理").wait_for()
    await page.locator("[data-test=dispute-form]").wait_for(state="detached")  # one dispute at a time
    assert await page.locator(f"[data-test=uphold-{d['id']}]").count() == 0  # never its own judge
    await settled(page)
    await shoot(page, "ticket-disputed-contractor-zh")
    # The office opens the ticket: the dispute waits for it, with the reason, who raised it and the photo.
    office = await open_page()
    await login(office, "admin", to=f"/ui/tickets/{w.ticket_a}")
    await office.wait_for_url(f"**/ui/tickets/{w.ticket_a}")
    row = office.locator("[data-test=disputes] tr", has_text=reason)
    await row.wait_for()
    assert "ca" in await row.inner_text()
    await row.locator(f"a[href='/api/v1/tickets/{w.ticket_a}/attachments/{w.photo_a}']").wait_for()
    await office.locator(f"[data-test=dispute-status-{d['id']}]", has_text="待处理").wait_for()
    await office.locator(f"[data-test=uphold-{d['id']}]").wait_for()
    await office.locator(f"[data-test=reject-{d['id']}]").wait_for()
    await settled(office)
    await shoot(office, "ticket-disputed-office-zh")


def _last_month() -> str:
    first = dt.date.today().replace(day=1) - dt.timedelta(days=1)
    return first.strftime("%Y-%m")


async def test_office_generates_approves_and_downloads_a_report(open_page, people):
    month = _last_month()
    page = await open_page()
    await login(page, "admin", to=f"/ui/reports?month={month}")
    await page.wait_for_url("**/ui/reports?month=*")
    await page.click("[data-test=generate]")
    await page.locator("[data-test=status-1]", has_text="草稿").wait_for(timeout=60000)
    await page.click("[data-test=approve-1]")
    await _confirm(page)
    await page.locator("[data-test=status-1]", has_text="已审核").wait_for()
    await shoot(page, "reports-zh")
    async with page.expect_download() as waiting:
        await page.click("[data-test=download-1-xlsx]")
    download = await waiting.value
    path = await download.path()
    with open(path, "rb") as f:
        assert f.read(2) == b"PK"  # an xlsx (a zip)
    assert download.suggested_filename.endswith(".xlsx")
    await switch_language(page, "English")
    await page.locator("[data-test=status-1]", has_text="Approved").wait_for()
    await shoot(page, "reports-en")


async def test_dashboard_and_uptime_load_in_both_languages_and_on_a_phone(open_page, people):
    from assetsvc.registry.tables import Camera, Owner
    w = await World(people).build()
    await _history(w, time.time())
    police = Owner(name="公安分局", owner_class="police")
    await police.save().run()
    await Camera.update({Camera.owner: police.id}).where(Camera.id == w.cam_a).run()
    page = await open_page()
    await login(page, "admin", to="/ui/dashboard")
    await page.wait_for_url("**/ui/dashboard")
    await page.locator("[data-test=rates] canvas").wait_for()
    # Camera A, police-built: its 30 days from the daily rollup (3 of 30 days not online: 2 down, 1 degraded).
    police_row = page.locator("[data-test=owners] .el-table__body tr").first
    await police_row.locator("td", has_text="%").first.wait_for()
    await page.locator("[data-test=ticket-sla]").wait_for()
    await page.locator("[data-test=online-now]", has_text="50.00%").wait_for()  # one of the two cameras is up
    await settled(page)
    await shoot(page, "dashboard-zh")
    await switch_language(page, "English")
    await page.get_by_text("Open tickets by SLA").wait_for()
    await settled(page)
    await shoot(page, "dashboard-en")
    await page.goto("/ui/uptime")
    await page.locator("[data-test=figures]").wait_for()
    await settled(page)
    await shoot(page, "uptime-zh")
    phone = await open_page(PHONE)
    await login(phone, "admin", to="/ui/dashboard")
    await phone.locator("[data-test=rates] canvas").wait_for()
    await settled(phone)
    await shoot(phone, "dashboard-phone-zh")
    # An auditor reads the same screens with no button that changes anything.
    auditor = await open_page()
    await login(auditor, "auditor", to=f"/ui/tickets/{w.ticket_a}")
    await auditor.locator("[data-test=sla]").wait_for()
    await settled(auditor)
    for action in ("accept", "cancel", f"pause-approve-{w.pause_a}", "dispute"):
        assert await auditor.locator(f"[data-test={action}]").count() == 0, action
    await auditor.goto(f"/ui/cameras/{w.cam_a}")
    await auditor.locator("[data-test=baseline]").wait_for()
    assert await auditor.locator("[data-test=reset-baseline]").count() == 0
    await auditor.goto("/ui/reports")
    await auditor.locator("[data-test=versions]").wait_for()
    assert await auditor.locator("[data-test=generate]").count() == 0


async def test_office_records_a_paper_work_order_notes_cancels_closes_reopens_and_marks_a_false_alarm(open_page, people):
    """Every office action on a ticket is reachable from its page: a paper work order's event with the
    time it happened, a note, cancel; close and reopen of a live ticket; a picture ticket's false alarm."""
    w = await World(people).build()
    now = time.time()
    paper = (await lifecycle.open_manual(ADMIN, {"subject_id": w.cam_b, "note": "电话报修",
                                                 "opened_at": now - 3 * 3600}))["id"]
    page = await open_page()
    await login(page, "admin", to=f"/ui/tickets/{paper}")
    await page.locator("[data-test=paper]").wait_for()
    for action in ("accept", "arrive", "resolve", "pause"):  # never acted live: the server would refuse
        assert await page.locator(f"[data-test={action}]").count() == 0, action
    accepted = instants.shown(now - 2 * 3600)  # office time, as the paper form says it
    when = page.locator("[data-test=paper] .el-date-editor input")  # (Element Plus puts no attribute on it)
    await when.fill(accepted)
    await when.press("Enter")
    await page.fill("[data-test=paper-note]", "纸质工单第 12 号")
    await page.click("[data-test=paper-record]")
    await page.locator("[data-test=timeline]", has_text="纸质工单第 12 号").wait_for()
    stored = await views.detail(ADMIN, paper)
    [event] = [e for e in stored["timeline"] if e.get("note") == "纸质工单第 12 号"]
    assert abs(event["at"] - (now - 2 * 3600)) < 1 and stored["state"] == "acknowledged"
    await page.fill("[data-test=note]", "已联系业主")
    await page.click("[data-test=add-note]")
    await page.locator("[data-test=timeline]", has_text="已联系业主").wait_for()
    await settled(page)
    await shoot(page, "ticket-paper-zh")
    # A paper work order is closed by its recorded "closed" event, never by the live buttons.
    assert await page.locator("[data-test=close]").count() == 0
    await page.click("[data-test=cancel]")
    await page.locator(".el-message-box__input input").fill("重复工单")
    await _confirm(page)
    await page.locator("[data-test=state]", has_text="已撤销").wait_for()
    assert (await views.detail(ADMIN, paper))["state"] == "cancelled"
    for action in ("cancel", "close", "reopen", "paper-record"):  # nothing left to do on a cancelled ticket
        assert await page.locator(f"[data-test={action}]").count() == 0, action
    # A live ticket: closed with a note, then reopened with one.
    await page.goto(f"/ui/tickets/{w.ticket_b}")
    for action, text, state_label in (("close", "现场核实已恢复", "已关闭"), ("reopen", "业主反映仍无画面", "已重开")):
        await page.click(f"[data-test={action}]")
        await page.locator(".el-message-box__input input").fill(text)
        await _confirm(page)
        await page.locator("[data-test=state]", has_text=state_label).wait_for()
    assert (await views.detail(ADMIN, w.ticket_b))["state"] == "reopened"
    picture = (await lifecycle.open_manual(ADMIN, {"subject_id": w.cam_a, "note": "画面偏暗", "fault": "picture"}))["id"]
    await page.goto(f"/ui/tickets/{picture}")
    await page.click("[data-test=false-alarm]")
    await page.locator(".el-message-box__input input").fill("夜间补光正常，误报")
    await _confirm(page)
    await page.locator("[data-test=state]", has_text="已撤销").wait_for()
    stored = await views.detail(ADMIN, picture)
    assert (stored["state"], stored["close_reason"]) == ("cancelled", "false_alarm")
    await switch_language(page, "English")
    await page.locator("[data-test=state]", has_text="Cancelled").wait_for()
    await shoot(page, "ticket-false-alarm-en")


async def test_a_pan_tilt_cameras_new_view_is_shown_as_learned_not_a_fault(open_page, people):
    # A dome (球机) turned to another view: monitoring judges the grab as at first sight and learns it
    # (no scene-change fault, docs/probes-iq.md "Pan-tilt cameras"); the camera page says so in both
    # languages and on a phone, so the office knows why a turned camera stays up.
    w = await World(people).build()
    now = time.time()
    turned = {"iq": {"verdict": "ok", "faults": [], "mode": "day", "baseline": False,
                     "scene_change": "not_applicable", "new_view": True}}
    await state(w.cam_a, "up", now - 2 * DAY)  # monitored, up
    async with db.write_transaction():
        await writer.apply({("camera", w.cam_a): [writer.Reading("onvif_deep", True, None, "", 900.0, turned,
                                                                 now - 60)]}, evaluate.Rules(), 10, now)
    for language, phone, text in (("zh", False, "云台摄像机转到新画面：按首次画面判断，正在学习为新基准"),
                                  ("en", True, "Pan-tilt camera on a new view: judged as at first sight")):
        page = await open_page(PHONE) if phone else await open_page()
        await login(page, "admin", to=f"/ui/cameras/{w.cam_a}")
        await page.wait_for_url(f"**/ui/cameras/{w.cam_a}")
        if language == "en":
            await switch_language(page, "English")
        await page.locator("[data-test=evidence]", has_text=text).wait_for()
        await settled(page)
        await shoot(page, f"camera-pan-tilt-{language}{'-phone' if phone else ''}")
