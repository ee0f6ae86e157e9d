"""Ticket rules as data (tickets.toml): grace periods, reboot loops, verification, escalation, severity.

The built-in file is replaced as a whole by ASSETSVC_TICKETS_CONFIG; a wrong file raises DataError
naming the key, so start-up stops instead of running on half a configuration. Working days come from
the chinesecalendar package plus the notices in ASSETSVC_CALENDAR_DIR (one <year>.toml each).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from assetsvc.monitoring.service import REBOOT_MEMORY_S
from assetsvc.tickets.calendar import DataError, WorkingDays, data_list, data_table, data_text, load_notice, read_document
from assetsvc.tickets.sla import parse_duration

BUILT_IN = Path(__file__).with_name("tickets.toml")
FAULTS = ("down", "stream", "picture", "clock", "reboot_loop", "drift")
MANUAL = "manual"  # the fault kind of a ticket the office opens by hand
SUBJECTS = ("camera", "upstream")
OWNER_CLASSES = ("police", "government", "social")


@dataclass(frozen=True)
class SeverityRule:
    name: str
    severity: str
    subject: str | None = None
    faults: frozenset[str] = frozenset()
    point_classes: frozenset[int] = frozenset()
    key_categories: frozenset[str] = frozenset()
    owner_classes: frozenset[str] = frozenset()
    affected_min: int | None = None

    def matches(self, point: Mapping[str, Any]) -> bool:
        """`point`: subject, fault, point_class, key_category, owner_class, affected."""
        return ((self.subject is None or point.get("subject") == self.subject)
                and (not self.faults or point.get("fault") in self.faults)
                and (not self.point_classes or point.get("point_class") in self.point_classes)
                and (not self.key_categories or point.get("key_category") in self.key_categories)
                and (not self.owner_classes or point.get("owner_class") in self.owner_classes)
                and (self.affected_min is None or (point.get("affected") or 0) >= self.affected_min))


@dataclass(frozen=True)
class TicketsConfig:
    grace_s: Mapping[str, int]
    reboots: int
    reboot_window_s: int
    verify_timeout_s: int
    escalate_after_s: int
    severity: tuple[SeverityRule, ...]

    def severity_of(self, point: Mapping[str, Any]) -> tuple[str, str]:
        """(severity, the name of the rule that gave it)."""
        rule = next(r for r in self.severity if r.matches(point))
        return rule.severity, rule.name


def _grace(raw: Any, where: str) -> int:
    if isinstance(raw, str) and raw.strip() in ("0", "0s", "0m", "0h"):
        return 0
    return parse_duration(raw, where)


def _set(raw: Any, where: str, kind: type, allowed: tuple | None = None) -> frozenset:
    items = data_list(raw, where)
    if not items:
        raise DataError(f"{where}: leave it out to match everything")
    for item in items:
        if isinstance(item, bool) or not isinstance(item, kind) or (allowed and item not in allowed):
            hint = f"one of {', '.join(map(str, allowed))}" if allowed else f"a {kind.__name__}"
            raise DataError(f"{where}: {item!r} must be {hint}")
    return frozenset(items)


def _severity_rule(raw: Any, where: str) -> SeverityRule:
    item = data_table(raw, where, {"name", "severity"},
                      {"subject", "faults", "point_classes", "key_categories", "owner_classes", "affected_min"})
    name = data_text(item["name"], f"{where}.name")
    where = f"{where} ({name})"
    fields: dict[str, Any] = {"name": name, "severity": data_text(item["severity"], f"{where}.severity")}
    if "subject" in item:
        if item["subject"] not in SUBJECTS:
            raise DataError(f"{where}.subject = {item['subject']!r} must be camera or upstream")
        fields["subject"] = item["subject"]
    if "faults" in item:
        fields["faults"] = _set(item["faults"], f"{where}.faults", str, (*FAULTS, MANUAL))
    if "point_classes" in item:
        fields["point_classes"] = _set(item["point_classes"], f"{where}.point_classes", int, (1, 2, 3, 4, 9))
    if "key_categories" in item:
        fields["key_categories"] = _set(item["key_categories"], f"{where}.key_categories", str)
    if "owner_classes" in item:
        fields["owner_classes"] = _set(item["owner_classes"], f"{where}.owner_classes", str, OWNER_CLASSES)
    if "affected_min" in item:
        most = item["affected_min"]
        if isinstance(most, bool) or not isinstance(most, int) or most < 1:
            raise DataError(f"{where}.affected_min = {most!r} must be a whole number >= 1")
        fields["affected_min"] = most
    return SeverityRule(**fields)


def parse(raw: Any, source: str) -> TicketsConfig:
    try:
        doc = data_table(raw, "tickets", {"grace", "reboot_loop", "verify", "escalation", "severity"})
        grace_table = data_table(doc["grace"], "grace", FAULTS)
        grace = {kind: _grace(grace_table[kind], f"grace.{kind}") for kind in FAULTS}
        loop = data_table(doc["reboot_loop"], "reboot_loop", {"reboots", "within"})
        reboots = loop["reboots"]
        if isinstance(reboots, bool) or not isinstance(reboots, int) or not 2 <= reboots <= 50:
            raise DataError(f"reboot_loop.reboots = {reboots!r} must be a whole number from 2 to 50")
        within = parse_duration(loop["within"], "reboot_loop.within")
        if within > REBOOT_MEMORY_S:
            raise DataError(f"reboot_loop.within = {loop['within']!r}: at most 24h (the monitoring keeps a day of reboots)")
        verify = data_table(doc["verify"], "verify", {"timeout"})
        escalation = data_table(doc["escalation"], "escalation", {"office_after"})
        rules = tuple(_severity_rule(item, f"severity #{n}")
                      for n, item in enumerate(data_list(doc["severity"], "severity"), 1))
        if not rules or rules[-1] != SeverityRule(rules[-1].name, rules[-1].severity):
            raise DataError("severity: the last rule must have no conditions, so every fault gets a severity")
        return TicketsConfig(grace, reboots, within,
                             parse_duration(verify["timeout"], "verify.timeout"),
                             _grace(escalation["office_after"], "escalation.office_after"), rules)
    except DataError as exc:
        raise DataError(f"{source}: {exc}") from None


@lru_cache(maxsize=4)
def load(path: str | None) -> TicketsConfig:
    file = Path(path) if path else BUILT_IN
    return parse(read_document(file), str(file))


_installed: TicketsConfig | None = None


def install(config: TicketsConfig | None) -> None:
    """Use `config` in this process instead of ASSETSVC_TICKETS_CONFIG (the demo's short grace periods)."""
    global _installed
    _installed = config


def current() -> TicketsConfig:
    """This process's rules: an installed configuration, ASSETSVC_TICKETS_CONFIG, or the built-in file."""
    from assetsvc.runtime import settings

    return _installed if _installed is not None else load(settings().tickets_config)


@lru_cache(maxsize=4)
def _days(folder: str | None, timezone: str) -> WorkingDays:
    if not folder:
        return WorkingDays(timezone=timezone)
    directory = Path(folder)
    if not directory.is_dir():
        raise DataError(f"ASSETSVC_CALENDAR_DIR = {folder}: not a folder")
    return WorkingDays(tuple(load_notice(p) for p in sorted(directory.glob("*.toml"))), timezone)


def working_days() -> WorkingDays:
    """The package's years plus the office's loaded notices (ASSETSVC_CALENDAR_DIR)."""
    from assetsvc.runtime import settings

    return _days(settings().calendar_dir, settings().timezone)
