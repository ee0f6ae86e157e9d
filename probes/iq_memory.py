"""A camera's picture memory (画面基准): day and night baselines learned from its first good grabs,
and the previous grab's compact signature, so each picture is judged against what is normal for it.

    memory = PictureMemory()                        # or PictureMemory.from_bytes(stored)
    judged = judge(image, memory)
    judged.diagnosis.verdict                        # frozen vs the previous grab, scene change vs the baseline
    store(judged.memory.to_bytes())                 # bounded: ~20 KB whatever the history

The memory also learns, per mode, how much this camera's picture changes between good grabs
(`changes`, the last CHANGE_PAIRS good pairs): the frozen check calls a pair frozen only far below
that normal change, and not at all (beyond an unchanged frame) where the normal change is itself
no more than a re-encoded repeat's (a still, low-noise scene; issue 14 part 6).
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

import cv2
import numpy as np

from probes.iq import diagnose, most_specific
from probes.iq_baseline import Baseline, record_baseline, stripe_stats
from probes.iq_checks import Views, mean_ab, resize_to_width, views
from probes.iq_compare import FROZEN_WIDTH, check_scene_change
from probes.iq_decode import decode_image
from probes.iq_types import DEFAULT, Diagnosis, Thresholds

VERSION = 1
MODES = ("day", "night")
LEARN_GRABS = 2
"""Consistent grabs of one mode (the same view, no absolute fault) that make its baseline."""
# Faults no scene explains: a grab showing one is never learned as normal.
ABSOLUTE = frozenset({"no_signal", "frozen", "dark", "overexposed"})
# Baseline statistics that get worse with the fault: the worst of the learned grabs is kept.
_LOWER_IS_WORSE = ("mean_luma", "contrast_spread")
_AVERAGED = ("cast_a", "cast_b")  # the usual colour: the newest grab's (an accepted grab's colour is usual)
_CHECK_OF = {"mean_luma": "dark", "contrast_spread": "low_contrast", "color_cast_ab": "color_cast",
             "blur_permille": "blur", "noise_sigma": "noise", "occlusion_share": "occlusion",
             "stripes_amplitude": "stripes"}  # Baseline.stats key -> the check that measures it
NIGHT_CHROMA = 4.0
"""A picture whose mean chroma (max - min of B, G, R, 320-px copy) is below this is a night (IR) picture."""
MAX_BYTES = 256 * 1024
CAST_ALIKE = 10.0
"""Two learning grabs' mean (a*, b*) within this Lab distance are the same usual colour."""
CHANGE_PAIRS = 8
"""Good consecutive pairs whose change (the frozen check's value) is kept per mode; the camera's
normal change is the quietest of them (the lowest: a false frozen verdict costs more than a missed one)."""
NORMAL_PAIRS = 2
"""Good pairs of a mode that settle its normal change. Until then a pair is learned even when it
looked frozen, and with fewer (but one) the frozen check treats the camera as not judgeable yet
(only an unchanged frame is frozen): one pair is too few to know a camera's quiet (a still camera
whose first pair caught a change of light would be called frozen, and its later pairs, so refused,
never learned). So a still camera can be called frozen on one grab at most: its first pair, judged
by the absolute limit with nothing learned; one grab confirms no fault (docs/probes-iq.md)."""
FIRST_SIGHT_SURE: dict[str, float | None] = {
    "occlusion": None, "blur": 1.6, "stripes": 2.5, "color_cast": None, "low_contrast": 0.3}
