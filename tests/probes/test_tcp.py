"""Reachability probe and the runner's timeout, timing and classification."""

from __future__ import annotations

import asyncio
import socket

from probes.registry import probe_fn
from probes.runner import run_probe
from probes.types import ErrorKind, ProbeTarget


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_open_port_is_reachable_with_connect_time():
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        target = ProbeTarget("127.0.0.1", options={"ports": [port]})
        result = await run_probe("tcp", probe_fn("tcp"), target, 2.0)
    assert result.ok and port in result.facts["connect_ms"]


async def test_closed_port_is_refused():
    target = ProbeTarget("127.0.0.1", options={"ports": [free_port()]})
    result = await run_probe("tcp", probe_fn("tcp"), target, 2.0)
    assert (result.ok, result.error) == (False, ErrorKind.REFUSED)


async def test_hung_probe_ends_as_timeout_within_the_limit():
    async def hang(target):
        await asyncio.sleep(30)

    result = await run_probe("hang", hang, ProbeTarget("127.0.0.1"), 0.2)
    assert result.error is ErrorKind.TIMEOUT and result.duration_s < 2


async def test_unexpected_exception_is_a_protocol_error_not_a_crash():
    async def broken(target):
        raise KeyError("surprise")

    result = await run_probe("broken", broken, ProbeTarget("127.0.0.1"), 1.0)
    assert result.error is ErrorKind.PROTOCOL and "KeyError" in result.message
