"""Instants people type for ticket events (a paper work order's times): ISO 8601 text, zone-less in
the office's time zone (ASSETSVC_TIMEZONE), Unix seconds, or a spreadsheet's date-time cell; never
in the future."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from assetsvc.errors import ValidationFailed, field_error
from assetsvc.runtime import settings

EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc).timestamp()  # no video office kept tickets before


def shown(at: float) -> str:
    """An instant as the office reads it (local time, to the second)."""
    return dt.datetime.fromtimestamp(at, settings().zone).strftime("%Y-%m-%d %H:%M:%S")


def _invalid(field: str, message: str, kind: str = "invalid") -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", [field_error(field, kind, message)])


def parse(raw: Any, field: str, now: float) -> float:
    """Unix seconds of a past instant: `2026-11-03 09:30`, `2026-11-03T09:30:00+08:00` or 1793669400."""
    if raw is None or raw == "":
        raise _invalid(field, "is required: a time such as 2026-11-03 09:30 (office time) or "
                              "2026-11-03T09:30:00+08:00", "required")
    if isinstance(raw, dt.datetime):  # a spreadsheet's date-time cell: office time unless it has a zone
        at = (raw if raw.tzinfo else raw.replace(tzinfo=settings().zone)).timestamp()
    elif isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        raise _invalid(field, "must be ISO 8601 text or Unix seconds")
    elif isinstance(raw, str):
        text = raw.strip().replace("Z", "+00:00")
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            raise _invalid(field, f"{raw[:40]!r} is not a time such as 2026-11-03 09:30 or "
                                  "2026-11-03T09:30:00+08:00") from None
        if len(text) <= 10:
            raise _invalid(field, f"{raw!r} is a date; give the time of day too (2026-11-03 09:30)")
        at = (parsed if parsed.tzinfo else parsed.replace(tzinfo=settings().zone)).timestamp()
    else:
        try:
            at = float(raw)
        except OverflowError:  # an integer beyond any float
            at = math.inf
        if not math.isfinite(at):
            raise _invalid(field, "must be a finite number of Unix seconds")
    if at > now:
        raise _invalid(field, f"{_safe(at)} is in the future (now is {shown(now)}): record what has happened",
                       "in_future")
    if at < EARLIEST:
        raise _invalid(field, f"{_safe(at)} is before {shown(EARLIEST)}", "too_early")
    return at


def _safe(at: float) -> str:
    try:
        return shown(at)
    except (OverflowError, OSError, ValueError):  # beyond what datetime can show
        return f"{at!r} (Unix seconds)"
