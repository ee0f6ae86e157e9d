"""Plain boxes over the generated views: a plain-sided vehicle in focus (healthy) against the same box
out of focus at the lens (a cover).

    python bench/iq_plain_vehicles.py [--groups tuning,held-out,fresh] [--seed 1]

For each scene of bench/bench_iq_accuracy.py's groups (the same photographs, seeds and crops), a
plain box (tests/probes/iq_synth.plain_box: a gentle shade, three seams) over 15, 22 and 30 % of the
frame, dark (40) and white (225), once in focus (a van or a lorry passing: must not be a fault) and
once with its outline blurred by 1.5 % of the width (something at the lens: occlusion), judged with
the baseline the scene learned from its earlier frames. Totals only; no threshold was set on them
(docs/probes-iq.md, issue 14 part 11).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_iq_accuracy import group  # noqa: E402
from probes.iq_memory import PictureMemory, judge  # noqa: E402
from tests.probes import iq_synth  # noqa: E402

SHARES = (0.15, 0.22, 0.3)
COLOURS = (40, 225)
AT_THE_LENS = 0.015  # the outline's Gaussian, of the width: an object a few cm from the lens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-source", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--groups", default="tuning,held-out,fresh")
    args = parser.parse_args()
    for title in args.groups.split(","):
        sources, seed, scenes = group(title, args.per_source, args.seed)
        keys = iq_synth.scene_keys(args.per_source, seed, sources)
        flagged = covered = sharp_total = found = 0
        for s, key in zip(scenes, keys, strict=True):
            memory = PictureMemory()
            for frame in s.learn:
                memory = judge(frame, memory).memory
            for i, (share, colour) in enumerate((a, b) for a in SHARES for b in COLOURS):
                right = (key[1] + i) % 2 == 0
                faults = judge(iq_synth.plain_box(*key, colour=colour, share=share, right=right), memory).diagnosis.faults
                flagged += bool(faults)
                covered += "occlusion" in faults
                sharp_total += 1
                soft = iq_synth.plain_box(*key, colour=colour, share=share, soft=AT_THE_LENS, right=right)
                found += "occlusion" in judge(soft, memory).diagnosis.faults
        print(f"\n{title}: {len(scenes)} scenes, a box over {', '.join(f'{s:.0%}' for s in SHARES)} of the frame, "
              f"dark and white, judged with the scene's baseline")
        print(f"in focus (a plain vehicle, healthy): flagged {flagged}/{sharp_total}, called occlusion {covered}/{sharp_total}")
        print(f"out of focus (at the lens, outline sigma {AT_THE_LENS:.1%} of the width): "
              f"called occlusion {found}/{sharp_total}")


if __name__ == "__main__":
    main()
