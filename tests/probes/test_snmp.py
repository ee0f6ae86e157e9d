"""SNMP probe against real agents on loopback: net-snmp snmpd, snmpsim recordings, hostile UDP."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import pytest

from probes.runner import run_probe
from probes.snmp import TICKS_WRAP_S, close_snmp_engine, detect_reboot, probe_snmp, probe_snmp_light
from probes.types import ErrorKind, ProbeResult, ProbeTarget
from tests.fakes import snmp_agents
from tests.fakes.snmp_agents import V3_USERS, HostileAgent, free_udp_port, start_snmpd, start_snmpsim

NET_SNMP_LINUX = "1.3.6.1.4.1.8072.3.2.10"  # net-snmp's sysObjectID on Linux
FAST = {"snmp_timeout_s": 0.3, "snmp_retries": 0}  # for the cases that end in silence


@pytest.fixture(scope="module")
def snmpd():
    agent = start_snmpd()
    yield agent
    agent.stop()


@pytest.fixture(scope="module")
def switch_sim():
    if snmp_agents.snmpsim_command() is None:
        pytest.skip("snmpsim-command-responder is not installed (pip install snmpsim snmpsim-data)")
    agent = start_snmpsim([snmp_agents.recording_path(), snmp_agents.ENCODER_RECORDING])
    yield agent
    agent.stop()


@pytest.fixture(scope="module", autouse=True)
async def shared_engine():
    yield
    close_snmp_engine()  # its socket and timer task, before the session loop closes


async def probe(host: str, port: int, fn=probe_snmp, limit_s: float = 5.0, **fields) -> ProbeResult:
    return await run_probe("snmp", fn, ProbeTarget(host, snmp_port=port, **fields), limit_s)


# --- facts --------------------------------------------------------------------------------------


async def test_v2c_probe_reports_the_system_group(snmpd):
    result = await probe(snmpd.host, snmpd.port)
    assert result.ok, result.message
    facts = result.facts
    assert facts["snmp_version"] == "2c"
    assert facts["sys_object_id"] == NET_SNMP_LINUX
    assert facts["sys_name"] == "snmpd-fake"
    assert facts["sys_descr"].startswith("Linux")
    assert 0 <= facts["sys_uptime_s"] < 3600


async def test_v2c_probe_works_over_ipv6_loopback():
    agent = start_snmpd(hosts=("::1",))
    try:
        result = await probe("::1", agent.port)
    finally:
        agent.stop()
    assert result.ok, result.message
    assert result.facts["sys_name"] == "snmpd-fake"


@pytest.mark.parametrize("user", V3_USERS, ids=lambda u: f"{u.auth_proto}-{u.priv_proto}")
async def test_v3_authpriv_probe_reports_the_system_group(snmpd, user):
    result = await probe(snmpd.host, snmpd.port, snmp_v3=user.as_target())
    assert result.ok, result.message
    assert (result.facts["snmp_version"], result.facts["sys_name"]) == ("3", "snmpd-fake")


async def test_light_probe_reports_uptime_and_object_id_only(snmpd):
    result = await probe(snmpd.host, snmpd.port, fn=probe_snmp_light)
    assert result.ok, result.message
    assert set(result.facts) == {"snmp_version", "sys_uptime_s", "sys_object_id"}
    assert result.facts["sys_object_id"] == NET_SNMP_LINUX


async def test_interface_table_comes_from_the_recorded_switch(switch_sim):
    result = await probe(switch_sim.host, switch_sim.port, snmp_community=switch_sim.community,
                         options={"interfaces": True})
    assert result.ok, result.message
    facts = result.facts
    assert "Ruijie" in facts["sys_descr"] and facts["sys_object_id"].startswith("1.3.6.1.4.1.4881.")
    assert facts["sys_uptime_s"] == pytest.approx(5276812.12)
    interfaces = facts["interfaces"]
    assert len(interfaces) == 27 and facts["interfaces_truncated"] is False
    assert interfaces[1]["descr"] == "GigabitEthernet 0/1"
    assert {row["oper_status"] for row in interfaces.values()} <= {"up", "down", "lowerLayerDown", "notPresent"}
    assert all(isinstance(row["in_errors"], int) for row in interfaces.values())


async def test_interface_walk_stops_at_the_row_cap(switch_sim):
    result = await probe(switch_sim.host, switch_sim.port, snmp_community=switch_sim.community,
                         options={"interfaces": True, "max_interfaces": 5})
    assert result.ok, result.message
    assert list(result.facts["interfaces"]) == [1, 2, 3, 4, 5]
    assert result.facts["interfaces_truncated"] is True


async def test_gbk_system_name_of_a_chinese_encoder_is_decoded(switch_sim):
    result = await probe(switch_sim.host, switch_sim.port, snmp_community="encoder-gbk",
                         options={"interfaces": True})
    assert result.ok, result.message
    assert result.facts["sys_name"] == "潭中路与文昌路交叉口编码器"
    assert result.facts["interfaces"][2] == {"descr": "光口2", "oper_status": "down", "in_errors": 0}
    assert result.facts["sys_uptime_s"] == pytest.approx(TICKS_WRAP_S - 2.96)


async def test_agent_restart_is_detected_as_a_reboot():
    first = start_snmpd()
    try:
        before = await probe(first.host, first.port, fn=probe_snmp_light)
        before_at = time.time()
        await asyncio.sleep(1.2)  # enough uptime that a restart shows as time going backwards
        again = await probe(first.host, first.port, fn=probe_snmp_light)
        again_at = time.time()
    finally:
        first.stop()
    second = start_snmpd(port=first.port)
    try:
        after = await probe(second.host, second.port, fn=probe_snmp_light)
        after_at = time.time()
    finally:
        second.stop()
    assert before.ok and again.ok and after.ok
    assert not detect_reboot(before.facts["sys_uptime_s"], before_at, again.facts["sys_uptime_s"], again_at,
                             tolerance_s=0.5)
    assert detect_reboot(again.facts["sys_uptime_s"], again_at, after.facts["sys_uptime_s"], after_at,
                         tolerance_s=0.5)


# --- failures -----------------------------------------------------------------------------------


async def test_wrong_community_times_out_with_a_hint_about_the_community(snmpd):
    result = await probe(snmpd.host, snmpd.port, snmp_community="not-the-community", options=FAST)
    assert result.error is ErrorKind.TIMEOUT
    assert "community" in result.message


async def test_wrong_v3_auth_key_is_an_auth_error(snmpd):
    credentials = {**snmpd.v3_user.as_target(), "auth_key": "not-the-auth-key"}
    result = await probe(snmpd.host, snmpd.port, snmp_v3=credentials)
    assert result.error is ErrorKind.AUTH and "auth key" in result.message


async def test_unknown_v3_user_is_an_auth_error(snmpd):
    credentials = {**snmpd.v3_user.as_target(), "user": "nobody-here"}
    result = await probe(snmpd.host, snmpd.port, snmp_v3=credentials)
    assert result.error is ErrorKind.AUTH and "unknown SNMPv3 user" in result.message


async def test_wrong_v3_privacy_key_times_out_with_a_hint(snmpd):
    credentials = {**snmpd.v3_user.as_target(), "priv_key": "not-the-priv-key"}
    result = await probe(snmpd.host, snmpd.port, snmp_v3=credentials, options=FAST)
    assert result.error is ErrorKind.TIMEOUT and "priv" in result.message


async def test_right_and_wrong_v3_keys_for_one_user_in_flight_together_keep_their_own_outcome(snmpd):
    good = snmpd.v3_user.as_target()
    bad = {**good, "auth_key": "not-the-auth-key"}
    results = await asyncio.gather(*(probe(snmpd.host, snmpd.port, snmp_v3=good if i % 2 else bad)
                                     for i in range(12)))
    assert [r.ok for r in results] == [bool(i % 2) for i in range(12)]
    assert {r.error for r in results[0::2]} == {ErrorKind.AUTH}


async def test_unknown_v3_protocol_name_is_an_auth_error_before_any_traffic(snmpd):
    credentials = {**snmpd.v3_user.as_target(), "auth_proto": "sha3"}
    result = await probe(snmpd.host, snmpd.port, snmp_v3=credentials)
    assert result.error is ErrorKind.AUTH and "sha3" in result.message


async def test_agent_that_hides_the_system_group_is_unsupported(snmpd):
    result = await probe(snmpd.host, snmpd.port, snmp_community="nosystem")
    assert result.error is ErrorKind.UNSUPPORTED and "sysUpTime" in result.message


async def test_no_agent_at_all_times_out():
    result = await probe("127.0.0.1", free_udp_port(), options=FAST)
    assert result.error is ErrorKind.TIMEOUT


async def test_unresolvable_host_name_is_refused():
    result = await probe("no-such-camera.invalid", 161)
    assert result.error is ErrorKind.REFUSED


@pytest.mark.parametrize("mode, words", [("garbage", "not an SNMP message"), ("truncated", "truncated"),
                                         ("malformed", "could not parse"), ("oversized", "oversized")])
async def test_broken_reply_is_a_protocol_error_without_waiting_for_the_timeout(mode, words):
    async with HostileAgent(mode) as agent:
        result = await probe(agent.host, agent.port, options={"snmp_timeout_s": 3.0})
    assert result.error is ErrorKind.PROTOCOL and words in result.message
    assert result.duration_s < 2.0


async def test_value_of_the_wrong_type_is_a_protocol_error():
    async with HostileAgent("wrong_types") as agent:
        result = await probe(agent.host, agent.port)
    assert result.error is ErrorKind.PROTOCOL and "not TimeTicks" in result.message


async def test_overlong_strings_are_cut_to_a_bound_not_a_failure():
    async with HostileAgent("long_strings") as agent:
        result = await probe(agent.host, agent.port)
    assert result.ok, result.message
    assert result.facts["sys_uptime_s"] == 1234.56
    assert 300 <= len(result.facts["sys_descr"]) <= 1024 and set(result.facts["sys_descr"]) == {"长"}


async def test_reply_to_some_other_request_is_ignored_and_the_probe_times_out():
    async with HostileAgent("echo_wrong_id") as agent:
        result = await probe(agent.host, agent.port, options=FAST)
    assert result.error is ErrorKind.TIMEOUT and agent.requests == 1


# --- reboot detection (pure) --------------------------------------------------------------------

WRAP = TICKS_WRAP_S
REBOOT_CASES = [
    # previous uptime, previous at, current uptime, current at, rebooted?
    (1000.0, 0.0, 1300.0, 300.0, False),  # steady
    (1000.0, 0.0, 1299.5, 300.0, False),  # jitter within tolerance
    (1000.0, 0.0, 40.0, 300.0, True),  # uptime went backwards
    (100.0, 0.0, 250.0, 3600.0, True),  # rebooted early in the interval: uptime grew, but too little
    (WRAP - 100.0, 0.0, 200.0, 300.0, False),  # the 32-bit TimeTicks wrap at ~497 days
    (WRAP - 100.0, 0.0, 50.0, 300.0, True),  # wrapped and rebooted
    (5000.0, 600.0, 4700.0, 300.0, False),  # samples out of order: no verdict
    (0.0, 0.0, 86400.0 * 30 - 2000.0, 86400.0 * 30, False),  # a month apart, 2000 s of drift is 0.08 %
]


@pytest.mark.parametrize("prev_up, prev_at, cur_up, cur_at, rebooted", REBOOT_CASES)
def test_reboot_detection(prev_up, prev_at, cur_up, cur_at, rebooted):
    assert detect_reboot(prev_up, prev_at, cur_up, cur_at) is rebooted


def test_reboot_detection_accepts_datetimes():
    at = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.timezone.utc)
    assert detect_reboot(5000.0, at, 10.0, at + dt.timedelta(minutes=5))
    assert not detect_reboot(5000.0, at, 5300.0, at + dt.timedelta(minutes=5))
