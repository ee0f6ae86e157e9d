"""Benchmark: ONVIF light and deep probes against N fake cameras on loopback (a separate process).

    python bench/bench_onvif.py [--devices 50] [--light 3000] [--deep 150] [--concurrency 50] [--max-seconds 60]

Prints probes/s and CPU per probe for the client (this process) and for the fake fleet (its own
process, read from /proc/<pid>/stat), for three ways of asking GetSystemDateAndTime, then for the
deep probe, and names the bottleneck. Asserts nothing about time. Every loop is bounded in count
and in seconds; traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Awaitable, Callable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from common import load_now, print_table  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


# --- the fleet process ------------------------------------------------------------------------
async def serve(count: int, limit_s: float) -> None:
    """Start `count` fakes, print their ports, run until stdin closes (or limit_s passes)."""
    from tests.fakes.onvif_device import FakeOnvifDevice

    devices = [await FakeOnvifDevice().start() for _ in range(count)]
    print(json.dumps([d.port for d in devices]), flush=True)
    loop = asyncio.get_running_loop()
    try:
        await asyncio.wait_for(loop.run_in_executor(None, sys.stdin.read), limit_s)
    except asyncio.TimeoutError:
        pass
    for device in devices:
        await device.stop()


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine: kernel network work shows up here, not per process."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def proc_cpu(pid: int) -> float:
    """utime + stime of a process, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


# --- the client side ----------------------------------------------------------------------------
async def run_bounded(count: int, concurrency: int, max_seconds: float,
                      one: Callable[[int], Awaitable[bool]]) -> tuple[int, int, float]:
    """Run up to `count` calls, `concurrency` at a time, stopping at max_seconds: (done, failed, wall)."""
    started = time.perf_counter()
    next_index, done, failed = 0, 0, 0

    async def worker() -> None:
        nonlocal next_index, done, failed
        while next_index < count and time.perf_counter() - started < max_seconds:
            index = next_index
            next_index += 1
            ok = await one(index)
            done += 1
            failed += not ok

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done, failed, time.perf_counter() - started


def light_variants(ports: list[int]) -> dict[str, Callable[[int], Awaitable[bool]]]:
    from probes.onvif import probe_onvif_light
    from probes.runner import run_probe
    from probes.types import ProbeTarget

    async def raw(i: int) -> bool:
        target = ProbeTarget("127.0.0.1", onvif_port=ports[i % len(ports)])
        return (await run_probe("onvif_light", probe_onvif_light, target, 5.0)).ok

    async def zeep_camera(i: int) -> bool:
        from onvif import ONVIFCamera

        camera = ONVIFCamera("127.0.0.1", ports[i % len(ports)], None, None, no_cache=True)
        try:
            service = await camera.create_devicemgmt_service()
            return (await service.authless_GetSystemDateAndTime()) is not None
        finally:
            await camera.close()

    clients: dict[str, object] = {}

    async def httpx_shared(i: int) -> bool:
        import httpx

        from probes import onvif_soap

        client = clients.get("httpx")
        if client is None:
            client = clients["httpx"] = httpx.AsyncClient(limits=httpx.Limits(max_keepalive_connections=0))
        reply = await client.post(f"http://127.0.0.1:{ports[i % len(ports)]}/onvif/device_service",
                                  content=onvif_soap.envelope(onvif_soap.DATE_TIME_OP),
                                  headers=onvif_soap.DATE_TIME_HEADERS)
        return onvif_soap.read_date_time(onvif_soap.parse(reply.content)) is not None

    return {"raw asyncio + lxml (probe_onvif_light)": raw, "httpx shared client + lxml": httpx_shared,
            "onvif-zeep-async ONVIFCamera per probe": zeep_camera}, clients


async def measure(name: str, count: int, concurrency: int, max_seconds: float, fleet_pid: int,
                  one: Callable[[int], Awaitable[bool]]) -> list[object]:
    cpu0, peer0, (busy0, total0) = time.process_time(), proc_cpu(fleet_pid), machine_busy()
    done, failed, wall = await run_bounded(count, concurrency, max_seconds, one)
    cpu, peer = time.process_time() - cpu0, proc_cpu(fleet_pid) - peer0
    busy1, total1 = machine_busy()
    machine = (busy1 - busy0) / max(1, total1 - total0)
    # Per probe, whichever side burns more CPU limits the rate (both run on their own core).
    bottleneck = f"client ({cpu / peer:.1f}x fake)" if cpu >= peer else f"fake fleet ({peer / cpu:.1f}x client)"
    return [name, done, failed, done / wall, cpu / done * 1000, peer / done * 1000,
            f"{cpu / wall:.0%}", f"{peer / wall:.0%}", f"{machine:.0%}", bottleneck]


async def main(args: argparse.Namespace) -> None:
    fleet = subprocess.Popen([sys.executable, __file__, "--serve", str(args.devices)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        ports = json.loads(fleet.stdout.readline())
        load0 = load_now()
        cold = await cold_deep(ports)
        rows = []
        variants, clients = light_variants(ports)
        for name, one in variants.items():
            await one(0)  # warm-up: imports, WSDL parse
            rows.append(await measure(name, args.light, args.concurrency, args.max_seconds, fleet.pid, one))
        for client in clients.values():
            await client.aclose()
        rows.append(await measure("deep probe (with one snapshot)", args.deep, args.deep_concurrency,
                                  args.max_seconds, fleet.pid, deep_probe(ports)))
        print(f"first deep probe in this process (parses devicemgmt.wsdl and media.wsdl): {cold * 1000:.0f} ms CPU; "
              f"later ones: {rows[-1][4]:.1f} ms CPU each")
        header = ("probe", "done", "failed", "probes/s", "client CPU ms/probe", "fake CPU ms/probe",
                  "client core share", "fake core share", f"machine busy ({os.cpu_count()} cores)", "bottleneck")
        print_table(header, rows, title=f"ONVIF probes, {args.devices} fake cameras on 127.0.0.1, "
                                        f"concurrency {args.concurrency} (deep: {args.deep_concurrency})")
        print(f"load average at start {load0}, at end {load_now()}. 'machine busy' counts every core: when it is "
              "above (client + fake core share) / cores, other work shared the machine and rates are low; CPU per "
              "probe holds.")
    finally:
        fleet.stdin.close()
        fleet.wait(timeout=30)


def deep_probe(ports: list[int]) -> Callable[[int], Awaitable[bool]]:
    from probes.onvif import probe_onvif_deep
    from probes.runner import run_probe
    from probes.types import Credentials, ProbeTarget

    async def deep(i: int) -> bool:
        target = ProbeTarget("127.0.0.1", onvif_port=ports[i % len(ports)],
                             credentials=Credentials("admin", "admin12345"))
        return (await run_probe("onvif_deep", probe_onvif_deep, target, 10.0)).ok

    return deep


async def cold_deep(ports: list[int]) -> float:
    """CPU of the first deep probe in this process (before anything else touched onvif-zeep-async)."""
    started = time.process_time()
    if not await deep_probe(ports)(0):
        raise SystemExit("the first deep probe failed")
    return time.process_time() - started


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--light", type=int, default=3000, help="light probes per variant (at most)")
    parser.add_argument("--deep", type=int, default=150, help="deep probes (at most)")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--deep-concurrency", type=int, default=10)
    parser.add_argument("--max-seconds", type=float, default=60, help="per variant")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.devices = max(1, min(args.devices, 500))
    return args


if __name__ == "__main__":
    arguments = parse_args()
    if arguments.serve:
        asyncio.run(serve(arguments.serve, limit_s=900))
    else:
        asyncio.run(main(arguments))
