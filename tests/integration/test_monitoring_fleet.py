"""Scripted faults on the simulated fleet become the right camera states, through real probes.

The fleet answers on loopback; the worker's schedule runs on a test clock, so each scenario takes
a few real probe rounds and no waiting.
"""

from __future__ import annotations

import random

import pytest

from assetsvc.monitoring import tasks
from assetsvc.monitoring.config import parse
from assetsvc.monitoring.tables import DeviceState
from assetsvc.monitoring.worker import Worker
from assetsvc.registry.tables import Camera, UpstreamDevice
from assetsvc.simfleet import Fault, Fleet, Ports
from assetsvc.simfleet.registry import register
from tests.integration.conftest import ADMIN

T0 = 1_900_000_000.0


def config(fleet: Fleet) -> str:
    ports = f"default_ports = {{ onvif = {fleet.ports.onvif}, rtsp = {fleet.ports.rtsp}, snmp = {fleet.ports.snmp} }}"
    return f"""
[rules]
down_after_failures = 2
down_after_s = 60
fault_after_failures = 2
picture_fault_after_s = 300
recheck_after_s = 30
stale_after_s = 7200
[limits]
per_upstream = 16
[[class]]
name = "switch"
when = {{ subject = "upstream" }}
light = {{ every = 300, probes = ["snmp_light"], timeout = 2, options = {{ {ports} }} }}
[[class]]
name = "camera"
when = {{ subject = "camera", protocol = "onvif" }}
light = {{ every = 300, probes = ["onvif_light"], timeout = 2, options = {{ {ports} }} }}
deep = {{ every = 300, probes = ["rtsp", "onvif_deep"], timeout = 4, options = {{ {ports}, rtsp_path = "/Streaming/Channels/101" }} }}
"""


@pytest.fixture
async def world():
    fleet = Fleet(20, seed=5, ports=Ports(0, 0, 0), drifts=False)
    await fleet.start()
    try:
        await register(fleet, ADMIN)
        text = config(fleet)
        await tasks.sync(parse(text, "test"), T0, random.Random(1))
        clock = [T0]
        worker = Worker(parse(text, "test"), name="w", clock=lambda: clock[0], rng=random.Random(1))
        yield fleet, worker, clock
    finally:
        await fleet.stop()


async def rounds(worker: Worker, clock: list[float], *offsets: float) -> None:
    for offset in offsets:
        clock[0] = T0 + offset
        await worker.run_until_idle()


async def states() -> dict[str, tuple[str, str]]:
    rows = await DeviceState.select(DeviceState.subject_id, DeviceState.state, DeviceState.cause).where(
        DeviceState.subject_type == "camera").run()
    cams = {c["id"]: c["ipv4"] for c in await Camera.select(Camera.id, Camera.ipv4).run()}
    return {cams[r["subject_id"]]: (r["state"], r["cause"]) for r in rows}


async def test_scripted_faults_become_the_expected_states(world):
    fleet, worker, clock = world
    a = fleet.addresses
    # Two healthy rounds first: each camera learns its picture baseline from its first good grabs.
    await rounds(worker, clock, 300, 600)
    fleet.set(a[1], Fault.OUTAGE)
    fleet.set(a[2], Fault.CLOCK_DRIFT, offset_s=120)
    fleet.set(a[3], Fault.DARK)
    fleet.set(a[4], Fault.COVERED)
    fleet.set(a[5], Fault.STREAM_LOST)
    fleet.set(a[6], Fault.PASSWORD_CHANGED)
    # Every check due in the next interval, then two more rounds to confirm.
    await rounds(worker, clock, 900, 1200, 1500)
    seen = await states()
    assert seen[a[0]] == ("up", "")
    assert seen[a[1]][0] == "down" and seen[a[1]][1].startswith("onvif_light:refused")
    assert seen[a[2]] == ("degraded", "clock")
    assert seen[a[3]] == ("degraded", "picture:dark")
    assert seen[a[4]] == ("degraded", "picture:occlusion")
    assert seen[a[5]][0] == "degraded" and seen[a[5]][1].startswith("stream:")
    assert seen[a[6]][0] == "up"  # a changed password is a configuration problem, not an outage
    # Healing: the camera comes back at its next check (backed off: at most 4 intervals away).
    fleet.clear(a[1])
    await rounds(worker, clock, 2100, 2700, 3300)
    assert (await states())[a[1]] == ("up", "")


async def test_a_dead_switch_takes_its_cameras_down_with_it_as_root_cause(world):
    fleet, worker, clock = world
    await rounds(worker, clock, 300)
    switch = fleet.upstream_addresses[0]
    fleet.set(switch, Fault.OUTAGE)
    await rounds(worker, clock, 600, 630, 660, 690)
    switch_id = (await UpstreamDevice.select(UpstreamDevice.id).where(UpstreamDevice.ipv4 == switch).first().run())["id"]
    seen = await states()
    behind = [fleet.addresses[n] for n in fleet.layout.cameras_of(0)]
    assert behind and all(seen[address][0] == "down" for address in behind)
    rows = await DeviceState.select(DeviceState.root_upstream, DeviceState.cause).where(
        DeviceState.subject_type == "camera", DeviceState.state == "down").run()
    assert {(r["cause"], r["root_upstream"]) for r in rows} == {("upstream", switch_id)}
    others = [a for a in fleet.addresses if a not in behind]
    assert all(seen[address][0] == "up" for address in others)
