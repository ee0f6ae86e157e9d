"""Verifying a picture:frozen ticket on a camera whose snapshot cannot be judged: a stream continuity
read that shows the picture moving passes it only when the continuity check raised the fault (the
engine lets continuity clear only its own frozen; docs/tickets.md, the verification table)."""

from __future__ import annotations

from assetsvc import db
from assetsvc.monitoring import evaluate, service, writer
from tests.integration.test_tickets_edges import state
from tests.integration.test_tickets_score import camera

T0 = 1_800_000_000.0
RULES = evaluate.Rules()
MOVING = {"verdict": "ok", "frame_count": 250, "fps": 25.0, "low_fps_under": 5.0, "samples": 4,
          "changed_share": 0.4, "repeat_diff": 3.0}


def deep_run(at: float, continuity: dict, snapshot: dict | None) -> list[writer.Reading]:
    """One deep run (rtsp_continuity, onvif_deep), stored with one `at` as the worker stores it."""
    shot = (writer.Reading("onvif_deep", True, None, "", 900.0, {"iq": snapshot}, at) if snapshot is not None
            else writer.Reading("onvif_deep", False, "timeout", "", 20000.0, {}, at))
    return [writer.Reading("rtsp_continuity", True, None, "", 10400.0, continuity, at), shot]


async def frozen_by(cam: int, check: str) -> None:
    """Two failing deep runs 20 min apart: picture:frozen confirmed, raised by `check`."""
    frozen = {"verdict": "frozen", "frame_count": 250, "fps": 25.0, "samples": 4, "repeat_diff": 0.0}
    for n in range(2):
        at = T0 + n * 1200
        run = (deep_run(at, frozen, None) if check == "continuity"
               else deep_run(at, MOVING, {"verdict": "frozen", "faults": ["frozen"]}))
        async with db.write_transaction():
            await writer.apply({("camera", cam): run}, RULES, 20, at)


async def test_a_moving_stream_verifies_the_continuity_checks_frozen_but_not_the_snapshots(people):
    by_stream, by_snapshot = await camera(1, people.a_id), await camera(2, people.a_id)
    for cam in (by_stream, by_snapshot):
        await state(cam, "up", T0 - 86400)  # monitored, up
    await frozen_by(by_stream, "continuity")
    await frozen_by(by_snapshot, "snapshot")
    for cam, check in ((by_stream, "continuity"), (by_snapshot, "snapshot")):
        record = (await service.devices_now({"camera": [cam]}))[("camera", cam)].record
        assert (record.aspects.picture.ok, record.aspects.picture.cause, record.aspects.picture.by) == \
            (False, "picture:frozen", check)
    # After the contractor's resolve: a deep run whose snapshot timed out, the stream moving.
    after = T0 + 7200
    for cam in (by_stream, by_snapshot):
        async with db.write_transaction():
            await writer.apply({("camera", cam): deep_run(after + 60, MOVING, None)}, RULES, 20, after + 60)
    passed = await service.first_check_after("camera", by_stream, after, "picture", "picture:frozen")
    assert (passed.passed, passed.probe) == (True, "rtsp_continuity")
    # The snapshot check's frozen stays confirmed in the engine, so verify waits for a snapshot (it
    # passed, and the opener opened the same fault again at once: a review's finding).
    assert await service.first_check_after("camera", by_snapshot, after, "picture", "picture:frozen") is None
    record = (await service.devices_now({"camera": [by_snapshot]}))[("camera", by_snapshot)].record
    assert record.aspects.picture.cause == "picture:frozen"
