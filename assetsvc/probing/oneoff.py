"""Probe one device from the shell (`assetsvc probe`) and explain the outcome to a person."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import Any, Iterable

from probes.registry import least_timeout_s, probe_fn
from probes.runner import run_probe
from probes.stream_uri import StreamLocation, stream_location
from probes.types import ErrorKind, ProbeResult, ProbeTarget

HINTS = {
    ErrorKind.TIMEOUT: "no answer in time: check power, routing and firewalls; for SNMP v2c a wrong "
                       "community also looks like this (agents stay silent)",
    ErrorKind.REFUSED: "nothing accepted the connection: check the port and that the service is "
                       "enabled on the device",
    ErrorKind.AUTH: "the device rejected the user name or password",
    ErrorKind.CLOCK: "the device clock is too far off for authenticated calls (WS-Security): fix its "
                     "time or NTP; the password may well be right",
    ErrorKind.PROTOCOL: "the device answered with something malformed or unexpected",
    ErrorKind.UNSUPPORTED: "the device does not offer this operation",
    ErrorKind.CONFIG: "the device has no stream at this path: the record's stream URI or path is wrong "
                      "(give --rtsp-path, or let --onvif report the stream)",
    ErrorKind.BUSY: "the device serves no more viewers now (RTSP 453, its session limit): others are "
                    "watching; try again later",
    ErrorKind.TRANSPORT: "the device does not offer the transport this client asks for (RTSP 461: RTP "
                         "over the RTSP connection); enable RTSP over TCP on the device",
}


STREAM_KINDS = ("rtsp", "rtsp_frame", "rtsp_continuity")


@dataclass(frozen=True)
class Plan:
    """Which probe kinds to run, in order, with the time limit of each.

    follow_onvif: the stream checks use the stream URI the ONVIF check reports (its first
    profile's: the main stream), with the port from that URI unless `keep_port`.
    """

    kinds: tuple[str, ...]
    timeout_s: float
    follow_onvif: bool = False
    keep_port: bool = False


def reported_stream(result: ProbeResult) -> StreamLocation | None:
    """The main stream's location an ONVIF deep result reports (the first profile with a stream URI)."""
    profiles = result.facts.get("profiles") if result.ok else None
    for profile in profiles or ():
        found = stream_location(profile.get("stream_uri"))
        if found is not None:
            return found
    return None


async def probe_device(target: ProbeTarget, plan: Plan) -> list[ProbeResult]:
    """Run the planned probes one after another (a person reads them in this order).

    ONVIF runs before the stream checks when both are asked, so they can use what it reports.
    """
    kinds = sorted(plan.kinds, key=lambda k: k in STREAM_KINDS) if plan.follow_onvif else plan.kinds
    results = []
    for kind in kinds:
        # The continuity check reads for a window: its own floor, whatever --timeout says.
        floor = least_timeout_s(kind, target.options)
        limit = max(plan.timeout_s, floor[0]) if floor else plan.timeout_s
        result = await run_probe(kind, probe_fn(kind), target, limit)
        results.append(result)
        location = reported_stream(result) if kind == "onvif_deep" and plan.follow_onvif else None
        if location is not None:
            port = target.rtsp_port if plan.keep_port or location.port is None else location.port
            target = replace(target, rtsp_path=location.path, rtsp_port=port)
    return results


def _facts_lines(facts: dict[str, Any], indent: str = "    ") -> Iterable[str]:
    for key, value in facts.items():
        if isinstance(value, dict):
            yield f"{indent}{key}:"
            yield from _facts_lines(value, indent + "  ")
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            yield f"{indent}{key}:"
            for item in value:
                yield f"{indent}  - " + ", ".join(f"{k}={v}" for k, v in item.items())
        else:
            yield f"{indent}{key}: {value}"


def report_lines(results: list[ProbeResult]) -> list[str]:
    """The human report: one block per probe, with the error class and a hint on failure."""
    lines = []
    for result in results:
        doc = result.to_json()
        head = f"{result.kind:<12} {'OK' if result.ok else 'FAIL'} in {doc['duration_s'] * 1000:.0f} ms"
        if not result.ok:
            head += f"  [{result.error.value}] {result.message}"
        lines.append(head)
        if not result.ok:
            lines.append(f"    hint: {HINTS[result.error]}")
        lines.extend(_facts_lines({k: v for k, v in doc["facts"].items()}))
    return lines


def run(target: ProbeTarget, plan: Plan) -> list[ProbeResult]:
    """Synchronous entry for the CLI."""
    return asyncio.run(probe_device(target, plan))
