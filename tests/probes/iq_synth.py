"""A labelled image-quality set generated from the natural photographs scikit-image ships offline.

Each scene is a crop of one photograph at some scale and lighting, by day (colour) or by night
(infrared: greyscale, more gain noise), sometimes with a large sky or shadow put in; every frame
carries an OSD clock in the top band. A scene gives consecutive healthy frames (sub-pixel jitter,
sensor noise, small light changes, the clock ticking, JPEG), and each fault kind is synthesised on
a later frame. Used by bench/bench_iq_accuracy.py (the full set) and tests/probes (a small one).
"""

from __future__ import annotations

import collections
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from probes.iq_checks import views
from probes.iq_memory import PictureMemory, judge, signature, unsure

# Photographs that load offline (skimage.data's others download on first use). Grey ones are
# used as they are; text, brick, grass and gravel are the regular textures, page and text the print.
SOURCES = ("astronaut", "brick", "camera", "chelsea", "coffee", "coins", "grass", "gravel", "rocket",
           "text", "page", "clock", "moon", "cat")
FAULTS = ("blur", "dark", "overexposed", "low_contrast", "color_cast", "occlusion", "no_signal", "noise",
          "stripes", "frozen", "scene_change")
LEARN = 2  # earlier frames a baseline is learned from
HEALTHY = 4  # healthy frames judged per scene
STILL = 4  # grabs of a still, low-noise healthy view per scene (the tuning group's, scenes(still=True))


# Photographs scikit-image also ships that no threshold was ever set against: the bench's fresh
# group (bench/bench_iq_accuracy.py), judged once after tuning. The motorcycle is the left image of
# its stereo pair. Left out as not a camera's view: the star field (dark by any camera's standard),
# the cell (a microscope frame with hardly an edge), drawings and test patterns.
FRESH = ("motorcycle", "immunohistochemistry", "retina")


def _photo(name: str) -> np.ndarray:
    from tests.probes import iq_real  # its photographs (OpenCV's sample data); it imports this module

    if name in iq_real.PHOTOS:
        return iq_real.photo(name)
    import skimage.data

    image = skimage.data.stereo_motorcycle()[0] if name == "motorcycle" else getattr(skimage.data, name)()
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    return cv2.cvtColor(image[..., :3], cv2.COLOR_RGB2BGR)


@dataclass
class Scene:
    """One camera's view: the frames it shows when healthy, and one frame per synthesised fault."""

    name: str
    night: bool
    learn: list[np.ndarray] = field(default_factory=list)  # earlier healthy frames (baseline)
    healthy: list[np.ndarray] = field(default_factory=list)  # later healthy frames, each after the previous
    faults: dict[str, np.ndarray] = field(default_factory=dict)  # kind -> faulty frame (after learn[-1])
    frozen_previous: np.ndarray | None = None  # the grab before faults["frozen"] (same frame, clock ticked)
    other_view: np.ndarray | None = None
    still: list[np.ndarray] = field(default_factory=list)  # consecutive grabs of a still, low-noise view
    still_kind: str = "still"
    """The kind `evaluate` counts the `still` grabs under ("grabs": real consecutive video frames)."""
    day_learn: list[np.ndarray] = field(default_factory=list)
    """A night scene's view by day (colour), as its camera learned it on its first days: the
    baseline a colour grab of this camera (a colour cast) is judged against (`in_service`)."""


def _osd(image: np.ndarray, tick: int) -> np.ndarray:
    out = image.copy()
    scale = out.shape[1] / 1100
    cv2.putText(out, f"2026-12-06 18:{tick // 60 % 60:02d}:{tick % 60:02d}", (8, int(28 * scale) + 4),
                cv2.FONT_HERSHEY_SIMPLEX, scale, (235, 235, 235), max(1, round(2 * scale)), cv2.LINE_AA)
    return out


def _jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    return cv2.imdecode(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])[1], cv2.IMREAD_COLOR)


