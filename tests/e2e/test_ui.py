"""The web UI in a real browser against a real server: login and the language, the forced password
change, filtering and exporting the registry, the contractors' queue on a phone, another
contractor's ticket by URL, a resolve with a photo that the check then reopens, a forged
cross-site request, and an expired session."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time

import httpx
import pytest

from assetsvc import db
from assetsvc.accounts import service
from assetsvc.accounts.tables import Token
from assetsvc.tickets import lifecycle, views
from tests.e2e.conftest import PHONE, login, settled, shoot, switch_language
from tests.integration import world
from tests.integration.conftest import ADMIN, bearer
from tests.integration.test_tickets_api import World, jpeg

pytestmark = pytest.mark.needs("chromium")


async def _cameras(server: str, token: str, names: list[str], contractor: int) -> list[int]:
    ids = []
    async with httpx.AsyncClient(base_url=server) as api:
        for n, name in enumerate(names, start=1):
            body = world.camera_body(f"45020400041320{n:06d}", contractor, name=name, ipv4=f"127.0.0.{n + 10}")
            made = await api.post("/api/v1/cameras", json=body, headers=bearer(token))
            assert made.status_code == 201, made.text
            ids.append(made.json()["id"])
    return ids


async def test_office_logs_in_and_switches_the_language(open_page, server, people):
    await _cameras(server, people.admin, ["南站广场东", "南站广场西", "北门路口"], people.a_id)
    page = await open_page()
    await page.goto("/")
    await page.wait_for_url("**/ui/login**")
    await shoot(page, "login-zh")
    await switch_language(page, "English")
    await page.get_by_text("Log in", exact=True).first.wait_for()
    await shoot(page, "login-en")
    await switch_language(page, "简体中文")
    await login(page, "admin")
    await page.wait_for_url("**/ui/cameras")
    await page.get_by_text("摄像机档案").wait_for()
    await page.get_by_text("共 3 条").wait_for()
    await shoot(page, "cameras-zh")
    await switch_language(page, "English")
    await page.get_by_text("Camera registry").wait_for()
    await page.get_by_text("3 in all").wait_for()
    await shoot(page, "cameras-en")
    await page.locator("[data-test=cameras] .el-table__body a").first.click()
    await page.wait_for_url("**/ui/cameras/*")
    await page.get_by_text("Change history").wait_for()
    await shoot(page, "camera-detail-en")
    await page.click("[data-test=edit]")
    await page.fill("[data-test=field-ipv4]", "10.4.311.57")
    await page.click("[data-test=save]")
    error = page.locator(".el-form-item.is-error", has=page.locator("[data-test=field-ipv4]"))
    await error.locator(".el-form-item__error").wait_for()  # the API's message, under its field
    await shoot(page, "camera-edit-error-en")
    await page.goto("/ui/records/contractors")
    await page.locator("[data-test=records]").get_by_text("甲运维公司").wait_for()
    await shoot(page, "contractors-zh")  # a new page load starts in zh-CN again


async def test_a_temporary_password_is_changed_before_anything_else(open_page, people):
    await service.add_user("newbie", "temporary-pass-1", "auditor", temporary=True)
    page = await open_page()
    await login(page, "newbie", "temporary-pass-1")
    await page.wait_for_url("**/ui/password")
    await page.locator("[data-test=forced]").wait_for()
    await shoot(page, "password-forced-zh")
    await page.goto("/ui/cameras")  # typing another address does not get past it
    await page.wait_for_url("**/ui/password")
    await page.fill("#current", "temporary-pass-1")
    await page.fill("#new", "my-own-password")
    await page.fill("#repeat", "my-own-password")
    await page.click("[data-test=save-password]")
    await page.wait_for_url("**/ui/cameras")


async def test_office_filters_the_list_and_exports_what_it_shows(open_page, server, people):
    await _cameras(server, people.admin, ["南站广场东", "南站广场西", "北门路口"], people.a_id)
    page = await open_page()
    await login(page, "admin")
    await page.fill("[data-test=q]", "南站")
    await page.click("[data-test=search]")
    await page.wait_for_url("**/ui/cameras?q=*")
    await page.get_by_text("共 2 条").wait_for()
    assert await page.locator("[data-test=cameras] .el-table__body tr").count() == 2
    await shoot(page, "cameras-filtered-zh")
    href = await page.locator("[data-test=export-csv]").get_attribute("href")
    assert href.startswith("/api/v1/export?") and "q=%E5%8D%97%E7%AB%99" in href and "format=csv" in href
    async with page.expect_download() as info:
        await page.click("[data-test=export]")
        await page.click("[data-test=export-csv]")
    download = await info.value
    text = open(await download.path(), encoding="utf-8-sig").read()
    names = {row[1] for row in list(csv.reader(io.StringIO(text)))[1:] if len(row) > 1}
    assert "北门路口" not in text and {"南站广场东", "南站广场西"} <= names, text[:500]


async def test_contractor_works_own_queue_on_a_phone_and_cannot_open_anothers_ticket(open_page, people):
    w = await World(people).build()  # contractor A's ticket and contractor B's ticket
    page = await open_page(PHONE)
    await login(page, "cb")
    await page.wait_for_url("**/ui/queue")
    await page.locator(f"[data-test=ticket-{w.ticket_b}]").wait_for()
    assert await page.locator(f"[data-test=ticket-{w.ticket_a}]").count() == 0
    await shoot(page, "queue-phone-zh")
    await page.click(f"[data-test=ticket-{w.ticket_b}]")
    await page.locator("[data-test=accept]").wait_for()
    await shoot(page, "ticket-phone-zh")
    await page.click("[data-test=accept]")
    await page.locator("[data-test=arrive]").wait_for()
    await switch_language(page, "English")
    await page.get_by_text("Accepted").first.wait_for()
    await shoot(page, "ticket-phone-en")
    await page.click("[data-test=arrive]")
    await page.locator("[data-test=photo]").set_input_files(
        files=[{"name": "现场.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}])
    await page.click("[data-test=resolve]")
    await page.locator("[data-test=verifying]").wait_for()  # resolved: the first check decides
    await shoot(page, "ticket-resolved-phone-en")
    stored = await views.detail(ADMIN, w.ticket_b)
    assert stored["state"] == "resolved" and [a["filename"] for a in stored["attachments"]] == ["现场.jpg"]
    # The first check after the resolve fails (the verifier's own reopen; the probe run itself is
    # tested in test_tickets_engine): the open page follows and shows the reopen.
    async with db.write_transaction():
        await lifecycle.system_reopen(await lifecycle.load(w.ticket_b, lock=True), time.time(),
                                      "check failed (tcp: refused)", {"probe": "tcp", "cause": "refused"})
    await page.locator("[data-test=state]", has_text="Reopened").wait_for(timeout=20000)
    await page.get_by_text("check failed (tcp: refused)").wait_for()
    await shoot(page, "ticket-reopened-phone-en")
    # Contractor A's ticket, typed into the address bar: the server says 404, the page says so.
    await page.goto(f"/ui/tickets/{w.ticket_a}")
    await page.locator("[data-test=not-found]").wait_for()
    assert w.ticket_a and "小区物业" not in await page.content()


async def test_a_forged_cross_site_request_is_refused(open_page, server, people):
    page = await open_page()
    await login(page, "admin")
    # The browser's own cookie, sent with another site's Origin (as a page elsewhere would make it).
    forged = await page.context.request.post(f"{server}/api/v1/cameras", headers={"Origin": "https://evil.example"},
                                             data=world.camera_body("45020400041320000001", people.a_id))
    assert forged.status == 403 and "cross-site request refused" in (await forged.json())["detail"]
    logout = await page.context.request.post(f"{server}/api/v1/auth/logout", headers={"Origin": "https://evil.example"})
    assert logout.status == 403
    await page.reload()
    await page.get_by_text("共 0 条").wait_for()  # still logged in, nothing was written


async def test_an_expired_session_returns_to_login_and_then_back(open_page, people):
    page = await open_page()
    await login(page, "admin", to="/ui/cameras?q=%E5%8D%97")
    await page.wait_for_url("**/ui/cameras?q=*")
    await page.get_by_text("共 0 条").wait_for()
    await settled(page)  # the list and its pickers have loaded
    await Token.update({Token.expires_at: dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)}) \
        .where(Token.kind == "browser").run()
    await page.fill("[data-test=q]", "北")
    await page.click("[data-test=search]")
    await page.wait_for_url("**/ui/login?**expired=1**")
    await page.locator("[data-test=expired]").wait_for()
    await shoot(page, "login-expired-zh")
    await page.fill("#username", "admin")
    await page.fill("#password", "correct-horse-battery")
    await page.click("[data-test=login]")
    await page.wait_for_url("**/ui/cameras?q=%E5%8C%97**")


def _sheet(path, rows: list[str]) -> str:
    lines = ["设备编码,设备名称,行政区域,经度,纬度", *rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


async def test_office_imports_a_sheet_fixes_the_rejected_row_and_imports_again(open_page, server, people, tmp_path):
    good = ["45020400041326000001,点位1,450204,109.388946,24.293187",
            "45020400041326000002,点位2,450204,109.388946,24.293187"]
    bad = _sheet(tmp_path / "一机一档.csv", [*good, "4502040004132600003,点位3,450204,109.388946,24.293187"])
    page = await open_page()
    await login(page, "admin", to="/ui/import")
    await page.wait_for_url("**/ui/import")
    await page.set_input_files("[data-test=upload] input[type=file]", bad)
    await page.click("[data-test=dry-run]")
    await page.locator("[data-test=job-state]", has_text="被拒绝").wait_for()
    assert await page.locator("[data-test=written]").inner_text() == "未写入"
    report = page.locator("[data-test=report]")
    await report.get_by_text("has 19 digits").wait_for()  # the rejected row, by its sheet row number
    assert "4" in await report.locator(".el-table__body tr").first.locator("td").first.inner_text()
    await shoot(page, "import-rejected-zh")
    fixed = _sheet(tmp_path / "一机一档-改.csv", [*good, "45020400041326000003,点位3,450204,109.388946,24.293187"])
    await page.set_input_files("[data-test=upload] input[type=file]", fixed)
    await page.click("[data-test=dry-run]")
    await page.locator("[data-test=job-state]", has_text="完成").wait_for()
    await page.click("[data-test=confirm]")
    await page.locator("[data-test=written]", has_text="已写入").wait_for()
    await switch_language(page, "English")
    await page.get_by_text("Import the registry sheet").wait_for()
    await shoot(page, "import-done-en")
    async with httpx.AsyncClient(base_url=server) as api:
        listed = await api.get("/api/v1/cameras", headers=bearer(people.admin))
    assert listed.json()["total"] == 3
