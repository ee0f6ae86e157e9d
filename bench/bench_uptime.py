"""Benchmark: uptime of one region over 30 days with 100,000 cameras' state intervals.

    python bench/bench_uptime.py                      # SQLite (a throw-away file)
    python bench/bench_uptime.py --engine postgres    # a throw-away PostgreSQL database
    python bench/bench_uptime.py --cameras 20000 --days 7 --rounds 3

Generates a registry (cameras in district 330106 with sites, stations, owners, contractors and
a two-level switch topology) and a realistic interval history: most cameras stay up with a rare
outage, some go degraded every night (picture:dark), a few flap many times a day, a few are
dead for days, some outages are an upstream switch's, and data gaps are `unknown`. Then it
times the uptime service as the API calls it: the region's figures, the worst-cameras page,
one contractor's figures, and the region again with a window over the whole region (every
camera then takes the exact maintenance path). Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from typing import Any

import common

DAY = 86_400.0
REGION = "330106"
PER_EDGE = 50  # cameras per access switch
EDGES_PER_CORE = 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--cameras", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=30, help="length of the period (days)")
    parser.add_argument("--history", type=int, default=30, help="days of intervals before the period")
    parser.add_argument("--density", type=float, default=1.0, help="multiply every profile's outage rate")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each query (default 3)")
    args = parser.parse_args()
    common.run_on(args.engine, lambda: run(args))


async def run(args: argparse.Namespace) -> None:
    await common.open_database()
    try:
        start = 1_793_462_400.0  # 2026-11-01T00:00:00+08:00
        end = start + args.days * DAY
        made = await load(args.cameras, start - args.history * DAY, end, random.Random(common.SEED), args.density)
        await analyze()
        print(f"\ndata: {args.cameras:,} cameras, {made['intervals']:,} intervals over "
              f"{args.days + args.history} days ({made['intervals'] / args.cameras / (args.days + args.history):.2f} "
              f"per camera per day), {made['windows']} maintenance windows; loaded in {made['seconds']:.1f} s")
        await measure(args, start, end, made)
    finally:
        await common.close_database()


async def load(count: int, begin: float, end: float, rnd: random.Random, density: float) -> dict[str, Any]:
    """The registry and the intervals, bulk inserted straight through the driver."""
    from assetsvc import bulk, db
    from assetsvc.monitoring.tables import StateInterval
    from assetsvc.registry.tables import Camera, Contractor, Owner, ServicePeriod, Site, Station, UpstreamDevice

    started = time.perf_counter()
    contractors = await _ids(Contractor, [{"name": f"运维{i}"} for i in range(8)])
    owners = await _ids(Owner, [{"name": f"建设单位{c}", "owner_class": c} for c in ("police", "government", "social")])
    stations = await _ids(Station, [{"name": f"派出所{i}", "region_code": REGION} for i in range(20)])
    sites = await _ids(Site, [{"name": f"点位{i}", "region_code": REGION} for i in range(count // 4 + 1)])
    cores = await _ids(UpstreamDevice, [{"name": f"核心{i}", "kind": "switch", "region_code": REGION}
                                        for i in range(count // (PER_EDGE * EDGES_PER_CORE) + 1)])
    edges = await _ids(UpstreamDevice, [{"name": f"接入{i}", "kind": "switch", "region_code": REGION,
                                         "parent": cores[i // EDGES_PER_CORE]} for i in range(count // PER_EDGE + 1)])
    cameras = [{"gb_id": f"{REGION}00011320{n:06d}", "name": f"摄像机{n}", "region_code": REGION,
                "site": sites[n // 4], "station": stations[n % len(stations)],
                "owner": owners[rnd.choices((0, 1, 2), (5, 2, 3))[0]], "contractor": contractors[n % 8],
                "upstream": edges[n // PER_EDGE]} for n in range(count)]
    camera_ids = await _ids(Camera, cameras)
    # Every camera in service from the start of its history (one open period, as the migration gives
    # the cameras registered before service periods were records); one in 50 left service for 3 days.
    periods = []
    for cam in camera_ids:
        if rnd.random() < 0.02:
            gone = begin + rnd.uniform(0, end - begin - 3 * DAY)
            periods += [{"camera_id": cam, "starts_at": begin, "ends_at": gone},
                        {"camera_id": cam, "starts_at": gone + 3 * DAY, "ends_at": None}]
        else:
            periods.append({"camera_id": cam, "starts_at": begin, "ends_at": None})
    for i in range(0, len(periods), 5000):
        async with db.write_transaction():
            await bulk.insert_rows(ServicePeriod, periods[i:i + 5000])
    intervals = 0
    fleet_gaps = [begin + rnd.uniform(0, end - begin) for _ in range(round((end - begin) / DAY / 15))]
    for i in range(0, len(camera_ids), 2000):
        rows = [row for n, cam in enumerate(camera_ids[i:i + 2000], i)
                for row in history(cam, edges[n // PER_EDGE], begin, end, rnd, density, fleet_gaps)]
        async with db.write_transaction():
            await _copy(StateInterval, rows)
        intervals += len(rows)
    windows = await maintenance_windows(camera_ids, sites, edges, cores, begin + 5 * DAY, end, rnd)
    return {"intervals": intervals, "windows": windows, "cameras": camera_ids, "edge": edges[0],
            "contractor": contractors[0], "seconds": time.perf_counter() - started}


async def analyze() -> None:
    """Table statistics, as PostgreSQL's autovacuum would have them after a bulk load."""
    from assetsvc import bulk, db
    from assetsvc.monitoring.tables import StateInterval

    if not db.is_sqlite():
        await bulk.fetch(StateInterval, "ANALYZE")


