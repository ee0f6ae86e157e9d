"""Which stream the checks use: the registry's path, the one ONVIF reports, a path that is not there.

Real peers on loopback: GStreamer's RTSP server with vendor-style mounts and the fake ONVIF camera,
through the monitoring engine (test clock) and the ticket opener.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from click.testing import CliRunner

from assetsvc import bulk
from assetsvc.cli import main as cli
from assetsvc.monitoring import drift_store, service, status
from assetsvc.monitoring.tables import DriftFlag, LatestResult, ResultHistory, StreamSource
from assetsvc.registry.tables import Camera, Credential
from assetsvc.runtime import vault
from assetsvc.tickets import opener
from tests.fakes.onvif_device import FakeOnvifDevice, Profile
from tests.fakes.rtsp_gst_server import GstRtspCamera
from tests.fakes.snmp_agents import start_snmpd
from tests.integration.conftest import ADMIN
from tests.integration.test_monitoring_engine import Clock, cycle, setup, state_of
from tests.integration.test_tickets_engine import T0, tickets, world

needs_gst = pytest.mark.needs("gst-rtsp")
VENDOR_PROFILES = (Profile("101", "mainStream"), Profile("102", "subStream", "H264", 640, 360))
# A camera behind NAT reports its LAN address: data, never a target (the host is the registry's).
LAN_URI = "rtsp://192.168.1.64:{rtsp}/Streaming/Channels/{{token}}"


@pytest.fixture(scope="module")
def gst():
    with GstRtspCamera(mounts=("/live=moving", "/Streaming/Channels/101=moving",
                               "/Streaming/Channels/102=moving")) as cam:
        yield cam


def config(light: str, deep: str = "", inventory: bool = False) -> str:
    inventory_plan = ('inventory = { every = 86400, probes = ["onvif_deep"], timeout = 10, '
                      'options = { snapshot = false } }') if inventory else ""
    return f"""
