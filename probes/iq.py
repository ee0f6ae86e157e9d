"""Image-quality diagnosis (视频图像质量诊断) of camera snapshots: the public entry points.

    image = decode_image(jpeg_bytes)                 # bounded, refuses non-images
    result = diagnose(image, previous=last_grab, reference=baseline)
    result.verdict   # "ok" or the most specific fault, e.g. "no_signal"
    result.faults    # every independent fault, most specific first
    result.checks    # each measurement with its value, threshold and verdict

The checks live in probes.iq_checks (one picture) and probes.iq_compare (two pictures); the
per-camera Baseline in probes.iq_baseline. Methods, thresholds and the accuracy on the labelled
sample are in docs/probes-iq.md.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from probes.iq_baseline import Baseline, adapt_thresholds, record_baseline, stripe_limits
from probes.iq_checks import (Views, check_color_cast, check_dark, check_low_contrast, check_no_signal,
                              check_occlusion, check_overexposed, views)
from probes.iq_compare import (check_frozen, check_new_occlusion, check_scene_change, rest_contrast_kept, texture_kept,
                               view_beside_change, view_in_place)
from probes.iq_decode import decode_image, image_size
from probes.iq_detail import blurred_beside_cover, check_blur, check_noise, check_stripes
from probes.iq_types import DEFAULT, Check, Diagnosis, Thresholds

__all__ = [
    "Baseline", "Check", "DEFAULT", "Diagnosis", "EXPLAINS", "IMAGE_CHECKS", "PRECEDENCE", "Thresholds",
    "adapt_thresholds", "check_blur", "check_color_cast", "check_dark", "check_frozen",
    "check_low_contrast", "check_new_occlusion", "check_no_signal", "check_noise", "check_occlusion",
    "check_overexposed",
    "check_scene_change", "check_stripes", "decode_image", "diagnose", "image_size",
    "most_specific", "record_baseline",
]

IMAGE_CHECKS = (check_no_signal, check_dark, check_overexposed, check_low_contrast, check_color_cast,
                check_blur, check_noise, check_stripes, check_occlusion)

# Most specific first: the order in which a fault is reported as the verdict.
PRECEDENCE = ("no_signal", "dark", "overexposed", "frozen", "low_contrast", "blur", "occlusion",
              "stripes", "noise", "color_cast", "scene_change")

# A fault that fully accounts for the symptoms of others: those are not reported beside it.
# - no signal: an encoder's flat black/blue page is also dark, flat, blue, featureless and static;
# - dark / overexposed / low contrast: with no usable luma range there are no edges, texture or
#   colour to judge (dark also lifts the gain: noise), nor a view to compare with the reference;
#   but low contrast does not explain blur: the focus measure is a ratio of slopes, independent of
#   contrast, and says nothing (None) where edges are too few; defocus also narrows the spread of a
#   fine texture (a lawn), so blur found beside low contrast is reported;
#   dark and overexposed also hide motion (changes shrink with the light), so frozen is unreliable;
# - low contrast does not explain occlusion: occlusion needs texture left beside the featureless
#   region, which fog or a dirty dome (contrast gone everywhere) does not leave, while a large
#   plain cover also narrows the luma spread; both are reported;
# - blur: defocus removes texture everywhere, so the whole frame reads as featureless (focus is
#   measured away from a featureless region, so a cover's soft outline is not read as blur);
# - occlusion: the cover's own colour and flatness are not a cast or a contrast fault. Whether the
#   view is hidden rather than moved is decided in diagnose from what is visible beside the cover
#   (_hidden_or_turned); when nothing beside it can tell, both are reported;
# - stripes: the stripes are the high-frequency energy the noise check sees.
EXPLAINS: dict[str, frozenset[str]] = {
    "no_signal": frozenset(PRECEDENCE) - {"no_signal"},
    "dark": frozenset({"frozen", "low_contrast", "blur", "occlusion", "noise", "color_cast", "scene_change"}),
    "overexposed": frozenset({"frozen", "low_contrast", "blur", "occlusion", "color_cast", "scene_change"}),
    "low_contrast": frozenset({"scene_change"}),
    "blur": frozenset({"occlusion"}),
    "occlusion": frozenset({"low_contrast", "color_cast"}),
    "stripes": frozenset({"noise"}),
}


def most_specific(faulted: list[str] | set[str]) -> list[str]:
    """The faults worth reporting, most specific first ("the most specific label wins").

    Walk PRECEDENCE; keep a fault unless one already kept EXPLAINS it. So a black frame is
    no_signal (not also dark and low contrast), and a defocused frame is blur (not also
    occlusion), while independent faults (a frozen and colour-cast picture) are both kept.
    """
    kept: list[str] = []
    for name in PRECEDENCE:
        if name in faulted and not any(name in EXPLAINS.get(k, ()) for k in kept):
            kept.append(name)
    return kept + sorted(set(faulted) - set(PRECEDENCE))


def _moved(checks: list[Check], t: Thresholds) -> bool:
    """Scene change by a confident shift: a clear correlation peak (the same scene) far from centre."""
    scene = next((c for c in checks if c.name == "scene_change"), None)
    return (scene is not None and scene.verdict == "fault" and scene.value is not None
            and scene.measure == "peak" and scene.value >= t.scene_min_response)


def _view_lost(checks: list[Check], t: Thresholds) -> bool:
    """Scene change by a weak correlation peak: the reference's view is not found in this picture (not
    in place either: check_scene_change's measure "in place")."""
    scene = next((c for c in checks if c.name == "scene_change"), None)
    return (scene is not None and scene.verdict == "fault" and scene.value is not None
            and (scene.measure == "in place" or scene.value < t.scene_min_response))


