"""Probe targets for claimed tasks: addresses, ports, decrypted credentials and concurrency keys."""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from typing import Any, Iterable

from assetsvc import bulk
from assetsvc.monitoring import streams
from assetsvc.monitoring.subjects import camera_match, upstream_match
from assetsvc.registry.camera_types import camera_types, turns as type_turns
from assetsvc.registry.tables import Camera
from assetsvc.registry.keycheck import verified_vault
from assetsvc.secrets import KeyError_
from probes.types import Credentials, ProbeTarget

log = logging.getLogger("assetsvc.monitoring")


@dataclass(frozen=True)
class Subject:
    """A device as the executor needs it: how to reach it and which limits it counts against."""

    subject_type: str
    subject_id: int
    host: str | None
    ports: dict[str, int]
    credentials: Credentials | None
    upstream: int | None  # the upstream device whose link the probe traffic shares
    subnet: str | None  # the /24 (IPv4) or /64 (IPv6), for the per-subnet limit
    match: dict[str, Any]  # attributes device classes match on
    registry: dict[str, Any]  # identity as registered (drift checks)
    state: str = "unknown"  # measured state when claimed
    stream_uri: str = ""  # the stream URI or path the registry gives (取流地址), "" when none
    vendor: str = ""  # as registered: picks the class's vendor default stream path
    reported: streams.Reported | None = None  # the URIs ONVIF last reported
    camera_type: int | None = None  # 摄像机类型 as registered (registry.camera_types): 球机, 遥控枪机 turn


def subnet_of(host: str | None) -> str | None:
    """The /24 of an IPv4 address or /64 of an IPv6 one; None for anything else."""
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return None
    prefix = 24 if address.version == 4 else 64
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


async def _secrets(ids: set[int]) -> dict[int, Credentials]:
    rows = await bulk.fetch_in(Camera, "SELECT id, username, secret FROM credential WHERE id IN ({in})", ids)
    found: dict[int, Credentials] = {}
    if not rows:
        return found
    try:
        vault = await verified_vault()
    except KeyError_ as exc:  # a wrong key: probe without credentials rather than not at all
        log.error("device credentials cannot be opened: %s", exc)
        return found
    for row in rows:
        try:
            found[row["id"]] = Credentials(row["username"], vault.decrypt(row["secret"]))
        except Exception as exc:  # noqa: BLE001 - a bad token must not stop the other probes
            log.warning("credential %s cannot be decrypted (%s); probing without it", row["id"],
                        type(exc).__name__)
    return found


async def load(keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], Subject]:
    """The subjects for (subject_type, subject_id) keys; deleted ones are simply absent."""
    keys = set(keys)
    cams = await bulk.fetch_in(Camera, """
        SELECT c.id, c.ipv4, c.ipv6, c.ports, c.credential, c.upstream, c.probe_protocols, c.point_class,
               c.serial, c.model, c.mac, c.vendor, c.stream_uri, o.owner_class
        FROM camera c LEFT JOIN owner o ON o.id = c.owner WHERE c.id IN ({in})""",
                               [i for t, i in keys if t == "camera"])
    ups = await bulk.fetch_in(Camera, "SELECT id, kind, ipv4, parent, credential, model, mac FROM upstream_device "
                              "WHERE id IN ({in})", [i for t, i in keys if t == "upstream"])
    states = await _states(keys)
    creds = await _secrets({r["credential"] for r in [*cams, *ups] if r["credential"] is not None})
    reported = await streams.load(r["id"] for r in cams)
    types = await camera_types(r["id"] for r in cams)
    found: dict[tuple[str, int], Subject] = {}
    for row in cams:
        host = row["ipv4"] or row["ipv6"]
        found[("camera", row["id"])] = Subject(
            "camera", row["id"], host, bulk.json_column(row["ports"], {}), creds.get(row["credential"]),
            row["upstream"], subnet_of(host), camera_match(row),
            {"serial": row["serial"], "model": row["model"], "mac": row["mac"], "ipv4": row["ipv4"]},
            states.get(("camera", row["id"]), "unknown"), row["stream_uri"] or "", row["vendor"] or "",
            reported.get(row["id"]), types.get(row["id"]))
    for row in ups:
        found[("upstream", row["id"])] = Subject(
            "upstream", row["id"], row["ipv4"], {}, creds.get(row["credential"]), row["parent"],
            subnet_of(row["ipv4"]), upstream_match(row),
            {"model": row["model"], "mac": row["mac"], "ipv4": row["ipv4"]},
            states.get(("upstream", row["id"]), "unknown"))
    return found


