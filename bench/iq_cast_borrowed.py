"""Colour cast judged with the other mode's baseline: the first colour grabs of a camera that
learned only its night (infrared, grey) picture, as after an installation in the evening; and
whether colour that depends on brightness only tells a cast on a grey view from a first colour day.

    python bench/iq_cast_borrowed.py [--groups tuning,held-out,fresh,opencv,video,crops] [--frames]
                                     [--variants] [--jpeg]

Per group of bench/bench_iq_accuracy.py (and "crops": views of one colour cut from colour photographs
and a real video frame, CROPS, grabbed with the set's noise, OSD clock and JPEG):
- healthy colour grabs judged with a night-only baseline: (a) a day scene's baseline learned from grey
  copies of its learning grabs; (b) a night scene's view by day (`Scene.day_learn`, the same view in
  colour) judged with the baseline its own night grabs taught. An IR picture's colour says nothing
  about the day's, so the cast is judged only against a baseline of the grab's own mode
  (probes.iq_memory.BORROWED_FIRST_SIGHT; before issue 14 part 7 the absolute limit of 30 Lab units
  applied here). Prints how many are flagged, and which scenes;
- the group's cast frames judged with the memory a camera in service has (iq_synth.in_service: a
  night scene's camera has learned its day view too): found against a baseline of their own mode, and
  left unjudged where the camera has only the other mode's (a grey view by day has no colour picture);
- for both classes, `colour_at_same_luma` (a measurement only, no check uses it): how far the
  picture's mean colour is from grey, and how much its colour differs among parts of the same
  brightness. A cast over a grey view makes colour a function of brightness; a scene of several
  colours has different colours at one brightness. The summary says how many casts a limit on each
  measure (the spread, the spread over the distance, the share brightness explains) finds without
  flagging a healthy grab, over the grabs past the absolute limit with the view found in place
  (docs/probes-iq.md, "Colour at the same brightness"). `--variants`: the spread with other blocks
  and bins; `--jpeg`: how much of a cast's spread the JPEG makes.
"""

from __future__ import annotations

import argparse
import collections
import functools
import math
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_iq_accuracy import GROUPS, group  # noqa: E402
from probes.iq_checks import Views, views  # noqa: E402
from probes.iq_memory import PictureMemory, judge  # noqa: E402
from probes.iq_types import DEFAULT  # noqa: E402
from tests.probes import iq_real, iq_synth  # noqa: E402

BLOCK = 4
"""Pixels of the 320-px copy averaged per sample (4x4): sensor noise down, parts of the scene kept apart."""
LUMA_BIN = 4.0
"""L* units per brightness bin (about two just-noticeable differences of lightness)."""


def colour_at_same_luma(image: np.ndarray | Views, block: int = BLOCK,
                        luma_bin: float = LUMA_BIN) -> tuple[float, float, float]:
    """(distance of the mean (a*, b*) from grey, the spread of (a*, b*) among parts of equal brightness,
    the share of the colour's variance that brightness explains).

    The spread: on the 320-px copy outside the OSD bands, each 4x4 block's mean (L*, a*, b*); blocks are
    binned by L* (LUMA_BIN wide); the root mean square distance of each block's (a*, b*) from the mean
    of its bin. Colour that is a function of brightness only (a white-balance gain or a tint over a
    grey view) leaves the noise and the JPEG's chroma at edges; objects of different colours at the
    same brightness leave more. The share explained: 1 - the spread's square over the variance of
    (a*, b*) about their mean (near 1: colour follows brightness; near 0: it does not, or does not vary)."""
    small = views(image).small
    lab = cv2.cvtColor(small.astype(np.float32) * (1 / 255), cv2.COLOR_BGR2Lab)
    band = int(round(lab.shape[0] * DEFAULT.osd_band))
    lab = lab[band:lab.shape[0] - band]
    h, w = lab.shape[0] // block, lab.shape[1] // block
    blocks = cv2.resize(lab[:h * block, :w * block], (w, h), interpolation=cv2.INTER_AREA).reshape(-1, 3)
    luma, ab = blocks[:, 0], blocks[:, 1:].astype(np.float64)
    bins = np.floor(luma / luma_bin).astype(np.int64)
    bins -= bins.min()
    count = np.bincount(bins)
    means = np.stack([np.bincount(bins, ab[:, i]) for i in (0, 1)], axis=1) / np.maximum(count, 1)[:, None]
    within = float(((ab - means[bins]) ** 2).sum(axis=1).mean())
    total = float(((ab - ab.mean(axis=0)) ** 2).sum(axis=1).mean())
    a, b = ab.mean(axis=0)
    return math.hypot(a, b), math.sqrt(within), 1 - within / total if total > 0 else 0.0


