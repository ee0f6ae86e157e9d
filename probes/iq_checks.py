"""Single-picture image-quality checks on the small copy: signal loss, exposure, contrast, colour
cast and occlusion; each is a pure function from a picture and thresholds to a Check."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from probes.iq_types import DEFAULT, Check, Thresholds, check

SMALL_WIDTH = 320  # the global statistics do not need more pixels than this
MAX_ASPECT = 8  # wider than the widest panoramic camera (32:9); keeps every copy at least 40 px high


@dataclass(frozen=True)
class Views:
    """The copies of one picture the checks work on, made once per diagnosis."""

    work: np.ndarray  # BGR, at most Thresholds.work_width wide
    grey: np.ndarray  # luma of `work`
    small: np.ndarray  # BGR, SMALL_WIDTH wide (area average)
    small_grey: np.ndarray
    width: int  # of the picture as grabbed
    height: int


def as_bgr(image: np.ndarray) -> np.ndarray:
    """Accept BGR, BGRA or grey uint8 arrays; anything else is a ValueError."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise ValueError("a picture must be a uint8 numpy array (use decode_image on bytes)")
    channels = 1 if image.ndim == 2 else image.shape[2] if image.ndim == 3 else 0
    if channels not in (1, 3, 4) or min(image.shape[:2]) < 16:
        raise ValueError(f"a picture must be H x W (x 3 or 4) and at least 16x16, not {image.shape}")
    if max(image.shape[:2]) > MAX_ASPECT * min(image.shape[:2]):
        raise ValueError(f"a {image.shape[1]}x{image.shape[0]} picture is stretched beyond {MAX_ASPECT}:1")
    if channels == 1:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if channels == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image


def resize_to_width(image: np.ndarray, width: int) -> np.ndarray:
    """Area-average downscale to `width` (never upscales): averaging keeps means and shares honest."""
    h, w = image.shape[:2]
    if w <= width:
        return image
    return cv2.resize(image, (width, max(1, round(h * width / w))), interpolation=cv2.INTER_AREA)


def views(image: np.ndarray | Views, t: Thresholds = DEFAULT) -> Views:
    """The working and small copies of a picture (a Views is passed through unchanged)."""
    if isinstance(image, Views):
        return image
    bgr = as_bgr(image)
    work = resize_to_width(bgr, t.work_width)
    small = resize_to_width(work, SMALL_WIDTH)
    return Views(work, cv2.cvtColor(work, cv2.COLOR_BGR2GRAY), small,
                 cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), bgr.shape[1], bgr.shape[0])


def _percentiles(image: np.ndarray, *pcts: float, channel: int = 0) -> list[float]:
    """Percentiles of one uint8 channel from its histogram (no sorting)."""
    cdf = np.cumsum(cv2.calcHist([image], [channel], None, [256], [0, 256]).ravel())
    return [float(np.searchsorted(cdf, p / 100 * cdf[-1])) for p in pcts]


def check_no_signal(image: np.ndarray | Views, t: Thresholds = DEFAULT) -> Check:
    """Signal loss (无视频信号): an encoder's substitute picture instead of video.

    The dominant colour is the per-channel median; a pixel is flat when every channel is within
    `no_signal_tolerance` of it. The screen is reported when the frame outside a central box
    (middle 50 % x 40 %, where encoders write their "无视频信号" text) is flat on at least
    `no_signal_uniform` of its area and the colour is black (brightest channel at most
    `no_signal_black_max`) or the encoders' blue. Value: the flat share outside the centre.
    """
    small = views(image, t).small
    colour = [_percentiles(small, 50, channel=c)[0] for c in range(3)]
    diff = cv2.absdiff(small, np.full_like(small, np.array(colour, np.uint8)))
    b, g, r = (float(c) for c in colour)
    black = max(b, g, r) <= t.no_signal_black_max
    # An encoder's black is exact; a very dark scene still has structure and noise around its median.
    planes = cv2.split(diff)  # the largest channel difference per pixel (OpenCV: numpy's axis-2 max is slow)
    flat = cv2.max(cv2.max(planes[0], planes[1]), planes[2]) <= (
        t.no_signal_black_tolerance if black else t.no_signal_tolerance)
    h, w = flat.shape
    border = np.ones_like(flat)
    border[int(h * 0.3):int(h * 0.7), int(w * 0.25):int(w * 0.75)] = False
    share = float(flat[border].mean())
    blue = b >= t.no_signal_blue_min and b - max(g, r) >= t.no_signal_blue_margin
    kind = "black" if black else "blue" if blue else "neither black nor blue"
    detail = f"{share:.1%} of the border is flat {kind} (B,G,R {b:.0f},{g:.0f},{r:.0f})"
    return check("no_signal", share, share >= t.no_signal_uniform and (black or blue),
                 t.no_signal_uniform, detail)


