"""Benchmark: the map's one request for every camera (GET /api/v1/map/points) at city scale.

    python bench/map_points.py --engine sqlite [--cameras 100000] [--rounds 5]
    python bench/map_points.py --engine postgres

Writes N in-service cameras with coordinates around 柳州 and a measured state for each (rows
straight to the tables, as the import and the probe writer would leave them), then times the
service function (map_points) and the HTTP answer through the app (auth, encoding included), and
prints the answer's size, plain and gzipped. Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's assetsvc, not the installed one

import common  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--cameras", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    common.run_on(args.engine, lambda: run(args))


async def fill(count: int) -> None:
    from assetsvc import bulk, db
    from assetsvc.monitoring.tables import DeviceState
    from assetsvc.registry.tables import Camera

    rng = random.Random(common.SEED)
    states = [("up", "")] * 90 + [("down", "reach:timeout")] * 5 + [("degraded", "picture:dark")] * 3 + [("unknown", "stale")] * 2
    async with db.write_transaction():
        for start in range(0, count, 10_000):
            ids = range(start, min(count, start + 10_000))
            await bulk.insert_rows(Camera, [{"gb_id": f"450204000413{n:08d}", "name": f"摄像机{n}", "region_code": "450204",
                                             "longitude": round(rng.uniform(109.2, 109.6), 6),
                                             "latitude": round(rng.uniform(24.1, 24.5), 6), "status": "active"}
                                            for n in ids])
    rows = await bulk.fetch(Camera, "SELECT id FROM camera")
    async with db.write_transaction():
        picked = [rng.choice(states) for _ in rows]
        await bulk.insert_rows(DeviceState, [{"subject_type": "camera", "subject_id": r["id"], "state": s, "cause": c,
                                              "since": 0.0} for r, (s, c) in zip(rows, picked)])


async def run(args) -> None:
    import httpx

    from assetsvc.accounts.service import issue_token
    from assetsvc.accounts.tables import User
    from assetsvc.api.app import create_app
    from assetsvc.monitoring.map_points import map_points

    await common.open_database()
    started = time.perf_counter()
    await fill(args.cameras)
    print(f"\n{args.cameras:,} cameras and states written in {time.perf_counter() - started:.1f} s")
    service, cpu = [], []
    for _ in range(args.rounds):
        t0, c0 = time.perf_counter(), time.process_time()
        found = await map_points(common.admin_actor())
        service.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)  # this process, all threads (aiosqlite's included)
    assert found.count == args.cameras
    await User(username="bench-admin", password_hash="x", role="admin").save().run()
    token = await issue_token("bench-admin", "api")
    timings, body, wire = [], b"", 0
    transport = httpx.ASGITransport(app=create_app(manage_db=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            answer = await client.get("/api/v1/map/points", headers={"Authorization": f"Bearer {token}"})
            timings.append(time.perf_counter() - t0)
            answer.raise_for_status()
            body, wire = answer.content, answer.num_bytes_downloaded  # httpx asks for gzip by default
    common.print_table(("what", "p50 ms", "p95 ms", "max ms", "mean ms"), [
        ("map_points() service", *[f"{v:.0f}" for v in common.summary_ms(service)]),
        ("map_points() CPU of this process", *[f"{v:.0f}" for v in common.summary_ms(cpu)]),
        ("GET /api/v1/map/points (in-process)", *[f"{v:.0f}" for v in common.summary_ms(timings)])],
        title=f"{args.cameras:,} cameras, {args.rounds} rounds")
    print(f"answer: {len(body) / 2**20:.2f} MiB JSON, {len(gzip.compress(body)) / 2**20:.2f} MiB gzipped, "
          f"{wire / 2**20:.2f} MiB on the wire "
          f"({len(body) / args.cameras:.1f} bytes per camera); peak RSS {common.peak_rss_mb():.0f} MB; "
          f"load average {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    await common.close_database()


if __name__ == "__main__":
    main()
