"""The console's last gaps in a real browser against a real server: the provincial platform set and
tested from administration (a fake platform on 127.0.0.1 with its own CA), a maintenance window on
cameras picked from a searched list, the webhook form's event names read from the server, the
map's heat layer; the auditor sees the new screens with nothing to change. Screenshots in both
languages, desktop and phone."""

from __future__ import annotations

import json

import pytest

from assetsvc.monitoring.tables import DeviceState, MaintenanceWindow
from assetsvc.registry import crud
from assetsvc.registry.entities import CAMERA
from assetsvc.reports.province.tables import ProvinceTarget
from assetsvc.webhooks.events import EVENTS
from tests.e2e.conftest import DESKTOP, PHONE, login, settled, shoot, switch_language
from tests.fakes.province import Platform
from tests.integration.conftest import ADMIN
from tests.integration.test_tickets_api import World, example
from tests.integration.test_tickets_api import fresh_terms  # noqa: F401 - an autouse fixture
from tests.integration.world import camera_body

pytestmark = pytest.mark.needs("chromium")
KEY = "province-signing-key-0001"


@pytest.fixture
def platform(tmp_path):
    fake = Platform(key=KEY, folder=tmp_path)
    fake.start()
    yield fake
    fake.close()


async def _choose(page, select: str, option: str) -> None:
    await page.click(f"[data-test={select}]")
    await page.click(f".el-select-dropdown__item:visible:has-text('{option}')")


async def _cameras(people) -> dict[str, int]:
    """Four cameras in 柳南 (down, degraded, up, never measured) with coordinates."""
    made = {}
    for key, gb, lon, lat in (("down", "45020400041326001401", 109.36, 24.30), ("degraded", "45020400041326001402", 109.40, 24.31),
                              ("up", "45020400041326001403", 109.44, 24.32), ("new", "45020400041326001404", 109.38, 24.26)):
        body = camera_body(gb, people.a_id, longitude=lon, latitude=lat) | {"name": f"鱼峰路{key}"}
        made[key] = (await crud.create_record(CAMERA, ADMIN, body))["id"]
    await DeviceState.insert(
        DeviceState(subject_type="camera", subject_id=made["down"], state="down", cause="onvif_light:timeout", since=1),
        DeviceState(subject_type="camera", subject_id=made["degraded"], state="degraded", cause="picture:dark", since=1),
        DeviceState(subject_type="camera", subject_id=made["up"], state="up", since=1)).run()
    return made


async def test_admin_sets_the_provincial_platform_and_tests_the_connection(open_page, people, platform):
    page = await open_page()
    await login(page, "admin", to="/ui/admin/province")
    await page.locator("[data-test=province-unset]").wait_for()
    assert (await page.locator("[data-test=province-secret-state]").inner_text()).strip() == "未设置"
    # A plain-http address and a short key: the API's messages under their fields, nothing stored.
    await page.fill("[data-test=province-url]", platform.url.replace("https://", "http://"))
    await page.fill("[data-test=province-area_code]", "330100")
    await page.fill("[data-test=province-unit_code]", "HZ-VIDEO-OFFICE")
    await page.fill("[data-test=province-ca_bundle]", str(platform.ca_pem))
    await page.fill("[data-test=province-secret]", "short")
    await page.click("[data-test=province-save]")
    await page.locator(".el-form-item__error", has_text="https://").wait_for()
    await page.locator(".el-form-item__error", has_text="16 to 500").wait_for()
    assert await ProvinceTarget.count().run() == 0
    await page.fill("[data-test=province-url]", platform.url)
    await page.fill("[data-test=province-secret]", KEY)
    await page.click("[data-test=province-save]")
    await page.locator("[data-test=province-updated]").wait_for()
    [row] = await ProvinceTarget.select().run()
    assert (row["url"], row["ca_bundle"], row["area_code"], row["updated_by"]) == (
        platform.url, str(platform.ca_pem), "330100", "admin")
    assert KEY not in row["secret"]  # sealed
    assert (await page.locator("[data-test=province-secret-state]").inner_text()).strip() == "已设置"
    assert await page.input_value("[data-test=province-secret]") == ""  # write-only: never shown back
    assert KEY not in await page.content()
    # Test: a signed ping the platform checks (a wrong signature would be its 401).
    await page.click("[data-test=province-test]")
    tested = page.locator("[data-test=province-tested]")
    await tested.locator("text=HTTP 200").wait_for()
    [ping] = platform.requests
    assert json.loads(ping["body"])["kind"] == "ping" and ping["headers"]["Idempotency-Key"].startswith("ping:")
    await shoot(page, "province-tested-zh")
    # A new key the platform does not know: saved (the old one replaced), and the test says 401.
    await page.fill("[data-test=province-secret]", "another-key-the-platform-lacks")
    await page.click("[data-test=province-save]")
    await page.locator("[data-test=province-tested]").wait_for(state="detached")
    await page.click("[data-test=province-test]")
    await page.locator("[data-test=province-tested]", has_text="HTTP 401").wait_for()
    assert len(platform.requests) == 2