"""Checks whose normal value depends on the scene (the ones adapt_thresholds relaxes per camera),
and how far past its threshold a picture must measure to be judged a fault before any baseline:
this many times the threshold (low contrast: below this share of it); None: never judged from
one picture. In between the check says "unsure" (no fault) and the baseline judges it once learned.
- occlusion: a sky, a white wall, water or the night outside a lit area is as featureless as a
  cover, and as large; one picture cannot tell them apart (the baseline's texture can);
- blur: a soft scene (fur, an enlarged picture, fog far away) measures up to ~1.5 times the
  threshold; a defocused lens 1.6 times and more;
- stripes: brick, tiles, blinds and print are periodic with amplitudes up to ~2 times the
  threshold; interference over the whole frame is larger;
- colour cast: a scene of one colour (a lawn, a brown room, sodium light, a retina photograph
  filling the frame) averages as far from grey as a cast does (a brown table 47 Lab units, the
  retina 63-64; generated casts 18-56), and no sign of one picture tells them apart (the spread
  of the colours and the share of neutral pixels overlap too); the baseline judges it as a shift
  from the camera's usual colour;
- low contrast: a night sky with one bright object, a snowfield, spreads down to ~0.45 of it; fog
  or a dirty dome pulls everything to one grey, below 0.3.
See docs/probes-iq.md (first sight) for the measured margins."""
BORROWED_FIRST_SIGHT = frozenset({"color_cast"})
"""Checks judged as at first sight when only the other mode's baseline is learned. The colour cast:
an infrared (night) baseline is grey and says nothing of the view's colour by day, so a healthy
colour grab would be judged from grey at the absolute limit, as one picture, and a coffee-brown
room reads 35-41 from grey (bench/iq_cast_borrowed.py: 8 of 24 healthy colour grabs flagged). Such
a grab, so flagged, would not be learned and the camera would stay flagged every day. So the cast
is judged only against a baseline of the grab's own mode; the doubt is kept in `flagged` and the
grab is learned as that mode's baseline (issue 14 part 7, docs/probes-iq.md). Whether the colour
differs among parts of one brightness does not tell a cast on a grey view from a first colour day
either: a clear sky, a lawn or a table reads as a tinted grey view does (bench/iq_cast_borrowed.py,
docs/probes-iq.md "Colour at the same brightness")."""


def mode_of(v: Views) -> str:
    """"night" for an infrared (greyscale) picture, else "day": decided by the picture, not the clock."""
    # Per pixel max - min of the three channels, by OpenCV on whole planes (numpy's reduction over
    # the last axis of 3 cost ~3 ms at 320 px); the values, so the mean, are the same integers.
    b, g, r = cv2.split(v.small)
    chroma = float(cv2.subtract(cv2.max(cv2.max(b, g), r), cv2.min(cv2.min(b, g), r)).mean())
    return "night" if chroma < NIGHT_CHROMA else "day"


def signature(v: Views) -> np.ndarray:
    """The compact copy of a grab kept for the next frozen check: 160-px-wide luma."""
    return resize_to_width(v.small_grey, FROZEN_WIDTH).copy()


def merge(grabs: tuple[Baseline, ...]) -> Baseline:
    """One baseline from consistent grabs: the newest view, the worst of each statistic."""
    stats: dict[str, float | None] = {}
    for key in dict.fromkeys(k for g in grabs for k in g.stats):  # a key one grab lacks keeps the others' value
        values = [g.stats.get(key) for g in grabs if g.stats.get(key) is not None]
        stats[key] = None if not values else (
            values[-1] if key in _AVERAGED else min(values) if key in _LOWER_IS_WORSE else max(values))
    last = grabs[-1]
    return Baseline(last.reference_grey, last.width, last.height, stats)


