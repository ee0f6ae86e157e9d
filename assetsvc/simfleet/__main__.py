"""`python -m assetsvc.simfleet --count N --seed S`: run a simulated fleet until SIGINT or SIGTERM.

Prints what it serves, then one JSON line starting with "ready " (ports, address ranges, start-up
time, memory) that a benchmark or demo in another process can wait for and read.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import resource
import signal
import sys
import time

from assetsvc.simfleet.fleet import Fleet, Ports
from assetsvc.simfleet.scenarios import NO_FAULTS, Mix


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m assetsvc.simfleet", description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="cameras (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="seed of identities and the fault script")
    parser.add_argument("--faults", choices=("mix", "none"), default="mix",
                        help="mix: the default scripted fault mix; none: every device healthy")
    parser.add_argument("--horizon", type=float, default=3600.0, help="seconds after which the script repeats")
    parser.add_argument("--per-upstream", type=int, default=16, help="cameras per switch or encoder")
    parser.add_argument("--onvif-port", type=int, default=Ports.onvif)
    parser.add_argument("--rtsp-port", type=int, default=Ports.rtsp)
    parser.add_argument("--snmp-port", type=int, default=Ports.snmp)
    parser.add_argument("--stats-every", type=float, default=0.0, help="print request counts every N s (0: never)")
    return parser.parse_args(argv)


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


async def _serve(args: argparse.Namespace) -> None:
    began = time.perf_counter()
    fleet = Fleet(args.count, seed=args.seed, mix=Mix() if args.faults == "mix" else NO_FAULTS,
                  horizon_s=args.horizon, per_upstream=args.per_upstream,
                  ports=Ports(args.onvif_port, args.rtsp_port, args.snmp_port))
    await fleet.start()
    started_s = time.perf_counter() - began
    layout = fleet.layout
    faults = collections.Counter("dead upstream" if layout.upstream_index(address) is not None
                                 else episodes[0].condition.fault.value
                                 for address, episodes in fleet.script.items())
    print(f"simfleet: {layout.count} cameras {fleet.addresses[0]}..{fleet.addresses[-1]} "
          f"(ONVIF :{fleet.ports.onvif}, RTSP :{fleet.ports.rtsp}), {layout.upstream_count} switches/encoders "
          f"{fleet.upstream_addresses[0]}..{fleet.upstream_addresses[-1]} (SNMP v2c :{fleet.ports.snmp}, "
          f"community {fleet.community.decode()})", flush=True)
    print(f"login {fleet.username} / {fleet.password}; scripted episodes: {dict(faults) or 'none'}")
    for drift in fleet.drifts():
        print(f"drift {drift.kind} at {drift.address}: registry {drift.registry}, device {drift.device}")
    print("ready " + json.dumps({"pid": os.getpid(), "ports": fleet.ports.__dict__, "count": layout.count,
                                 "upstream": layout.upstream_count, "start_s": round(started_s, 3),
                                 "rss_mb": round(_rss_mb(), 1), "epoch": fleet.epoch}), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), args.stats_every or None)
            except TimeoutError:
                print("stats " + json.dumps(dict(fleet.stats)), flush=True)
    finally:
        await fleet.stop()
    print("simfleet stopped " + json.dumps(dict(fleet.stats)), flush=True)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    try:
        asyncio.run(_serve(args))
    except OSError as exc:  # a port in use, or SO_BINDTODEVICE refused (Linux before 5.7 needs CAP_NET_RAW)
        print(f"simfleet: cannot listen: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
