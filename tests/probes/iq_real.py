"""Labelled image-quality scenes from real cameras: OpenCV's sample data (Debian's opencv-doc).

Two groups for bench/bench_iq_accuracy.py, never used to set a threshold:
- "opencv": photographs that show what a fixed camera could watch (a street, a building front, a
  city from a mast, a room, a desk from above, a stadium), through iq_synth's scene generator
  like scikit-image's (`iq_synth._photo` loads them by name);
- "video": stretches of real fixed-camera videos. The learning and healthy grabs are real frames
  of the video, sampled apart in time: their motion, noise, light and compression are the camera's.
  What is synthetic: the OSD clock drawn on every grab and the JPEG a snapshot is (as iq_synth
  does); a night scene is the same frames in grey with gain noise (sigma 2-4, as iq_synth's night);
  every fault, made with iq_synth's fault models (`fault_on`) on a real frame of the stretch; a
  frozen grab is one real frame repeated (the clock ticking, re-encoded); a scene change is a zoom
  into a real frame (a fixed camera's video has no view beside its own to turn to).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from probes.iq_checks import views
from probes.iq_memory import PictureMemory, judge, signature
from tests import tools
from tests.probes import iq_synth
from tests.probes.iq_synth import FAULTS, HEALTHY, LEARN, STILL, Scene, fault_on

DATA = Path(tools.OPENCV_DATA)

# Chosen by looking at every photograph in opencv-doc's data folder, before any was judged. The
# others are left out as not a fixed camera's view: close-ups of objects (fruits, apple, orange,
# smarties, the books on the floor in left/right.jpg, butterfly, ela_*, box.png, cards), animals
# filling the frame (baboon, chicky, squirrel), a motion-blurred car made to test deblurring
# (licenseplate_motion: its healthy frame would be a blur), graffiti and paintings (graf*,
# starry_night), studio sets for stereo and optical flow (aloe*, rubberwhale*), chessboards and
# calibration boards (left01-14, chessboard, board), renders, logos, drawings, text pages and test
# patterns. Of a pair of views of one scene only the first is used (leuvenB, aero1, basketball2).
PHOTOS = {
    "leuvenA": "a street of old brick houses, cobbles, an overcast sky",
    "building": "a hotel front with its entrance, a hedge and a strip of sky",
    "home": "a palace front under a blue sky with birds",
    "aero3": "a city seen obliquely from high up (a mast or a tower)",
    "basketball1": "a room with two people (grey)",
    "box_in_scene": "a cluttered desk seen from above (grey)",
    "messi5": "a football pitch and its stand",
    "stuff": "a table top with a few objects, mostly plain",
}
_FILES = {"leuvenA": "leuvenA.jpg", "building": "building.jpg", "home": "home.jpg", "aero3": "aero3.jpg",
          "basketball1": "basketball1.png", "box_in_scene": "box_in_scene.png", "messi5": "messi5.jpg",
          "stuff": "stuff.jpg"}


@functools.cache
def photo(name: str) -> np.ndarray:
    """One of PHOTOS as BGR."""
    image = cv2.imread(str(DATA / _FILES[name]), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(DATA / _FILES[name])
    return image


@dataclass(frozen=True)
class Video:
    """A real fixed camera's video in DATA, and the stretch of it a healthy camera shows."""

    file: str
    what: str
    last: int  # the last frame of the healthy stretch (what follows is not a healthy view)
    step: tuple[int, int]  # frames between two grabs: drawn per scene in this range
    per_source: float  # scenes per `per_source` of video_scenes


VIDEOS = {
    # 795 frames at 10 fps (MPEG-4 v3, ~820 kbit/s), people walking over a campus path; no quiet
    # stretch: the quietest pair of consecutive frames changes 3.7 grey levels in its busiest block.
    "vtest": Video("vtest.avi", "a fixed camera over a campus path and lawn, people walking (768x576)",
                   794, (20, 60), 3.0),
    # A webcam at a window (cinepak, 15 fps, 320x240): the tree outside, a bright sky. OpenCV reads
    # 68 of its frames here; from frame 53 a hand waves in front of the lens (HAND), so the healthy
    # stretch is frames 0-52.
    "tree": Video("tree.avi", "a webcam at a window looking at a tree, the sky blown out (320x240)",
                  52, (4, 8), 0.5),
}
HAND = range(54, 68)
"""tree.avi's frames with a real hand in front of the lens (over a quarter to half of the frame,
lit through from behind): judged by `hand` with the memory of the tree's healthy frames; not a
labelled fault of the set (the set's occlusion is a board over 50-100 % of the frame)."""


def missing() -> str | None:
    """Why the groups cannot be made here (opencv-doc absent), or None."""
    return tools.why_missing("opencv-doc")


