"""Records made from the registry screens: the office creates a site, then a camera on that site;
a bad national ID (设备编码) is answered with the API's message under its field, nothing is stored."""

from __future__ import annotations

import re

import pytest

from assetsvc.registry.tables import Camera, Site
from tests.e2e.conftest import PHONE, login, shoot, switch_language

pytestmark = pytest.mark.needs("chromium")


async def pick(page, field: str, text: str) -> None:
    """Choose `text` in a searched select (the options come from the server as one types)."""
    await page.click(f"[data-test=field-{field}]")
    await page.keyboard.type(text)
    await page.click(f".el-select-dropdown__item:visible:has-text('{text}')")


async def test_office_creates_a_site_then_a_camera_on_it(open_page, people):
    page = await open_page()
    await login(page, "admin", to="/ui/records/sites")
    await page.click("[data-test=new]")
    await page.wait_for_url("**/ui/records/sites/new")
    await page.fill("[data-test=field-name]", "河西路口")
    await page.fill("[data-test=field-region_code]", "450204")
    await page.fill("[data-test=field-point_class]", "1")
    await shoot(page, "site-new-zh")
    await page.click("[data-test=create]")
    await page.wait_for_url(re.compile(r".*/ui/records/sites/\d+$"))
    site = await Site.objects().get(Site.name == "河西路口").run()
    assert site is not None and site.region_code == "450204" and site.point_class == 1

    await page.goto("/ui/cameras")
    await page.click("[data-test=new]")
    await page.wait_for_url("**/ui/cameras/new")
    for field, value in (("gb_id", "4502040004132"), ("name", "河西路口东向西"), ("region_code", "450204"),
                         ("longitude", "109.388946"), ("latitude", "24.293187"), ("camera_type", "2")):
        await page.fill(f"[data-test=field-{field}]", value)
    await pick(page, "site", "河西路口")
    await page.click("[data-test=create]")
    error = page.locator("[data-test=item-gb_id] .el-form-item__error")
    await error.wait_for()  # the API's message, under the national ID
    assert (await error.inner_text()).strip()
    assert await Camera.count().run() == 0  # nothing stored
    await shoot(page, "camera-new-error-zh")
    await switch_language(page, "English")
    await page.get_by_text("New camera").wait_for()
    await shoot(page, "camera-new-error-en")

    await page.fill("[data-test=field-gb_id]", "45020400041320000001")
    await page.click("[data-test=create]")
    await page.wait_for_url(re.compile(r".*/ui/cameras/\d+$"))
    made = await Camera.objects().get(Camera.gb_id == "45020400041320000001").run()
    assert made is not None and made.site == site.id and made.name == "河西路口东向西"
    assert await page.locator("[data-test=item-gb_id]").count() == 0  # left the form
    # The list filtered by the new site, from the address (the filter shows the site's name).
    await page.goto(f"/ui/cameras?site={site.id}&camera_type=2")
    await page.locator("[data-test=cameras] .el-table__body").get_by_text("河西路口东向西").wait_for()
    await page.locator("[data-test=f-site]").get_by_text("河西路口").wait_for()
    await shoot(page, "cameras-filter-site-zh")
    await page.goto(f"/ui/cameras?site={site.id}&camera_type=3")
    await page.locator("[data-test=cameras] .el-table__empty-text").wait_for()


async def test_a_new_owner_on_a_phone(open_page, people):
    page = await open_page(PHONE)
    await login(page, "admin", to="/ui/records/owners/new")
    await page.fill("[data-test=field-name]", "柳南区交通局")
    await page.click("[data-test=create]")
    await page.locator("[data-test=item-owner_class] .el-form-item__error").wait_for()  # required, named
    await shoot(page, "owner-new-phone-zh")
