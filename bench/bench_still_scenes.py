"""Benchmark: does stream continuity call a still live scene frozen? Still photographs through x264.

    python bench/bench_still_scenes.py [--scenes "0 0.15 0.3 0.7 1.5 0,dark 0.15,dark 0.3,dark 0,cqp ..."]
                                       [--checks 3] [--warm 10] [--window 10]

One GStreamer RTSP server (tests/fakes/rtsp_gst_server.py) with, per scene, a `still` and a
`still_clock` mount: scikit-image's rocket at 640x360 with gaussian sensor noise of SIGMA grey
levels drawn for every frame (0: the same raw frame repeated, a hung capture), `dark` at a quarter
of the brightness, x264 at 1024 kbit/s as the fake's other mounts (`cqp`: at a constant quantizer);
and the fake's colour bars, frozen and frozen with a clock. Each stream first runs for `warm` seconds with a viewer attached
(a camera's rate control has long settled; the first seconds of a new stream code key frames at
other qualities), then `checks` continuity checks run one after another, each `window` seconds.

Per mount: the noise that reaches the encoder (share of raw luma pixels that differ between two
frames, and their mean |difference|), and from the checks' sampled key frames (grey, every 4th pixel,
as the check compares them): the largest changed share, the mean |difference| of the unchanged
pixels between neighbouring samples (the old rule's statistic, frozen when every neighbour pair was
<= 1.0), the closest two samples (the new statistic, frozen at <= REPEAT_NOISE), and the verdicts,
old rule -> new rule. Traffic to 127.0.0.1 only; loops bounded; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import numpy as np  # noqa: E402

from common import load_now, print_table  # noqa: E402

OLD_STILL_NOISE = 1.0  # the rule before issue 14 part 3: frozen when every neighbour pair stayed under this


def raw_noise(scene: str, width: int = 640, height: int = 360) -> tuple[float, float]:
    """Share of luma pixels that differ between two raw frames of the scene, and their mean |difference|."""
    from tests.fakes.rtsp_gst_server import write_still

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "frames"
        write_still(path, scene, width, height)
        data = np.frombuffer(path.read_bytes(), np.uint8).reshape(-1, height * 3 // 2, width)
    if len(data) < 2:
        return 0.0, 0.0
    diff = np.abs(data[0, :height].astype(np.int16) - data[1, :height])
    return float((diff > 0).mean()), float(diff.mean())


def watch(url: str, stop: threading.Event) -> None:
    """A viewer that keeps the shared stream running (demux only, nothing decoded)."""
    import av

    with av.open(url, options={"rtsp_transport": "tcp"}, timeout=(5, 5)) as container:
        for _ in container.demux(container.streams.video[0]):
            if stop.is_set():
                return


def old_verdict(facts: dict, pictures: list) -> str:
    """The verdict under the old rule: frozen when every neighbour pair had <= 3 % changed and <= 1.0 still noise."""
    from probes.rtsp_continuity import changed_share

    pairs = [changed_share(a, b) for a, b in zip(pictures, pictures[1:])]
    if facts["verdict"] == "stalled":
        return "stalled"
    if pairs and all(share <= 0.03 and noise <= OLD_STILL_NOISE for share, noise in pairs):
        return "frozen"
    fps, declared = facts["fps"], facts["declared_fps"]
    return "low_fps" if fps is not None and declared and fps < declared * 0.5 else "ok"


async def one_mount(camera, path: str, checks: int, warm: float, window: float) -> dict:
    from probes import rtsp_continuity
    from probes.runner import run_probe
    from probes.types import ProbeTarget

    seen: list[list] = []
    analyse = rtsp_continuity.analyse

    def recording(packets, pictures, *args, **kwargs):
        seen.append(list(pictures))
        return analyse(packets, pictures, *args, **kwargs)

    stop = threading.Event()
    viewer = threading.Thread(target=watch, args=(camera.url(path), stop), daemon=True)
    viewer.start()
    await asyncio.sleep(warm)
    target = ProbeTarget("127.0.0.1", rtsp_port=camera.port, rtsp_path=path, options={"continuity_window_s": window})
    rtsp_continuity.analyse = recording
    try:
        results = [await run_probe("rtsp_continuity", rtsp_continuity.probe_rtsp_continuity, target,
                                   rtsp_continuity.Rules.of(target.options).budget_s) for _ in range(checks)]
    finally:
        rtsp_continuity.analyse = analyse
        stop.set()
        viewer.join(10)
    good = [(r.facts, pictures) for r, pictures in zip(results, seen) if r.ok]
    neighbours = [rtsp_continuity.changed_share(a, b)[1] for _, p in good for a, b in zip(p, p[1:])]
    closest = [f["repeat_diff"] for f, _ in good if f["repeat_diff"] is not None]
    count = lambda verdicts: ", ".join(f"{v} {verdicts.count(v)}" for v in sorted(set(verdicts)))  # noqa: E731
    return {"changed": max((f["changed_share"] or 0.0) for f, _ in good) if good else None,
            "neighbours": f"{min(neighbours):.3f}-{max(neighbours):.3f}" if neighbours else "-",
            "closest": f"{min(closest):.3f}-{max(closest):.3f}" if closest else "-",
            "old": count([old_verdict(f, p) for f, p in good]), "new": count([f["verdict"] for f, _ in good]),
            "failed": len(results) - len(good)}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", default="0 0.15 0.3 0.7 1.5 0,dark 0.15,dark 0.3,dark 0,cqp 0.15,cqp 0.3,cqp "
                                            "0.15,dark,cqp")
    parser.add_argument("--checks", type=int, default=3)
    parser.add_argument("--warm", type=float, default=10.0)
    parser.add_argument("--window", type=float, default=10.0)
    args = parser.parse_args()
    from tests.fakes.rtsp_gst_server import GstRtspCamera

    mounts = {f"/{kind}-{scene.replace(',', '-')}": (f"{kind}@{scene}", scene)
              for scene in args.scenes.split() for kind in ("still", "still_clock")}
    mounts.update({"/bars": ("frozen", "bars"), "/bars-clock": ("frozen_clock", "bars")})
    print(f"load before: {load_now()}; warm {args.warm:g} s, {args.checks} checks of {args.window:g} s per mount")
    rows = []
    with GstRtspCamera(mounts=tuple(f"{path}={spec}" for path, (spec, _) in mounts.items())) as camera:
        for path, (spec, scene) in mounts.items():
            began = time.monotonic()
            found = await one_mount(camera, path, args.checks, args.warm, args.window)
            share, level = raw_noise(scene) if scene != "bars" else (0.0, 0.0)
            rows.append([spec, f"{share:.3f} / {level:.2f}", f"{found['changed']:.4f}", found["neighbours"], found["closest"],
                         found["old"], found["new"], found["failed"], f"{time.monotonic() - began:.0f}"])
            print(" | ".join(str(c) for c in rows[-1]), flush=True)
    print_table(["mount (kind@sigma)", "raw: share differing / mean", "changed_share max",
                 "neighbour still diff", "closest pair (repeat_diff)", "old rule", "new rule", "failed", "s"],
                rows, title="rtsp_continuity on still scenes")
    print(f"load after: {load_now()}")


if __name__ == "__main__":
    asyncio.run(main())