async def test_admin_plans_one_window_on_two_cameras_picked_from_a_search(open_page, people):
    made = await _cameras(people)
    page = await open_page()
    await login(page, "admin", to="/ui/admin/maintenance")
    await page.click("[data-test=add-window]")
    picker = page.locator("[data-test=window-refs] input")
    for key in ("down", "up"):
        await picker.fill(f"鱼峰路{key}")
        await page.click(f".el-select-dropdown__item:visible:has-text('#{made[key]} · 鱼峰路{key}')")
    await page.fill("[data-test=window-reason]", "鱼峰路杆件迁移")
    await shoot(page, "maintenance-pick-zh")
    await page.click("[data-test=save-window]")
    await page.locator("[data-test=windows] tr", has_text="鱼峰路杆件迁移").nth(1).wait_for()
    stored = await MaintenanceWindow.select(MaintenanceWindow.scope, MaintenanceWindow.scope_ref).where(
        MaintenanceWindow.reason == "鱼峰路杆件迁移").order_by(MaintenanceWindow.scope_ref).run()
    assert stored == sorted([{"scope": "camera", "scope_ref": str(made[k])} for k in ("down", "up")],
                            key=lambda r: r["scope_ref"])
    # Nothing picked: said under the field, nothing sent.
    await page.click("[data-test=add-window]")
    await page.fill("[data-test=window-reason]", "x")
    await page.click("[data-test=save-window]")
    await page.locator(".el-form-item__error", has_text="请至少选择一项").wait_for()
    assert await MaintenanceWindow.count().run() == 2


async def test_admin_changes_the_terms_field_by_field_and_compares_the_versions(open_page, people):
    from assetsvc.tickets.tables import ContractTerms

    w = await World(people).build()
    page = await open_page()
    await login(page, "admin", to=f"/ui/contracts?contract={w.contract_a}&tab=terms")
    await page.locator("[data-test=terms-version]", has_text="第 1 版").wait_for()
    await page.click("[data-test=edit-terms]")
    await page.locator("[data-test=terms-form]").wait_for()
    assert await page.input_value("[data-test=rule-2-over]") == "8h"
    # A day unit: the server's message under that rule's field, nothing stored.
    await page.fill("[data-test=rule-2-over]", "2d")
    await page.click("[data-test=save-terms]")
    error = page.locator("[data-test=rule-2] .el-form-item__error")
    await error.wait_for()
    assert "'2d' must be a duration" in await error.inner_text()
    assert (await ContractTerms.select(ContractTerms.version).where(ContractTerms.contract == w.contract_a).first().run())[
        "version"] == 1
    await error.scroll_into_view_if_needed()
    await shoot(page, "terms-form-error-zh")
    await page.fill("[data-test=rule-2-over]", "4h")
    await page.fill("[data-test=rule-0-points] input", "2")
    await page.click("[data-test=save-terms]")
    await page.locator("[data-test=terms-version]", has_text="第 2 版").wait_for()
    stored = (await ContractTerms.select(ContractTerms.document).where(ContractTerms.contract == w.contract_a).first().run())
    document = stored["document"] if isinstance(stored["document"], dict) else json.loads(stored["document"])
    expected = example()
    expected["penalties"][2]["over"] = "4h"
    expected["penalties"][0]["points"] = 2
    assert document == expected  # the two fields changed, everything else as it was
    # The versions compared: exactly those two leaves.
    await page.get_by_role("tab", name="版本").click()
    await page.click("[data-test=compare]")
    rows = page.locator("[data-test=terms-diff] .el-table__row")
    await rows.nth(1).wait_for()
    assert await rows.count() == 2
    text = await page.locator("[data-test=terms-diff]").inner_text()
    assert "penalties[3] (channel faulty over 8 h in the month).over" in text and '"8h"' in text and '"4h"' in text
    assert "penalties[1] (late arrival).points" in text
    await shoot(page, "terms-diff-zh")


