"""WS-Discovery: reply parsing and the registry diff on their own, then real multicast rounds
between fake cameras, each in a network namespace made for this module (never on a host interface)."""

from __future__ import annotations

import importlib.util
import json
import time

import pytest
from lxml import etree

from probes.runner import run_probe
from probes.types import ErrorKind, ProbeTarget
from probes.wsdiscovery import (Discovered, Unrelated, diff_against, parse_probe_matches, probe_message,
                                probe_wsdiscovery, ws_discover)
from tests.fakes import netns
from tests.fakes.wsd_responder import Device, entity_bomb, probe_match

MID = "uuid:7b0e1f4e-1111-4222-8333-944455556666"
TIMEOUT_S = 1.0


def _device(address: str = "198.18.0.11", name: str = "cam") -> Device:
    return Device(address, name, endpoint="urn:uuid:00000000-0000-4000-8000-000000000011")


# --- parsing and diff, no network -------------------------------------------------------------

def test_probe_asks_for_network_video_transmitters_with_our_message_id():
    root = etree.fromstring(probe_message(MID, "dn:NetworkVideoTransmitter"))
    ns = {"a": "http://schemas.xmlsoap.org/ws/2004/08/addressing", "d": "http://schemas.xmlsoap.org/ws/2005/04/discovery"}
    types = root.find(".//d:Types", ns)
    assert root.findtext(".//a:MessageID", namespaces=ns) == MID
    assert types.text == "dn:NetworkVideoTransmitter" and types.nsmap["dn"] == "http://www.onvif.org/ver10/network/wsdl"


def test_type_with_an_unknown_prefix_is_refused_before_sending():
    with pytest.raises(ValueError, match="prefix"):
        probe_message(MID, "foo:Camera")


def test_camera_reply_becomes_a_discovered_device():
    [found] = parse_probe_matches(probe_match(_device(), MID, _device().scopes), MID, "198.18.0.11")
    assert found.xaddrs == ("http://198.18.0.11:8080/onvif/device_service",)
    assert found.types == ("dn:NetworkVideoTransmitter", "tds:Device")
    assert (found.scope("name"), found.metadata_version) == ("cam", 1)


def test_reply_in_ws_discovery_1_1_namespaces_is_accepted():
    old = probe_match(_device(), MID, _device().scopes)
    new = (old.replace(b"http://schemas.xmlsoap.org/ws/2005/04/discovery", b"http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01")
           .replace(b"http://schemas.xmlsoap.org/ws/2004/08/addressing", b"http://www.w3.org/2005/08/addressing"))
    assert parse_probe_matches(new, MID, "198.18.0.11")[0].endpoint_reference == _device().endpoint


def test_entity_bomb_reply_is_refused_without_expanding():
    start = time.perf_counter()
    with pytest.raises(ValueError, match="DTD"):
        parse_probe_matches(entity_bomb(_device(), MID), MID, "198.18.0.11")
    assert time.perf_counter() - start < 0.1


def test_reply_to_another_probe_is_unrelated():
    with pytest.raises(Unrelated):
        parse_probe_matches(probe_match(_device(), "uuid:someone-else", []), MID, "198.18.0.11")


def test_diff_matches_a_device_behind_nat_by_its_xaddrs_host():
    behind_nat = Discovered("198.18.9.9", ("http://198.18.0.11:80/onvif/device_service",), (), (), "urn:x", 1)
    diff = diff_against([behind_nat], ["198.18.0.11 ", "198.18.0.12", "198.18.0.12"])
    assert (diff.unknown, diff.missing) == ([], ["198.18.0.12"])


async def test_non_ipv4_interface_address_is_refused_without_sending():
    with pytest.raises(ValueError):
        await ws_discover("::1", timeout_s=0.1)
    result = await run_probe("wsdiscovery", probe_wsdiscovery, ProbeTarget("not-an-address"), 1.0)
    assert result.error is ErrorKind.PROTOCOL and "bad discovery setting" in result.message


# --- real multicast inside throw-away namespaces ----------------------------------------------

PROBER, CAM_A, CAM_B, SILENT = "198.18.0.1", "198.18.0.11", "198.18.0.12", "198.18.0.13"
MISBEHAVING = {"198.18.0.14": "--garbage", "198.18.0.15": "--wrong-relates-to", "198.18.0.16": "--oversized",
               "198.18.0.17": "--dtd"}
