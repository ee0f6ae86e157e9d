"""Administration (系统管理) in a real browser against a real server: a contractor user with a
temporary password, an API token shown once and revoked, a webhook delivered to a real receiver on
127.0.0.1, a maintenance window, a held push discarded; the auditor reads every screen with no
button that changes anything. Screenshots of each screen in both languages, desktop and phone."""

from __future__ import annotations

import datetime as dt
import json
import time

import httpx
import pytest

from assetsvc.accounts import service as accounts
from assetsvc.accounts.tables import User
from assetsvc.monitoring import maintenance, passive_scope
from assetsvc.monitoring.tables import MaintenanceWindow, PassiveBatch
from assetsvc.webhooks import delivery
from assetsvc.webhooks import service as webhooks
from assetsvc.webhooks.tables import WebhookDelivery
from tests.e2e.conftest import DESKTOP, PHONE, login, settled, shoot, switch_language
from tests.integration.conftest import ADMIN
from tests.integration.test_webhooks import Receiver

pytestmark = pytest.mark.needs("chromium")
TABS = ("users", "platforms", "webhooks", "maintenance")
# Buttons that change something: none of them may be on an auditor's screen.
CHANGES = ("add-user", "role-", "password-", "disable-", "enable-", "create-token", "revoke-", "add-rule", "save-scope",
           "confirm-", "discard-", "add-webhook", "edit-", "toggle-", "ping-", "remove-", "retry-", "add-window",
           "end-window-")


@pytest.fixture
def receiver():
    found = Receiver()
    found.start()
    yield found
    found.release.set()
    found.stop()


async def _confirm(page) -> None:
    """The OK button of Element Plus' message box."""
    await page.locator(".el-message-box__btns .el-button--primary").click()


async def _choose(page, select: str, option: str) -> None:
    """Pick an option of an Element Plus select (its list is rendered at the end of the body)."""
    await page.click(f"[data-test={select}]")
    await page.click(f".el-select-dropdown__item:visible:has-text('{option}')")


async def _tab(page, name: str) -> None:
    await page.click(f"#tab-{name}")
    await page.wait_for_url(f"**/ui/admin/{name}")
    await settled(page)


def _iso(at: float) -> str:
    return dt.datetime.fromtimestamp(at, dt.timezone.utc).isoformat()


async def _world() -> dict:
    """Something on every screen: a platform account with a scope, an API token and a held push;
    a webhook with a dead and a pending delivery; a running maintenance window."""
    await accounts.add_user("platform-a", "platform-pass-1", "platform", by="admin")
    await passive_scope.set_scope("platform-a", [("region", "4502"), ("owner_class", "social")])
    await accounts.issue_token("platform-a", "api", "视频平台推送", by="admin")
    user_id = (await User.select(User.id).where(User.username == "platform-a").first().run())["id"]
    now = time.time()
    await PassiveBatch(user_id=user_id, username="platform-a", received_at=now - 120, status="held",
                       offline=[1, 2, 3], reports=[["45020400001320000001", False, now - 130]] * 3, cameras=4).save().run()
    hook = await webhooks.create_endpoint(ADMIN, {"name": "值班系统", "url": "https://hooks.example.invalid/assetsvc"})
    for _ in range(2):
        await webhooks.ping(ADMIN, hook["id"])
    first = await WebhookDelivery.select(WebhookDelivery.id).order_by(WebhookDelivery.id).first().run()
    await WebhookDelivery.update({WebhookDelivery.state: "dead", WebhookDelivery.attempts: 8,
                                  WebhookDelivery.last_error: "connection refused"}).where(
        WebhookDelivery.id == first["id"]).run()
    await maintenance.create(ADMIN, {"scope": "region", "ref": "450204", "starts_at": _iso(now - 3600),
                                     "ends_at": _iso(now + 3 * 3600), "reason": "柳南区光缆迁改"})
    return {"platform": user_id}


