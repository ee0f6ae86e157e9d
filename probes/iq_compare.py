"""Two-picture image-quality checks: frozen picture (previous grab) and scene change (reference)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from probes.iq_checks import (SMALL_WIDTH, Views, as_bgr, featureless, occluded_share, resize_to_width, sky_like,
                              small_noise)
from probes.iq_types import DEFAULT, Check, Thresholds, check

FROZEN_WIDTH = 160
REFERENCE_MARGIN = 2.0
CLIPPED = 240.0  # an 8x8 block mean at or above this is (nearly) blown out
_BLOCK = 8
OUTLINE_STEP = 24.0  # grey levels between a cover's shade and the view, for its opacity to be measured
OUTLINE_SLOPE = 0.5  # the view's slope per pixel at most this share of that step (a jitter moves it)
OUTLINE_MIN = 10  # transitions across an outline, for its width to be told


def _grey(image: np.ndarray | Views) -> np.ndarray:
    """The 320-wide grey copy, without the full-resolution views a second picture does not need."""
    if isinstance(image, Views):
        return image.small_grey
    return cv2.cvtColor(resize_to_width(as_bgr(image), SMALL_WIDTH), cv2.COLOR_BGR2GRAY)


def _same_size(grey: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    if grey.shape == shape:
        return grey
    return cv2.resize(grey, (shape[1], shape[0]), interpolation=cv2.INTER_AREA)


def block_changes(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """8x8-block mean absolute luma difference of two grey pictures at 160 px wide (one value per block)."""
    a = resize_to_width(a, FROZEN_WIDTH)
    b = _same_size(resize_to_width(b, FROZEN_WIDTH), a.shape)
    diff = cv2.absdiff(a, b)
    h, w = diff.shape
    bh, bw = max(1, h // _BLOCK), max(1, w // _BLOCK)
    return cv2.resize(diff[:bh * _BLOCK, :bw * _BLOCK].astype(np.float32), (bw, bh), interpolation=cv2.INTER_AREA)


def live_change(blocks: np.ndarray, t: Thresholds = DEFAULT, changed_at: float | None = None) -> tuple[float, float]:
    """(largest block change that counts, share of blocks changed), with the OSD bands left out.

    Devices overlay a ticking clock and a name (OSD) in the top and bottom bands of the frame, so
    a frozen source still changes a few blocks there. Blocks in the bands (`osd_band` of
    the height each) count only when more than `frozen_osd_share` of all blocks changed: a clock
    ticking changes 1-3 % of the blocks, a live scene with motion in the bands far more. A block
    changed when it moved by at least `changed_at` (what a re-encoded repeat stays under at the grab's
    size: frozen_cap; `frozen_max_change` when not given).
    """
    changed = float((blocks >= (t.frozen_max_change if changed_at is None else changed_at)).mean())
    h = blocks.shape[0]
    band = min(h // 2, int(round(h * t.osd_band)))
    inner = blocks[band:h - band] if band > 0 and h - 2 * band > 0 else blocks
    largest = float(blocks.max()) if changed > t.frozen_osd_share else float(inner.max())
    return largest, changed


def frozen_cap(width: int, t: Thresholds = DEFAULT) -> float:
    """The most a re-encoded repeat of a `width`-px grab changes at 160 px, as the frozen check reads it:
    `frozen_max_change` at D1 (`frozen_reference_width`) and wider, growing as the reference width over
    `width` below it. Averaging to 160 px leaves JPEG's requantisation error (and a live sensor's noise)
    about in inverse proportion to the downscale: a 320x240 webcam's repeat changes 2.2 grey levels where
    a D1 grab's changes 0.5-0.8 (docs/probes-iq.md, "Frozen on a small frame")."""
    if t.frozen_reference_width <= 0 or width <= 0:
        return t.frozen_max_change
    return t.frozen_max_change * max(1.0, t.frozen_reference_width / width)


