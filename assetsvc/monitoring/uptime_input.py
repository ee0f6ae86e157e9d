"""Periods as people type them (ISO 8601 times or dates, in the office's UTC offset) -> Unix seconds."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

from assetsvc.errors import ValidationFailed, field_error
from assetsvc.runtime import settings

# Periods are read and shown at a fixed UTC offset: by default the office time zone's offset now
# (ASSETSVC_TIMEZONE). China keeps one offset all year (no daylight saving), so that is exact there.
DEFAULT_STEP_S = 3600.0
MIN_STEP_S = 60.0
MAX_INSTANTS = 100_000  # a year at 5-minute steps; bounds the memory of the sampled rate
_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")


@dataclass(frozen=True)
class Period:
    """[start, end) in Unix seconds, with the offset used to read and to render it."""

    start: float
    end: float
    tz: dt.timezone


def bad(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", [field_error(field, "invalid", message)])


def office_offset() -> dt.timezone:
    """The UTC offset of the office's time zone (ASSETSVC_TIMEZONE) now."""
    return dt.timezone(dt.datetime.now(settings().zone).utcoffset())


def parse_offset(text: str | None, field: str = "tz") -> dt.timezone:
    """A UTC offset such as +08:00, -05:00 or Z; none given: the office's offset."""
    if text is None or not text.strip():
        return office_offset()
    text = text.strip()
    if text in ("Z", "z", "UTC", "+00:00"):
        return dt.timezone.utc
    match = _OFFSET.match(text)
    if not match or int(match[2]) > 14 or int(match[3]) > 59:
        raise bad(field, f"{text!r} is not a UTC offset like +08:00")
    minutes = int(match[2]) * 60 + int(match[3])
    return dt.timezone(dt.timedelta(minutes=-minutes if match[1] == "-" else minutes))


def parse_instant(text: str | None, field: str, tz: dt.timezone) -> float:
    """An ISO 8601 time (zone optional: none means `tz`) or a date (its midnight in `tz`)."""
    if text is None or not str(text).strip():
        raise bad(field, "is required (an ISO 8601 time such as 2026-11-01T08:00:00+08:00, or a date)")
    text = str(text).strip()
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            parsed = dt.datetime(day.year, day.month, day.day)
        else:
            parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise bad(field, f"{text!r} is not an ISO 8601 time or date (e.g. 2026-11-01 or "
                         "2026-11-01T08:00:00+08:00)") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.timestamp()


def parse_period(start: str | None, end: str | None, tz: str | None = None) -> Period:
    """The period [start, end) from text; start must be before end."""
    offset = parse_offset(tz)
    begin = parse_instant(start, "start", offset)
    finish = parse_instant(end, "end", offset)
    if begin >= finish:
        raise bad("end", f"must be after start ({start} .. {end})")
    return Period(begin, finish, offset)


def check_step(step: float | None, period: Period) -> float:
    """The sampling step in seconds: at least a minute, and not so small the instants run away."""
    value = DEFAULT_STEP_S if step is None else float(step)
    if not math.isfinite(value) or value < MIN_STEP_S:
        raise bad("step", f"must be at least {MIN_STEP_S:.0f} seconds")
    if (period.end - period.start) / value > MAX_INSTANTS:
        raise bad("step", f"gives more than {MAX_INSTANTS:,} sample instants over this period; use a larger step")
    return value


def iso(at: float | None, tz: dt.timezone = dt.timezone.utc) -> str | None:
    """Unix seconds as ISO 8601 in the given offset."""
    if at is None:
        return None
    return dt.datetime.fromtimestamp(at, tz).isoformat(timespec="seconds")
