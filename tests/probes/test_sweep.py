"""SNMP sweep over loopback addresses: snmpd on some, a hostile agent on one, silence elsewhere."""

from __future__ import annotations

import time

import pytest

from probes.snmp import close_snmp_engine
from probes.sweep import snmp_sweep
from probes.types import ProbeTarget
from tests.fakes import snmp_agents
from tests.fakes.snmp_agents import HostileAgent, free_udp_port, start_snmpd

HOSTS = [f"127.0.0.{n}" for n in range(1, 7)]


@pytest.fixture(scope="module")
def port():
    return free_udp_port(HOSTS)


@pytest.fixture(scope="module")
async def fleet(port):
    """Registered agent on .1 and .2 (one snmpd), an unregistered one on .4, garbage from .5."""
    registered = start_snmpd(hosts=("127.0.0.1", "127.0.0.2"), port=port)
    stray = start_snmpd(hosts=("127.0.0.4",), port=port)
    hostile = await HostileAgent("garbage", "127.0.0.5", port).start()
    yield port
    await hostile.stop()
    stray.stop()
    registered.stop()
    close_snmp_engine()


async def test_sweep_sorts_addresses_into_found_failed_silent_and_unknown(fleet):
    known = ["127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.5"]
    result = await snmp_sweep(HOSTS, ProbeTarget("0.0.0.0", snmp_port=fleet), timeout_s=0.5, known=known)
    assert sorted(result.found) == ["127.0.0.1", "127.0.0.2", "127.0.0.4"]
    assert result.found["127.0.0.4"]["sys_name"] == "snmpd-fake"
    assert list(result.failed) == ["127.0.0.5"] and result.failed["127.0.0.5"].startswith("protocol:")
    assert result.silent == ["127.0.0.3", "127.0.0.6"]
    assert result.unknown == ["127.0.0.4"]
    assert result.skipped == []


async def test_sweep_with_v3_credentials_finds_the_same_agents(fleet):
    template = ProbeTarget("0.0.0.0", snmp_port=fleet, snmp_v3=snmp_agents.V3_USERS[0].as_target())
    result = await snmp_sweep(HOSTS[:4], template, timeout_s=0.5)
    assert sorted(result.found) == ["127.0.0.1", "127.0.0.2", "127.0.0.4"]
    assert result.unknown == []  # no registry list given: nothing to diff against


async def test_sweep_stops_at_its_total_time_and_reports_the_rest_as_skipped(fleet):
    started = time.perf_counter()
    result = await snmp_sweep(["127.0.0.3", "127.0.0.6", "127.0.0.1"], ProbeTarget("0.0.0.0", snmp_port=fleet),
                              concurrency=1, timeout_s=2.0, total_timeout_s=0.4)
    assert time.perf_counter() - started < 1.5
    assert result.skipped == ["127.0.0.3", "127.0.0.6", "127.0.0.1"]


@pytest.mark.parametrize("concurrency, one_after_the_other", [(1, True), (2, False)])
async def test_sweep_runs_no_more_probes_at_once_than_its_concurrency(port, concurrency, one_after_the_other):
    first, second = HostileAgent("silent", "127.0.0.3", port), HostileAgent("silent", "127.0.0.6", port)
    async with first, second:
        result = await snmp_sweep(["127.0.0.3", "127.0.0.6"], ProbeTarget("0.0.0.0", snmp_port=port),
                                  concurrency=concurrency, timeout_s=0.5)
    assert result.silent == ["127.0.0.3", "127.0.0.6"]
    gap = second.arrivals[0] - first.arrivals[0]
    # pysnmp's timer ticks every 0.1 s, so a 0.5 s timeout ends after 0.4 to 0.5 s.
    assert (gap >= 0.35) is one_after_the_other


async def test_sweep_refuses_host_names():
    with pytest.raises(ValueError, match="not an IP address"):
        await snmp_sweep(["127.0.0.1", "camera-1.local"], ProbeTarget("0.0.0.0"))
