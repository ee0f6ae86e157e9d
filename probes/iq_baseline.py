"""A camera's image-quality baseline (基准图): its reference picture and normal measurements."""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass, field
from typing import Any, Mapping

import cv2
import numpy as np

from probes.iq_checks import (SMALL_WIDTH, Views, check_color_cast, check_dark, check_low_contrast,
                              check_occlusion, mean_ab, views)
from probes.iq_detail import check_blur, check_noise, check_stripes, stripe_lines
from probes.iq_decode import decode_image
from probes.iq_types import DEFAULT, Thresholds

VERSION = 1
_STATS = {"mean_luma": check_dark, "contrast_spread": check_low_contrast, "color_cast_ab": check_color_cast,
          "blur_permille": check_blur, "noise_sigma": check_noise, "occlusion_share": check_occlusion,
          "stripes_amplitude": check_stripes}
MAX_JSON_BYTES = 2 * 2**20


@dataclass(frozen=True)
class Baseline:
    """The reference picture (320-wide luma) of one camera and what its checks measured on it."""

    reference_grey: np.ndarray
    width: int
    height: int
    stats: Mapping[str, float | None] = field(default_factory=dict)

    def to_json(self, jpeg: bool = False) -> dict[str, Any]:
        """`jpeg`: store the reference as a JPEG (q90, ~6 KB instead of ~40 KB of PNG); phase
        correlation does not see the difference. The key keeps its name; decoding sniffs the format."""
        ok, data = (cv2.imencode(".jpg", self.reference_grey, [cv2.IMWRITE_JPEG_QUALITY, 90]) if jpeg
                    else cv2.imencode(".png", self.reference_grey))
        if not ok:  # pragma: no cover - encoding a small uint8 array does not fail
            raise ValueError("could not encode the reference picture")
        return {"version": VERSION, "width": self.width, "height": self.height, "stats": dict(self.stats),
                "reference_png": base64.b64encode(data.tobytes()).decode("ascii")}

    def to_bytes(self) -> bytes:
        return json.dumps(self.to_json(), separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> Baseline:
        """Rebuild from to_json(); anything malformed is a ValueError (it may come from storage)."""
        if not isinstance(doc, Mapping) or doc.get("version") != VERSION:
            raise ValueError(f"not an image-quality baseline of version {VERSION}")
        try:
            png = base64.b64decode(doc["reference_png"], validate=True)
            width, height = int(doc["width"]), int(doc["height"])
            stats = {str(k): None if v is None else float(v) for k, v in dict(doc["stats"]).items()}
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed image-quality baseline ({exc})") from None
        if any(v is not None and not math.isfinite(v) for v in stats.values()) or min(width, height) < 1:
            raise ValueError("malformed image-quality baseline (size or statistics out of range)")
        grey = decode_image(png, max_side=4 * SMALL_WIDTH)
        return cls(cv2.cvtColor(grey, cv2.COLOR_BGR2GRAY), width, height, stats)

    @classmethod
    def from_bytes(cls, data: bytes) -> Baseline:
        if len(data) > MAX_JSON_BYTES:
            raise ValueError("image-quality baseline is too large")
        try:
            doc = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"image-quality baseline is not JSON ({exc})") from None
        return cls.from_json(doc)


def record_baseline(image: np.ndarray | Views, thresholds: Thresholds = DEFAULT) -> Baseline:
    """Measure a picture the operator confirmed as this camera's normal view."""
    v = views(image, thresholds)
    stats = {key: fn(v, thresholds).value for key, fn in _STATS.items()}
    stats["cast_a"], stats["cast_b"] = mean_ab(v, thresholds)
    stats.update(stripe_stats(v, thresholds))
    return Baseline(v.small_grey.copy(), v.width, v.height, stats)


STRIPE_KEYS = {"horizontal": "stripes_horizontal", "vertical": "stripes_vertical"}


def stripe_stats(v: Views, t: Thresholds = DEFAULT) -> dict[str, float]:
    """The periodic amplitude of a picture per direction, as Baseline.stats keys (STRIPE_KEYS)."""
    return {STRIPE_KEYS[d]: round(line[0], 4) for d, line in stripe_lines(v, t).items()}


def _relaxed_stripes(limit: float, normal: float) -> float:
    return max(limit, 1.15 * normal + 3)


def stripe_limits(t: Thresholds, baseline: Baseline) -> dict[str, float] | None:
    """The stripe limit per direction for this camera: each direction relaxed by its own normal
    periodic amplitude only (print's text rows raise the rows' limit, not the columns'). `t`: the
    thresholds before adapt_thresholds. None when the baseline lacks the per-direction figures, or
    when its overall amplitude exceeds both (a grab accepted as a false alarm, measured without
    them): then the one relaxed limit of adapt_thresholds applies."""
    s = baseline.stats
    normal = {d: s.get(key) for d, key in STRIPE_KEYS.items()}
    overall = s.get("stripes_amplitude")
    if any(n is None for n in normal.values()) or (overall is not None and overall > max(normal.values()) + 1e-3):
        return None
    return {d: _relaxed_stripes(t.stripes_amplitude, n) for d, n in normal.items()}


def adapt_thresholds(t: Thresholds, baseline: Baseline) -> Thresholds:
    """Thresholds for one camera: never stricter than `t`, but tolerant of what is normal for it.

    - dark / low contrast: half the camera's normal mean luma / luma spread, when that is lower
      than the default (a camera that normally looks at a dim tunnel is not "too dark");
    - colour cast: 15 Lab units beyond its normal cast (a lawn, a sodium-lit street); a baseline
      that knows its mean (a*, b*) (cast_a, cast_b) judges the shift from it instead (diagnose);
    - blur / noise: 1.5 times its normal edge blur / noise (a soft lens, a night camera);
    - occlusion: 15 points above its normal largest featureless region (a big sky or wall); with
      a baseline diagnose judges occlusion against its reference instead (check_new_occlusion);
    - stripes: 1.15 times its normal periodic amplitude plus 3 grey levels (brick, tiles, print).
    Exposure, no-signal and frozen keep their absolute thresholds.
    """
    s = baseline.stats

    def scaled(key: str, factor: float) -> float | None:
        value = s.get(key)
        return None if value is None else factor * value

    changes: dict[str, float] = {}
    for name, value, pick in (
        ("dark_luma", scaled("mean_luma", 0.5), min),
        ("low_contrast_spread", scaled("contrast_spread", 0.5), min),
        ("color_cast_ab", None if s.get("color_cast_ab") is None else s["color_cast_ab"] + 15, max),
        ("blur_edge_permille", scaled("blur_permille", 1.5), max),
        ("noise_sigma", scaled("noise_sigma", 1.5), max),
        ("occlusion_area", None if s.get("occlusion_share") is None else min(0.9, s["occlusion_share"] + 0.15), max),
        ("stripes_amplitude", None if s.get("stripes_amplitude") is None
         else _relaxed_stripes(t.stripes_amplitude, s["stripes_amplitude"]), max),
    ):
        if value is not None:
            changes[name] = pick(getattr(t, name), value)
    return t.replace(**changes)