async def _ids(table: Any, rows: list[dict[str, Any]]) -> list[int]:
    from assetsvc import bulk, db

    ids: list[int] = []
    for i in range(0, len(rows), 5000):
        part = rows[i:i + 5000]
        async with db.write_transaction():
            if db.is_sqlite():
                await bulk.insert_rows(table, part)
                last = await bulk.fetch(table, f"SELECT MAX(id) AS id FROM {table._meta.tablename}")
                ids += list(range(last[0]["id"] - len(part) + 1, last[0]["id"] + 1))
            else:
                ids += [r["id"] for r in await bulk.insert_postgres(table, part, " RETURNING id")]
    return ids


COLUMNS = ("subject_type", "subject_id", "state", "cause", "root_upstream", "start", "end")


async def _copy(table: Any, rows: list[tuple]) -> None:
    """PostgreSQL COPY, SQLite executemany: 4 million rows take a minute, not ten."""
    from assetsvc import bulk, db

    conn = bulk.connection(table)
    if db.is_sqlite():
        await conn.executemany('INSERT INTO state_interval (subject_type, subject_id, state, cause, '
                               'root_upstream, start, "end") VALUES (?,?,?,?,?,?,?)', rows)
    else:
        await conn.copy_records_to_table("state_interval", records=rows, columns=list(COLUMNS))


# name: (share of cameras, outages a day, mean outage length in s). A city network as offices
# describe it: most cameras drop about once a month for hours; a few flap on a bad link or
# power supply; a few are broken for days awaiting repair; some lose the picture every night.
PROFILES = {
    "stable": (82, 0.03, 6 * 3600),
    "night": (5, 0.03, 6 * 3600),  # plus picture:dark (degraded) every night
    "flaky": (10, 3.0, 900),
    "dead": (3, 0.02, 5 * DAY),
}


def history(cam: int, edge: int, begin: float, end: float, rnd: random.Random, density: float = 1.0,
            fleet_gaps: list[float] = ()) -> list[tuple]:
    """One camera's intervals from `begin` (the last one open), by a profile drawn for the camera."""
    names = list(PROFILES)
    profile = rnd.choices(names, [PROFILES[n][0] for n in names])[0]
    _, per_day, mean_outage = PROFILES[profile]
    events: list[tuple[float, str, str, int | None]] = [(begin, "unknown", "no data", None),
                                                         (begin + rnd.uniform(60, 600), "up", "", None)]
    t = events[-1][0]
    while True:
        t += rnd.expovariate(per_day * density / DAY)
        if t >= end:
            break
        roll = rnd.random()
        cause = ("upstream" if roll < 0.2 else "onvif_light:refused" if roll < 0.4 else "onvif_light:timeout")
        events.append((t, "down", cause, edge if cause == "upstream" else None))
        t += rnd.expovariate(1 / mean_outage)
        if t < end:
            events.append((t, "up", "", None))
    if profile == "night":
        day = begin - begin % DAY
        while day < end:  # picture:dark from about 19:00 to 07:00 China time (11:00 to 23:00 UTC)
            events += [(day + 11 * 3600 + rnd.uniform(0, 1800), "degraded", "picture:dark", None),
                       (day + 23 * 3600 + rnd.uniform(0, 1800), "up", "", None)]
            day += DAY
    for gap in fleet_gaps:  # the probe workers were down: every camera unknown (stale) for 20 minutes
        events += [(gap, "unknown", "stale", None), (gap + 1200, "up", "", None)]
    return _intervals(cam, sorted(e for e in events if begin <= e[0] < end))


def _intervals(cam: int, events: list[tuple[float, str, str, int | None]]) -> list[tuple]:
    """Consecutive events -> [start, end) rows; repeated states merge; the last row is open."""
    rows: list[list[Any]] = []
    for at, state, cause, root in events:
        if rows and (rows[-1][2], rows[-1][3]) == (state, cause):
            continue
        if rows:
            rows[-1][6] = at
        rows.append(["camera", cam, state, cause, root, at, None])
    return [tuple(r) for r in rows]


