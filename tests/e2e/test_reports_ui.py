"""The office's report console in a real browser against a real server: a report approved and sent
to a fake provincial platform (real HTTPS on 127.0.0.1, its own CA that the service is set to trust),
a failed delivery retried from the screen, the changes between two versions, and the settings the
report is measured against (mandatory fields edited and checked, auditors read only)."""

from __future__ import annotations

import datetime as dt

import pytest

from assetsvc.reports import mandatory, rules, versions
from assetsvc.reports.province import config
from assetsvc.registry.tables import CoveragePlan
from assetsvc.reports.tables import MandatoryFieldsDocument
from tests.e2e.conftest import PHONE, login, settled, shoot, switch_language
from tests.fakes.province import Platform
from tests.integration import report_world
from tests.integration.conftest import ADMIN

KEY = "province-signing-key-0123456789"
NOVEMBER = "2026-11"  # report_world's month

pytestmark = pytest.mark.needs("chromium")


@pytest.fixture
async def platform(tmp_path):
    """The fake provincial platform, and the service configured to send to it and trust its CA."""
    fake = Platform(key=KEY, folder=tmp_path)
    fake.start()
    await config.configure(ADMIN, {"url": fake.url, "ca_bundle": str(fake.ca_pem), "area_code": "330100",
                                   "unit_code": "HZ-VIDEO-OFFICE", "secret": KEY, "timeout_s": 5.0})
    yield fake
    fake.close()


