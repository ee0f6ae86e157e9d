"""The map in a real browser against a real server: points on plain lon/lat axes until outlines exist,
a click through to a camera, outlines uploaded through the administration screen (a bad file refused
by feature) and drawn, a contractor's own points only, and clusters at city scale that zoom in on a click.
Screenshots in both languages, desktop and phone."""

from __future__ import annotations

import json
import random

import pytest

from assetsvc import bulk, db
from assetsvc.monitoring.tables import DeviceState
from assetsvc.registry import crud
from assetsvc.registry.entities import CAMERA
from assetsvc.registry.tables import Camera
from tests.e2e.conftest import PHONE, login, settled, shoot, switch_language
from tests.integration.conftest import ADMIN
from tests.integration.world import camera_body

pytestmark = pytest.mark.needs("chromium")


def _square(x0: float, y0: float, x1: float, y1: float) -> list:
    return [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]


OUTLINES = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"adcode": 450204, "name": "柳南"},
     "geometry": {"type": "Polygon", "coordinates": _square(109.30, 24.24, 109.40, 24.36)}},
    {"type": "Feature", "properties": {"adcode": 450202, "name": "城中"},
     "geometry": {"type": "MultiPolygon", "coordinates": [_square(109.40, 24.24, 109.50, 24.36),
                                                          _square(109.42, 24.37, 109.46, 24.40)]}},
]}


async def _cameras(people) -> dict[str, int]:
    """Three of contractor A's cameras (down, up, never measured) and one of B's (up)."""
    made = {}
    for key, gb, contractor, lon, lat in (("down", "45020400041326001301", people.a_id, 109.36, 24.30),
                                          ("up", "45020400041326001302", people.a_id, 109.44, 24.32),
                                          ("new", "45020400041326001303", people.a_id, 109.38, 24.26),
                                          ("b", "45020400041326001304", people.b_id, 109.47, 24.27)):
        made[key] = (await crud.create_record(CAMERA, ADMIN, camera_body(gb, contractor, longitude=lon,
                                                                          latitude=lat)))["id"]
    await DeviceState.insert(
        DeviceState(subject_type="camera", subject_id=made["down"], state="down", cause="onvif_light:timeout", since=1),
        DeviceState(subject_type="camera", subject_id=made["up"], state="up", since=1),
        DeviceState(subject_type="camera", subject_id=made["b"], state="up", since=1)).run()
    return made


async def _open_map(page, user: str = "admin") -> None:
    await page.context.add_init_script("window.__assetsvcTest = true")
    await login(page, user, to="/ui/map")
    await page.wait_for_url("**/ui/map")
    await page.locator("[data-test=map-count]").wait_for()
    await settled(page)


async def _click_camera(page, camera_id: int) -> None:
    """Click the camera's point where the chart draws it (the canvas, as a person would)."""
    at = await page.evaluate(f"window.__assetsvcMap.pixelOf({camera_id})")
    box = await page.locator("[data-test=map-canvas]").bounding_box()
    await page.mouse.click(box["x"] + at[0], box["y"] + at[1])
    await page.wait_for_url(f"**/ui/cameras/{camera_id}")


async def test_the_map_shows_points_on_axes_without_outlines_and_opens_a_camera(open_page, people):
    made = await _cameras(people)
    page = await open_page()
    await _open_map(page)
    await page.locator("[data-test=map-no-outlines]").wait_for()
    assert await page.evaluate("window.__assetsvcMap.mode()") == "axes"
    assert "4 台在用摄像机" in await page.locator("[data-test=map-count]").inner_text()
    assert "离线 1" in await page.locator("[data-test=map-state-down]").inner_text()
    await shoot(page, "map-axes-zh")
    await switch_language(page, "English")
    await page.locator("[data-test=map-count]", has_text="4 cameras in service").wait_for()
    await shoot(page, "map-axes-en")
    await _click_camera(page, made["down"])
    await page.locator("text=45020400041326001301").first.wait_for()


