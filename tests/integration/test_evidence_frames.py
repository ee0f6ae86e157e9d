"""Evidence frames (证据图): the frame that showed a picture fault and the camera's last good frame are
kept with its ticket, readable with the camera's scoping, and storage stays bounded without ever
losing the evidence of an open or disputed ticket."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from assetsvc import db, runtime
from assetsvc.monitoring import evidence
from assetsvc.monitoring.tables import PictureFrame
from assetsvc.registry.tables import Camera
from assetsvc.tickets import opener
from assetsvc.tickets.tables import Ticket
from probes.iq_evidence import MAX_BYTES, Evidence, encode_jpeg
from tests.fakes.onvif_device import FakeOnvifDevice
from tests.integration.conftest import bearer
from tests.integration.test_monitoring_engine import T0
from tests.integration.test_monitoring_picture import EVERY, elsewhere, engine, live, run

HOUR = 3600


async def test_a_picture_tickets_fault_frame_and_last_good_frame_are_seen_by_the_office_and_its_contractor(
        client, people):
    async with FakeOnvifDevice() as device:
        cam, clock, worker = await engine(device)
        await Camera.update({Camera.contractor: people.a_id}).where(Camera.id == cam).run()
        step = await run(device, worker, clock, [live(1), live(2), live(3)], 1)
        step = await run(device, worker, clock, [elsewhere(n) for n in range(1, 5)], step)
        assert (await opener.run(T0 + step * EVERY + HOUR)).opened == 1
    [ticket] = await Ticket.select(Ticket.id).where(Ticket.subject_id == cam).run()
    url = f"/api/v1/tickets/{ticket['id']}/evidence"
    answer = await client.get(url, headers=bearer(people.contractor_a))
    assert answer.status_code == 200, answer.text
    frames = {f["role"]: f for f in answer.json()}
    assert frames["fault"]["verdict"] == "scene_change" and frames["good"]["verdict"] == "ok"
    assert frames["good"]["at"] < frames["fault"]["at"]
    for frame in frames.values():
        picture = await client.get(frame["url"], headers=bearer(people.admin))
        assert picture.status_code == 200 and picture.headers["content-type"] == "image/jpeg"
        assert len(picture.content) <= MAX_BYTES
        image = cv2.imdecode(np.frombuffer(picture.content, np.uint8), cv2.IMREAD_COLOR)
        assert image.shape[1] <= 640 and (frame["width"], frame["height"]) == (640, 360)
    detail = (await client.get(f"/api/v1/tickets/{ticket['id']}", headers=bearer(people.auditor))).json()
    assert sorted(f["role"] for f in detail["evidence"]) == ["fault", "good"]
    # Another contractor sees neither the ticket's frames nor the camera's.
    assert (await client.get(url, headers=bearer(people.contractor_b))).status_code == 404
    assert (await client.get(frames["fault"]["url"], headers=bearer(people.contractor_b))).status_code == 404
    mine = await client.get(f"/api/v1/cameras/{cam}/frames", headers=bearer(people.contractor_a))
    assert mine.status_code == 200 and {f["id"] for f in mine.json()} >= {f["id"] for f in frames.values()}
    one = await client.get(mine.json()[0]["url"], headers=bearer(people.contractor_a))
    assert one.status_code == 200 and one.content[:2] == b"\xff\xd8"
    assert (await client.get(f"/api/v1/cameras/{cam}/frames", headers=bearer(people.contractor_b))).status_code == 404
    status = (await client.get(f"/api/v1/status/cameras/{cam}", headers=bearer(people.contractor_a))).json()
    assert [f["verdict"] for f in status["frames"]][:2] == ["scene_change", "ok"]  # with the state change
    assert (await client.get(f"/api/v1/cameras/{cam}/frames/999999",
                             headers=bearer(people.admin))).status_code == 404


def noisy(seed: int) -> bytes:
    """A frame of fine noise: the worst case for JPEG, so the size limit has to step the quality down."""
    image = np.random.default_rng(seed).integers(0, 256, (720, 1280, 3), dtype=np.uint8)
    return encode_jpeg(image)


def grab(seed: int, verdict: str) -> Evidence:
    return Evidence(noisy(seed), 1280, 720, verdict, () if verdict == "ok" else (verdict,), "day",
                    {"mean_luma": 120.0})


@pytest.fixture
def small_store(monkeypatch):
    monkeypatch.setenv("ASSETSVC_EVIDENCE_PER_CAMERA", "3")
    monkeypatch.setenv("ASSETSVC_EVIDENCE_MAX_MB", "1")
    monkeypatch.setenv("ASSETSVC_EVIDENCE_KEEP_DAYS", "1")
    runtime.settings.cache_clear()
    yield
    monkeypatch.undo()
    runtime.settings.cache_clear()


async def stored_bytes() -> int:
    return sum(f["size"] for f in await PictureFrame.select(PictureFrame.size).run())


async def frames_of(camera_id: int) -> list[dict]:
    return await PictureFrame.select(PictureFrame.id, PictureFrame.kind, PictureFrame.at, PictureFrame.size).where(
        PictureFrame.camera_id == camera_id).order_by(PictureFrame.at).run()


async def test_frames_are_bounded_per_camera_and_in_total_but_a_tickets_evidence_is_kept(small_store):
    assert all(len(noisy(s)) <= MAX_BYTES for s in range(3))
    # Camera 1 changes verdict at every grab (each is kept), and a ticket holds the fault at t=3.
    async with db.write_transaction():
        for t in range(4):
            await evidence.record([(1, grab(t, "ok" if t % 2 == 0 else "dark"), T0 + t)], T0 + t)
        held = await evidence.hold(1, 77, T0 + 3)
    assert [(f.role, f.at) for f in held] == [("good", T0 + 2), ("fault", T0 + 3)]
    async with db.write_transaction():
        for t in range(4, 10):
            await evidence.record([(1, grab(t, "ok" if t % 2 == 0 else "dark"), T0 + t)], T0 + t)
    kept = [f["at"] - T0 for f in await frames_of(1)]
    assert kept == [2, 3, 7, 8, 9]  # the three newest, and the ticket's two
    # A grab with the verdict of the last kept frame is not kept again (until ASSETSVC_EVIDENCE_EVERY_S).
    async with db.write_transaction():
        assert await evidence.record([(1, grab(10, "dark"), T0 + 10)], T0 + 10) == 0

    # Ten more cameras: about 1.5 MB in all, over a 1 MB cap. The job drops the oldest frames no ticket holds.
    async with db.write_transaction():
        for cam in range(2, 12):
            await evidence.record([(cam, grab(cam * 10, "dark"), T0 + 100 + cam)], T0 + 100 + cam)
    assert await stored_bytes() > 2**20
    await evidence.evict(T0 + 200)
    left = {c: [f["at"] - T0 for f in await frames_of(c)] for c in range(1, 12)}
    assert await stored_bytes() <= 2**20
    assert {2, 3} <= set(left[1])  # held by the open ticket
    assert left[11] == [111]  # the newest survive

    # The ticket closes: its frames are kept a day more (ASSETSVC_EVIDENCE_KEEP_DAYS=1), then may go.
    async with db.write_transaction():
        await evidence.set_hold(77, False, T0 + 200 + 86400)
    await evidence.evict(T0 + 300)
    assert {2, 3} <= {f["at"] - T0 for f in await frames_of(1)}
    async with db.write_transaction():
        for cam in range(12, 20):  # more frames arrive and push the store over its cap again
            await evidence.record([(cam, grab(cam * 10, "dark"), T0 + 100_000 + cam)], T0 + 100_000 + cam)
    await evidence.evict(T0 + 200 + 86400 + 1)
    assert not {2, 3} & {f["at"] - T0 for f in await frames_of(1)}


async def test_a_ticket_links_only_a_frame_of_its_own_fault_streak(small_store):
    # A dark night a week ago, fine since; now a streak with no grab of its own (a frozen found by the
    # stream continuity check alone): the week-old dark frame must not become this ticket's evidence
    # (it did: the newest fault frame at or before the streak's start, of any age).
    async with db.write_transaction():
        await evidence.record([(1, grab(1, "dark"), T0)], T0)
        await evidence.record([(1, grab(2, "ok"), T0 + HOUR)], T0 + HOUR)
        assert await evidence.hold(1, 77, T0 + 7 * 86400) == []
    # A streak that began with a continuity read and was grabbed later: its first grab is the evidence,
    # with the good frame before it.
    async with db.write_transaction():
        await evidence.record([(1, grab(3, "frozen"), T0 + 7 * 86400 + 600)], T0 + 7 * 86400 + 600)
        held = await evidence.hold(1, 78, T0 + 7 * 86400)
    assert [(f.role, f.verdict, f.at - T0) for f in held] == [("good", "ok", HOUR),
                                                               ("fault", "frozen", 7 * 86400 + 600)]


async def test_a_ticket_links_a_frame_of_its_own_fault_and_one_its_streak_began_with_after_a_gap(small_store):
    # A frozen streak from the stream continuity check alone (no grab of its own); five minutes on, the
    # snapshot sees the picture dark at dusk. The frozen ticket's evidence is not that dark frame (a
    # false-alarm mark would teach it to the baseline).
    async with db.write_transaction():
        await evidence.record([(1, grab(1, "ok"), T0)], T0)
        await evidence.record([(1, grab(2, "dark"), T0 + 1300)], T0 + 1300)
        assert await evidence.hold(1, 77, T0 + 1000, "picture:frozen") == []
        held = await evidence.hold(1, 78, T0 + 1000, "picture:dark")  # the dark ticket gets it
    assert [(f.role, f.verdict) for f in held] == [("good", "ok"), ("fault", "dark")]
    # Dark at 2 h, the streak broken by an hour unreachable, dark again at 4 h: the writer keeps no
    # grab then (the newest kept frame shows the same verdict, under ASSETSVC_EVIDENCE_EVERY_S), so the
    # new streak's ticket links the frame that showed it before the gap.
    async with db.write_transaction():
        await evidence.record([(2, grab(3, "ok"), T0 - HOUR)], T0 - HOUR)
        await evidence.record([(2, grab(4, "dark"), T0 + 2 * HOUR)], T0 + 2 * HOUR)
        assert await evidence.record([(2, grab(5, "dark"), T0 + 4 * HOUR)], T0 + 4 * HOUR) == 0
        held = await evidence.hold(2, 79, T0 + 4 * HOUR, "picture:dark")
    assert [(f.role, f.verdict, f.at - T0) for f in held] == [("good", "ok", -HOUR), ("fault", "dark", 2 * HOUR)]
    # But not a frame older than ASSETSVC_EVIDENCE_EVERY_S (the writer would have kept the new grab):
    # a snapshot's frozen a week ago, no grab kept since (snapshots failing), and a frozen ticket from
    # the continuity check today gets no frame rather than the week-old one (a second review's finding).
    async with db.write_transaction():
        await evidence.record([(3, grab(6, "frozen"), T0)], T0)
        assert await evidence.hold(3, 80, T0 + 7 * 86400, "picture:frozen") == []
