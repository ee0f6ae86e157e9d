"""Scale-out on PostgreSQL: three `assetsvc worker` processes share the probe queue with leases.

Real processes, a real database, real probes against fake ONVIF cameras on loopback; one worker
is killed (SIGKILL) mid-cycle. Every run is checked against its slot in the cycle: no camera is
probed twice in one slot, and none misses more than one extra cycle.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest

from assetsvc import bulk
from assetsvc.monitoring import tasks
from assetsvc.monitoring.config import parse
from assetsvc.monitoring.tables import Node, ProbeTask, ResultHistory
from assetsvc.registry.tables import Camera
from tests.fakes.onvif_device import FakeOnvifDevice, Scenario

pytestmark = pytest.mark.skipif(os.environ.get("ASSETSVC_TEST_DB", "sqlite") != "postgres",
                                reason="multi-node scale-out is a PostgreSQL feature")

EVERY = 8.0  # seconds per cycle: short, so a test sees several cycles
LEASE = 3.0
CAMERAS = 40
CONFIG = f"""
[limits]
global = 6
batch = 4
lease_s = {LEASE}
idle_poll_s = 0.2
[history]
per_subject = 50
[[class]]
name = "onvif"
when = {{ subject = "camera", protocol = "onvif" }}
light = {{ every = {EVERY}, probes = ["onvif_light"], timeout = 2 }}
"""


def spawn(config_path: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "ASSETSVC_MONITORING_CONFIG": str(config_path), "ASSETSVC_LOG_LEVEL": "WARNING"}
    return subprocess.Popen([sys.executable, "-m", "assetsvc.cli", "worker", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def stop_all(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def register(port: int, count: int) -> None:
    for n in range(count):
        await Camera(gb_id=f"330106001313201{n:05d}", name=f"cam {n}", region_code="330106",
                     ipv4="127.0.0.1", ports={"onvif": port}, probe_protocols=["onvif"]).save().run()


async def test_three_workers_share_the_queue_and_survive_one_killed_mid_cycle(tmp_path):
    config_path = tmp_path / "monitoring.toml"
    config_path.write_text(CONFIG)
    # Each answer takes 0.3 s, so a worker holds leased tasks most of the time and the kill
    # lands mid-batch.
    async with FakeOnvifDevice(scenario=Scenario(delay_s=0.3)) as device:
        await register(device.port, CAMERAS)
        start = time.time()
        await tasks.sync(parse(CONFIG, "test"), start)
        first_due = {r["subject_id"]: r["due_at"] for r in
                     await ProbeTask.select(ProbeTask.subject_id, ProbeTask.due_at).run()}
        procs = [spawn(config_path) for _ in range(3)]
        try:
            await asyncio.sleep(EVERY * 1.5)
            procs[0].send_signal(signal.SIGKILL)
            procs[0].wait(timeout=10)
            await asyncio.sleep(EVERY * 3)
        finally:
            stop_all(procs)
        end = time.time()
        outputs = [p.stdout.read().decode(errors="replace") for p in procs]
    rows = await ResultHistory.select(ResultHistory.subject_id, ResultHistory.at).run()
    runs = defaultdict(list)
    for row in rows:
        runs[row["subject_id"]].append(row["at"])
    assert set(runs) == set(first_due), outputs
    for camera_id, times in runs.items():
        times.sort()
        slots = [int((t - first_due[camera_id]) // EVERY) for t in times]
        assert len(slots) == len(set(slots)), f"camera {camera_id} probed twice in one cycle: {times}"
        # No camera misses more than one extra cycle: between runs, at most 2 intervals plus the
        # lease a dead worker held it for (and the probe's own time).
        gaps = [b - a for a, b in zip([first_due[camera_id], *times], times)]
        assert max(gaps) <= 2 * EVERY + LEASE + 2.5, f"camera {camera_id} starved: {times}"
        assert end - times[-1] <= 2 * EVERY + LEASE + 2.5
    # Every surviving worker did a share of the work.
    nodes = await bulk.fetch(Node, "SELECT name, probes_done FROM monitor_node WHERE role = 'worker'")
    assert len(nodes) == 3
    assert sum(1 for n in nodes if n["probes_done"] > 0) >= 2


async def leader_names() -> list[str]:
    rows = await bulk.fetch(Node, "SELECT name FROM monitor_node WHERE leader = ? AND seen_at > ?",
                            [True, time.time() - 8])
    return [r["name"] for r in rows]


async def wait_for(predicate, timeout_s: float = 30.0, every_s: float = 0.5):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = await predicate()
        if found:
            return found
        await asyncio.sleep(every_s)
    return await predicate()


async def test_scheduler_leadership_is_taken_over_when_the_leader_dies(tmp_path):
    config_path = tmp_path / "monitoring.toml"
    config_path.write_text(CONFIG)
    procs = [spawn(config_path, "--scheduler") for _ in range(3)]
    try:
        leaders = await wait_for(leader_names)
        assert len(leaders) == 1, leaders
        pid = int(leaders[0].split("-")[-3])
        leader = next(p for p in procs if p.pid == pid)
        # A camera registered now is only picked up by the (new) leader's sync job.
        await Camera(gb_id="33010600131320199999", name="late", region_code="330106", ipv4="127.0.0.1",
                     ports={"onvif": 9}, probe_protocols=["onvif"]).save().run()
        leader.send_signal(signal.SIGKILL)
        leader.wait(timeout=10)

        async def new_leader():
            names = await leader_names()
            return [n for n in names if n != leaders[0]]

        taken = await wait_for(new_leader)
        assert len(taken) == 1, taken
        assert await wait_for(lambda: ProbeTask.count().run())
    finally:
        stop_all(procs)