# One colour filling the view, cut from the colour photographs (x0, y0, x1, y1 in the photograph's
# pixels; iq_synth's grabber takes a 16:9 crop of it). Chosen by looking at the photographs only.
CROPS: dict[str, tuple[str, tuple[int, int, int, int], str]] = {
    "table": ("coffee", (490, 0, 600, 400), "the brown wooden table beside the saucer"),
    "fur": ("chelsea", (100, 0, 330, 85), "the cat's forehead: tabby fur"),
    "cheek": ("chelsea", (0, 150, 110, 300), "the cat's cheek and whiskers: pale fur"),
    "night_sky": ("rocket", (140, 0, 310, 110), "the dusk sky over the launch pad, a mast's tip"),
    "pitch": ("messi5", (0, 262, 210, 342), "the football pitch: mown grass and a white line"),
    "lawn": ("vtest", (170, 420, 430, 576), "the campus lawn of a real video frame (vtest.avi frame 100)"),
    "sky": ("home", (0, 0, 230, 200), "a blue sky with birds and the edge of a cloud"),
    "clear_sky": ("home", (0, 0, 115, 110), "a clear blue sky"),
}


@functools.cache
def _source(name: str) -> np.ndarray:
    if name == "vtest":
        return iq_real._read("vtest", {100})[100]
    return iq_synth._photo(name)


def crop_scenes(per_source: int, seed: int) -> list[iq_synth.Scene]:
    """Day scenes of the CROPS, per_source each in full light and as many with iq_synth's deep shadow
    over the left half (a building's shadow over a lawn): learning and healthy grabs as
    iq_synth.scene makes them (sub-pixel jitter, light within 3-5 %, sensor noise, the clock, JPEG 70-91)."""
    out = []
    for i, (name, (photo, (x0, y0, x1, y1), _)) in enumerate(CROPS.items()):
        for k in range(2 * per_source):
            key, variant = seed * 1000 + i * 50 + k, ("", "shadow")[k % 2]
            rng = np.random.default_rng(key)
            m = iq_synth._Maker(rng, np.ascontiguousarray(_source(photo)[y0:y1, x0:x1]), False, variant)
            s, t = iq_synth.Scene(f"{name}{'-' + variant if variant else ''}-{key}", False), 0
            for frames, light in ((s.learn, 0.03), (s.healthy, 0.05)):
                for _ in range(iq_synth.LEARN if frames is s.learn else iq_synth.HEALTHY):
                    t += int(rng.integers(60, 600))
                    frames.append(m.frame(light=float(rng.uniform(1 - light, 1 + light)), tick=t))
            out.append(s)
    return out


@dataclass(frozen=True)
class Row:
    """One grab measured: its class, what the check said now, and colour_at_same_luma."""

    kind: str  # "cast" (a cast over a grey view), "first day" (a), "day view" (b)
    scene: str
    flagged: bool  # a fault verdict with the memory as it is now
    in_place: bool  # the other mode's baseline found the view in place (no scene change)
    distance: float
    spread: float
    explained: float
    others: tuple[float, ...] = ()  # the spread per VARIANTS (measure(variants=True), judgeable grabs)

    @property
    def relative(self) -> float:
        """The spread over the distance from grey."""
        return self.spread / max(self.distance, 1e-6)


