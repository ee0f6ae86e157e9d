"""Benchmark: the monthly report (November 2026) over the uptime benchmark's registry and interval history.

    python bench/bench_report.py --cameras 5000                 # SQLite (a throw-away file)
    python bench/bench_report.py --cameras 5000 --engine postgres

Loads the same data as bench_uptime.py (cameras in one district with sites, 20 stations, three
owner classes, 8 contractors, a switch topology, realistic outages, maintenance windows) plus a
contract per contractor, then times generating the report (every section; a new draft), generating
it again (same hash: nothing stored), and the XLSX, JSON, CSV and PDF exports. Prints figures and peak RSS;
asserts nothing about time. Tickets are not generated here (the ticket figures run over none).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time

import bench_uptime
import common

DAY = 86_400.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--cameras", type=int, default=5000)
    args = parser.parse_args()
    common.run_on(args.engine, lambda: run(args))


async def run(args: argparse.Namespace) -> None:
    from assetsvc.registry.tables import Contract
    from assetsvc.reports import export, versions

    await common.open_database()
    try:
        start = 1_793_462_400.0  # 2026-11-01T00:00:00+08:00
        end = start + 30 * DAY
        made = await bench_uptime.load(args.cameras, start - 30 * DAY, end, random.Random(common.SEED), 1.0)
        rows = await Contract.raw("SELECT id FROM contractor ORDER BY id").run()
        for i, row in enumerate(rows):
            await Contract(code=f"HT-{i}", contractor=row["id"], region_codes=["330106"], owner_classes=[],
                           starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2027, 12, 31)).save().run()
        await bench_uptime.analyze()
        print(f"\ndata: {args.cameras:,} cameras, {made['intervals']:,} intervals over 60 days, "
              f"{made['windows']} maintenance windows, {len(rows)} contracts; loaded in {made['seconds']:.1f} s")
        actor = common.admin_actor()
        now = end + DAY
        timings = []
        began = time.perf_counter()

        def step(message: str) -> None:  # where the first generation spends its time
            print(f"  {time.perf_counter() - began:7.1f} s  {message}", flush=True)

        first = await versions.generate(actor, "2026-11", now=now, progress=step)
        timings.append(("generate (new draft)", time.perf_counter() - began, first["content_hash"][:12]))
        began = time.perf_counter()
        again = await versions.generate(actor, "2026-11", now=now)
        timings.append(("generate again (same data)", time.perf_counter() - began,
                        "unchanged" if not again["created"] else "NEW VERSION"))
        for fmt, table in (("xlsx", None), ("json", None), ("csv", "uptime"), ("pdf", None)):
            began = time.perf_counter()
            _, _, body = await export.export(actor, "2026-11", fmt, version=1, table=table)
            timings.append((f"export {fmt}", time.perf_counter() - began, f"{len(body):,} bytes"))
        common.print_table(("step", "seconds", "note"), [(n, f"{s:.2f}", note) for n, s, note in timings],
                           title=f"report for {args.cameras:,} cameras ({args.engine})")
        print(f"peak RSS {common.peak_rss_mb():.0f} MB")
    finally:
        await common.close_database()


if __name__ == "__main__":
    main()
