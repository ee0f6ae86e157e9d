"""Benchmark: image-quality diagnosis accuracy on the labelled sample, and its CPU cost per frame.

    python bench/bench_iq.py [--data DIR] [--repeat 5]

Runs probes.iq.diagnose over /work/shared/data/iq-sample/ (pairs get their partner as
`previous=`), then again on the same set re-encoded at JPEG q70 and downscaled to 704 px wide.
Prints per-category precision and recall, the confusion table (true label x verdict), the share
of ok pictures flagged, and the CPU time per diagnosis on one core (OpenCV limited to one thread,
time.process_time). Asserts nothing; the accuracy targets are asserted by tests/probes/test_iq.py.
"""

from __future__ import annotations

import argparse
import collections
import csv
import sys
import time
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from probes import iq  # noqa: E402
from probes.iq_checks import views  # noqa: E402

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "iq-sample"
CATEGORIES = ("ok", "blur", "dark", "overexposed", "color_cast", "occlusion", "noise", "no_signal",
              "stripes", "frozen")
TARGET_RECALL, TARGET_OK_FLAGGED = 0.9, 0.05


def load(data: Path) -> list[dict]:
    rows = list(csv.DictReader((data / "labels.csv").open(encoding="utf-8")))
    for row in rows:
        row["image"] = iq.decode_image((data / row["file"]).read_bytes())
    return rows


def reencode(quality: int) -> Callable[[np.ndarray], np.ndarray]:
    def apply(image: np.ndarray) -> np.ndarray:
        ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
        return iq.decode_image(jpeg.tobytes())
    return apply


def downscale(width: int) -> Callable[[np.ndarray], np.ndarray]:
    def apply(image: np.ndarray) -> np.ndarray:
        h, w = image.shape[:2]
        small = cv2.resize(image, (width, round(h * width / w)), interpolation=cv2.INTER_AREA)
        return reencode(85)(small)
    return apply


def run(rows: list[dict], transform: Callable[[np.ndarray], np.ndarray] | None,
        margins: bool = False) -> list[tuple[str, str, str]]:
    images = {r["file"]: (transform(r["image"]) if transform else r["image"]) for r in rows}
    out, values = [], collections.defaultdict(lambda: {"ok": [], "fault": []})
    for row in rows:
        previous = images[row["pair"]] if row["pair"] else None
        result = iq.diagnose(images[row["file"]], previous=previous)
        out.append((row["file"], row["label"], result.verdict))
        for c in result.checks:
            if c.value is not None and row["label"] in ("ok", c.name):
                values[c.name]["ok" if row["label"] == "ok" else "fault"].append(c.value)
    if margins:
        print("\n== separation on the shipped set: each check's value on ok pictures and on its own fault")
        print(f"{'check':<13}{'ok min..max':>20}{'fault min..max':>20}{'threshold':>11}")
        for name, v in values.items():
            if v["fault"]:
                threshold = getattr(iq.DEFAULT, _THRESHOLD[name])
                print(f"{name:<13}{min(v['ok']):>9.3f} ..{max(v['ok']):>8.3f}"
                      f"{min(v['fault']):>10.3f} ..{max(v['fault']):>8.3f}{threshold:>11}")
    return out


_THRESHOLD = {"no_signal": "no_signal_uniform", "dark": "dark_luma", "overexposed": "overexposed_luma",
              "color_cast": "color_cast_ab", "blur": "blur_edge_permille", "noise": "noise_sigma",
              "stripes": "stripes_amplitude", "occlusion": "occlusion_area", "frozen": "frozen_max_change"}


