"""Benchmark: import a month of outage history (CSV) for many cameras, then again, then undo it.

    python bench/history_import.py --engine sqlite [--cameras 2000] [--rows-per-camera 50]
    python bench/history_import.py --engine postgres

Each camera's month is a run of alternating online / offline / degraded rows (its last day also
overlaps a live interval, so every camera has one clip). Prints the time of each phase: dry run,
import, the same file again (every row already imported), the month's uptime figures over the
imported intervals, and undo. Asserts nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import io
import time

import common

TZ = dt.timezone(dt.timedelta(hours=8))
MONTH_START = dt.datetime(2025, 12, 1, tzinfo=TZ)
MONTH_S = 31 * 86400


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--cameras", type=int, default=2000)
    parser.add_argument("--rows-per-camera", type=int, default=50)
    args = parser.parse_args()
    bench = common.configure(args.engine)
    try:
        common.print_machine(args.engine)
        asyncio.run(run(args.cameras, args.rows_per_camera))
    finally:
        common.drop(bench)


def gb_id(n: int) -> str:
    return f"45020200011320{n:06d}"


def history_csv(cameras: int, per_camera: int) -> bytes:
    states = (("在线", ""), ("离线", ""), ("异常", "picture:blur"))
    step = MONTH_S / per_camera
    out = io.StringIO()
    out.write("设备编码,状态,原因,开始时间,结束时间,来源\n")
    for n in range(1, cameras + 1):
        for k in range(per_camera):
            state, cause = states[(n + k) % 3]
            start = MONTH_START + dt.timedelta(seconds=int(k * step))
            end = MONTH_START + dt.timedelta(seconds=int((k + 1) * step))
            out.write(f"{gb_id(n)},{state},{cause},{start:%Y-%m-%d %H:%M:%S},{end:%Y-%m-%d %H:%M:%S},bench\n")
    return out.getvalue().encode()


async def run(cameras: int, per_camera: int) -> None:
    from assetsvc import bulk, db
    from assetsvc.monitoring import uptime
    from assetsvc.monitoring.history import batches
    from assetsvc.monitoring.history.importer import import_history
    from assetsvc.monitoring.tables import StateInterval
    from assetsvc.monitoring.uptime_scope import CameraSet
    from assetsvc.registry.tables import Camera

    await common.open_database()
    actor = common.admin_actor()
    async with db.write_transaction():
        await bulk.insert_rows(Camera, [{"gb_id": gb_id(n), "name": f"bench {n}", "region_code": "450202"}
                                        for n in range(1, cameras + 1)])
    ids = {r["gb_id"]: r["id"] for r in await Camera.select(Camera.id, Camera.gb_id).run()}
    live_from = MONTH_START.timestamp() + MONTH_S - 86400  # live history since the month's last day
    async with db.write_transaction():
        await bulk.insert_rows(StateInterval, [{"subject_type": "camera", "subject_id": i, "state": "up",
                                                "cause": "", "start": live_from, "end": None} for i in ids.values()])
    data = history_csv(cameras, per_camera)
    rows = cameras * per_camera
    print(f"\nfile: {len(data) / 2**20:.1f} MB, {rows:,} rows, {cameras:,} cameras\n")
    now = MONTH_START.timestamp() + MONTH_S + 86400
    figures = []

    async def timed(label: str, call):
        t0 = time.perf_counter()
        result = await call()
        figures.append((label, f"{time.perf_counter() - t0:.2f}", f"{rows / (time.perf_counter() - t0):,.0f}"))
        return result

    dry = await timed("dry run", lambda: import_history(data, "h.csv", actor, dry_run=True, tz="+08:00", now=now))
    first = await timed("import", lambda: import_history(data, "h.csv", actor, tz="+08:00", now=now))
    again = await timed("same file again", lambda: import_history(data, "h.csv", actor, tz="+08:00", now=now))
    month = await timed("uptime of the month", lambda: uptime.compute(
        CameraSet("all", None, "1 = 1"), MONTH_START.timestamp(), MONTH_START.timestamp() + MONTH_S, now=now))
    await timed("undo", lambda: batches.undo(actor, first.batch))
    common.print_table(("phase", "seconds", "rows/s"), figures)
    print(f"\ndry run records {dry.summary()['records']:,}; import {first.summary()['records']:,} records, "
          f"{first.summary()['clip']:,} clipped; again {again.summary()['already_imported']:,} already imported; "
          f"month online rate {month.figures()['online_rate']:.4f}")
    await common.close_database()


if __name__ == "__main__":
    main()
