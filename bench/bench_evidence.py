"""Benchmark: evidence frames (证据图): bytes per frame, CPU per frame, and what 100,000 cameras cost.

    python bench/bench_evidence.py [--data DIR] [--repeat 3] [--cameras 100000]

Every picture of the labelled sample (../shared/data/iq-sample) and, when scikit-image is installed
(the `bench` extra), the natural scenes of tests/probes/iq_synth.py, scaled to 1280x720 as a camera
would send them, is judged as the monitoring does (`probes.iq_memory.judge` with a learned
baseline) and encoded as its evidence frame (`probes.iq_evidence.evidence`: at most 640 px wide,
at most 100 KB). Prints the JPEG sizes (mean, median, p95, max), the CPU of the judgement and of
the evidence encoding on one core (OpenCV limited to one thread, time.process_time), and the
storage for a fleet under the default settings. Asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from probes.iq_checks import views  # noqa: E402
from probes.iq_decode import decode_image  # noqa: E402
from probes.iq_evidence import MAX_BYTES, evidence  # noqa: E402
from probes.iq_memory import judge  # noqa: E402

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "iq-sample"


def pictures(data: Path) -> list[tuple[str, np.ndarray]]:
    found = [(p.name, decode_image(p.read_bytes())) for p in sorted(data.glob("*.jpg"))]
    try:
        from tests.probes import iq_synth
    except ImportError:  # scikit-image missing: the sample alone
        return found
    for scene in iq_synth.scenes(per_source=2):
        found.append((f"{scene.name}-healthy", scene.healthy[0]))
        found.extend((f"{scene.name}-{kind}", image) for kind, image in list(scene.faults.items())[:3])
    return found


def hd(image: np.ndarray) -> np.ndarray:
    return cv2.resize(image, (1280, 720), interpolation=cv2.INTER_LINEAR)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cameras", type=int, default=100_000)
    parser.add_argument("--per-camera", type=int, default=4, help="ASSETSVC_EVIDENCE_PER_CAMERA")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    found = pictures(args.data)
    sizes, judge_ms, encode_ms = [], [], []
    for _name, image in found:
        frame = hd(image)
        memory = judge(views(hd(image)), judge(views(hd(image))).memory).memory  # a learned baseline
        for _ in range(args.repeat):
            started = time.process_time()
            v = views(frame)
            judged = judge(v, memory)
            middle = time.process_time()
            shown = evidence(v, judged.diagnosis, judged.mode)
            done = time.process_time()
            judge_ms.append((middle - started) * 1000)
            encode_ms.append((done - middle) * 1000)
        sizes.append(len(shown.jpeg))
    sizes.sort()
    mean = statistics.fmean(sizes)
    print(f"{len(found)} pictures at 1280x720 -> evidence JPEG at most 640 px wide, at most {MAX_BYTES} bytes")
    print(f"  bytes per frame: mean {mean:,.0f}, median {statistics.median(sizes):,.0f}, "
          f"p95 {sizes[int(0.95 * (len(sizes) - 1))]:,}, max {sizes[-1]:,}")
    print(f"  CPU per grab (one core): judge with baseline {statistics.median(judge_ms):.1f} ms median, "
          f"evidence encode {statistics.median(encode_ms):.1f} ms median "
          f"({statistics.fmean(encode_ms):.1f} mean)")
    kept = args.per_camera + 1  # the newest N and the newest good frame beside them
    print(f"storage for {args.cameras:,} cameras (ASSETSVC_EVIDENCE_PER_CAMERA={args.per_camera}, "
          f"+ the newest good frame):")
    print(f"  full: {args.cameras * kept * mean / 2**30:,.1f} GiB; one frame each: "
          f"{args.cameras * mean / 2**30:,.1f} GiB")
    print(f"  written per day with one good frame per camera a day (ASSETSVC_EVIDENCE_EVERY_S=86400) "
          f"and 1 % of cameras faulting: {args.cameras * 1.02 * mean / 2**30:,.1f} GiB")
    print(f"  a picture ticket holds 2 frames: 1,000 open or disputed tickets hold "
          f"{1000 * 2 * mean / 2**20:,.0f} MiB")


if __name__ == "__main__":
    main()