def check_frozen(image: np.ndarray | Views, previous: np.ndarray | Views, t: Thresholds = DEFAULT,
                 normal: float | None = None, settled: bool = True) -> Check:
    """Frozen picture (画面冻结): two grabs taken apart in time show the same frame.

    A live camera changes somewhere: sensor noise, light, something moving. Re-encoding the same
    frame also changes pixels, but only by quantisation error, which is high-frequency: at 160 px
    wide (area average) it stays below ~1.5 grey levels in every 8x8 block even at JPEG q40, while
    a moving object or a 1 px jitter moves some block by far more. So the value is the largest
    8x8-block mean difference at 160 px wide (a ticking OSD clock is left out: live_change).

    A still, low-noise live scene changes no more than a re-encoded repeat at that scale (issue 14
    part 6, docs/probes-iq.md), so the limit depends on `normal`, the camera's own change between
    good grabs (probes.iq_memory: the quietest of its recent good pairs):
    - None (not learned yet, first sight): frozen below `frozen_max_change`;
    - below the cap (frozen_cap: `frozen_max_change`, more on a grab narrower than D1, where a
      repeat changes more; the camera's normal is itself a repeat's), or not `settled` (learned
      from too few pairs to know the camera's quiet): not judgeable on this scene (yet); only an
      unchanged frame (at most `frozen_repeat_change`) is frozen, and a frozen stream is left to
      the stream continuity check;
    - otherwise: frozen below `frozen_normal_share` of it, and below the cap.
    The cap also decides which blocks changed for the OSD rule (live_change); until the normal is
    learned and settled, a fault also needs the grab frozen with blocks changed from
    `frozen_max_change`, so the cap never makes a frozen that the D1 rule would not.
    """
    cap = frozen_cap(image.width if isinstance(image, Views) else image.shape[1], t)
    blocks = block_changes(_grey(image), _grey(previous))
    largest, changed = live_change(blocks, t, cap)
    measured = (f"largest block change {largest:.2f} grey levels outside the OSD bands, "
                f"{changed:.1%} of blocks changed")
    # Until the camera's normal change is learned, the cap must not make a grab frozen that the D1
    # rule would not: with blocks changed only from the cap, bands changing between 1.5 and the cap
    # (flicker over 5 % of a small frame) would be dropped and a still middle alone compared. So
    # there a fault also needs the grab frozen by the D1 rule (a change from `frozen_max_change`).
    d1 = largest if cap <= t.frozen_max_change else live_change(blocks, t)[0]
    if normal is None:
        return check("frozen", largest, largest < t.frozen_max_change and d1 < t.frozen_max_change,
                     t.frozen_max_change, measured + "; this camera's normal change between grabs not learned yet")
    if normal < cap or not settled:
        why = (f"its normal change between good grabs ({normal:.2f}) is no more than a re-encoded repeat's "
               f"at this size ({cap:.2f})" if normal < cap else
               f"its normal change between good grabs is learned from too few pairs yet ({normal:.2f})")
        return check("frozen", largest, largest <= t.frozen_repeat_change and d1 <= t.frozen_repeat_change,
                     t.frozen_repeat_change,
                     measured + f"; not judgeable on this scene: {why}, so only an unchanged frame "
                     f"(<= {t.frozen_repeat_change:g}) is frozen; the stream check judges a frozen stream")
    limit = min(cap, t.frozen_normal_share * normal)
    return check("frozen", largest, largest < limit, limit,
                 measured + f"; frozen below {limit:.2f} ({t.frozen_normal_share:g} of this camera's normal "
                 f"change {normal:.2f}, at most {cap:.2f}, a re-encoded repeat's at this size)")


