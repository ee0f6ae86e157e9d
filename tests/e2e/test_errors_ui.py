"""Server errors in the user's language: in zh-CN the UI says what went wrong in Chinese (by the
answer's status and each field error's kind, with the field's Chinese name) and keeps the server's
English sentence as the detail; in English the server's sentence shows as it is."""

from __future__ import annotations

import re

import pytest

from assetsvc.registry.tables import Camera
from assetsvc.webhooks import service as webhooks
from tests.e2e.conftest import PHONE, login, shoot, switch_language
from tests.integration.conftest import ADMIN

pytestmark = pytest.mark.needs("chromium")

CAMERA = (("name", "河西路口东向西"), ("region_code", "450204"), ("longitude", "109.388946"), ("latitude", "24.293187"))
TAKEN = "45020400041320000001"


async def fill_camera(page, gb_id: str) -> None:
    for field, value in (("gb_id", gb_id), *CAMERA):
        await page.fill(f"[data-test=field-{field}]", value)
    await page.click("[data-test=create]")


async def test_camera_form_errors_in_chinese_with_the_servers_detail_then_in_english(open_page, people):
    page = await open_page()
    await login(page, "admin", to="/ui/cameras/new")
    # 400: a national ID of 13 digits; the sentence names the field in Chinese, the server's words follow.
    await fill_camera(page, "4502040004132")
    error = page.locator("[data-test=item-gb_id] .el-form-item__error")
    await error.wait_for()
    sentence, detail = (await error.inner_text()).strip().split("\n")
    assert sentence == "「国标编码」位数不正确"  # kind id_13_digits
    assert "4502040004132 has 13 digits" in detail  # the server's own sentence
    assert await Camera.count().run() == 0
    await shoot(page, "error-field-zh")

    # 409: the national ID another camera has: a conflict, said as such, with the server's sentence.
    await fill_camera(page, TAKEN)
    await page.wait_for_url(re.compile(r".*/ui/cameras/\d+$"))
    await page.goto("/ui/cameras/new")
    await fill_camera(page, TAKEN)
    await error.wait_for()
    assert (await error.inner_text()).strip().split("\n") == ["「国标编码」重复或已被使用", f"gb_id '{TAKEN}' is already used"]
    assert await Camera.count().run() == 1

    # English: the server's sentence alone.
    await switch_language(page, "English")
    await page.get_by_text("New camera").wait_for()
    await page.click("[data-test=create]")
    await page.locator("[data-test=item-gb_id] .el-form-item__error", has_text="is already used").wait_for()
    assert (await error.inner_text()).strip() == f"gb_id '{TAKEN}' is already used"
    await shoot(page, "error-field-en")


async def test_a_conflict_toast_in_chinese_with_the_servers_detail_then_in_english(open_page, people):
    await webhooks.create_endpoint(ADMIN, {"name": "值班系统", "url": "https://hooks.example.invalid/assetsvc"})
    page = await open_page(PHONE)
    await login(page, "admin", to="/ui/admin/webhooks")
    await page.click("[data-test=add-webhook]")
    await page.fill("[data-test=webhook-name]", "值班系统")
    await page.fill("[data-test=webhook-url]", "https://hooks.example.invalid/other")
    await page.click("[data-test=save-webhook]")
    toast = page.locator("[data-test=api-error]").last
    await toast.wait_for()
    assert await toast.locator(":scope > div").all_inner_texts() == ["与现有数据冲突，未保存", "name '值班系统' is already used"]
    field = page.locator(".el-form-item__error").first
    assert (await field.inner_text()).strip().split("\n") == ["「名称」重复或已被使用", "name '值班系统' is already used"]
    assert len(await webhooks.list_endpoints(ADMIN)) == 1
    await shoot(page, "error-toast-phone-zh")

    await page.keyboard.press("Escape")
    await switch_language(page, "English")
    await page.click("[data-test=add-webhook]")
    await page.fill("[data-test=webhook-name]", "值班系统")
    await page.fill("[data-test=webhook-url]", "https://hooks.example.invalid/other")
    await page.click("[data-test=save-webhook]")
    english = page.locator("[data-test=api-error]", has_text="already used").last
    await page.locator("[data-test=api-error]", has_text="already used").first.wait_for()
    await page.locator(".el-form-item__error", has_text="already used").first.wait_for()
    texts = await page.locator("[data-test=api-error]").all_inner_texts()
    assert "name '值班系统' is already used" in [t.strip() for t in texts]  # no Chinese sentence over it
    assert (await page.locator(".el-form-item__error").first.inner_text()).strip() == "name '值班系统' is already used"
    assert await english.count() >= 1
    await shoot(page, "error-toast-phone-en")
