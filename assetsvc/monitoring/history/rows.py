"""A history file's rows checked one by one (no database): cells -> typed rows or errors keyed by field.

Times are the office's local time unless the cell says its offset: 2026-10-01 08:00, 2026/10/1 8:00,
2026年10月1日 08:00:00, a date alone (its midnight), or a date-formatted Excel cell. Each accepted
row carries a content key, the SHA-256 of its normalised values, by which a re-import finds it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from assetsvc.monitoring.history.causes import STATE_WORDS, cause_problem, stored_cause
from assetsvc.monitoring.maintenance import MAX_REASON, SCOPES
from assetsvc.registry.normalize import FieldProblem, is_blank, parse_gb_id_text, show

SOURCE_MAX = 64
# Before this a time is a mangled cell (Excel's 1900 serials, a two-digit year), not a video
# network's history: refused rather than stretching every figure back decades.
EARLIEST = dt.datetime(1990, 1, 1, tzinfo=dt.timezone.utc).timestamp()
_DOTTED = re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})")  # 2026.10.01
_TIME = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?")


@dataclass(frozen=True)
class StateRow:
    """One row of outage history: a camera (by 设备编码) in a state for a cause over [start, end)."""

    row: int
    gb_id: str
    state: str
    cause: str
    start: float
    end: float
    source: str
    key: str


@dataclass(frozen=True)
class WindowRow:
    """One maintenance window: a scope and its reference (a camera's 设备编码, a region code, a
    site or upstream device id), [start, end) and the work done."""

    row: int
    scope: str
    ref: str
    start: float
    end: float
    reason: str
    source: str
    key: str


class RowProblems(Exception):
    """A row's errors, each {field, kind, reason}."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__(errors)
        self.errors = errors


def content_key(kind: str, *values: Any) -> str:
    return hashlib.sha256(json.dumps([kind, *values], ensure_ascii=False).encode()).hexdigest()


def parse_time(value: Any, tz: dt.timezone) -> float:
    """Unix seconds of a time cell; FieldProblem when it is none."""
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=tz)).timestamp()
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=tz).timestamp()
    if is_blank(value):
        raise FieldProblem("required", "is empty")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise FieldProblem("invalid_time", f"{show(value)} is a number, not a time: format the column as "
                                           "date and time, or write 2026-10-01 08:00")
    if not isinstance(value, str):
        raise FieldProblem("invalid_time", f"{show(value)} is not a time like 2026-10-01 08:00")
    text = _DOTTED.sub(r"\1-\2-\3", unicodedata.normalize("NFKC", value).strip().replace("/", "-"))
    text = text.replace("年", "-").replace("月", "-").replace("日", " ").replace("时", ":").replace("分", "")
    match = _TIME.fullmatch(" ".join(text.split()))
    if not match:
        raise FieldProblem("invalid_time", f"{show(value)} is not a time like 2026-10-01 08:00")
    y, mo, d, h, mi, s, frac, zone = match.groups()
    try:
        at = dt.datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0),
                         int(round(float(frac or 0) * 1e6)))
    except ValueError as exc:
        raise FieldProblem("invalid_time", f"{show(value)} is not a real time ({exc})") from None
    if zone:
        zone = "+00:00" if zone == "Z" else zone
        sign = -1 if zone[0] == "-" else 1
        hours, minutes = int(zone[1:3]), int(zone[-2:])
        tz = dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
    return at.replace(tzinfo=tz).timestamp()


def _text(value: Any, limit: int, field: str, errors: list[dict]) -> str:
    if is_blank(value):
        return ""
    text = " ".join(unicodedata.normalize("NFKC", str(value)).split())
    if len(text) > limit:
        errors.append(_error(field, "too_long", f"at most {limit} characters"))
    return text[:limit]


def _error(field: str, kind: str, reason: str) -> dict[str, str]:
    return {"field": field, "kind": kind, "reason": reason}