def check_scene_change(image: np.ndarray | Views, reference_grey: np.ndarray,
                       t: Thresholds = DEFAULT) -> Check:
    """Scene change / camera moved (场景变化/移位) against the camera's reference picture.

    Phase correlation of the 320-wide grey copies (cv2.phaseCorrelate, Hann window) gives the
    translation between them and a peak height near 1 for the same view of a still scene.
    Whitening the spectrum makes it insensitive to brightness and contrast, but it also weighs
    every frequency alike, so where the frames differ in fine detail (people walking over a
    lawn, a video codec's frame-to-frame noise) the peak of the same real view drops to 0.2-0.6
    (docs/probes-iq.md, scene_change). So:
    - a clear peak (at least `scene_min_response`): the view is found; a fault when it shifted by
      more than `scene_max_shift` of the frame (the camera turned). Value: the peak, threshold
      `scene_min_response`, measure "peak";
    - a weak peak: the view is looked for in place (`view_match`: per-block correlation with the
      reference at 160 px, where the content is not moved, or moved by the peak's shift when that is
      within the limit). A fault unless it matches (at least `scene_view_match`) over at least
      `scene_match_blocks` of the frame. The in-place match decides when enough of the frame has
      texture to look: value that match, threshold `scene_view_match`, measure "in place"; else the
      weak peak alone decides: value the peak, threshold `scene_min_response`, measure "peak".
      A fault of a weak peak is a view lost, which diagnose's cover-or-turn test reads (_view_lost).
    """
    grey = _same_size(_grey(image), reference_grey.shape).astype(np.float32)
    ref = reference_grey.astype(np.float32)
    h, w = ref.shape
    window = cv2.createHanningWindow((w, h), cv2.CV_32F)
    (dx, dy), response = cv2.phaseCorrelate(ref, grey, window)
    shift = max(abs(dx) / w, abs(dy) / h)
    moved = f"view shifted by ({dx / w:+.1%}, {dy / h:+.1%}) of the frame (limit {t.scene_max_shift:.0%})"
    if response >= t.scene_min_response:
        return check("scene_change", response, shift > t.scene_max_shift, t.scene_min_response,
                     f"correlation peak {response:.2f}, {moved}", "peak")
    match, used = view_match(grey, ref, (dx, dy) if shift <= t.scene_max_shift else None, t)
    weak = f"weak correlation peak {response:.2f} (limit {t.scene_min_response:g})"
    if match is None or used < t.scene_match_blocks:
        return check("scene_change", response, True, t.scene_min_response,
                     f"{weak}; too little texture to look for the view in place ({used:.0%} of the frame, "
                     f"at least {t.scene_match_blocks:.0%} needed)", "peak")
    return check("scene_change", match, match < t.scene_view_match, t.scene_view_match,
                 f"{weak}; the view in place correlates {match:.2f} (limit {t.scene_view_match:g}) "
                 f"over {used:.0%} of the frame", "in place")