def _learned(frames: list[np.ndarray], grey: bool = False) -> PictureMemory:
    memory = PictureMemory()
    for frame in frames:
        if grey:
            frame = cv2.cvtColor(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
        memory = judge(frame, memory).memory
    return memory


VARIANTS = tuple((block, luma_bin) for block in (1, 2, 4, 8) for luma_bin in (2.0, 4.0, 8.0))
"""Other blocks (px of the 320-px copy) and brightness bins (L* units) the spread was measured with."""


def measure(scenes: list[iq_synth.Scene], variants: bool = False) -> tuple[list[Row], list[int], list[int]]:
    """The rows, and the cast frames [found, judged] with a baseline of their own mode and with only
    the other mode's. A healthy colour grab is judged without the previous grab: here the night grabs
    are grey copies of the same frames (or the same real video frames), which the frozen check calls
    a repeat, while a real switch from IR to colour changes the luma."""
    rows, own, borrowed = [], [0, 0], [0, 0]

    def row(kind: str, name: str, frame: np.ndarray, memory: PictureMemory, keep: Callable[[str], bool]) -> None:
        judged = judge(frame, memory)
        if keep(judged.mode):
            scene = judged.diagnosis.check("scene_change")
            r = Row(kind, name, judged.diagnosis.verdict != "ok", scene is not None and scene.verdict != "fault",
                    *colour_at_same_luma(frame))
            if variants and _judgeable(r):
                r = replace(r, others=tuple(colour_at_same_luma(frame, *v)[1] for v in VARIANTS))
            rows.append(r)

    for s in scenes:
        learned = _learned(s.learn)
        if "color_cast" in s.faults:
            memory = iq_synth.in_service(s, learned)
            cast = judge(s.faults["color_cast"], memory)
            tally = own if cast.mode in memory.baselines else borrowed
            tally[0] += int("color_cast" in cast.diagnosis.faults)
            tally[1] += 1
            row("cast", s.name, s.faults["color_cast"], memory,
                lambda mode, memory=memory: mode not in memory.baselines and bool(memory.baselines))
        night = replace(_learned(s.learn, grey=True), previous=None, previous_mode=None)
        if night.learned("night"):  # (a): a colour grab's first day; a grey photograph's day is grey
            for frame in s.healthy:
                row("first day", s.name, frame, night, lambda mode: mode == "day")
        if learned.learned("night") and not learned.learned("day"):  # (b): the view by day
            for frame in s.day_learn:
                row("day view", s.name, frame, replace(learned, previous=None, previous_mode=None),
                    lambda mode: mode == "day")
    return rows, own, borrowed


def _span(values: list[float], digits: int = 1) -> str:
    return f"{min(values):.{digits}f}-{max(values):.{digits}f}" if values else "n/a"


def _judgeable(r: Row) -> bool:
    """Past the absolute limit from grey with the view found in place: where a rule could flag."""
    return r.in_place and r.distance > DEFAULT.color_cast_ab


def summary(rows: list[Row], title: str) -> list[str]:
    """Per kind: grabs, flagged now, found in place, past the absolute limit; the range of the
    distance from grey over all, and of the three measures over the judgeable grabs."""
    lines = [f"{title}: {'kind':9} {'grabs':>5} {'flagged':>7} {'in place':>8} {'past 30':>7} {'from grey':>11}"
             f" | past 30, in place: {'spread':>9} {'relative':>9} {'explained':>9}"]
    by_kind = collections.defaultdict(list)
    for r in rows:
        by_kind[r.kind].append(r)
    for kind, rs in by_kind.items():
        past = [r for r in rs if _judgeable(r)]
        lines.append(f"{title}: {kind:9} {len(rs):5d} {sum(r.flagged for r in rs):7d} {sum(r.in_place for r in rs):8d} "
                     f"{len(past):7d} {_span([r.distance for r in rs]):>11} | {'':19} "
                     f"{_span([r.spread for r in past]):>9} {_span([r.relative for r in past], 3):>9} "
                     f"{_span([r.explained for r in past], 2):>9}")
    return lines


MEASURES: dict[str, tuple[Callable[[Row], float], int]] = {
    "spread": (lambda r: r.spread, 1), "relative": (lambda r: r.relative, 1),
    "explained": (lambda r: r.explained, -1)}
"""Each measure, and its sign: 1 when a cast reads lower than a scene of several colours."""


def separation(rows: list[Row]) -> list[str]:
    """For each measure over the judgeable grabs: the casts a limit finds when it flags no healthy
    grab, and the healthy grabs inside the casts' range."""
    casts = [r for r in rows if r.kind == "cast" and _judgeable(r)]
    healthy = [r for r in rows if r.kind != "cast" and _judgeable(r)]
    if not casts or not healthy:
        return []
    lines = [f"all: judgeable (past 30 from grey, view in place): {len(casts)} casts over grey views, "
             f"{len(healthy)} healthy colour grabs with a night-only baseline"]
    for name, (value, sign) in MEASURES.items():
        def key(r: Row, value: Callable[[Row], float] = value, sign: int = sign) -> float:
            return sign * value(r)

        edge = min(healthy, key=key)
        found = [r for r in casts if key(r) < key(edge)]
        inside = [r for r in healthy if key(r) <= max(key(c) for c in casts)]
        worst = max(casts, key=key)
        lines.append(f"all: {name:9} casts {_span([value(r) for r in casts], 3)}, healthy "
                     f"{_span([value(r) for r in healthy], 3)}; with no healthy grab flagged a limit finds "
                     f"{len(found)} of {len(casts)} casts (the nearest healthy: {edge.scene} {value(edge):.3f}); "
                     f"healthy inside the casts' range: {len(inside)} of {len(healthy)} (the last cast: "
                     f"{worst.scene} {value(worst):.3f})")
    return lines


def variants(rows: list[Row]) -> list[str]:
    """The spread with other blocks and bins (VARIANTS): the judgeable casts' range and median, the
    lowest healthy grab's, and the casts under it."""
    casts = [r for r in rows if r.kind == "cast" and r.others]
    healthy = [r for r in rows if r.kind != "cast" and r.others]
    lines = []
    for i, (block, luma_bin) in enumerate(VARIANTS):
        c = sorted(r.others[i] for r in casts)
        low = min((r.others[i] for r in healthy), default=math.nan)
        lines.append(f"variants: {block} px blocks, bins of {luma_bin:g} L*: casts {c[0]:.2f}-{c[-1]:.2f} "
                     f"(median {c[len(c) // 2]:.2f}), the lowest healthy grab {low:.2f}: "
                     f"{sum(x < low for x in c)} of {len(c)} casts under it")
    return lines


def jpeg_share(sources: tuple[str, ...] = ("page", "camera", "coins", "moon", "text"),
               seeds: tuple[int, ...] = (1250, 1252, 1050, 1052)) -> list[str]:
    """The spread of casts over grey photographs (iq_synth's cast and grab, day) with the set's JPEG
    (4:2:0 chroma), JPEG with full chroma (4:4:4), and no JPEG: how much of it is the compression."""
    kept, lines = iq_synth._jpeg, []

    def full_chroma(image: np.ndarray, quality: int) -> np.ndarray:
        params = [cv2.IMWRITE_JPEG_QUALITY, quality,
                  cv2.IMWRITE_JPEG_SAMPLING_FACTOR, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444]
        return cv2.imdecode(cv2.imencode(".jpg", image, params)[1], cv2.IMREAD_COLOR)

    try:
        for source in sources:
            cells = []
            for label, encode in (("JPEG 4:2:0 (the set)", kept), ("JPEG 4:4:4", full_chroma),
                                  ("no JPEG", lambda image, quality: image)):
                iq_synth._jpeg = encode
                spread = []
                for seed in seeds:
                    rng = np.random.default_rng(seed)
                    m = iq_synth._Maker(rng, iq_synth._photo(source), False, "")
                    spread.append(colour_at_same_luma(iq_synth._fault("color_cast", m, rng))[1])
                cells.append(f"{label} {_span(spread, 2)}")
            lines.append(f"jpeg: cast over {source}: " + ", ".join(cells))
    finally:
        iq_synth._jpeg = kept
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-source", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--groups", default=",".join((*GROUPS, "crops")))
    parser.add_argument("--frames", action="store_true", help="print every grab measured")
    parser.add_argument("--variants", action="store_true", help="also the spread with other blocks and bins")
    parser.add_argument("--jpeg", action="store_true", help="also the share of the casts' spread due to JPEG")
    args = parser.parse_args()
    everything: list[Row] = []
    for title in args.groups.split(","):
        if title == "crops":
            scenes = crop_scenes(args.per_source, args.seed + 9)
        else:
            scenes = group(title, args.per_source, args.seed)[2]
            if scenes is None:
                print(f"{title}: skipped: {iq_real.missing()}")
                continue
        rows, own, borrowed = measure(scenes, args.variants)
        everything += rows
        healthy = [r for r in rows if r.kind != "cast"]
        which = sorted({r.scene for r in healthy if r.flagged})
        print(f"\n{title}: healthy colour grabs judged with a night-only baseline: "
              f"{sum(r.flagged for r in healthy)} of {len(healthy)} flagged {which or ''}")
        if own[1] or borrowed[1]:
            print(f"{title}: cast frames with a baseline of their own mode: {own[0]} of {own[1]} found; "
                  f"with only the other mode's: {borrowed[0]} of {borrowed[1]} found (not judged)")
        print("\n".join(summary(rows, title)))
        if args.frames:
            for r in rows:
                print(f"  {r.kind:9} {r.scene:38} from grey {r.distance:5.1f} spread {r.spread:5.2f} relative "
                      f"{r.relative:.3f} explained {r.explained:.2f}{'' if r.in_place else ' (view not found)'}"
                      f"{' FLAGGED' if r.flagged else ''}")
    print("\n" + "\n".join(separation(everything)))
    if args.variants:
        print("\n".join(variants(everything)))
    if args.jpeg:
        print("\n".join(jpeg_share()))


if __name__ == "__main__":
    main()
