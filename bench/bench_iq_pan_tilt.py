"""Pan-tilt cameras (球机, 遥控枪机): grabs flagged when an operator turns the camera and leaves it, judged as a
fixed camera (judge) and as one that turns (judge(turns=True)); and the faults each still finds in place.

    python bench/bench_iq_pan_tilt.py [--groups tuning,video] [--video-every 2]

Per scene of a group (the tuning group's cached scenes, bench_iq_accuracy.generated(4, 1, SOURCES[0::2],
still=True); the video group's, bench_iq_accuracy.video(4, 5), every `--video-every`-th), the camera learns
its view (the scene's learning frames), then is turned to the next scene of the same mode (day or night)
and left there: that scene's learning and healthy frames (6 healthy grabs of another view), then turned
back home: its own healthy frames (4). Counted per case: grabs flagged (verdict not ok), grabs with a
scene_change fault, and streaks (two flagged grabs in a row: what monitoring confirms when deep checks
are more than picture_fault_after_s apart, so a ticket). Then the scene's fault frames judged against its
learned baseline (the view in place): faults found, fixed vs turns.
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import sys
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", default="tuning,video")
    parser.add_argument("--video-every", type=int, default=2)
    args = parser.parse_args()
    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root))
    spec = importlib.util.spec_from_file_location("bench_iq_accuracy", root / "bench" / "bench_iq_accuracy.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    from probes.iq_memory import PictureMemory, judge
    from tests.probes import iq_real, iq_synth

    for group in args.groups.split(","):
        if group == "tuning":
            scenes = bench.generated(4, 1, iq_synth.SOURCES[0::2], True)
        elif iq_real.missing():
            print(f"video: skipped: {iq_real.missing()}")
            continue
        else:
            scenes = bench.video(4, 5)[::max(1, args.video_every)]
        grabs = collections.Counter()
        found: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        for i, s in enumerate(scenes):
            other = next((t for t in scenes[i + 1:] + scenes[:i] if t.night == s.night), None)
            if other is None:
                continue
            away, home = [*other.learn, *other.healthy], s.healthy
            for case, turns in (("fixed", False), ("turns", True)):
                memory = PictureMemory()
                for frame in s.learn:
                    memory = judge(frame, memory, turns=turns).memory
                learned, last = memory, False
                for part, frames in (("away", away), ("home", home)):
                    for frame in frames:
                        judged = judge(frame, memory, turns=turns)
                        memory, flagged = judged.memory, judged.diagnosis.verdict != "ok"
                        grabs[case, part, "grabs"] += 1
                        grabs[case, part, "flagged"] += flagged
                        grabs[case, part, "scene_change"] += "scene_change" in judged.diagnosis.faults
                        grabs[case, part, "streaks"] += flagged and last
                        last = flagged
                for kind, frame in s.faults.items():
                    found[kind][case] += kind in judge(frame, learned, turns=turns).diagnosis.faults
                    found[kind]["total"] += case == "fixed"
        print(f"{group}: {len(scenes)} scenes; turned away (6 healthy grabs of another view), then back home (4)")
        print("| case | part | grabs | flagged | scene_change | two flagged in a row |")
        print("|---|---|---|---|---|---|")
        for case in ("fixed", "turns"):
            for part in ("away", "home"):
                g = [grabs[case, part, k] for k in ("grabs", "flagged", "scene_change", "streaks")]
                print(f"| {case} | {part} | {' | '.join(map(str, g))} |")
        print("faults found in place (view not turned), fixed -> turns:")
        print("  " + ", ".join(f"{k} {c['fixed']}/{c['total']} -> {c['turns']}/{c['total']}"
                               for k, c in sorted(found.items())))


if __name__ == "__main__":
    main()