def _hidden_or_turned(checks: list[Check], v: Views, baseline: Baseline, t: Thresholds) -> list[Check]:
    """The view is lost: a cover hides it, or the camera turned (or zoomed) to another one. A large
    featureless region comes with both (a cover; a sky the camera turned to). What is left visible
    beside the region tells them apart: still the reference's content at the same place (a cover
    hides the rest: occlusion, not scene change), or other content (a new view: scene change, not
    occlusion). When too little texture is visible to tell, both verdicts stand as measured.
    With no cover found, something large passing in the scene (a truck) can weaken the peak too
    (_passing)."""
    match, whole, visible = view_in_place(v, baseline.reference_grey, t)
    occlusion = next(c for c in checks if c.name == "occlusion")
    large = whole > min(t.occlusion_area, DEFAULT.occlusion_area) and visible >= t.occlusion_visible_min
    scene = next(c for c in checks if c.name == "scene_change")
    if match is None or (occlusion.verdict != "fault" and not (match >= t.occlusion_view_match and large)):
        return _passing(checks, v, baseline, t, match) if occlusion.verdict != "fault" else checks
    if match < t.occlusion_view_match:
        occlusion = replace(occlusion, verdict="ok", detail=occlusion.detail
                            + f"; not judged: the view beside it is another one (correlation {match:.2f})")
    else:
        occlusion = replace(occlusion, verdict="fault", detail=occlusion.detail + (
            "" if occlusion.verdict == "fault" else f"; the view is lost under a featureless region of {whole:.0%}")
            + f"; what is left of the view is in place (correlation {match:.2f})")
        scene = replace(scene, verdict="ok", detail=scene.detail + "; hidden by the cover, not moved")
    return [occlusion if c.name == "occlusion" else scene if c.name == "scene_change" else c for c in checks]


def _passing(checks: list[Check], v: Views, baseline: Baseline, t: Thresholds, match: float | None) -> list[Check]:
    """The view is lost and no cover found: something large passing in the scene (a truck, a bus)
    changes one region and leaves the view beside it in place (view_beside_change at least
    `occlusion_view_match`), or most of the textured view is still in place (`match`, view_in_place,
    at least that); a turn or a zoom changes it all (both near 0), and scene change stands."""
    beside = view_beside_change(v, baseline.reference_grey, t)
    if match is not None and match >= t.occlusion_view_match and (beside is None or beside < match):
        beside = match
    if beside is None or beside < t.occlusion_view_match:
        return checks
    return [replace(c, verdict="ok", detail=c.detail + f"; the view beside what changed is in place (correlation "
                    f"{beside:.2f}): something passes in front, the camera did not turn")
            if c.name == "scene_change" else c for c in checks]


