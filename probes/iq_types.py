"""Image-quality (图像质量诊断) result types and the thresholds every check reads."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Literal, Mapping

Verdict = Literal["ok", "fault", "unsure"]
""""unsure": measured past its threshold, but a single picture cannot tell the fault from the scene
(probes.iq_memory.first_sight); like "ok" it is no fault, and the baseline judges it once learned."""


@dataclass(frozen=True)
class Check:
    """One measured property of a picture and whether it crosses its threshold.

    `name` is the fault category it reports (as in the labelled set's labels.csv, plus
    `low_contrast` and `scene_change`); `value` is None when the picture gives nothing to
    measure (e.g. no edges for the focus check), which always counts as ok.
    """

    name: str
    value: float | None
    verdict: Verdict
    threshold: float | None
    detail: str = ""
    measure: str = ""
    """What `value` (and `threshold`) measure when a check decides by more than one measure (scene
    change: "peak", the phase-correlation peak; "in place", the view matched in place); "" otherwise."""

    def to_json(self) -> dict[str, Any]:
        out = {"name": self.name, "value": self.value, "verdict": self.verdict,
               "threshold": self.threshold, "detail": self.detail}
        if self.measure:
            out["measure"] = self.measure
        return out


@dataclass(frozen=True)
class Thresholds:
    """Every threshold of the image-quality checks; grey levels are 0-255 luma (BT.601).

    Defaults were chosen from physical meaning first and checked against the labelled set
    (docs/probes-iq.md gives the measured margins). A per-camera Baseline can relax some of them
    (see probes.iq_baseline.adapt_thresholds).
    """

    work_width: int = 1280
    """Frames wider than this are downscaled (area average) before the full-resolution checks."""
    dark_luma: float = 30.0
    """Mean luma below this is too dark (about 2 stops under a mid-grey scene of ~118)."""
    overexposed_luma: float = 220.0
    """Mean luma above this is overexposed ..."""
    overexposed_clipped_share: float = 0.40
    """... and so is a frame with more than this share of pixels at luma >= 250 (blown out)."""
    low_contrast_spread: float = 40.0
    """Luma spread between the 5th and 95th percentiles below this is a washed-out picture."""
    color_cast_ab: float = 30.0
    """Distance of the mean (a*, b*) from neutral grey in CIE-Lab units above this is a cast."""
    color_shift_ab: float = 15.0
    """With a baseline: the mean (a*, b*) moved this far (Lab units) from the camera's usual mean is a
    cast (a just-noticeable difference is ~2-3 units; daylight and AWB drift of one view stay under ~8)."""
    blur_edge_permille: float = 2.0
    """Edge blur sigma above this many thousandths of the frame width is out of focus."""
    blur_min_px: float = 1.6
    """... but never below this edge sigma in pixels: at D1 and below, 2 per mille is finer than the
    pixel grid itself (a sharp edge sampled at the sensor's resolution spreads over ~0.7-1.2 px)."""
    blur_min_edges: int = 200
    """Fewer strong-edge points than this and the focus cannot be judged (value None)."""
    noise_sigma: float = 8.0
    """Noise standard deviation (grey levels) in the flattest quarter of the frame above this."""
    stripes_amplitude: float = 10.0
    """Amplitude (grey levels) of a periodic row/column pattern above this is stripe interference ..."""
    stripes_prominence: float = 20.0
    """... when its power also stands this many times above the neighbouring frequencies."""
    stripes_period_px: tuple[float, float] = (2.5, 48.0)
    """Stripe periods looked for, in pixels of the working frame."""
    occlusion_area: float = 0.35
    """A connected featureless region larger than this share of the frame is an occlusion ..."""
    occlusion_texture: float = 2.0
    """... where featureless means a local luma standard deviation below this (8x8 blocks at 320 px)."""
    occlusion_noise_factor: float = 1.3
    """... or below this many times the picture's own noise sigma (at 320 px): noise is not texture."""
    occlusion_noise_cap: float = 4.0
    """... the noise allowance never exceeds this (a snowy picture is noise, not a cover)."""
    occlusion_new_area: float = 0.12
    """With a baseline: an occlusion-sized featureless region that hides more than this share of the
    frame where the baseline has texture (the camera's usual sky or wall alone never counts)."""
    occlusion_changed: float = 0.3
    """With a baseline, a block plain in the reference is also newly hidden when its mean luma fell by
    more than this share of the reference's (after the picture's overall light change) ..."""
    occlusion_changed_min: float = 12.0
    """... and by at least this many grey levels: an unlit surface now lies there (a cover over a plain
    sky, wall or moon), while the same surface only follows the light."""
    occlusion_structure_lost: float = 0.5
    """With a baseline, a block clearly textured in the reference is hidden by a cover that is not
    featureless (shaded, a rim, speckle, the view blurred through it) when its correlation with the
    reference at the same place is below this (the same content reads near 1 whatever the light) ..."""
    occlusion_contrast_lost: float = 0.5
    """... and its contrast relative to its own mean (noise taken out) fell below this share of the
    reference's: out of focus at the lens. A shadow keeps that relative contrast; a vehicle passing in
    focus keeps its own."""
    occlusion_rest_sharp: float = 0.8
    """... and the blocks clearly textured in both away from that region kept, at the median, at least
    this share of their relative contrast: a cover leaves the rest as it was (~1), defocus lowers it
    everywhere (0.45-0.65 on the tuning group's blurred frames; up to 0.81 on a plain table top
    defocused, opencv's stuff, where blur outranks occlusion)."""
    occlusion_outline_kept: float = 0.9
    """With a baseline, blur and occlusion together are a cover (not defocus) also when focus measured
    beside the cover reads as blurred but the blocks there kept at the median at least this share of
    their relative contrast in the reference (rest_contrast_kept): only a naturally soft part of the
    view (a distant stand, a plain table) is left beside the cover. Covers the focus check took for
    defocus read 0.98-1.03; the set's defocused frames 0.53-0.81."""
    occlusion_outline_soft: float = 12.0
    """With a baseline, how soft the outline of a candidate cover must be for something at the lens: the
    median width over which its opacity, measured against the reference, rises from 15 % to 85 %
    across the outline, in thousandths of the frame width (outline_width). Something at the lens is far
    out of focus (the set's boards 17-31, leaves 22-31, hands 44-78); a plain-sided vehicle in the scene
    is in focus (3-6). A structure-lost region counts from `occlusion_new_area` only with an outline
    this soft; a featureless one hiding `occlusion_area` or less is no cover with one measured sharper."""
    occlusion_texture_kept: float = 0.6
    """With a baseline, blur and occlusion together are a cover (not defocus) when at least this
    share of the baseline's texture away from the featureless region is still there."""
    occlusion_visible_min: float = 0.10
    """... and the rest of the frame still shows texture on at least this share of it."""
    occlusion_view_match: float = 0.5
    """With a baseline, when the view is lost (scene change with a weak peak) beside a large featureless
    region: the median correlation of the textured blocks left visible with the reference at the same
    place. At least this, the view is still there, hidden in part (occlusion); below, what is visible
    is another view (the camera turned or zoomed: scene change). Same content correlates near 1, other
    content near 0."""
    no_signal_uniform: float = 0.995
    """Share of the frame outside the centre that must be one flat colour for a no-signal screen."""
    no_signal_tolerance: float = 12.0
    """Largest per-channel difference (grey levels) from the dominant colour still counted as flat."""
    no_signal_black_tolerance: float = 4.0
    """... but a black screen is flat within this (an encoder's black is exact; a dark scene is not)."""
    no_signal_black_max: float = 40.0
    """A flat frame whose brightest channel is at most this is a black no-signal screen."""
    no_signal_blue_min: float = 96.0
    """A flat frame with blue at least this and this much above red and green ..."""
    no_signal_blue_margin: float = 64.0
    """... is a blue no-signal screen (the encoder's 无视频信号 page)."""
    frozen_max_change: float = 1.5
    """Two grabs whose largest 8x8-block mean luma difference (at 160 px wide) is below this are frozen
    (with the camera's normal change learned, also below `frozen_normal_share` of it)."""
    frozen_reference_width: int = 640
    """The grab width `frozen_max_change` was set on (D1, 640-704 px: about 4x down to the check's 160
    px). A smaller grab is averaged over fewer pixels, so a re-encoded repeat changes more there (a
    320x240 webcam's 2.2 grey levels): once the camera's normal change is learned, the 1.5 cap grows
    as this width over the grab's (frozen_cap); 0 keeps it fixed whatever the size."""
    frozen_normal_share: float = 0.25
    """With the camera's normal change between good grabs learned (the quietest of its recent good
    pairs, probes.iq_memory), a pair is frozen only below this share of it: a live pair of the tuning
    set dropped to a third of the quietest pair before it, a re-encoded repeat is near zero. A camera
    whose normal change is itself below `frozen_max_change` (a still, low-noise scene) is not judged
    frozen by picture, except for an unchanged frame (`frozen_repeat_change`)."""
    frozen_repeat_change: float = 0.25
    """A largest block change at or below this is the same frame unchanged outside the OSD (a device
    repeating its bytes measures 0.0; a still live scene of the tuning set 0.56 and more): frozen
    whatever the camera's normal change."""
    osd_band: float = 0.12
    """Top and bottom bands (share of the height each) where devices overlay a clock and a name (OSD):
    their sharp text says nothing about focus, and their changes alone do not make a picture live ..."""
    frozen_osd_share: float = 0.05
    """... unless more than this share of all 8x8 blocks changed (a ticking clock changes 1-3 %)."""
    scene_min_response: float = 0.4
    """Phase-correlation peak against the reference below this is a different view (scene change) ..."""
    scene_max_shift: float = 0.05
    """... and so is a shift of the view larger than this share of the frame (camera moved)."""
    scene_view_match: float = 0.5
    """Below `scene_min_response` the view is looked for in place: the median per-block correlation with
    the reference at 160 px (view_match) must reach this ..."""
    scene_match_blocks: float = 0.3
    """... over at least this share of the frame's blocks, or the view is lost (scene change)."""

    def replace(self, **changes: Any) -> Thresholds:
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Thresholds:
        """Build from settings; an unknown name or a non-finite/negative number is a ValueError."""
        known = {f.name: f for f in dataclasses.fields(cls)}
        changes: dict[str, Any] = {}
        for name, raw in values.items():
            if name not in known:
                raise ValueError(f"unknown image-quality threshold {name!r}")
            default = getattr(cls(), name)
            value = tuple(float(v) for v in raw) if isinstance(default, tuple) else type(default)(raw)
            if any(not math.isfinite(v) or v < 0 for v in (value if isinstance(value, tuple) else (value,))):
                raise ValueError(f"image-quality threshold {name}={raw!r} must be a finite number >= 0")
            changes[name] = value
        return cls(**changes)


DEFAULT = Thresholds()


@dataclass(frozen=True)
class Diagnosis:
    """All checks of one picture, the faults left after the most-specific rule, and the verdict.

    `verdict` is "ok" or the most specific fault (the label the labelled set would give);
    `faults` lists every independent fault, most specific first.
    """

    checks: list[Check] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    verdict: str = "ok"

    def check(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)

    def to_json(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "faults": list(self.faults),
                "checks": [c.to_json() for c in self.checks]}


def check(name: str, value: float | None, fault: bool, threshold: float | None, detail: str = "",
          measure: str = "") -> Check:
    """A Check with the value rounded for people; `fault` is ignored when value is None."""
    shown = None if value is None else round(float(value), 4)
    return Check(name, shown, "fault" if fault and value is not None else "ok", threshold, detail, measure)
