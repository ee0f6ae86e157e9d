"""The picture checks on real camera video (tests/probes/iq_real.py, OpenCV's sample data): a healthy
camera's real consecutive frames, judged with the memory it learned, are not flagged, and a fault
synthesised on a real frame is found. bench/bench_iq_accuracy.py --groups video runs the full group."""

from __future__ import annotations

from dataclasses import replace

import pytest

from probes.iq_checks import views
from probes.iq_memory import PictureMemory, judge, signature
from tests.probes import iq_real

pytestmark = pytest.mark.needs("opencv-doc")


@pytest.fixture(scope="module")
def scenes() -> dict[str, iq_real.Scene]:
    return {"tree": iq_real.video_scene("tree", 5), "vtest": iq_real.video_scene("vtest", 7)}


def _learned(scene: iq_real.Scene) -> PictureMemory:
    memory = PictureMemory()
    for frame in scene.learn:
        memory = judge(frame, memory).memory
    return memory


def _flagged(scene: iq_real.Scene) -> list[str]:
    """The verdict of each healthy frame judged after the one before it, with the learned memory."""
    memory, verdicts = _learned(scene), []
    for frame in scene.healthy:
        judged = judge(frame, memory)
        verdicts.append(judged.diagnosis.verdict)
        memory = judged.memory
    return verdicts


def test_a_webcams_real_frames_are_not_flagged_once_it_has_learned_its_view(scenes):
    assert _flagged(scenes["tree"]) == ["ok"] * iq_real.HEALTHY


# Found by this group (docs/probes-iq.md, "Real camera frames"), left to the checks' owners, so strict:
# a fix turns them into passes to keep.
SCENE_PEAK = ("real pedestrians and MPEG-4 noise drop the scene-change peak between real frames of the same "
              "view to 0.28-0.60 (limit 0.4): the learning grabs disagree, so no baseline is learned, and a "
              "healthy grab is called scene change")
SMALL_FRAME = ("a 320x240 frame re-encoded changes 2.2 grey levels in its busiest block at the frozen check's "
               "160 px (a 2x downscale averages less JPEG error than 4x from D1): over the 1.5 limit")


@pytest.mark.xfail(strict=True, reason=SCENE_PEAK)
def test_a_fixed_cameras_real_frames_with_people_walking_are_not_flagged(scenes):
    assert _flagged(scenes["vtest"]) == ["ok"] * iq_real.HEALTHY


@pytest.mark.parametrize("video", ["tree", pytest.param("vtest", marks=pytest.mark.xfail(strict=True, reason=SCENE_PEAK))])
def test_a_board_over_a_real_frame_is_found_as_occlusion(scenes, video):
    scene = scenes[video]
    assert "occlusion" in judge(scene.faults["occlusion"], _learned(scene)).diagnosis.faults


@pytest.mark.parametrize("video", [pytest.param("tree", marks=pytest.mark.xfail(strict=True, reason=SMALL_FRAME)),
                                   "vtest"])
def test_a_real_frame_repeated_is_found_frozen(scenes, video):
    scene = scenes[video]
    memory = PictureMemory()
    for frame in scene.learn + scene.healthy:  # the camera's normal change, learned from real grabs
        memory = judge(frame, memory).memory
    memory = replace(memory, previous=signature(views(scene.frozen_previous)))
    assert judge(scene.faults["frozen"], memory).diagnosis.verdict == "frozen"
