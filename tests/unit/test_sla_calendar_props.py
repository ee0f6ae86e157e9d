"""Properties of service-time arithmetic on random working-hours calendars and instants (2024-2026)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from assetsvc.tickets.calendar import US, ServiceCalendar, WorkingDays, add_business_time, business_seconds

SH = ZoneInfo("Asia/Shanghai")
DAYS = WorkingDays()
PROPS = settings(max_examples=300, deadline=None)


@st.composite
def calendars(draw) -> ServiceCalendar:
    """1-3 ordered, non-overlapping windows on a 15-minute grid (touching allowed)."""
    cuts = sorted(draw(st.sets(st.integers(0, 96), min_size=2, max_size=6)))
    pairs = [(cuts[i] * 900, cuts[i + 1] * 900) for i in range(0, len(cuts) - 1, 2)]
    return ServiceCalendar("working_hours", tuple(pairs), DAYS)


# Microsecond instants from 2024 to mid-2026, so 60 working days of service stay inside the package's years.
instants = st.integers(0, (datetime(2026, 6, 30) - datetime(2024, 1, 1)).days * 86400 * US).map(
    lambda us: datetime(2024, 1, 1, tzinfo=SH) + timedelta(microseconds=us))


def daily(calendar: ServiceCalendar) -> int:
    return sum(b - a for a, b in calendar.windows)


@PROPS
@given(calendars(), instants, st.integers(0, 60 * US), st.data())
def test_adding_service_time_then_measuring_it_gives_it_back_exactly(calendar, start, scale, data):
    amount_us = data.draw(st.integers(0, scale * daily(calendar)))  # up to 60 working days
    deadline = add_business_time(calendar, start, amount_us / US)
    assert deadline >= start
    assert business_seconds(calendar, start, deadline) == amount_us / US


@PROPS
@given(calendars(), instants, st.integers(0, 90 * 86400 * US))
def test_measuring_then_adding_lands_on_the_last_service_instant_before_the_end(calendar, start, length):
    end = start + timedelta(microseconds=length)
    measured = business_seconds(calendar, start, end)
    back = add_business_time(calendar, start, measured)
    if measured > 0:
        assert back <= end
        assert business_seconds(calendar, back, end) == 0  # only time off lies between
    else:  # nothing to count: the answer is where counting would start, the next window
        assert back >= start and business_seconds(calendar, start, back) == 0


@PROPS
@given(calendars(), instants, st.integers(0, 40 * 86400 * US), st.integers(0, 40 * 86400 * US))
def test_service_time_adds_up_over_consecutive_spans(calendar, start, first, second):
    middle = start + timedelta(microseconds=first)
    end = middle + timedelta(microseconds=second)
    whole, part1, part2 = (round(business_seconds(calendar, a, b) * US)
                           for a, b in ((start, end), (start, middle), (middle, end)))
    assert whole == part1 + part2  # in whole microseconds: float seconds do not add exactly
    assert 0 <= whole <= first + second


@PROPS
@given(calendars(), instants, st.data())
def test_more_service_time_never_gives_an_earlier_deadline(calendar, start, data):
    a, b = (data.draw(st.integers(0, 20 * daily(calendar) * US)) for _ in range(2))  # up to 20 working days
    small, large = sorted((a, b))
    assert add_business_time(calendar, start, small / US) <= add_business_time(calendar, start, large / US)
