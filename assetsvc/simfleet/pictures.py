"""Snapshot JPEGs (抓图) for the simulated cameras, drawn once at start-up and shared by every device.

The healthy street scene comes in several frames (a car moves, the timestamp ticks) so two grabs
in a row are never "frozen"; the faulty pictures are built to trip probes.iq with a margin
(measured with its default thresholds, see docs/simfleet.md): dark at a mean luma near 20
(threshold 30), a flat cover over 70 % of the lens (occlusion: 35 %), a defocus of sigma 6 px
(blur sigma about 8 per mille of the width, threshold 2).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

SIZE = (640, 360)
SCENE_FRAMES = 8


def _street(counter: int, size: tuple[int, int] = SIZE) -> np.ndarray:
    """Sky, buildings with lit windows, a road with lane marks, a car whose place moves with counter."""
    width, height = size
    image = np.zeros((height, width, 3), np.uint8)
    image[:] = np.linspace(225, 130, height, dtype=np.uint8)[:, None, None]
    rng = np.random.default_rng(5)
    road = height * 3 // 4
    x = 0
    while x < width:
        # Irregular widths and window pitches: a regular grid would read as stripe interference.
        span, pitch_x, pitch_y = int(rng.integers(50, 95)), int(rng.integers(13, 21)), int(rng.integers(17, 27))
        top, shade = int(rng.integers(height // 8, height // 3)), int(rng.integers(70, 130))
        cv2.rectangle(image, (x + 3, top), (x + span - 6, road), (shade, shade + 5, shade + 15), -1)
        for wy in range(top + 8, road - 8, pitch_y):
            for wx in range(x + 10, x + span - 12, pitch_x):
                lit = (wx + wy) % 3 != 0
                cv2.rectangle(image, (wx, wy), (wx + 7, wy + 9), (50, 190, 220) if lit else (30, 40, 50), -1)
        x += span
    cv2.rectangle(image, (0, road), (width, height), (70, 70, 70), -1)
    for lx in range(0, width, 60):
        cv2.line(image, (lx, height * 7 // 8), (lx + 30, height * 7 // 8), (230, 230, 230), 3)
    car = (counter * 97) % (width - 80)
    cv2.rectangle(image, (car, road + 12), (car + 70, road + 44), (40, 40, 190), -1)
    # Sensor grain in 2x2 grey blocks: fine enough to look like noise (probes.iq's noise check reads
    # about 2 of its 8), coarse enough to survive JPEG, so flat facades and sky keep some texture
    # and are not taken for a cover over the lens.
    grain = rng.normal(0, 5, (height // 2, width // 2)).repeat(2, axis=0).repeat(2, axis=1)
    image = np.clip(image + grain[:height, :width, None], 0, 255).astype(np.uint8)
    cv2.putText(image, f"2026-01-01 08:00:{counter % 60:02d}", (10, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.6,
                (255, 255, 255), 1, cv2.LINE_AA)
    return image


def _jpeg(image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 80])
    if not ok:  # pragma: no cover - OpenCV always encodes a uint8 BGR array
        raise RuntimeError("JPEG encoding failed")
    return data.tobytes()


@dataclass(frozen=True)
class Pictures:
    """Every snapshot the fleet serves, as JPEG bytes."""

    scene: tuple[bytes, ...]
    dark: bytes
    covered: tuple[bytes, ...]
    blurred: tuple[bytes, ...]

    @classmethod
    def render(cls) -> "Pictures":
        base = _street(0)
        dark = base.astype(np.float32) * 0.15
        covered, blurred = [], []
        for i in range(SCENE_FRAMES):
            # The faulty pictures are live too (probes.iq compares each grab with the previous one,
            # and a repeated frame is "frozen"): traffic still passes beside the board, the
            # defocused street still moves.
            street = _street(i)
            blurred.append(_jpeg(cv2.GaussianBlur(street, (0, 0), 6)))
            board = street.copy()
            board[:, : int(SIZE[0] * 0.7)] = (60, 62, 64)  # a grey board over most of the lens
            x = int(SIZE[0] * 0.72) + (i * 29) % int(SIZE[0] * 0.15)
            cv2.rectangle(board, (x, SIZE[1] * 3 // 4 + 12), (x + 60, SIZE[1] * 3 // 4 + 44), (40, 40, 190), -1)
            covered.append(_jpeg(board))
        return cls(
            scene=tuple(_jpeg(_street(i)) for i in range(SCENE_FRAMES)),
            dark=_jpeg(np.clip(dark, 0, 255).astype(np.uint8)),
            covered=tuple(covered),
            blurred=tuple(blurred),
        )

    def for_kind(self, kind: str | None, counter: int) -> bytes:
        """The picture of a fault kind ("dark", "covered", "blurred") or the next scene frame."""
        if kind is None:
            return self.scene[counter % len(self.scene)]
        found = getattr(self, kind)
        return found if isinstance(found, bytes) else found[counter % len(found)]