def report(title: str, results: list[tuple[str, str, str]]) -> bool:
    print(f"\n== {title}: {len(results)} pictures")
    predicted = sorted({p for _, _, p in results} - set(CATEGORIES))
    columns = list(CATEGORIES) + predicted
    confusion = collections.Counter((t, p) for _, t, p in results)
    width = max(len(c) for c in columns) + 1
    print("true \\ verdict".ljust(13) + "".join(c[:width - 1].rjust(width) for c in columns))
    for true in CATEGORIES:
        print(true.ljust(13) + "".join(str(confusion[(true, p)] or ".").rjust(width) for p in columns))
    print(f"\n{'category':<13}{'n':>4}{'precision':>11}{'recall':>8}")
    met = True
    for cat in CATEGORIES[1:]:
        n = sum(1 for _, t, _ in results if t == cat)
        hit = confusion[(cat, cat)]
        said = sum(1 for _, _, p in results if p == cat)
        recall = hit / n if n else float("nan")
        met &= recall >= TARGET_RECALL
        print(f"{cat:<13}{n:>4}{(hit / said if said else float('nan')):>11.2f}{recall:>8.2f}"
              + ("" if recall >= TARGET_RECALL else "   < target"))
    oks = [p for _, t, p in results if t == "ok"]
    flagged = sum(p != "ok" for p in oks) / len(oks)
    met &= flagged <= TARGET_OK_FLAGGED
    print(f"ok pictures flagged: {flagged:.1%} of {len(oks)} (target <= {TARGET_OK_FLAGGED:.0%})")
    for name, true, pred in results:
        if true != pred:
            print(f"  miss: {name}: {true} -> {pred}")
    print("target met" if met else "TARGET NOT MET")
    return met


def timing(rows: list[dict], repeat: int) -> None:
    cv2.setNumThreads(1)  # one core: OpenCV would otherwise spread filters over threads
    print(f"\n== CPU per diagnosis, one core (OpenCV threads: {cv2.getNumThreads()}), {repeat} rounds")
    for size in ("1280x720", "704x576"):
        subset = [r for r in rows if size in r["file"]]
        pairs = [(r["image"], next(x["image"] for x in rows if x["file"] == r["pair"]) if r["pair"] else None)
                 for r in subset]
        start = time.process_time()
        for _ in range(repeat):
            for image, previous in pairs:
                iq.diagnose(image, previous=previous)
        cpu = (time.process_time() - start) / (repeat * len(pairs))
        print(f"{size}: {cpu * 1000:6.1f} ms CPU per full diagnosis = {1 / cpu:6.1f} pictures/s per core "
              f"({len(pairs)} pictures)")
    frame = next(r["image"] for r in rows if r["file"] == "camera_1280x720_ok.jpg")
    v = views(frame)
    cost = {}
    for fn in (views, *iq.IMAGE_CHECKS):
        arg = frame if fn is views else v
        start = time.process_time()
        for _ in range(repeat * 10):
            fn(arg)
        cost[fn.__name__] = (time.process_time() - start) / (repeat * 10) * 1000
    ref = iq.record_baseline(frame)
    for name, call in (("check_frozen", lambda: iq.check_frozen(v, frame)),
                       ("check_scene_change", lambda: iq.check_scene_change(v, ref.reference_grey))):
        start = time.process_time()
        for _ in range(repeat * 10):
            call()
        cost[name] = (time.process_time() - start) / (repeat * 10) * 1000
    print("per step on one 1280x720 frame (ms CPU): "
          + ", ".join(f"{k} {ms:.2f}" for k, ms in sorted(cost.items(), key=lambda kv: -kv[1])))
    jpeg = (DATA / "camera_1280x720_ok.jpg").read_bytes()
    start = time.process_time()
    for _ in range(repeat * 10):
        iq.decode_image(jpeg)
    print(f"decode_image of a 1280x720 JPEG: {(time.process_time() - start) / (repeat * 10) * 1000:.2f} ms CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--repeat", type=int, default=5, help="timing rounds (bounded: 1..50)")
    args = parser.parse_args()
    if not (args.data / "labels.csv").is_file():
        raise SystemExit(f"no labelled sample at {args.data}")
    rows = load(args.data)
    report("labelled set as shipped (JPEG q85)", run(rows, None, margins=True))
    report("re-encoded at JPEG q70", run(rows, reencode(70)))
    report("downscaled to 704 px wide (+ JPEG q85)", run(rows, downscale(704)))
    timing(rows, max(1, min(50, args.repeat)))


if __name__ == "__main__":
    main()
