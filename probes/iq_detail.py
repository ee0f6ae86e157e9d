"""Full-resolution image-quality checks: focus (blur), noise and stripe interference."""

from __future__ import annotations

import math
from typing import Mapping

import cv2
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from probes.iq_checks import Views, occluded_share, views
from probes.iq_types import DEFAULT, Check, Thresholds, check


def edge_blur_sigma(grey: np.ndarray, min_edges: int = 200, band: float = 0.0,
                    mask: np.ndarray | None = None) -> tuple[float | None, int]:
    """Median blur sigma (pixels) of the strong edges of a grey picture, and how many edge points.

    A step edge blurred by sigma_b has a peak gradient proportional to 1/sqrt(sigma_b^2 + s^2)
    when measured with a Gaussian of scale s. Measuring it at s1 = 1 and s2 = 2 at the same edge
    points gives r = g1/g2 = sqrt((sigma_b^2 + 4) / (sigma_b^2 + 1)), so
    sigma_b = sqrt((4 - r^2) / (r^2 - 1)): the edge's own width, independent of its contrast and of
    how much texture the scene has (which is what defeats the variance of the Laplacian).
    Edge points are Canny edges of the s2-smoothed picture, with thresholds set from its own 98th
    gradient percentile so that soft, low-contrast pictures still yield edges.
    """
    g = grey.astype(np.float32)
    # Kernels cut at +-3 sigma: OpenCV's default for float images (+-4 sigma) costs half again.
    smooth1 = cv2.GaussianBlur(g, (7, 7), 1.0)
    # sigma 1 then sqrt(3): sigma 2; written over `g`, no longer needed (a fresh full-size array
    # costs more in page faults than the pass: docs/probes-iq.md, Cost).
    smooth2 = cv2.GaussianBlur(smooth1, (11, 11), math.sqrt(3.0), dst=g)
    # The Canny thresholds come from the 98th gradient percentile; at sigma 2 every other row and
    # column carry the same information, and the slope per (double) pixel is twice as large.
    half = np.ascontiguousarray(smooth2[::2, ::2])
    slopes = cv2.magnitude(cv2.Sobel(half, cv2.CV_32F, 1, 0, ksize=3, scale=0.0625),
                           cv2.Sobel(half, cv2.CV_32F, 0, 1, ksize=3, scale=0.0625)).ravel()
    k = int(0.98 * (slopes.size - 1))
    high = max(2.0, float(np.partition(slopes, k)[k]))  # grey levels per pixel
    # Canny's gradient is the unscaled 3x3 Sobel: 8 times the per-pixel slope.
    edges = cv2.Canny(cv2.convertScaleAbs(smooth2), 4 * high, 8 * high, L2gradient=True)
    # The OSD bands (top and bottom `band` of the height) hold sharp overlaid text, not the optics.
    rows = int(round(band * edges.shape[0]))
    if rows and edges.shape[0] > 2 * rows:
        edges[:rows], edges[-rows:] = 0, 0
    if mask is not None:  # only the edge points there (e.g. around a featureless region)
        edges &= mask
    points = cv2.findNonZero(edges)
    n = 0 if points is None else len(points)
    if n < min_edges:
        return None, n
    xs, ys = points.reshape(-1, 2).T  # OpenCV 4 gives N x 1 x 2, OpenCV 5 N x 2
    at = _sobel_points(smooth1.shape, ys, xs)
    r2 = _slope2_at(smooth1, at) / np.maximum(_slope2_at(smooth2, at), 1e-6)
    r2 = np.clip(r2, 1.0 + 1e-4, 4.0 - 1e-6)
    sigma = np.sqrt((4.0 - r2) / (r2 - 1.0))
    return float(np.median(sigma)), n


def _sobel_points(shape: tuple[int, ...], ys: np.ndarray, xs: np.ndarray) -> tuple[np.ndarray, ...]:
    """Flat indices of the neighbours a 3x3 Sobel reads around the given points (borders replicated),
    in _slope2_at's order: made once for both smoothed pictures (same shape)."""
    h, w = shape[:2]
    y0, y2 = np.maximum(ys - 1, 0) * w, np.minimum(ys + 1, h - 1) * w
    x0, x2 = np.maximum(xs - 1, 0), np.minimum(xs + 1, w - 1)
    y1 = ys * w
    return y0 + x2, y1 + x2, y2 + x2, y0 + x0, y1 + x0, y2 + x0, y2 + xs, y0 + xs