def check_dark(image: np.ndarray | Views, t: Thresholds = DEFAULT) -> Check:
    """Too dark (画面过暗): mean luma below `dark_luma`."""
    mean = float(views(image, t).small_grey.mean())
    return check("dark", mean, mean < t.dark_luma, t.dark_luma, f"mean luma {mean:.1f}")


def check_overexposed(image: np.ndarray | Views, t: Thresholds = DEFAULT) -> Check:
    """Overexposed (画面过亮): mean luma above `overexposed_luma`, or more than
    `overexposed_clipped_share` of the frame blown out (luma >= 250). Value: the mean luma."""
    grey = views(image, t).small_grey
    mean, clipped = float(grey.mean()), float((grey >= 250).mean())
    fault = mean > t.overexposed_luma or clipped > t.overexposed_clipped_share
    return check("overexposed", mean, fault, t.overexposed_luma,
                 f"mean luma {mean:.1f}, {clipped:.0%} clipped (limit {t.overexposed_clipped_share:.0%})")


def check_low_contrast(image: np.ndarray | Views, t: Thresholds = DEFAULT) -> Check:
    """Low contrast (对比度低: fog, a dirty dome, a flat wall): the luma spread between the 5th and
    95th percentiles below `low_contrast_spread` grey levels."""
    p5, p95 = _percentiles(views(image, t).small_grey, 5, 95)
    spread = p95 - p5
    return check("low_contrast", spread, spread < t.low_contrast_spread, t.low_contrast_spread,
                 f"luma p5 {p5:.0f} .. p95 {p95:.0f}")


_HUES = ("red", "yellow", "green", "cyan", "blue", "magenta")


def mean_ab(image: np.ndarray | Views, t: Thresholds = DEFAULT) -> tuple[float, float]:
    """The mean (a*, b*) of the picture in CIE-Lab (small copy)."""
    small = views(image, t).small
    lab = cv2.cvtColor(small.astype(np.float32) * (1 / 255), cv2.COLOR_BGR2Lab)
    return float(lab[..., 1].mean()), float(lab[..., 2].mean())


def _hue(a: float, b: float) -> str:
    # Lab hue angles: red ~40 deg, yellow ~90, green ~135, cyan ~200, blue ~290, magenta ~330.
    angle = math.degrees(math.atan2(b, a)) % 360
    return _HUES[min(range(6), key=lambda i: abs((angle - (40, 90, 135, 200, 290, 330)[i] + 180) % 360 - 180))]


def check_color_cast(image: np.ndarray | Views, t: Thresholds = DEFAULT,
                     normal_ab: tuple[float, float] | None = None) -> Check:
    """Colour cast (偏色): the mean (a*, b*) of the frame in CIE-Lab, as a distance from neutral.

    A correct white balance averages close to grey over a whole scene; a failed IR-cut filter or a
    wrong white balance moves the whole frame towards one hue. The detail names that hue.
    `normal_ab`: the camera's usual mean (a*, b*) (its baseline); then the distance is measured
    from it and compared with `color_shift_ab`: a cast is a shift of the whole picture's colour,
    and a scene's own colour (a lawn, a brown room) can hide or mimic it when measured from grey.
    """
    a, b = mean_ab(image, t)
    if normal_ab is not None:
        na, nb = normal_ab
        shift = math.hypot(a - na, b - nb)
        return check("color_cast", shift, shift > t.color_shift_ab, t.color_shift_ab,
                     f"mean a* {a:+.1f}, b* {b:+.1f}: moved {shift:.1f} towards {_hue(a - na, b - nb)} "
                     f"from the usual {na:+.1f}, {nb:+.1f}")
    dist = math.hypot(a, b)
    return check("color_cast", dist, dist > t.color_cast_ab, t.color_cast_ab,
                 f"mean a* {a:+.1f}, b* {b:+.1f} ({_hue(a, b)})")


def texture_blocks(small_grey: np.ndarray, block: int = 8) -> np.ndarray:
    """Luma standard deviation per block x block tile of the small copy."""
    h, w = small_grey.shape
    bh, bw = h // block, w // block
    g = small_grey[:bh * block, :bw * block].astype(np.float32)
    mean = cv2.resize(g, (bw, bh), interpolation=cv2.INTER_AREA)
    mean_sq = cv2.resize(g * g, (bw, bh), interpolation=cv2.INTER_AREA)
    return np.sqrt(np.maximum(mean_sq - mean * mean, 0))


