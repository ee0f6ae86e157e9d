"""The real probes against the simulated fleet on loopback: healthy devices pass, each fault fails as classified."""

from __future__ import annotations

import pytest

from assetsvc.simfleet import Condition, Episode, Fault, Fleet, Mix, Ports
from probes.iq import decode_image, diagnose
from probes.registry import probe_fn
from probes.runner import run_probe
from probes.snmp import close_snmp_engine
from probes.types import Credentials, ErrorKind, ProbeResult, ProbeTarget

MAIN_STREAM = "/Streaming/Channels/101"


@pytest.fixture(scope="module")
async def fleet():
    fleet = Fleet(64, seed=11, ports=Ports(0, 0, 0), per_upstream=16)
    await fleet.start()
    yield fleet
    await fleet.stop()
    close_snmp_engine()


@pytest.fixture(autouse=True)
def healed(fleet):
    fleet.clear()
    yield
    fleet.clear()


def camera(fleet: Fleet, n: int = 1, password: str | None = None, **options) -> ProbeTarget:
    return ProbeTarget(fleet.addresses[n], onvif_port=fleet.ports.onvif, rtsp_port=fleet.ports.rtsp,
                       credentials=Credentials(fleet.username, password or fleet.password), rtsp_path=MAIN_STREAM,
                       options={"snapshot_timeout_s": 5, **options})


def switch(fleet: Fleet, k: int = 0, community: str = "public") -> ProbeTarget:
    return ProbeTarget(fleet.upstream_addresses[k], snmp_port=fleet.ports.snmp, snmp_community=community,
                       options={"snmp_timeout_s": 0.3, "snmp_retries": 0})


async def probe(kind: str, target: ProbeTarget, timeout_s: float = 10.0) -> ProbeResult:
    return await run_probe(kind, probe_fn(kind), target, timeout_s)


def healthy_camera(fleet: Fleet) -> int:
    return next(n for n in range(fleet.layout.count) if n not in fleet.layout.drifted)


async def test_a_healthy_camera_passes_the_light_check_with_its_clock_in_time(fleet):
    result = await probe("onvif_light", camera(fleet))
    assert result.ok, result.message
    assert abs(result.facts["clock_offset_s"]) < 2 and result.facts["ntp"] is True


async def test_a_healthy_camera_passes_the_deep_check_with_a_good_snapshot(fleet):
    n = healthy_camera(fleet)
    result = await probe("onvif_deep", camera(fleet, n))
    assert result.ok, result.message
    ident = fleet.layout.identity(n)
    assert (result.facts["serial"], result.facts["model"], result.facts["firmware"]) == (
        ident.serial, ident.model, ident.firmware)
    assert result.facts["macs"] == [ident.mac] and result.facts["errors"] == {}
    assert result.facts["profiles"][0]["stream_uri"].endswith(f":{fleet.ports.rtsp}{MAIN_STREAM}")
    assert diagnose(decode_image(result.facts["snapshot"])).verdict == "ok"


async def test_a_healthy_camera_offers_h264_over_rtsp_after_a_digest_login(fleet):
    result = await probe("rtsp", camera(fleet))
    assert result.ok, result.message
    sdp = result.facts["sdp"]
    assert result.facts["auth"] == "digest"
    assert (sdp["video_codec"], sdp["width"], sdp["height"]) == ("H264", 1920, 1080)


async def test_a_healthy_switch_answers_the_snmp_light_check(fleet):
    result = await probe("snmp_light", switch(fleet))
    assert result.ok, result.message
    assert result.facts["sys_object_id"] == fleet.layout.upstream(0).sys_object_id
    assert result.facts["sys_uptime_s"] > 86400


async def test_an_outage_is_refused_on_every_port(fleet):
    fleet.set(fleet.addresses[1], Fault.OUTAGE)
    light, stream = await probe("onvif_light", camera(fleet)), await probe("rtsp", camera(fleet))
    assert (light.error, stream.error) == (ErrorKind.REFUSED, ErrorKind.REFUSED)


async def test_an_outage_heals_when_cleared(fleet):
    fleet.set(fleet.addresses[1], Fault.OUTAGE)
    assert not (await probe("onvif_light", camera(fleet))).ok
    fleet.clear(fleet.addresses[1])
    assert (await probe("onvif_light", camera(fleet))).ok


async def test_an_unreachable_camera_times_out(fleet):
    fleet.set(fleet.addresses[1], Fault.UNREACHABLE)
    result = await probe("onvif_light", camera(fleet), timeout_s=0.5)
    assert result.error is ErrorKind.TIMEOUT


async def test_a_drifted_clock_shows_in_the_light_check(fleet):
    fleet.set(fleet.addresses[1], Fault.CLOCK_DRIFT, offset_s=120)
    result = await probe("onvif_light", camera(fleet))
    assert result.ok and 118 < result.facts["clock_offset_s"] < 122
    assert result.facts["ntp"] is False


async def test_a_clock_far_off_fails_the_deep_check_as_clock_not_auth(fleet):
    fleet.set(fleet.addresses[1], Fault.CLOCK_DRIFT, offset_s=900)
    result = await probe("onvif_deep", camera(fleet))
    assert result.error is ErrorKind.CLOCK, result.message