def view_match(grey: np.ndarray, reference_grey: np.ndarray, shift: tuple[float, float] | None = None,
               t: Thresholds = DEFAULT) -> tuple[float | None, float]:
    """(median per-block correlation, share of blocks used): whether the reference's view is in place.

    Both grey copies at 160 px wide (area average: finer detail, noise and the codec's error mostly
    averaged away), 8x8 blocks (16 px of a 320 copy), the normalised correlation of each block with
    the reference's at the same place, over the blocks textured in both (a standard deviation of at
    least twice the featureless limit) out of the OSD bands; the median of them. A still or slowly
    changing view reads near 1 whatever the light; people walking change a few blocks only; a zoom,
    a rotation or another view puts other content in most blocks. With `shift` (dx, dy at the
    reference's size) the reference is also moved by it, and the better of the two is kept. None
    with fewer than 4 blocks usable.
    """
    small = resize_to_width(reference_grey.astype(np.float32), FROZEN_WIDTH)
    size = (small.shape[1], small.shape[0])
    now = cv2.resize(grey.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    candidates = [small]
    if shift is not None and (abs(shift[0]) >= 1 or abs(shift[1]) >= 1):
        scale = small.shape[1] / reference_grey.shape[1]
        moved = np.float32([[1, 0, shift[0] * scale], [0, 1, shift[1] * scale]])
        candidates.append(cv2.warpAffine(small, moved, size, borderMode=cv2.BORDER_REFLECT))
    clear = (REFERENCE_MARGIN * t.occlusion_texture) ** 2
    best: tuple[float | None, float] = (None, 0.0)
    for ref in candidates:
        ncc, (_, va), (_, vb) = _block_ncc(ref, now)
        usable = _out_of_bands((va >= clear) & (vb >= clear), t)
        if int(usable.sum()) < 4:
            continue
        match = float(np.median(ncc[usable]))
        if best[0] is None or match > best[0]:
            best = (match, float(usable.mean()))
    return best


def check_new_occlusion(image: np.ndarray | Views, reference_grey: np.ndarray, t: Thresholds = DEFAULT) -> Check:
    """Occlusion (遮挡) against the camera's baseline, by two tests; a fault when either finds a cover.

    Featureless: the largest featureless region counts only the blocks that had texture in the
    reference picture (and lost it: texture_lost), or that were plain there and are now darker than
    the light change explains (changed_blocks: another, unlit surface over the plain sky, wall or
    moon) where the region also hides texture (a shadow or a lamp going off over a plain area darkens
    it as a cover does), so the sky, a white wall or a lake the camera always sees is not a cover.
    Fault when texture is left beside the region and either its newly featureless blocks exceed
    `occlusion_new_area` of the frame (the region being occlusion-sized), or the region outgrew what
    is normal here (`occlusion_area`, relaxed by the baseline); but hiding `occlusion_area` or less
    with an outline measured sharp (outline_width), it is a plain-sided vehicle in focus beside a
    plain sky or wall, not a cover.
    Structure lost: a cover that is not featureless (shaded, a rim, speckle, the view blurred through
    it) still hides the reference's structure and, out of focus, its contrast (texture_lost): a
    connected region of such blocks larger than `occlusion_area` (as a featureless cover), or than
    `occlusion_new_area` when its outline is soft (out of focus: at the lens), with the rest of the
    frame still the reference's view in place (view_in_place's correlation over what is left).
    Value: the larger of the two hidden shares."""
    grey = _grey(image)
    reference = _same_size(reference_grey, grey.shape)
    e = _blocks(grey, reference, t)
    noise, masks, seen = e.noise, e.masks, e.seen
    changed = changed_blocks(grey, reference, t, featureless(reference, t, noise=noise[1])[1], masks[1])
    share, visible, region = occluded_share(grey, t, seen & ~changed, masks)
    hidden_texture = None
    if changed.any() and sky_like(grey, region):
        share, visible, region = occluded_share(grey, t, seen, masks)
    elif changed.any():
        hidden_texture = float((region & ~seen).mean())
        if hidden_texture < t.occlusion_new_area / 4:
            # Plain and darker, but no texture hidden under it: light (a shadow, a lamp gone off) can do that.
            share, visible, region = occluded_share(grey, t, seen, masks)
            hidden_texture = None
    whole = float(region.mean())
    # Newly hidden texture, or a featureless region grown beyond what is normal here (adapt_thresholds
    # sets occlusion_area to the baseline's own share + 15 points): a cover over the usual sky.
    # Either way the region must hide some view that had texture (a quarter of occlusion_new_area):
    # a featureless area that only grew over blocks that never had texture hides nothing.
    fault = visible >= t.occlusion_visible_min and share > t.occlusion_new_area / 4 and (
        whole > t.occlusion_area or (share > t.occlusion_new_area and whole > min(t.occlusion_area,
                                                                                 DEFAULT.occlusion_area)))
    hidden = "" if hidden_texture is None else (
        f" ({hidden_texture:.0%} textured there, {share - hidden_texture:.0%} plain but now darker)")
    detail = (f"featureless region of {whole:.0%} of the frame, hiding {share:.0%} that has texture in "
              f"the baseline{hidden}, texture on {visible:.0%} of the rest")
    large = min(t.occlusion_area, DEFAULT.occlusion_area)
    if fault and share <= large:
        # Occlusion-sized only with the plain view it joined: a plain-sided vehicle in focus beside a
        # plain sky or wall reads so too. Its outline is sharp, a cover's at the lens soft (part 11).
        width = outline_width(grey, reference, region, t, masks[0])
        if width is not None and width < t.occlusion_outline_soft:
            fault = False
            detail += f"; not a cover: its outline is sharp ({width:.0f} thousandths of the width wide)"
    lost = _structure(grey, e, t)
    lost_share, match, in_focus, sharp = lost.share, lost.match, lost.in_focus, lost.sharp
    detail += f"; structure and contrast lost over {lost_share:.0%}" + (
        "" if match is None else f", the rest in place (correlation {match:.2f})") + (
        f", other content in focus beside it over {in_focus:.0%}" if in_focus else "") + (
        "" if sharp is None else f", its contrast kept {sharp:.2f}")
    # The rest still the reference's view, in place and as sharp as it was: not a turn, not defocus.
    view_kept = (match is not None and match >= t.occlusion_view_match and sharp is not None
                 and sharp >= t.occlusion_rest_sharp and in_focus <= lost_share / 2)
    # Occlusion-sized, as the featureless test's region: a plain-sided vehicle in focus over 15-30 % of
    # the view loses the structure there too (a white van, a lorry in shade; review of part 8). From
    # occlusion_new_area when the region's outline is soft: out of focus, at the lens (part 11).
    lost_fault = view_kept and lost_share > large
    if view_kept and t.occlusion_new_area < lost_share <= large:
        width = outline_width(grey, reference, lost.region, t, e.masks[0])
        lost_fault = width is not None and width >= t.occlusion_outline_soft
        detail += (", its outline too few places to measure" if width is None
                   else f", its outline {width:.0f} thousandths of the width wide")
    return check("occlusion", max(share, lost_share), fault or lost_fault, t.occlusion_new_area, detail)


@dataclass(frozen=True)
class _Blocks:
    """Per 8x8 block of today's and the reference's 320-px grey copies, what both occlusion tests use."""

    noise: tuple[float, float]  # small_noise of today's picture and of the reference
    clear_before: np.ndarray  # clearly textured in the reference (REFERENCE_MARGIN)
    masks: tuple[np.ndarray, np.ndarray]  # featureless(today's picture): (flat, textured)
    lost: np.ndarray  # texture_lost's lost
    ncc: np.ndarray  # correlation with the reference at the same place
    contrast: np.ndarray  # relative contrast kept
    seen: np.ndarray  # featureless in the reference, or still the reference's content however lit


def _blocks(grey: np.ndarray, reference: np.ndarray, t: Thresholds) -> _Blocks:
    # Only blocks clearly textured in the reference (twice the threshold) count as newly hidden:
    # blocks near the threshold (a dim, noisy night view) flip between grabs of the same scene.
    noise = small_noise(grey), small_noise(reference)
    normal, clear_before = featureless(reference, t, margin=REFERENCE_MARGIN, noise=noise[1])
    masks = featureless(grey, t, noise=noise[0])
    lost, dimmed, ncc, contrast = texture_lost(grey, reference, t, clear_before, noise)
    # A block still the reference's, its relative contrast kept (a shadow or dusk dimmed it under
    # the featureless limit), is not hidden.
    return _Blocks(noise, clear_before, masks, lost, ncc, contrast, normal | dimmed)


def _structure(grey: np.ndarray, e: _Blocks, t: Thresholds) -> Lost:
    """structure_lost over the blocks hidden by either test (lost, or featureless now and not seen)."""
    # Other content in focus where the view was (textured now, not the reference's): something
    # passing in the scene (a truck, a bus), not a cover at the lens, which is out of focus.
    _, clear_now = featureless(grey, t, margin=REFERENCE_MARGIN, noise=e.noise[0])
    foreign = clear_now & ~e.seen & ~e.lost
    return structure_lost(t, e.lost | (e.masks[0] & ~e.seen), e.ncc, foreign, clear_now & e.clear_before, e.contrast)


def rest_contrast_kept(image: np.ndarray | Views, reference_grey: np.ndarray, t: Thresholds = DEFAULT) -> float | None:
    """Beside a cover, is the view as sharp as in the camera's reference? The median relative
    contrast kept (texture_lost) over the blocks clearly textured in both, away from the region the
    cover hides (structure_lost): about 1 beside a cover (0.98-1.03 on covers the full-resolution
    focus check took for defocus, where only a naturally soft part of the view is left beside them),
    lower when the whole view is defocused (0.53-0.81 on the set's blurs). None with too little left."""
    grey = _grey(image)
    reference = _same_size(reference_grey, grey.shape)
    return _structure(grey, _blocks(grey, reference, t), t).sharp


def texture_lost(grey: np.ndarray, reference: np.ndarray, t: Thresholds = DEFAULT,
                 textured: np.ndarray | None = None,
                 noise: tuple[float, float] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(lost, dimmed, correlation, contrast kept) per 8x8 block of two 320-px grey copies, the first
    two over the blocks clearly textured in the reference (twice the featureless limit): lost when
    the block's correlation with the reference at the same place is below `occlusion_structure_lost`
    and its contrast relative to its mean (noise taken out) fell below `occlusion_contrast_lost` of
    the reference's (contrast kept: that ratio); dimmed when both stay at or above them (the same
    content, however lit). `textured`: the reference's clearly textured blocks, `noise`: the two
    pictures' small_noise, when the caller has them."""
    ncc, (ma, va), (mb, vb) = _block_ncc(grey, reference)
    if textured is None:
        _, textured = featureless(reference, t, margin=REFERENCE_MARGIN)
    noise_now, noise_ref = (small_noise(grey), small_noise(reference)) if noise is None else noise
    # Relative (Weber) contrast: a shadow scales a block's spread with its mean; a cover at the lens,
    # out of focus, leaves a shade that varies far less than the view did.
    now = np.sqrt(np.maximum(va - noise_now ** 2, 0)) / np.maximum(ma, 10.0)
    before = np.sqrt(np.maximum(vb - noise_ref ** 2, 0)) / np.maximum(mb, 10.0)
    kept = now / np.maximum(before, 1e-3)
    # A clipped block (glare, a lamp in view) has no spread left to correlate: light, not a cover at
    # the lens, which is unlit (as changed_blocks: only darker counts).
    lost = textured & (ncc < t.occlusion_structure_lost) & (kept < t.occlusion_contrast_lost) & (ma < CLIPPED)
    dimmed = textured & (ncc >= t.occlusion_structure_lost) & (kept >= t.occlusion_contrast_lost)
    return lost, dimmed, ncc, kept


@dataclass(frozen=True)
class Lost:
    """What structure_lost found: the region's share, and beside it the view's state."""

    share: float  # hidden blocks of the largest connected region, of the frame
    match: float | None  # median correlation with the reference beside it (None: too little left)
    in_focus: float  # other content in focus in and around it, of the frame
    sharp: float | None  # median relative contrast kept beside it
    region: np.ndarray  # its blocks (closed 3x3)


def structure_lost(t: Thresholds, hidden: np.ndarray, ncc: np.ndarray, foreign: np.ndarray,
                   both: np.ndarray, contrast: np.ndarray) -> Lost:
    """The largest connected region of hidden blocks, the share of `foreign` blocks in and around it,
    and over the blocks clearly textured in both (`both`) away from it the median correlation with
    the reference and the median contrast kept: a cover hides one connected area and leaves the rest
    of the view in place and as sharp as it was; a turned camera leaves nothing in place, defocus
    leaves it softer."""
    closed = cv2.morphologyEx(hidden.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(closed, connectivity=4)
    if n <= 1:
        return Lost(0.0, None, 0.0, None, np.zeros_like(hidden, bool))
    biggest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    region = labels == biggest
    share = float((region & hidden).mean())
    near = _near(region)
    in_focus = float((near & foreign).mean())
    usable = _out_of_bands(~near & both, t)
    if int(usable.sum()) < 4:
        return Lost(share, None, in_focus, None, region)
    return Lost(share, float(np.median(ncc[usable])), in_focus, float(np.median(contrast[usable])), region)


def outline_width(grey: np.ndarray, reference: np.ndarray, region: np.ndarray,
                  t: Thresholds = DEFAULT, flat: np.ndarray | None = None) -> float | None:
    """How soft the outline of `region` (8x8 blocks of the 320-px grey copies) is: the median width,
    in thousandths of the frame width, over which something's opacity rises from 15 % to 85 % across
    it, or None with fewer than OUTLINE_MIN transitions to measure.

    Where a cover lies, today's picture is the reference mixed with the cover's own shade by its
    opacity a: grey = (1 - a) ref + a cover. So a = (grey - ref) / (cover - ref) wherever the cover's
    shade (taken from the region's inside, two blocks in, smoothed: a hand is shaded) differs from
    the reference's by at least OUTLINE_STEP grey levels, and the reference there is smooth enough
    that a sub-pixel jitter of the view cannot fake it. Along each row and column of the ring of two
    blocks either side of the outline, a transition is a run of pixels with a between 0.15 and 0.85
    from a pixel at or under 0.15 to one at or over 0.85: the view's own texture beside the region
    cancels, unlike an edge measure on the picture alone. Holes in the region are filled first (the
    plain blocks it kept are not outline), and the OSD bands left out."""
    region = region.astype(bool)
    h, w = region.shape
    g = cv2.GaussianBlur(grey[:h * _BLOCK, :w * _BLOCK].astype(np.float32), (0, 0), 0.8)
    r = cv2.GaussianBlur(reference[:h * _BLOCK, :w * _BLOCK].astype(np.float32), (0, 0), 0.8)
    if flat is not None:  # the cover's plain body joins the lost region (over the view's plain parts)
        n, labels = cv2.connectedComponents((region | flat).astype(np.uint8), connectivity=4)
        region = np.isin(labels, np.unique(labels[region & (labels > 0)]))
    filled = _filled(region)
    ring_kernel = np.ones((5, 5), np.uint8)
    outer = cv2.dilate(filled, ring_kernel).astype(bool)
    inside = cv2.erode(filled, ring_kernel, borderType=cv2.BORDER_CONSTANT, borderValue=1).astype(bool)
    ring = _out_of_bands(outer & ~inside, t)
    # The light change, from the view away from the region (as changed_blocks, over the blocks there).
    now, before = _block_mean(g, (w, h)), _block_mean(r, (w, h))
    if int((~outer).sum()) >= 4:
        r *= float(np.median(now[~outer] / np.maximum(before[~outer], 1.0)))
    # The cover's own shade near its outline: the block means two blocks inside it, smoothed over two
    # blocks (a hand is shaded), at the block grid and interpolated to the pixels.
    deep = (inside & region).astype(np.float32)
    if not deep.any():
        return None
    weight = cv2.GaussianBlur(deep, (0, 0), 2)
    shade = cv2.GaussianBlur(now * deep, (0, 0), 2) / np.maximum(weight, 1e-3)
    size = (w * _BLOCK, h * _BLOCK)
    step = cv2.resize(shade, size, interpolation=cv2.INTER_LINEAR) - r
    slope = np.hypot(cv2.Sobel(r, cv2.CV_32F, 1, 0), cv2.Sobel(r, cv2.CV_32F, 0, 1)) / 8
    near_cover = cv2.resize((ring & (weight > 0.02)).astype(np.uint8), size, interpolation=cv2.INTER_NEAREST)
    usable = near_cover.astype(bool) & (np.abs(step) >= OUTLINE_STEP) & (slope <= OUTLINE_SLOPE * np.abs(step))
    a = (g - r) / np.where(np.abs(step) < 1, 1, step)
    state = np.where(a <= 0.15, 0, np.where(a >= 0.85, 2, 1)).astype(np.int8)
    state[~usable] = -1
    widths = np.concatenate([_transitions(state), _transitions(np.ascontiguousarray(state.T))])
    if widths.size < OUTLINE_MIN:
        return None
    return 1000 * float(np.median(widths)) / grey.shape[1]


def _filled(region: np.ndarray) -> np.ndarray:
    """`region` (uint8) with its holes filled: the blocks not connected to the frame's edge outside it."""
    n, labels = cv2.connectedComponents((~region).astype(np.uint8), connectivity=4)
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    return (region | ((labels > 0) & ~np.isin(labels, edge))).astype(np.uint8)


def _transitions(state: np.ndarray) -> np.ndarray:
    """The widths of the complete transitions along the rows of `state` (0 under, 1 between, 2 over,
    -1 not usable): runs of 1 with a 0 at one end and a 2 at the other."""
    s = np.concatenate([state, np.full((state.shape[0], 1), -1, np.int8)], axis=1).ravel()
    ends = np.flatnonzero(s != 1)
    first, last = s[ends[:-1]], s[ends[1:]]
    complete = ((first == 0) & (last == 2)) | ((first == 2) & (last == 0))
    return (ends[1:] - ends[:-1] - 1)[complete]


def view_beside_change(image: np.ndarray | Views, reference_grey: np.ndarray, t: Thresholds = DEFAULT) -> float | None:
    """The median correlation with the reference, at the same place, of the blocks clearly textured
    in both beside the largest connected region where the view is not the reference's (textured in
    either, and not the same content however lit: texture_lost), or None when fewer than
    `occlusion_visible_min` of the frame is left to tell. Something large passing in the scene (a
    truck) changes one region and leaves the rest in place (near 1); a turned or zoomed camera
    changes the whole view, and nothing, or other content (near 0), is left beside it."""
    grey = _grey(image)
    reference = _same_size(reference_grey, grey.shape)
    noise = small_noise(grey), small_noise(reference)
    _, clear_before = featureless(reference, t, margin=REFERENCE_MARGIN, noise=noise[1])
    _, clear_now = featureless(grey, t, margin=REFERENCE_MARGIN, noise=noise[0])
    _, dimmed, ncc, contrast = texture_lost(grey, reference, t, clear_before, noise)
    both = clear_now & clear_before
    closed = cv2.morphologyEx(((clear_now | clear_before) & ~dimmed).astype(np.uint8), cv2.MORPH_CLOSE,
                              np.ones((3, 3), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(closed, connectivity=4)
    if n <= 1:
        return None
    region = labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    usable = _out_of_bands(~_near(region) & both, t)
    if float(usable.mean()) < t.occlusion_visible_min:
        return None
    return float(np.median(ncc[usable]))


def changed_blocks(grey: np.ndarray, reference: np.ndarray, t: Thresholds = DEFAULT,
                   textured_before: np.ndarray | None = None,
                   textured_now: np.ndarray | None = None) -> np.ndarray:
    """8x8 blocks (the featureless grid) darker than the picture's overall light change explains: by
    more than `occlusion_changed` of the reference's light-corrected mean and at least
    `occlusion_changed_min` grey levels. The light change is the median ratio of today's block means
    to the reference's over the blocks textured in both (the view still seen), else the ratio of the
    frame means (`textured_before`, `textured_now`: the textured blocks, when the caller has them). A
    cover at the lens is another surface, unlit (the housing shades it, the light falls on its far
    side); the same surface follows the light (daylight drift, the iris, the gain), and noise and
    JPEG move an 8x8 mean by a grey level or two. Only darker: a plain area that
    brightens is a sky, a lamp switched on or a cast's clipped shadows, not something at the lens."""
    now, _ = _block_moments(grey)
    before, _ = _block_moments(reference)
    if textured_now is None:
        _, textured_now = featureless(grey, t)
    if textured_before is None:
        _, textured_before = featureless(reference, t)
    h, w = now.shape
    both = textured_now[:h, :w] & textured_before[:h, :w]
    if int(both.sum()) >= 4:
        gain = float(np.median(now[both] / np.maximum(before[both], 1.0)))
    else:
        gain = float(now.mean()) / max(float(before.mean()), 1.0)
    expected = gain * before
    darker = expected - now
    return (darker > t.occlusion_changed * expected) & (darker >= t.occlusion_changed_min)


def texture_kept(image: np.ndarray | Views, reference_grey: np.ndarray, t: Thresholds = DEFAULT) -> float:
    """Share of the baseline's textured blocks, away from today's largest featureless region (and
    two blocks around it), that still have texture: near 1 beside a cover, low when defocus (or
    fog) took the texture everywhere."""
    grey = _grey(image)
    _, normal_texture = featureless(_same_size(reference_grey, grey.shape), t)
    _, visible, region = occluded_share(grey, t)
    _, texture = featureless(grey, t)
    away = ~_near(region) & normal_texture
    return float((texture & away).sum() / away.sum()) if away.any() else 0.0


def view_in_place(image: np.ndarray | Views, reference_grey: np.ndarray,
                  t: Thresholds = DEFAULT) -> tuple[float | None, float, float]:
    """(median correlation with the reference, region share, textured share of the rest): whether
    what is visible beside today's largest featureless region is still the camera's view, in place.

    Per 8x8 block of the 320-px grey copies, the normalised correlation with the reference at the
    same place, over the blocks clearly textured in both (twice the featureless limit), away from
    the region and two blocks around it (a cover's soft outline) and out of the OSD bands. The same
    content correlates near 1 whatever the light (noise and JPEG lower it a little); a turned or
    zoomed view puts other content there, near 0. None with fewer than 4 such blocks.
    """
    grey = _grey(image)
    ref = _same_size(reference_grey, grey.shape)
    share, visible, region = occluded_share(grey, t)
    ncc, (_, va), (_, vb) = _block_ncc(grey, ref)
    clear = REFERENCE_MARGIN * t.occlusion_texture
    usable = _out_of_bands(~_near(region) & (va >= clear * clear) & (vb >= clear * clear), t)
    if int(usable.sum()) < 4:
        return None, float(region.mean()), visible
    return float(np.median(ncc[usable])), float(region.mean()), visible


def _block_ncc(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray],
                                                       tuple[np.ndarray, np.ndarray]]:
    """Per 8x8 block of two grey pictures of one size, the normalised correlation at the same place,
    with each picture's (mean, variance) per block (_block_moments)."""
    (ma, va), (mb, vb) = _block_moments(a), _block_moments(b)
    h, w = ma.shape
    cov = _block_mean(a.astype(np.float32) * b.astype(np.float32), (w, h)) - ma * mb
    return cov / np.sqrt(va * vb + 1e-6), (ma, va), (mb, vb)


def _near(region: np.ndarray) -> np.ndarray:
    """The blocks of `region` and two around it (a cover's soft outline)."""
    return cv2.dilate(region.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)


def _out_of_bands(blocks: np.ndarray, t: Thresholds) -> np.ndarray:
    """`blocks` (a block mask, changed in place) without the top and bottom OSD bands."""
    band = int(round(blocks.shape[0] * t.osd_band))
    blocks[:band] = False
    blocks[blocks.shape[0] - band:] = False
    return blocks


def _block_mean(x: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    w, h = size
    return cv2.resize(x[:h * _BLOCK, :w * _BLOCK], (w, h), interpolation=cv2.INTER_AREA)


def _block_moments(grey: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean, variance) per 8x8 block, on the same grid as texture_blocks."""
    g = grey.astype(np.float32)
    size = (g.shape[1] // _BLOCK, g.shape[0] // _BLOCK)
    mean = _block_mean(g, size)
    return mean, np.maximum(_block_mean(g * g, size) - mean * mean, 0)
