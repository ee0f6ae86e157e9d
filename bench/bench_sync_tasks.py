"""Benchmark: the `sync_tasks` job (monitoring/tasks.py) at 100,000 cameras.

    python bench/bench_sync_tasks.py                      # SQLite (a throw-away file)
    python bench/bench_sync_tasks.py --engine postgres    # a throw-away PostgreSQL database
    python bench/bench_sync_tasks.py --cameras 20000 --rounds 3

Fills a registry (cameras spread over the default monitoring file's classes: ONVIF, SNMP,
RTSP and plain cameras, police/government/social owners, access switches with addresses),
then times with the default monitoring file:
- first sync: every task, state and unknown interval created (and ANALYZE);
- steady sync: nothing changed, the job's minute in a stable registry (the usual case);
- churn sync: 1% of the cameras left service and as many new ones registered.
The camera table is analysed after filling, as a large sheet import does (--no-analyze: not).
Prints figures and the process's peak RSS; asserts nothing about time.

To time another version of the job on the same registry (e.g. the one before the comparison
moved into SQL), pass its file: `git show 849e852:assetsvc/monitoring/tasks.py > /tmp/old.py`
then `--tasks-file /tmp/old.py`.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import sys
import time
from typing import Any

import common
from bench_uptime import _ids

REGION = "450202"
PER_EDGE = 50
PROTOCOLS = ((["onvif", "rtsp"], 55), (["snmp"], 10), (["rtsp"], 20), ([], 15))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--cameras", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5, help="steady syncs timed (default 5)")
    parser.add_argument("--no-analyze", action="store_true",
                        help="leave the camera table unanalysed (as a registry filled row by row, before autovacuum)")
    parser.add_argument("--tasks-file", help="time the sync() of this file instead of assetsvc.monitoring.tasks")
    args = parser.parse_args()
    common.run_on(args.engine, lambda: run(args))


def camera(n: int, rnd: random.Random, owners: list[int], edges: list[int]) -> dict[str, Any]:
    protocols = rnd.choices([p for p, _ in PROTOCOLS], [w for _, w in PROTOCOLS])[0]
    return {"gb_id": f"{REGION}00011320{n:06d}", "name": f"摄像机{n}", "region_code": REGION,
            "owner": owners[rnd.choices((0, 1, 2), (5, 2, 3))[0]], "upstream": edges[n // PER_EDGE % len(edges)],
            "point_class": rnd.choice((1, 2, 3, 4, None)), "probe_protocols": protocols,
            "ipv4": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"}


async def run(args: argparse.Namespace) -> None:
    from assetsvc import bulk, db
    from assetsvc.monitoring import tasks

    if args.tasks_file:
        spec = importlib.util.spec_from_file_location("assetsvc.monitoring.tasks_timed", args.tasks_file)
        tasks = sys.modules[spec.name] = importlib.util.module_from_spec(spec)  # dataclasses look it up
        spec.loader.exec_module(tasks)
    from assetsvc.monitoring.config import default_text, parse
    from assetsvc.registry.tables import Camera, Owner, UpstreamDevice

    await common.open_database()
    try:
        rnd = random.Random(common.SEED)
        started = time.perf_counter()
        owners = await _ids(Owner, [{"name": f"建设单位{c}", "owner_class": c} for c in ("police", "government", "social")])
        edges = await _ids(UpstreamDevice, [{"name": f"接入{i}", "kind": "switch", "region_code": REGION,
                                             "ipv4": f"10.200.{i // 256 % 256}.{i % 256}"}
                                            for i in range(args.cameras // PER_EDGE + 1)])
        camera_ids = await _ids(Camera, [camera(n, rnd, owners, edges) for n in range(args.cameras)])
        if not args.no_analyze:  # as a sheet import of this size does (registry/importer.py)
            await db.engine().run_ddl("ANALYZE camera")
        print(f"\nregistry: {len(camera_ids):,} cameras, {len(edges):,} access switches; "
              f"filled in {time.perf_counter() - started:.1f} s"
              f"{' (camera table never analysed)' if args.no_analyze else ', camera table analysed'}")
        config = parse(default_text(), "default")
        now = 1_793_462_400.0
        rows = []

        async def timed(name: str, note: str) -> tasks.SyncReport:
            began = time.perf_counter()
            report = await tasks.sync(config, now, random.Random(1))
            rows.append((name, f"{time.perf_counter() - began:.3f}", report.tasks_added, report.tasks_removed,
                         report.subjects_added, report.subjects_removed, note))
            return report

        await timed("first sync", "everything new, then ANALYZE")
        for n in range(args.rounds):
            await timed(f"steady sync {n + 1}", "nothing changed")
        churn = max(1, len(camera_ids) // 100)
        leaving = rnd.sample(camera_ids, churn)
        async with db.write_transaction():
            await bulk.execute_many(Camera, "UPDATE camera SET status = 'decommissioned' WHERE id = ?",
                                    [[i] for i in leaving])
        await _ids(Camera, [camera(n, rnd, owners, edges) for n in range(args.cameras, args.cameras + churn)])
        await timed("churn sync", f"{churn:,} cameras left service, {churn:,} registered")
        await timed("steady sync after", "nothing changed")
        common.print_table(("run", "seconds", "tasks +", "tasks -", "subjects +", "subjects -", "note"), rows,
                           title=f"\nsync_tasks, {args.engine}, {args.cameras:,} cameras, {args.tasks_file or 'this tree'}")
        print(f"\npeak RSS {common.peak_rss_mb():.0f} MB; load average {common.load_now()}")
    finally:
        await common.close_database()


if __name__ == "__main__":
    main()
