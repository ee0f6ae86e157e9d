"""Registry drift (一机一档 vs the device): identity the device reports differs, or it answers at another's address.

Pure functions over plain values. An empty or placeholder value on either side is unknown, never
drift: a registry without a serial, or a camera that does not report its MACs, proves nothing.
Comparisons ignore case, whitespace and full-width forms; models also ignore separators
(-, _, /, .) and match when one contains the other, because offices often register a model without
the vendor prefix or hyphens ("DS2CD3T46WDI3" for "HIKVISION DS-2CD3T46WD-I3").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Collection, Iterable, Mapping

from assetsvc.registry.normalize import to_halfwidth

SHOWN_MAX = 200  # width of DriftFlag.expected / reported
# Flag kinds that are a configuration problem of the record rather than a different device: listed
# for the office with the drift flags, never a ticket. stream_path: the stream answered 404/454.
CONFIG_KINDS = frozenset({"stream_path"})
_SPACE = re.compile(r"\s+")
_MODEL_SEPARATORS = re.compile(r"[\s\-_/.]+")
_MAC_SEPARATORS = re.compile(r"[\s:\-.]+")
_HEX12 = re.compile(r"[0-9A-F]{12}")
# Serials cheap firmwares report instead of their own: shared by many devices, so no identity.
_PLACEHOLDER_SERIALS = frozenset({"NA", "N/A", "NONE", "NULL", "UNKNOWN", "DEFAULT", "SERIAL", "SN",
                                  "0123456789", "123456789", "1234567890", "ABCDEF"})


@dataclass(frozen=True)
class Drift:
    """One identity field that differs: as registered, and as the device reports it."""

    kind: str  # serial | model | mac
    expected: str
    reported: str


def _plain(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    return _SPACE.sub(" ", to_halfwidth(value)).strip()


def serial_key(value: Any) -> str | None:
    """A serial for comparison (upper case, no whitespace); None when blank or a placeholder."""
    key = _SPACE.sub("", _plain(value)).upper()
    if not key or key in _PLACEHOLDER_SERIALS or len(set(key)) == 1:  # "0000000", "-", "XXXX"
        return None
    return key


def model_key(value: Any) -> str | None:
    """A model for comparison (upper case, no separators); None when blank."""
    return _MODEL_SEPARATORS.sub("", _plain(value)).upper() or None


def mac_key(value: Any) -> str | None:
    """AA:BB:CC:DD:EE:FF from aa:bb.., AA-BB-.., aabb.ccdd.eeff or bare hex; None when not a usable MAC
    (blank, malformed, all zeros, broadcast or multicast: none identifies one device)."""
    digits = _MAC_SEPARATORS.sub("", _plain(value)).upper()
    if not _HEX12.fullmatch(digits) or len(set(digits)) == 1 or int(digits[1], 16) & 1:
        return None
    return ":".join(digits[i:i + 2] for i in range(0, 12, 2))


def _macs(value: Any) -> list[str]:
    items = [value] if isinstance(value, str) else list(value)[:64] if isinstance(value, (list, tuple)) else []
    return list(dict.fromkeys(k for k in map(mac_key, items) if k))


def _shown(value: Any) -> str:
    return _plain(value)[:SHOWN_MAX]


def identity_drift(registry: Mapping[str, Any], reported: Mapping[str, Any]) -> list[Drift]:
    """Serial, model and MAC as registered vs as reported by onvif_deep (serial, model, macs)."""
    registry = registry if isinstance(registry, Mapping) else {}
    reported = reported if isinstance(reported, Mapping) else {}
    out = []
    expected, got = serial_key(registry.get("serial")), serial_key(reported.get("serial"))
    if expected and got and expected != got:
        out.append(Drift("serial", _shown(registry["serial"]), _shown(reported["serial"])))
    expected, got = model_key(registry.get("model")), model_key(reported.get("model"))
    if expected and got and expected not in got and got not in expected:
        out.append(Drift("model", _shown(registry["model"]), _shown(reported["model"])))
    mac, macs = mac_key(registry.get("mac")), _macs(reported.get("macs"))
    if mac and macs and mac not in macs:  # a device may have several interfaces: one must match
        out.append(Drift("mac", mac, ", ".join(macs)[:SHOWN_MAX]))
    return out


def identity_keys(serial: Any, mac: Any) -> list[str]:
    """Index keys of one registry row ("serial:<key>", "mac:<key>"), for `build_index`."""
    keys = []
    if serial_key(serial):
        keys.append(f"serial:{serial_key(serial)}")
    if mac_key(mac):
        keys.append(f"mac:{mac_key(mac)}")
    return keys


def build_index(rows: Iterable[tuple[int, Any, Any]]) -> dict[str, set[int]]:
    """Registry serials and MACs -> camera ids, from (camera_id, serial, mac) rows."""
    index: dict[str, set[int]] = {}
    for camera_id, serial, mac in rows:
        for key in identity_keys(serial, mac):
            index.setdefault(key, set()).add(camera_id)
    return index


def address_conflict(camera_id: int, reported: Mapping[str, Any],
                     index: Mapping[str, Collection[int]]) -> int | None:
    """The other camera whose registered serial (else MAC) the device at this camera's address reports.

    The serial decides when it is registered anywhere: a device reporting this camera's own serial
    is this camera whatever its MACs. A key registered for several other cameras (duplicates in
    the registry) names no one camera, so it gives no answer.
    """
    reported = reported if isinstance(reported, Mapping) else {}
    serial = serial_key(reported.get("serial"))
    candidates = [f"serial:{serial}"] if serial else []
    candidates += [f"mac:{m}" for m in _macs(reported.get("macs"))]
    for key in candidates:
        owners = set(index.get(key) or ())
        if camera_id in owners:
            return None
        if len(owners) == 1:
            return owners.pop()
    return None
