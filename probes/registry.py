"""Probe kind -> probe function; protocol modules register here and nowhere else."""

from __future__ import annotations

from probes.frame import probe_rtsp_frame
from probes.onvif import probe_onvif_deep, probe_onvif_light
from probes.rtsp import probe_rtsp
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
