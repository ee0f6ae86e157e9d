"""Sample instants at fixed times of day (02:00, 08:00, 14:00, 20:00 ...): the provincial spot checks.

The times are read at the period's UTC offset (by default the office's, ASSETSVC_TIMEZONE; China
keeps one offset all year), so every day has 86,400 s and the chosen instants lie on one even
grid: its step is the greatest common divisor of the gaps between the times and the day (6 h
for the four usual hours). The uptime service counts cameras on that grid with the same queries
as the step sampling and averages only the chosen instants.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from assetsvc.monitoring import uptime_sql as q
from assetsvc.monitoring.uptime_input import MAX_INSTANTS, bad
from assetsvc.monitoring.uptime_math import instant_count
from assetsvc.runtime import settings
from assetsvc.settings import times_of_day

DAY_MIN = 1440


@dataclass(frozen=True)
class SampleHours:
    """Sorted distinct minutes after midnight."""

    minutes: tuple[int, ...]

    @property
    def labels(self) -> list[str]:
        return [f"{m // 60:02d}:{m % 60:02d}" for m in self.minutes]


def office_hours() -> SampleHours:
    """The office's default spot-check times (ASSETSVC_SAMPLE_HOURS)."""
    return SampleHours(tuple(settings().sample_hours))


def parse_hours(text: str | list | None, field: str = "hours") -> SampleHours:
    """Times of day from a request ("02:00,08:00" or a list); none given: the office's."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return office_hours()
    try:
        return SampleHours(times_of_day(text))
    except ValueError as exc:
        raise bad(field, str(exc)) from None


@dataclass(frozen=True)
class HourGrid:
    """The grid of instants [start, end) every `step` s from `start`, and which of them are sample times."""

    window: q.Window
    chosen: tuple[int, ...]


def hour_grid(hours: SampleHours, start: float, end: float, tz: dt.timezone, field: str = "hours") -> HourGrid:
    """The instants of `hours` in [start, end) at the fixed offset `tz`, as a grid and the chosen indexes."""
    day = dt.datetime.fromtimestamp(start, tz)
    midnight = day.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
    first_min = hours.minutes[0]
    step_min = DAY_MIN
    for m in hours.minutes:
        step_min = math.gcd(step_min, m - first_min)
    step = step_min * 60.0
    first = midnight + first_min * 60.0
    if first < start:
        first += math.ceil((start - first) / step) * step
    count = instant_count(first, end, step)
    if count > MAX_INSTANTS:
        raise bad(field, f"these times of day need a grid of more than {MAX_INSTANTS:,} instants over this "
                         "period; choose times on a coarser grid or a shorter period")
    wanted = set(hours.minutes)
    offset = round((first - midnight) / 60.0)
    chosen = tuple(k for k in range(count) if (offset + k * step_min) % DAY_MIN in wanted)
    return HourGrid(q.Window(first, max(first, end), step), chosen)
