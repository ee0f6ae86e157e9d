"""A camera that turns (球机, 遥控枪机: pan-tilt): a view its baseline is not found in is a new view, judged as at
first sight and learned, never a scene change; a fixed camera's grabs are judged as before (probes/iq_memory.py)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from probes.iq_memory import LEARN_GRABS, PictureMemory, judge
from tests.probes.test_iq import _board, _tinted, make_scene


def _grab(view: np.ndarray, n: int) -> np.ndarray:
    """Another grab of a view: shifted by n px (the image wraps) with fresh sensor noise, so never a frozen repeat."""
    return _tinted(view, 0, 0, seed=n)


def _learned(view: np.ndarray, turns: bool) -> PictureMemory:
    memory = PictureMemory()
    for n in range(1, LEARN_GRABS + 1):
        memory = (judge(_grab(view, n), memory, turns=True) if turns else judge(_grab(view, n), memory)).memory
    assert memory.learned("day")
    return memory


@pytest.fixture(scope="module")
def home() -> np.ndarray:
    return make_scene(1)


@pytest.fixture(scope="module")
def other() -> np.ndarray:
    """The view the operator turned the camera to: another street, and a brown one (a usual colour far
    from the home view's, which a baseline of the home view would call a cast)."""
    return _tinted(make_scene(9), 30, 35)


def test_a_fixed_camera_turned_away_is_a_scene_change_on_every_grab(home, other):
    memory = _learned(home, turns=False)
    for n in range(1, 5):
        judged = judge(_grab(other, n), memory)
        # Judged against the home view's baseline: moved, and its brown a shift from the home view's grey.
        assert judged.diagnosis.faults == ["color_cast", "scene_change"]
        memory = judged.memory
    assert np.array_equal(memory.baselines["day"].reference_grey, _learned(home, False).baselines["day"].reference_grey)


def test_a_pan_tilt_camera_turned_away_learns_the_new_view_and_is_never_a_scene_change(home, other):
    memory = _learned(home, turns=True)
    old = memory.baselines["day"].reference_grey
    first = judge(_grab(other, 1), memory, turns=True)
    assert first.new_view and not first.baseline_used
    assert first.diagnosis.faults == [] and first.diagnosis.verdict == "ok"
    scene = first.diagnosis.check("scene_change")
    assert scene.verdict == "ok" and "a camera that turns" in scene.detail
    # Judged as at first sight: the brown view's colour is not a shift from the home view's grey.
    assert first.diagnosis.check("color_cast").verdict == "unsure"
    assert first.memory.learning["day"] and np.array_equal(first.memory.baselines["day"].reference_grey, old)
    second = judge(_grab(other, 2), first.memory, turns=True)  # the view held: learned as the baseline
    assert second.diagnosis.faults == [] and second.baseline_used and "day" not in second.memory.learning
    assert not np.array_equal(second.memory.baselines["day"].reference_grey, old)
    third = judge(_grab(other, 3), second.memory, turns=True)  # judged against the new view's baseline
    assert not third.new_view and third.baseline_used and third.diagnosis.verdict == "ok"


def test_a_pan_tilt_camera_back_home_before_the_new_view_is_learned_keeps_its_baseline(home, other):
    memory = _learned(home, turns=True)
    away = judge(_grab(other, 1), memory, turns=True)
    assert away.memory.learning["day"]
    back = judge(_grab(home, 7), away.memory, turns=True)
    assert not back.new_view and back.diagnosis.verdict == "ok"
    assert "day" not in back.memory.learning  # the new view's grab is dropped: learning starts again
    assert np.array_equal(back.memory.baselines["day"].reference_grey, memory.baselines["day"].reference_grey)


def test_a_cover_on_a_pan_tilt_camera_is_still_occlusion(home):
    # What is left beside the cover is the baseline's view in place: hidden, not turned.
    judged = judge(_board(_grab(home, 5)), _learned(home, turns=True), turns=True)
    assert not judged.new_view and judged.diagnosis.faults == ["occlusion"]


def test_a_pan_tilt_camera_s_memory_stays_bounded_over_many_views(home):
    memory = _learned(home, turns=True)
    for seed in range(20, 26):  # a patrol: every grab another view, some held for two grabs
        for n in (1, 2) if seed % 2 else (1,):
            judged = judge(_grab(make_scene(seed), n), memory, turns=True)
            assert "scene_change" not in judged.diagnosis.faults
            memory = judged.memory
    assert set(memory.baselines) == {"day"} and all(len(g) < LEARN_GRABS for g in memory.learning.values())
    assert len(memory.to_bytes()) < 40_000


def _still(view: np.ndarray, n: int) -> np.ndarray:
    """A grab of a still, low-noise view: nothing moves, only the sensor's noise (sigma 0.8), JPEG q85."""
    noisy = view.astype(np.float32) + np.random.default_rng(n).normal(0, 0.8, view.shape)
    return cv2.imdecode(cv2.imencode(".jpg", np.clip(noisy, 0, 255).astype(np.uint8),
                                     [cv2.IMWRITE_JPEG_QUALITY, 85])[1], cv2.IMREAD_COLOR)


def test_a_pan_tilt_camera_turned_to_a_still_view_is_not_called_frozen_by_the_old_view_s_normal_change(home):
    memory = _learned(home, turns=True)
    for n in range(3, 7):  # a busy street: its normal change between grabs is ~5 grey levels
        memory = judge(_grab(home, n), memory, turns=True).memory
    assert memory.normal_change("day") > 4
    still = make_scene(9)  # the new view changes by ~0.45 between grabs: frozen against the street's normal
    for n in range(1, 7):
        judged = judge(_still(still, n), memory, turns=True)
        assert judged.diagnosis.faults == [], (n, judged.diagnosis.check("frozen"))
        memory = judged.memory
    assert memory.normal_change("day") < 1  # the new view's own, learned from its pairs
