"""Benchmark: CPU of the deep stream continuity check (rtsp_continuity) against GStreamer on loopback.

    python bench/bench_stream_continuity.py [--checks 8] [--concurrency 4] [--window 10]
                                            [--sizes 640x360,1280x720,1920x1080] [--max-seconds 120]

For each picture size: one GStreamer RTSP server process (25 fps H.264, 2 s GOP, x264 ultrafast),
then `checks` continuity checks, `concurrency` at a time, each reading the stream for `window`
seconds. Prints the client's CPU per check (this process, FFmpeg threads included: open, demux of
every packet, the few key-frame decodes, TEARDOWN), the frames read and the pictures decoded per
check. Budget (issue 14): about 100 ms of CPU per check. Asserts nothing about time; loops are
bounded in count and seconds; traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from common import load_now, print_table  # noqa: E402


async def one_size(size: str, checks: int, concurrency: int, window: float, max_seconds: float) -> list:
    from probes.rtsp_continuity import Rules, probe_rtsp_continuity
    from probes.runner import run_probe
    from probes.types import ProbeTarget
    from tests.fakes.rtsp_gst_server import GstRtspCamera

    with GstRtspCamera(mounts=("/live=moving",), size=size) as camera:
        target = ProbeTarget("127.0.0.1", rtsp_port=camera.port, rtsp_path="/live",
                             options={"continuity_window_s": window})
        limit = Rules.of(target.options).budget_s
        gate = asyncio.Semaphore(concurrency)
        deadline = time.monotonic() + max_seconds
        results = []

        async def check() -> None:
            async with gate:
                if time.monotonic() < deadline:
                    results.append(await run_probe("rtsp_continuity", probe_rtsp_continuity, target, limit))

        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(check() for _ in range(checks)))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    good = [r for r in results if r.ok]
    verdicts = sorted({r.facts["verdict"] for r in good} | {r.error.value for r in results if not r.ok})
    per = lambda key: round(sum(r.facts[key] for r in good) / len(good), 1) if good else "-"  # noqa: E731
    return [size, len(results), ",".join(verdicts), f"{cpu * 1000 / max(1, len(results)):.1f}",
            per("frame_count"), per("samples"), f"{wall:.1f}"]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=8)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--sizes", default="640x360,1280x720,1920x1080")
    parser.add_argument("--max-seconds", type=float, default=120.0, help="per size: no check starts after this")
    args = parser.parse_args()
    print(f"load before: {load_now()}; window {args.window:g} s, {args.checks} checks, {args.concurrency} at a time")
    rows = [await one_size(size, args.checks, args.concurrency, args.window, args.max_seconds)
            for size in args.sizes.split(",")]
    print_table(["size", "checks", "verdicts", "client CPU ms/check", "frames/check", "decoded/check", "wall s"],
                rows, title="rtsp_continuity")
    print(f"load after: {load_now()}")


if __name__ == "__main__":
    asyncio.run(main())
