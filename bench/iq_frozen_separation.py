"""Whether a two-grab statistic separates a repeated frame from a still, low-noise live scene (issue 14).

    python bench/iq_frozen_separation.py

On the tuning group of bench/bench_iq_accuracy.py (seed 1, with its still grabs): per statistic,
the spread (min, 10th percentile, median, 90th percentile, max) over the frozen pairs (one frame
JPEG-encoded at q85 and at q80, the clock ticked), over consecutive still grabs (live), and over the
labelled sample's frozen pairs with one side re-encoded at q40 (tests/probes/test_iq.py wants those
frozen). Every statistic is taken from the 160-px grey signatures a camera's memory keeps, outside
the OSD bands. A statistic separates the two when the frozen ranges lie wholly on one side of the
still range.

Option (b) (what probes.iq_memory does since issue 14 part 6) is printed last: each change against
the camera's normal change, the quietest of its earlier good pairs. For a frozen pair that is the
scene's learning and healthy pairs (as bench_iq_accuracy judges it); for a still pair, the still
camera's own earlier pairs (at least two: NORMAL_PAIRS). A normal below frozen_max_change leaves the
camera not judgeable (only an unchanged frame is frozen there).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_iq_accuracy import SAMPLE, generated  # noqa: E402
from probes import iq  # noqa: E402
from probes.iq_checks import views  # noqa: E402
from probes.iq_compare import block_changes, live_change  # noqa: E402
from probes.iq_detail import noise_sigma  # noqa: E402
from probes.iq_memory import NORMAL_PAIRS, signature  # noqa: E402
from probes.iq_types import DEFAULT  # noqa: E402
from tests.probes import iq_synth  # noqa: E402


def _change(later: np.ndarray, earlier: np.ndarray) -> float:
    """The frozen check's value: the largest 8x8-block change at 160 px outside the OSD bands."""
    return live_change(block_changes(signature(views(later)), signature(views(earlier))))[0]


def statistics(later: np.ndarray, earlier: np.ndarray) -> dict[str, float]:
    va, vb = views(later), views(earlier)
    a, b = signature(va).astype(np.float32), signature(vb).astype(np.float32)
    blocks = block_changes(a, b)
    largest, _ = live_change(blocks)
    band = int(round(blocks.shape[0] * 0.12))
    inner = blocks[band:blocks.shape[0] - band]
    # Temporal change in the flattest quarter of the blocks against the spatial noise there (second
    # difference at 160 px): a repeated frame repeats its noise, a live one draws it anew.
    h = a.shape[0]
    rows = slice(int(round(h * 0.12)), h - int(round(h * 0.12)))
    k = np.array([[1, -2, 1]], np.float32)
    spatial = np.minimum(np.abs(cv2.filter2D(a[rows], -1, k)), np.abs(cv2.filter2D(a[rows], -1, k.T))) / np.sqrt(6)
    d = np.abs(a[rows] - b[rows])
    bh, bw = d.shape[0] // 8, d.shape[1] // 8
    sp = cv2.resize(spatial[:bh * 8, :bw * 8], (bw, bh), interpolation=cv2.INTER_AREA)
    tb = cv2.resize(d[:bh * 8, :bw * 8], (bw, bh), interpolation=cv2.INTER_AREA)
    flat = sp <= np.percentile(sp, 25)
    sigma = noise_sigma(va.grey) or 0.0
    return {"full-res flat noise redrawn (option a)": redrawn(va.grey, vb.grey), "largest block change": largest, "mean block change": float(inner.mean()),
            "pixels changed": float((d != 0).mean()),
            "mean change / full-res noise": float(inner.mean()) / max(sigma, 0.3),
            "flat change / flat noise": float(tb[flat].mean() / max(sp[flat].mean(), 0.05))}


def _high_pass(grey: np.ndarray) -> np.ndarray:
    """Second differences across and down (float): a luma ramp cancels, noise and fine detail stay."""
    g = grey.astype(np.float32)
    k = np.array([[1, -2, 1]], np.float32)
    return np.stack([cv2.filter2D(g, -1, k), cv2.filter2D(g, -1, k.T)])


