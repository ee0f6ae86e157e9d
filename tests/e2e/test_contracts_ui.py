"""Contracts and history import in a real browser against a real server: the office imports a month
of the old platform's outage records (dry run by row with a clip, then the write), the uptime screen
shows the month's figure from them, and undoing the batch takes them away again; a contract's monthly
score with its deductions computed from tickets and intervals set up through the service functions,
read by the office, by an auditor and by the contract's contractor (neither of them gets an edit
button). Screenshots in both languages, on a desktop and a phone."""

from __future__ import annotations

import calendar
import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest

from assetsvc import bulk, db
from assetsvc.monitoring.history import batches
from assetsvc.monitoring.history.importer import import_history
from assetsvc.monitoring.tables import StateInterval
from assetsvc.registry import service_periods
from assetsvc.registry.tables import Camera
from assetsvc.tickets import lifecycle
from tests.e2e.conftest import PHONE, login, settled, shoot, switch_language
from tests.integration.conftest import ADMIN
from tests.integration.test_tickets_api import World, open_ticket

LOCAL = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.needs("chromium")


def last_month() -> tuple[int, int]:
    first = dt.datetime.now(LOCAL).date().replace(day=1) - dt.timedelta(days=1)
    return first.year, first.month


def at(day: int, hour: float = 0) -> dt.datetime:
    year, month = last_month()
    return dt.datetime(year, month, day, tzinfo=LOCAL) + dt.timedelta(hours=hour)


def month_end() -> dt.datetime:
    year, month = last_month()
    return at(1) + dt.timedelta(days=calendar.monthrange(year, month)[1])


