"""Stream continuity through the monitoring engine: stalled, frozen (with and without a ticking clock),
low frame rate, a healthy stream, one at a third of its rate (slow shutter, by design), a still live
scene (frozen not judgeable) and one sent slowly (a dynamic frame rate: low frame rate not judged),
each ending as the right state, cause and ticket.

Real peers: GStreamer's RTSP server with one mount per behaviour; a test clock for the schedule.
"""

from __future__ import annotations

import pytest

from assetsvc import bulk
from assetsvc.monitoring.tables import LatestResult
from assetsvc.registry.tables import Camera
from assetsvc.tickets import opener
from tests.fakes.rtsp_gst_server import GstRtspCamera
from tests.integration.test_monitoring_engine import Clock, cycle, setup, state_of
from tests.integration.test_tickets_engine import T0, tickets, world

pytestmark = pytest.mark.needs("gst-rtsp")

CONFIG = """
[rules]
fault_after_failures = 2
stale_after_s = 9000
[[class]]
name = "rtsp"
when = { subject = "camera", protocol = "rtsp" }
light = { every = 1800, probes = ["rtsp"], timeout = 5 }
deep = { every = 3600, probes = ["rtsp_continuity"], timeout = 20, options = { continuity_window_s = 4.5 } }
"""


@pytest.fixture(scope="module")
def gst():
    mounts = ("/live=moving", "/frozen=frozen", "/clock=frozen_clock", "/stall=stall",
              "/still=still_clock@0.3,cqp",  # a still photograph with sensor noise, a clock and a settled encoder
              "/slow=moving@every12", "/third=moving@every3",  # declaring 25 fps, sending 2.08 and 8.33
              "/dynamic=still@0.3,cqp,every6")  # a still scene sent at 4.17 fps (a dynamic frame rate)
    with GstRtspCamera(mounts=mounts, stall_after_s=1.0) as cam:
        yield cam


async def add_camera(n: int, path: str, port: int) -> int:
    row = Camera(gb_id=f"330106001313200{n:05d}", name=f"cam {n}", region_code="330106", ipv4="127.0.0.1",
                 ports={"rtsp": port}, probe_protocols=["rtsp"], stream_uri=path, point_class=3)
    await row.save().run()
    return row.id


async def continuity(camera_id: int) -> dict:
    [row] = await bulk.fetch(LatestResult, "SELECT ok, facts FROM latest_result WHERE subject_id = ? AND "
                             "probe_kind = 'rtsp_continuity'", [camera_id])
    assert row["ok"]
    return bulk.json_column(row["facts"], {})


async def test_stalled_frozen_and_slow_streams_become_their_causes_and_tickets_and_a_healthy_one_none(gst):
    await world()
    cams = {"live": await add_camera(1, "/live", gst.port), "frozen": await add_camera(2, "/frozen", gst.port),
            "clock": await add_camera(3, "/clock", gst.port), "stall": await add_camera(4, "/stall", gst.port),
            "slow": await add_camera(5, "/slow", gst.port), "still": await add_camera(6, "/still", gst.port),
            "third": await add_camera(7, "/third", gst.port), "dynamic": await add_camera(8, "/dynamic", gst.port)}
    clock = Clock(T0)
    worker = await setup(CONFIG, clock)
    await cycle(worker, clock, T0 + 3600)
    await cycle(worker, clock, T0 + 7200)
    expected = {"live": ("up", ""), "frozen": ("degraded", "picture:frozen"), "clock": ("degraded", "picture:frozen"),
                "stall": ("degraded", "stream:stalled"), "slow": ("degraded", "stream:low_fps"), "still": ("up", ""),
                "third": ("up", ""), "dynamic": ("up", "")}
    states = {name: await state_of(cam) for name, cam in cams.items()}
    found = {name: (state["state"], state["cause"]) for name, state in states.items()}
    assert found == expected
    # The evidence behind each verdict.
    stall = await continuity(cams["stall"])
    assert stall["frame_count"] > 0 and stall["longest_gap_s"] >= 2.0
    clock_overlay = await continuity(cams["clock"])
    assert clock_overlay["samples"] >= 2 and 0 < clock_overlay["changed_share"] <= 0.03  # only the clock ticks
    slow = await continuity(cams["slow"])
    assert (slow["declared_fps"], slow["declared_from"], slow["low_fps_under"]) == (25, "stream", 5)
    assert 1.9 <= slow["fps"] <= 2.3
    third = await continuity(cams["third"])  # slow shutter's third: by design, under the old limit (12.5)
    assert third["verdict"] == "ok" and 8 <= third["fps"] <= 8.7
    dynamic = await continuity(cams["dynamic"])  # slow, but nothing moves: not judged, said so
    assert dynamic["verdict"] == "still" and dynamic["fps"] < dynamic["low_fps_under"] == 5
    assert (await continuity(cams["live"]))["changed_share"] > 0.5
    still = await continuity(cams["still"])  # frozen not judgeable: said so, no fault
    assert still["verdict"] == "still" and still["changed_share"] <= 0.03 and still["repeat_diff"] > 0.1
    # Past the 30 min grace: a ticket for each fault, of the right kind, none for the healthy stream,
    # the one at a third of its rate, the still one nor the still one sent slowly.
    await opener.run(T0 + 7200 + 3600)
    opened = {(t["subject_id"], t["fault"]) for t in await tickets()}
    assert opened == {(cams["frozen"], "picture"), (cams["clock"], "picture"), (cams["stall"], "stream"),
                      (cams["slow"], "stream")}


async def test_a_frozen_picture_the_continuity_check_raised_is_cleared_once_the_stream_reads_still(gst):
    # The continuity check confirms picture:frozen on a repeating stream; the camera then serves a still
    # live scene (as under the old rule, which called such a scene frozen). Its `still` reads say the
    # stream is live and its key frames differ: the fault it raised itself clears, and the ticket with it.
    await world()
    cam = await add_camera(1, "/frozen", gst.port)
    clock = Clock(T0)
    worker = await setup(CONFIG, clock)
    await cycle(worker, clock, T0 + 3600)
    await cycle(worker, clock, T0 + 7200)
    assert (await state_of(cam))["cause"] == "picture:frozen"
    await opener.run(T0 + 7200 + 3600)
    assert {(t["subject_id"], t["fault"]) for t in await tickets()} == {(cam, "picture")}
    await Camera.update({Camera.stream_uri: "/still"}).where(Camera.id == cam).run()
    await cycle(worker, clock, T0 + 10800)
    assert (await continuity(cam))["verdict"] == "still"
    state = await state_of(cam)
    assert (state["state"], state["cause"]) == ("up", "")
    await opener.run(T0 + 10800 + 60)  # nobody acted on it: closed as self-recovered
    assert [t["state"] for t in await tickets()] == ["closed"]