def _span(raw: Mapping[str, Any], tz: dt.timezone, now: float, errors: list[dict]) -> tuple[float, float]:
    times: dict[str, float] = {}
    for field in ("from", "to"):
        try:
            times[field] = parse_time(raw.get(field), tz)
        except FieldProblem as exc:
            errors.append(_error(field, exc.kind, f"{field}: {exc.reason}"))
    for field, at in times.items():
        if at < EARLIEST:
            errors.append(_error(field, "too_early", f"{field}: {show(raw.get(field))} is before 1990: a mangled date?"))
    if len(times) == 2:
        if times["from"] >= times["to"]:
            errors.append(_error("to", "not_after_from", "to must be after from"))
        elif times["to"] > now:
            errors.append(_error("to", "in_future", "history ends in the past: to is later than now"))
    return times.get("from", 0.0), times.get("to", 0.0)


def _camera(raw: Mapping[str, Any], errors: list[dict]) -> str:
    try:
        return parse_gb_id_text(raw.get("camera")).value
    except FieldProblem as exc:
        errors.append(_error("camera", exc.kind, exc.reason))
        return ""


def state_row(row: int, raw: Mapping[str, Any], tz: dt.timezone, now: float) -> StateRow:
    """A row of outage history, or RowProblems naming every bad cell."""
    errors: list[dict] = []
    gb_id = _camera(raw, errors)
    word = "" if is_blank(raw.get("state")) else unicodedata.normalize("NFKC", str(raw["state"])).strip().lower()
    state = STATE_WORDS.get(word, "")
    if not state:
        errors.append(_error("state", "invalid_state", f"state {show(raw.get('state'))} is not online (在线), "
                                                       "offline (离线) or degraded (异常)"))
    cause = _text(raw.get("cause"), 64, "cause", errors).lower().replace(" ", "")
    if state and (problem := cause_problem(state, cause)):
        errors.append(_error("cause", "unknown_cause", problem))
    start, end = _span(raw, tz, now, errors)
    source = _text(raw.get("source"), SOURCE_MAX, "source", errors)
    if errors:
        raise RowProblems(errors)
    cause = stored_cause(state, cause)
    return StateRow(row, gb_id, state, cause, start, end, source,
                    content_key("states", gb_id, state, cause, start, end, source))


def window_row(row: int, raw: Mapping[str, Any], tz: dt.timezone, now: float) -> WindowRow:
    """A maintenance window row, or RowProblems. Without a scope it is a camera's window (by 设备编码)."""
    errors: list[dict] = []
    scope = "camera" if is_blank(raw.get("scope")) else str(raw["scope"]).strip().lower()
    ref = ""
    if scope not in SCOPES:
        errors.append(_error("scope", "invalid_scope", f"scope {show(raw.get('scope'))} is not one of "
                                                       f"{', '.join(SCOPES)}"))
    elif scope == "camera":
        ref = _camera({"camera": raw.get("camera") if is_blank(raw.get("ref")) else raw.get("ref")}, errors)
    elif is_blank(raw.get("ref")):
        errors.append(_error("ref", "required", f"a {scope} window needs its ref (对象)"))
    else:
        ref = " ".join(unicodedata.normalize("NFKC", str(raw["ref"])).split())
        ref = ref[:-2] if ref.endswith(".0") else ref  # a number cell read as 330106.0
    start, end = _span(raw, tz, now, errors)
    reason = _text(raw.get("reason"), MAX_REASON, "reason", errors)
    if not reason:
        errors.append(_error("reason", "required", "say what the work was (维护原因)"))
    source = _text(raw.get("source"), SOURCE_MAX, "source", errors)
    if errors:
        raise RowProblems(errors)
    return WindowRow(row, scope, ref, start, end, reason, source,
                     content_key("maintenance", scope, ref, start, end, reason, source))


Parser = Callable[[int, Mapping[str, Any], dt.timezone, float], Any]