async def test_admin_adds_a_contractor_user_who_must_change_the_temporary_password(open_page, people):
    page = await open_page()
    await login(page, "admin", to="/ui/admin/users")
    await page.locator("[data-test=users] >> text=ca").first.wait_for()
    await page.click("[data-test=add-user]")
    await page.fill("[data-test=new-username]", "wang.wei")
    await _choose(page, "new-contractor", "甲运维公司")  # the role is contractor unless changed
    await page.fill("[data-test=new-password]", "first-login-pw")
    await page.click("[data-test=save-user]")
    row = page.locator("[data-test=users] tr", has_text="wang.wei")
    await row.locator("text=临时密码").wait_for()
    assert await row.locator("text=甲运维公司").count() == 1
    stored = await User.select(User.role, User.contractor, User.must_change_password).where(
        User.username == "wang.wei").first().run()
    assert stored == {"role": "contractor", "contractor": people.a_id, "must_change_password": True}
    # A name taken: the form says so under the field, and nothing else is written.
    await page.click("[data-test=add-user]")
    await page.fill("[data-test=new-username]", "wang.wei")
    await _choose(page, "new-contractor", "甲运维公司")
    await page.click("[data-test=save-user]")
    await page.locator(".el-form-item__error", has_text="already exists").wait_for()
    assert await User.count().where(User.username == "wang.wei").run() == 1

    newcomer = await open_page()
    await login(newcomer, "wang.wei", "first-login-pw")
    await newcomer.wait_for_url("**/ui/password")
    await newcomer.locator("[data-test=forced]").wait_for()
    await newcomer.fill("#current", "first-login-pw")
    await newcomer.fill("#new", "wang-wei-own-pw")
    await newcomer.fill("#repeat", "wang-wei-own-pw")
    await newcomer.click("[data-test=save-password]")
    await newcomer.wait_for_url("**/ui/queue")
    assert not (await User.select(User.must_change_password).where(User.username == "wang.wei").first().run())[
        "must_change_password"]
    assert await newcomer.locator(f"text={'系统管理'}").count() == 0  # contractors see no administration


