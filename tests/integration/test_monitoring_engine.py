"""The monitoring engine end to end on the real database, against fake ONVIF cameras and snmpd.

The worker's clock is a test clock: probes run for real on loopback, while the schedule and the
state machine see the instants the test sets, so "two failures two minutes apart" needs no waiting.
"""

from __future__ import annotations

import random


from assetsvc import bulk
from assetsvc.monitoring import stale, tasks
from assetsvc.monitoring.config import parse
from assetsvc.monitoring.tables import DeviceState, ProbeTask, ResultHistory, StateInterval
from assetsvc.monitoring.worker import Worker
from assetsvc.registry.tables import Camera, UpstreamDevice
from tests.fakes.onvif_device import FakeOnvifDevice, Scenario
from tests.fakes.snmp_agents import start_snmpd

T0 = 1_800_000_000.0


def config_text(snmp_port: int = 161, history: int = 20, inventory: bool = False) -> str:
    inventory_plan = ('inventory = { every = 86400, probes = ["onvif_deep"], timeout = 10, '
                      'options = { snapshot = false } }') if inventory else ""
    return f"""
[rules]
down_after_failures = 2
down_after_s = 120
fault_after_failures = 2
recheck_after_s = 60
stale_after_s = 1800
[history]
per_subject = {history}
[[class]]
name = "switch"
when = {{ subject = "upstream" }}
light = {{ every = 300, probes = ["snmp_light"], timeout = 3, options = {{ default_ports = {{ snmp = {snmp_port} }} }} }}
[[class]]
name = "onvif"
when = {{ subject = "camera", protocol = "onvif" }}
light = {{ every = 300, probes = ["onvif_light"], timeout = 3 }}
{inventory_plan}
[[class]]
name = "passive"
when = {{ subject = "camera" }}
"""


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def camera(n: int, port: int, host: str = "127.0.0.1", upstream: int | None = None,
                 protocols=("onvif",), **identity) -> int:
    row = Camera(gb_id=f"330106001313200{n:05d}", name=f"cam {n}", region_code="330106", ipv4=host,
                 ports={"onvif": port}, probe_protocols=list(protocols), upstream=upstream,
                 credential=identity.pop("credential", None), **identity)
    await row.save().run()
    return row.id


async def cycle(worker: Worker, clock: Clock, to: float) -> None:
    """Advance the clock to `to` and run everything due by then."""
    clock.now = to
    await worker.run_until_idle()


async def state_of(camera_id: int) -> dict:
    rows = await bulk.fetch(DeviceState, "SELECT state, cause, since, root_upstream FROM device_state "
                            "WHERE subject_type = 'camera' AND subject_id = ?", [camera_id])
    return rows[0]


async def intervals(camera_id: int, subject_type: str = "camera") -> list[tuple]:
    rows = await bulk.fetch(StateInterval, 'SELECT state, cause, start, "end" FROM state_interval '
                            "WHERE subject_type = ? AND subject_id = ? ORDER BY start, id", [subject_type, camera_id])
    return [(r["state"], r["cause"], r["start"], r["end"]) for r in rows]


async def setup(config_text_: str, clock: Clock) -> Worker:
    config = parse(config_text_, "test")
    await tasks.sync(config, clock.now, random.Random(7))
    return Worker(config, name="w1", clock=clock, rng=random.Random(7))


async def test_sync_creates_tasks_and_an_unknown_interval_and_retiring_closes_it():
    async with FakeOnvifDevice() as device:
        cam = await camera(1, device.port)
        passive = await camera(2, device.port, protocols=())
        clock = Clock()
        await setup(config_text(inventory=True), clock)
        plans = await ProbeTask.select(ProbeTask.subject_id, ProbeTask.plan, ProbeTask.due_at).run()
        assert sorted((p["subject_id"], p["plan"]) for p in plans) == [(cam, "inventory"), (cam, "light")]
        light = next(p for p in plans if p["plan"] == "light")  # the passive camera has no tasks
        assert T0 <= light["due_at"] <= T0 + 300  # spread over the first interval
        assert await intervals(cam) == [("unknown", "no data", T0, None)]
        assert await intervals(passive) == [("unknown", "no data", T0, None)]
        await Camera.update({Camera.status: "decommissioned"}).where(Camera.id == cam).run()
        report = await tasks.sync(parse(config_text(inventory=True), "test"), T0 + 50)
        assert (report.tasks_removed, report.subjects_removed) == (2, 1)
        assert await intervals(cam) == [("unknown", "no data", T0, T0 + 50)]