@dataclass(frozen=True)
class PictureMemory:
    """What monitoring remembers of one camera's picture (bounded: two baselines, the grabs being
    learned for at most LEARN_GRABS - 1 per mode, one signature)."""

    baselines: Mapping[str, Baseline] = field(default_factory=dict)
    learning: Mapping[str, tuple[Baseline, ...]] = field(default_factory=dict)
    previous: np.ndarray | None = None
    flagged: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Per mode: faults the learned (or learning) grabs showed at first sight, for the office to
    review: a camera covered from its first grab is learned as it is, but not silently."""
    changes: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    """Per mode: the change between consecutive good grabs (the frozen check's value), newest last,
    at most CHANGE_PAIRS."""
    previous_mode: str | None = None
    """The mode of the grab `previous` was taken from: a pair across a day/night switch is not a
    measure of the scene's normal change."""

    def learned(self, mode: str) -> bool:
        return mode in self.baselines

    def normal_change(self, mode: str) -> float | None:
        """This camera's normal change between good grabs in this mode: the quietest of its recent
        good pairs (None until one is learned)."""
        kept = self.changes.get(mode)
        return min(kept) if kept else None

    def to_json(self) -> dict[str, Any]:
        def grab(b: Baseline) -> dict[str, Any]:
            return b.to_json(jpeg=True)

        return {"version": VERSION,
                "baselines": {m: grab(b) for m, b in self.baselines.items()},
                "learning": {m: [grab(b) for b in gs] for m, gs in self.learning.items()},
                "previous": None if self.previous is None else _png_b64(self.previous),
                "flagged": {m: list(f) for m, f in self.flagged.items()},
                "changes": {m: list(c) for m, c in self.changes.items()},
                "previous_mode": self.previous_mode}

    def to_bytes(self) -> bytes:
        return json.dumps(self.to_json(), separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes | str) -> PictureMemory:
        """Rebuild from to_bytes(); anything malformed is a ValueError (it comes from storage)."""
        if len(data) > MAX_BYTES:
            raise ValueError("picture memory is too large")
        try:
            doc = json.loads(data)
            if not isinstance(doc, dict) or doc.get("version") != VERSION:
                raise ValueError(f"not a picture memory of version {VERSION}")
            baselines = {m: Baseline.from_json(b) for m, b in dict(doc["baselines"]).items() if m in MODES}
            learning = {m: tuple(Baseline.from_json(b) for b in gs)[-LEARN_GRABS:]
                        for m, gs in dict(doc["learning"]).items() if m in MODES}
            flagged = {m: tuple(str(f) for f in fs)[:16] for m, fs in dict(doc.get("flagged") or {}).items()
                       if m in MODES}
            # Memories stored before the normal change was learned have neither key: learned anew.
            changes = {m: tuple(_change(c) for c in cs)[-CHANGE_PAIRS:]
                       for m, cs in dict(doc.get("changes") or {}).items() if m in MODES and cs}
            previous_mode = doc.get("previous_mode")
            if previous_mode is not None and previous_mode not in MODES:
                raise ValueError(f"picture memory: unknown mode {previous_mode!r}")
            previous = None
            if doc.get("previous") is not None:
                previous = cv2.cvtColor(decode_image(base64.b64decode(doc["previous"], validate=True)),
                                        cv2.COLOR_BGR2GRAY)
        except (KeyError, TypeError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"malformed picture memory ({exc})") from None
        return cls(baselines, learning, previous, flagged, changes, previous_mode)


def _change(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 256:
        raise ValueError(f"picture memory: a change between grabs must be 0-255 grey levels, not {value!r}")
    return float(value)


def _png_b64(grey: np.ndarray) -> str:
    # Lossless: JPEG's error on a 160-px copy (up to ~4 grey levels per block) would hide a freeze.
    ok, data = cv2.imencode(".png", grey)
    if not ok:  # pragma: no cover - encoding a small uint8 array does not fail
        raise ValueError("could not encode the signature")
    return base64.b64encode(data.tobytes()).decode("ascii")


@dataclass(frozen=True)
class Judged:
    """A grab's diagnosis, its mode, whether a baseline was used, and the camera's updated memory."""

    diagnosis: Diagnosis
    mode: str
    baseline_used: bool
    memory: PictureMemory
    new_view: bool = False
    """A camera that turns (judge's `turns`) shows a view its baseline is not found in: judged as at
    first sight and learned, not a scene change."""


def _alike(a: float | None, b: float | None, ratio: float, slack: float, floor: float = 0.0) -> bool:
    if a is None or b is None:
        return True
    low, high = sorted((abs(a), abs(b)))
    return high <= floor or high - low <= slack or high <= ratio * low


NOISE_RELAXED = DEFAULT.noise_sigma / 1.5
"""Noise at or below this relaxes no limit (adapt_thresholds: 1.5 times the normal noise, when over the
default): two grabs both this quiet are alike whatever their ratio. A night camera's gain noise differs
from grab to grab (IR gain follows the light; the video group's night noise, drawn per grab, measured
1.26 and 3.55 on two grabs of one view), and a burst of noise is a fault only far above it (the set's
noise faults are drawn at sigma 14-28)."""


def consistent(a: Baseline, b: Baseline) -> bool:
    """Two grabs of one view measure alike, so a fault that shows in only one of them (a truck
    parked in front, a burst of noise) is not learned as this camera's normal picture. The colour
    is compared as the (a*, b*) point, not only its distance from grey: a magenta cast and a
    yellow-green view are as far from grey and far from each other."""
    s, o = a.stats, b.stats
    colour = (s.get("cast_a"), s.get("cast_b"), o.get("cast_a"), o.get("cast_b"))
    if None not in colour:
        if math.hypot(colour[0] - colour[2], colour[1] - colour[3]) > CAST_ALIKE:
            return False
    elif not _alike(s.get("color_cast_ab"), o.get("color_cast_ab"), 1.0, CAST_ALIKE):
        return False
    return _alike(s.get("noise_sigma"), o.get("noise_sigma"), 1.6, 1.5, NOISE_RELAXED) and all(
        _alike(s.get(key), o.get(key), ratio, slack) for key, ratio, slack in (
            ("mean_luma", 1.6, 12), ("contrast_spread", 1.6, 15),
            ("blur_permille", 1.5, 0.5), ("stripes_amplitude", 1.5, 4),
            # The largest featureless region splits and merges from grab to grab (0.67 vs 0.89 on brick
            # under a sky): it must differ by a whole occlusion's worth to mean something came in front.
            ("occlusion_share", 1.0, DEFAULT.occlusion_area)))


def first_sight(diagnosis: Diagnosis, only: frozenset[str] | None = None) -> Diagnosis:
    """A diagnosis with no baseline: a scene-dependent check (FIRST_SIGHT_SURE) that faulted but is
    not sure becomes "unsure", so no fault; the others are kept. The verdict follows the rest.
    `only`: judge just these checks as at first sight (BORROWED_FIRST_SIGHT, with the other mode's
    baseline)."""
    checks = []
    for c in diagnosis.checks:
        factor = FIRST_SIGHT_SURE.get(c.name, 0.0)
        if (c.verdict == "fault" and c.name in FIRST_SIGHT_SURE and c.value is not None
                and (only is None or c.name in only)):
            limit = None if factor is None or c.threshold is None else factor * c.threshold
            sure = limit is not None and (c.value < limit if c.name == "low_contrast" else c.value >= limit)
            if not sure:
                reason = "never judged from one picture" if limit is None else f"sure at {limit:g}"
                c = replace(c, verdict="unsure", detail=f"{c.detail}; unsure at first sight ({reason}), "
                            "the baseline judges it")
        checks.append(c)
    faults = most_specific({c.name for c in checks if c.verdict == "fault"})
    return Diagnosis(checks, faults, faults[0] if faults else "ok")


def unsure(diagnosis: Diagnosis) -> list[str]:
    """The checks a picture left unjudged at first sight."""
    return [c.name for c in diagnosis.checks if c.verdict == "unsure"]



def judge(image: np.ndarray | Views, memory: PictureMemory | None = None,
          thresholds: Thresholds = DEFAULT, learn_grabs: int = LEARN_GRABS, turns: bool = False) -> Judged:
    """Diagnose a grab with the camera's memory, and learn from it.

    - frozen against the previous grab's signature; scene change, occlusion and relaxed
      single-frame thresholds against the baseline of the picture's own mode (day colour / night
      IR), or the other mode's while its own is not learned yet (the same view in other light),
      except the colour cast (BORROWED_FIRST_SIGHT): judged only against the own mode's baseline,
      as at first sight otherwise;
    - no baseline for the mode yet: the grab is kept for learning when it shows no absolute fault
      (ABSOLUTE), or no fault at all when the other mode's baseline judged it; `learn_grabs`
      consistent grabs of the same view make the baseline, and the grab that completes it is
      judged against it (an unusual but constant scene is then not flagged). A grab of another
      view, or one that measures unlike the others (consistent), restarts the learning.

    `turns`: a camera people turn (球机, 遥控枪机: pan-tilt). A view the baseline is not found in
    (scene change) is a new view, not a fault: it is judged as at first sight (new_view_diagnosis)
    and learned as above, so `learn_grabs` consistent grabs of it replace the mode's baseline (the
    latest view per mode) and the mode's normal change (learned again from the new view's pairs); a grab
    in which the baseline's view is found in place again drops the grabs of a new view being
    learned (the camera came back before the new view was learned).
    """
    memory = memory or PictureMemory()
    v = views(image, thresholds)
    mode = mode_of(v)
    own = memory.baselines.get(mode)
    baseline = own or next((memory.baselines[m] for m in MODES if m in memory.baselines), None)
    if own is None and baseline is not None:  # the other mode's colour is not this picture's usual one
        baseline = replace(baseline, stats={k: v for k, v in baseline.stats.items() if k not in _AVERAGED})
    normal = memory.normal_change(mode)
    settled = len(memory.changes.get(mode, ())) >= NORMAL_PAIRS
    diagnosis = diagnose(v, previous=memory.previous, reference=baseline, thresholds=thresholds,
                         frozen_normal=normal, frozen_settled=settled)
    new_view = turns and baseline is not None and _view_not_found(diagnosis)
    if new_view:  # nothing of the old view's baseline applies: the new view is learned from scratch
        settled = False  # nor its normal change between grabs: only an unchanged frame is frozen (check_frozen)
        diagnosis, own, baseline = new_view_diagnosis(v, diagnosis, memory.previous, thresholds, normal,
                                                      settled), None, None
    elif baseline is None:
        diagnosis = first_sight(diagnosis)
    elif own is None:  # the other mode's baseline: a colour grab's cast is not judged from a grey one
        diagnosis = first_sight(diagnosis, BORROWED_FIRST_SIGHT)
    updated = _learn_change(replace(memory, previous=signature(v), previous_mode=mode), memory.previous_mode,
                            mode, diagnosis, thresholds)
    refused = ABSOLUTE & set(diagnosis.faults) if baseline is None else diagnosis.faults
    if own is not None or refused:
        if turns and own is not None and mode in updated.learning:  # back at the learned view
            updated = replace(updated, learning={m: g for m, g in updated.learning.items() if m != mode})
        return Judged(diagnosis, mode, baseline is not None, updated, new_view)
    if baseline is None:  # the grab's statistics are what its checks just measured at first sight
        stats = {key: getattr(diagnosis.check(name), "value", None) for key, name in _CHECK_OF.items()}
        stats["cast_a"], stats["cast_b"] = mean_ab(v, thresholds)
        stats.update(stripe_stats(v, thresholds))
        grab = Baseline(v.small_grey.copy(), v.width, v.height, stats)
    else:
        grab = record_baseline(v, thresholds)
    earlier = memory.learning.get(mode, ())
    if earlier and (check_scene_change(v, earlier[-1].reference_grey, thresholds).verdict == "fault"
                    or not all(consistent(g, grab) for g in earlier)):
        earlier = ()  # another view, or unlike the others: not yet this camera's normal picture
    grabs = (*earlier, grab)
    learning = dict(memory.learning)
    seen = tuple(sorted(set(memory.flagged.get(mode, ()) if earlier else ()) | set(diagnosis.faults)
                        | set(unsure(diagnosis))))
    flagged = {**memory.flagged, mode: seen} if seen else {m: f for m, f in memory.flagged.items() if m != mode}
    if len(grabs) < max(1, learn_grabs):
        learning[mode] = grabs
        return Judged(diagnosis, mode, baseline is not None, replace(updated, learning=learning, flagged=flagged),
                      new_view)
    learning.pop(mode, None)
    learned = merge(grabs)
    diagnosis = diagnose(v, previous=memory.previous, reference=learned, thresholds=thresholds,
                         frozen_normal=normal, frozen_settled=settled)
    if new_view:  # the old view's normal change goes with it; the pair this grab made with the one before
        # it (the new view's previous grab, as a turned camera's learning is consecutive) is the new view's first
        pair = updated.changes.get(mode, ())[-1:] if updated.changes.get(mode) != memory.changes.get(mode) else ()
        updated = replace(updated, changes={**{m: c for m, c in updated.changes.items() if m != mode},
                                            **({mode: pair} if pair else {})})
    return Judged(diagnosis, mode, True, replace(updated, baselines={**memory.baselines, mode: learned},
                                                 learning=learning, flagged=flagged), new_view)


def _view_not_found(diagnosis: Diagnosis) -> bool:
    """The baseline's view is not found in place (scene change, after diagnose ruled out a cover and
    something passing in front): for a camera that turns, a new view. Not when no signal, dark or
    overexposed leaves no view to see (they explain the lost view, iq.EXPLAINS, and are judged by
    their absolute limits, which the baseline only relaxes). Low contrast does not stop it: a turn
    to the night sky or a snowfield is as flat as fog, and the old view's baseline would call it
    covered as well (docs/probes-iq.md, pan-tilt cameras)."""
    scene = diagnosis.check("scene_change")
    return (scene is not None and scene.verdict == "fault"
            and not {"no_signal", "dark", "overexposed"} & set(diagnosis.faults))


def new_view_diagnosis(v: Views, against_baseline: Diagnosis, previous: np.ndarray | None, thresholds: Thresholds,
                       normal: float | None, settled: bool) -> Diagnosis:
    """A turned camera's grab of a new view, as at first sight: no check compares it with the old
    view's baseline (occlusion against the reference, thresholds relaxed by its statistics, the cast
    as a shift from its colour), so a scene-dependent check that faults says "unsure" (first_sight).
    Frozen still compares with the previous grab, `settled` False (the camera's normal change was the
    old view's: only an unchanged frame is frozen). The scene-change check is kept, as no fault, to
    say why."""
    diagnosis = first_sight(diagnose(v, previous=previous, thresholds=thresholds, frozen_normal=normal,
                                     frozen_settled=settled))
    scene = against_baseline.check("scene_change")
    note = replace(scene, verdict="ok", detail=f"{scene.detail}; not a fault: a camera that turns (pan-tilt) "
                   "shows a new view, judged as at first sight and learned")
    return Diagnosis([*diagnosis.checks, note], diagnosis.faults, diagnosis.verdict)


def _learn_change(memory: PictureMemory, previous_mode: str | None, mode: str, diagnosis: Diagnosis,
                  t: Thresholds) -> PictureMemory:
    """The memory with this pair's change (the frozen check's value) learned as normal for the mode,
    when the pair is a good one:
    - both grabs of the same mode (a day/night switch changes everything);
    - no fault no scene explains (ABSOLUTE: a dark picture hides motion), except that frozen counts
      only once NORMAL_PAIRS pairs of the mode are known: the first pairs of a still scene measure
      under the absolute limit, and refusing them would keep such a camera called frozen for ever.
      That verdict is kept in `flagged`, so the office sees that the normal was learned despite it;
    - not an unchanged frame (at most `frozen_repeat_change`): that is never a live camera's change.
    """
    frozen = diagnosis.check("frozen")
    if frozen is None or frozen.value is None or previous_mode not in (None, mode):
        return memory
    faulted = {c.name for c in diagnosis.checks if c.verdict == "fault"}
    young = len(memory.changes.get(mode, ())) < NORMAL_PAIRS
    if frozen.value <= t.frozen_repeat_change or (ABSOLUTE - ({"frozen"} if young else set())) & faulted:
        return memory
    changes = {**memory.changes, mode: (*memory.changes.get(mode, ()), float(frozen.value))[-CHANGE_PAIRS:]}
    flagged = memory.flagged
    if "frozen" in faulted:
        flagged = {**flagged, mode: tuple(sorted({*flagged.get(mode, ()), "frozen"}))}
    return replace(memory, changes=changes, flagged=flagged)


def accept(memory: PictureMemory, grab: Baseline, mode: str, faults: tuple[str, ...] = ()) -> PictureMemory:
    """A false alarm (误报): the office says `grab` shows this camera's normal picture.

    The grab joins the baseline of its mode: the view becomes the reference (a scene that was
    flagged as moved is the camera's view from now on) and each statistic keeps the worse of the
    two (merge), so the single-frame checks are relaxed to what this picture measured. With no
    baseline of that mode yet the grab is the baseline. Frozen compares grabs with each other, not
    with the baseline: when the grab's `faults` say frozen, the mode's normal change between grabs
    is forgotten instead, so it is learned again from the next pairs (learned even when they look
    frozen until NORMAL_PAIRS are known): a camera that was busy and turned still is then judged
    against its still normal.
    """
    if mode not in MODES:
        raise ValueError(f"mode {mode!r} is not one of {', '.join(MODES)}")
    own = memory.baselines.get(mode)
    learned = grab if own is None else merge((own, grab))
    learning = {m: g for m, g in memory.learning.items() if m != mode}
    changes = {m: c for m, c in memory.changes.items() if m != mode} if "frozen" in faults else memory.changes
    return replace(memory, baselines={**memory.baselines, mode: learned}, learning=learning, changes=changes)