[rules]
fault_after_failures = 2
stale_after_s = 1800
[[class]]
name = "onvif"
when = {{ subject = "camera", protocol = "onvif" }}
light = {{ every = 300, probes = ["onvif_light"], timeout = 3 }}
{deep}
{inventory_plan}
[[class]]
name = "rtsp"
when = {{ subject = "camera", protocol = "rtsp" }}
light = {{ every = 300, probes = [{light}], timeout = 5 }}
"""


async def login() -> int:
    row = Credential(name="cams", username="admin", secret=vault().encrypt("admin12345"))
    await row.save().run()
    return row.id


async def add_camera(n: int, **values) -> int:
    row = Camera(gb_id=f"330106001313200{n:05d}", name=f"cam {n}", region_code="330106", ipv4="127.0.0.1",
                 **values)
    await row.save().run()
    return row.id


async def flags(camera_id: int) -> list[dict]:
    return await bulk.fetch(DriftFlag, "SELECT kind, expected, reported, cleared_at FROM drift_flag "
                            "WHERE camera_id = ? ORDER BY id", [camera_id])


@needs_gst
async def test_a_stream_path_that_is_not_there_is_the_records_fault_and_opens_no_ticket(gst):
    await world()
    cam = await add_camera(1, ports={"rtsp": gst.port}, probe_protocols=["rtsp"],
                           stream_uri="/Streaming/Channels/999")
    clock = Clock(T0)
    worker = await setup(config('"rtsp"'), clock)
    for offset in (300, 600, 900):
        await cycle(worker, clock, T0 + offset)
    state = await state_of(cam)
    assert (state["state"], state["cause"]) == ("degraded", "stream:config")
    latest = await bulk.fetch(LatestResult, "SELECT error FROM latest_result WHERE subject_id = ?", [cam])
    assert [r["error"] for r in latest] == ["config"]
    [flag] = await flags(cam)
    assert (flag["kind"], flag["expected"], flag["cleared_at"]) == (
        "stream_path", "/Streaming/Channels/999 (registry)", None)
    # Hours later: no contractor ticket, neither for the stream nor for the drift flag.
    assert (await opener.run(T0 + 6 * 3600)).opened == 0
    assert await tickets() == []
    shown = await status.camera_status(cam, ADMIN)
    assert shown["cause"] == "stream:config" and shown["stream"]["config_fault"] is True
    assert [d["kind"] for d in await status.drift_flags(ADMIN)] == ["stream_path"]
    # The office corrects the record: the next check finds the stream and the flag clears.
    # The URI names the host as the device sees itself; the check takes only port and path from it
    # and the host from the registry (loopback). `.invalid` never resolves: no traffic leaves.
    await Camera.update({Camera.stream_uri: f"rtsp://nat-inside.invalid:{gst.port}/live"}).where(Camera.id == cam).run()
    await cycle(worker, clock, T0 + 2100)  # three failed runs in a row: the back-off doubled the interval
    assert (await state_of(cam))["state"] == "up"
    assert (await flags(cam))[0]["cleared_at"] == T0 + 2100


async def test_the_service_check_after_a_resolve_ignores_stream_path_flags_and_describes_for_a_stall():
    """What ticket verification asks the monitoring service (first_check_after): a stream_path flag
    (the record's fault) is no registry drift, and a DESCRIBE cannot show a stalled stream fixed."""
    await world()
    cam = await add_camera(7)
    await DriftFlag(camera_id=cam, kind="stream_path", expected="/Streaming/Channels/999 (registry)",
                    first_seen=T0, last_seen=T0).save().run()
    for slot, (kind, at, facts) in enumerate([("onvif_deep", T0 + 10, {"serial": "S1"}),
                                              ("rtsp", T0 + 20, {"has_video": True}),
                                              ("rtsp_continuity", T0 + 30, {"verdict": "stalled"})]):
        await ResultHistory(subject_type="camera", subject_id=cam, slot=slot, probe_kind=kind, at=at, ok=True,
                            facts=facts).save().run()
    drift = await service.first_check_after("camera", cam, T0, "inventory")
    assert (drift.passed, drift.probe) == (True, "onvif_deep")
    stall = await service.first_check_after("camera", cam, T0, "stream", "stream:stalled")
    assert (stall.passed, stall.probe, stall.cause) == (False, "rtsp_continuity", "stream:stalled")
    lost = await service.first_check_after("camera", cam, T0, "stream", "stream:refused")
    assert (lost.passed, lost.probe) == (True, "rtsp")  # a lost stream: any answer shows it back
    await DriftFlag(camera_id=cam, kind="serial", expected="S0", reported="S1", first_seen=T0,
                    last_seen=T0).save().run()
    assert (await service.first_check_after("camera", cam, T0, "inventory")).passed is False


@needs_gst
async def test_a_camera_on_a_vendor_path_that_only_onvif_reveals_is_checked_there(gst):
    drift_store.forget()  # the registry index is cached per process: not another test's cameras
    credential = await login()
    uri = LAN_URI.format(rtsp=gst.port)
    async with FakeOnvifDevice(profiles=VENDOR_PROFILES, stream_uri=uri) as device:
        cam = await add_camera(2, ports={"onvif": device.port}, probe_protocols=["onvif"], credential=credential)
        deep = 'deep = { every = 14400, probes = ["rtsp"], timeout = 10 }'
        clock = Clock(T0)
        worker = await setup(config('"rtsp"', deep, inventory=True), clock)
        # Everything runs once: the stream check still on the class default (port 554, "/"): refused.
        await cycle(worker, clock, T0 + 86400)
        [source] = await StreamSource.select().where(StreamSource.camera_id == cam).run()
        assert source["main_uri"] == uri.format(token="101")
        assert source["sub_uri"] == uri.format(token="102") and source["read_at"] == T0 + 86400
        await cycle(worker, clock, T0 + 86400 + 2 * 14400)
        [rtsp] = await bulk.fetch(LatestResult, "SELECT ok, facts FROM latest_result WHERE subject_id = ? AND "
                                  "probe_kind = 'rtsp'", [cam])
        facts = bulk.json_column(rtsp["facts"], {})
        assert rtsp["ok"] and facts["url"] == f"rtsp://127.0.0.1:{gst.port}/Streaming/Channels/101"
        state = await state_of(cam)
        assert (state["state"], state["cause"]) == ("up", "")
        assert await flags(cam) == []
        shown = await status.camera_status(cam, ADMIN)
        assert shown["stream"]["reported"]["main_uri"] == uri.format(token="101")


@needs_gst
async def test_the_continuity_check_reads_the_sub_stream_and_takes_onvifs_rate_as_a_cap_not_a_promise(gst):
    drift_store.forget()
    credential = await login()
    # The sub stream's profile says 60 fps (FrameRateLimit: a maximum); the stream's own timing says
    # 25 and it sends 25: a healthy stream (the old rule measured it against 60 and called it low_fps).
    profiles = (Profile("101", "mainStream"), Profile("102", "subStream", "H264", 640, 360, fps=60))
    async with FakeOnvifDevice(profiles=profiles, stream_uri=LAN_URI.format(rtsp=gst.port)) as device:
        cam = await add_camera(3, ports={"onvif": device.port}, probe_protocols=["onvif"], credential=credential)
        # Deep checks closer than stale_after_s (1800 s), so two of them make one streak.
        deep = ('deep = { every = 600, probes = ["rtsp_continuity"], timeout = 20, '
                'options = { continuity_window_s = 4.5 } }')
        clock = Clock(T0)
        worker = await setup(config('"rtsp"', deep, inventory=True), clock)
        for at in (T0 + 86400, T0 + 86400 + 1200, T0 + 86400 + 2400):
            await cycle(worker, clock, at)
        [row] = await bulk.fetch(LatestResult, "SELECT ok, facts FROM latest_result WHERE subject_id = ? AND "
                                 "probe_kind = 'rtsp_continuity'", [cam])
        facts = bulk.json_column(row["facts"], {})
        assert row["ok"] and (facts["verdict"], facts["declared_fps"], facts["declared_from"]) == ("ok", 25, "stream")
        assert facts["url"] == f"rtsp://127.0.0.1:{gst.port}/Streaming/Channels/102"
        state = await state_of(cam)
        assert (state["state"], state["cause"]) == ("up", "")
        shown = await status.camera_status(cam, ADMIN)
        assert (shown["stream"]["reported"]["main_fps"], shown["stream"]["reported"]["sub_fps"]) == (25, 60)


@needs_gst
async def test_probe_command_checks_the_stream_onvif_reports_unless_a_path_is_given(gst):
    async with FakeOnvifDevice(profiles=VENDOR_PROFILES, stream_uri=LAN_URI.format(rtsp=gst.port)) as device:
        base = ["probe", "127.0.0.1", "--onvif", "--rtsp", "--onvif-port", str(device.port), "--user", "admin",
                "--password-stdin", "--json"]
        runner = CliRunner()
        followed = await asyncio.to_thread(runner.invoke, cli, base, input="admin12345\n")
        given = await asyncio.to_thread(runner.invoke, cli, [*base, "--rtsp-path", "/nothing-here",
                                                              "--rtsp-port", str(gst.port)], input="admin12345\n")
    results = {r["kind"]: r for r in json.loads(followed.output)}
    assert followed.exit_code == 0, followed.output
    assert results["rtsp"]["facts"]["url"] == f"rtsp://127.0.0.1:{gst.port}/Streaming/Channels/101"
    results = {r["kind"]: r for r in json.loads(given.output)}
    assert given.exit_code == 1
    assert results["rtsp"]["error"] == "config"
    assert results["rtsp"]["facts"]["url"] == f"rtsp://127.0.0.1:{gst.port}/nothing-here"


@needs_gst
async def test_probe_command_reads_the_stream_for_continuity_past_its_short_timeout(gst):
    runner = CliRunner()
    done = await asyncio.to_thread(runner.invoke, cli, ["probe", "127.0.0.1", "--continuity", "--rtsp-port",
                                                        str(gst.port), "--rtsp-path", "/live", "--json"])
    [result] = json.loads(done.output)
    assert done.exit_code == 0, done.output
    assert result["facts"]["verdict"] == "ok" and result["facts"]["frame_count"] > 100


# The shipped snmp-camera class (assetsvc/monitoring/monitoring.toml): no DESCRIBE check, so only the
# frame grab and the continuity check meet the stream's refusals.
SNMP_CAMERA = """
[rules]
fault_after_failures = 2
stale_after_s = 1800
[[class]]
name = "snmp-camera"
when = { subject = "camera", protocol = "snmp" }
light = { every = 300, probes = ["snmp_light"], timeout = 5 }
deep = { every = 14400, probes = ["rtsp_frame", "rtsp_continuity"], timeout = 25 }
"""


@pytest.fixture(scope="module")
def refusing():
    """A camera that answers a path it does not serve with 454, and one path with 453 (its viewer limit)."""
    with GstRtspCamera(mounts=("/live=moving",), refuse=("/Streaming/Channels/999=454", "/Streaming/Channels/101=453")) as cam:
        yield cam


@pytest.fixture
def snmpd():
    agent = start_snmpd()
    try:
        yield agent
    finally:
        agent.stop()


async def deep_checks(camera_id: int, times: int) -> list[dict]:
    clock = Clock(T0)
    worker = await setup(SNMP_CAMERA, clock)
    for n in range(1, times + 1):
        await cycle(worker, clock, T0 + n * 14400)
    return await bulk.fetch(LatestResult, "SELECT probe_kind, error FROM latest_result WHERE subject_id = ? "
                            "ORDER BY probe_kind", [camera_id])


@needs_gst
async def test_a_path_an_snmp_camera_answers_with_454_is_the_records_fault_and_opens_no_ticket(refusing, snmpd):
    await world()
    cam = await add_camera(4, ports={"rtsp": refusing.port, "snmp": snmpd.port}, probe_protocols=["snmp"],
                           stream_uri="/Streaming/Channels/999")
    latest = await deep_checks(cam, 3)
    assert {r["probe_kind"]: r["error"] for r in latest} == {
        "rtsp_continuity": "config", "rtsp_frame": "config", "snmp_light": None}
    state = await state_of(cam)
    assert (state["state"], state["cause"]) == ("degraded", "stream:config")
    [flag] = await flags(cam)
    assert (flag["kind"], flag["expected"], flag["cleared_at"]) == (
        "stream_path", "/Streaming/Channels/999 (registry)", None)
    assert (await opener.run(T0 + 3 * 14400 + 6 * 3600)).opened == 0
    assert await tickets() == []
    shown = await status.camera_status(cam, ADMIN)
    assert shown["cause"] == "stream:config" and shown["stream"]["config_fault"] is True
    assert [d["kind"] for d in await status.drift_flags(ADMIN)] == ["stream_path"]


@needs_gst
async def test_an_snmp_camera_at_its_viewer_limit_453_opens_no_ticket(refusing, snmpd):
    await world()
    cam = await add_camera(5, ports={"rtsp": refusing.port, "snmp": snmpd.port}, probe_protocols=["snmp"],
                           stream_uri="/Streaming/Channels/101")
    latest = await deep_checks(cam, 3)
    assert {r["probe_kind"]: r["error"] for r in latest} == {
        "rtsp_continuity": "busy", "rtsp_frame": "busy", "snmp_light": None}
    # Other viewers hold every session: the stream is not judged, so the camera stays up.
    state = await state_of(cam)
    assert (state["state"], state["cause"]) == ("up", "")
    assert await flags(cam) == []
    assert (await opener.run(T0 + 3 * 14400 + 6 * 3600)).opened == 0
    assert await tickets() == []