@pytest.mark.parametrize(("fault", "verdict"), [(Fault.DARK, "dark"), (Fault.COVERED, "occlusion"),
                                                (Fault.BLURRED, "blur")])
async def test_a_bad_picture_is_judged_by_the_image_checks(fleet, fault, verdict):
    fleet.set(fleet.addresses[1], fault)
    result = await probe("onvif_deep", camera(fleet))
    assert result.ok, result.message
    assert diagnose(decode_image(result.facts["snapshot"])).verdict == verdict


async def test_a_lost_stream_fails_rtsp_while_onvif_answers(fleet):
    fleet.set(fleet.addresses[1], Fault.STREAM_LOST)
    stream, light = await probe("rtsp", camera(fleet)), await probe("onvif_light", camera(fleet))
    assert stream.error is ErrorKind.PROTOCOL and "503" in stream.message
    assert light.ok


async def test_a_changed_password_fails_every_login(fleet):
    fleet.set(fleet.addresses[1], Fault.PASSWORD_CHANGED)
    deep, stream = await probe("onvif_deep", camera(fleet)), await probe("rtsp", camera(fleet))
    assert (deep.error, stream.error) == (ErrorKind.AUTH, ErrorKind.AUTH)
    assert (await probe("onvif_light", camera(fleet))).ok  # the date/time check needs no login


async def test_a_wrong_password_is_refused(fleet):
    result = await probe("onvif_deep", camera(fleet, password="not-the-password"))
    assert result.error is ErrorKind.AUTH


async def test_a_dead_switch_takes_its_cameras_down_and_no_others(fleet):
    fleet.set(fleet.upstream_addresses[1], Fault.OUTAGE)
    dead_switch = await probe("snmp_light", switch(fleet, 1))
    behind = [await probe("onvif_light", camera(fleet, n), timeout_s=0.5) for n in (16, 31)]
    elsewhere = await probe("onvif_light", camera(fleet, 32), timeout_s=0.5)
    assert dead_switch.error is ErrorKind.TIMEOUT
    assert [r.error for r in behind] == [ErrorKind.TIMEOUT, ErrorKind.TIMEOUT]
    assert elsewhere.ok


async def test_a_switch_port_goes_down_with_its_camera(fleet):
    fleet.set(fleet.addresses[3], Fault.OUTAGE)  # camera 3 is on port 4 of the first switch
    target = switch(fleet)
    result = await probe("snmp", ProbeTarget(target.host, snmp_port=target.snmp_port,
                                             options={**target.options, "interfaces": True}))
    ports = result.facts["interfaces"]
    assert ports[4]["oper_status"] == "down"
    assert {ports[i]["oper_status"] for i in ports if i != 4} == {"up"}


async def test_a_switch_that_comes_back_reports_a_fresh_uptime(fleet):
    fleet.set(fleet.upstream_addresses[0], Fault.OUTAGE)
    fleet.clear(fleet.upstream_addresses[0])
    result = await probe("snmp_light", switch(fleet))
    assert result.ok and result.facts["sys_uptime_s"] < 60


async def test_a_wrong_community_gets_no_answer(fleet):
    result = await probe("snmp_light", switch(fleet, community="private"))
    assert result.error is ErrorKind.TIMEOUT


async def test_an_address_without_a_device_refuses(fleet):
    target = ProbeTarget("127.16.250.250", onvif_port=fleet.ports.onvif)
    assert (await probe("onvif_light", target)).error is ErrorKind.REFUSED


async def test_the_same_seed_gives_the_same_probe_outcomes():
    """Two fleets from one seed, each probed at the same moments of its scenario clock."""
    outcomes = []
    for _ in range(2):
        clock = FakeClock()
        fleet = Fleet(64, seed=5, ports=Ports(0, 0, 0), mix=Mix(outage=0.2, unreachable=0.0, dark=0.1),
                      horizon_s=100, clock=clock, epoch=0.0)
        async with fleet:
            seen = []
            for t in (10.0, 50.0, 90.0):
                clock.t = t
                for n in range(0, 64, 3):
                    result = await probe("onvif_light", camera(fleet, n), timeout_s=0.5)
                    seen.append((t, n, result.error))
            outcomes.append(seen)
    assert outcomes[0] == outcomes[1]
    assert {error for _, _, error in outcomes[0]} == {None, ErrorKind.REFUSED}


async def test_a_flapping_camera_follows_its_phases():
    clock = FakeClock()
    address_n = 2
    async with Fleet(8, ports=Ports(0, 0, 0), clock=clock, epoch=0.0) as fleet:
        fleet.set(fleet.addresses[address_n], Fault.FLAPPING, up_s=30, down_s=10)
        seen = []
        for t in (5.0, 35.0, 45.0, 75.0):
            clock.t = t
            seen.append((await probe("onvif_light", camera(fleet, address_n))).ok)
    assert seen == [True, False, True, False]


async def test_scripted_episodes_apply_over_real_sockets():
    clock = FakeClock()
    fleet = Fleet(8, ports=Ports(0, 0, 0), clock=clock, epoch=0.0,
                  script={"127.16.0.3": (Episode(100, 200, Condition(Fault.STREAM_LOST)),)})
    async with fleet:
        before = await probe("rtsp", camera(fleet, 2))
        clock.t = 150
        during = await probe("rtsp", camera(fleet, 2))
    assert before.ok and during.error is ErrorKind.PROTOCOL


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t
