"""The simulator survives hostile clients: garbage, oversized requests, idle and excess connections."""

from __future__ import annotations

import asyncio
import os
import socket

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from assetsvc.simfleet import Fleet, Ports
from probes.registry import probe_fn
from probes.runner import run_probe
from probes.snmp import close_snmp_engine
from probes.types import ProbeTarget


@pytest.fixture(scope="module")
async def fleet():
    fleet = Fleet(32, ports=Ports(0, 0, 0), connection_timeout_s=2.0)
    await fleet.start()
    yield fleet
    await fleet.stop()
    close_snmp_engine()


async def exchange(port: int, payload: bytes, host: str = "127.16.0.1", read_s: float = 2.0) -> bytes:
    """Send payload, read until the simulator closes or read_s passes; never raises on resets."""
    reader, writer = await asyncio.open_connection(host, port)
    got = b""
    try:
        writer.write(payload)
        await writer.drain()
        async with asyncio.timeout(read_s):
            while chunk := await reader.read(65536):
                got += chunk
    except (ConnectionError, TimeoutError):
        pass
    finally:
        writer.close()
    return got


async def still_answers(fleet: Fleet) -> bool:
    light = await run_probe("onvif_light", probe_fn("onvif_light"),
                            ProbeTarget("127.16.0.2", onvif_port=fleet.ports.onvif), 5)
    snmp = await run_probe("snmp_light", probe_fn("snmp_light"),
                           ProbeTarget(fleet.upstream_addresses[0], snmp_port=fleet.ports.snmp), 5)
    return light.ok and snmp.ok


@pytest.mark.parametrize("payload", [
    b"\x00\xff" * 5000,
    b"GET / HTTP/1.1\r\n" + b"X: " + b"a" * 20000,
    b"POST /onvif/device_service HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n",
    b"POST /onvif/device_service HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"POST /onvif/device_service HTTP/1.1\r\nContent-Length: 12\r\n\r\n<Body><\xff\xfe",
    b"POST /onvif/device_service HTTP/1.1\r\nContent-Length: 40\r\n\r\n<s:Body><GetDeviceInformation/></s:Body>",
    b"BREW /pot HTTP/1.1\r\n\r\n",
    b"\r\n\r\n\r\n\r\n",
])
async def test_garbage_on_the_onvif_port_gets_an_error_or_nothing(fleet, payload):
    reply = await exchange(fleet.ports.onvif, payload)
    assert reply == b"" or reply.startswith(b"HTTP/1.1 4") or reply.startswith(b"HTTP/1.1 5")
    assert await still_answers(fleet) and fleet.stats["errors"] == 0


@pytest.mark.parametrize("payload", [
    os.urandom(3000),
    b"OPTIONS rtsp://x/ RTSP/1.0\r\n" + b"a" * 10000,
    b"DESCRIBE rtsp://127.16.0.1/ RTSP/1.0\r\nCSeq: 1\r\nContent-Length: 900000\r\n\r\n",
    b"DESCRIBE rtsp://127.16.0.1/ RTSP/2.0\r\nCSeq: 1\r\n\r\n",
    b"GET / HTTP/1.1\r\n\r\n",
])
async def test_garbage_on_the_rtsp_port_gets_an_error_or_nothing(fleet, payload):
    reply = await exchange(fleet.ports.rtsp, payload)
    assert reply == b"" or reply.startswith(b"RTSP/1.0 4") or reply.startswith(b"RTSP/1.0 5")
    assert await still_answers(fleet) and fleet.stats["errors"] == 0


async def test_a_client_that_sends_nothing_is_dropped_at_the_deadline(fleet):
    reply = await exchange(fleet.ports.onvif, b"", read_s=5.0)
    assert reply == b""
    assert fleet.stats["expired"] >= 1


async def test_connections_beyond_the_cap_are_reset():
    async with Fleet(4, ports=Ports(0, 0, 0), max_connections=3) as small:
        held = [await asyncio.open_connection("127.16.0.1", small.ports.onvif) for _ in range(3)]
        await asyncio.sleep(0.1)
        extra = await exchange(small.ports.onvif, b"POST /onvif/ HTTP/1.1\r\n\r\n", read_s=1.0)
        for _, writer in held:
            writer.close()
        assert extra == b"" and small.stats["overflow"] == 1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.binary(min_size=1, max_size=3000), port=st.sampled_from(["onvif", "rtsp"]))
async def test_random_bytes_never_break_the_tcp_ports(fleet, payload, port):
    await exchange(getattr(fleet.ports, port), payload, read_s=0.05)
    assert fleet.stats["errors"] == 0


async def test_the_agents_still_answer_after_garbage(fleet):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for size in (0, 1, 2, 3, 200, 4000, 60000):
            sock.sendto(os.urandom(size), (fleet.upstream_addresses[0], fleet.ports.snmp))
        sock.sendto(b"\x30\x84\xff\xff\xff\xff", (fleet.upstream_addresses[0], fleet.ports.snmp))
    assert await still_answers(fleet)
    assert fleet.stats["errors"] == 0
