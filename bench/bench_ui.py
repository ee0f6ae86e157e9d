"""Benchmark: the web UI through the real browser on a big registry.

    python bench/bench_ui.py --engine sqlite [--rows 100000] [--rounds 10]
    python bench/bench_ui.py --engine postgres
    python bench/bench_ui.py --engine sqlite --fill history   # cameras with 30 days of state intervals
                                                              # (and the nightly uptime rollup run once)

Builds the UI when stale (scripts/ui-build), loads a registry, starts `assetsvc serve --no-worker
--no-scheduler` on loopback, logs in through the login screen in Debian's chromium (Playwright) and
prints:
- the JavaScript the first screen loads (login, then the camera list), raw and gzip-compressed;
- the camera list's first page: from navigating to /ui/cameras (a full page load) until its rows
  are on screen, and paging to page K (the app fetches and renders the next 50), p50/p95/max;
- the dashboard's first load: from navigating to /ui/dashboard (a full page load) until every card
  has its answer (the page's data-loaded mark), p50/p95/max.
The registry (`--fill`): `sheet` imports a generated office sheet through import_sheet (five
districts, no monitoring history); `history` is bench_uptime.load's registry (one district, sites,
stations, owners, contractors, switches) with 30 days of state intervals before today and service
periods, so the dashboard's uptime figures have real work to do.
Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import os
import subprocess
import sys
import time
from pathlib import Path

import common

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run"]
PASSWORD = "bench-password-1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--fill", choices=("sheet", "history"), default="sheet")
    parser.add_argument("--no-rollup", action="store_true", help="history: skip the nightly rollup job after loading")
    args = parser.parse_args()
    if subprocess.run([REPO / "scripts" / "ui-build"], env={**os.environ, "ASSETSVC_PYTHON": sys.executable}).returncode:
        raise SystemExit("the web UI did not build")
    bench = common.configure(args.engine)
    try:
        common.print_machine(args.engine)
        if args.fill == "history":
            asyncio.run(load_history(args.rows, not args.no_rollup))
        else:
            path, made_in = common.make_sheet_file(args.rows, "csv", bench.data_dir)
            print(f"\nregistry: {args.rows:,} generated cameras ({made_in:.1f} s in a child process)")
            asyncio.run(load(path, args.rows))
        asyncio.run(browse(args))
    finally:
        common.drop(bench)


async def load(path: Path, rows: int) -> None:
    from assetsvc.accounts.service import add_user
    from assetsvc.registry.importer import import_sheet

    await common.open_database()
    report = await import_sheet(path.read_bytes(), path.name, common.admin_actor(), max_bytes=2**30)
    if report.created != rows:
        raise SystemExit(f"load failed: {report.created} created, {report.rejected} rejected")
    await add_user("bench", PASSWORD, "admin", by="bench")
    await common.close_database()


async def load_history(rows: int, rollup: bool = True) -> None:
    """bench_uptime's registry and 30 days of intervals up to now (the dashboard's 30 days), then the
    nightly rollup job as the leader runs it after midnight (unless --no-rollup: the first dashboard
    load then rolls the days up itself)."""
    import random

    import bench_uptime
    from assetsvc.accounts.service import add_user

    await common.open_database()
    end = time.time()
    made = await bench_uptime.load(rows, end - 30 * 86_400, end, random.Random(common.SEED), 1.0)
    await bench_uptime.analyze()
    print(f"\nregistry: {rows:,} cameras with {made['intervals']:,} state intervals over 30 days, "
          f"{made['windows']} maintenance windows ({made['seconds']:.1f} s)")
    if rollup:
        from assetsvc.monitoring import uptime_series

        began = time.perf_counter()
        said = await uptime_series.roll_up(time.time(), 400)
        print(f"nightly uptime_rollup job (the 31 days before today, every camera): {said} "
              f"({time.perf_counter() - began:.1f} s)")
    await add_user("bench", PASSWORD, "admin", by="bench")
    await common.close_database()


def _serve(port: int) -> subprocess.Popen:
    env = {**os.environ, "ASSETSVC_UI_DIR": str(REPO / "admin-ui" / "dist")}
    return subprocess.Popen([sys.executable, "-m", "assetsvc.cli", "serve", "--no-worker", "--no-scheduler",
                             "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def _up(base: str) -> None:
    import httpx

    async with httpx.AsyncClient() as client:
        for _ in range(300):
            try:
                if (await client.get(f"{base}/healthz", timeout=1)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit("the server did not start")


async def browse(args) -> None:
    from playwright.async_api import async_playwright, expect

    port = common_free_port()
    base = f"http://127.0.0.1:{port}"
    server = _serve(port)
    try:
        await _up(base)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = await browser.new_context(base_url=base, viewport={"width": 1366, "height": 800})
            page = await context.new_page()
            scripts: dict[str, int] = {}
            page.on("response", lambda r: scripts.setdefault(r.url, 0) if r.url.endswith(".js") else None)
            await page.goto("/ui/")
            await page.fill("#username", "bench")
            await page.fill("#password", PASSWORD)
            await page.click("[data-test=login]")
            await page.locator("[data-test=cameras] .el-table__body tr").first.wait_for(timeout=60000)
            _print_scripts(scripts)
            loads, pages = [], []
            for n in range(args.rounds):
                started = time.perf_counter()
                await page.goto(f"/ui/cameras?per_page=50&sort=-id&n={n}")  # a full page load, warm HTTP cache
                await page.locator("[data-test=cameras] .el-table__body tr").nth(49).wait_for(timeout=60000)
                loads.append(time.perf_counter() - started)
            first = page.locator("[data-test=cameras] .el-table__body tr").first
            for _ in range(args.rounds):
                before = await first.inner_text()
                started = time.perf_counter()
                await page.click(".el-pagination .btn-next")  # the app fetches and renders the next 50
                await expect(first).not_to_have_text(before, timeout=60000)
                pages.append(time.perf_counter() - started)
            boards = []
            for n in range(args.rounds):
                started = time.perf_counter()
                await page.goto(f"/ui/dashboard?n={n}")  # a full page load, warm HTTP cache
                await page.locator("[data-test=dashboard][data-loaded=true]").wait_for(timeout=300000)
                boards.append(time.perf_counter() - started)
            rows = [("first page (full load of /ui/cameras)", *common.summary_ms(loads)),
                    ("next page (in the app)", *common.summary_ms(pages)),
                    ("dashboard (full load of /ui/dashboard)", *common.summary_ms(boards))]
            common.print_table(("screen in chromium", "p50 ms", "p95 ms", "max ms", "mean ms"), rows,
                               title=f"\n{args.rows:,} cameras, {args.engine}, {args.rounds} rounds each")
            await browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"\nload average at the end: {common.load_now()}")


def common_free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _print_scripts(urls: dict[str, int]) -> None:
    dist = REPO / "admin-ui" / "dist"
    rows, raw_total, gz_total = [], 0, 0
    for url in urls:
        path = dist / url.split("/ui/", 1)[1]
        data = path.read_bytes()
        raw, packed = len(data), len(gzip.compress(data, 9))
        raw_total, gz_total = raw_total + raw, gz_total + packed
        rows.append((path.name, f"{raw / 1024:.1f}", f"{packed / 1024:.1f}"))
    rows.append(("all (first screen)", f"{raw_total / 1024:.1f}", f"{gz_total / 1024:.1f}"))
    common.print_table(("JavaScript of the first screen", "kB", "kB gzip"), rows, title="\nfirst screen (login -> camera list)")


if __name__ == "__main__":
    main()