async def test_the_webhook_form_offers_the_events_the_server_lists(open_page, people):
    page = await open_page()
    await login(page, "admin", to="/ui/admin/webhooks")
    await page.click("[data-test=add-webhook]")
    await page.click("[data-test=webhook-events]")
    offered = page.locator(".el-select-dropdown__item:visible")
    await offered.first.wait_for()
    names = {(await offered.nth(i).get_attribute("data-test")).removeprefix("event-") for i in range(await offered.count())}
    assert names == {e.name for e in EVENTS} and "report.province_failed" in names


async def test_the_map_heat_layer_weighs_cameras_not_up_or_all_and_still_opens_a_camera(open_page, people):
    made = await _cameras(people)
    page = await open_page()
    await page.context.add_init_script("window.__assetsvcTest = true")
    await login(page, "admin", to="/ui/map")
    await page.locator("[data-test=map-count]").wait_for()
    await settled(page)
    assert (await page.evaluate("window.__assetsvcMap.heat()"))["cells"] == 0
    await page.click("[data-test=map-layer-heat]")
    await page.locator("[data-test=map-heat-note]").wait_for()
    heat = await page.evaluate("window.__assetsvcMap.heat()")
    # Not up: down, degraded and never measured (unknown) count; the camera that is up does not.
    assert heat["layer"] == "heat" and heat["total"] == 3 and heat["cells"] >= 1
    await shoot(page, "map-heat-zh")
    await _choose(page, "map-weight", "密度")
    await page.locator("[data-test=map-heat-note]", has_text="密度").wait_for()
    assert (await page.evaluate("window.__assetsvcMap.heat()"))["total"] == 4
    await page.click("[data-test=map-state-up]")  # the state filter applies to the heat too
    await page.wait_for_timeout(50)
    assert (await page.evaluate("window.__assetsvcMap.heat()"))["total"] == 3
    at = await page.evaluate(f"window.__assetsvcMap.pixelOf({made['down']})")
    box = await page.locator("[data-test=map-canvas]").bounding_box()
    await page.mouse.click(box["x"] + at[0], box["y"] + at[1])
    await page.wait_for_url(f"**/ui/cameras/{made['down']}")