class _Grabber:
    """iq_synth._Maker's grab for a real frame: the picture's own light, noise and compression are
    kept; by night it is grey with gain noise drawn on (as iq_synth's night); the OSD clock, JPEG."""

    def __init__(self, rng: np.random.Generator, night: bool, tick: int) -> None:
        self.rng, self.night, self.tick, self.gain = rng, night, tick, 1.0

    def view(self, frame: np.ndarray) -> np.ndarray:
        view = frame.astype(np.float32)
        if self.night:
            view = np.repeat(cv2.cvtColor(view, cv2.COLOR_BGR2GRAY)[..., None], 3, axis=2)
        return view

    def frame(self, view: np.ndarray, light: float = 1.0, noise: float | None = None,
              quality: int | None = None, tick: int = 0) -> np.ndarray:
        rng = self.rng
        sigma = (rng.uniform(2.0, 4.0) if self.night else 0.0) if noise is None else noise
        out = view * (self.gain * light)
        if sigma:
            out = out + rng.normal(0, sigma, (*view.shape[:2], 1 if self.night else 3))
        out = np.clip(out, 0, 255).astype(np.uint8)
        return iq_synth._jpeg(iq_synth._osd(out, self.tick + tick),
                              int(rng.integers(70, 92)) if quality is None else quality)


@dataclass(frozen=True)
class _Plan:
    video: str
    seed: int
    night: bool
    grabs: tuple[int, ...]  # learning, then healthy grabs (frame numbers)
    faults: dict[str, int]  # kind -> the real frame it is synthesised on
    still: tuple[int, ...]  # real consecutive frames 1-5 apart ("grabs")
    tick: int

    def frames(self) -> set[int]:
        return {*self.grabs, *self.faults.values(), *self.still}


def _plan(video: str, seed: int, night: bool) -> _Plan:
    v, rng = VIDEOS[video], np.random.default_rng(seed)
    step = int(rng.integers(v.step[0], v.step[1] + 1))
    start = int(rng.integers(0, v.last - (LEARN + HEALTHY - 1) * step + 1))
    grabs = tuple(start + k * step for k in range(LEARN + HEALTHY))
    faults = {kind: int(rng.integers(grabs[LEARN - 1] + 1, grabs[-1] + 1)) for kind in FAULTS}
    first = int(rng.integers(0, v.last - 5 * STILL + 1))
    still = tuple(first + int(x) for x in np.cumsum(rng.integers(1, 6, STILL)) - 1)
    return _Plan(video, seed, night, grabs, faults, still, int(rng.integers(0, 3000)))


def _read(video: str, wanted: set[int]) -> dict[int, np.ndarray]:
    """The wanted frames of a video, decoded in order (seeking is not exact in every codec)."""
    capture, out = cv2.VideoCapture(str(DATA / VIDEOS[video].file)), {}
    try:
        for index in range(max(wanted) + 1):
            ok, frame = capture.read()
            if not ok:
                raise ValueError(f"{video}: frame {index} cannot be read")
            if index in wanted:
                out[index] = frame
    finally:
        capture.release()
    return out


def _fps(video: str) -> float:
    capture = cv2.VideoCapture(str(DATA / VIDEOS[video].file))
    try:
        return capture.get(cv2.CAP_PROP_FPS) or 10.0
    finally:
        capture.release()


def _build(p: _Plan, frames: dict[int, np.ndarray]) -> Scene:
    rng = np.random.default_rng(p.seed + 1)
    m = _Grabber(rng, p.night, p.tick)
    fps = _fps(p.video)

    def grab(index: int, grabber: _Grabber = m) -> np.ndarray:
        return grabber.frame(grabber.view(frames[index]), tick=round(index / fps))

    s = Scene(f"{p.video}{'-night' if p.night else ''}-{p.seed}", p.night)
    s.learn = [grab(i) for i in p.grabs[:LEARN]]
    s.healthy = [grab(i) for i in p.grabs[LEARN:]]
    for kind in FAULTS:
        if kind not in ("frozen", "scene_change"):
            s.faults[kind] = fault_on(kind, m.view(frames[p.faults[kind]]), m, rng)
    # Frozen: one real frame repeated (a night one with its gain noise frozen in); only the clock
    # ticks, and it is re-encoded, as iq_synth's frozen grab.
    index = p.faults["frozen"]
    repeated = m.view(frames[index]) + (rng.normal(0, rng.uniform(2.0, 4.0), (*frames[index].shape[:2], 1))
                                        if p.night else 0.0)
    repeated = np.clip(repeated, 0, 255).astype(np.uint8)
    tick = p.tick + round(index / fps)
    s.frozen_previous = iq_synth._jpeg(iq_synth._osd(repeated, tick + 1), 85)
    s.faults["frozen"] = iq_synth._jpeg(iq_synth._osd(repeated, tick + 301), 80)
    # Scene change: the camera zoomed in (as iq_synth's zoom), on a real frame.
    view = m.view(frames[p.faults["scene_change"]])
    zoom = float(rng.uniform(1.25, 1.6))
    h, w = view.shape[:2]
    crop = view[int(h * (1 - 1 / zoom) / 2):, int(w * (1 - 1 / zoom) / 2):][:int(h / zoom), :int(w / zoom)]
    s.faults["scene_change"] = m.frame(cv2.resize(crop, (w, h), interpolation=cv2.INTER_LINEAR))
    s.still, s.still_kind = [grab(i) for i in p.still], "grabs"
    if p.night:  # the camera's view by day, as it learned it on its first days: the same real frames in colour
        day = _Grabber(np.random.default_rng(p.seed + 2), False, p.tick)
        s.day_learn = [grab(i, day) for i in p.grabs[:LEARN]]
    return s


