"""Image-quality accuracy per fault kind, at first sight and with a learned baseline (docs/performance.md).

    python bench/bench_iq_accuracy.py [--per-source 4] [--seed 1]

The labelled sample (/work/shared/data/iq-sample) and a set generated from scikit-image's offline
photographs (tests/probes/iq_synth.py), split by source photograph, so no photograph is in two
groups: a tuning half (seed --seed), a held-out half (seed --seed + 1) and a fresh group
(iq_synth.FRESH, seed --seed + 2) of photographs no threshold was ever set against; and two groups
of real camera data from OpenCV's sample data (Debian's opencv-doc, tests/probes/iq_real.py; skipped
with a message when absent; ASSETSVC_TEST_OPENCV_DATA names another folder): "opencv", photographs
of what a fixed camera watches through the same generator (seed --seed + 3), and "video", stretches
of real fixed-camera videos whose learning and healthy grabs are real frames, faults synthesised on
real frames (seed --seed + 4), each printed with its flagged healthy frames and missed faults, and a
real hand in front of a webcam's lens (--groups picks which to run). For each fault kind: recall; for healthy frames:
the share flagged. "First sight": judge(frame) with an empty memory, as monitoring judges a
camera's first grab (frozen with the previous grab; scene change needs a baseline); its
scene-dependent checks may leave a frame "unsure" (no fault), and the share left so is printed.
"With baseline": the scene's baseline learned by probes.iq_memory.judge from its earlier frames,
then each frame judged with it and the previous grab (frozen: with the camera's normal change between
grabs learned over its earlier and healthy frames). The tuning group also has still, low-noise
healthy grabs per scene (iq_synth.STILL; "still flagged": at first sight each judged against the grab
before with nothing learned; with baseline as the still camera's own memory judges them, after its
first two; the video group's "grabs": real frames 1-5 apart, judged the same way). "Light events
flagged": healthy grabs of a cloud shadow, a lamp going off, headlights and a truck passing
(iq_synth.light_events; not in the video group, which has no photograph to draw them over), judged
with the scene's baseline. Also the CPU per picture check at 1280x720. The generated sets are cached
under the temp folder.
"""

from __future__ import annotations

import argparse
import collections
import csv
import os
import pickle
import sys
import tempfile
import time
from pathlib import Path

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from probes import iq  # noqa: E402
from probes.iq_memory import PictureMemory, judge  # noqa: E402
from tests.probes import iq_real, iq_synth  # noqa: E402

SAMPLE = Path(os.environ.get("ASSETSVC_IQ_SAMPLE", "/work/shared/data/iq-sample"))


def generated(per_source: int, seed: int, sources: tuple[str, ...], still: bool) -> list[iq_synth.Scene]:
    cache = Path(tempfile.gettempdir()) / (f"assetsvc-iq-synth-{per_source}-{seed}-{'-'.join(sources)}"
                                           f"{'-still' if still else ''}-v7.pickle")
    if cache.is_file():
        return pickle.loads(cache.read_bytes())
    data = iq_synth.scenes(per_source, seed, sources, still=still)
    cache.write_bytes(pickle.dumps(data))
    return data


def video(per_source: int, seed: int) -> list[iq_synth.Scene]:
    cache = Path(tempfile.gettempdir()) / f"assetsvc-iq-video-{per_source}-{seed}-v1.pickle"
    if cache.is_file():
        return pickle.loads(cache.read_bytes())
    data = iq_real.video_scenes(per_source, seed)
    cache.write_bytes(pickle.dumps(data))
    return data


GROUPS = ("tuning", "held-out", "fresh", "opencv", "video")


def group(title: str, per_source: int, seed: int) -> tuple[tuple[str, ...], int, list[iq_synth.Scene] | None]:
    """(sources, seed, scenes) of one group; scenes None when its data is missing (opencv-doc).

    Held out by photograph and by seed: the thresholds are set looking at the tuning half only
    (even-numbered photographs, seed `seed`). The held-out half (the odd-numbered photographs, another
    seed) was looked at in rounds before the split; the fresh group's photographs never were. Real
    camera frames and photographs (OpenCV's sample data, Debian's opencv-doc; never tuned on): the
    photographs through the same generator, and stretches of real fixed-camera videos."""
    sources, seed = {"tuning": (iq_synth.SOURCES[0::2], seed), "held-out": (iq_synth.SOURCES[1::2], seed + 1),
                     "fresh": (iq_synth.FRESH, seed + 2), "opencv": (tuple(iq_real.PHOTOS), seed + 3),
                     "video": (tuple(iq_real.VIDEOS), seed + 4)}[title]
    if title in ("opencv", "video") and iq_real.missing():
        return sources, seed, None
    if title == "video":
        return sources, seed, video(per_source, seed)
    # still, low-noise healthy grabs only in the tuning group: the case the frozen check is tuned on
    return sources, seed, generated(per_source, seed, sources, still=title == "tuning")


def _count(table, kind: str, hit: bool) -> None:
    table[kind][0] += int(hit)
    table[kind][1] += 1


