"""Benchmark: one full light cycle of the monitoring engine over a simulated fleet of 100,000 cameras.

    python bench/bench_monitor_cycle.py --engine sqlite --mode burst [--cycles 2]
    python bench/bench_monitor_cycle.py --engine postgres --mode burst --workers 3
    python bench/bench_monitor_cycle.py --engine postgres --mode paced [--every 300]
    python bench/bench_monitor_cycle.py ... --profile 30 [--profile-out worker.txt]

Real processes on loopback: `python -m assetsvc.simfleet --faults none` (every camera healthy), a
fresh database (a temp SQLite file, or PostgreSQL `bench_monitor_<pid>`) holding the fleet's
cameras (bulk inserted: register() would take 7 minutes), a monitoring file with one class (ONVIF
cameras, light plan `onvif_light` only; the shipped rules and limits, or --limit key=value), the
probe tasks made by tasks.sync() as the leader's job makes them, and --workers
`python -m assetsvc.cli worker` processes. `burst`: every light task is due now (the capacity: how
fast a full cycle can go); `paced`: first runs spread over one interval, as in service (CPU over
one real interval; --every shortens it). A cycle is complete when every light task has run since
it began (probe_task.last_run_at), polled every 2 s with a bounded wait; the first cycle is the
heavier one (every camera's state goes from unknown to up), --cycles measures the next ones too.
On PostgreSQL the benchmark does autovacuum's work itself (ANALYZE, later VACUUM ANALYZE) inside
the measured window, since a test server may run without it (--no-analyze shows that case).

CPU is read from /proc/<pid>/stat (PostgreSQL's per server process, the benchmark database's
backends apart) and /proc/stat (interrupts: loopback TCP is processed there, charged to no
process). The fleet, the workers and the database share this machine's cores; other sessions on
the machine show as "processes not listed". Prints figures; asserts nothing about time. Everything
it started is stopped and its database dropped at the end, on errors, Ctrl-C and SIGTERM too.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import common
import monitor_setup as ms

POLL_S = 2.0
MAINTAINED = ("probe_task", "device_state", "state_interval", "latest_result", "result_history", "camera")
STRAGGLERS_AFTER_S = 10.0  # > probe timeout + a flush: every run in flight at a re-arm is written by then
LIMIT_KEYS = ("global", "per_upstream", "per_subnet", "batch", "lease_s", "idle_poll_s")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--mode", choices=("burst", "paced"), default="burst")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--cameras", type=int, default=100_000)
    parser.add_argument("--every", type=float, default=300.0, help="light interval, seconds (default 300)")
    parser.add_argument("--probe-timeout", type=float, default=5.0)
    parser.add_argument("--limit", action="append", default=[], metavar="KEY=VALUE",
                        help="override a [limits] value of the shipped file (global, batch, per_subnet, ...)")
    parser.add_argument("--cycles", type=int, default=1,
                        help="cycles to measure, one after the other (the first is the heavier: every state is new)")
    parser.add_argument("--no-analyze", dest="analyze", action="store_false",
                        help="PostgreSQL: skip the ANALYZE at the start of the first cycle and VACUUM ANALYZE "
                             "at the start of later ones (autovacuum's work, for servers running without it)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=0.0,
                        help="give up on the cycle after this many seconds (default: burst 900, paced 2 x every + 120)")
    parser.add_argument("--profile", type=float, default=0.0, metavar="SECONDS",
                        help="py-spy the first worker for this long, from 5 s into the cycle")
    parser.add_argument("--profile-out", type=Path, default=None, help="keep py-spy's raw stacks in this file")
    args = parser.parse_args()
    args.timeout = args.timeout or (900.0 if args.mode == "burst" else 2 * args.every + 120)
    if min(args.workers, args.cameras, args.cycles) < 1:
        parser.error("--workers, --cameras and --cycles must be at least 1")
    return args


def limits(overrides: list[str]) -> dict[str, float]:
    """--limit key=value pairs for the [limits] table."""
    values = {}
    for item in overrides:
        key, _, value = item.partition("=")
        if key not in LIMIT_KEYS or not value:
            raise SystemExit(f"--limit {item!r}: use one of {', '.join(LIMIT_KEYS)} = number")
        values[key] = float(value)
    return values


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM unwinds like Ctrl-C, so the clean-up in main() always runs


def main() -> None:
    args = arguments()
    signal.signal(signal.SIGTERM, _interrupted)
    database: ms.Database | None = None
    children: ms.Children | None = None
    try:
        database = ms.configure(args.engine)
        children = ms.Children(database.data_dir)
        common.print_machine(args.engine)
        asyncio.run(run(args, database, children))
    except KeyboardInterrupt:
        print("\ninterrupted: stopping the fleet and the workers", file=sys.stderr)
    finally:
        if children is not None:
            children.stop()
        if database is not None:
            ms.drop(database)


async def run(args: argparse.Namespace, database: ms.Database, children: ms.Children) -> None:
    fleet_pid, ready = ms.start_fleet(children, args.cameras, args.seed)
    print(f"\nfleet: pid {fleet_pid}, {ready['count']:,} cameras, ONVIF port {ready['ports']['onvif']}, "
          f"ready in {ready['start_s']} s, RSS {ready['rss_mb']} MB")
    await common.open_database()
    try:
        started = time.perf_counter()
        inserted = await ms.insert_cameras(args.cameras, args.seed, ready["ports"])
        print(f"registry: {inserted:,} cameras inserted in {time.perf_counter() - started:.1f} s")
        config_text = ms.monitoring_toml(args.every, args.probe_timeout, limits(args.limit))
        config_path = database.data_dir / "monitoring.toml"
        config_path.write_text(config_text)
        workers = {f"worker{n}": ms.start_worker(children, n, config_path) for n in range(1, args.workers + 1)}
        await wait_for_nodes(children, len(workers))
        named = {**workers, "simfleet": fleet_pid, "bench (this process: polling)": os.getpid()}
        await cycles(args, database, children, config_text, named)
    finally:
        await common.close_database()


async def wait_for_nodes(children: ms.Children, count: int, timeout_s: float = 60.0) -> None:
    """The workers are up once each has written its heartbeat row (bounded wait)."""
    from assetsvc import bulk
    from assetsvc.monitoring.tables import Node

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        check_alive(children)
        rows = await bulk.fetch(Node, "SELECT count(*) AS n FROM monitor_node WHERE role = 'worker'")
        if rows[0]["n"] >= count:
            return
        await asyncio.sleep(0.5)
    raise SystemExit(f"workers not up within {timeout_s:g} s:\n{children.log_tail('worker1')}")


def check_alive(children: ms.Children) -> None:
    for name, proc in children.procs:
        if name != "py-spy" and proc.poll() is not None:
            raise SystemExit(f"{name} exited with code {proc.returncode}:\n{children.log_tail(name)}")


@dataclass
class Cycle:
    """One measured cycle: from `began` (wall clock) until every light task ran in it."""

    index: int
    began: float
    tasks: int
    meter: ms.CpuMeter
    results_before: int
    pg_before: dict
    rearmed: int = 0  # burst cycles after the first: tasks made due again (one update each)
    done: int = 0
    results: int = 0
    wall: float = 0.0


async def poll(began: float) -> tuple[int, int]:
    """(light tasks that ran since `began`, results written in all so far)."""
    from assetsvc import bulk
    from assetsvc.monitoring.tables import ProbeTask

    rows = await bulk.fetch(ProbeTask, "SELECT count(CASE WHEN last_run_at >= ? THEN 1 END) AS n, "
                            "coalesce(sum(runs), 0) AS runs FROM probe_task WHERE plan = 'light'", [began])
    return int(rows[0]["n"] or 0), int(rows[0]["runs"])


async def rearm() -> int:
    """Burst again: every light task due now, keeping their order (the oldest slot first)."""
    from assetsvc import bulk, db
    from assetsvc.monitoring.tables import ProbeTask

    async with db.write_transaction():
        top = (await bulk.fetch(ProbeTask, "SELECT max(due_at) AS top FROM probe_task"))[0]["top"]
        # Leased or locked rows are left alone (rearm_stragglers catches them later): waiting on a
        # worker's row locks deadlocked with its flush, and a worker exits on that error.
        pick = "SELECT id FROM probe_task WHERE plan = 'light' AND lease_owner IS NULL"
        await bulk.execute_many(ProbeTask, f"UPDATE probe_task SET due_at = due_at - ? WHERE id IN ({pick}"
                                + (")" if db.is_sqlite() else " FOR UPDATE SKIP LOCKED)"), [[top - time.time() + 1.0]])
        return (await bulk.fetch(ProbeTask, "SELECT count(*) AS n FROM probe_task WHERE plan = 'light' "
                                 "AND due_at <= ?", [time.time()]))[0]["n"]


async def rearm_stragglers(began: float) -> None:
    """Tasks a worker was finishing during the re-arm: its completion wrote their next due time
    over the re-arm's (phase-locked, in the future), though their run ended before the cycle began."""
    from assetsvc import bulk, db
    from assetsvc.monitoring.tables import ProbeTask

    pick = "SELECT id FROM probe_task WHERE plan = 'light' AND lease_owner IS NULL AND last_run_at < ? AND due_at > ?"
    async with db.write_transaction():
        await bulk.execute_many(ProbeTask, f"UPDATE probe_task SET due_at = ? WHERE id IN ({pick}"
                                + (")" if db.is_sqlite() else " FOR UPDATE SKIP LOCKED)"), [[began, began, began]])


