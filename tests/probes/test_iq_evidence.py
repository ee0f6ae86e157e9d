"""Evidence frames and false alarms at the library level: the JPEG limit holds for the worst content,
and a grab accepted into the baseline is no longer flagged."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from probes.iq_checks import views
from probes.iq_decode import decode_image
from probes.iq_evidence import EVIDENCE_WIDTH, MAX_BYTES, encode_jpeg, evidence
from probes.iq_memory import PictureMemory, accept, judge
from tests.probes import iq_synth


def test_an_evidence_jpeg_of_pure_noise_still_fits_in_100_kb():
    noise = np.random.default_rng(3).integers(0, 256, (1080, 1920, 3), dtype=np.uint8)
    data = encode_jpeg(noise)
    assert len(data) <= MAX_BYTES
    assert decode_image(data).shape[1] == EVIDENCE_WIDTH


def test_a_false_alarm_grab_accepted_into_the_baseline_is_not_flagged_again():
    scene = iq_synth.scene("astronaut", 7)
    memory = PictureMemory()
    for frame in scene.learn:
        memory = judge(frame, memory).memory
    assert memory.learned("day")
    moved = judge(scene.faults["scene_change"], memory)
    assert "scene_change" in moved.diagnosis.faults
    shown = evidence(views(scene.faults["scene_change"]), moved.diagnosis, moved.mode)
    taught = accept(moved.memory, shown.grab(), shown.mode)
    # The same picture again (no previous grab: the same array would be frozen against itself).
    assert judge(scene.faults["scene_change"], replace(taught, previous=None)).diagnosis.verdict == "ok"
    # The other mode's baseline and the previous grab are left as they were.
    assert taught.previous is moved.memory.previous and set(taught.baselines) == set(memory.baselines)