class _Maker:
    def __init__(self, rng: np.random.Generator, photo: np.ndarray, night: bool, variant: str,
                 size: tuple[int, int] | None = None) -> None:
        self.rng, self.night, self.variant = rng, night, variant
        h, w = photo.shape[:2]
        # A D1-class frame (640 or 704 wide, 16:9); the photograph is enlarged as little as the
        # frame needs (bicubic), since every enlargement softens it. `size` (width, height): a
        # camera of another resolution (CIF 352x288, QCIF 176x144): the view is drawn at D1 width
        # with that aspect and area-averaged down to it (as a sensor integrates the light falling on
        # each pixel: a bicubic warp straight to CIF aliases fine texture, and a 0.05 px drift then
        # changes it by 10 grey levels), its noise and JPEG drawn at its own size. The crop and light
        # are drawn as for D1; later draws then differ.
        width = int(rng.choice([640, 704]))
        height = width * 9 // 16 if size is None else round(width * size[1] / size[0])
        scale = max(width / w, height / h) * float(rng.uniform(1.0, 1.25))
        cw, ch = int(width / scale), int(height / scale)
        self.x0, self.y0 = int(rng.integers(0, max(1, w - cw))), int(rng.integers(0, max(1, h - ch)))
        self.photo, self.crop, self.render = photo.astype(np.float32), (cw, ch), (width, height)
        self.size = self.render if size is None else size
        self.gain = float(rng.uniform(0.75, 1.2)) if not night else float(rng.uniform(0.8, 1.1))
        self.tick = int(rng.integers(0, 3000))

    def base(self, dx: float = 0.0, dy: float = 0.0) -> np.ndarray:
        """The view (float BGR, out size), shifted by (dx, dy) source pixels."""
        cw, ch = self.crop
        (rw, rh) = self.render
        m = np.float32([[rw / cw, 0, -(self.x0 + dx) * rw / cw], [0, rh / ch, -(self.y0 + dy) * rh / ch]])
        view = cv2.warpAffine(self.photo, m, self.render, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
        if self.size != self.render:
            view = cv2.resize(view, self.size, interpolation=cv2.INTER_AREA)
        if self.variant == "sky":  # the top 55 % a smooth sky, as a camera aimed high sees it
            h = view.shape[0]
            top = int(0.55 * h)
            sky = np.linspace(205, 165, top, dtype=np.float32)[:, None, None] * np.float32([1.0, 0.93, 0.85])
            view[:top] = sky
        elif self.variant == "shadow":  # a deep shadow over the left half
            view[:, : view.shape[1] // 2] *= 0.3
        if self.night:
            view = np.repeat(cv2.cvtColor(view, cv2.COLOR_BGR2GRAY)[..., None], 3, axis=2)
        return view

    def frame(self, view: np.ndarray | None = None, light: float = 1.0, noise: float | None = None,
              quality: int | None = None, tick: int = 0) -> np.ndarray:
        """A grab: lighting, sensor noise, the OSD clock, JPEG."""
        rng = self.rng
        view = self.base(*rng.uniform(-0.6, 0.6, 2)) if view is None else view
        sigma = (rng.uniform(2.0, 4.0) if self.night else rng.uniform(0.8, 2.0)) if noise is None else noise
        out = view * (self.gain * light) + rng.normal(0, sigma, (*view.shape[:2], 1 if self.night else 3))
        out = np.clip(out, 0, 255).astype(np.uint8)
        return _jpeg(_osd(out, self.tick + tick), int(rng.integers(70, 92)) if quality is None else quality)


def _fault(kind: str, m: _Maker, rng: np.random.Generator) -> np.ndarray:
    return fault_on(kind, m.base(*rng.uniform(-0.6, 0.6, 2)), m, rng)


def fault_on(kind: str, view: np.ndarray, m, rng: np.random.Generator) -> np.ndarray:
    """The fault `kind` synthesised on `view` (float BGR, as m.base() gives it) and grabbed by `m`
    (its frame(), gain and night: a _Maker, or tests/probes/iq_real's maker of real video frames)."""
    h, w = view.shape[:2]
    if kind == "blur":
        return m.frame(cv2.GaussianBlur(view, (0, 0), float(rng.uniform(0.006, 0.012)) * w))
    if kind == "dark":
        target = float(rng.uniform(10, 24))  # mean luma: a night without IR, a failed iris
        return m.frame(view, light=target / max(20.0, float(view.mean())) / m.gain,
                       noise=float(rng.uniform(1.0, 2.5)))
    if kind == "overexposed":  # the iris stuck open: mean luma 225-245, highlights blown
        target = float(rng.uniform(225, 245))
        lifted = 255 - (255 - view) * (255 - target) / max(1.0, 255 - float(view.mean()))
        return m.frame(np.clip(lifted, 0, 255) / m.gain)
    if kind == "low_contrast":  # fog / a dirty dome: everything pulled towards one grey
        k = float(rng.uniform(0.06, 0.12))
        return m.frame((view * k + rng.uniform(100, 160) * (1 - k)) / m.gain, noise=0.8)
    if kind == "color_cast":  # white balance off: the whole frame shifted 35-55 Lab units towards one hue
        lab = cv2.cvtColor(np.clip(view, 0, 255) / 255, cv2.COLOR_BGR2Lab)
        angle, size = float(rng.uniform(0, 2 * np.pi)), float(rng.uniform(35, 55))
        lab[..., 1] += size * np.cos(angle)
        lab[..., 2] += size * np.sin(angle)
        return m.frame(np.clip(cv2.cvtColor(lab, cv2.COLOR_Lab2BGR) * 255, 0, 255) / m.gain)
    if kind == "occlusion":  # a flat, out-of-focus object in front of the lens
        mask = np.zeros((h, w), np.float32)
        cx, cy = int(rng.uniform(0.3, 0.7) * w), int(rng.uniform(0.3, 0.7) * h)
        cv2.ellipse(mask, (cx, cy), (int(rng.uniform(0.38, 0.5) * w), int(rng.uniform(0.5, 0.7) * h)),
                    float(rng.uniform(0, 180)), 0, 360, 1.0, -1)
        mask = cv2.GaussianBlur(mask, (0, 0), 0.01 * w)[..., None]
        cover = np.float32(rng.uniform(20, 120, 3)) if not m.night else np.float32([rng.uniform(20, 120)] * 3)
        return m.frame(view * (1 - mask) + cover * mask)
    if kind == "no_signal":
        colour = (0, 0, 0) if rng.random() < 0.5 else (200, 40, 0)
        screen = np.zeros((h, w, 3), np.uint8)
        screen[:] = colour
        cv2.putText(screen, "NO SIGNAL", (int(0.36 * w), h // 2), cv2.FONT_HERSHEY_SIMPLEX, w / 900,
                    (255, 255, 255), 2)
        return _jpeg(screen, 85)
    if kind == "noise":
        return m.frame(view, noise=float(rng.uniform(14, 28)))
    if kind == "stripes":
        period = float(rng.uniform(4, 30))
        amplitude = float(rng.uniform(18, 35))
        tilt = float(rng.uniform(-0.02, 0.02))
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        coord = (yy + tilt * xx) if rng.random() < 0.7 else (xx + tilt * yy)
        return m.frame(view + (amplitude * np.sin(2 * np.pi * coord / period))[..., None])
    raise ValueError(kind)


def _still(m: _Maker, seed: int, t: int) -> list[np.ndarray]:
    """Healthy grabs of a still, low-noise view, as a static indoor or night camera gives: the same
    view moved by at most 0.05 source px, light within 0.5 %, sensor noise only (sigma 0.5-1.0 by day,
    1.0-2.0 at night), the clock ticking, JPEG. Its own generator, so the other frames stay as they were."""
    rng = np.random.default_rng(seed + 7919)
    out = []
    for _ in range(STILL):
        t += int(rng.integers(60, 600))
        view = m.base(*rng.uniform(-0.05, 0.05, 2))
        out.append(m.frame(view, light=float(rng.uniform(0.995, 1.005)),
                           noise=float(rng.uniform(1.0, 2.0) if m.night else rng.uniform(0.5, 1.0)),
                           quality=int(rng.integers(70, 92)), tick=t))
    return out


def scene(source: str, seed: int, night: bool = False, variant: str = "", still: bool = False,
          size: tuple[int, int] | None = None) -> Scene:
    """One scene with its healthy and faulty frames; deterministic for (source, seed, night, variant).
    `still` adds grabs of the same view still and low-noise (Scene.still); `size` makes every frame
    at that (width, height) instead of D1 (_Maker)."""
    rng = np.random.default_rng(seed)
    m = _Maker(rng, _photo(source), night, variant, size)
    s = Scene(f"{source}{'-night' if night else ''}{'-' + variant if variant else ''}-{seed}", night)
    t = 0
    for _ in range(LEARN):
        t += int(rng.integers(60, 600))
        s.learn.append(m.frame(light=float(rng.uniform(0.97, 1.03)), tick=t))
    for _ in range(HEALTHY):
        t += int(rng.integers(60, 600))
        s.healthy.append(m.frame(light=float(rng.uniform(0.95, 1.05)), tick=t))
    for kind in FAULTS:
        if kind in ("frozen", "scene_change"):
            continue
        s.faults[kind] = _fault(kind, m, rng)
    # Frozen: the encoder repeats one frame; only the OSD clock ticks (and JPEG re-encodes it).
    repeated = np.clip(m.base() * m.gain + rng.normal(0, 1.0, (*m.size[::-1], 1 if night else 3)), 0, 255)
    repeated = repeated.astype(np.uint8)
    s.frozen_previous = _jpeg(_osd(repeated, t + 1), 85)
    s.faults["frozen"] = _jpeg(_osd(repeated, t + 301), 80)
    # Scene change: the camera turned (a view a quarter of the frame or more away) or zoomed.
    if rng.random() < 0.5:
        turned = m.base(float(rng.choice([-1, 1]) * rng.uniform(0.25, 0.45) * m.crop[0]),
                        float(rng.uniform(-0.1, 0.1) * m.crop[1]))
        s.faults["scene_change"] = m.frame(turned)
    else:
        zoom = float(rng.uniform(1.25, 1.6))
        view = m.base()
        h, w = view.shape[:2]
        crop = view[int(h * (1 - 1 / zoom) / 2):, int(w * (1 - 1 / zoom) / 2):][:int(h / zoom), :int(w / zoom)]
        s.faults["scene_change"] = m.frame(cv2.resize(crop, (w, h), interpolation=cv2.INTER_LINEAR))
    if still:
        s.still = _still(m, seed, t)
    if night:
        s.day_learn = _day_view(source, seed, variant)
    return s


def _day_view(source: str, seed: int, variant: str) -> list[np.ndarray]:
    """LEARN grabs of a night scene's view by day: the same crop (a maker drawn from the same seed
    draws the same crop first), daylight gain and noise; its own generator for the frames, so the
    night scene's frames stay as they were. A grey photograph's day view is grey (mode night)."""
    day = _Maker(np.random.default_rng(seed), _photo(source), False, variant)
    day.rng = np.random.default_rng(seed + 104729)
    return [day.frame(light=float(day.rng.uniform(0.97, 1.03)), tick=60 * (i + 1)) for i in range(LEARN)]


def in_service(s: Scene, learned: PictureMemory) -> PictureMemory:
    """The memory of a camera in service: `learned` (from the scene's earlier frames) and, for a
    night scene, the day baseline its camera learned on its first days from the view by day (a
    colour cast is judged only against a baseline of the grab's own mode; a grey view has none)."""
    memory = learned
    for frame in s.day_learn:
        memory = judge(frame, memory).memory
    return replace(memory, previous=learned.previous, previous_mode=learned.previous_mode)


def scenes(per_source: int = 4, seed: int = 1, sources: tuple[str, ...] = SOURCES,
           still: bool = False) -> list[Scene]:
    """The set: per source, day and night scenes, some with a large sky or shadow (`still`: with
    still, low-noise grabs too)."""
    return [scene(source, key, night=night, variant=variant, still=still)
            for source, key, night, variant in scene_keys(per_source, seed, sources)]


def evaluate(scenes: list[Scene]) -> dict[str, dict[str, list[int]]]:
    """{case: {kind: [hits, total]}}; kind "ok" counts healthy frames flagged.

    "first": judged as monitoring judges a camera's first grab (judge with an empty memory: the
    scene-dependent checks may say "unsure", probes.iq_memory.first_sight); "unjudged": frames
    left unsure at first sight with no fault found ([unsure, total]; such a fault frame is a miss
    in "first"); "baseline": judged with the baseline learned from the scene's earlier frames (frozen:
    with the normal change between grabs learned over the earlier and the healthy frames).
    Still grabs (kind "still"): "first" judges each pair with nothing learned; "baseline" is the
    still camera's own memory, learned from its first two still grabs, judging the grabs after them.
    "not_judgeable": frozen frames judged with a baseline whose scene's normal change between grabs
    left frozen not judgeable (a miss in "baseline").
    Colour cast with a baseline: with the memory a camera in service has (`in_service`: a night
    scene's camera has also learned its day view); "cast_split" counts the cast frames judged with a
    baseline of their own mode (a colour one) apart from those of grey views, which have none.
    """
    out = {case: collections.defaultdict(lambda: [0, 0])
           for case in ("first", "unjudged", "baseline", "not_judgeable", "cast_split")}
    for s in scenes:
        # First sight: no memory (frozen still gets its previous grab: that needs no baseline).
        for frame in s.healthy:
            d = judge(frame, PictureMemory()).diagnosis
            _count(out["first"], "ok", d.verdict != "ok")
            _count(out["unjudged"], "ok", d.verdict == "ok" and bool(unsure(d)))
        for kind, frame in s.faults.items():
            if kind == "scene_change":
                continue
            previous = signature(views(s.frozen_previous)) if kind == "frozen" else None
            d = judge(frame, PictureMemory(previous=previous)).diagnosis
            _count(out["first"], kind, kind in d.faults)
            _count(out["unjudged"], kind, kind not in d.faults and kind in unsure(d))
        # With a baseline learned from the earlier frames.
        memory = PictureMemory()
        for frame in s.learn:
            memory = judge(frame, memory).memory
        learned = memory
        for frame in s.healthy:
            judged = judge(frame, memory)
            _count(out["baseline"], "ok", judged.diagnosis.verdict != "ok")
            memory = judged.memory
        for kind, frame in s.faults.items():
            # Frozen: the camera's normal change as learned over all its good pairs so far.
            before = replace(learned, previous=signature(views(s.frozen_previous)),
                             changes=memory.changes) if kind == "frozen" else learned
            if kind == "color_cast":  # judged only against a baseline of its own mode, as in service
                before = in_service(s, learned)
            judged = judge(frame, before)
            d = judged.diagnosis
            _count(out["baseline"], kind, kind in d.faults)
            if kind == "color_cast":  # split: a colour baseline of the grab's mode, or none (a grey view)
                _count(out["cast_split"], "colour baseline" if judged.mode in before.baselines
                       else "no colour baseline", kind in d.faults)
            if kind == "frozen":  # frozen not judgeable on this scene: its normal change is a repeat's
                _count(out["not_judgeable"], kind, "not judgeable" in d.check("frozen").detail)
        # Still, low-noise grabs (kind "still": healthy frames flagged), each after the one before it:
        # at first sight with only the previous grab; and as a still camera judges them, with what it
        # learned from its own first two still grabs (a still camera's normal change is a still one).
        still = PictureMemory()
        for i, frame in enumerate(s.still):
            if i > 0:
                d = judge(frame, PictureMemory(previous=signature(views(s.still[i - 1])))).diagnosis
                _count(out["first"], s.still_kind, d.verdict != "ok")
                _count(out["unjudged"], s.still_kind, d.verdict == "ok" and bool(unsure(d)))
            judged = judge(frame, still)
            if i >= LEARN:
                _count(out["baseline"], s.still_kind, judged.diagnosis.verdict != "ok")
            still = judged.memory
    return out


def _count(table, kind: str, hit: bool) -> None:
    table[kind][0] += int(hit)
    table[kind][1] += 1


COVERS = ("board", "hand", "leaves", "paint", "bag")
"""Cover kinds of `covers` (bench/iq_cover_kinds.py): beside the set's flat board, what is found at a
lens in service. Not used to set any threshold."""


def covers(source: str, seed: int, night: bool = False, variant: str = "") -> dict[str, np.ndarray]:
    """One grab per cover kind over the view of scene(source, seed, night, variant), drawn from their
    own random generator (the scene's frames are unchanged):
    - board: the set's fault, an opaque flat blob over 50-100 % of the frame;
    - hand: a skin-coloured blob from one side over 40-70 %, out of focus, shaded (darker towards
      its middle, a red glow at its thin edge where light passes through);
    - leaves: three to six overlapping leaf-shaped blobs, dark green, each with its own shade and a
      brighter, translucent rim, over 35-70 %;
    - paint: sprayed paint over 40-80 %: its opacity blotchy (0.6-1.0 in patches), a fine speckle;
    - bag: a translucent cover over 60-100 %: the view seen blurred through it at 15-40 % of its
      contrast, tinted by the plastic."""
    rng = np.random.default_rng(seed)
    m = _Maker(rng, _photo(source), night, variant)
    own = np.random.default_rng(seed + 15887)
    view = m.base(*own.uniform(-0.6, 0.6, 2))
    h, w = view.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)

    def soft(mask: np.ndarray, sigma: float) -> np.ndarray:
        return cv2.GaussianBlur(mask, (0, 0), sigma * w)

    def grey_if_night(colour: np.ndarray) -> np.ndarray:
        return np.repeat(colour.mean(axis=-1, keepdims=True), 3, axis=-1) if night else colour

    out: dict[str, np.ndarray] = {}
    # board: as _fault("occlusion")
    mask = np.zeros((h, w), np.float32)
    cv2.ellipse(mask, (int(own.uniform(0.3, 0.7) * w), int(own.uniform(0.3, 0.7) * h)),
                (int(own.uniform(0.38, 0.5) * w), int(own.uniform(0.5, 0.7) * h)), float(own.uniform(0, 180)),
                0, 360, 1.0, -1)
    mask = soft(mask, 0.01)[..., None]
    colour = grey_if_night(np.float32(own.uniform(20, 120, 3)))
    out["board"] = m.frame(view * (1 - mask) + colour * mask)
    # hand: a blob from one side, shaded darker towards its middle, reddish translucent rim
    side = int(own.integers(0, 4))
    reach = float(own.uniform(0.45, 0.8))
    coord = (xx / w, 1 - xx / w, yy / h, 1 - yy / h)[side]
    across = (yy / h, yy / h, xx / w, xx / w)[side]
    centre = float(own.uniform(0.3, 0.7))
    inside = (coord < reach * (1 - 1.2 * (across - centre) ** 2)).astype(np.float32)
    mask = soft(inside, 0.03)
    depth = np.clip(cv2.GaussianBlur(inside, (0, 0), 0.08 * w), 0, 1)  # 0 at the rim, 1 deep inside
    skin = np.float32([own.uniform(90, 150), own.uniform(110, 170), own.uniform(160, 220)])  # BGR
    shade = float(own.uniform(0.2, 0.5))
    colour = skin[None, None] * (1 - (1 - shade) * depth[..., None])
    colour = colour * np.float32([0.8, 0.85, 1.0]) + np.float32([0, 0, 25]) * (1 - depth[..., None])
    out["hand"] = m.frame(view * (1 - mask[..., None]) + grey_if_night(colour) * mask[..., None])
    # leaves: several leaf-shaped blobs, each its own shade, translucent brighter rim
    cover = np.zeros((h, w, 3), np.float32)
    mask = np.zeros((h, w), np.float32)
    for _ in range(int(own.integers(3, 7))):
        leaf = np.zeros((h, w), np.float32)
        cv2.ellipse(leaf, (int(own.uniform(0.1, 0.9) * w), int(own.uniform(0.1, 0.9) * h)),
                    (int(own.uniform(0.15, 0.3) * w), int(own.uniform(0.06, 0.14) * w)), float(own.uniform(0, 180)),
                    0, 360, 1.0, -1)
        leaf = soft(leaf, 0.012)
        green = np.float32([own.uniform(20, 50), own.uniform(50, 110), own.uniform(25, 60)])
        rim = np.clip(1 - cv2.GaussianBlur(leaf, (0, 0), 0.02 * w) * 1.4, 0, 1)[..., None]
        tone = green * (1 + 0.6 * rim)
        cover = cover * (1 - leaf[..., None]) + tone * leaf[..., None]
        mask = np.maximum(mask, leaf)
    out["leaves"] = m.frame(view * (1 - mask[..., None]) + grey_if_night(cover) * mask[..., None])
    # paint: sprayed, blotchy opacity and speckle over part of the frame
    region = np.zeros((h, w), np.float32)
    cv2.ellipse(region, (int(own.uniform(0.3, 0.7) * w), int(own.uniform(0.3, 0.7) * h)),
                (int(own.uniform(0.35, 0.55) * w), int(own.uniform(0.45, 0.65) * h)), float(own.uniform(0, 180)),
                0, 360, 1.0, -1)
    blotch = cv2.GaussianBlur(own.random((h, w)).astype(np.float32), (0, 0), 0.03 * w)
    blotch = (blotch - blotch.min()) / max(1e-6, float(np.ptp(blotch)))
    alpha = soft(region, 0.04) * (0.6 + 0.4 * blotch)
    paint = grey_if_night(np.float32(own.choice([[30, 30, 30], [40, 40, 160], [160, 60, 40], [230, 230, 230]])))
    speckle = own.normal(0, 6, (h, w, 1)).astype(np.float32)
    out["paint"] = m.frame(view * (1 - alpha[..., None]) + (paint + speckle) * alpha[..., None])
    # bag: translucent plastic over much of the frame, the view blurred and faint behind it
    region = np.zeros((h, w), np.float32)
    cv2.ellipse(region, (int(own.uniform(0.35, 0.65) * w), int(own.uniform(0.35, 0.65) * h)),
                (int(own.uniform(0.45, 0.7) * w), int(own.uniform(0.6, 0.9) * h)), float(own.uniform(0, 180)),
                0, 360, 1.0, -1)
    region = soft(region, 0.03)[..., None]
    seen = float(own.uniform(0.15, 0.4))
    tint = grey_if_night(np.float32(own.uniform(120, 220, 3)))
    behind = cv2.GaussianBlur(view, (0, 0), 0.01 * w) * seen + tint * (1 - seen)
    out["bag"] = m.frame(view * (1 - region) + behind * region)
    return out


def plain_box(source: str, seed: int, night: bool = False, variant: str = "", colour: float = 40,
              share: float = 0.22, soft: float = 0.0, right: bool = True) -> np.ndarray:
    """A grab of the view of scene(source, seed, night, variant) with a plain box (a gentle shade
    across it, three darker seams) over `share` of the frame, 60 % of the height, near the bottom
    at the right (or left) edge, its outline blurred by a Gaussian of `soft` of the width: 0 is a
    plain-sided vehicle in focus (a white van, a dark lorry in shade; healthy), 0.01-0.03 a cover at
    the lens, far out of focus (docs/probes-iq.md part 11)."""
    m = _Maker(np.random.default_rng(seed), _photo(source), night, variant)
    view = m.base(0, 0)
    h, w = view.shape[:2]
    bh = int(h * 0.6)
    bw = int(share * w * h / bh)
    body = np.full((bh, bw, 3), float(colour), np.float32) + np.linspace(-8, 8, bw, dtype=np.float32)[None, :, None]
    body[:, ::bw // 3] *= 0.8
    rows, cols = slice(h - bh - h // 20, h - h // 20), slice(w - bw, w) if right else slice(0, bw)
    box = np.zeros((h, w), np.float32)
    box[rows, cols] = 1
    cover = np.zeros_like(view)
    cover[rows, cols] = body
    if soft:
        box = cv2.GaussianBlur(box, (0, 0), soft * w)
        cover = cv2.GaussianBlur(cover, (0, 0), soft * w) / np.maximum(box, 1e-3)[..., None]
    return m.frame(view * (1 - box[..., None]) + cover * box[..., None])


LIGHT_EVENTS = ("cloud", "lamp_off", "headlights", "truck")
"""Healthy light events of `light_events`: what a camera in service sees that is not a cover."""
_ADVERTS = ("astronaut", "chelsea", "coffee", "brick", "text", "page", "gravel", "cat")  # a truck's printed side


def light_events(source: str, seed: int, night: bool = False, variant: str = "") -> dict[str, np.ndarray]:
    """One healthy grab per light event over the view of scene(source, seed, night, variant), drawn
    from their own random generator (the scene's frames are unchanged); each must not be a fault:
    - cloud: a soft-edged shadow over 30-60 % of the frame, 30-60 % darker, the texture kept under it;
    - lamp_off: a lamp's pool of light gone over the view's plainest part (a lit wall, a yard), the
      pool 30-60 % darker at its middle, fading out over a large soft edge;
    - headlights: a vehicle's lights over part of the view (a soft cone from one lower corner), up to
      60-140 grey levels added at its brightest (the brightest parts clip);
    - truck: a large textured vehicle passing in focus (not at the lens) over 20-45 % of the frame, its
      body a crop of another photograph (an advertisement) with windows and panel seams."""
    rng = np.random.default_rng(seed)
    m = _Maker(rng, _photo(source), night, variant)
    own = np.random.default_rng(seed + 31337)
    m.rng = np.random.default_rng(seed + 31338)
    view = m.base(*own.uniform(-0.6, 0.6, 2))
    h, w = view.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    out: dict[str, np.ndarray] = {}
    # cloud: a soft blob covering 30-60 % of the frame, darkening it by 30-60 %
    target = float(own.uniform(0.3, 0.6))
    noise = cv2.GaussianBlur(own.random((h, w)).astype(np.float32), (0, 0), 0.12 * w)
    cut = float(np.quantile(noise, 1 - target))
    shadow = cv2.GaussianBlur((noise >= cut).astype(np.float32), (0, 0), 0.03 * w)
    depth = float(own.uniform(0.3, 0.6))
    out["cloud"] = m.frame(view * (1 - depth * shadow)[..., None])
    # lamp_off: the pool centred on the plainest part of the view (8x8 std at 320 px, smoothed)
    grey = cv2.cvtColor(view.astype(np.float32), cv2.COLOR_BGR2GRAY)
    small = cv2.resize(grey, (40, max(1, round(40 * h / w))), interpolation=cv2.INTER_AREA)
    big = cv2.resize(grey, (320, max(1, round(320 * h / w))), interpolation=cv2.INTER_AREA)
    std = np.sqrt(np.maximum(cv2.blur(big * big, (8, 8)) - cv2.blur(big, (8, 8)) ** 2, 0))
    std = cv2.GaussianBlur(cv2.resize(std, small.shape[::-1], interpolation=cv2.INTER_AREA), (0, 0), 3)
    cy, cx = np.unravel_index(int(np.argmin(std)), std.shape)
    cx, cy = (cx + 0.5) / std.shape[1] * w, (cy + 0.5) / std.shape[0] * h
    radius = float(own.uniform(0.35, 0.55)) * w
    pool = np.exp(-(((xx - cx) ** 2 + (yy - cy) ** 2) / (radius ** 2)) ** 2)  # flat middle, soft edge
    depth = float(own.uniform(0.3, 0.7))
    out["lamp_off"] = m.frame(view * (1 - depth * pool)[..., None])
    # headlights: a soft cone from a lower corner, light added (clipping at the brightest)
    corner = float(own.choice([0.0, 1.0])) * w
    reach = float(own.uniform(0.5, 0.8)) * w
    angle = np.abs(np.arctan2(h - yy, np.abs(xx - corner) + 1))
    cone = np.clip(1 - np.hypot(xx - corner, h - yy) / reach, 0, 1) * np.clip(1 - angle / 1.0, 0, 1)
    cone = cv2.GaussianBlur(cone, (0, 0), 0.02 * w)
    added = float(own.uniform(60, 140)) * cone / max(1e-6, float(cone.max()))
    out["headlights"] = m.frame(view + added[..., None] / m.gain)
    # truck: a textured box from one side, in focus, over 20-45 % of the frame
    area = float(own.uniform(0.2, 0.45))
    bh = int(h * float(own.uniform(0.5, 0.8)))
    bw = min(w, int(area * w * h / bh))
    x0 = 0 if own.random() < 0.5 else w - bw
    y0 = h - bh - int(own.uniform(0.0, 0.1) * h)
    other = _photo(str(own.choice([s for s in _ADVERTS if s != source]))).astype(np.float32)
    body = cv2.resize(other, (bw, bh), interpolation=cv2.INTER_AREA)
    body = body * 0.7 + np.float32(own.uniform(60, 200, 3)) * 0.3
    for x in range(0, bw, max(8, bw // int(own.integers(3, 7)))):  # panel seams
        body[:, x:x + 2] *= 0.4
    rows = int(bh * 0.3)
    for x in range(int(bw * 0.05), bw - 20, max(30, bw // 5)):  # windows along the top
        body[int(bh * 0.08):rows, x:x + max(10, bw // 8)] = body[int(bh * 0.08):rows, x:x + max(10, bw // 8)] * 0.3 + 15
    body[int(bh * 0.85):] *= 0.5  # the shaded underside
    truck = view.copy()
    truck[y0:y0 + bh, x0:x0 + bw] = body
    if night:
        truck = np.repeat(cv2.cvtColor(truck, cv2.COLOR_BGR2GRAY)[..., None], 3, axis=2)
    out["truck"] = m.frame(truck)
    return out


def scene_keys(per_source: int = 4, seed: int = 1,
               sources: tuple[str, ...] = SOURCES) -> list[tuple[str, int, bool, str]]:
    """(source, seed, night, variant) of each scene `scenes` makes, in its order."""
    variants = ("", "sky", "", "shadow")
    return [(source, seed * 1000 + i * 50 + k, k % 2 == 1, variants[k % 4])
            for i, source in enumerate(sources) for k in range(per_source)]


def evaluate_light_events(scenes: list[Scene], keys: list[tuple[str, int, bool, str]]) -> dict[str, list[int]]:
    """{event: [flagged, total]}, "all" summed, and "occlusion" (called a cover): each scene's
    light_events judged with the baseline it learned from its earlier frames."""
    out: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    for s, key in zip(scenes, keys, strict=True):
        memory = PictureMemory()
        for frame in s.learn:
            memory = judge(frame, memory).memory
        for kind, frame in light_events(*key).items():
            faults = judge(frame, memory).diagnosis.faults
            _count(out, kind, bool(faults))
            _count(out, "all", bool(faults))
            _count(out, "occlusion", "occlusion" in faults)
    return out