def _last_month() -> str:
    return (dt.date.today().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")


async def _confirm(page) -> None:
    await page.locator(".el-message-box__btns .el-button--primary").click()


async def _province_tab(page) -> None:
    await page.locator(".el-tabs__item", has_text="省级报送").click()
    await page.locator("[data-test=deliveries]").wait_for()


async def test_the_office_approves_a_report_and_the_province_receives_it(open_page, people, platform):
    month = _last_month()
    page = await open_page()
    await login(page, "admin", to=f"/ui/reports?month={month}")
    await page.click("[data-test=generate]")
    await page.locator("[data-test=status-1]", has_text="草稿").wait_for(timeout=60000)
    await page.click("[data-test=approve-1]")
    await _confirm(page)
    await page.locator("[data-test=status-1]", has_text="已审核").wait_for()
    await _province_tab(page)
    # Approving queued it; the leader's job would send it within 30 s (no worker here): send now.
    await page.locator("[data-test=delivery-state-1]", has_text="待送达").wait_for()
    await page.click("[data-test=province-send]")
    await page.locator("[data-test=delivery-state-1]", has_text="已送达").wait_for()
    assert platform.distinct_keys == 1
    [taken] = platform.in_effect.values()
    assert (taken["month"], taken["version"], taken["kind"]) == (month, 1, "report")
    await page.locator("[data-test=deliveries] .el-table__expand-icon").first.click()
    await page.locator("[data-test^=receipt-]", has_text="SJ-0001").wait_for()  # the platform's receipt, shown
    await settled(page)
    await shoot(page, "reports-province-zh")
    await switch_language(page, "English")
    await page.locator("[data-test=delivery-state-1]", has_text="Delivered").wait_for()
    await shoot(page, "reports-province-en")
    phone = await open_page(PHONE)
    await login(phone, "admin", to=f"/ui/reports?month={month}")
    await _province_tab(phone)
    await phone.locator("[data-test=delivery-state-1]", has_text="已送达").wait_for()
    await settled(phone)
    await shoot(phone, "reports-province-phone-zh")
    # An auditor sees the delivery and its receipt, and no button that sends.
    auditor = await open_page()
    await login(auditor, "auditor", to=f"/ui/reports?month={month}")
    await _province_tab(auditor)
    await auditor.locator("[data-test=delivery-state-1]", has_text="已送达").wait_for()
    for action in ("province-send", "retry-1", "approve-1", "generate"):
        assert await auditor.locator(f"[data-test={action}]").count() == 0, action


async def test_a_failed_delivery_is_retried_from_the_screen(open_page, people, platform):
    month = _last_month()
    await versions.generate(ADMIN, month)
    await versions.approve(ADMIN, month, 1)
    platform.fail_500 = 1  # the platform's first answer is a 500
    page = await open_page()
    await login(page, "admin", to=f"/ui/reports?month={month}")
    await _province_tab(page)
    await page.click("[data-test=province-send]")
    await page.locator("[data-test=delivery-attempts-1]", has_text="1").wait_for()
    await page.locator("[data-test=delivery-state-1]", has_text="待送达").wait_for()  # waits to try again
    await page.locator("[data-test=deliveries] .el-table__expand-icon").first.click()
    await page.locator("[data-test^=tries-]", has_text="500").wait_for()  # the attempt and its status
    await settled(page)
    await shoot(page, "reports-province-failed-zh")
    assert platform.distinct_keys == 0
    await page.click("[data-test=retry-1]")
    await page.locator("[data-test=delivery-state-1]", has_text="已送达").wait_for()
    await page.locator("[data-test=delivery-attempts-1]", has_text="2").wait_for()
    assert platform.distinct_keys == 1 and len(platform.requests) == 2
    assert platform.requests[0]["body"] == platform.requests[1]["body"]  # the same bytes, the same key


async def test_the_office_edits_the_mandatory_fields_and_the_diff_shows_the_completeness_moving(open_page, people):
    await report_world.build(people.a_id)
    await versions.generate(ADMIN, NOVEMBER)
    await versions.approve(ADMIN, NOVEMBER, 1)
    page = await open_page()
    await login(page, "admin", to="/ui/report-settings?tab=coverage")
    # The coverage plan: the hospitals planned for 西湖区 go from 2 to 3.
    hospitals = (await CoveragePlan.select().where(CoveragePlan.category == "hospital").first().run())["id"]
    await page.locator(f"[data-test=planned-{hospitals}] input").fill("3")
    await page.locator(f"[data-test=planned-{hospitals}] input").press("Tab")  # (the number input commits on change)
    await page.click(f"[data-test=plan-save-{hospitals}]")
    await page.locator(".el-message", has_text="已保存").wait_for()
    assert (await CoveragePlan.select().where(CoveragePlan.id == hospitals).first().run())["planned"] == 3
    await settled(page)
    await shoot(page, "report-settings-coverage-zh")
    await page.locator(".el-tabs__item", has_text="必填字段").click()
    fields = page.locator("[data-test=mandatory-fields]")
    await fields.locator(".el-tag", has_text="(vendor)").wait_for()
    await settled(page)
    await shoot(page, "report-settings-zh")
    # Every field removed: the form says why and sends nothing.
    while await fields.locator(".el-tag__close").count():
        await fields.locator(".el-tag__close").first.click()
    await page.click("[data-test=mandatory-save]")
    await page.get_by_text("至少选择一个必填字段").wait_for()
    assert await MandatoryFieldsDocument.count().run() == 0
    for key in ("gb_id", "name"):
        await fields.click()
        await page.locator(f".el-select-dropdown__item:visible:has-text('({key})')").click()
    await page.keyboard.press("Escape")
    await page.click("[data-test=mandatory-save]")
    await page.locator("[data-test=mandatory-version]", has_text="v1").wait_for()
    assert (await mandatory.config()).mandatory == ("gb_id", "name")
    # The report generated again is a new draft; the diff names the figure that moved.
    await page.goto(f"/ui/reports?month={NOVEMBER}")
    await page.click("[data-test=generate]")
    await page.locator("[data-test=status-2]", has_text="草稿").wait_for(timeout=60000)
    await page.locator(".el-tabs__item", has_text="版本对比").click()
    await page.click("[data-test=diff-run]")
    await page.locator("[data-test=diff-total]", has_text="v1 → v2").wait_for()
    await page.locator("[data-test=diff-section] label", has_text="登记与覆盖").click()  # registry rows only
    row = page.locator("[data-test=diff-rows] tr", has_text="completeness_rate").filter(has_text="city")
    await row.first.wait_for()
    assert "→ 100.00%" in await row.first.inner_text()  # every record has its two fields now
    await settled(page)
    await shoot(page, "reports-diff-zh")
    await switch_language(page, "English")
    await page.get_by_text("figures changed").wait_for()
    await shoot(page, "reports-diff-en")
    phone = await open_page(PHONE)
    await login(phone, "admin", to="/ui/report-settings?tab=league")
    await phone.locator("[data-test=league-figures]").wait_for()
    await settled(phone)
    await shoot(phone, "report-settings-league-phone-zh")
    # An auditor reads the settings and can change none of them.
    auditor = await open_page()
    await login(auditor, "auditor", to="/ui/report-settings?tab=league")
    await auditor.locator("[data-test=read-only]").wait_for()
    await auditor.locator("[data-test=league-figures] .el-select").first.wait_for()
    for action in ("league-save", "mandatory-save", "plan-create", "figure-add"):
        assert await auditor.locator(f"[data-test={action}]").count() == 0, action
    await switch_language(auditor, "English")
    await auditor.get_by_text("Read only").wait_for()
    await settled(auditor)
    await shoot(auditor, "report-settings-auditor-en")


async def test_a_league_scale_with_zero_equal_to_full_is_named_on_its_row_then_stored_once_fixed(open_page, people):
    page = await open_page()
    await login(page, "admin", to="/ui/report-settings?tab=league")
    await page.locator("[data-test=figure-weight-0]").wait_for()
    await settled(page)
    # zero equal to full: the form names the row before sending anything.
    await page.locator("[data-test=figure-zero-0] input").fill("0.98")
    await page.locator("[data-test=figure-full-0] input").fill("0.98")
    await page.click("[data-test=league-save]")
    await page.locator("[data-test=figure-error-0]").wait_for()
    assert (await rules.get_rules(ADMIN))["example"] is True  # nothing sent, nothing stored
    await page.locator("[data-test=figure-full-0] input").fill("0.99")
    await page.locator("[data-test=figure-zero-0] input").click()  # (the number input commits on blur)
    await page.click("[data-test=league-save]")
    await page.locator("[data-test=league-version]", has_text="v1").wait_for()
    stored = (await rules.get_rules(ADMIN))["rules"]["figures"][0]
    assert (stored["zero"], stored["full"]) == (0.98, 0.99)
    await shoot(page, "report-settings-league-zh")
