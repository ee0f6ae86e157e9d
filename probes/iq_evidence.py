"""Evidence frames (证据图): a grab kept for people as a small JPEG, with what the checks measured on it.

    frame = evidence(views, diagnosis, mode)      # Evidence: jpeg (<= MAX_BYTES), size, verdict, stats
    grab = frame.grab()                           # back to a Baseline (for a false alarm: the office
                                                  # says this picture is normal for the camera)

The JPEG is at most EVIDENCE_WIDTH wide and MAX_BYTES long: the quality steps down until it fits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

import cv2
import numpy as np

from probes.iq_baseline import Baseline
from probes.iq_checks import Views, mean_ab, resize_to_width, views
from probes.iq_decode import decode_image
from probes.iq_types import Diagnosis

EVIDENCE_WIDTH = 640
MAX_BYTES = 100 * 1024
QUALITIES = (80, 65, 50, 35, 20)
# Diagnosis check name -> Baseline.stats key (the measurements a baseline keeps; iq_memory._CHECK_OF
# names the same pairs the other way round). occlusion_share is absent once a baseline judged the
# grab (occlusion is then judged against the reference): a merged baseline keeps the other's value.
STAT_OF = {"dark": "mean_luma", "low_contrast": "contrast_spread", "color_cast": "color_cast_ab",
           "blur": "blur_permille", "noise": "noise_sigma", "occlusion": "occlusion_share",
           "stripes": "stripes_amplitude"}
COLOUR = ("cast_a", "cast_b")  # the grab's mean (a*, b*): accepted as normal, it is the camera's usual colour


def encode_jpeg(image: np.ndarray, width: int = EVIDENCE_WIDTH, max_bytes: int = MAX_BYTES) -> bytes:
    """A JPEG of `image` at most `width` wide and `max_bytes` long (quality lowered, then size halved)."""
    small = resize_to_width(image, width)
    while True:
        for quality in QUALITIES:
            ok, data = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, quality])
            if ok and len(data) <= max_bytes:
                return data.tobytes()
        if small.shape[1] <= 80:  # pragma: no cover - 80 px of anything is far below 100 KB
            raise ValueError("could not fit the evidence frame into its size limit")
        small = cv2.resize(small, (small.shape[1] // 2, max(1, small.shape[0] // 2)), interpolation=cv2.INTER_AREA)


@dataclass(frozen=True)
class Evidence:
    """One grab as evidence: the JPEG people see and what the checks said and measured."""

    jpeg: bytes
    width: int  # of the picture as grabbed
    height: int
    verdict: str
    faults: tuple[str, ...]
    mode: str  # day | night
    stats: Mapping[str, float | None] = field(default_factory=dict)

    def stats_json(self) -> dict[str, Any]:
        return {"mode": self.mode, "stats": dict(self.stats)}

    def grab(self) -> Baseline:
        """The grab as a baseline candidate: its reference view from the JPEG, its measured statistics."""
        return grab_of(self.jpeg, self.width, self.height, self.stats)


def grab_of(jpeg: bytes, width: int, height: int, stats: Mapping[str, Any]) -> Baseline:
    """A Baseline from a stored evidence frame (ValueError if the JPEG or the statistics are malformed)."""
    v = views(decode_image(jpeg))
    clean: dict[str, float | None] = {}
    for key, value in dict(stats).items():
        if key in STAT_OF.values() or key in COLOUR:
            clean[key] = None if value is None else float(value)
    return Baseline(v.small_grey.copy(), int(width), int(height), clean)


def evidence(v: Views, diagnosis: Diagnosis, mode: str) -> Evidence:
    """The evidence of a judged grab (the picture's work copy encoded; about 2 ms at 1280x720)."""
    stats = {}
    for check in diagnosis.checks:
        key = STAT_OF.get(check.name)
        if key is not None:
            stats[key] = check.value
    # With a baseline the colour check measures the shift from the usual colour: keep the absolute
    # distance from grey under its own key, and the colour itself.
    a, b = mean_ab(v)
    stats["color_cast_ab"], stats["cast_a"], stats["cast_b"] = round(math.hypot(a, b), 4), round(a, 4), round(b, 4)
    return Evidence(encode_jpeg(v.work), v.width, v.height, diagnosis.verdict, tuple(diagnosis.faults), mode, stats)
