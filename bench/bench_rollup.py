"""Benchmark: the dashboard's daily series (/uptime/daily, 30 days) with and without the daily rollup.

    python bench/bench_rollup.py --engine sqlite   --cameras 10000
    python bench/bench_rollup.py --engine postgres --cameras 100000 --rounds 3

Loads bench_uptime's registry with 30 days of state intervals up to now (as bench_ui.py --fill
history does), then times, for every camera, the 30 closed days before today:
- the series computed from the intervals (uptime_series.live_by_day: what /uptime/daily did before);
- the first rollup of those days (uptime_series.roll_up: the nightly job catching up 31 days);
- the series read from the rolled-up rows (uptime_series.totals_by_day), and the service call as the
  dashboard makes it (uptime_series.daily: the 30 days before today, all and per owner class), then
  with today (computed live);
- the nightly job once every day is stored (nothing missing: the check alone);
- what the dashboard's owner-class cards asked before: /uptime of each owner class over the 30 days.
Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time
from typing import Any, Awaitable, Callable

import bench_uptime
import common

DAY = 86_400.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--cameras", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-live", action="store_true", help="skip the series from the intervals (slow at 100k)")
    args = parser.parse_args()
    common.run_on(args.engine, lambda: run(args))
    print(f"\nload average at the end: {common.load_now()}")


async def _time(fn: Callable[[], Awaitable[Any]], rounds: int) -> tuple[list[float], Any]:
    seconds, result = [], None
    for _ in range(rounds):
        began = time.perf_counter()
        result = await fn()
        seconds.append(time.perf_counter() - began)
    return seconds, result


def _row(name: str, seconds: list[float], shown: str) -> tuple:
    return (name, f"{min(seconds):.3f}", f"{statistics.median(seconds):.3f}", f"{max(seconds):.3f}", shown)


async def run(args: argparse.Namespace) -> None:
    from assetsvc import bulk
    from assetsvc.monitoring import uptime, uptime_series
    from assetsvc.monitoring.tables import UptimeDay
    from assetsvc.monitoring.uptime_input import office_offset
    from assetsvc.monitoring.uptime_scope import CameraSet

    await common.open_database()
    try:
        now = time.time()
        made = await bench_uptime.load(args.cameras, now - 30 * DAY, now, random.Random(common.SEED), 1.0)
        await bench_uptime.analyze()
        print(f"\ndata: {args.cameras:,} cameras, {made['intervals']:,} intervals over 30 days up to now, "
              f"{made['windows']} maintenance windows ({made['seconds']:.1f} s)")
        today = dt.datetime.fromtimestamp(now, office_offset()).date()
        start, end = (today - dt.timedelta(days=30)).isoformat(), today.isoformat()
        bounds, _ = uptime_series.day_bounds(start, end, None)
        days = [(a, b) for _, a, b in bounds]
        every = CameraSet("all", None, "1 = 1")
        admin = common.admin_actor()
        rows = []
        if not args.no_live:
            took, found = await _time(lambda: uptime_series.live_by_day(every, days, now), 1)
            rows.append(_row("30 closed days from the intervals (before: live_by_day)", took,
                             f"{sum(n for n, _ in found):,} camera-days"))
        took, said = await _time(lambda: uptime_series.roll_up(now, 400), 1)
        stored = (await bulk.fetch(UptimeDay, "SELECT COUNT(*) AS n FROM uptime_day"))[0]["n"]
        rows.append(_row("first rollup, 31 days x every camera (nightly job catching up)", took,
                         f"{said}; {stored:,} rows"))
        took, found = await _time(lambda: uptime_series.totals_by_day(every, days, now), args.rounds)
        rows.append(_row("30 closed days from the rollup (totals_by_day)", took,
                         f"{sum(n for n, _ in found):,} camera-days"))
        took, series = await _time(lambda: uptime_series.daily(admin, None, None, start, end, None, time.time()),
                                   args.rounds)
        rows.append(_row("/uptime/daily service call as the dashboard asks (30 days before today)", took,
                         f"online {series.whole.online_rate:.4f}"))
        for owner in ("police", "government", "social"):
            took, series = await _time(lambda owner=owner: uptime_series.daily(
                admin, "owner_class", owner, start, end, None, time.time()), args.rounds)
            rows.append(_row(f"/uptime/daily owner_class {owner} (dashboard card, after)", took,
                             f"online {series.whole.online_rate:.4f}"))
        took, series = await _time(lambda: uptime_series.daily(admin, None, None, start,
                                                                (today + dt.timedelta(days=1)).isoformat(),
                                                                None, time.time()), args.rounds)
        rows.append(_row("same with today (computed live)", took, f"today online {series.days[-1].online_rate}"))
        took, said = await _time(lambda: uptime_series.roll_up(time.time(), 400), args.rounds)
        rows.append(_row("nightly job with every day stored", took, said))
        for owner in ("police", "government", "social"):
            took, one = await _time(lambda owner=owner: uptime.uptime(admin, "owner_class", owner, days[0][0],
                                                                      days[-1][1], now=now), 1)
            rows.append(_row(f"/uptime owner_class {owner}, 30 days (dashboard card, before)", took,
                             f"{one.cameras:,} cameras, online {one.figures()['online_rate']:.4f}"))
        common.print_table(("call", "min s", "median s", "max s", "result"), rows,
                           title=f"\ndaily series ({args.engine}, {args.cameras:,} cameras)")
    finally:
        await common.close_database()


if __name__ == "__main__":
    main()
