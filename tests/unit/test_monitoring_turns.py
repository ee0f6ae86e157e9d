"""Which cameras the picture check treats as turned by people (pan-tilt): the registered camera type, unless
the plan's `options.scene_change` says otherwise (monitoring/targets.py turns)."""

from __future__ import annotations

import pytest

from assetsvc.monitoring.targets import Subject, turns


def _subject(camera_type: int | None, subject_type: str = "camera") -> Subject:
    return Subject(subject_type, 1, "127.0.0.1", {}, None, None, None, {}, {}, camera_type=camera_type)


@pytest.mark.parametrize("camera_type,options,expected", [
    (1, {}, True),  # 球机
    (4, {}, True),  # 遥控枪机
    (2, {}, False),  # 半球
    (3, {}, False),  # 固定枪机
    (5, {}, False),  # 卡口枪机
    (99, {}, False),  # 未知
    (None, {}, False),
    (None, {"scene_change": False}, True),  # a class of domes registered without a type
    (3, {"scene_change": False}, True),
    (1, {"scene_change": True}, False),  # domes the office never turns: judged as fixed
])
def test_a_camera_turns_by_its_registered_type_unless_the_plan_says(camera_type, options, expected):
    assert turns(_subject(camera_type), options) is expected


def test_an_upstream_device_never_turns_by_type():
    assert turns(_subject(1, "upstream"), {}) is False
