"""Benchmark: the continuity check's frame rate verdicts on streams that send less than they declare.

    python bench/bench_low_fps.py [--checks 3] [--concurrency 4] [--window 10] [--max-seconds 240]

One GStreamer RTSP server process (640x360 H.264 declaring 25 fps in its SPS timing) with one mount
per behaviour: moving bars or a still photograph with sensor noise (0.3 grey levels, constant
quantizer) sending one frame in N (`everyN`: slow shutter at a half, third, quarter; a dynamic
frame rate; a broken encoder at a sixth or twelfth), and bars sent in bursts. `checks` continuity
checks per mount, `concurrency` at a time. Prints per mount the measured rate on RTP timestamps
and on arrival (min-max), and the verdicts under the rule in the code and under the old rule
(low_fps under half the declared rate, judged on the same reads). Asserts nothing; bounded in
count and seconds; traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from common import load_now, print_table  # noqa: E402

MOUNTS = ("/live=moving", "/half=moving@every2", "/third=moving@every3", "/quarter=moving@every4",
          "/sixth=moving@every6", "/twelfth=moving@every12", "/bursts=moving@bursts",
          "/still=still@0.3,cqp", "/still-half=still@0.3,cqp,every2", "/still-third=still@0.3,cqp,every3",
          "/still-sixth=still@0.3,cqp,every6", "/still-twelfth=still@0.3,cqp,every12")


def old_verdict(facts) -> str:
    """The rule before: low_fps under half the declared rate, after stalled and frozen, before still."""
    if facts["verdict"] in ("stalled", "frozen"):
        return facts["verdict"]
    if facts["fps"] is not None and facts["declared_fps"] and facts["fps"] < 0.5 * facts["declared_fps"]:
        return "low_fps"
    return "still" if facts["changed_share"] is not None and facts["changed_share"] <= 0.03 else "ok"


def span(facts: list, key: str) -> str:
    return f"{min(f[key] for f in facts):.2f}-{max(f[key] for f in facts):.2f}"


async def run(checks: int, concurrency: int, window: float, max_seconds: float) -> list[list]:
    from probes.rtsp_continuity import Rules, probe_rtsp_continuity
    from probes.runner import run_probe
    from probes.types import ProbeTarget
    from tests.fakes.rtsp_gst_server import GstRtspCamera

    gate = asyncio.Semaphore(concurrency)
    deadline = time.monotonic() + max_seconds
    with GstRtspCamera(mounts=MOUNTS) as camera:
        async def check(path: str):
            async with gate:
                if time.monotonic() > deadline:
                    return None
                target = ProbeTarget("127.0.0.1", rtsp_port=camera.port, rtsp_path=path,
                                     options={"continuity_window_s": window})
                result = await run_probe("rtsp_continuity", probe_rtsp_continuity, target,
                                         Rules.of(target.options).budget_s + 2)
                return path, result

        found = await asyncio.gather(*(check(m.partition("=")[0]) for m in MOUNTS for _ in range(checks)))
    rows = []
    for mount in MOUNTS:
        path = mount.partition("=")[0]
        facts = [r.facts for p, r in filter(None, found) if p == path and r.ok]
        if not facts:
            rows.append([mount, "-", "-", "-", "-", "-"])
            continue
        new, old = Counter(f["verdict"] for f in facts), Counter(old_verdict(f) for f in facts)
        rows.append([mount, f"{facts[0]['declared_fps']:g}", span(facts, "fps"), span(facts, "arrival_fps"),
                     " ".join(f"{k} {v}" for k, v in sorted(old.items())),
                     " ".join(f"{k} {v}" for k, v in sorted(new.items()))])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--max-seconds", type=float, default=240.0)
    args = parser.parse_args()
    print(f"load average before: {load_now()}")
    rows = asyncio.run(run(args.checks, args.concurrency, args.window, args.max_seconds))
    print_table(["mount", "declared", "fps (RTP)", "fps (arrival)", "old rule", "new rule"], rows)
    print(f"load average after: {load_now()}")


if __name__ == "__main__":
    main()