NVR = "198.18.0.18"  # offers tds:Device but not dn:NetworkVideoTransmitter
HAS_ONVIF_FAKE = importlib.util.find_spec("tests.fakes.onvif_device") is not None


@pytest.fixture(scope="module")
def lan():
    multicast_before = netns.host_multicast_sent()
    with netns.Topology("wsd") as topo:
        topo.multicast_before = multicast_before
        topo.prober = topo.add_node(PROBER)
        topo.responders = {}
        flags = {CAM_A: ["--duplicates", "3"] + (["--onvif"] if HAS_ONVIF_FAKE else []), CAM_B: [],
                 SILENT: ["--silent"], NVR: ["--types", "tds:Device"], **{a: [f] for a, f in MISBEHAVING.items()}}
        for address, extra in flags.items():
            node = topo.add_node(address)
            topo.responders[address] = topo.start(node, "tests.fakes.wsd_responder", "--address", address,
                                                  "--name", f"cam-{address.rsplit('.', 1)[1]}", "--lifetime", "300", *extra)
        for process in topo.responders.values():
            process.wait_for('"ready"')
        yield topo


def _discover(lan, *args: str) -> dict:
    done = lan.run(lan.prober, "tests.fakes.wsd_run", "--interface", PROBER, "--timeout", str(TIMEOUT_S), *args,
                   timeout_s=30)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def round_(lan):
    return _discover(lan, "--known", CAM_A, "--known", SILENT, *(["--fetch"] if HAS_ONVIF_FAKE else []))


def test_two_cameras_are_found_with_their_xaddrs(round_):
    xaddrs = {d["address"]: d["xaddrs"] for d in round_["found"]}
    assert xaddrs == {a: [f"http://{a}:8080/onvif/device_service"] for a in (CAM_A, CAM_B)}


def test_repeated_replies_list_the_camera_once(round_):
    assert [d["address"] for d in round_["found"]].count(CAM_A) == 1
    assert round_["counts"]["duplicates"] == 2


def test_diff_names_the_unlisted_camera_and_the_listed_one_that_did_not_answer(round_):
    assert (round_["unknown"], round_["missing"]) == ([CAM_B], [SILENT])


def test_silent_responder_heard_the_probe_but_is_not_listed(lan, round_):
    assert any('"probe"' in line for line in lan.responders[SILENT].lines)
    assert SILENT not in {d["address"] for d in round_["found"]}


def test_garbage_and_entity_bomb_replies_are_counted_invalid_and_ignored(round_):
    assert round_["counts"]["invalid"] == 2
    assert not {"198.18.0.14", "198.18.0.17"} & {d["address"] for d in round_["found"]}


def test_reply_to_another_message_id_is_ignored(round_):
    assert round_["counts"]["unrelated"] == 1
    assert "198.18.0.15" not in {d["address"] for d in round_["found"]}


def test_oversized_reply_is_dropped_unparsed(round_):
    assert round_["counts"]["oversized"] == 1
    assert "198.18.0.16" not in {d["address"] for d in round_["found"]}


def test_discovery_ends_within_its_timeout(round_):
    assert TIMEOUT_S - 0.05 <= round_["wall_s"] < TIMEOUT_S + 0.3


def test_types_filter_finds_devices_offering_that_type(lan, round_):
    assert NVR not in {d["address"] for d in round_["found"]}
    devices = _discover(lan, "--types", "tds:Device")["found"]
    assert {CAM_A, CAM_B, NVR} <= {d["address"] for d in devices}


def test_probe_kind_reports_devices_and_the_diff(lan):
    result = _discover(lan, "--as-probe", "--known", CAM_B)
    assert result["ok"] and {d["address"] for d in result["facts"]["devices"]} == {CAM_A, CAM_B}
    assert [d["address"] for d in result["facts"]["unknown"]] == [CAM_A] and result["facts"]["missing"] == []


@pytest.mark.skipif(not HAS_ONVIF_FAKE, reason="tests/fakes/onvif_device.py is not there")
def test_advertised_xaddr_answers_onvif_from_the_prober_namespace(round_):
    assert round_["fetched"][f"http://{CAM_A}:8080/onvif/device_service"] == 200


def test_no_multicast_left_the_host_namespace(lan, round_):
    # the last test of the module: every round above ran inside the namespaces; the host's own
    # IPv4 multicast counter (all its real interfaces) must not have moved meanwhile
    assert netns.host_multicast_sent() == lan.multicast_before
