"""`python -m assetsvc.simfleet`: a standalone fleet another process can probe, stopped by a signal."""

from __future__ import annotations

import asyncio
import json
import signal
import sys

from probes.onvif import probe_onvif_light
from probes.types import ProbeTarget
from tests.conftest import REPO


async def test_the_standalone_fleet_serves_until_sigterm():
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "assetsvc.simfleet", "--count", "300", "--seed", "4", "--faults", "none",
        "--onvif-port", "0", "--rtsp-port", "0", "--snmp-port", "0", cwd=REPO, stdout=asyncio.subprocess.PIPE)
    try:
        async with asyncio.timeout(60):
            lines = []
            while not (line := (await proc.stdout.readline()).decode()).startswith("ready "):
                assert line, f"the fleet exited early: {lines}"
                lines.append(line)
        ready = json.loads(line[6:])
        facts = await probe_onvif_light(ProbeTarget("127.16.1.50", onvif_port=ready["ports"]["onvif"]))
        proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            rest = (await proc.stdout.read()).decode()
            code = await proc.wait()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert ready["count"] == 300 and ready["upstream"] == 19
    assert "300 cameras 127.16.0.1..127.16.1.50" in lines[0]
    assert abs(facts["clock_offset_s"]) < 2
    assert code == 0 and "simfleet stopped" in rest and '"onvif_requests": 1' in rest


async def test_a_port_in_use_is_a_clean_failure():
    first = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "assetsvc.simfleet", "--count", "5", "--faults", "none", "--onvif-port", "0",
        "--rtsp-port", "0", "--snmp-port", "0", cwd=REPO, stdout=asyncio.subprocess.PIPE)
    try:
        async with asyncio.timeout(60):
            while not (line := (await first.stdout.readline()).decode()).startswith("ready "):
                assert line
        taken = json.loads(line[6:])["ports"]["onvif"]
        second = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "assetsvc.simfleet", "--count", "5", "--onvif-port", str(taken),
            "--rtsp-port", "0", "--snmp-port", "0", cwd=REPO, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
        async with asyncio.timeout(60):
            _, err = await second.communicate()
    finally:
        first.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            await first.wait()
    assert second.returncode == 1 and b"cannot listen" in err
