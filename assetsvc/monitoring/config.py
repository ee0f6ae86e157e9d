"""Monitoring configuration from a TOML file: probe plans per device class, rules, limits (data, not code)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from assetsvc.monitoring.evaluate import Rules
from assetsvc.runtime import settings
from assetsvc.settings import SettingsError

PLAN_NAMES = ("light", "deep", "inventory")
WHEN_KEYS = {"subject", "protocol", "owner_class", "point_class", "upstream_kind"}


class ConfigError(SettingsError):
    """The monitoring file is wrong; the message names the file and the key."""


@dataclass(frozen=True)
class Plan:
    """One kind of check for a class: which probes, how often, with what limit."""

    name: str  # light | deep | inventory
    every_s: float
    probes: tuple[str, ...]
    timeout_s: float
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DeviceClass:
    """Devices matching `when` (all keys must match) are checked by `plans`."""

    name: str
    when: Mapping[str, Any]
    plans: Mapping[str, Plan]

    def matches(self, device: Mapping[str, Any]) -> bool:
        for key, wanted in self.when.items():
            if key == "protocol":
                if wanted not in (device.get("probe_protocols") or ()):
                    return False
            elif device.get(key) != wanted:
                return False
        return True


@dataclass(frozen=True)
class Limits:
    global_: int = 256
    per_upstream: int = 8
    per_subnet: int = 32
    batch: int = 200
    lease_s: float = 120.0
    idle_poll_s: float = 2.0


@dataclass(frozen=True)
class Backoff:
    after_failures: int = 3
    factor: float = 2.0
    max_factor: float = 4.0

    def stretch(self, failures: int) -> float:
        """The interval multiplier after `failures` consecutive failed runs (never unbounded)."""
        if failures < self.after_failures:
            return 1.0
        return min(self.max_factor, self.factor ** (failures - self.after_failures + 1))


@dataclass(frozen=True)
class MonitoringConfig:
    source: str
    rules: Mapping[str, float]
    recheck_after_s: float
    limits: Limits
    backoff: Backoff
    history_per_subject: int
    classes: tuple[DeviceClass, ...]

    def classify(self, device: Mapping[str, Any]) -> DeviceClass | None:
        """The first class whose `when` matches the device, or None (not monitored)."""
        return next((c for c in self.classes if c.matches(device)), None)

    def state_rules(self):
        """The confirmation rules as the evaluator's Rules."""
        return Rules(**self.rules)

    def light_every_s(self) -> float:
        """The shortest light interval of any class (the staleness and cycle yardstick)."""
        return min((c.plans["light"].every_s for c in self.classes if "light" in c.plans), default=300.0)


def _number(table: Mapping[str, Any], key: str, where: str, default: float, low: float, high: float,
            cast: type = float) -> Any:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{where}.{key} = {value!r} is not a number")
    if cast is int and value != int(value):
        raise ConfigError(f"{where}.{key} = {value!r} is not a whole number")
    if not low <= value <= high:
        raise ConfigError(f"{where}.{key} = {value} is outside {low}..{high}")
    return cast(value)


def _plan(name: str, raw: Any, where: str) -> Plan:
    from probes.registry import PROBES, least_timeout_s

    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where} must be a table like {{ every = 300, probes = [...], timeout = 5 }}")
    unknown = set(raw) - {"every", "probes", "timeout", "options"}
    if unknown:
        raise ConfigError(f"{where}: unknown keys {sorted(unknown)}")
    probes = raw.get("probes")
    if not isinstance(probes, list) or not probes or not all(isinstance(p, str) for p in probes):
        raise ConfigError(f"{where}.probes must be a non-empty list of probe kinds")
    bad = [p for p in probes if p not in PROBES]
    if bad:
        raise ConfigError(f"{where}.probes: unknown probe kinds {bad}; known: {', '.join(sorted(PROBES))}")
    options = raw.get("options", {})
    if not isinstance(options, Mapping):
        raise ConfigError(f"{where}.options must be a table")
    if "scene_change" in options and not isinstance(options["scene_change"], bool):
        # false: the class's cameras are turned by people (pan-tilt), a new view is no fault; true: judged
        # whatever the registered camera type; absent: by the type (球机, 遥控枪机 turn; targets.turns)
        raise ConfigError(f"{where}.options.scene_change = {options['scene_change']!r} must be true or false")
    timeout = _number(raw, "timeout", where, 5, 0.1, 600)
    for kind in probes:
        # The same floor as the one-off CLI's (probes.registry): below it every check of this kind
        # is cut off and healthy cameras fail with stream:timeout, which opens tickets.
        floor = least_timeout_s(kind, options)
        if floor is not None and timeout < floor[0]:
            raise ConfigError(f"{where}.timeout = {timeout:g} s is shorter than {kind} can take: at least "
                              f"{floor[0]:g} s ({floor[1]}), or every {kind} check times out")
    return Plan(name, _number(raw, "every", where, 300, 1, 30 * 86400), tuple(probes), timeout, dict(options))