async def test_admin_makes_an_api_token_sees_it_once_and_revokes_it(open_page, server, people):
    page = await open_page()
    await login(page, "admin", to="/ui/admin/users")
    await page.click("[data-test=tokens-auditor]")
    await page.fill("[data-test=token-name]", "报表导出脚本")
    await page.click("[data-test=create-token]")
    secret = (await page.locator("[data-test=token-secret]").text_content()).strip()
    me = httpx.get(f"{server}/api/v1/auth/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.json()["username"] == "auditor"
    await shoot(page, "admin-token-once-zh")
    await page.click("[data-test=token-seen]")
    assert await page.locator("[data-test=token-secret]").count() == 0
    # Shown once: the list holds its name, never the token; a new look at the page has no secret.
    row = page.locator("[data-test=tokens] tr", has_text="报表导出脚本")
    await row.wait_for()
    assert secret not in await page.content()
    await row.locator("[data-test^=revoke-]").click()
    await _confirm(page)
    await row.wait_for(state="detached")
    gone = httpx.get(f"{server}/api/v1/auth/me", headers={"Authorization": f"Bearer {secret}"})
    assert gone.status_code == 401


async def test_admin_adds_a_webhook_and_sees_its_delivery_to_a_real_receiver(open_page, people, receiver):
    page = await open_page()
    await login(page, "admin", to="/ui/admin/webhooks")
    await page.click("[data-test=add-webhook]")
    await page.fill("[data-test=webhook-name]", "本机接收")
    await page.fill("[data-test=webhook-url]", receiver.url("/hooks"))
    await page.click("[data-test=save-webhook]")
    signing = (await page.locator("[data-test=webhook-secret] code").text_content()).strip()
    assert signing.startswith("whsec_")
    await page.click("[data-test=ping-本机接收]")
    row = page.locator("[data-test=deliveries] tr", has_text="本机接收")
    await row.locator("text=待发送").wait_for()
    # The scheduler's job sends what is due (the test server runs without a scheduler).
    sent = await delivery.deliver_due(time.time() + 1)
    assert sent["delivered"] == 1, sent
    [request] = receiver.requests
    assert request["path"] == "/hooks" and json.loads(request["body"])["event"] == "ping"
    assert request["headers"]["X-Assetsvc-Signature"]
    await page.click("text=刷新")
    await row.locator("text=已送达").wait_for()
    assert (await row.locator("td").nth(4).text_content()).strip() == "1"  # one attempt
    assert "200" in await row.locator("td").nth(5).text_content()
    # Disabled: the endpoint says so and takes no test event.
    await page.click("[data-test=toggle-本机接收]")
    await page.locator("[data-test=ping-本机接收]").wait_for(state="detached")
    assert not (await webhooks.get_endpoint(ADMIN, (await webhooks.list_endpoints(ADMIN))[0]["id"]))["active"]


async def test_admin_plans_a_maintenance_window_and_discards_a_held_push(open_page, people):
    await _world()
    page = await open_page()
    await login(page, "admin", to="/ui/admin/maintenance")
    await page.click("[data-test=add-window]")
    await _choose(page, "window-scope", "行政区划")
    await page.fill("[data-test=window-ref]", "450205")
    await page.fill("[data-test=window-reason]", "柳北区机房断电检修")
    await page.click("[data-test=save-window]")
    row = page.locator("[data-test=windows] tr", has_text="柳北区机房断电检修")
    await row.locator("text=未开始").wait_for()
    [stored] = await MaintenanceWindow.select().where(MaintenanceWindow.reason == "柳北区机房断电检修").run()
    assert (stored["scope"], stored["created_by"]) == ("region", "admin") and stored["scope_ref"].startswith("4502")
    assert stored["ends_at"] - stored["starts_at"] == 4 * 3600
    # A bad one: the API's message under the field, nothing stored.
    await page.click("[data-test=add-window]")
    await _choose(page, "window-scope", "行政区划")
    await page.fill("[data-test=window-ref]", "no-such-region")
    await page.fill("[data-test=window-reason]", "x")
    await page.click("[data-test=save-window]")
    await page.locator(".el-form-item__error").first.wait_for()
    assert await MaintenanceWindow.count().run() == 2
    await page.keyboard.press("Escape")
    # Cancelled before it starts: gone.
    await row.locator("[data-test^=end-window-]").click()
    await _confirm(page)
    await row.wait_for(state="detached")
    assert await MaintenanceWindow.count().run() == 1

    await _tab(page, "platforms")
    await page.locator("[data-test=rule-value-1]").wait_for()
    assert await page.input_value("[data-test=rule-value-1]") == "4502"  # owner_class first, then region
    held = page.locator("[data-test=held] tr", has_text="platform-a")
    await held.wait_for()
    await held.locator("[data-test^=discard-]").click()
    await _confirm(page)
    await held.wait_for(state="detached")
    [batch] = await PassiveBatch.select(PassiveBatch.status, PassiveBatch.decided_by).run()
    assert batch == {"status": "discarded", "decided_by": "admin"}


async def test_the_auditor_reads_every_admin_screen_and_can_change_nothing(open_page, people):
    await _world()
    page = await open_page()
    await login(page, "auditor", to="/ui/")
    await page.click("text=系统管理")
    await page.wait_for_url("**/ui/admin**")
    await page.locator("[data-test=read-only]").wait_for()
    seen = {"users": "platform-a", "platforms": "4502", "webhooks": "值班系统", "maintenance": "柳南区光缆迁改"}
    for name in TABS:
        await _tab(page, name)
        await page.locator(f"#pane-{name} >> text={seen[name]}").first.wait_for()
        for action in CHANGES:
            assert await page.locator(f"[data-test^='{action}']").count() == 0, (name, action)
    await _tab(page, "users")
    await page.click("[data-test=tokens-platform-a]")
    await page.locator("[data-test=tokens] >> text=视频平台推送").wait_for()
    assert await page.locator("[data-test^='revoke-'], [data-test=create-token]").count() == 0
    await shoot(page, "admin-auditor-tokens-zh")


@pytest.mark.parametrize("size", ["desktop", "phone"])
async def test_every_admin_screen_in_both_languages(open_page, people, size):
    await _world()
    page = await open_page(DESKTOP if size == "desktop" else PHONE)
    await login(page, "admin", to="/ui/admin/users")
    titles = {"zh": "系统管理", "en": "Administration"}
    for language, label in (("zh", None), ("en", "English")):
        if label:
            await switch_language(page, label)
        for name in TABS:
            await _tab(page, name)
            await page.locator("h2", has_text=titles[language]).wait_for()
            assert (await shoot(page, f"admin-{name}-{language}-{size}")).stat().st_size > 0
    await _tab(page, "users")
    await page.click("[data-test=add-user]")
    await page.locator("[data-test=save-user]").wait_for()
    await page.locator(".el-dialog", has_text="Temporary: to be changed at the first login").wait_for()
    await shoot(page, f"admin-user-add-en-{size}")