async def test_the_auditor_sees_the_new_screens_with_nothing_to_change(open_page, people, platform):
    from assetsvc.reports.province import config

    await config.configure(ADMIN, {"url": platform.url, "ca_bundle": str(platform.ca_pem), "area_code": "330100",
                                   "unit_code": "HZ-VIDEO-OFFICE", "secret": KEY})
    page = await open_page()
    await login(page, "auditor", to="/ui/admin/province")
    await page.locator("[data-test=province-updated]").wait_for()
    assert await page.input_value("[data-test=province-url]") == platform.url
    assert await page.locator("[data-test=province-url]").is_disabled()
    for gone in ("province-save", "province-test", "province-secret"):
        assert await page.locator(f"[data-test={gone}]").count() == 0, gone
    assert (await page.locator("[data-test=province-secret-state]").inner_text()).strip() == "已设置"
    assert KEY not in await page.content()
    await page.click("#tab-maintenance")
    await page.wait_for_url("**/ui/admin/maintenance")
    await settled(page)
    assert await page.locator("[data-test=add-window], [data-test^=end-window-]").count() == 0
    await shoot(page, "province-auditor-zh")


@pytest.mark.parametrize("size", ["desktop", "phone"])
async def test_the_new_screens_in_both_languages(open_page, people, platform, size):
    from assetsvc.reports.province import config

    from assetsvc.tickets import contracts

    w = await World(people).build()
    changed = example()
    changed["penalties"][2]["over"] = "4h"
    await contracts.put_terms(ADMIN, w.contract_a, changed)
    await _cameras(people)
    await config.configure(ADMIN, {"url": platform.url, "ca_bundle": str(platform.ca_pem), "area_code": "330100",
                                   "unit_code": "HZ-VIDEO-OFFICE", "secret": KEY})
    page = await open_page(DESKTOP if size == "desktop" else PHONE)
    await page.context.add_init_script("window.__assetsvcTest = true")
    await login(page, "admin", to=f"/ui/contracts?contract={w.contract_a}&tab=versions")
    # The language lives in the page's memory: after the switch every screen is reached inside the app.
    menu = {"zh": ("系统管理", "地图", "统计考核", "合同考核"), "en": ("Administration", "Map", "Figures", "Contract scores")}
    for language, label in (("zh", None), ("en", "English")):
        admin, map_, figures, contracts = menu[language]
        if label:
            await switch_language(page, label)
            await page.click(f".shell-menu >> text={figures}")
            await page.click(f".el-menu-item:visible:has-text('{contracts}')")
            await page.wait_for_url("**/ui/contracts**")
            await page.click("#tab-versions")
        await page.click("[data-test=edit-terms]")
        await page.locator("[data-test=terms-form]").wait_for()
        await settled(page)
        await shoot(page, f"terms-form-{language}-{size}")
        await page.click("[data-test=terms-dialog] .el-dialog__headerbtn")
        await page.click("[data-test=compare]")
        await page.locator("[data-test=terms-diff]").wait_for()
        await shoot(page, f"terms-versions-{language}-{size}")
        await page.click(f".shell-menu >> text={admin}")
        await page.wait_for_url("**/ui/admin/**")
        await page.click("#tab-province")
        await page.locator("[data-test=province-updated]").wait_for()
        await page.click("[data-test=province-test]")
        await page.locator("[data-test=province-tested]").wait_for()
        await shoot(page, f"province-{language}-{size}")
        await page.click("#tab-maintenance")
        await settled(page)
        await page.click("[data-test=add-window]")
        await page.locator("[data-test=window-refs] input").fill("鱼峰路")
        await page.locator(".el-select-dropdown__item:visible").first.click()
        await shoot(page, f"maintenance-pick-{language}-{size}")
        await page.keyboard.press("Escape")  # the select's list
        await page.locator(".el-dialog:visible .el-dialog__headerbtn").click()
        await page.locator(".el-dialog:visible").wait_for(state="detached")
        await page.click(f".shell-menu >> text={map_}")
        await page.locator("[data-test=map-count]").wait_for()
        await settled(page)
        await page.click("[data-test=map-layer-heat]")
        await page.locator("[data-test=map-heat-note]").wait_for()
        await shoot(page, f"map-heat-{language}-{size}")
        if not label:
            await page.click(f".shell-menu >> text={figures}")
            await page.click(f".el-menu-item:visible:has-text('{contracts}')")
            await page.wait_for_url("**/ui/contracts**")
            await page.click("#tab-versions")