def _vendor_paths(raw: Any) -> dict[str, str]:
    """[vendor_paths]: registered vendor (a part of it, any case) -> default stream path of its cameras."""
    from probes.stream_uri import stream_location

    if not isinstance(raw, Mapping):
        raise ConfigError("[vendor_paths] must be a table of vendor = \"/path\"")
    for name, path in raw.items():
        if not isinstance(path, str) or not path.startswith("/") or stream_location(path) is None:
            raise ConfigError(f"vendor_paths.{name} = {path!r} is not a stream path starting with /")
    return dict(raw)


def _classes(raw: Any, vendor_paths: Mapping[str, str] | None = None) -> tuple[DeviceClass, ...]:
    if not isinstance(raw, list):
        raise ConfigError("[[class]] must be an array of tables")
    classes = []
    for n, item in enumerate(raw, 1):
        where = f"class #{n} ({item.get('name', '?')})" if isinstance(item, Mapping) else f"class #{n}"
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            raise ConfigError(f"{where} needs a name")
        when = item.get("when", {})
        if not isinstance(when, Mapping) or set(when) - WHEN_KEYS:
            raise ConfigError(f"{where}.when: keys must be among {sorted(WHEN_KEYS)}")
        unknown = set(item) - {"name", "when", *PLAN_NAMES}
        if unknown:
            raise ConfigError(f"{where}: unknown keys {sorted(unknown)}")
        plans = {p: _plan(p, item[p], f"{where}.{p}") for p in PLAN_NAMES if p in item}
        if vendor_paths:  # a plan's own options.vendor_paths replaces the file's table
            plans = {p: replace(plan, options={"vendor_paths": vendor_paths, **plan.options})
                     for p, plan in plans.items()}
        classes.append(DeviceClass(item["name"], dict(when), plans))
    return tuple(classes)


def parse(text: str, source: str) -> MonitoringConfig:
    """Validate a monitoring TOML document; ConfigError names the key at fault."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML ({exc})") from None
    try:
        rules = dict(doc.get("rules", {}))
        recheck = _number(rules, "recheck_after_s", "rules", 60, 1, 86400)
        rules.pop("recheck_after_s", None)
        try:
            Rules(**rules)
        except TypeError as exc:
            raise ConfigError(f"rules: {exc}") from None
        for key, value in rules.items():
            _number(rules, key, "rules", value, 0, 10 * 86400)
        lim = doc.get("limits", {})
        limits = Limits(
            _number(lim, "global", "limits", 256, 1, 100_000, int),
            _number(lim, "per_upstream", "limits", 8, 1, 10_000, int),
            _number(lim, "per_subnet", "limits", 32, 1, 10_000, int),
            _number(lim, "batch", "limits", 200, 1, 10_000, int),
            _number(lim, "lease_s", "limits", 120, 1, 86400),
            _number(lim, "idle_poll_s", "limits", 2, 0.05, 600))
        back = doc.get("backoff", {})
        backoff = Backoff(_number(back, "after_failures", "backoff", 3, 1, 1000, int),
                          _number(back, "factor", "backoff", 2, 1, 100),
                          _number(back, "max_factor", "backoff", 4, 1, 1000))
        history = _number(doc.get("history", {}), "per_subject", "history", 20, 1, 1000, int)
        classes = _classes(doc.get("class", []), _vendor_paths(doc.get("vendor_paths", {})))
        _check_staleness(rules, backoff, classes)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    return MonitoringConfig(source, rules, recheck, limits, backoff, history, classes)


def _check_staleness(rules: Mapping[str, Any], backoff: Backoff, classes: tuple[DeviceClass, ...]) -> None:
    """A device on full back-off must still be heard from before it counts as stale (unknown)."""
    stale_after = rules.get("stale_after_s", Rules.stale_after_s)
    for device_class in classes:
        light = device_class.plans.get("light")
        if light is None:
            continue
        longest = light.every_s * backoff.max_factor + light.timeout_s
        if stale_after <= longest:
            raise ConfigError(
                f"rules.stale_after_s = {stale_after} must exceed the longest gap between light checks "
                f"of class {device_class.name!r} ({light.every_s:g} s x backoff.max_factor "
                f"{backoff.max_factor:g} + timeout = {longest:g} s), or failing devices turn unknown")


def default_text() -> str:
    """The shipped monitoring.toml."""
    return resources.files("assetsvc.monitoring").joinpath("monitoring.toml").read_text("utf-8")


@lru_cache(maxsize=4)
def load(path: str | None) -> MonitoringConfig:
    """The configuration from `path` (ASSETSVC_MONITORING_CONFIG), or the shipped default."""
    if path is None:
        return parse(default_text(), "built-in monitoring.toml")
    file = Path(path)
    try:
        text = file.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"ASSETSVC_MONITORING_CONFIG={path}: cannot read it ({exc})") from None
    return parse(text, str(file))


def current() -> MonitoringConfig:
    """This process's configuration (ASSETSVC_MONITORING_CONFIG or the built-in file)."""
    return load(settings().monitoring_config)
