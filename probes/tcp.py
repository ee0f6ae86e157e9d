"""Reachability: a TCP connect to each of the target's management and stream ports."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from probes.types import ErrorKind, ProbeError, ProbeTarget


async def _connect(host: str, port: int) -> float:
    start = time.perf_counter()
    _, writer = await asyncio.open_connection(host, port)
    elapsed = time.perf_counter() - start
    writer.close()
    try:
        await writer.wait_closed()
    except OSError:
        pass  # a reset on close says nothing about reachability
    return elapsed


async def probe_tcp(target: ProbeTarget) -> dict[str, Any]:
    """Connect to the ports listed in options['ports'] (default ONVIF and RTSP); all must accept."""
    ports = list(target.options.get("ports") or (target.onvif_port, target.rtsp_port))
    results = await asyncio.gather(*(_connect(target.host, p) for p in ports), return_exceptions=True)
    open_ports = {p: round(r * 1000, 2) for p, r in zip(ports, results) if isinstance(r, float)}
    failed = [(p, r) for p, r in zip(ports, results) if not isinstance(r, float)]
    if failed:
        port, exc = failed[0]
        if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
            raise exc
        raise ProbeError(ErrorKind.REFUSED, f"port {port}: {exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__}",
                         {"connect_ms": open_ports, "closed_ports": [p for p, _ in failed]})
    return {"connect_ms": open_ports}
