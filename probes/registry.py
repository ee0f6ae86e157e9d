"""Probe kind -> probe function; protocol modules register here and nowhere else."""

from __future__ import annotations

from typing import Any, Mapping

from probes.frame import probe_rtsp_frame
from probes.onvif import probe_onvif_deep, probe_onvif_light
from probes.rtsp import probe_rtsp
from probes.rtsp_continuity import Rules as ContinuityRules
from probes.rtsp_continuity import probe_rtsp_continuity
from probes.snmp import probe_snmp, probe_snmp_light
from probes.runner import ProbeFn
from probes.tcp import probe_tcp
from probes.wsdiscovery import probe_wsdiscovery

PROBES: dict[str, ProbeFn] = {
    "tcp": probe_tcp,
    "onvif_light": probe_onvif_light,
    "onvif_deep": probe_onvif_deep,
    "wsdiscovery": probe_wsdiscovery,
    "rtsp": probe_rtsp,
    "rtsp_frame": probe_rtsp_frame,
    "rtsp_continuity": probe_rtsp_continuity,
    "snmp": probe_snmp,
    "snmp_light": probe_snmp_light,
}


def probe_fn(kind: str) -> ProbeFn:
    """The function for a probe kind; KeyError names the known kinds."""
    try:
        return PROBES[kind]
    except KeyError:
        raise KeyError(f"unknown probe kind {kind!r}; known: {', '.join(sorted(PROBES))}") from None


def least_timeout_s(kind: str, options: Mapping[str, Any]) -> tuple[float, str] | None:
    """The shortest time limit under which `kind` can finish on a healthy device with these options,
    and how it is made up; None when the kind has no floor of its own.

    The continuity check reads a stream for a window: cut off before its worst case, every camera
    fails with a timeout (a stream fault on healthy cameras). The CLI raises its limit to this
    floor; a monitoring plan below it is refused at load.
    """
    if kind == "rtsp_continuity":
        rules = ContinuityRules.of(options)
        return rules.budget_s, (f"continuity_window_s {rules.window_s:g} + 2 x continuity_open_s {rules.open_s:g} "
                                f"+ continuity_stall_gap_s {rules.stall_gap_s:g} + 0.5 + 1 for TEARDOWN")
    return None
