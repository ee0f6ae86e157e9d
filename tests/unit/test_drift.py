"""Registry drift: identity differences with normalised spellings, and devices answering at another's address."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assetsvc.monitoring.drift import (Drift, address_conflict, build_index, identity_drift, mac_key, model_key,
                                       serial_key)

REGISTRY = {"serial": "DS-2CD3T46WD-I320200101AACH000000002", "model": "DS-2CD3T46WD-I3",
            "mac": "BC:AD:28:00:00:01", "ipv4": "127.16.0.2"}
SAME = {"serial": "DS-2CD3T46WD-I320200101AACH000000002", "model": "DS-2CD3T46WD-I3",
        "macs": ["BC:AD:28:00:00:01"], "manufacturer": "HIKVISION"}


@pytest.mark.parametrize("spelling", ["bc:ad:28:00:00:01", "BC-AD-28-00-00-01", "bcad.2800.0001", "BCAD28000001",
                                      " bc ad 28 00 00 01 ", "ＢＣ:ＡＤ:28:00:00:01", "bc-ad:28.00 00:01"])
def test_mac_spellings_compare_equal(spelling):
    assert mac_key(spelling) == "BC:AD:28:00:00:01"
    assert identity_drift({**REGISTRY, "mac": spelling}, SAME) == []


@pytest.mark.parametrize("value", ["", None, "BC:AD:28:00:00", "not a mac", "00:00:00:00:00:00", "FF-FF-FF-FF-FF-FF",
                                   "01:00:5E:00:00:01", 12, ["BC:AD:28:00:00:01"]])
def test_blank_malformed_or_shared_macs_identify_nothing(value):
    assert mac_key(value) is None


def test_the_same_identity_is_no_drift():
    assert identity_drift(REGISTRY, SAME) == []


def test_case_whitespace_and_full_width_forms_are_no_drift():
    reported = {"serial": " ds-2cd3t46wd-i320200101aach 000000002 ", "model": "ＤＳ-2CD3T46WD-I3",
                "macs": ["bc-ad-28-00-00-01"]}
    assert identity_drift(REGISTRY, reported) == []


def test_a_replaced_camera_is_a_serial_drift():
    reported = {**SAME, "serial": "DS-2CD3T46WD-I320200101AACH000000009"}
    assert identity_drift(REGISTRY, reported) == [
        Drift("serial", REGISTRY["serial"], "DS-2CD3T46WD-I320200101AACH000000009")]


def test_another_model_is_a_model_drift():
    assert identity_drift(REGISTRY, {**SAME, "model": "IPC-HFW4433M-I2"}) == [
        Drift("model", "DS-2CD3T46WD-I3", "IPC-HFW4433M-I2")]


@pytest.mark.parametrize("registered", ["DS2CD3T46WDI3", "ds-2cd3t46wd-i3", "HIKVISION DS-2CD3T46WD-I3",
                                        "DS-2CD3T46WD"])
def test_a_model_registered_without_vendor_prefix_or_separators_is_no_drift(registered):
    assert identity_drift({**REGISTRY, "model": registered}, SAME) == []
    assert model_key(registered) is not None


def test_a_mac_matching_any_of_the_devices_interfaces_is_no_drift():
    reported = {**SAME, "macs": ["02:00:00:00:00:09", "bc:ad:28:00:00:01"]}
    assert identity_drift(REGISTRY, reported) == []


def test_a_mac_matching_none_of_the_interfaces_is_a_mac_drift_shown_canonically():
    reported = {**SAME, "macs": ["bc-ad-28-00-00-07", "garbage", "BC:AD:28:00:00:07"]}
    assert identity_drift(REGISTRY, reported) == [Drift("mac", "BC:AD:28:00:00:01", "BC:AD:28:00:00:07")]


@pytest.mark.parametrize("registry", [{}, {"serial": "", "model": "  ", "mac": None}, {"mac": "n/a"}])
def test_an_empty_registry_value_is_unknown_not_drift(registry):
    assert identity_drift(registry, {"serial": "X1", "model": "M", "macs": ["02:00:00:00:00:01"]}) == []


@pytest.mark.parametrize("reported", [{}, {"serial": None, "model": "", "macs": None}, {"macs": []},
                                      {"serial": "0000000000", "macs": ["00:00:00:00:00:00"]},
                                      {"serial": "N/A"}, {"serial": ["x"], "model": 5, "macs": "garbage"}, None, []])
def test_what_the_device_does_not_report_is_unknown_not_drift(reported):
    assert identity_drift(REGISTRY, reported) == []


def test_drift_values_are_bounded_for_storage():
    reported = {"serial": "S1" * 2500, "model": "M2" * 2500, "macs": [f"02:00:00:00:{i // 256:02x}:{i % 256:02x}"
                                                                     for i in range(200)]}
    drifts = identity_drift(REGISTRY, reported)
    assert {d.kind for d in drifts} == {"serial", "model", "mac"}
    assert all(len(d.expected) <= 200 and len(d.reported) <= 200 for d in drifts)


def test_placeholder_serials_are_unknown():
    assert [serial_key(s) for s in ("", "0", "00000000", "N/A", "unknown", "  ", "-")] == [None] * 7
    assert serial_key("6J0AB 000000001") == "6J0AB000000001"


# --- address conflicts ------------------------------------------------------------------------------
INDEX = build_index([(1, "SER-A", "02:00:00:00:00:01"), (2, "SER-B", "02:00:00:00:00:02"),
                     (3, "", "02:00:00:00:00:03"), (4, "DUP", None), (5, "dup", None)])


def test_a_device_reporting_another_cameras_serial_names_that_camera():
    assert address_conflict(1, {"serial": "ser-b", "macs": []}, INDEX) == 2


def test_a_device_reporting_another_cameras_mac_names_that_camera():
    assert address_conflict(1, {"serial": "NEW-DEVICE", "macs": ["02-00-00-00-00-03"]}, INDEX) == 3


def test_a_device_reporting_its_own_identity_is_no_conflict():
    assert address_conflict(1, {"serial": "SER-A", "macs": ["02:00:00:00:00:01"]}, INDEX) is None


def test_the_serial_decides_over_a_mac_registered_elsewhere():
    assert address_conflict(1, {"serial": "SER-A", "macs": ["02:00:00:00:00:02"]}, INDEX) is None


def test_a_swapped_pair_names_each_other():
    assert address_conflict(1, {"serial": "SER-B"}, INDEX) == 2
    assert address_conflict(2, {"serial": "SER-A"}, INDEX) == 1


def test_an_unregistered_device_or_an_ambiguous_identity_names_no_one():
    assert address_conflict(1, {"serial": "UNSEEN", "macs": ["02:00:00:00:00:99"]}, INDEX) is None
    assert address_conflict(1, {"serial": "DUP"}, INDEX) is None  # registered for cameras 4 and 5
    assert address_conflict(1, {"serial": "0000000", "macs": ["00:00:00:00:00:00"]}, INDEX) is None
    assert address_conflict(1, None, INDEX) is None  # type: ignore[arg-type]


anything = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
                        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                                     max_size=4), max_leaves=10)
identity = st.fixed_dictionaries({}, optional={"serial": anything, "model": anything, "mac": anything,
                                               "macs": anything})


@settings(max_examples=300, deadline=None)
@given(identity, identity)
def test_hostile_identities_never_raise(registry, reported):
    for drift in identity_drift(registry, reported):
        assert drift.kind in ("serial", "model", "mac") and drift.expected and drift.reported
    assert address_conflict(1, reported, INDEX) in (None, 2, 3)