def sample() -> dict[str, list[int]] | None:
    """First sight on the labelled sample: {label: [judged as that label, total]} (pairs give previous)."""
    if not (SAMPLE / "labels.csv").is_file():
        return None
    rows = list(csv.DictReader((SAMPLE / "labels.csv").open()))
    images = {r["file"]: iq.decode_image((SAMPLE / r["file"]).read_bytes()) for r in rows}
    out: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    for r in rows:
        verdict = iq.diagnose(images[r["file"]], previous=images.get(r["pair"]) if r["pair"] else None).verdict
        _count(out, r["label"], verdict == r["label"] if r["label"] != "ok" else verdict != "ok")
    return out


def print_table(title: str, result) -> list[str]:
    """Per kind: at first sight the share found and the share left unjudged ("unsure", no fault:
    counted as a miss in the recall), and with a baseline the share found. For healthy frames:
    the share flagged, and left unjudged at first sight."""
    lines = [title, f"{'kind':16} {'first sight':>17} {'unjudged':>8} {'with baseline':>17}"]
    first, unjudged, base = result["first"], result["unjudged"], result["baseline"]

    def cell(table, kind: str) -> str:
        hits, total = table.get(kind, [0, 0])
        return f"{hits / total:6.3f} ({hits:3d}/{total:3d})" if total else "n/a"

    for kind in ("ok", *[k for k in ("still", "grabs") if k in first], *iq_synth.FAULTS):
        hits, total = unjudged.get(kind, [0, 0])
        left = f"{hits / total:7.1%}" if total else "n/a"
        label = {"ok": "healthy flagged", "still": "still flagged", "grabs": "grabs flagged"}.get(kind, kind)
        lines.append(f"{label:16} {cell(first, kind):>17} {left:>8} {cell(base, kind):>17}")
    hits, total = result.get("not_judgeable", {}).get("frozen", [0, 0])
    if total:
        lines.append(f"frozen with baseline not judgeable on its scene (normal change under a repeat's, 1.5 at D1: frozen_cap; misses): {hits}/{total}")
    split = result.get("cast_split", {})
    if split:
        lines.append("color_cast with baseline: " + ", ".join(f"{k} {cell(split, k).strip()}" for k in sorted(split))
                     + " (a grey view has no colour baseline: not judged, by design)")
    print("\n".join(lines))
    return lines


def light_events_row(events: dict[str, list[int]]) -> str:
    """The healthy light events (iq_synth.light_events) flagged with a baseline, in all and per event."""
    hits, total = events["all"]
    return (f"{'light events flagged':20} with baseline {hits / total:6.3f} ({hits:3d}/{total:3d}): "
            + ", ".join(f"{k} {events[k][0]}/{events[k][1]}" for k in iq_synth.LIGHT_EVENTS)
            + f"; called occlusion {events['occlusion'][0]}/{events['occlusion'][1]}")


def cpu_per_check(repeat: int = 20) -> float:
    cv2.setNumThreads(1)
    s = iq_synth.scene("astronaut", 5)
    frame = cv2.resize(s.healthy[0], (1280, 720))
    learn = [cv2.resize(f, (1280, 720)) for f in s.learn]
    memory = judge(learn[1], judge(learn[0], PictureMemory()).memory).memory
    assert memory.learned("day"), "the bench scene did not learn a baseline"
    started = time.process_time()
    for _ in range(repeat):
        judge(frame, memory)
    return (time.process_time() - started) / repeat * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-source", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--groups", default=",".join(GROUPS), help="comma-separated: " + ", ".join(GROUPS))
    args = parser.parse_args()
    for title in args.groups.split(","):
        sources, seed, scenes = group(title, args.per_source, args.seed)
        if scenes is None:
            print(f"\n{title}: skipped: {iq_real.missing()} (apt-get install opencv-doc, "
                  "or set ASSETSVC_TEST_OPENCV_DATA)")
            continue
        print(f"\n{title}: {len(scenes)} scenes from {', '.join(sources)} (seed {seed}), "
              f"{sum(len(s.healthy) for s in scenes)} healthy frames judged, one frame per fault kind per scene")
        print_table("recall per fault kind; healthy frames flagged", iq_synth.evaluate(scenes))
        if title != "video":  # no photograph to draw light events over
            events = iq_synth.evaluate_light_events(scenes, iq_synth.scene_keys(args.per_source, seed, sources))
            print(light_events_row(events))
        if title in ("opencv", "video"):
            print("flagged healthy frames and missed faults (check value, limit):")
            print("\n".join(f"  {line}" for line in iq_real.findings(scenes)) or "  none")
        if title == "video":
            print(f"a real hand in front of the lens (tree.avi frames {iq_real.HAND.start}-{iq_real.HAND.stop - 1}; "
                  "not a labelled fault), judged with the memory of its healthy frames:")
            print("\n".join(f"  {line}" for line in iq_real.hand()))
    found = sample()
    if found is not None:
        print(f"labelled sample {SAMPLE} (first sight): " + ", ".join(
            f"{'ok flagged' if k == 'ok' else k} {h}/{n}" for k, (h, n) in sorted(found.items())))
    print(f"CPU per picture check at 1280x720 (judge with memory, one core): {cpu_per_check():.1f} ms")


if __name__ == "__main__":
    main()
