"""The image-quality thresholds on a small generated set (tests/probes/iq_synth.py): a baseline
learned from a scene's earlier frames stops its healthy frames being flagged, and every fault
kind is still found. Counts on a fixed, seeded set; bench/bench_iq_accuracy.py runs the full one."""

from __future__ import annotations

import pytest

pytest.importorskip("skimage")

from probes.iq_memory import PictureMemory, judge  # noqa: E402
from tests.probes import iq_synth  # noqa: E402

# Tuning photographs only (bench/bench_iq_accuracy.py): the held-out and fresh groups' photographs
# must not steer the thresholds, and a test that fails on them would.
SOURCES = ("grass", "page", "astronaut", "coffee")  # regular texture, print, a portrait, a still life


@pytest.fixture(scope="module")
def counts() -> dict[str, dict[str, list[int]]]:
    return iq_synth.evaluate(iq_synth.scenes(per_source=2, seed=3, sources=SOURCES))


def test_healthy_frames_are_not_flagged_once_the_scene_has_a_baseline(counts):
    flagged, total = counts["baseline"]["ok"]
    assert total == 32 and flagged == 0


def test_first_sight_flags_at_most_one_healthy_frame_in_twenty(counts):
    # A coffee-table crop of this set (47 Lab units from grey) was flagged as a cast before the
    # first-sight colour limit went to twice the threshold (docs/probes-iq.md, first sight).
    flagged, total = counts["first"]["ok"]
    assert total == 32 and flagged <= 0.05 * total


AT_LEAST = {kind: 7 for kind in iq_synth.FAULTS}


@pytest.mark.parametrize("kind", iq_synth.FAULTS)
def test_every_fault_kind_is_found_with_a_baseline(counts, kind):
    found, total = counts["baseline"][kind]
    assert total == 8 and found >= AT_LEAST[kind], (kind, found)


@pytest.mark.parametrize("kind", ["dark", "overexposed", "no_signal", "noise", "frozen"])
def test_faults_no_scene_explains_are_found_at_first_sight(counts, kind):
    found, total = counts["first"][kind]
    assert found == total == 8


def test_first_sight_leaves_scene_dependent_doubts_unjudged_instead_of_flagging_them(counts):
    # Occlusion is never judged from one picture (a sky or a wall is as plain as a cover): every
    # occlusion frame is left unjudged, and never called another absolute fault.
    # Colour cast neither: a scene of one colour reads as far from grey as a cast (issue 14).
    for kind in ("occlusion", "color_cast"):
        found, total = counts["first"][kind]
        left, _ = counts["unjudged"][kind]
        assert found == 0 and left >= total - 1, kind
    assert counts["unjudged"]["ok"][0] > 0  # healthy frames with a plain area: unsure, not flagged


def test_a_cover_over_a_plain_view_is_occlusion_once_the_scene_has_a_baseline():
    # The moon by day (a tuning photograph, seed 1302 of the bench's tuning group): its surface is
    # plain at 320 px, so the green cover over 71 % of the frame hid only 5 % of the frame that had
    # texture; the plain surface it lies on turned darker than the light explains: another surface.
    s = iq_synth.scene("moon", 1302)
    memory = PictureMemory()
    for frame in s.learn:
        memory = judge(frame, memory).memory
    assert memory.baselines
    assert "occlusion" in judge(s.faults["occlusion"], memory).diagnosis.faults
    for frame in s.healthy:  # each after the one before, as the bench judges them
        judged = judge(frame, memory)
        assert judged.diagnosis.verdict == "ok"
        memory = judged.memory


@pytest.mark.xfail(strict=True, reason="known limitation (docs/probes-iq.md, issue 14 part 6): at the 160-px "
                   "signature a still, low-noise live scene changes no more than a re-encoded repeated frame")
def test_a_still_low_noise_live_scene_is_not_called_frozen():
    from probes import iq

    s = iq_synth.scene("coffee", 3100, still=True)  # a tuning photograph, by day: sensor noise only
    assert len(s.still) == iq_synth.STILL
    verdicts = [iq.check_frozen(later, earlier).verdict for earlier, later in zip(s.still, s.still[1:])]
    assert verdicts == ["ok"] * (iq_synth.STILL - 1)