async def maintenance_windows(cameras: list[int], sites: list[int], edges: list[int], cores: list[int],
                              begin: float, end: float, rnd: random.Random) -> int:
    from assetsvc import bulk, db
    from assetsvc.monitoring.tables import MaintenanceWindow

    def one(scope: str, ref: Any) -> dict[str, Any]:
        starts = rnd.uniform(begin, end)
        return {"scope": scope, "scope_ref": str(ref), "starts_at": starts,
                "ends_at": starts + rnd.uniform(2, 8) * 3600, "reason": "计划检修", "created_by": "bench",
                "created_at": begin}

    def some(items: list[int], count: int) -> list[int]:
        return rnd.sample(items, min(count, len(items)))

    rows = ([one("camera", c) for c in some(cameras, 300)] + [one("site", s) for s in some(sites, 30)]
            + [one("upstream", e) for e in some(edges, 10)] + [one("upstream", cores[0])])
    async with db.write_transaction():
        await bulk.insert_rows(MaintenanceWindow, rows)
    return len(rows)


async def measure(args: argparse.Namespace, start: float, end: float, made: dict[str, Any]) -> None:
    from assetsvc import bulk, db
    from assetsvc.accounts.service import Actor
    from assetsvc.monitoring import service
    from assetsvc.monitoring.tables import MaintenanceWindow
    from assetsvc.monitoring.uptime import uptime
    from assetsvc.monitoring.uptime_cameras import camera_rows
    from assetsvc.monitoring.uptime_upstream import upstream_uptime

    admin = common.admin_actor()
    contractor = Actor(user_id=0, username="bench-contractor", role="contractor", contractor_id=made["contractor"])
    theirs = [r["id"] for r in await bulk.fetch(MaintenanceWindow, "SELECT id FROM camera WHERE contractor = ?",
                                                [made["contractor"]])]
    degraded = service.DowntimeRule(degraded=True)
    cases = [
        ("region 330106, 30 days (/uptime)", lambda: uptime(admin, "region", REGION, start, end, now=end)),
        ("same, with causes (?causes=true)",
         lambda: uptime(admin, "region", REGION, start, end, causes=True, now=end)),
        ("region, worst cameras page (/uptime/cameras)",
         lambda: camera_rows(admin, "region", REGION, start, end, now=end)),
        ("one contractor's cameras (1/8)", lambda: uptime(contractor, "all", None, start, end, now=end)),
        ("one contractor's fault seconds, down + degraded (score)",
         lambda: service.fault_seconds(theirs, start, end, degraded, now=end)),
        ("one camera", lambda: uptime(admin, "camera", str(made["cameras"][7]), start, end, now=end)),
        ("one access switch and the cameras it took down",
         lambda: upstream_uptime(admin, made["edge"], start, end, now=end)),
        ("region, the 30 days before (older history)",
         lambda: uptime(admin, "region", REGION, start - 30 * DAY, start, now=end)),
    ]
    rows = [await _time(name, fn, args.rounds) for name, fn in cases]
    async with db.write_transaction():  # the worst case of the maintenance path: every camera covered
        await bulk.insert_rows(MaintenanceWindow, [{
            "scope": "region", "scope_ref": REGION, "starts_at": start + 3 * DAY, "ends_at": start + 3.25 * DAY,
            "reason": "全区网络割接", "created_by": "bench", "created_at": start}])
    rows.append(await _time("region with a window over the whole region", cases[0][1], args.rounds))
    rows.append(await _time("same, worst cameras page", cases[2][1], args.rounds))
    common.print_table(("query", "min s", "median s", "max s", "result"), rows,
                       title=f"Uptime service ({args.engine}, {args.rounds} runs each)")


async def _time(name: str, fn: Any, rounds: int) -> tuple:
    seconds, result = [], None
    for _ in range(rounds):
        began = time.perf_counter()
        result = await fn()
        seconds.append(time.perf_counter() - began)
    if hasattr(result, "by_camera"):
        shown = f"{len(result.by_camera):,} cameras with fault time"
    elif hasattr(result, "figures"):
        figures = result.figures()
        shown = (f"{result.cameras:,} cameras, online {_pct(figures['online_rate'])}, "
                 f"sampled {_pct(result.sampled['online_rate'])}, at hours {_pct(result.sampled_hours['online_rate'])}")
    elif "cameras_down" in result:
        shown = f"online {_pct(result['online_rate'])}, took down {result['cameras_down']['cameras']:,} cameras"
    else:
        shown = f"{result['total']:,} rows, worst online {_pct(result['items'][0]['online_rate'])}"
    return (name, f"{min(seconds):.3f}", f"{statistics.median(seconds):.3f}", f"{max(seconds):.3f}", shown)


def _pct(value: float | None) -> str:
    return "null" if value is None else f"{value * 100:.3f}%"


if __name__ == "__main__":
    main()