def _slope2_at(image: np.ndarray, at: tuple[np.ndarray, ...]) -> np.ndarray:
    """Squared 3x3-Sobel slope (grey levels per pixel) at the points `at` (_sobel_points) only."""
    flat = image.ravel()
    ne, e, se, nw, w_, sw, s, n = (flat[i] for i in at)
    gx = (ne + 2 * e + se - nw - 2 * w_ - sw)
    gy = (sw + 2 * s + se - nw - 2 * n - ne)
    return (gx * gx + gy * gy) * (1 / 64)


def _away_from_cover(v: Views, t: Thresholds) -> np.ndarray | None:
    """Where focus is judged when an occlusion-sized featureless region lies beside texture: away
    from it and its outline (an object at the lens is out of focus, the view beside it is not).
    None (everywhere) otherwise; a defocused frame keeps its blurred edges either way."""
    share, visible, region = occluded_share(v.small_grey, t)
    if share <= t.occlusion_area or visible < t.occlusion_visible_min:
        return None
    kernel = np.ones((5, 5), np.uint8)
    near = cv2.dilate(region.astype(np.uint8), kernel)  # the region and two blocks around it
    h, w = v.grey.shape
    bh, bw = near.shape
    grid = np.ones((h, w), np.uint8) * 255
    # Block (i, j) of the small copy covers rows i*8*h/hs .. of the working copy.
    scale_y, scale_x = h / v.small_grey.shape[0], w / v.small_grey.shape[1]
    for i, j in zip(*np.nonzero(near)):
        grid[int(i * 8 * scale_y):int((i + 1) * 8 * scale_y) + 1, int(j * 8 * scale_x):int((j + 1) * 8 * scale_x) + 1] = 0
    return grid


def check_blur(image: np.ndarray | Views, t: Thresholds = DEFAULT) -> Check:
    """Out of focus / blurred (图像模糊): the edge blur sigma from edge_blur_sigma, measured on the
    working copy and expressed in thousandths of the frame width, so that the same optical blur
    reads the same at D1 and at 1080p (and a 704-wide re-encode of a 1280 frame)."""
    v = views(image, t)
    away = _away_from_cover(v, t)
    sigma, n = edge_blur_sigma(v.grey, t.blur_min_edges, t.osd_band, away)
    where = "" if away is None else ", away from the featureless region"
    if sigma is None and away is not None:  # hardly an edge beside the flat region: defocus, judge it all
        sigma, n = edge_blur_sigma(v.grey, t.blur_min_edges, t.osd_band)
        where = ""
    if sigma is None:
        return check("blur", None, False, t.blur_edge_permille, f"only {n} edge points: focus not judged")
    permille = 1000 * sigma / v.grey.shape[1]
    limit = _blur_limit(v, t)
    return check("blur", permille, permille > limit, round(limit, 3),
                 f"edge sigma {sigma:.2f} px at {v.grey.shape[1]} px wide, {n} edge points{where}")


def _blur_limit(v: Views, t: Thresholds) -> float:
    return max(t.blur_edge_permille, 1000 * t.blur_min_px / v.grey.shape[1])


def blurred_beside_cover(image: np.ndarray | Views, t: Thresholds = DEFAULT) -> bool:
    """Out of focus even away from an occlusion-sized featureless region and its outline: then the
    blur is not the cover's soft edge (the view beside it is defocused too). Hardly an edge left
    beside the region counts as defocus, as in check_blur. False when there is no such region."""
    v = views(image, t)
    away = _away_from_cover(v, t)
    if away is None:
        return False
    sigma, _ = edge_blur_sigma(v.grey, t.blur_min_edges, t.osd_band, away)
    return sigma is None or 1000 * sigma / v.grey.shape[1] > _blur_limit(v, t)


def noise_sigma(grey: np.ndarray, block: int = 16) -> float | None:
    """Noise standard deviation (grey levels) in the flattest quarter of the picture.

    The second difference [1, -2, 1] cancels a straight luma ramp, leaving noise with
    E|d| = sigma * sqrt(6) * sqrt(2/pi). Its mean magnitude per 16x16 block, taken at the 25th
    percentile over blocks that are not clipped, ignores texture and edges (which only ever add);
    horizontal and vertical differences are measured apart and the smaller kept, because noise is
    the same in both directions while stripes or interlacing raise only one.
    """
    h, w = grey.shape
    bh, bw = h // block, w // block
    if bh < 2 or bw < 2:
        return None
    g = grey[:bh * block, :bw * block]
    means = cv2.resize(g, (bw, bh), interpolation=cv2.INTER_AREA)
    usable = (means > 10) & (means < 245)  # clipped areas have no noise left to measure
    if usable.sum() < 4:
        return None
    estimates = []
    # One set of full-size buffers for both directions: a fresh multi-megabyte array costs more in
    # page faults than the pass that fills it (docs/probes-iq.md, Cost). The values are the same.
    second = np.empty(g.shape, np.int16)
    magnitude = np.empty(g.shape, np.uint8)
    d = np.empty(g.shape, np.float32)
    for kernel in (np.array([[1, -2, 1]], np.float32), np.array([[1], [-2], [1]], np.float32)):
        cv2.filter2D(g, cv2.CV_16S, kernel, dst=second)
        cv2.convertScaleAbs(second, dst=magnitude)
        np.copyto(d, magnitude)
        per_block = cv2.resize(d, (bw, bh), interpolation=cv2.INTER_AREA)  # float: no rounding
        estimates.append(float(np.percentile(per_block[usable], 25)) / (math.sqrt(6) * math.sqrt(2 / math.pi)))
    return min(estimates)