async def autovacuum(database: ms.Database, vacuum: bool) -> None:
    """PostgreSQL: what autovacuum does on a production server, inside the measured window.

    This server may run with autovacuum=off; without statistics the freshly loaded tables get
    generic plans for the workers' prepared `subject_id IN (...)` queries that filter every row
    (measured: 163 ms per query instead of 0.9 ms). --no-analyze shows that case.
    """
    if database.pg_name is None:
        return
    import asyncpg

    conn = await asyncpg.connect(database.url)
    try:
        for table in MAINTAINED:
            await conn.execute(f"{'VACUUM ANALYZE' if vacuum else 'ANALYZE'} {table}")
    finally:
        await conn.close()


async def cycles(args: argparse.Namespace, database: ms.Database, children: ms.Children, config_text: str,
                 named: dict[str, int]) -> None:
    from assetsvc.monitoring import tasks
    from assetsvc.monitoring.config import parse

    before = ms.machine_cpu_s()
    await asyncio.sleep(3)
    idle = {k: v - before[k] for k, v in ms.machine_cpu_s().items()}
    print(f"machine before the cycle (workers idle): {100 * (idle['processes'] + idle['irq']) / idle['total']:.0f}% "
          f"of {os.cpu_count()} cores busy (other sessions; figures below are only clean when this is near 0)")
    # Read before the sync: a backend reports its statistics up to a second late, so the sync's own
    # inserts are subtracted (they are known exactly) rather than raced.
    pg_before = await ms.pg_counters(database)
    now = time.time()
    # burst: first runs spread over the interval that just ended, so all are due now (oldest first);
    # paced: over the interval starting now, as the leader's sync job does for new devices.
    sync = await tasks.sync(parse(config_text, "bench"), now - args.every if args.mode == "burst" else now,
                            random.Random(args.seed))
    print(f"tasks: {sync.tasks_added:,} light tasks ({args.mode}), {args.workers} worker(s), every {args.every:g} s; "
          f"load {common.load_now()}")
    if database.pg_name:
        setting = await ms.pg_admin("SHOW autovacuum")
        print(f"PostgreSQL autovacuum = {setting}; the benchmark "
              + ("runs ANALYZE (first cycle) and VACUUM ANALYZE (later cycles) itself, inside the measured window"
                 if args.analyze else "does no ANALYZE/VACUUM (--no-analyze)"))
    results_before, profile = 0, Path(args.profile_out or database.data_dir / "py-spy.txt")
    for index in range(1, args.cycles + 1):
        # A cycle begins before its tasks are made due (the sync, a re-arm): a run that ends
        # meanwhile belongs to it.
        meter, began = ms.CpuMeter(named, database.pg_name), now if index == 1 else time.time()
        rearmed = await rearm() if index > 1 and args.mode == "burst" else 0
        meter.start()
        if args.analyze:
            await autovacuum(database, vacuum=index > 1)
        run = Cycle(index, began, sync.tasks_added, meter, results_before, pg_before, rearmed)
        await watch(args, children, run, profile if index == args.cycles else None)
        meter.stop()
        last = index == args.cycles
        figures = await db_figures(args, run.began)
        counts = await finish_workers(args, children, named) if last else {}
        pg_after = await ms.pg_counters(database)
        results_after = (await poll(run.began))[1]
        report(args, run, figures, counts, pg_after, results_after, sync if index == 1 else None)
        results_before, pg_before = results_after, pg_after
    if args.profile:
        print(f"\npy-spy of worker1 ({args.profile:g} s from 5 s into the last cycle, 100 Hz, non-blocking)"
              + (f"; raw stacks kept in {profile}" if args.profile_out else ""))
        print("\n".join(ms.profile_summary(profile)))


