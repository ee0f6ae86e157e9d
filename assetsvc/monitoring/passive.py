"""Passive status: online/offline pushed by a video platform for cameras we cannot reach ourselves.

Typical for 社会面 cameras behind a business's own platform. Each report feeds the same debounced
state machine as a probe result (probe kind "passive"). A request is validated as a whole: any
bad item refuses the whole request, with every problem listed, and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from assetsvc import bulk, db
from assetsvc.actor import Actor
from assetsvc.errors import ValidationFailed, field_error
from assetsvc.monitoring import passive_hold
from assetsvc.monitoring.config import MonitoringConfig
from assetsvc.monitoring.passive_hold import Hold
from assetsvc.monitoring.passive_scope import covers, rules_of
from assetsvc.monitoring.subjects import camera_match
from assetsvc.monitoring.writer import Reading, apply, states
from assetsvc.registry.lifecycle import in_service
from assetsvc.registry.tables import Camera

MAX_REPORTS = 10_000
FUTURE_SLACK_S = 300  # a platform clock a little ahead is tolerated, a report from tomorrow is not
MAX_AGE_S = 7 * 86400
MAX_ERRORS = 50


@dataclass(frozen=True)
class Report:
    gb_id: str
    online: bool
    at: float


def _instant(value: Any, now: float) -> float | str:
    """Unix seconds from an ISO 8601 string with a zone (or a number); a message when invalid."""
    if value is None:
        return now
    if isinstance(value, bool):
        return "must be an ISO 8601 time with a zone, e.g. 2026-11-24T10:00:00+08:00"
    if isinstance(value, (int, float)):
        at = float(value)
    elif isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return "must be an ISO 8601 time with a zone, e.g. 2026-11-24T10:00:00+08:00"
        if parsed.tzinfo is None:
            return "has no time zone; add one (e.g. +08:00)"
        at = parsed.timestamp()
    else:
        return "must be an ISO 8601 time with a zone, e.g. 2026-11-24T10:00:00+08:00"
    if not math.isfinite(at):
        return "is not a time"
    if at > now + FUTURE_SLACK_S:
        return f"is more than {FUTURE_SLACK_S} s in the future"
    if at < now - MAX_AGE_S:
        return f"is older than {MAX_AGE_S // 86400} days"
    # A platform clock slightly ahead is taken as now: a future last_seen would make the
    # platform's next correct reports look out of order.
    return min(at, now)


def parse(body: Any, now: float) -> list[Report]:
    """Validate {"reports": [{"gb_id", "online", "at"?}, ...]}; ValidationFailed lists each problem."""
    if not isinstance(body, dict) or not isinstance(body.get("reports"), list):
        raise ValidationFailed("send {\"reports\": [{\"gb_id\": ..., \"online\": true|false, \"at\": ...}]}",
                               [field_error("reports", "required", "a list of reports is required")])
    items = body["reports"]
    if not items:
        raise ValidationFailed("no reports", [field_error("reports", "empty", "the list is empty")])
    if len(items) > MAX_REPORTS:
        raise ValidationFailed(f"at most {MAX_REPORTS} reports per request",
                               [field_error("reports", "too_many", f"{len(items)} > {MAX_REPORTS}")])
    errors, reports = [], []
    for n, item in enumerate(items):
        where = f"reports[{n}]"
        if not isinstance(item, dict):
            errors.append(field_error(where, "type", "each report is an object"))
            continue
        unknown = set(item) - {"gb_id", "online", "at"}
        if unknown:
            errors.append(field_error(where, "unknown", f"unknown keys {sorted(unknown)}"))
        gb_id, online = item.get("gb_id"), item.get("online")
        if not isinstance(gb_id, str) or not gb_id.strip() or len(gb_id) > 20:
            errors.append(field_error(f"{where}.gb_id", "type", "the camera's 20-digit national ID"))
        if not isinstance(online, bool):
            errors.append(field_error(f"{where}.online", "type", "true or false"))
        at = _instant(item.get("at"), now)
        if isinstance(at, str):
            errors.append(field_error(f"{where}.at", "value", at))
        if not errors or errors[-1]["field"].split(".")[0] != where:
            reports.append(Report(gb_id.strip(), online, at))
    if errors:
        raise ValidationFailed(f"{len(errors)} problem(s) in the reports; nothing was recorded",
                               errors[:MAX_ERRORS])
    return reports


def _probed(camera: dict[str, Any], config: MonitoringConfig) -> bool:
    device_class = config.classify(camera_match(camera))
    return device_class is not None and "light" in device_class.plans


async def cameras(gb_ids: list[str]) -> dict[str, dict[str, Any]]:
    rows = await bulk.fetch_in(Camera, "SELECT c.id, c.gb_id, c.status, c.probe_protocols, c.point_class, "
                               "c.owner, c.region_code, o.owner_class FROM camera c "
                               "LEFT JOIN owner o ON o.id = c.owner WHERE c.gb_id IN ({in})", gb_ids)
    return {r["gb_id"]: r for r in rows}


async def plan(reports: list[Report], found: dict[str, dict[str, Any]], config: MonitoringConfig,
               ) -> tuple[dict[tuple[str, int], list[Reading]], dict[str, int]]:
    """The readings to write and the counts; inside the write transaction (reads current states)."""
    counts = {"accepted": 0, "older_ignored": 0, "not_in_service": 0, "probed_ignored": 0}
    current = await states(("camera", r["id"]) for r in found.values())
    batch: dict[tuple[str, int], list[Reading]] = {}
    for report in sorted(reports, key=lambda r: r.at):
        camera = found.get(report.gb_id)
        row = current.get(("camera", camera["id"])) if camera else None
        if camera is None or not in_service(camera["status"]) or row is None:
            counts["not_in_service"] += 1
            continue
        key = ("camera", camera["id"])
        if _probed(camera, config):
            # Our own light checks decide for cameras we can reach: a platform's view (perhaps
            # through a stale cache) must not keep a dead camera "online" or the reverse.
            counts["probed_ignored"] += 1
            continue
        last = max([row["record"].last_seen or 0.0, *[r.at for r in batch.get(key, [])]])
        if report.at < last:  # out of order: the state already reflects something newer
            counts["older_ignored"] += 1
            continue
        batch.setdefault(key, []).append(Reading(
            "passive", report.online, None if report.online else "offline",
            "" if report.online else "reported offline by the platform", 0.0,
            {"online": report.online}, report.at))
        counts["accepted"] += 1
    return batch, counts


async def ingest(body: Any, config: MonitoringConfig, now: float, actor: Actor | None = None,
                 hold: Hold | None = None) -> dict[str, int]:
    """Record valid reports as passive readings, or hold them (passive_hold.py).

    A platform account reports only on cameras inside its scope; an unknown camera and one outside
    the scope refuse the request with the same message and no list of IDs, so the endpoint does not
    tell which national IDs exist. The office (admin, or `actor` None) reports on any camera.
    """
    reports = parse(body, now)
    found = await cameras(sorted({r.gb_id for r in reports}))
    platform = actor is not None and actor.role != "admin"
    rules = await rules_of(actor.user_id) if platform else []
    refused = {r.gb_id for r in reports if r.gb_id not in found or (platform and not covers(rules, found[r.gb_id]))}
    if refused:
        message = (f"{len(refused)} report(s) name cameras this account may not report on (unknown, or "
                   "outside its scope); nothing was recorded")
        raise ValidationFailed(message, [field_error("reports", "not_allowed", message)])
    async with db.write_transaction():
        batch, counts = await plan(reports, found, config)
        if platform and hold is not None:
            held = await passive_hold.check(actor, rules, reports, batch, hold, now)
            if held is not None:
                return held
        await apply(batch, config.state_rules(), config.history_per_subject, now)
    return counts