def text(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M")


async def in_service(*cameras: int) -> None:
    """The cameras have been in service since before last month (as for a city's existing network)."""
    async with db.write_transaction():
        await service_periods.replace({cam: [(at(1).timestamp() - 86400, None)] for cam in cameras}, "test")


async def gb(cam: int) -> str:
    return (await Camera.select(Camera.gb_id).where(Camera.id == cam).first().run())["gb_id"]


async def _confirm(page) -> None:
    await page.locator(".el-message-box__btns .el-button--primary").click()


async def test_office_imports_a_month_of_history_sees_it_in_uptime_and_undoes_it(open_page, people, tmp_path):
    w = await World(people).build()
    await in_service(w.cam_a, w.cam_b)
    # Live history already holds camera B down on the 5th: the file's row for B is clipped there.
    async with db.write_transaction():
        await bulk.insert_rows(StateInterval, [{"subject_type": "camera", "subject_id": w.cam_b, "state": "down",
                                                "cause": "reach", "start": at(5).timestamp(),
                                                "end": at(6).timestamp()}])
    a, b = await gb(w.cam_a), await gb(w.cam_b)
    sheet = tmp_path / "旧平台离线记录.csv"
    sheet.write_text("设备编码,状态,原因,开始时间,结束时间,来源\n"
                     f"{a},在线,,{text(at(1))},{text(at(11))},旧平台\n"
                     f"{a},离线,,{text(at(11))},{text(at(13))},旧平台\n"
                     f"{a},在线,,{text(at(13))},{text(month_end())},旧平台\n"
                     f"{b},在线,,{text(at(1))},{text(month_end())},旧平台\n", encoding="utf-8")
    days = (month_end() - at(1)).days
    expected = f"{100 * (days - 2) / days:.2f}%"  # camera A: down 2 days of the month
    uptime = f"/ui/uptime?scope=camera&ref={w.cam_a}&start={at(1):%Y-%m-%d}&end={month_end():%Y-%m-%d}"

    page = await open_page()
    await login(page, "admin", to=uptime)
    await page.locator("[data-test=online]").wait_for()
    await settled(page)
    assert "%" not in await page.locator("[data-test=online]").inner_text()  # nothing known yet

    await page.goto("/ui/history")
    await page.set_input_files("[data-test=history-upload] input[type=file]", str(sheet))
    await page.click("[data-test=history-dry-run]")
    await page.locator("[data-test=history-job-state]", has_text="完成").wait_for()
    assert await page.locator("[data-test=history-written]").inner_text() == "未写入"
    assert await page.locator("[data-test=summary-clip]").inner_text() == "1"
    assert await page.locator("[data-test=row-action-5]").inner_text() == "裁剪后导入"
    await page.locator("[data-test=history-report]", has_text="已被已有记录占用").wait_for()
    assert await bulk.fetch(StateInterval, "SELECT id FROM state_interval WHERE subject_id = ?", [w.cam_a]) == []
    await settled(page)
    await shoot(page, "history-dry-run-zh")
    await page.click("[data-test=history-confirm]")
    await page.locator("[data-test=history-written]", has_text="已写入").wait_for()
    [batch] = await batches.list_batches(ADMIN)
    assert (batch.rows, batch.clipped, batch.written) == (4, 1, 5)  # B's row kept on both sides of the 5th
    await page.locator(f"[data-test=batch-status-{batch.id}]", has_text="有效").wait_for()
    await switch_language(page, "English")
    await page.locator(f"[data-test=batch-status-{batch.id}]", has_text="Standing").wait_for()
    await shoot(page, "history-written-en")

    await page.goto(uptime)
    await page.locator("[data-test=online]", has_text=expected).wait_for()
    await settled(page)
    await shoot(page, "uptime-imported-zh")

    await page.goto("/ui/history")
    await page.click(f"[data-test=undo-{batch.id}]")
    await _confirm(page)
    await page.locator(f"[data-test=batch-status-{batch.id}]", has_text="撤销").wait_for()
    assert await page.locator(f"[data-test=undo-{batch.id}]").count() == 0
    rows = await bulk.fetch(StateInterval, "SELECT subject_id FROM state_interval ORDER BY id", [])
    assert [r["subject_id"] for r in rows] == [w.cam_b]  # only the live interval is left
    await page.goto(uptime)
    await page.locator("[data-test=online]").wait_for()
    await settled(page)
    assert expected not in await page.locator("[data-test=online]").inner_text()
    assert "%" not in await page.locator("[data-test=online]").inner_text()

    phone = await open_page(PHONE)
    await login(phone, "admin", to="/ui/history")
    await phone.locator(f"[data-test=batch-status-{batch.id}]").wait_for()
    await settled(phone)
    await shoot(phone, "history-phone-zh")


async def _scored_month(w: World, tmp_path) -> int:
    """Last month on contract A (the example terms; P1 urban: respond 30 min, arrive 1 h, restore 2 h,
    24x7): one ticket on site after 90 min (late arrival: 1 point) and restored after 4 h 30 min
    (2 h 30 min late: 3 started hours x CNY 100); camera A down 10 h on the 20th (a channel faulty over
    8 h: 1 point). Score 100 - 2 = 98, "good", CNY 300."""
    await in_service(w.cam_a, w.cam_b)
    ticket = await open_ticket(w.cam_a, at(10, 10).timestamp())
    await lifecycle.act(w.user_a, ticket, "arrive", {}, now=at(10, 11.5).timestamp())
    await lifecycle.act(ADMIN, ticket, "close", {"note": "办公室验收"}, now=at(10, 14.5).timestamp())
    sheet = (f"设备编码,状态,开始时间,结束时间\n{await gb(w.cam_a)},离线,{text(at(20, 8))},{text(at(20, 18))}\n"
             .encode("utf-8"))
    report = await import_history(sheet, "faults.csv", ADMIN)
    assert report.summary()["written"]
    return ticket


async def test_contract_score_shows_its_deductions_and_an_auditor_reads_it_without_edit(open_page, people, tmp_path):
    w = await World(people).build()
    ticket = await _scored_month(w, tmp_path)
    month = f"{at(1):%Y-%m}"
    page = await open_page()
    await login(page, "admin", to=f"/ui/contracts?contract={w.contract_a}&month={month}")
    await page.locator("[data-test=score-value]", has_text="98").wait_for()
    assert "good" in await page.locator("[data-test=grade]").inner_text()
    assert "300" in await page.locator("[data-test=amount]").inner_text()
    deductions = page.locator("[data-test=deductions]")
    late = deductions.locator("tr", has_text="late arrival")
    await late.locator(".el-table__expand-icon").click()
    await page.locator("[data-test='items-late arrival']", has_text=f"#{ticket}").wait_for()
    faulty = deductions.locator("tr", has_text="channel faulty over 8 h")
    assert "离线及所有降级" in await faulty.inner_text()  # the states this rule counts
    await faulty.locator(".el-table__expand-icon").click()
    await page.locator("[data-test='items-channel faulty over 8 h in the month']", has_text=f"摄像机 {w.cam_a}").wait_for()
    await settled(page)
    await shoot(page, "contract-score-zh")
    await page.locator("[data-test='items-late arrival'] a").click()
    await page.wait_for_url(f"**/ui/tickets/{ticket}")

    # The terms, and a new version with degraded time no longer counted: down only.
    await page.goto(f"/ui/contracts?contract={w.contract_a}&tab=terms")
    await page.locator("[data-test=rule-counts]", has_text="离线及所有降级").wait_for()
    await page.click("[data-test=edit-terms]")
    await page.locator("[data-test=counts-2] label", has_text="仅离线").click()
    # The form's change carries over to the JSON view (el-input puts its attributes on the textarea itself).
    await page.click("[data-test=terms-mode-json]")
    edited = json.loads(await page.locator("[data-test=terms-json]").input_value())
    assert edited["penalties"][2]["counts"] == ["down"]  # the picker rewrote the document
    await shoot(page, "contract-terms-dialog-zh")
    await page.click("[data-test=save-terms]")
    await page.locator("[data-test=rule-counts]", has_text="仅离线").wait_for()
    await page.locator("[data-test=terms-version]", has_text="第 2 版").wait_for()
    await switch_language(page, "English")
    await page.locator("[data-test=rule-counts]", has_text="Down only").wait_for()
    await settled(page)
    await shoot(page, "contract-terms-en")
    await page.get_by_role("tab", name="Versions").click()
    await page.click("[data-test=show-version-1]")
    await page.locator("[data-test=version-document]", has_text='"degraded"').wait_for()

    auditor = await open_page()
    await login(auditor, "auditor", to=f"/ui/contracts?contract={w.contract_a}&month={month}")
    await auditor.locator("[data-test=score-value]", has_text="98").wait_for()
    await auditor.locator("[data-test=deductions]").wait_for()
    await settled(auditor)
    assert await auditor.locator("[data-test=edit-terms]").count() == 0
    await switch_language(auditor, "English")
    # The month is scored by the terms in force (none was stored before it ended: the current v2).
    await auditor.locator("[data-test=deductions]", has_text="Down only").wait_for()
    await shoot(auditor, "contract-score-auditor-en")
    # Contractor A reads its own contract's score (the only contract it is offered), and cannot edit.
    mine = await open_page()
    await login(mine, "ca", to=f"/ui/contracts?month={month}")
    await mine.locator("[data-test=score-value]", has_text="98").wait_for()
    await settled(mine)
    assert await mine.locator("[data-test=edit-terms]").count() == 0
    await mine.click("[data-test=contract]")
    offered = mine.locator(".el-select-dropdown__item:visible")
    await offered.first.wait_for()
    assert [await o.inner_text() for o in await offered.all()] == ["HT-A · 甲运维公司"]
    phone = await open_page(PHONE)
    await login(phone, "auditor", to=f"/ui/contracts?contract={w.contract_a}&month={month}")
    await phone.locator("[data-test=score-value]", has_text="98").wait_for()
    await settled(phone)
    await shoot(phone, "contract-score-phone-zh")