async def watch(args: argparse.Namespace, children: ms.Children, run: Cycle, profile: Path | None) -> None:
    """Poll until every light task ran (paced: and one interval passed) or the bounded wait ends."""
    t0, spy, straggled = time.monotonic(), None, False
    next_print = t0 + 15
    while True:
        await asyncio.sleep(POLL_S)
        check_alive(children)
        run.meter.sample()
        run.done, total = await poll(run.began)
        run.results, run.wall = total - run.results_before, time.monotonic() - t0
        if run.rearmed and not straggled and run.wall >= max(STRAGGLERS_AFTER_S, args.probe_timeout + 5):
            straggled = await rearm_stragglers(run.began) or True
        if profile and args.profile and spy is None and run.wall >= 5:
            spy = ms.start_profile(children, run.meter.named["worker1"], args.profile, profile) or False
        if time.monotonic() >= next_print:
            next_print += 15
            print(f"  cycle {run.index}, {run.wall:4.0f} s: {run.done:,}/{run.tasks:,} tasks ran, "
                  f"{run.results / run.wall:,.0f} results/s, load {common.load_now()}", flush=True)
        finished = run.done >= run.tasks and (args.mode == "burst" or run.wall >= args.every)
        if finished or run.wall >= args.timeout:
            if not finished:
                print(f"TIMEOUT: {run.done:,} of {run.tasks:,} tasks ran after {run.wall:.0f} s")
            return


