"""Fault test: PostgreSQL restarts in the middle of a probe cycle.

The test makes its own throwaway cluster (initdb, then pg_ctl on a free port under a temporary
folder, as the postgres user when run as root; never the shared server at 5432), runs an API
process with the scheduler and a probe worker against it, restarts the server while probes
run, and stops one fake camera after the restart. Then both processes must answer and probe
again, and every device's state intervals must form one unbroken chain: nothing lost (no gap,
the later fault recorded), nothing doubled (no two intervals from one instant, one open).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests import tools
from tests.fakes.onvif_device import FakeOnvifDevice

pytestmark = [pytest.mark.skipif(os.environ.get("ASSETSVC_TEST_DB", "sqlite") != "postgres",
                                 reason="a PostgreSQL fault: runs in the PostgreSQL pass"),
              pytest.mark.needs("pg-cluster")]

CONFIG = """
[rules]
down_after_failures = 2
down_after_s = 1
recheck_after_s = 1
[limits]
lease_s = 5
idle_poll_s = 0.2
[[class]]
name = "onvif"
when = { subject = "camera", protocol = "onvif" }
light = { every = 2, probes = ["onvif_light"], timeout = 1 }
"""
HEALTHY, LATER_DOWN, DOWN = 8, 4, 2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    """A throwaway PostgreSQL cluster on 127.0.0.1:<port>, trust authentication."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="assetsvc-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.as_root = os.geteuid() == 0

    def _cmd(self, *argv: str) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *argv] if self.as_root else list(argv)

    def _run(self, *argv: str) -> None:
        # No pipes: a server started by pg_ctl would hold them open (its output goes to -l).
        done = subprocess.run(self._cmd(*argv), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed: {done.stderr}")

    def _ctl(self, action: str, *extra: str) -> list[str]:
        return self._cmd(tools.pg_bin("pg_ctl"), action, "-D", str(self.data), "-w", "-t", "60", *extra)

    def start(self) -> None:
        if self.as_root:  # initdb refuses root: the folder belongs to postgres
            shutil.chown(self.root, "postgres", "postgres")
        self._run(tools.pg_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self._run(tools.pg_bin("pg_ctl"), "start", "-D", str(self.data), "-w", "-t", "60", "-o", self.options,
                  "-l", self.log)

    @property
    def options(self) -> str:
        return f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"

    @property
    def log(self) -> str:
        return str(self.root / "server.log")

    async def restart(self) -> None:
        """pg_ctl restart -m fast: every connection is cut, the server is back once it accepts.
        The server's output goes to the log file (-l): a pipe would be held open by the server."""
        proc = await asyncio.create_subprocess_exec(*self._ctl("restart", "-m", "fast", "-o", self.options,
                                                               "-l", self.log),
                                                    stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        assert await asyncio.wait_for(proc.wait(), 120) == 0, Path(self.log).read_text()[-2000:]

    def stop(self) -> None:
        subprocess.run(self._ctl("stop", "-m", "immediate"), capture_output=True, timeout=120)
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, db: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"


@pytest.fixture
def cluster():
    made = Cluster()
    try:
        made.start()
        yield made
    finally:
        made.stop()


def spawn(env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "assetsvc.cli", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


REGISTER = """
import asyncio, json, sys
from assetsvc import db
from assetsvc.registry.tables import Camera
async def main():
    await db.start()
    for n, port in enumerate(json.loads(sys.argv[1])):
        await Camera(gb_id=f"330106001313200{n:05d}", name=f"cam {n}", region_code="330106", ipv4="127.0.0.1",
                     ports={"onvif": port}, probe_protocols=["onvif"]).save().run()
    await db.stop()
asyncio.run(main())
"""


async def chains(conn) -> dict[int, list[asyncpg.Record]]:
    rows = await conn.fetch("SELECT subject_id, state, start, \"end\" FROM state_interval "
                            "WHERE subject_type = 'camera' ORDER BY subject_id, start, id")
    out: dict[int, list] = {}
    for row in rows:
        out.setdefault(row["subject_id"], []).append(row)
    return out


async def test_workers_and_api_reconnect_after_a_restart_mid_cycle_and_nothing_is_lost_or_doubled(cluster, tmp_path):
    admin = await asyncpg.connect(cluster.url())
    await admin.execute("CREATE DATABASE assetsvc")
    await admin.close()
    config = tmp_path / "monitoring.toml"
    config.write_text(CONFIG)
    api_port = free_port()
    env = {**os.environ, "ASSETSVC_DATABASE_URL": cluster.url("assetsvc"), "ASSETSVC_DATA_DIR": str(tmp_path),
           "ASSETSVC_MONITORING_CONFIG": str(config), "ASSETSVC_LOG_LEVEL": "WARNING"}
    assert subprocess.run([sys.executable, "-m", "assetsvc.cli", "migrate"], env=env, capture_output=True,
                          timeout=120).returncode == 0
    procs: list[subprocess.Popen] = []
    async with FakeOnvifDevice() as healthy, FakeOnvifDevice() as fading:
        dead = free_port()
        ports = [healthy.port] * HEALTHY + [fading.port] * LATER_DOWN + [dead] * DOWN
        import json
        done = subprocess.run([sys.executable, "-c", REGISTER, json.dumps(ports)], env=env, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        try:
            procs.append(spawn(env, "serve", "--no-worker", "--port", str(api_port)))
            procs.append(spawn(env, "worker"))
            conn = await asyncpg.connect(cluster.url("assetsvc"))
            # Probing runs: every camera has left `unknown` (up, or down for the dead port).
            for _ in range(300):  # bounded: at most ~60 s
                await asyncio.sleep(0.2)
                waiting = await conn.fetchval("SELECT COUNT(*) FROM device_state WHERE state = 'unknown'")
                total = await conn.fetchval("SELECT COUNT(*) FROM device_state")
                if total == len(ports) and waiting == 0:
                    break
            assert total == len(ports) and waiting == 0
            await conn.close()
            restarted_at = time.time()
            await cluster.restart()  # mid-cycle: probes run every 2 s, writes every 0.5 s
            await fading.stop()  # a fault that starts after the restart must still be recorded
            conn = await asyncpg.connect(cluster.url("assetsvc"))
            for _ in range(300):
                await asyncio.sleep(0.2)
                down = await conn.fetchval("SELECT COUNT(*) FROM device_state WHERE state = 'down'")
                fresh = await conn.fetchval("SELECT COUNT(*) FROM latest_result WHERE at > $1", restarted_at + 2)
                if down == LATER_DOWN + DOWN and fresh == len(ports):
                    break
            assert down == LATER_DOWN + DOWN and fresh == len(ports)  # the worker writes again
            async with httpx.AsyncClient() as http:  # the API answers again (new pool connections)
                health = await http.get(f"http://127.0.0.1:{api_port}/healthz", timeout=10)
            assert health.status_code == 200, health.text
            for _ in range(150):  # leadership is checked every 5 s: bounded wait, at most ~30 s
                leader = await conn.fetchval("SELECT COUNT(*) FROM monitor_node WHERE leader AND seen_at > $1",
                                             restarted_at)
                if leader == 1:
                    break
                await asyncio.sleep(0.2)
            assert leader == 1  # the scheduler took its leadership back
            states = {r["subject_id"]: r["state"] for r in await conn.fetch(
                "SELECT subject_id, state FROM device_state WHERE subject_type = 'camera'")}
            for camera, intervals in (await chains(conn)).items():
                starts = [i["start"] for i in intervals]
                assert len(set(starts)) == len(starts), intervals  # no transition written twice
                assert [i["end"] for i in intervals[:-1]] == starts[1:], intervals  # no gap: none lost
                assert intervals[-1]["end"] is None and intervals[-1]["state"] == states[camera]
            by_camera = await chains(conn)
            ids = sorted(by_camera)
            for camera in ids[:HEALTHY]:
                assert [i["state"] for i in by_camera[camera]] == ["unknown", "up"], by_camera[camera]
            for camera in ids[HEALTHY:HEALTHY + LATER_DOWN]:
                seq = [i["state"] for i in by_camera[camera]]
                assert seq == ["unknown", "up", "down"], seq
                assert by_camera[camera][-1]["start"] > restarted_at  # the later fault, after the restart
            for camera in ids[HEALTHY + LATER_DOWN:]:
                assert [i["state"] for i in by_camera[camera]] == ["unknown", "down"], by_camera[camera]
            await conn.close()
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            outputs = []
            for proc in procs:
                try:
                    out, _ = proc.communicate(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    out, _ = proc.communicate()
                outputs.append(out.decode(errors="replace"))
    # uvicorn (0.29+) re-raises the SIGTERM it handled once it has shut down cleanly: -15 is its clean exit.
    assert procs[0].returncode in (0, -signal.SIGTERM), outputs[0]
    assert procs[1].returncode == 0 and "worker stopped" in outputs[1], outputs[1]
