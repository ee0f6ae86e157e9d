"""Benchmark: the simulated fleet's cost (start-up, memory, CPU per request served) on loopback.

    python bench/bench_simfleet.py [--count 100000] [--rate 333] [--seconds 20] [--deep-rate 10]
                                   [--faults none|mix] [--listeners 5000] [--register 0 --engine sqlite]

Runs `python -m assetsvc.simfleet` as its own process and reads its CPU time from
/proc/<pid>/stat while this process sends real probes (probes/) paced at --rate per second to
random devices of the fleet, one probe kind at a time: so the figures are the simulator's cost
per request served, not the client's. Then measures the design the simulator avoids: one
listening socket per device address (--listeners of them, in a child process). Prints tables;
asserts nothing about time. Every loop is bounded in count and seconds; traffic stays on 127/8.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from common import load_now, print_table  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def slab_mb() -> float:
    """The kernel's slab memory (socket structures live there), machine-wide."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("Slab:"):
            return int(line.split()[1]) / 1024
    return 0.0


def proc_rss_mb(pid: int) -> float:
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE / 2**20


def start_fleet(count: int, faults: str) -> tuple[subprocess.Popen, dict, float]:
    began = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "assetsvc.simfleet", "--count", str(count), "--faults", faults,
                             "--onvif-port", "0", "--rtsp-port", "0", "--snmp-port", "0"],
                            cwd=REPO, stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise SystemExit("the fleet exited before it was ready")
        if line.startswith("ready "):
            return proc, json.loads(line[6:]), time.perf_counter() - began
    proc.terminate()
    raise SystemExit("the fleet was not ready within 120 s")


async def paced(kind: str, targets: list, rate: float, seconds: float, pid: int) -> list:
    """Send `kind` probes at `rate`/s for `seconds` (at most rate x seconds of them); fleet CPU per probe."""
    from probes.registry import probe_fn
    from probes.runner import run_probe

    fn, total = probe_fn(kind), int(rate * seconds)
    loop, tasks, outcome = asyncio.get_running_loop(), set(), {"ok": 0, "failed": 0}

    async def one(target) -> None:
        result = await run_probe(kind, fn, target, 5.0)
        outcome["ok" if result.ok else "failed"] += 1

    cpu_before, start = proc_cpu_s(pid), loop.time()
    for i in range(total):
        delay = start + i / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        if len(tasks) < 2000:  # a client that cannot keep up must not pile up without bound
            task = asyncio.create_task(one(targets[i % len(targets)]))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    elapsed, cpu = loop.time() - start, proc_cpu_s(pid) - cpu_before
    done = outcome["ok"] + outcome["failed"]
    return [kind, done, outcome["failed"], round(done / elapsed, 1), round(cpu * 1000 / max(done, 1), 3),
            round(cpu / elapsed, 3), round(proc_rss_mb(pid), 1)]


def targets_for(ready: dict, count: int, upstream: bool, seed: int = 1) -> list:
    from assetsvc.simfleet.layout import Layout
    from probes.types import Credentials, ProbeTarget

    layout, rnd, ports = Layout(count), random.Random(seed), ready["ports"]
    credentials = Credentials("admin", "Sim-Fleet-2026")
    if upstream:
        return [ProbeTarget(layout.upstream_address(rnd.randrange(layout.upstream_count)), snmp_port=ports["snmp"],
                            options={"snmp_timeout_s": 2.0}) for _ in range(5000)]
    return [ProbeTarget(layout.camera_address(rnd.randrange(count)), onvif_port=ports["onvif"],
                        rtsp_port=ports["rtsp"], credentials=credentials, rtsp_path="/Streaming/Channels/101")
            for _ in range(5000)]


async def measure_fleet(args: argparse.Namespace) -> None:
    proc, ready, wall_s = start_fleet(args.count, args.faults)
    try:
        pid = ready["pid"]
        print_table(["cameras", "upstream", "fleet.start() s", "spawn to ready s", "RSS MB"],
                    [[ready["count"], ready["upstream"], ready["start_s"], round(wall_s, 2), ready["rss_mb"]]],
                    f"start-up of python -m assetsvc.simfleet --count {args.count} --faults {args.faults}")
        cpu0 = proc_cpu_s(pid)
        await asyncio.sleep(args.idle)
        print(f"\nidle: {1000 * (proc_cpu_s(pid) - cpu0) / args.idle:.2f} ms CPU per second over {args.idle:g} s")
        cameras, switches = targets_for(ready, args.count, False), targets_for(ready, args.count, True)
        rows = [await paced("onvif_light", cameras, args.rate, args.seconds, pid),
                await paced("snmp_light", switches, args.rate, args.seconds, pid),
                await paced("rtsp", cameras, args.rate, args.seconds, pid),
                await paced("onvif_deep", cameras, args.deep_rate, args.seconds, pid)]
        print_table(["probe kind", "probes", "failed", "probes/s", "fleet CPU ms/probe", "fleet share of a core",
                     "fleet RSS MB"], rows, f"paced probes against the fleet (load {load_now()})")
    finally:
        proc.terminate()
        proc.wait(30)