async def test_a_healthy_camera_is_up_after_its_first_light_check():
    async with FakeOnvifDevice() as device:
        cam = await camera(1, device.port)
        clock = Clock()
        worker = await setup(config_text(), clock)
        await cycle(worker, clock, T0 + 300)
        state = await state_of(cam)
        assert (state["state"], state["cause"]) == ("up", "")
        assert [i[0] for i in await intervals(cam)] == ["unknown", "up"]
        assert worker.stats.probed == 1


async def test_outage_is_confirmed_by_two_failures_two_minutes_apart_and_back_dated():
    async with FakeOnvifDevice() as device:
        cam = await camera(1, device.port)
        clock = Clock()
        worker = await setup(config_text(), clock)
        await cycle(worker, clock, T0 + 300)
        due = (await ProbeTask.select(ProbeTask.due_at).where(ProbeTask.plan == "light").first().run())["due_at"]
        await device.stop()
        await cycle(worker, clock, due)  # first failure: still up, re-check asked for in 60 s
        assert (await state_of(cam))["state"] == "up"
        await cycle(worker, clock, due + 60)  # second failure, but only 60 s apart
        assert (await state_of(cam))["state"] == "up"
        await cycle(worker, clock, due + 120)  # third, 120 s after the first: confirmed
        state = await state_of(cam)
        assert state["state"] == "down" and state["cause"].startswith("onvif_light:")
        assert state["since"] == due  # back-dated to the first failed check
        assert (await intervals(cam))[-1][0::2] == ("down", due)


async def test_one_lost_answer_never_flaps_the_camera():
    async with FakeOnvifDevice() as device:
        cam = await camera(1, device.port)
        clock = Clock()
        worker = await setup(config_text(), clock)
        await cycle(worker, clock, T0 + 300)
        due = (await ProbeTask.select(ProbeTask.due_at).where(ProbeTask.plan == "light").first().run())["due_at"]
        await device.stop()
        await cycle(worker, clock, due)
        await device.start()
        await cycle(worker, clock, due + 60)
        assert (await state_of(cam))["state"] == "up"
        assert [i[0] for i in await intervals(cam)] == ["unknown", "up"]


async def test_a_drifted_clock_degrades_the_camera_after_two_checks():
    async with FakeOnvifDevice(scenario=Scenario(drift_s=95)) as device:
        cam = await camera(1, device.port)
        clock = Clock()
        worker = await setup(config_text(), clock)
        await cycle(worker, clock, T0 + 300)
        await cycle(worker, clock, T0 + 600)
        state = await state_of(cam)
        assert (state["state"], state["cause"]) == ("degraded", "clock")


async def test_history_is_a_bounded_ring():
    async with FakeOnvifDevice() as device:
        cam = await camera(1, device.port)
        clock = Clock()
        worker = await setup(config_text(history=5), clock)
        for n in range(1, 9):
            await cycle(worker, clock, T0 + 300 * n)
        rows = await ResultHistory.select(ResultHistory.at).where(ResultHistory.subject_id == cam).run()
        assert len(rows) == 5
        assert min(r["at"] for r in rows) == T0 + 300 * 4  # the 5 newest of 8


async def test_no_result_for_too_long_makes_the_camera_unknown():
    async with FakeOnvifDevice() as device:
        cam = await camera(1, device.port)
        clock = Clock()
        config = parse(config_text(), "test")
        worker = await setup(config_text(), clock)
        await cycle(worker, clock, T0 + 300)
        seen = (await bulk.fetch(DeviceState, "SELECT last_seen FROM device_state"))[0]["last_seen"]
        changed = await stale.sweep(config.state_rules(), seen + 1900)
        assert changed == 1
        state = await state_of(cam)
        assert (state["state"], state["cause"]) == ("unknown", "stale")
        assert (await intervals(cam))[-1][0::2] == ("unknown", seen + 1800)


