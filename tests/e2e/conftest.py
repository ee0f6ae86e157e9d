"""Browser tests: Playwright for Python driving Debian's chromium against a real `assetsvc serve` on
loopback, on the test database, with the built web UI (scripts/ui-build builds it when stale).

Every page is watched: a request to any origin but the server's is aborted and fails the test, and
so does a Content-Security-Policy violation. Screenshots go to ASSETSVC_TEST_SCREENSHOTS (default
<tmp>/assetsvc-ui-screens/<engine>/), in both languages, for people to look at.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests import tools
from tests.conftest import ENGINE, REPO
from tests.integration.conftest import PASSWORD, app, client, clean, database, people  # noqa: F401 - fixtures
from tests.served import served

SCREENSHOTS = Path(os.environ.get("ASSETSVC_TEST_SCREENSHOTS")
                   or Path(tempfile.gettempdir()) / "assetsvc-ui-screens") / ENGINE
# No sync, updates, field trials or other calls home: the page's requests are the only ones.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--disable-default-apps", "--disable-extensions", "--metrics-recording-only",
                 "--disable-features=Translate,OptimizationHints,MediaRouter"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 800}


@pytest.fixture(scope="session")
def built_ui() -> Path:
    """admin-ui/dist, built now when it is missing or older than its sources."""
    tools.need("chromium")
    build = REPO / "scripts" / "ui-build"
    env = {**os.environ, "ASSETSVC_PYTHON": sys.executable}
    if subprocess.run([build, "--check"], env=env, capture_output=True).returncode != 0:
        tools.need("node")
        done = subprocess.run([build], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            pytest.fail(f"the web UI did not build:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return REPO / "admin-ui" / "dist"


# One server and one browser for all the browser tests (package scope: stopped once the last of
# them is done, not at the end of the suite). A start costs ~8 s on a loaded 2-core machine, and
# there were seven, one per module; the tests were never independent of the server process's
# memory within a module either, and each test still has its own browser context (cookies) and
# its own emptied database (`clean`).
@pytest.fixture(scope="package")
def server(built_ui, database):  # noqa: F811 - the migrated test database (a fixture)
    """`assetsvc serve` on the test database: API and UI, no worker and no scheduler (nothing is probed)."""
    with served({"ASSETSVC_UI_DIR": str(built_ui)}) as base:
        yield base


@pytest.fixture(scope="package")
async def browser(built_ui):
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        # launch() gives every run a new, empty user-data-dir of its own.
        chromium = await playwright.chromium.launch(executable_path=tools.CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        await chromium.close()


class Watch:
    """What a page did that it must not: requests to other origins, CSP violations; and how many
    of its API requests are still under way."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.foreign: list[str] = []
        self.csp: list[str] = []
        self.busy: set = set()

    def started(self, request) -> None:
        if "/api/" in request.url:
            self.busy.add(request)

    def ended(self, request) -> None:
        self.busy.discard(request)

    async def route(self, route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != self.origin:
            self.foreign.append(url)
            await route.abort()
        else:
            await route.continue_()

    def console(self, message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.csp.append(message.text)


@pytest.fixture
async def open_page(browser, server):
    """open_page(viewport=DESKTOP) -> a page in a fresh context (its own cookies), watched."""
    contexts, watches = [], []

    async def make(viewport: dict = DESKTOP):
        context = await browser.new_context(base_url=server, viewport=viewport, locale="zh-CN",
                                            timezone_id="Asia/Shanghai", accept_downloads=True)
        watch = Watch(server)
        await context.route("**/*", watch.route)
        page = await context.new_page()
        page.on("console", watch.console)
        page.on("request", watch.started)
        for event in ("requestfinished", "requestfailed"):
            page.on(event, watch.ended)
        page.watch = watch
        page.set_default_timeout(15000)
        contexts.append(context)
        watches.append(watch)
        return page

    yield make
    for context in contexts:
        await context.close()
    for watch in watches:
        assert not watch.foreign, f"the page asked another origin: {watch.foreign}"
        assert not watch.csp, f"Content-Security-Policy violations: {watch.csp}"


async def login(page, username: str, password: str = PASSWORD, *, to: str = "/ui/") -> None:
    """Log in through the login screen (the app sends us there) and wait to leave it."""
    await page.goto(to)
    await page.wait_for_url("**/ui/login**")
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("[data-test=login]")
    # (a URL predicate, not wait_for_function: the CSP forbids evaluating strings in the page)
    await page.wait_for_url(lambda url: "/ui/login" not in url)


async def settled(page) -> None:
    """Wait until the page has no API request under way (bounded: at most ~10 s)."""
    for _ in range(200):
        if not page.watch.busy:
            return
        await page.wait_for_timeout(50)
    pytest.fail(f"API requests still under way: {[r.url for r in page.watch.busy]}")


async def switch_language(page, label: str) -> None:
    """Open the language select and pick `label`. A tap can land while a toast (ElMessage, shown at
    the top centre, where the select sits on a phone) is fading, and the list does not open: tap
    again, as a user would (bounded: three taps)."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    option = page.locator(f".el-select-dropdown__item:visible:has-text('{label}')")
    for tap in range(3):
        await page.click("[data-test=language]")
        try:
            await option.first.wait_for(timeout=5000)
            break
        except PlaywrightTimeout:
            if tap == 2:
                raise
    await option.first.click()


async def shoot(page, name: str) -> Path:
    """Save a full-page screenshot as a test artefact."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.locator(".el-loading-spinner").first.wait_for(state="hidden")  # the data, not a spinner
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True, animations="disabled")  # transitions ended
    return path