def redrawn(later: np.ndarray, earlier: np.ndarray, block: int = 16) -> float:
    """Option (a), docs/probes-iq.md part 6: in the flattest quarter of the 16x16 blocks of the
    full-resolution (working copy) luma, outside the OSD bands, the grab-to-grab change of the
    high-pass (second differences) against the high-pass itself. A live sensor draws its noise anew
    (about sqrt(2) where noise is all the flat area holds); a repeated frame re-encoded keeps it
    (only the requantisation differs)."""
    h = min(later.shape[0], earlier.shape[0])
    band = int(round(h * 0.12))
    a, b = _high_pass(later[band:h - band]), _high_pass(earlier[band:h - band])
    bh, bw = a.shape[1] // block, a.shape[2] // block

    def per_block(x: np.ndarray) -> np.ndarray:
        return cv2.resize(np.abs(x[:bh * block, :bw * block]), (bw, bh), interpolation=cv2.INTER_AREA)

    spatial = np.minimum(per_block(b[0]), per_block(b[1]))
    temporal = np.minimum(per_block(a[0] - b[0]), per_block(a[1] - b[1]))
    means = cv2.resize(earlier[band:band + bh * block, :bw * block], (bw, bh), interpolation=cv2.INTER_AREA)
    usable = (means > 10) & (means < 245)
    flat = usable & (spatial <= np.percentile(spatial[usable], 25))
    return float(temporal[flat].mean() / max(float(spatial[flat].mean()), 0.05))


def main() -> None:
    groups: dict[str, list[dict[str, float]]] = {"frozen (q85/q80)": [], "still (live)": [], "sample frozen, q40": []}
    normal: dict[str, list[float]] = {"frozen (q85/q80)": [], "still (live)": []}
    ratios: dict[str, list[float]] = {"frozen (q85/q80)": [], "still (live)": []}
    for s in generated(4, 1, iq_synth.SOURCES[0::2], still=True):
        groups["frozen (q85/q80)"].append(statistics(s.faults["frozen"], s.frozen_previous))
        groups["still (live)"] += [statistics(b, a) for a, b in zip(s.still, s.still[1:])]
        good = [*s.learn, *s.healthy]
        quietest = min(_change(b, a) for a, b in zip(good, good[1:]))
        normal["frozen (q85/q80)"].append(quietest)
        if quietest >= DEFAULT.frozen_max_change:
            ratios["frozen (q85/q80)"].append(_change(s.faults["frozen"], s.frozen_previous) / quietest)
        pairs = [_change(b, a) for a, b in zip(s.still, s.still[1:])]
        for k in range(NORMAL_PAIRS, len(pairs)):
            normal["still (live)"].append(min(pairs[:k]))
            if min(pairs[:k]) >= DEFAULT.frozen_max_change:
                ratios["still (live)"].append(pairs[k] / min(pairs[:k]))
    if (SAMPLE / "labels.csv").is_file():
        for r in csv.DictReader((SAMPLE / "labels.csv").open()):
            if r["pair"] and r["label"] == "frozen":
                a = iq.decode_image((SAMPLE / r["file"]).read_bytes())
                a = cv2.imdecode(cv2.imencode(".jpg", a, [cv2.IMWRITE_JPEG_QUALITY, 40])[1], cv2.IMREAD_COLOR)
                groups["sample frozen, q40"].append(statistics(a, iq.decode_image((SAMPLE / r["pair"]).read_bytes())))
    for name in next(iter(groups.values()))[0]:
        print(name)
        for group, rows in groups.items():
            if rows:
                values = np.array([r[name] for r in rows])
                q = np.percentile(values, [0, 10, 50, 90, 100])
                print(f"  {group:20} n={len(values):3d}  " + "  ".join(f"{x:6.3f}" for x in q))
    print(f"option (b): the camera's normal change (the quietest earlier good pair); not judgeable below "
          f"{DEFAULT.frozen_max_change:g}")
    for group, values in normal.items():
        low = sum(v < DEFAULT.frozen_max_change for v in values)
        q = np.percentile(values, [0, 10, 50, 90, 100])
        print(f"  {group:20} n={len(values):3d}  " + "  ".join(f"{x:6.3f}" for x in q) + f"   not judgeable {low}")
    print(f"option (b): change / normal where judgeable (frozen below {DEFAULT.frozen_normal_share:g})")
    for group, values in ratios.items():
        q = np.percentile(values, [0, 10, 50, 90, 100]) if values else []
        print(f"  {group:20} n={len(values):3d}  " + "  ".join(f"{x:6.3f}" for x in q))


if __name__ == "__main__":
    main()
