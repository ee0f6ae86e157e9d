"""Runs one WS-Discovery round inside a test namespace and prints the report as JSON.

    ip netns exec NS python -m tests.fakes.wsd_run --interface 198.18.0.1 --timeout 1 --known 198.18.0.11
With --fetch, each XAddr found is also asked GetSystemDateAndTime (proves the address is real).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import httpx

from probes.runner import run_probe
from probes.types import ProbeTarget
from probes.wsdiscovery import diff_against, probe_wsdiscovery, ws_discover_report

_DATE_TIME = ('<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">'
              '<s:Body><GetSystemDateAndTime xmlns="http://www.onvif.org/ver10/device/wsdl"/></s:Body></s:Envelope>')


async def _fetch(xaddrs: list[str]) -> dict[str, int | str]:
    answers: dict[str, int | str] = {}
    async with httpx.AsyncClient(timeout=3.0, trust_env=False) as client:
        for xaddr in xaddrs:
            try:
                reply = await client.post(xaddr, content=_DATE_TIME,
                                          headers={"Content-Type": "application/soap+xml; charset=utf-8"})
                answers[xaddr] = reply.status_code if b"GetSystemDateAndTimeResponse" in reply.content else "no answer"
            except httpx.HTTPError as exc:
                answers[xaddr] = type(exc).__name__
    return answers


async def run(args: argparse.Namespace) -> dict:
    if args.as_probe:  # through the probe kind and the runner, as the worker would call it
        target = ProbeTarget(args.interface, options={"timeout_s": args.timeout, "types": args.types, "known": args.known})
        result = await run_probe("wsdiscovery", probe_wsdiscovery, target, args.timeout + 2)
        return result.to_json()
    start = time.monotonic()
    report = await ws_discover_report(args.interface, timeout_s=args.timeout, types=args.types or None)
    wall_s = time.monotonic() - start
    diff = diff_against(report.found, args.known)
    out = {
        "found": [d.to_json() for d in report.found], "wall_s": wall_s,
        "counts": {k: getattr(report, k) for k in ("datagrams", "invalid", "unrelated", "oversized", "duplicates")},
        "truncated": report.truncated,
        "unknown": [d.address for d in diff.unknown], "missing": diff.missing,
    }
    if args.fetch:
        out["fetched"] = await _fetch([x for d in report.found for x in d.xaddrs])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interface", required=True)
    parser.add_argument("--timeout", type=float, default=1.0)
    parser.add_argument("--types", default="dn:NetworkVideoTransmitter")
    parser.add_argument("--known", action="append", default=[])
    parser.add_argument("--fetch", action="store_true")
    parser.add_argument("--as-probe", action="store_true", help="run the wsdiscovery probe kind and print its result")
    print(json.dumps(asyncio.run(run(parser.parse_args()))))


if __name__ == "__main__":
    main()