def featureless(small_grey: np.ndarray, t: Thresholds = DEFAULT,
                margin: float = 1.0, noise: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(featureless 8x8 blocks after the closing, blocks with texture) of a 320-wide grey copy.
    `margin`: texture must exceed the threshold this many times (both outputs): 2 for a reference,
    whose blocks near the threshold flip with noise and light from one grab to the next. `noise`:
    small_noise(small_grey), when the caller already has it."""
    std = texture_blocks(small_grey)
    if std.size == 0:
        return np.zeros_like(std, bool), np.zeros_like(std, bool)
    # Texture shrinks with the light (Weber): in a dim picture the threshold shrinks with it. But
    # sensor noise (a night picture's gain) is not texture: a cover is still featureless when its
    # blocks vary no more than the picture's own noise does (up to a cap: heavy noise is its own fault).
    threshold = max(t.occlusion_texture * min(1.0, float(small_grey.mean()) / 100),
                    min(t.occlusion_noise_cap, t.occlusion_noise_factor
                        * (small_noise(small_grey) if noise is None else noise))) * margin
    flat = (std < threshold).astype(np.uint8)
    # Closing bridges thin features crossing an occluder (a leaf's vein, the edge of a board).
    return cv2.morphologyEx(flat, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8)) > 0, std >= threshold


def occluded_share(small_grey: np.ndarray, t: Thresholds = DEFAULT, normal: np.ndarray | None = None,
                   masks: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[float, float, np.ndarray]:
    """(largest featureless connected share, textured share of the rest, that region's blocks) of a
    320-wide grey copy. `normal`: blocks featureless in the camera's baseline; then the share counts
    only the region's blocks that had texture there (newly hidden). `masks`: featureless(small_grey, t)
    when the caller already has it."""
    flat, textured = featureless(small_grey, t) if masks is None else masks
    if flat.size == 0:
        return 0.0, 0.0, flat
    n, labels, stats, _ = cv2.connectedComponentsWithStats(flat.astype(np.uint8), connectivity=4)
    if n <= 1:
        return 0.0, float(textured.mean()), np.zeros_like(flat)
    if normal is None:
        biggest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
        share = float(stats[biggest, cv2.CC_STAT_AREA]) / flat.size
    else:
        new = np.bincount(labels[~normal].ravel(), minlength=n)
        new[0] = 0
        biggest = int(np.argmax(new))
        share = float(new[biggest]) / flat.size
    visible = float(((labels != biggest) & textured).mean())
    return share, visible, labels == biggest


def small_noise(small_grey: np.ndarray, block: int = 8) -> float:
    """Noise sigma of the small copy: the second difference [1, -2, 1] per block, at the 25th
    percentile over blocks (texture and edges only add), both directions, the smaller kept."""
    h, w = small_grey.shape
    bh, bw = h // block, w // block
    if bh < 2 or bw < 2:
        return 0.0
    g = small_grey[:bh * block, :bw * block]
    found = []
    for kernel in (np.array([[1, -2, 1]], np.float32), np.array([[1], [-2], [1]], np.float32)):
        d = np.abs(cv2.filter2D(g, cv2.CV_32F, kernel))
        found.append(float(np.percentile(cv2.resize(d, (bw, bh), interpolation=cv2.INTER_AREA), 25)))
    return min(found) / (math.sqrt(6) * math.sqrt(2 / math.pi))


def check_occlusion(image: np.ndarray | Views, t: Thresholds = DEFAULT) -> Check:
    """Occlusion / cover (遮挡): one connected featureless region (8x8-block luma std below
    `occlusion_texture` at 320 px wide, scaled down in proportion for frames with a mean luma
    under 100) larger than `occlusion_area` of the frame while the rest of the frame still shows
    texture. An object at the lens (a cover, a board, a leaf) is out of
    focus and evenly lit, so it is flat; a whole featureless frame is low contrast or no signal
    instead. Value: the region's share of the frame."""
    grey = views(image, t).small_grey
    share, visible, region = occluded_share(grey, t)
    fault = share > t.occlusion_area and visible >= t.occlusion_visible_min
    sky = fault and sky_like(grey, region)
    return check("occlusion", share, fault and not sky, t.occlusion_area,
                 f"largest featureless region {share:.0%} of the frame, texture on {visible:.0%} of the rest"
                 + (" (sky-like: spans the top, brighter than the view below)" if sky else ""))


def sky_like(small_grey: np.ndarray, region: np.ndarray, block: int = 8) -> bool:
    """A featureless region that spans the whole width under the OSD band and is brighter than the
    rest is a sky: a cover is darker than the view (unlit, at the lens) or leaves part of the top
    visible. At first sight; with a baseline, a sky-like region is judged by its newly hidden texture
    only (check_new_occlusion), not by how its brightness changed."""
    rows = region.shape[0]
    top = max(1, int(round(0.12 * rows)))  # the first block row below the OSD band
    if top >= rows or region[top].mean() < 0.9:
        return False
    mask = np.zeros(small_grey.shape, bool)
    mask[:rows * block, :region.shape[1] * block] = np.kron(region, np.ones((block, block), bool))
    if mask.all() or not mask.any():
        return False
    return float(small_grey[mask].mean()) >= float(small_grey[~mask].mean()) + 10