async def test_a_dead_switch_is_the_root_cause_of_its_cameras_outage():
    agent = start_snmpd()
    try:
        switch = UpstreamDevice(name="sw1", kind="switch", ipv4="127.0.0.1", region_code="330106")
        await switch.save().run()
        async with FakeOnvifDevice() as device:
            cams = [await camera(n, device.port, upstream=switch.id) for n in (1, 2)]
            clock = Clock()
            worker = await setup(config_text(snmp_port=agent.port), clock)
            await cycle(worker, clock, T0 + 300)
            assert [(await state_of(c))["state"] for c in cams] == ["up", "up"]
            agent.stop()
            await device.stop()
            for step in (600, 660, 720, 780):
                await cycle(worker, clock, T0 + step)
            for cam in cams:
                state = await state_of(cam)
                assert (state["state"], state["cause"], state["root_upstream"]) == ("down", "upstream", switch.id)
            assert (await intervals(switch.id, "upstream"))[-1][0] == "down"
    finally:
        agent.stop()


async def test_inventory_flags_a_swapped_device_and_one_answering_at_another_cameras_address():
    from assetsvc.monitoring import drift_store
    from assetsvc.monitoring.tables import DriftFlag
    from assetsvc.registry.tables import Credential
    from assetsvc.runtime import vault
    from tests.fakes.onvif_device import Identity

    drift_store.forget()
    login = Credential(name="cams", username="admin", secret=vault().encrypt("admin12345"))
    await login.save().run()
    reported = Identity(serial="SN-OTHER-0002", mac="bc:ad:28:00:00:02", model="DS-2CD3T46WD-I3")
    async with FakeOnvifDevice(identity=reported) as device:
        swapped = await camera(1, device.port, serial="SN-REGISTERED-1", mac="bc:ad:28:00:00:01",
                               model="DS-2CD3T46WD-I3", credential=login.id)
        owner = await camera(2, 9, host="127.0.0.2", serial="SN-OTHER-0002", mac="bc:ad:28:00:00:02")
        clock = Clock()
        worker = await setup(config_text(inventory=True), clock)
        await cycle(worker, clock, T0 + 86400)
        flags = await DriftFlag.select(DriftFlag.camera_id, DriftFlag.kind, DriftFlag.expected,
                                       DriftFlag.reported, DriftFlag.other_camera_id).run()
        kinds = {f["kind"]: f for f in flags if f["camera_id"] == swapped}
        assert set(kinds) == {"serial", "mac", "address"}
        assert kinds["serial"]["expected"] == "SN-REGISTERED-1"
        assert kinds["serial"]["reported"] == "SN-OTHER-0002"
        assert kinds["address"]["other_camera_id"] == owner
        # The office corrects the record: the next inventory check clears the flags.
        await Camera.update({Camera.serial: "SN-OTHER-0002", Camera.mac: "bc:ad:28:00:00:02"}).where(
            Camera.id == swapped).run()
        await Camera.update({Camera.serial: "", Camera.mac: None}).where(Camera.id == owner).run()
        drift_store.forget()
        await cycle(worker, clock, T0 + 2 * 86400 + 600)
        still = await DriftFlag.select().where(DriftFlag.cleared_at.is_null()).run()
        assert still == []


async def test_an_nvr_with_many_channels_never_gets_more_than_its_share_of_probes_at_once():
    nvr = UpstreamDevice(name="nvr", kind="nvr", region_code="330106")  # no address: not probed itself
    await nvr.save().run()
    text = config_text().replace("[history]", "[limits]\nglobal = 50\nper_upstream = 3\nper_subnet = 5\n[history]")
    async with FakeOnvifDevice(scenario=Scenario(delay_s=0.2)) as device:
        for n in range(12):
            await camera(n, device.port, upstream=nvr.id)
        for n in range(12, 24):  # no upstream device: limited per /24 instead
            await camera(n, device.port, host="127.0.0.9")
        clock = Clock()
        worker = await setup(text, clock)
        await cycle(worker, clock, T0 + 300)
    assert worker.stats.probed == 24
    assert worker.limiter.peak[f"upstream:{nvr.id}"] == 3
    assert worker.limiter.peak["subnet:127.0.0.0/24"] == 5