async def test_outlines_uploaded_in_administration_are_drawn_under_the_points(open_page, people, tmp_path):
    made = await _cameras(people)
    bad, good = tmp_path / "bad.geojson", tmp_path / "districts.geojson"
    broken = json.loads(json.dumps(OUTLINES))
    broken["features"][1]["geometry"]["coordinates"][0][0].pop()  # a ring left open
    bad.write_text(json.dumps(broken), encoding="utf-8")
    good.write_text(json.dumps(OUTLINES, ensure_ascii=False), encoding="utf-8")
    page = await open_page()
    await login(page, "admin", to="/ui/outlines")
    await page.wait_for_url("**/ui/outlines")
    await page.set_input_files("[data-test=outline-file] input[type=file]", str(bad))
    await page.click("[data-test=outline-upload]")
    problems = page.locator("[data-test=outline-problems]")
    await problems.wait_for()
    assert "features[1].geometry.coordinates[0][0]" in await problems.inner_text()
    assert await page.locator("[data-test=outline-rows] .el-table__row").count() == 0
    await shoot(page, "outlines-refused-zh")
    await page.set_input_files("[data-test=outline-file] input[type=file]", str(good))
    await page.click("[data-test=outline-upload]")
    await page.locator("[data-test=outline-rows] .el-table__row").nth(1).wait_for()
    assert "城中区" in await page.locator("[data-test=outline-rows]").inner_text()
    await settled(page)
    await shoot(page, "outlines-zh")
    await page.context.add_init_script("window.__assetsvcTest = true")
    await page.goto("/ui/map")
    await page.locator("[data-test=map-count]").wait_for()
    await settled(page)
    assert await page.evaluate("window.__assetsvcMap.mode()") == "outlines"
    assert await page.evaluate("window.__assetsvcMap.regions()") == 2
    assert await page.locator("[data-test=map-no-outlines]").count() == 0
    await shoot(page, "map-outlines-zh")
    await switch_language(page, "English")
    await page.locator("[data-test=map-count]", has_text="cameras in service").wait_for()
    await shoot(page, "map-outlines-en")
    await _click_camera(page, made["up"])
    phone = await open_page(PHONE)
    await _open_map(phone)
    assert await phone.evaluate("window.__assetsvcMap.mode()") == "outlines"
    await shoot(phone, "map-outlines-phone-zh")


async def test_a_contractor_sees_only_its_own_cameras_on_the_map(open_page, people):
    made = await _cameras(people)
    page = await open_page(PHONE)
    await _open_map(page, "ca")
    assert "3 台在用摄像机" in await page.locator("[data-test=map-count]").inner_text()
    assert await page.evaluate(f"window.__assetsvcMap.pixelOf({made['b']})") is None
    await shoot(page, "map-contractor-phone-zh")
    await switch_language(page, "English")
    await page.locator("[data-test=map-count]", has_text="3 cameras in service").wait_for()
    await shoot(page, "map-contractor-phone-en")


async def test_a_city_of_cameras_is_clustered_and_a_cluster_click_zooms_in(open_page, people):
    rng = random.Random(19)
    rows = [{"gb_id": f"450204000413260{n:05d}", "name": f"摄像机{n}", "region_code": "450204",
             "longitude": round(rng.uniform(109.30, 109.50), 6), "latitude": round(rng.uniform(24.24, 24.40), 6),
             "status": "active", "contractor": people.a_id if n % 2 else people.b_id} for n in range(8000)]
    async with db.write_transaction():
        await bulk.insert_rows(Camera, rows)
    page = await open_page()
    await _open_map(page)
    assert "8,000" in await page.locator("[data-test=map-count]").inner_text()
    assert await page.evaluate("window.__assetsvcMap.clusters()") > 0
    await shoot(page, "map-clusters-zh")
    before = await page.evaluate("window.__assetsvcMap.span()")
    at = await page.evaluate("window.__assetsvcMap.clusterPixel(0)")
    box = await page.locator("[data-test=map-canvas]").bounding_box()
    await page.mouse.click(box["x"] + at[0], box["y"] + at[1])
    await page.wait_for_timeout(300)  # the redraw after the zoom (a 120 ms debounce)
    assert await page.evaluate("window.__assetsvcMap.span()") < before / 2
    await shoot(page, "map-clusters-zoomed-zh")
