"""ONVIF probes against a fake camera speaking SOAP 1.2 on loopback: facts, and every hostile reply classified."""

from __future__ import annotations

import asyncio
import socket
import tracemalloc

import cv2
import numpy as np
import pytest
from lxml import etree

from probes.onvif import probe_onvif_deep, probe_onvif_light
from probes.runner import run_probe
from probes.types import Credentials, ErrorKind, ProbeTarget
from tests.fakes.onvif_device import FakeOnvifDevice, Scenario, snapshot_jpeg

PASSWORD = "admin12345"
TIMEOUT = 5.0


def target(device: FakeOnvifDevice, password: str | None = PASSWORD, **options) -> ProbeTarget:
    creds = Credentials("admin", password) if password is not None else None
    return ProbeTarget("127.0.0.1", onvif_port=device.port, credentials=creds, options=options)


async def light(device, password=PASSWORD, timeout=TIMEOUT, **options):
    return await run_probe("onvif_light", probe_onvif_light, target(device, password, **options), timeout)


async def deep(device, password=PASSWORD, timeout=TIMEOUT, **options):
    return await run_probe("onvif_deep", probe_onvif_deep, target(device, password, **options), timeout)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the light probe ----------------------------------------------------------------------------
async def test_light_probe_reads_the_clock_without_authenticating():
    async with FakeOnvifDevice(scenario=Scenario(ntp=False, tz="CST-8")) as device:
        result = await light(device)
    assert result.ok, result.message
    assert abs(result.facts["clock_offset_s"]) < 1.5
    assert (result.facts["ntp"], result.facts["tz"], result.facts["date_time_needs_auth"]) == (False, "CST-8", False)
    assert device.operations() == [("GetSystemDateAndTime", "none")]


async def test_light_probe_measures_a_drifted_clock():
    async with FakeOnvifDevice(scenario=Scenario(drift_s=-7200.0)) as device:
        result = await light(device)
    assert result.ok and abs(result.facts["clock_offset_s"] + 7200) < 1.5


async def test_light_probe_authenticates_only_when_the_device_insists():
    async with FakeOnvifDevice(scenario=Scenario(auth_everything=True)) as device:
        result = await light(device)
    assert result.ok and result.facts["date_time_needs_auth"] is True
    assert device.operations() == [("GetSystemDateAndTime", "none"), ("GetSystemDateAndTime", "valid")]


async def test_light_probe_without_credentials_on_an_auth_only_device_is_auth():
    async with FakeOnvifDevice(scenario=Scenario(auth_everything=True)) as device:
        result = await light(device, password=None)
    assert result.error is ErrorKind.AUTH


@pytest.mark.parametrize("style", ["soap", "generic", "http401"])
async def test_wrong_password_on_an_auth_only_device_is_auth(style):
    async with FakeOnvifDevice(scenario=Scenario(auth_everything=True, auth_fault=style)) as device:
        result = await light(device, password="wrong")
    assert result.error is ErrorKind.AUTH, result.message


async def test_drifted_clock_on_an_auth_only_device_is_clock_not_auth():
    # No unauthenticated clock to read: the HTTP Date header of the refusal tells the skew.
    async with FakeOnvifDevice(scenario=Scenario(auth_everything=True, drift_s=3600)) as device:
        result = await light(device)
    assert result.error is ErrorKind.CLOCK and abs(result.facts["clock_offset_s"] - 3600) < 2


async def test_refused_port_is_refused():
    probe_target = ProbeTarget("127.0.0.1", onvif_port=free_port())
    for fn in (probe_onvif_light, probe_onvif_deep):
        result = await run_probe("onvif", fn, probe_target, TIMEOUT)
        assert result.error is ErrorKind.REFUSED


async def test_hung_device_times_out_within_the_limit():
    async with FakeOnvifDevice(scenario=Scenario(hang=True)) as device:
        for probe in (light, deep):
            result = await probe(device, timeout=0.3)
            assert result.error is ErrorKind.TIMEOUT and result.duration_s < 1.5


async def test_slow_device_answers_within_a_generous_limit_and_times_out_under_a_tight_one():
    async with FakeOnvifDevice(scenario=Scenario(delay_s=0.2)) as device:
        slow = await light(device, timeout=2.0)
        cut = await light(device, timeout=0.05)
    assert slow.ok and slow.facts["rtt_ms"] >= 200
    assert cut.error is ErrorKind.TIMEOUT


@pytest.mark.parametrize("fault", ["xml_bomb", "xxe", "invalid_utf8", "malformed_xml", "nonstandard_fault",
                                   "huge_body", "huge_body_chunked"])
async def test_hostile_date_time_reply_is_protocol(fault):
    async with FakeOnvifDevice(scenario=Scenario(faults={"GetSystemDateAndTime": fault})) as device:
        result = await light(device)
    assert result.error is ErrorKind.PROTOCOL, result.message


async def test_unsupported_date_time_is_unsupported():
    async with FakeOnvifDevice(scenario=Scenario(faults={"GetSystemDateAndTime": "unsupported"})) as device:
        result = await light(device)
    assert result.error is ErrorKind.UNSUPPORTED


