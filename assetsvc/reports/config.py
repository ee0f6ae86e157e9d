"""The report's settings from data (data/report.toml): the mandatory field list and the section sizes."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from assetsvc.registry.fields import FIELDS

DEFAULT_FILE = Path(__file__).parent / "data" / "report.toml"
_KEYS = {f.key for f in FIELDS}


class ReportConfigError(ValueError):
    """The report settings are wrong; the message names the key."""


@dataclass(frozen=True)
class ReportConfig:
    mandatory: tuple[str, ...]
    mandatory_class1: tuple[str, ...]
    worst_cameras: int
    long_standing_days: float
    worst_fields: int


def _fields(raw: Any, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(k, str) for k in raw):
        raise ReportConfigError(f"{where} must be a list of field names")
    unknown = [k for k in raw if k not in _KEYS]
    if unknown:
        raise ReportConfigError(f"{where}: {unknown[0]!r} is not a camera field (one of {', '.join(sorted(_KEYS))})")
    return tuple(dict.fromkeys(raw))


def _count(raw: Any, where: str, low: float, high: float) -> Any:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not low <= raw <= high:
        raise ReportConfigError(f"{where} must be a number from {low} to {high}")
    return raw


def parse(text: str) -> ReportConfig:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ReportConfigError(f"not valid TOML: {exc}") from None
    mandatory, report = raw.get("mandatory", {}), raw.get("report", {})
    return ReportConfig(_fields(mandatory.get("fields", []), "mandatory.fields"),
                        _fields(mandatory.get("class1", []), "mandatory.class1"),
                        int(_count(report.get("worst_cameras", 20), "report.worst_cameras", 1, 500)),
                        float(_count(report.get("long_standing_days", 7), "report.long_standing_days", 0, 366)),
                        int(_count(report.get("worst_fields", 5), "report.worst_fields", 1, 50)))


@lru_cache(maxsize=1)
def current() -> ReportConfig:
    return parse(DEFAULT_FILE.read_text("utf-8"))
