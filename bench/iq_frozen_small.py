"""The frozen check on small grabs (CIF, QCIF) before and after the size-aware cap (issue 14).

    python bench/iq_frozen_small.py [--groups tuning,video] [--sizes D1,CIF,QCIF]

A re-encoded repeat of a 320x240 webcam frame changes 2.2 grey levels at the check's 160 px, over
the 1.5 set on D1 grabs: averaging down 2x leaves more of JPEG's error than 4x. The same holds for
a live camera's noise, so a still, live CIF scene changes more too. This bench makes the bench's
tuning scenes with their still grabs (iq_synth.scene(..., still=True), the same 28 scenes as
bench/iq_frozen_separation.py) and the video group's scenes with their close real grabs
(iq_real.video_scenes) as a camera of each size would grab them (generated: noise and JPEG drawn at
that size; video: the real frames area-scaled before the grab), and judges them with the rule before
(`frozen_reference_width` 0: the cap 1.5 whatever the size) and after (DEFAULT: probes.iq_compare.
frozen_cap). Per size it prints the frozen check's values (repeat pairs, still/close pairs, the
cameras' normal change) and the healthy frames called frozen under each rule: the still/close grabs
at first sight (previous grab only) and with the camera's own memory (as bench_iq_accuracy counts
them), the scenes' healthy frames with a baseline, and the repeats found with the scene's memory.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from probes.iq_checks import views  # noqa: E402
from probes.iq_compare import block_changes, frozen_cap, live_change  # noqa: E402
from probes.iq_memory import LEARN_GRABS, PictureMemory, judge, signature  # noqa: E402
from probes.iq_types import DEFAULT  # noqa: E402
from tests.probes import iq_real, iq_synth  # noqa: E402

SIZES = {"D1": None, "CIF": (352, 288), "QCIF": (176, 144)}
RULES = {"before": replace(DEFAULT, frozen_reference_width=0), "after": DEFAULT}


def _change(later: np.ndarray, earlier: np.ndarray, t=DEFAULT) -> float:
    """The frozen check's value under `t` (the OSD bands count when enough blocks changed: frozen_cap)."""
    return live_change(block_changes(signature(views(later)), signature(views(earlier))), t,
                       frozen_cap(later.shape[1], t))[0]


def _frozen(frame: np.ndarray, memory: PictureMemory, t, margins: list[float]) -> tuple[bool, PictureMemory]:
    """Whether a healthy frame judged with `memory` is called frozen; its margin (value over the limit)
    joins `margins` where the camera was judgeable (a limit above an unchanged frame's)."""
    judged = judge(frame, memory, t)
    c = judged.diagnosis.check("frozen")
    if c is not None and c.threshold is not None and c.threshold > t.frozen_repeat_change:
        margins.append(c.value / c.threshold)
    return "frozen" in judged.diagnosis.faults, judged.memory


def evaluate(scenes: list[iq_synth.Scene], t) -> dict[str, list[int]]:
    """{row: [frozen, judged]}: still grabs at first sight and with their memory, healthy frames with a
    baseline, and repeats found with the scene's memory; and the margin of the healthy frames judged
    with a memory where the camera was judgeable: [the lowest value / limit, how many]."""
    out = {"still first sight": [0, 0], "still with memory": [0, 0], "healthy with baseline": [0, 0],
           "repeat found": [0, 0]}
    margins: list[float] = []

    def count(row: str, hit: bool) -> None:
        out[row][0] += int(hit)
        out[row][1] += 1

    for s in scenes:
        memory = PictureMemory()
        for frame in s.learn:
            memory = judge(frame, memory, t).memory
        learned = memory
        for frame in s.healthy:
            hit, memory = _frozen(frame, memory, t, margins)
            count("healthy with baseline", hit)
        before = replace(learned, previous=signature(views(s.frozen_previous)), changes=memory.changes)
        count("repeat found", "frozen" in judge(s.faults["frozen"], before, t).diagnosis.faults)
        still = PictureMemory()
        for i, frame in enumerate(s.still):
            if i > 0:
                first = judge(frame, PictureMemory(previous=signature(views(s.still[i - 1]))), t).diagnosis
                count("still first sight", "frozen" in first.faults)
            hit, still = _frozen(frame, still, t, margins if i >= LEARN_GRABS else [])
            if i >= LEARN_GRABS:
                count("still with memory", hit)
    out["judgeable healthy: lowest value / limit"] = [round(min(margins), 2) if margins else 0, len(margins)]
    return out


def values(scenes: list[iq_synth.Scene], t) -> dict[str, list[float]]:
    """The frozen check's value on the repeat pairs and the still pairs, and each scene's normal
    change (the quietest good pair of its learning and healthy grabs; of the still grabs, their first
    two pairs, as the still camera's memory learns it)."""
    out: dict[str, list[float]] = {"repeat": [], "still pairs": [], "scene normal": [], "still normal": []}
    for s in scenes:
        out["repeat"].append(_change(s.faults["frozen"], s.frozen_previous, t))
        pairs = [_change(b, a, t) for a, b in zip(s.still, s.still[1:])]
        out["still pairs"] += pairs
        good = [*s.learn, *s.healthy]
        out["scene normal"].append(min(_change(b, a, t) for a, b in zip(good, good[1:])))
        out["still normal"].append(min(pairs[:2]))
    return out


def _spread(x: list[float]) -> str:
    q = np.percentile(x, [0, 10, 50, 90, 100])
    return f"n={len(x):3d}  " + " / ".join(f"{v:.2f}" for v in q)


def scenes_of(group: str, size: tuple[int, int] | None) -> list[iq_synth.Scene]:
    if group == "tuning":
        return [iq_synth.scene(src, key, night=night, variant=variant, still=True, size=size)
                for src, key, night, variant in iq_synth.scene_keys(4, 1, iq_synth.SOURCES[0::2])]
    return iq_real.video_scenes(4, 1, size=size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", default="tuning,video")
    parser.add_argument("--sizes", default="D1,CIF,QCIF")
    args = parser.parse_args()
    for group in args.groups.split(","):
        for name in args.sizes.split(","):
            size = SIZES[name]
            scenes = scenes_of(group, size)
            widths = sorted({s.healthy[0].shape[1] for s in scenes})
            caps = ", ".join(f"{w}px {frozen_cap(w):.2f}" for w in widths)
            print(f"{group} at {name} ({caps}): min / 10th / median / 90th / max")
            for rule, t in RULES.items():
                for row, x in values(scenes, t).items():
                    print(f"  {rule:6} {row:15} {_spread(x)}")
            results = {rule: evaluate(scenes, t) for rule, t in RULES.items()}
            for row in results["before"]:
                print(f"  {row:22} frozen " + "  ".join(f"{rule} {r[row][0]}/{r[row][1]}" for rule, r in results.items()))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