async def test_xxe_never_reads_the_local_file(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-MARKER")
    scenario = Scenario(faults={"*": "xxe"}, xxe_path=str(secret))
    async with FakeOnvifDevice(scenario=scenario) as device:
        results = [await light(device), await deep(device)]
    for result in results:
        assert result.error is ErrorKind.PROTOCOL and "TOP-SECRET" not in repr(result.to_json())


@pytest.mark.parametrize("fault", ["huge_body", "huge_body_chunked"])
async def test_fifty_megabyte_reply_is_refused_with_bounded_memory(fault):
    async with FakeOnvifDevice(scenario=Scenario(faults={"GetSystemDateAndTime": fault})) as device:
        tracemalloc.start()
        try:
            result = await light(device)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert result.error is ErrorKind.PROTOCOL and "larger than" in result.message
    assert peak < 20 * 2**20


# --- the deep probe -----------------------------------------------------------------------------
async def test_deep_probe_reads_identity_profiles_uris_and_a_snapshot():
    image = snapshot_jpeg("dark")
    async with FakeOnvifDevice(scenario=Scenario(snapshot=image)) as device:
        result = await deep(device)
    facts = result.facts
    assert result.ok, result.message
    assert (facts["manufacturer"], facts["model"], facts["serial"]) == (
        "HIKVISION", "DS-2CD3T46WD-I3", "DS-2CD3T46WD-I320190101AACHC12345678")
    assert facts["macs"] == ["BC:AD:28:12:34:56"]
    assert [(p["token"], p["encoding"], p["width"], p["height"]) for p in facts["profiles"]] == [
        ("Profile_1", "H264", 1920, 1080), ("Profile_2", "H264", 640, 360)]
    assert facts["profiles"][0]["stream_uri"] == "rtsp://127.0.0.1:8554/Profile_1"
    assert facts["snapshot"] == image and facts["snapshot_size"] == len(image)
    assert facts["snapshot_content_type"] == "image/jpeg" and facts["errors"] == {}
    assert abs(facts["clock_offset_s"]) < 1.5


async def test_deep_probe_sends_date_time_unauthenticated_and_everything_else_with_a_valid_token():
    async with FakeOnvifDevice() as device:
        await deep(device)
    ops = device.operations()
    assert ops[0] == ("GetSystemDateAndTime", "none")
    assert all(auth == "valid" for op, auth in ops[1:] if op != "snapshot")
    assert ("snapshot", "valid") in ops  # HTTP digest on the snapshot URI


async def test_deep_probe_with_wrong_password_is_auth():
    async with FakeOnvifDevice(password="another-password") as device:
        result = await deep(device)
    assert result.error is ErrorKind.AUTH and "clock_offset_s" in result.facts


async def test_deep_probe_on_a_skewed_camera_is_clock_not_auth():
    async with FakeOnvifDevice(scenario=Scenario(drift_s=3600)) as device:
        result = await deep(device)
    assert result.error is ErrorKind.CLOCK and abs(result.facts["clock_offset_s"] - 3600) < 2


async def test_skew_under_the_limit_with_a_wrong_password_stays_auth():
    async with FakeOnvifDevice(password="another-password", scenario=Scenario(drift_s=120)) as device:
        result = await deep(device)
    assert result.error is ErrorKind.AUTH


async def test_skew_limit_is_an_option():
    scenario = Scenario(drift_s=120, auth_window_s=60)
    async with FakeOnvifDevice(scenario=scenario) as device:
        default = await deep(device)
        strict = await deep(device, clock_skew_limit_s=60)
    assert (default.error, strict.error) == (ErrorKind.AUTH, ErrorKind.CLOCK)


@pytest.mark.parametrize("fault", ["xml_bomb", "xxe", "invalid_utf8", "nonstandard_fault", "malformed_xml",
                                   "huge_body_chunked"])
async def test_hostile_device_information_reply_is_protocol(fault):
    async with FakeOnvifDevice(scenario=Scenario(faults={"GetDeviceInformation": fault})) as device:
        result = await deep(device)
    assert result.error is ErrorKind.PROTOCOL, result.message


async def test_unsupported_device_information_is_unsupported():
    async with FakeOnvifDevice(scenario=Scenario(faults={"GetDeviceInformation": "unsupported"})) as device:
        result = await deep(device)
    assert result.error is ErrorKind.UNSUPPORTED


async def test_failed_optional_operations_become_none_with_their_kind():
    faults = {"GetNetworkInterfaces": "xml_bomb", "GetSnapshotUri": "unsupported", "GetStreamUri": "invalid_utf8"}
    async with FakeOnvifDevice(scenario=Scenario(faults=faults)) as device:
        result = await deep(device)
    facts = result.facts
    assert result.ok and facts["macs"] is None and facts["snapshot"] is None
    assert all(p["stream_uri"] is None and p["snapshot_uri"] is None for p in facts["profiles"])
    assert facts["errors"] == {"GetNetworkInterfaces": "protocol", "GetSnapshotUri": "unsupported",
                               "GetStreamUri": "protocol"}


async def test_fifty_megabyte_snapshot_is_refused_with_bounded_memory():
    async with FakeOnvifDevice(scenario=Scenario(faults={"snapshot": "huge_body_chunked"})) as device:
        tracemalloc.start()
        try:
            result = await deep(device)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert result.ok and result.facts["snapshot"] is None and result.facts["errors"] == {"snapshot": "protocol"}
    assert peak < 20 * 2**20


async def test_hung_snapshot_is_bounded_by_its_own_timeout():
    async with FakeOnvifDevice(scenario=Scenario(faults={"snapshot": "hang"})) as device:
        result = await deep(device, snapshot_timeout_s=0.3)
    assert result.ok and result.facts["errors"] == {"snapshot": "timeout"} and result.duration_s < 3


async def test_hung_optional_operation_becomes_none_and_the_probe_goes_on():
    async with FakeOnvifDevice(scenario=Scenario(faults={"GetProfiles": "hang"})) as device:
        result = await deep(device, soap_timeout_s=0.3)
    assert result.ok and result.facts["manufacturer"] == "HIKVISION" and result.facts["profiles"] is None
    assert result.facts["errors"] == {"GetProfiles": "timeout"}


async def test_snapshot_uri_pointing_elsewhere_is_fetched_from_the_target_only():
    async with FakeOnvifDevice(host="127.0.0.1") as device:
        device.host = "127.0.0.2"  # it now advertises another address in every URI
        result = await deep(device)
    assert result.ok and result.facts["snapshot"] is not None
    assert result.facts["profiles"][0]["snapshot_uri"].startswith("http://127.0.0.2:")


async def test_snapshot_with_basic_auth_is_downloaded():
    async with FakeOnvifDevice(scenario=Scenario(snapshot_auth="basic")) as device:
        result = await deep(device)
    assert result.facts["snapshot"][:2] == b"\xff\xd8" and ("snapshot", "valid") in device.operations()


async def test_wsdl_documents_are_parsed_once_per_process():
    from onvif.client import _DOCUMENT_CACHE  # the library's process-wide cache, read only

    async with FakeOnvifDevice() as device:
        assert (await deep(device)).ok
        cached = dict(_DOCUMENT_CACHE)
        assert (await deep(device)).ok
    assert len(cached) == 2 and all(_DOCUMENT_CACHE[url] is doc for url, doc in cached.items())


async def test_concurrent_deep_probes_all_succeed():
    async with FakeOnvifDevice() as device:
        results = await asyncio.gather(*(deep(device, snapshot=False) for _ in range(8)))
    assert all(r.ok for r in results)


# --- the parser settings, proved on the libraries themselves --------------------------------------
def test_zeep_with_our_settings_refuses_entity_bombs_and_external_entities():
    import zeep.exceptions
    from zeep.loader import parse_xml

    from probes.onvif_zeep import SETTINGS
    from tests.fakes.onvif_device import FakeOnvifDevice as Device, hostile_body

    device = Device()
    for kind in ("xml_bomb", "xxe"):
        with pytest.raises((zeep.exceptions.DTDForbidden, zeep.exceptions.EntitiesForbidden)):
            parse_xml(hostile_body(device, "GetDeviceInformation", kind, None), None, settings=SETTINGS)


def test_onvif_default_settings_repair_invalid_utf8_silently_which_is_why_we_parse_strictly_first():
    from onvif.settings import DEFAULT_SETTINGS
    from zeep.loader import parse_xml

    from probes import onvif_soap
    from probes.types import ProbeError
    from tests.fakes.onvif_device import FakeOnvifDevice as Device, hostile_body

    body = hostile_body(Device(), "GetDeviceInformation", "invalid_utf8", None)
    repaired = parse_xml(body, None, settings=DEFAULT_SETTINGS)  # recover mode: no error at all
    assert "\ufffd" in etree.tostring(repaired, encoding="unicode")
    with pytest.raises(ProbeError) as caught:
        onvif_soap.parse(body)
    assert caught.value.kind is ErrorKind.PROTOCOL


# --- the fake's snapshots are what the image checks will need ----------------------------------
def test_fake_snapshot_kinds_are_distinguishable():
    def decode(data: bytes) -> np.ndarray:
        return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)

    kinds = ("scene", "dark", "blurred", "covered", "blue")
    scene, dark, blurred, covered, blue = (decode(snapshot_jpeg(k)) for k in kinds)
    sharpness = lambda img: cv2.Laplacian(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var()  # noqa: E731
    assert dark.mean() < 15 < scene.mean()
    assert sharpness(blurred) < sharpness(scene) / 10
    assert covered.std() < 5 < scene.std()
    assert blue[..., 0].mean() > 150 and blue[..., 2].mean() < 30
    assert snapshot_jpeg("frozen", 1) == snapshot_jpeg("frozen", 2)
    assert snapshot_jpeg("scene", 1) != snapshot_jpeg("scene", 2)