async def finish_workers(args: argparse.Namespace, children: ms.Children, named: dict[str, int]) -> dict[int, int]:
    """Each worker's probe count (from its heartbeat), then stop the workers (and wait for py-spy)."""
    from assetsvc import bulk
    from assetsvc.monitoring.tables import Node

    await asyncio.sleep(6)  # one more heartbeat (every 5 s) carries each worker's final count
    rows = await bulk.fetch(Node, "SELECT pid, probes_done FROM monitor_node WHERE role = 'worker'")
    for name, proc in children.procs:
        if name == "py-spy":
            try:
                proc.wait(timeout=args.profile + 30)
            except subprocess.TimeoutExpired:
                pass  # reported as a missing profile
    # Stopped before the counters are read: a backend flushes its statistics when it exits.
    children.stop({n for n in named if n.startswith("worker")})
    return {r["pid"]: r["probes_done"] for r in rows}


async def db_figures(args: argparse.Namespace, began: float) -> dict:
    """Outcomes, probe durations and (paced) lateness of the results since `began`."""
    from assetsvc import bulk
    from assetsvc.monitoring.tables import LatestResult, ProbeTask

    outcomes = await bulk.fetch(LatestResult, "SELECT ok, error, count(*) AS n FROM latest_result WHERE at >= ? "
                                "GROUP BY ok, error", [began])
    durations = [r["duration_ms"] for r in await bulk.fetch(
        LatestResult, "SELECT duration_ms FROM latest_result WHERE at >= ?", [began])]
    # A task that ran on time has due_at = its last scheduled time + every (phase-locked), so
    # last_run_at - (due_at - every) is how late its last run finished (probe time included).
    late = [r["late"] for r in await bulk.fetch(
        ProbeTask, "SELECT last_run_at - (due_at - ?) AS late FROM probe_task WHERE last_run_at >= ? "
        "AND failures = 0 AND lease_owner IS NULL", [args.every, began])]
    return {"ok": sum(r["n"] for r in outcomes if r["ok"]),
            "failed": {r["error"]: r["n"] for r in outcomes if not r["ok"]},
            "durations": durations, "late": late}


def report(args: argparse.Namespace, run: Cycle, figures: dict, counts: dict[int, int], pg_after: dict,
           results_after: int, sync) -> None:
    print_cycle(args, run, figures)
    print_cpu(args, run, counts)
    print_writes(args, run, pg_after, results_after, sync)


def print_cycle(args: argparse.Namespace, run: Cycle, figures: dict) -> None:
    durations, done, runs, wall = figures["durations"] or [math.nan], run.done, run.results, run.wall
    failed = ", ".join(f"{k} {v:,}" for k, v in figures["failed"].items()) or "0"
    common.print_table(
        ("engine", "mode", "workers", "cameras", "light tasks run", "results", "wall s", "results/s",
         "ok", "failed", "probe ms p50", "p95", "max"),
        [(args.engine, args.mode, args.workers, args.cameras, done, runs, round(wall, 1), round(runs / wall, 1),
          figures["ok"], failed, *(round(common.percentile(durations, q), 1) for q in (0.5, 0.95, 1.0)))],
        title=f"Cycle {run.index} of {args.cycles} (onvif_light, every {args.every:g} s) over the simulated fleet, "
              f"load {common.load_now()}")
    needed = args.cameras / args.every
    if args.mode == "burst":
        verdict = "met" if done >= run.tasks and wall <= args.every else "MISSED"
        print(f"target: a full cycle within the {args.every:g} s interval: {verdict} ({wall:.0f} s; "
              f"capacity {runs / wall:,.0f} results/s = {runs / wall / needed:.1f}x the {needed:,.0f}/s needed)")
    elif figures["late"]:
        late = figures["late"]
        print(f"lateness of each task's last run (finish - scheduled, probe time included), s: "
              f"p50 {common.percentile(late, 0.5):.2f}, p95 {common.percentile(late, 0.95):.2f}, "
              f"p99 {common.percentile(late, 0.99):.2f}, max {max(late):.2f} ({len(late):,} tasks)")


