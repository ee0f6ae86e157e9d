"""Simulated camera fleet on loopback (仿真设备群) for the demo, benchmarks and tests; see docs/simfleet.md."""

from assetsvc.simfleet.fleet import Fleet, Ports
from assetsvc.simfleet.layout import Drift, Identity, Layout, Upstream
from assetsvc.simfleet.scenarios import NO_FAULTS, Condition, Episode, Fault, Mix, plan

__all__ = ["Condition", "Drift", "Episode", "Fault", "Fleet", "Identity", "Layout", "Mix", "NO_FAULTS", "Ports",
           "Upstream", "plan"]
