"""Benchmark: RTSP DESCRIBE probes and frame grabs against GStreamer's RTSP server on loopback.

    python bench/bench_rtsp.py [--describes 2000] [--concurrency 16] [--grabs 60] [--grab-concurrency 4]
                               [--sizes 640x360,1920x1080] [--max-seconds 30]

For each picture size: one GStreamer RTSP server process (25 fps H.264, x264 ultrafast) plus
one viewer process that keeps the stream running, as a camera's encoder always runs. Prints
probes/s and CPU per probe for the client (this process, FFmpeg threads included) and for the
server (/proc/<pid>/stat, less what it burns encoding with nobody probing), and names the
bottleneck. Asserts nothing about time; every loop is bounded in count and seconds; traffic
goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Awaitable, Callable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from common import load_now, print_table, summary_ms  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
# The always-on viewer: reads packets without decoding, in its own process so its CPU is not ours.
VIEWER = """
import sys, time, av
container = av.open(sys.argv[1], options={"rtsp_transport": "tcp"})
end = time.monotonic() + float(sys.argv[2])
for packet in container.demux(container.streams.video[0]):
    if time.monotonic() > end:
        break
container.close()
"""


def machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, every core and every process."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(values) - values[3] - values[4], sum(values)


def proc_cpu(pid: int) -> float:
    """utime + stime of a process, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


async def run_bounded(count: int, concurrency: int, max_seconds: float,
                      one: Callable[[], Awaitable[tuple[bool, float]]]) -> tuple[int, int, float, list[float]]:
    """Up to `count` calls, `concurrency` at a time, until max_seconds: (done, failed, wall, latencies)."""
    started = time.perf_counter()
    issued, done, failed, latencies = 0, 0, 0, []

    async def worker() -> None:
        nonlocal issued, done, failed
        while issued < count and time.perf_counter() - started < max_seconds:
            issued += 1
            ok, seconds = await one()
            done += 1
            failed += not ok
            latencies.append(seconds)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done, failed, time.perf_counter() - started, latencies


async def measure(name: str, count: int, concurrency: int, max_seconds: float, server_pid: int,
                  idle_server_cpu_per_s: float, one) -> list[object]:
    cpu0, peer0, (busy0, total0) = time.process_time(), proc_cpu(server_pid), machine_busy()
    done, failed, wall, latencies = await run_bounded(count, concurrency, max_seconds, one)
    cpu, peer_raw = time.process_time() - cpu0, proc_cpu(server_pid) - peer0
    busy1, total1 = machine_busy()
    machine = (busy1 - busy0) / max(1, total1 - total0)
    peer = max(0.0, peer_raw - idle_server_cpu_per_s * wall)  # what the probes added to the encoder's work
    p50, p95, _, mean = summary_ms(latencies)
    # Little's law: probes in flight = rate x latency. When that is (nearly) all the concurrency,
    # every worker sat waiting on the peer's answer: the rate is set by latency, not CPU. Otherwise
    # the time went outside the probe calls, in this process's one event-loop thread.
    waiting = done / wall * mean / 1000
    if waiting >= 0.7 * concurrency:
        starved = ", machine CPU-starved" if machine >= 0.85 else ""
        bottleneck = f"peer latency: {waiting:.1f} of {concurrency} waiting{starved}"
    else:
        side = "client" if cpu >= peer else "server"
        ratio = max(cpu, peer) / max(min(cpu, peer), 1e-9)
        bottleneck = f"CPU: client event loop ({side} costlier per op, {ratio:.1f}x)"
    return [name, concurrency, done, failed, done / wall, p50, p95, cpu / done * 1000, peer / done * 1000,
            f"{cpu / wall:.0%}", f"{peer_raw / wall:.0%}", f"{machine:.0%}", bottleneck]


def probes(port: int):
    from probes.frame import probe_rtsp_frame
    from probes.rtsp import probe_rtsp
    from probes.runner import run_probe
    from probes.types import ProbeTarget

    target = ProbeTarget("127.0.0.1", rtsp_port=port, rtsp_path="/live", options={"frame_timeout_s": 5})

    async def describe() -> tuple[bool, float]:
        result = await run_probe("rtsp", probe_rtsp, target, 5)
        return result.ok, result.duration_s

    async def grab() -> tuple[bool, float]:
        result = await run_probe("rtsp_frame", probe_rtsp_frame, target, 6)
        return result.ok, result.duration_s

    return describe, grab


async def bench_size(size: str, args: argparse.Namespace) -> list[list[object]]:
    from tests.fakes.rtsp_gst_server import GstRtspCamera

    with GstRtspCamera(mounts=("/live=moving",), size=size) as camera:
        viewer = subprocess.Popen([sys.executable, "-c", VIEWER, camera.url("/live"), str(args.max_seconds * 3 + 30)])
        try:
            await asyncio.sleep(1.0)
            before, t0 = proc_cpu(camera.pid), time.perf_counter()
            await asyncio.sleep(2.0)
            idle = (proc_cpu(camera.pid) - before) / (time.perf_counter() - t0)
            print(f"{size}: server encodes at {idle:.0%} of a core with only the viewer attached")
            describe, grab = probes(camera.port)
            await describe(), await grab()  # warm-up: imports, first FFmpeg open
            return [
                await measure(f"OPTIONS+DESCRIBE {size}", args.describes, args.concurrency, args.max_seconds,
                              camera.pid, idle, describe),
                await measure(f"frame grab {size}", args.grabs, args.grab_concurrency, args.max_seconds,
                              camera.pid, idle, grab),
                await measure(f"frame grab {size}, one at a time", max(5, args.grabs // 4), 1, args.max_seconds,
                              camera.pid, idle, grab),
            ]
        finally:
            viewer.terminate()
            viewer.wait(10)


async def main(args: argparse.Namespace) -> None:
    load0 = load_now()
    rows = []
    for size in args.sizes.split(","):
        rows += await bench_size(size.strip(), args)
    header = ("operation", "concurrency", "done", "failed", "ops/s", "p50 ms", "p95 ms", "client CPU ms/op",
              "server CPU ms/op", "client core share", "server core share",
              f"machine busy ({os.cpu_count()} cores)", "bottleneck")
    print_table(header, rows, title="RTSP probes against GStreamer's RTSP server on 127.0.0.1 (25 fps H.264)")
    print(f"load average at start {load0}, at end {load_now()}. Client CPU includes FFmpeg's threads; server "
          "CPU per op is net of the encoder's idle work. 'machine busy' counts every process on every core: "
          "when it is above the two shares, other work shared the machine and rates are low, CPU per op holds. "
          "'latency' as bottleneck: the rate is concurrency / latency, and a grab's latency is the stream's "
          "(about three frame intervals: PLAY, the IDR frame, the parser's look-ahead); more grab workers "
          "would raise the rate until the decode CPU fills the cores.")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--describes", type=int, default=2000, help="DESCRIBE probes per size (at most)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--grabs", type=int, default=60, help="frame grabs per size (at most)")
    parser.add_argument("--grab-concurrency", type=int, default=4)
    parser.add_argument("--sizes", default="640x360,1920x1080")
    parser.add_argument("--max-seconds", type=float, default=30, help="per measurement")
    args = parser.parse_args()
    args.describes, args.grabs = min(args.describes, 20000), min(args.grabs, 1000)
    args.max_seconds = min(args.max_seconds, 120)
    return args


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