def check_noise(image: np.ndarray | Views, t: Thresholds = DEFAULT) -> Check:
    """Heavy noise (噪声/雪花): noise_sigma of the working copy above `noise_sigma` grey levels."""
    sigma = noise_sigma(views(image, t).grey)
    return check("noise", sigma, sigma is not None and sigma > t.noise_sigma, t.noise_sigma,
                 "" if sigma is None else f"noise sigma {sigma:.1f} grey levels in flat areas")


def _periodic_peak(grey: np.ndarray, t: Thresholds, strips: int = 8) -> tuple[float, float, float]:
    """(amplitude, period, prominence) of the strongest periodic luma pattern along the rows."""
    h = grey.shape[0]
    pmin, pmax = t.stripes_period_px
    if h < 4 * pmax:
        return 0.0, 0.0, 0.0
    # Row means per vertical strip: interference bars are often slightly tilted, so the mean over
    # the full width cancels them; averaging the strips' power spectra is phase-free.
    profiles = cv2.resize(grey, (strips, h), interpolation=cv2.INTER_AREA).T.astype(np.float32)
    k = int(2 * pmax) | 1
    detrended = profiles - cv2.blur(profiles, (k, 1), borderType=cv2.BORDER_REFLECT)
    window = np.hanning(h).astype(np.float32)
    power = (np.abs(np.fft.rfft(detrended * window, axis=1)) ** 2).mean(axis=0)
    bins = np.arange(len(power))
    lo, hi = max(2, math.ceil(h / pmax)), min(len(power) - 1, math.floor(h / pmin))
    if hi <= lo:
        return 0.0, 0.0, 0.0
    # A line stands out of its neighbourhood (+-12 bins, the 2 bins either side excluded);
    # natural scenes and regular objects (rows of coins, windows) give broad bumps instead.
    padded = np.pad(power, 12, mode="reflect")
    windows = sliding_window_view(padded, 25)[bins[lo:hi + 1]]
    background = np.median(np.concatenate([windows[:, :10], windows[:, 15:]], axis=1), axis=1)
    excess = np.maximum(power[lo:hi + 1] - background, 0)
    i = int(np.argmax(excess))
    amplitude = 2 * math.sqrt(float(excess[i])) / float(window.sum())
    prominence = float(power[lo + i] / max(float(background[i]), 1e-9))
    return amplitude, h / (lo + i), prominence


def stripe_lines(image: np.ndarray | Views, t: Thresholds = DEFAULT) -> dict[str, tuple[float, float, float]]:
    """The strongest periodic line per direction: {"horizontal" | "vertical": (amplitude, period,
    prominence)}; horizontal stripes vary along the rows (row means), vertical along the columns."""
    grey = views(image, t).grey
    return {"horizontal": _periodic_peak(grey, t), "vertical": _periodic_peak(grey.T, t)}


def check_stripes(image: np.ndarray | Views, t: Thresholds = DEFAULT,
                  limits: Mapping[str, float] | None = None) -> Check:
    """Stripe interference (条纹干扰): a periodic luma pattern along the rows (horizontal stripes) or
    the columns (vertical stripes) with amplitude above `stripes_amplitude` grey levels and a
    spectral line `stripes_prominence` times above its neighbourhood. Value: the amplitude.
    `limits`: an amplitude limit per direction (a baseline's, relaxed by that direction's own
    periodic pattern only: print's text rows say nothing about columns)."""
    found = [(*line, direction) for direction, line in stripe_lines(image, t).items()]
    limit = {d: (limits or {}).get(d, t.stripes_amplitude) for _, _, _, d in found}
    faulty = [f for f in found if f[0] > limit[f[3]] and f[2] >= t.stripes_prominence]
    strong = faulty or [f for f in found if f[2] >= t.stripes_prominence] or found
    amp, period, prominence, direction = max(strong, key=lambda f: f[0] - limit[f[3]])
    return check("stripes", amp, bool(faulty), round(limit[direction], 3),
                 f"{direction} period {period:.1f} px, line {prominence:.0f}x above its neighbourhood")