async def _states(keys: set[tuple[str, int]]) -> dict[tuple[str, int], str]:
    found: dict[tuple[str, int], str] = {}
    for subject_type in ("camera", "upstream"):
        rows = await bulk.fetch_in(Camera, "SELECT subject_id, state FROM device_state WHERE subject_type = ? "
                                   "AND subject_id IN ({in})", [i for t, i in keys if t == subject_type],
                                   [subject_type])
        found.update({(subject_type, r["subject_id"]): r["state"] for r in rows})
    return found


def _port(ports: dict[str, Any], name: str, default: int) -> int:
    """A registered port, or the protocol's default when the record holds none or nonsense."""
    value = ports.get(name, default) if isinstance(ports, dict) else default
    return value if isinstance(value, int) and 0 < value < 65536 else default


def options_for(kind: str, options: dict[str, Any]) -> dict[str, Any]:
    """A plan's options as one probe kind sees them: the continuity check reads the sub stream
    (options.continuity_stream, default "sub"; "main" for the main stream)."""
    if kind == "rtsp_continuity":
        return {**options, "stream": options.get("continuity_stream", "sub")}
    return options


def turns(subject: Subject, options: dict[str, Any]) -> bool:
    """Whether the picture check treats this subject as a camera people turn (pan-tilt): its view
    may change without a fault (probes.iq_memory.judge's `turns`). A plan's `options.scene_change`
    decides when set (false: never judged, for a class of pan-tilt cameras whose types the registry
    does not give; true: always, for domes that are never turned); else the registered camera type
    (球机, 遥控枪机)."""
    wanted = options.get("scene_change")
    if isinstance(wanted, bool):
        return not wanted
    return subject.subject_type == "camera" and type_turns(subject.camera_type)


def stream_choice(subject: Subject, options: dict[str, Any]) -> streams.StreamChoice:
    """The stream this subject's checks use with these plan options (monitoring/streams.py)."""
    return streams.choose(subject.stream_uri, subject.reported, options, subject.vendor)


def target(subject: Subject, options: dict[str, Any]) -> ProbeTarget:
    """The probe target of a subject with a plan's options."""
    # A plan's `default_ports` fill in ports the record does not give (upstream devices have none;
    # a fleet on non-standard ports, like the simulator's, sets them once per class).
    defaults = options.get("default_ports") if isinstance(options.get("default_ports"), dict) else {}
    registered = subject.ports if isinstance(subject.ports, dict) else {}
    ports = {**defaults, **registered}
    onvif = _port(ports, "onvif", 80)
    stream = stream_choice(subject, options)
    if stream.declared_fps:  # ONVIF's FrameRateLimit for this stream: a cap, weighed against the stream's own
        options = {**options, "onvif_fps_limit": stream.declared_fps}
    # The RTSP port the record gives wins (behind NAT the device reports its inside port); else
    # the one in the stream's URI, else the class default, else 554.
    rtsp = _port(registered, "rtsp", 0) or stream.port or _port(ports, "rtsp", 554)
    return ProbeTarget(
        host=subject.host or "",
        onvif_port=onvif,
        rtsp_port=rtsp,
        snmp_port=_port(ports, "snmp", 161),
        http_port=_port(ports, "http", onvif),
        credentials=subject.credentials,
        snmp_community=str(options.get("snmp_community", "public")),
        rtsp_path=stream.path,
        options=options,
    )
