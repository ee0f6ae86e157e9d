"""Cameras people turn (球机, 遥控枪机: pan-tilt), end to end: an operator turns the camera to another view and
leaves it; the monitoring engine learns the new view instead of confirming a scene change, so no picture
ticket opens against the contractor, while a fixed camera (固定枪机) given the same grabs still gets one.
The camera type comes from the registry (registry/camera_types.py); a class of cameras whose types the
registry does not give says so in its plan (`options.scene_change = false`)."""

from __future__ import annotations

from assetsvc import bulk
from assetsvc.monitoring import picture_memory
from assetsvc.monitoring.tables import LatestResult
from assetsvc.registry.tables import Camera, Credential
from assetsvc.runtime import vault
from assetsvc.tickets import opener
from assetsvc.tickets.tables import Ticket
from tests.fakes.onvif_device import FakeOnvifDevice
from tests.integration.test_monitoring_engine import T0, Clock, cycle, setup, state_of
from tests.integration.test_monitoring_picture import EVERY, config_text, elsewhere, live

HOUR = 3600
BALL, FIXED = 1, 3  # 球机, 固定枪机 (registry/fields.py CODE_TABLES["camera_type"])


async def cameras(device: FakeOnvifDevice, *types: int | None) -> list[int]:
    """Cameras of these types, all at the fake device: every one is shown the same grabs."""
    login = Credential(name="cams", username="admin", secret=vault().encrypt("admin12345"))
    await login.save().run()
    ids = []
    for n, camera_type in enumerate(types, 1):
        row = Camera(gb_id=f"330106001313200000{n:02d}", name=f"cam {n}", region_code="330106", ipv4="127.0.0.1",
                     ports={"onvif": device.port}, probe_protocols=["onvif"], credential=login.id,
                     camera_type=camera_type)
        await row.save().run()
        ids.append(row.id)
    return ids


async def turned_away(device: FakeOnvifDevice, config: str) -> Clock:
    """Three grabs of the street (the baseline is learned), then four of another view, EVERY apart: the
    four span 3 x EVERY = 900 s, past picture_fault_after_s (600 s)."""
    clock = Clock()
    worker = await setup(config, clock)
    for n, picture in enumerate([live(1), live(2), live(3), *(elsewhere(k) for k in range(1, 5))], 1):
        device.scenario.snapshot = picture
        await cycle(worker, clock, T0 + n * EVERY)
    return clock


async def iq_of(camera_id: int) -> dict:
    rows = await bulk.fetch(LatestResult, "SELECT facts FROM latest_result WHERE subject_id = ? AND "
                            "probe_kind = 'onvif_deep'", [camera_id])
    return bulk.json_column(rows[0]["facts"], {})["iq"]


async def picture_tickets(camera_id: int) -> list[dict]:
    return await Ticket.select(Ticket.id, Ticket.fault).where(
        (Ticket.subject_id == camera_id) & (Ticket.fault == "picture")).run()


async def test_a_ball_camera_turned_and_left_gets_no_ticket_while_a_fixed_camera_still_does():
    async with FakeOnvifDevice() as device:
        ball, fixed = await cameras(device, BALL, FIXED)
        clock = await turned_away(device, config_text())
        assert (await picture_memory.status(ball)).day_learned is not None

        state = await state_of(fixed)
        assert (state["state"], state["cause"]) == ("degraded", "picture:scene_change")
        state = await state_of(ball)
        assert (state["state"], state["cause"]) == ("up", "")
        iq = await iq_of(ball)
        assert "scene_change" not in iq["faults"] and iq["verdict"] == "ok"
        # The new view was learned: the last grab is judged against it, and the status says why no move counts.
        assert (iq["scene_change"], iq["new_view"], iq["baseline"]) == ("not_applicable", False, True)
        assert "scene_change" not in await iq_of(fixed)

        assert (await opener.run(clock.now + HOUR)).opened == 1  # past the picture grace period
        assert [t["fault"] for t in await picture_tickets(fixed)] == ["picture"]
        assert await picture_tickets(ball) == []


async def test_a_class_whose_plan_turns_scene_change_off_learns_a_new_view_of_a_camera_of_unknown_type():
    config = config_text().replace('timeout = 10 }', 'timeout = 10, options = { scene_change = false } }')
    assert "scene_change = false" in config
    async with FakeOnvifDevice() as device:
        [unknown] = await cameras(device, None)
        clock = await turned_away(device, config)
        state = await state_of(unknown)
        assert (state["state"], state["cause"]) == ("up", "")
        assert (await iq_of(unknown))["scene_change"] == "not_applicable"
        assert (await opener.run(clock.now + HOUR)).opened == 0