# --- the design avoided: one listening socket per device ------------------------------------
async def listeners_child(count: int) -> None:
    """Open `count` listening sockets, one per 127.20.x.y address; print RSS and time as JSON."""
    from assetsvc.simfleet.listen import raise_nofile_limit

    soft, _ = raise_nofile_limit()
    count = min(count, soft - 100)
    before, slab, began = proc_rss_mb(os.getpid()), slab_mb(), time.perf_counter()
    loop, servers = asyncio.get_running_loop(), []
    for n in range(count):
        address = f"127.20.{n // 250}.{n % 250 + 1}"
        servers.append(await loop.create_server(asyncio.Protocol, address, 8000))
    print(json.dumps({"count": count, "seconds": time.perf_counter() - began, "nofile": soft,
                      "rss_mb": proc_rss_mb(os.getpid()) - before, "slab_mb": slab_mb() - slab}), flush=True)
    for server in servers:
        server.close()


def measure_listeners(count: int) -> None:
    out = subprocess.run([sys.executable, __file__, "--listeners-child", str(count)], cwd=REPO,
                         capture_output=True, text=True, timeout=600)
    if out.returncode:
        print(f"\nper-address listeners: failed: {out.stderr.strip()[-400:]}")
        return
    got = json.loads(out.stdout.strip().splitlines()[-1])
    per_kb = (got["rss_mb"] + got["slab_mb"]) * 1024 / got["count"]
    per_ms = got["seconds"] * 1000 / got["count"]
    print_table(["listeners", "RSS MB", "kernel slab MB", "KB each", "ms each", "open-files limit",
                 "200k listeners would need"],
                [[got["count"], round(got["rss_mb"], 1), round(got["slab_mb"], 1), round(per_kb, 2),
                  round(per_ms, 3), got["nofile"],
                  f"{per_kb * 200_000 / 1024:,.0f} MB, {per_ms * 200:,.0f} s, 200,000+ descriptors"]],
                "the avoided design: one asyncio listening socket per device address and protocol")


# --- registering the fleet -------------------------------------------------------------------
def measure_register(count: int, engine: str) -> None:
    """register() of a `count`-camera fleet into a fresh database, then once more (nothing to do)."""
    from common import admin_actor, close_database, configure, drop, open_database

    bench = configure(engine)

    async def run() -> list:
        from assetsvc.simfleet import Fleet
        from assetsvc.simfleet.registry import register

        await open_database()
        try:
            fleet, rows = Fleet(count), []
            for label in ("first", "again"):
                began = time.perf_counter()
                summary = await register(fleet, admin_actor())
                seconds = time.perf_counter() - began
                rows.append([engine, label, count, summary["cameras_created"], summary["cameras_completed"],
                             round(seconds, 1), round(seconds * 1000 / count, 2)])
            return rows
        finally:
            await close_database()

    try:
        rows = asyncio.run(run())
    finally:
        drop(bench)
    print_table(["engine", "run", "cameras", "created", "completed", "seconds", "ms per camera"], rows,
                "register(fleet, actor): import_sheet, then update_record for ports/protocols/serial/upstream")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--faults", choices=("none", "mix"), default="none")
    parser.add_argument("--rate", type=float, default=333.0)
    parser.add_argument("--deep-rate", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--idle", type=float, default=5.0)
    parser.add_argument("--listeners", type=int, default=5000)
    parser.add_argument("--register", type=int, default=0, help="also time register() of this many cameras")
    parser.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--skip-fleet", action="store_true", help="only the --register and --listeners parts")
    parser.add_argument("--listeners-child", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.listeners_child:
        asyncio.run(listeners_child(args.listeners_child))
        return
    if not args.skip_fleet:
        asyncio.run(measure_fleet(args))
    if args.listeners:
        measure_listeners(args.listeners)
    if args.register:
        measure_register(args.register, args.engine)


if __name__ == "__main__":
    main()
