"""How the occlusion check fares on covers found at a lens in service, beside the set's flat board.

    python bench/iq_cover_kinds.py [--groups tuning,held-out,fresh] [--seed 1]

For each scene of bench/bench_iq_accuracy.py's groups (the same photographs, seeds and crops), one
grab per cover kind of tests/probes/iq_synth.covers (board, hand, leaves, sprayed paint, a
translucent bag), judged with the baseline the scene learned from its earlier frames. Per kind: the
share called occlusion, and the share called any fault (a ticket opens, perhaps under another
cause). Totals only: no threshold was set against these covers (docs/probes-iq.md, issue 14 part 7).
"""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_iq_accuracy import group  # noqa: E402
from probes.iq_memory import PictureMemory, judge  # noqa: E402
from tests.probes import iq_synth  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-source", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--groups", default="tuning,held-out,fresh")
    args = parser.parse_args()
    variants = ("", "sky", "", "shadow")  # as iq_synth.scenes
    for title in args.groups.split(","):
        sources, seed, generated_scenes = group(title, args.per_source, args.seed)
        scenes = {s.name: s for s in generated_scenes}
        occlusion: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
        faulted: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
        for i, source in enumerate(sources):
            for k in range(args.per_source):
                number, night, variant = seed * 1000 + i * 50 + k, k % 2 == 1, variants[k % 4]
                s = scenes[f"{source}{'-night' if night else ''}{'-' + variant if variant else ''}-{number}"]
                memory = PictureMemory()
                for frame in s.learn:
                    memory = judge(frame, memory).memory
                for kind, frame in iq_synth.covers(source, number, night, variant).items():
                    faults = judge(frame, memory).diagnosis.faults
                    for table, hit in ((occlusion, "occlusion" in faults), (faulted, bool(faults))):
                        table[kind][0] += int(hit)
                        table[kind][1] += 1
        print(f"\n{title}: {len(scenes)} scenes, one grab per cover kind, judged with the scene's baseline")
        print(f"{'cover':8} {'called occlusion':>18} {'any fault':>18}")
        for kind in iq_synth.COVERS:
            (o, n), (f, _) = occlusion[kind], faulted[kind]
            print(f"{kind:8} {o / n:8.3f} ({o:2d}/{n:2d}) {f / n:8.3f} ({f:2d}/{n:2d})")


if __name__ == "__main__":
    main()
