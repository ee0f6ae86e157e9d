"""The task sync's comparison in SQL (subjects.wanted_sql) agrees with the Python classification.

monitored() + MonitoringConfig.classify() is the reference: on a registry covering every `when`
key (subject, protocol, owner_class, point_class, upstream_kind), values of the wrong type, the
first-match rule, statuses in and out of service and upstream devices without an address, the
tasks and states that tasks.sync() leaves are exactly what the reference wants, before and after
the registry changes.
"""

from __future__ import annotations

import itertools
import random

from assetsvc import bulk, db
from assetsvc.monitoring import tasks
from assetsvc.monitoring.config import parse
from assetsvc.monitoring.subjects import monitored, wanted_sql
from assetsvc.monitoring.tables import DeviceState, ProbeTask
from assetsvc.registry.tables import Camera, Owner, UpstreamDevice

T0 = 1_790_000_000.0

CONFIG = """
[rules]
down_after_failures = 2
down_after_s = 120
fault_after_failures = 2
recheck_after_s = 60
stale_after_s = 3600
[[class]]
name = "nvr"
when = { subject = "upstream", upstream_kind = "nvr" }
light = { every = 300, probes = ["snmp_light"], timeout = 3 }
deep = { every = 3600, probes = ["snmp_light"], timeout = 3 }
[[class]]
name = "never (a string for an integer column)"
when = { subject = "camera", point_class = "1" }
light = { every = 300, probes = ["tcp"], timeout = 3 }
[[class]]
name = "police onvif class 2 (2.0 is 2)"
when = { subject = "camera", protocol = "onvif", owner_class = "police", point_class = 2.0 }
light = { every = 300, probes = ["onvif_light"], timeout = 3 }
inventory = { every = 86400, probes = ["onvif_deep"], timeout = 10 }
[[class]]
name = "onvif"
when = { protocol = "onvif" }
light = { every = 300, probes = ["onvif_light"], timeout = 3 }
[[class]]
name = "snmp government"
when = { protocol = "snmp", owner_class = "government" }
light = { every = 600, probes = ["snmp_light"], timeout = 3 }
[[class]]
name = "upstream kind on a camera never matches"
when = { upstream_kind = "switch", subject = "camera" }
light = { every = 300, probes = ["tcp"], timeout = 3 }
[[class]]
name = "switch"
when = { upstream_kind = "switch" }
light = { every = 300, probes = ["snmp_light"], timeout = 3 }
[[class]]
name = "passive cameras"
when = { subject = "camera" }
"""

PROTOCOLS = ([], ["onvif"], ["snmp"], ["rtsp", "onvif"], ["snmp", "rtsp"])
STATUSES = ("active", "under_repair", "planned", "decommissioned")


async def registry(rnd: random.Random) -> None:
    owners = []
    for owner_class in ("police", "government", "social"):
        owner = Owner(name=f"owner {owner_class}", owner_class=owner_class)
        await owner.save().run()
        owners.append(owner.id)
    for n, (protocols, point_class, owner, status) in enumerate(itertools.product(
            PROTOCOLS, (None, 1, 2, 3), (None, *owners), STATUSES)):
        await Camera(gb_id=f"33010600131320{n:06d}", name=f"cam {n}", region_code="330106",
                     probe_protocols=protocols, point_class=point_class, owner=owner, status=status).save().run()
    for n, (kind, status, address) in enumerate(itertools.product(
            ("nvr", "switch", "encoder"), STATUSES, (None, "127.0.0.1"))):
        await UpstreamDevice(name=f"up {n}", kind=kind, region_code="330106", status=status, ipv4=address).save().run()


async def reference(config) -> tuple[set, set]:
    """(tasks, subjects) as monitored() + classify() want them: the behaviour before SQL."""
    wanted, subjects = set(), set()
    for device in await monitored():
        device_class = config.classify(device)
        if device_class is None:
            continue
        subjects.add((device["subject_type"], device["subject_id"]))
        wanted.update((device["subject_type"], device["subject_id"], plan) for plan in device_class.plans)
    return wanted, subjects


async def stored() -> tuple[set, set]:
    found = await ProbeTask.select(ProbeTask.subject_type, ProbeTask.subject_id, ProbeTask.plan).run()
    states = await DeviceState.select(DeviceState.subject_type, DeviceState.subject_id).run()
    return ({(t["subject_type"], t["subject_id"], t["plan"]) for t in found},
            {(s["subject_type"], s["subject_id"]) for s in states})


async def test_sql_classification_matches_python_and_sync_follows_changes():
    rnd = random.Random(3)
    config = parse(CONFIG, "test")
    await registry(rnd)
    expected = await reference(config)
    # every class but the two that never match is used, so the comparison means something
    cte, args = wanted_sql(config)
    async with db.write_transaction():
        classes = {r["cls"] for r in await bulk.fetch(Camera, f"WITH {cte} SELECT DISTINCT cls FROM wanted_subject", args)}
    assert classes == {0, 2, 3, 4, 6, 7}
    report = await tasks.sync(config, T0, random.Random(1))
    assert await stored() == expected
    assert (report.tasks_added, report.subjects_added) == (len(expected[0]), len(expected[1]))
    again = await tasks.sync(config, T0 + 60)
    assert again == tasks.SyncReport(0, 0, 0, 0)

    # change the registry: statuses, protocols, owners' classes, point classes, upstream kinds
    cameras = [r["id"] for r in await Camera.select(Camera.id).run()]
    for cam in rnd.sample(cameras, 60):
        await Camera.update({Camera.status: rnd.choice(STATUSES), Camera.probe_protocols: rnd.choice(PROTOCOLS),
                             Camera.point_class: rnd.choice((None, 1, 2, 3))}).where(Camera.id == cam).run()
    await Camera.delete().where(Camera.id.is_in(rnd.sample(cameras, 10))).run()
    await Owner.update({Owner.owner_class: "police"}).where(Owner.owner_class == "government").run()
    await UpstreamDevice.update({UpstreamDevice.kind: "switch"}).where(UpstreamDevice.kind == "nvr").run()
    before = await stored()
    expected = await reference(config)
    report = await tasks.sync(config, T0 + 120, random.Random(2))
    assert await stored() == expected
    assert report == tasks.SyncReport(len(expected[0] - before[0]), len(before[0] - expected[0]),
                                      len(expected[1] - before[1]), len(before[1] - expected[1]))
    assert report.tasks_removed and report.tasks_added and report.subjects_removed and report.subjects_added