def _sized(frames: dict[int, np.ndarray], size: tuple[int, int] | None) -> dict[int, np.ndarray]:
    """The frames as a camera of `size` (width, height) would show them (area average), or as they are."""
    if size is None:
        return frames
    return {i: cv2.resize(f, size, interpolation=cv2.INTER_AREA) for i, f in frames.items()}


def video_scene(video: str, seed: int, night: bool = False, size: tuple[int, int] | None = None) -> Scene:
    """One scene of a real video; deterministic for (video, seed, night). `size`: its frames scaled to
    (width, height) before they are grabbed (a CIF or QCIF camera's view of the same scene)."""
    p = _plan(video, seed, night)
    return _build(p, _sized(_read(video, p.frames()), size))


def video_scenes(per_source: int = 4, seed: int = 1, size: tuple[int, int] | None = None) -> list[Scene]:
    """The video group: per video, round(per_source * Video.per_source) scenes (day and night
    alternating), each its own stretch; each video is decoded once. `size`: as video_scene."""
    out = []
    for i, (name, v) in enumerate(VIDEOS.items()):
        plans = [_plan(name, seed * 1000 + i * 50 + k, k % 2 == 1) for k in range(max(1, round(per_source * v.per_source)))]
        frames = _sized(_read(name, set().union(*(p.frames() for p in plans))), size)
        out.extend(_build(p, frames) for p in plans)
    return out


def _fired(d) -> str:
    return "; ".join(f"{c.name} {c.value:.3g} (limit {c.threshold:g}{', unsure' if c.verdict == 'unsure' else ''})"
                     for c in d.checks if c.verdict != "ok" and c.value is not None and c.threshold is not None)


def findings(scenes: list[Scene]) -> list[str]:
    """Each flagged healthy frame and each missed fault of `evaluate`'s cases, with the checks that
    fired (value, limit): what the bench prints for the real groups, to read, not to tune."""
    out = []
    for s in scenes:
        for i, frame in enumerate(s.healthy):
            d = judge(frame, PictureMemory()).diagnosis
            if d.verdict != "ok":
                out.append(f"{s.name} healthy {i} first sight: {d.verdict} [{_fired(d)}]")
        memory = PictureMemory()
        for frame in s.learn:
            memory = judge(frame, memory).memory
        learned = memory
        for i, frame in enumerate(s.healthy):
            judged = judge(frame, memory)
            if judged.diagnosis.verdict != "ok":
                out.append(f"{s.name} healthy {i} with baseline: {judged.diagnosis.verdict} [{_fired(judged.diagnosis)}]")
            memory = judged.memory
        for kind, frame in s.faults.items():
            before = replace(learned, previous=signature(views(s.frozen_previous)),
                             changes=memory.changes) if kind == "frozen" else learned
            if kind == "color_cast":
                before = iq_synth.in_service(s, learned)
            d = judge(frame, before).diagnosis
            if kind not in d.faults:
                own = d.check(kind)
                value = f"{own.value:.3g} (limit {own.threshold:g}, {own.verdict})" if own and own.value is not None else "n/a"
                out.append(f"{s.name} {kind} missed with baseline: {kind} {value}; verdict {d.verdict} [{_fired(d)}]")
        still = PictureMemory()
        for i, frame in enumerate(s.still):
            if i > 0:
                d = judge(frame, PictureMemory(previous=signature(views(s.still[i - 1])))).diagnosis
                if d.verdict != "ok":
                    out.append(f"{s.name} {s.still_kind} {i} first sight: {d.verdict} [{_fired(d)}]")
            judged = judge(frame, still)
            if i >= LEARN and judged.diagnosis.verdict != "ok":
                out.append(f"{s.name} {s.still_kind} {i} with its memory: {judged.diagnosis.verdict} "
                           f"[{_fired(judged.diagnosis)}]")
            still = judged.memory
    return out


def hand(seed: int = 1) -> list[str]:
    """tree.avi's frames with a real hand in front of the lens (HAND), each judged with the memory the
    camera learned from its healthy frames before (every 4th frame from 0, the last one the previous
    grab): one line per frame with its verdict and the occlusion check."""
    healthy = range(0, VIDEOS["tree"].last + 1, 4)
    frames = _read("tree", {*healthy, *HAND})
    m, fps = _Grabber(np.random.default_rng(seed), False, 0), _fps("tree")
    memory = PictureMemory()
    for i in healthy:
        memory = judge(m.frame(m.view(frames[i]), tick=round(i / fps)), memory).memory
    out = []
    for i in HAND:
        d = judge(m.frame(m.view(frames[i]), tick=round(i / fps)), memory).diagnosis
        occlusion = d.check("occlusion")
        out.append(f"tree frame {i}: {d.verdict} (occlusion {occlusion.value:.3g}, limit {occlusion.threshold:g}) "
                   f"[{_fired(d)}]")
    return out