def print_cpu(args: argparse.Namespace, run: Cycle, counts: dict[int, int]) -> None:
    rate, meter, runs, rows = args.cameras / args.every, run.meter, run.results, []
    workers = [n for n in meter.named if n.startswith("worker")]

    def row(name: str, cpu: float, pid: int | None = None, note: str = "") -> None:
        per = cpu * 1000 / max(runs, 1)
        rss, peak = meter.memory[pid] if pid else ("", "")
        rows.append((name, round(cpu, 1), round(100 * cpu / meter.seconds, 1), round(per, 3),
                     round(100 * per * rate / 1000, 1), rss, peak, note))

    for name in workers:
        pid = meter.named[name]
        row(name, meter.used(pid), pid, f"{counts[pid]:,} probes in all cycles" if pid in counts else "")
    worker_cpu = sum(meter.used(meter.named[n]) for n in workers)
    if len(workers) > 1:
        row("workers, together", worker_cpu)
    row("simfleet", meter.used(meter.named["simfleet"]), meter.named["simfleet"])
    machine = meter.machine
    other = machine["processes"] - worker_cpu - meter.used(meter.named["simfleet"])
    if meter.pg_database:
        row("postgres: the benchmark database's backends", meter.postgres("ours"))
        row("postgres: server processes", meter.postgres("server"), note="walwriter, checkpointer, ...")
        row("postgres: together", meter.postgres("ours", "server"))
        row("postgres: other databases' backends", meter.postgres("other"), note="other sessions, not ours")
        other -= meter.postgres("ours", "server", "other")
    bench = meter.named["bench (this process: polling)"]
    row("bench (this process: polling)", meter.used(bench), bench)
    other -= meter.used(bench)
    busy = machine["processes"] + machine["irq"]
    row("machine: processes + interrupts", busy,
        note=f"{100 * busy / max(machine['total'], 1e-9):.0f}% of {os.cpu_count()} cores")
    row("  processes not listed above", other, note="other sessions on this machine (±2 s: rounding)")
    row("  interrupts (softirq: loopback TCP)", machine["irq"], note="charged to no process")
    row("machine: steal", machine["steal"], note="CPU the hypervisor gave to others")
    common.print_table(("process", "CPU s", "% of one core", "CPU ms/result", f"% of a core at {rate:,.0f}/s",
                        "RSS MB", "peak RSS MB", ""), rows,
                       title=f"CPU over the cycle ({meter.seconds:.0f} s; fleet, workers and database share "
                             f"the machine's {os.cpu_count()} cores)")


def print_writes(args: argparse.Namespace, run: Cycle, after: dict, results_after: int, sync) -> None:
    before, runs, wall = run.pg_before, run.results, run.wall
    runs_total = results_after - run.results_before
    rows = [("results written", "", f"{runs:,}", f"{runs / wall:,.0f}")]
    if before and after:
        # Counters were read after the workers stopped (a backend flushes its statistics on exit),
        # so they cover the results written by then: per-result ratios use that count, and the
        # per-second figure is per-result x results per second of the cycle.
        made = {"probe_task": sync.tasks_added, "device_state": sync.subjects_added,
                "state_interval": sync.subjects_added} if sync else {}  # the sync's inserts, not the workers'

        def add(name: str, delta: float) -> None:
            rows.append((name, f"{delta / max(runs_total, 1):.2f}", f"{delta:,.0f}",
                         f"{delta / max(runs_total, 1) * runs / wall:,.0f}"))

        add("PostgreSQL xact_commit (the database's)", after["xact_commit"] - before["xact_commit"])
        total = 0
        for table in ("probe_task", "device_state", "latest_result", "result_history", "state_interval"):
            ins, upd, hot = (a - b for a, b in zip(after.get(table, (0, 0, 0)), before.get(table, (0, 0, 0))))
            ins -= made.get(table, 0)
            upd -= run.rearmed if table == "probe_task" else 0
            total += ins + upd
            add(f"  {table}: rows inserted + updated ({hot:,} updates HOT)", ins + upd)
        add("  together (tup_inserted + tup_updated)", total)
    common.print_table(("database writes", "per result", "count", "per second"), rows,
                       title=f"Writes ({args.engine}; one result = latest_result upsert, history ring slot, "
                             "device_state, probe_task lease and completion)")


if __name__ == "__main__":
    main()
