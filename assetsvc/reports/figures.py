"""Rounding and the "n/a" marker shared by every section (so every format shows the same number)."""

from __future__ import annotations

from typing import Any

NA = "n/a"
RATE_DIGITS = 6  # rates as fractions (0.987654); float sums may differ in the last bits between engines
HOUR_DIGITS = 4


def rate(value: float | None) -> float | None:
    """A rate rounded for the frozen report; None stays None (nothing to divide by)."""
    return None if value is None else round(value, RATE_DIGITS)


def hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600.0, HOUR_DIGITS)


def ratio(part: float, whole: float) -> float | None:
    return rate(part / whole) if whole > 1e-6 else None


def change(now: Any, before: Any) -> float | None:
    """now - before for two rates, None when either is missing."""
    if isinstance(now, (int, float)) and isinstance(before, (int, float)):
        return round(now - before, RATE_DIGITS)
    return None


def pending(reason: str) -> dict[str, str]:
    """A figure that cannot be given (yet): "n/a" and why."""
    return {"value": NA, "reason": reason}