def _cover_not_defocus(checks: list[Check], v: Views, baseline: Baseline, t: Thresholds) -> bool:
    """Blur and occlusion together, and the blur is the cover's soft outline: focus was judged over
    the whole frame, outline included, and the view beside the cover kept the baseline's texture.
    Blur measured away from the region and its outline is defocus whatever the texture says
    (block texture at 320 px survives a defocus of a few pixels)."""
    faulted = {c.name for c in checks if c.verdict == "fault"}
    if not {"blur", "occlusion"} <= faulted or texture_kept(v, baseline.reference_grey, t) < t.occlusion_texture_kept:
        return False
    if not blurred_beside_cover(v, t):
        return True
    # Edges beside the cover read blurred against the whole view's normal focus, but the blocks
    # there are as sharp as in the camera's own reference: a naturally soft part of the view is all
    # the cover left (a distant stand), not defocus.
    kept = rest_contrast_kept(v, baseline.reference_grey, t)
    return kept is not None and kept >= t.occlusion_outline_kept


def diagnose(image: np.ndarray | Views, *, previous: np.ndarray | Views | None = None,
             reference: Baseline | np.ndarray | None = None, thresholds: Thresholds = DEFAULT,
             frozen_normal: float | None = None, frozen_settled: bool = True) -> Diagnosis:
    """Run every check on a BGR picture (as decode_image returns it).

    `previous` (an earlier grab of the same camera) adds the frozen check; `reference` (the
    camera's Baseline, or a reference picture measured on the spot) adds the scene-change check
    and relaxes thresholds to what is normal for this camera (adapt_thresholds). `frozen_normal`:
    the camera's normal change between good grabs (probes.iq_memory), which sets the frozen limit;
    `frozen_settled` False while it is learned from too few pairs (check_frozen).
    A malformed array is a ValueError.
    """
    baseline = record_baseline(reference, thresholds) if isinstance(reference, (np.ndarray, Views)) else reference
    t = adapt_thresholds(thresholds, baseline) if baseline is not None else thresholds
    v = views(image, t)
    # With a baseline, occlusion is judged against it: only texture newly hidden counts.
    single = IMAGE_CHECKS if baseline is None else tuple(fn for fn in IMAGE_CHECKS if fn is not check_occlusion)
    # Stripes: each direction's limit relaxed by that direction's own periodic pattern in the baseline.
    limits = None if baseline is None else stripe_limits(thresholds, baseline)
    normal_ab = None if baseline is None else (baseline.stats.get("cast_a"), baseline.stats.get("cast_b"))
    usual = normal_ab if normal_ab is not None and None not in normal_ab else None
    # The cast is judged as a shift from the camera's usual colour when the baseline has one (check_color_cast).
    checks: list[Check] = [check_stripes(v, t, limits) if fn is check_stripes and limits is not None
                           else check_color_cast(v, t, usual) if fn is check_color_cast else fn(v, t)
                           for fn in single]
    if previous is not None:
        checks.append(check_frozen(v, previous, t, frozen_normal, frozen_settled))
    if baseline is not None:
        checks.append(check_new_occlusion(v, baseline.reference_grey, t))
        checks.append(check_scene_change(v, baseline.reference_grey, t))
    if baseline is not None and _moved(checks, t):
        # The same scene found shifted beyond the limit: the camera turned, and the reference no longer
        # lies under this view, so the featureless area it brought in is not a newly hidden view.
        checks = [replace(c, verdict="ok", detail=c.detail + "; not judged: the view moved")
                  if c.name == "occlusion" else c for c in checks]
    if baseline is not None and _view_lost(checks, t):
        checks = _hidden_or_turned(checks, v, baseline, t)
    if baseline is not None and _cover_not_defocus(checks, v, baseline, t):
        # The cover is out of focus, so its outline reads as blur; the view beside it kept its texture.
        checks = [replace(c, verdict="ok", detail=c.detail + "; the soft edge is the cover's outline")
                  if c.name == "blur" else c for c in checks]
    faults = most_specific({c.name for c in checks if c.verdict == "fault"})
    return Diagnosis(checks, faults, faults[0] if faults else "ok")
