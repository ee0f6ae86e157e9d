"""ONVIF probes: a cheap clock check (GetSystemDateAndTime) and a deep inventory read (设备信息/码流/抓图).

Options read from target.options (all optional):
  clock_skew_limit_s (300)   beyond this, an authentication failure is reported as CLOCK
  soap_max_bytes (1 MiB)     largest SOAP reply read
  soap_timeout_s (5)         per optional deep-probe operation; a hung one becomes None
  snapshot (True)            download one snapshot in the deep probe
  snapshot_max_bytes (8 MiB), snapshot_timeout_s (10), max_profiles (8)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import logging
import re
import time
from typing import Any, Awaitable, Mapping
from urllib.parse import urlsplit, urlunsplit

from probes import onvif_soap
from probes.onvif_http import HttpReply, post
from probes.runner import classify
from probes.types import Credentials, ErrorKind, ProbeError, ProbeTarget

log = logging.getLogger("probes.onvif")
DEVICE_PATH = "/onvif/device_service"
_MAC = re.compile(r"^[0-9A-Fa-f]{2}([:-]?[0-9A-Fa-f]{2}){5}$")


def _option(target: ProbeTarget, name: str, default: Any) -> Any:
    value = target.options.get(name)
    return default if value is None else value


# --- the light probe ----------------------------------------------------------------------------
async def probe_onvif_light(target: ProbeTarget) -> dict[str, Any]:
    """GetSystemDateAndTime without a token (with one only if the device insists): clock facts."""
    return await _date_time(target)


async def _date_time(target: ProbeTarget) -> dict[str, Any]:
    max_bytes = int(_option(target, "soap_max_bytes", 1 << 20))
    reply, sent_at, rtt = await _ask_time(target, None, max_bytes)
    outcome = _outcome(reply)
    needs_auth = isinstance(outcome, ProbeError) and outcome.kind is ErrorKind.AUTH
    if needs_auth:  # some firmwares demand a token even for this PRE_AUTH operation
        if target.credentials is None:
            raise ProbeError(ErrorKind.AUTH, "device demands authentication for GetSystemDateAndTime; "
                                             "no credentials set")
        reply, sent_at, rtt = await _ask_time(target, target.credentials, max_bytes)
        outcome = _outcome(reply)
        if isinstance(outcome, ProbeError) and outcome.kind is ErrorKind.AUTH:
            raise _clock_or_auth(outcome, _http_date_skew(reply, sent_at + rtt), target, {})
    if isinstance(outcome, ProbeError):
        raise outcome
    # The device reports whole seconds (it truncates): +0.5 s centres the estimate; the reading
    # was taken, on average, half a round trip after we sent.
    offset = (outcome.utc - dt.datetime.fromtimestamp(sent_at + rtt / 2, dt.timezone.utc)).total_seconds() + 0.5
    return {"device_utc": outcome.utc, "clock_offset_s": round(offset, 3), "ntp": outcome.ntp, "tz": outcome.tz,
            "dst": outcome.dst, "date_time_needs_auth": needs_auth, "rtt_ms": round(rtt * 1000, 2)}


async def _ask_time(target: ProbeTarget, credentials: Credentials | None,
                    max_bytes: int) -> tuple[HttpReply, float, float]:
    body = onvif_soap.envelope(onvif_soap.DATE_TIME_OP, credentials)
    sent_at, start = time.time(), time.perf_counter()
    reply = await post(target.host, target.onvif_port, DEVICE_PATH, body, onvif_soap.DATE_TIME_HEADERS, max_bytes)
    return reply, sent_at, time.perf_counter() - start


def _outcome(reply: HttpReply) -> onvif_soap.DeviceClock | ProbeError:
    """The device clock, or the classified reason there is none (not raised: AUTH may be retried)."""
    if reply.status == 401:
        return ProbeError(ErrorKind.AUTH, "GetSystemDateAndTime: HTTP 401")
    if reply.status == 404:
        return ProbeError(ErrorKind.UNSUPPORTED, f"no ONVIF device service at {DEVICE_PATH} (HTTP 404)")
    root = onvif_soap.parse(reply.body)
    fault = onvif_soap.find_fault(root)
    if fault is not None:
        return ProbeError(fault.kind, f"GetSystemDateAndTime: {fault.reason or fault.code or 'fault'}")
    if reply.status != 200:
        return ProbeError(ErrorKind.PROTOCOL, f"GetSystemDateAndTime: HTTP {reply.status} without a fault")
    return onvif_soap.read_date_time(root)


def _http_date_skew(reply: HttpReply, received_at: float) -> float | None:
    """Device clock minus ours from the HTTP Date header: the only clock left when auth fails."""
    try:
        when = email.utils.parsedate_to_datetime(reply.headers.get("date", ""))
    except (TypeError, ValueError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return when.timestamp() + 0.5 - received_at


def _clock_or_auth(error: ProbeError, skew: float | None, target: ProbeTarget, facts: Mapping[str, Any]) -> ProbeError:
    """An authentication failure on a device whose clock is far off is a clock problem."""
    limit = float(_option(target, "clock_skew_limit_s", 300))
    if error.kind is ErrorKind.AUTH and skew is not None and abs(skew) > limit:
        message = f"device clock is {skew:+.0f} s off (limit {limit:.0f} s); WS-Security authentication fails"
        return ProbeError(ErrorKind.CLOCK, message, {**facts, "clock_offset_s": round(skew, 3)})
    return ProbeError(error.kind, error.message, {**facts, **error.facts})


# --- the deep probe -----------------------------------------------------------------------------
async def probe_onvif_deep(target: ProbeTarget) -> dict[str, Any]:
    """Clock, identity, MACs, profiles with stream and snapshot URIs, and one snapshot (JPEG bytes)."""
    from probes.onvif_zeep import HardenedCamera, map_error  # onvif-zeep-async loads only when used

    facts = await _date_time(target)
    if target.credentials is None:
        raise ProbeError(ErrorKind.AUTH, "the deep probe needs credentials", facts)
    camera = HardenedCamera(target.host, target.onvif_port, target.credentials,
                            int(_option(target, "soap_max_bytes", 1 << 20)))
    errors: dict[str, str] = {}
    try:
        step = "GetServices/GetCapabilities"
        try:  # the first authenticated calls: their failure decides AUTH against CLOCK
            await camera.update_xaddrs()
            device = await camera.create_devicemgmt_service()
            step = "GetDeviceInformation"
            info = await device.GetDeviceInformation()
        except Exception as exc:  # noqa: BLE001 - mapped or re-raised for the runner
            mapped = map_error(exc, step)
            if mapped is None:
                raise
            raise _clock_or_auth(mapped, facts["clock_offset_s"], target, facts) from None
        facts.update({key: _text(getattr(info, attr, None)) for key, attr in (
            ("manufacturer", "Manufacturer"), ("model", "Model"), ("firmware", "FirmwareVersion"),
            ("serial", "SerialNumber"), ("hardware_id", "HardwareId"))})
        limit = float(_option(target, "soap_timeout_s", 5))
        facts["macs"] = await _optional(errors, "GetNetworkInterfaces", _macs(device), limit)
        facts["profiles"] = await _optional(errors, "GetProfiles", _profiles(camera, target, errors, limit))
        facts.update(await _snapshot(target, facts["profiles"] or [], errors))
    finally:
        await camera.close()
    facts["errors"] = errors
    return facts


async def _optional(errors: dict[str, str], operation: str, call: Awaitable[Any],
                    timeout_s: float | None = None) -> Any:
    """An optional capability: its failure (or hang past timeout_s) becomes None and errors[operation] = kind."""
    from probes.onvif_zeep import map_error

    try:
        async with asyncio.timeout(timeout_s):
            return await call
    except Exception as exc:  # noqa: BLE001 - every failure is classified, none escapes
        kind, message = classify(map_error(exc, operation) or exc)
        log.debug("optional %s failed: %s %s", operation, kind.value, message)
        errors[operation] = kind.value
        return None


async def _macs(device) -> list[str]:
    interfaces = await device.GetNetworkInterfaces()
    macs = []
    for interface in list(interfaces or [])[:16]:
        mac = _text(getattr(getattr(interface, "Info", None), "HwAddress", None))
        if mac and _MAC.match(mac):
            hexes = re.sub(r"[^0-9A-Fa-f]", "", mac).upper()
            macs.append(":".join(hexes[i:i + 2] for i in range(0, 12, 2)))
    return macs


async def _profiles(camera, target: ProbeTarget, errors: dict[str, str], limit: float) -> list[dict[str, Any]]:
    media = await camera.create_media_service()
    async with asyncio.timeout(limit):
        profiles = await media.GetProfiles()
    out = []
    for profile in list(profiles or [])[:int(_option(target, "max_profiles", 8))]:
        encoder = getattr(profile, "VideoEncoderConfiguration", None)
        resolution = getattr(encoder, "Resolution", None)
        token = _text(getattr(profile, "token", None))
        fps = _int(getattr(getattr(encoder, "RateControl", None), "FrameRateLimit", None))
        entry = {"token": token, "name": _text(getattr(profile, "Name", None)),
                 "encoding": _text(getattr(encoder, "Encoding", None)),
                 "width": _int(getattr(resolution, "Width", None)), "height": _int(getattr(resolution, "Height", None)),
                 "fps": fps if fps is not None and 0 < fps <= 1000 else None,
                 "stream_uri": None, "snapshot_uri": None}
        if token:
            setup = {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}}
            entry["stream_uri"] = await _optional(errors, "GetStreamUri", _uri(media.GetStreamUri(
                {"StreamSetup": setup, "ProfileToken": token})), limit)
            entry["snapshot_uri"] = await _optional(errors, "GetSnapshotUri", _uri(media.GetSnapshotUri(
                {"ProfileToken": token})), limit)
        out.append(entry)
    return out


async def _uri(call: Awaitable[Any]) -> str | None:
    uri = _text(getattr(await call, "Uri", None), 1024)
    if not uri:
        return None
    parts = urlsplit(uri)
    if parts.password:  # some firmwares embed the login in the URI: never report it
        parts = parts._replace(netloc=parts.netloc.rsplit("@", 1)[1])
    return urlunsplit(parts)


async def _snapshot(target: ProbeTarget, profiles: list[dict[str, Any]], errors: dict[str, str]) -> dict[str, Any]:
    from probes.onvif_zeep import fetch_snapshot

    facts: dict[str, Any] = {"snapshot": None, "snapshot_content_type": None, "snapshot_size": None,
                             "snapshot_profile": None}
    chosen = next((p for p in profiles if p.get("snapshot_uri")), None)
    if not _option(target, "snapshot", True) or chosen is None:
        return facts
    timeout_s = float(_option(target, "snapshot_timeout_s", 10))
    max_bytes = int(_option(target, "snapshot_max_bytes", 8 << 20))

    async def fetch() -> tuple[bytes, str]:
        uri = _on_target_host(chosen["snapshot_uri"], target.host)
        async with asyncio.timeout(timeout_s):
            return await fetch_snapshot(uri, target.credentials, max_bytes, timeout_s)

    got = await _optional(errors, "snapshot", fetch())
    if got is not None:
        data, content_type = got
        facts.update(snapshot=data, snapshot_content_type=content_type, snapshot_size=len(data),
                     snapshot_profile=chosen["token"])
    return facts


def _on_target_host(uri: str, host: str) -> str:
    """The URI with its host replaced by the target's: the URI comes from the device, which must not
    aim us at another machine, and cameras behind NAT advertise their LAN address."""
    parts = urlsplit(uri)
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=(f"[{host}]" if ":" in host else host) + port))


def _text(value: Any, cap: int = 256) -> str | None:
    """A device string made safe to store: no control characters, bounded length."""
    if value is None:
        return None
    return " ".join(str(value).split())[:cap] or None


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
