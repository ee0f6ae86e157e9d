"""Pure parts of service periods and the new figures: the period plan, range arithmetic, fixed-hour grids."""

from __future__ import annotations

import datetime as dt

import pytest

from assetsvc.errors import ValidationFailed
from assetsvc.monitoring.uptime_hours import SampleHours, hour_grid, parse_hours
from assetsvc.monitoring.uptime_math import intersect, subtract
from assetsvc.registry.service_periods import PeriodConflict, plan
from assetsvc.settings import times_of_day

NOW = 1000.0


def test_the_status_opens_and_closes_periods_and_a_return_to_service_makes_a_second_one():
    opened = plan([], "active", 100.0)
    assert opened == [(100.0, None)]
    closed = plan(opened, "decommissioned", 200.0)
    assert closed == [(100.0, 200.0)]
    assert plan(closed, "planned", 250.0) == closed  # out of service stays out
    back = plan(closed, "under_repair", 300.0)
    assert back == [(100.0, 200.0), (300.0, None)]
    assert plan(back, "active", 400.0) == back  # in service stays in


def test_a_planned_camera_has_no_period_until_it_enters_service():
    assert plan([], "planned", NOW) == []


def test_import_dates_set_the_first_start_and_the_last_end():
    assert plan([(500.0, None)], "active", NOW, registered=100.0) == [(100.0, None)]
    assert plan([], "decommissioned", NOW, registered=100.0, decommissioned=300.0) == [(100.0, 300.0)]
    # A later registration drops the periods that ended before it.
    assert plan([(50.0, 80.0), (90.0, None)], "active", NOW, registered=100.0) == [(100.0, None)]
    # A decommissioning date drops the periods that began after it and ends the last one there.
    assert plan([(50.0, 80.0), (90.0, None)], "decommissioned", NOW, decommissioned=85.0) == [(50.0, 85.0)]
    assert plan([(50.0, 80.0), (90.0, None)], "decommissioned", NOW, decommissioned=95.0) == [(50.0, 80.0),
                                                                                             (90.0, 95.0)]


@pytest.mark.parametrize("stored, status, dates, words", [
    ([], "active", {"registered": 100.0, "decommissioned": 50.0}, "after the registration"),
    ([(10.0, None)], "active", {"decommissioned": 50.0}, "in service"),
    ([], "decommissioned", {"decommissioned": 50.0}, "needs a registration date"),
])
def test_dates_that_make_no_periods_are_refused(stored, status, dates, words):
    with pytest.raises(PeriodConflict, match=words):
        plan(stored, status, NOW, **dates)


def test_range_intersection_and_difference():
    a = [(0.0, 10.0), (20.0, 30.0)]
    b = [(5.0, 25.0), (28.0, 40.0)]
    assert intersect(a, b) == [(5.0, 10.0), (20.0, 25.0), (28.0, 30.0)]
    assert subtract(a, b) == [(0.0, 5.0), (25.0, 28.0)]
    assert subtract(a, []) == a and intersect(a, []) == []
    assert subtract([(0.0, 10.0)], [(0.0, 10.0)]) == []


def test_times_of_day_are_parsed_sorted_and_refused_with_a_reason():
    assert times_of_day("20:00, 02:00,8:00") == (120, 480, 1200)
    assert times_of_day(["14:30"]) == (870,)
    for bad in ("", "24:00", "8", "08:60", "八点", "08:00:00"):
        with pytest.raises(ValueError):
            times_of_day(bad)
    with pytest.raises(ValidationFailed) as caught:
        parse_hours("25:00")
    assert caught.value.errors[0]["field"] == "hours"


CST = dt.timezone(dt.timedelta(hours=8))


def test_the_four_usual_hours_are_one_six_hour_grid_from_the_first_at_or_after_the_start():
    start = dt.datetime(2026, 11, 1, 9, 30, tzinfo=CST).timestamp()  # after 02:00 and 08:00
    end = dt.datetime(2026, 11, 3, tzinfo=CST).timestamp()
    grid = hour_grid(SampleHours((120, 480, 840, 1200)), start, end, CST)
    assert grid.window.step == 6 * 3600.0
    assert dt.datetime.fromtimestamp(grid.window.start, CST).hour == 14  # 1 Nov 14:00
    assert grid.chosen == (0, 1, 2, 3, 4, 5)  # 14:00, 20:00, 02:00, 08:00, 14:00, 20:00


def test_uneven_hours_skip_the_grid_instants_between_them():
    start = dt.datetime(2026, 11, 1, tzinfo=CST).timestamp()
    grid = hour_grid(SampleHours((480, 1200, 1290)), start, start + 86400.0, CST)  # 08:00, 20:00, 21:30
    assert grid.window.step == 90 * 60.0  # gcd of 720, 810 and the day
    times = [dt.datetime.fromtimestamp(grid.window.start + k * grid.window.step, CST).strftime("%H:%M")
             for k in grid.chosen]
    assert times == ["08:00", "20:00", "21:30"]
