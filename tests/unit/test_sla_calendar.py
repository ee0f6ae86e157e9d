"""The service calendar: official working days (package and loaded notices) and service-time arithmetic.

Working-hours cases use the windows 08:30-12:00 and 14:00-18:00 (7.5 h a working day), Asia/Shanghai.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from importlib import resources
from zoneinfo import ZoneInfo

import pytest

from assetsvc.tickets.calendar import (CalendarMissing, ServiceCalendar, WorkingDays, add_business_time,
                                       business_seconds, load_notice, parse_notice, parse_window)

SH = ZoneInfo("Asia/Shanghai")
H = 3600
PACKAGE = WorkingDays()
OFFICE = ServiceCalendar("working_hours", (parse_window("08:30-12:00"), parse_window("14:00-18:00")), PACKAGE)
ALWAYS = ServiceCalendar("24x7")

# An INVENTED notice for 2027, shaped like the real ones; it only exercises loading a year as data.
NOTICE_2027 = {
    "year": 2027,
    "title": "test data, not the State Council's notice",
    "holidays": [
        {"name": "元旦", "start": "2027-01-01", "end": "2027-01-03"},
        {"name": "春节", "start": "2027-02-05", "end": "2027-02-13"},
        {"name": "清明节", "date": "2027-04-05"},
    ],
    "workdays": [{"date": "2027-02-20", "name": "春节"}],
}


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SH)


def office_with(*notices) -> ServiceCalendar:
    return ServiceCalendar("working_hours", OFFICE.windows, WorkingDays(tuple(notices)))


# ---- working days ---------------------------------------------------------------------------

def test_package_knows_2026_national_day_and_its_make_up_saturday():
    assert PACKAGE.detail(date(2026, 9, 30)) == (True, None)  # Wednesday
    assert [PACKAGE.is_workday(date(2026, 10, d)) for d in range(1, 8)] == [False] * 7
    assert PACKAGE.detail(date(2026, 10, 10)) == (True, "国庆节")  # Saturday worked (调休)
    assert PACKAGE.is_workday(date(2026, 10, 11)) is False  # an ordinary Sunday


def test_package_knows_2026_spring_festival_with_two_make_up_saturdays():
    assert PACKAGE.detail(date(2026, 2, 14)) == (True, "春节")
    assert not any(PACKAGE.is_workday(date(2026, 2, d)) for d in range(15, 24))
    assert PACKAGE.is_workday(date(2026, 2, 24)) and PACKAGE.is_workday(date(2026, 2, 28))


def test_new_year_days_in_december_belong_to_the_next_years_notice():
    # The 2019 notice gave 2018-12-30/31 off and made Saturday 2018-12-29 a working day.
    assert PACKAGE.detail(date(2018, 12, 29)) == (True, "元旦")
    assert PACKAGE.detail(date(2018, 12, 31)) == (False, "元旦")


def test_a_year_with_no_data_is_refused_naming_the_year():
    with pytest.raises(CalendarMissing) as caught:
        PACKAGE.is_workday(date(2027, 1, 4))
    assert caught.value.year == 2027
    assert "no working-day calendar for 2027" in str(caught.value)
    assert "covers 2004-2026; loaded notices: none" in str(caught.value)


def test_shipped_2026_notice_agrees_with_the_package_every_day_of_the_year():
    text = resources.files("assetsvc.tickets").joinpath("data/notice-2026.toml")
    with resources.as_file(text) as path:
        loaded = WorkingDays((load_notice(path),))
    days = [date.fromordinal(n) for n in range(date(2026, 1, 1).toordinal(), date(2027, 1, 1).toordinal())]
    assert [loaded.is_workday(d) for d in days] == [PACKAGE.is_workday(d) for d in days]
    # 2026: 261 weekdays - 19 weekday holidays + 6 make-up days = 248 working days.
    assert sum(loaded.is_workday(d) for d in days) == 248


def test_a_loaded_notice_replaces_the_package_for_its_year():
    # A corrected 2026 notice with National Day only: the package's other 2026 entries no longer apply.
    corrected = parse_notice({"year": 2026, "holidays": [{"name": "国庆节", "start": "2026-10-01",
                                                        "end": "2026-10-07"}], "workdays": []}, "fix")
    days = WorkingDays((corrected,))
    assert days.is_workday(date(2026, 10, 10)) is False  # no longer a make-up day
    assert days.is_workday(date(2026, 2, 16)) is True  # Spring Festival Monday, gone from this notice
    assert days.is_workday(date(2025, 10, 1)) is False  # other years keep the package


# ---- 24x7 -----------------------------------------------------------------------------------

def test_24x7_counts_every_second_and_needs_no_calendar_year():
    # 2027-03-01 10:00 to 2027-03-03 12:30 is 2 days 2.5 h = 50.5 h, whatever the holiday data.
    assert business_seconds(ALWAYS, at(2027, 3, 1, 10), at(2027, 3, 3, 12, 30)) == 50.5 * H
    assert add_business_time(ALWAYS, at(2027, 3, 1, 10), 50.5 * H) == at(2027, 3, 3, 12, 30)


# ---- working hours --------------------------------------------------------------------------

def test_working_hours_skip_a_weekend():
    # Fri 2026-03-06 17:00 + 4 h: Fri 17:00-18:00 (1 h), Sat and Sun off, Mon 08:30-11:30 (3 h).
    assert add_business_time(OFFICE, at(2026, 3, 6, 17), 4 * H) == at(2026, 3, 9, 11, 30)
    # Back: Fri 1 h + Mon 08:30-12:00 3.5 h + 14:00-15:00 1 h = 5.5 h.
    assert business_seconds(OFFICE, at(2026, 3, 6, 17), at(2026, 3, 9, 15)) == 5.5 * H


def test_working_hours_skip_national_day():
    # Wed 2026-09-30 16:00 + 8 h: Sep 30 16:00-18:00 (2 h), Oct 1-7 off, Thu Oct 8
    # 08:30-12:00 (3.5 h, 5.5 in all) and 14:00-16:30 (2.5 h, 8 in all).
    assert add_business_time(OFFICE, at(2026, 9, 30, 16), 8 * H) == at(2026, 10, 8, 16, 30)


def test_working_hours_count_a_make_up_saturday():
    # Fri 2026-10-09 17:00 + 3 h: Fri 17:00-18:00 (1 h), Sat Oct 10 is worked (调休): 08:30-10:30.
    assert add_business_time(OFFICE, at(2026, 10, 9, 17), 3 * H) == at(2026, 10, 10, 10, 30)


def test_working_hours_across_the_spring_festival():
    # Sat 2026-02-14 (make-up day) 12:00 to Tue 02-24 12:00: Feb 14 14:00-18:00 (4 h), Feb 15-23 off,
    # Feb 24 08:30-12:00 (3.5 h) = 7.5 h.
    assert business_seconds(OFFICE, at(2026, 2, 14, 12), at(2026, 2, 24, 12)) == 7.5 * H
    assert add_business_time(OFFICE, at(2026, 2, 14, 17), 2 * H) == at(2026, 2, 24, 9, 30)


def test_a_start_outside_hours_counts_from_the_next_window():
    assert add_business_time(OFFICE, at(2026, 3, 9, 12, 30), 1800) == at(2026, 3, 9, 14, 30)  # lunch
    assert add_business_time(OFFICE, at(2026, 3, 9, 20), H) == at(2026, 3, 10, 9, 30)  # evening
    assert add_business_time(OFFICE, at(2026, 3, 8, 10), H) == at(2026, 3, 9, 9, 30)  # Sunday
    assert add_business_time(OFFICE, at(2026, 3, 8, 10), 0) == at(2026, 3, 9, 8, 30)
    assert business_seconds(OFFICE, at(2026, 3, 7, 9), at(2026, 3, 8, 17)) == 0  # a whole weekend


def test_time_used_up_at_a_window_end_gives_that_end_not_the_next_start():
    # 08:30 + 3.5 h is exactly 12:00, the end of the morning window.
    assert add_business_time(OFFICE, at(2026, 3, 9, 8, 30), 3.5 * H) == at(2026, 3, 9, 12)


def test_a_year_of_working_hours_in_one_call():
    # 248 working days in 2026 x 7.5 h = 1860 h.
    assert business_seconds(OFFICE, at(2026, 1, 1), at(2027, 1, 1)) == 1860 * H


def test_unix_seconds_and_datetimes_mean_the_same_instants():
    # 2026-03-09 08:30 in Shanghai is 00:30 UTC; the answer for a number start is a number.
    start = datetime(2026, 3, 9, 0, 30, tzinfo=timezone.utc).timestamp()
    assert add_business_time(OFFICE, start, 3600) == at(2026, 3, 9, 9, 30).timestamp()
    assert business_seconds(OFFICE, start, at(2026, 3, 9, 9, 30)) == 3600
    later = add_business_time(OFFICE, datetime(2026, 3, 9, 0, 30, tzinfo=timezone.utc), 3600)
    assert later.tzinfo is timezone.utc and later == at(2026, 3, 9, 9, 30)


def test_bad_instants_are_refused():
    with pytest.raises(ValueError, match="no time zone"):
        business_seconds(OFFICE, datetime(2026, 3, 9, 9), at(2026, 3, 9, 10))
    with pytest.raises(ValueError, match="before start"):
        business_seconds(OFFICE, at(2026, 3, 9, 10), at(2026, 3, 9, 9))
    with pytest.raises(ValueError, match="negative"):
        add_business_time(OFFICE, at(2026, 3, 9, 10), -1)


# ---- the year boundary and loaded years -----------------------------------------------------

def test_a_deadline_running_into_a_missing_year_says_so():
    # Thu 2026-12-31 17:00 + 2 h: 1 h on Dec 31, the rest needs 2027.
    with pytest.raises(CalendarMissing, match="2027"):
        add_business_time(OFFICE, at(2026, 12, 31, 17), 2 * H)
    # A span ending at 2027-01-01 00:00 needs nothing of 2027: Dec 31 08:30-18:00 = 7.5 h.
    assert business_seconds(OFFICE, at(2026, 12, 31), at(2027, 1, 1)) == 7.5 * H


def test_a_loaded_2027_notice_carries_the_clock_over_new_year():
    office = office_with(parse_notice(NOTICE_2027, "2027 test notice"))
    # Thu 2026-12-31 17:00 + 2 h: 1 h on Dec 31, Jan 1-3 off, Mon 2027-01-04 08:30-09:30.
    assert add_business_time(office, at(2026, 12, 31, 17), 2 * H) == at(2027, 1, 4, 9, 30)
    # Fri 2027-02-19 17:00 + 2 h: 1 h on Friday, then the make-up Saturday 02-20 08:30-09:30.
    assert add_business_time(office, at(2027, 2, 19, 17), 2 * H) == at(2027, 2, 20, 9, 30)


def test_a_notice_loads_from_toml_and_json_files(tmp_path):
    toml = tmp_path / "2027.toml"
    toml.write_text('year = 2027\nholidays = [{ name = "元旦", start = 2027-01-01, end = 2027-01-03 }]\n'
                    'workdays = []\n', "utf-8")
    json_file = tmp_path / "2027.json"
    json_file.write_text('{"year": 2027, "holidays": [{"name": "元旦", "start": "2027-01-01", '
                         '"end": "2027-01-03"}], "workdays": []}', "utf-8")
    for path in (toml, json_file):
        notice = load_notice(path)
        assert notice.year == 2027
        assert sorted(notice.holidays) == [date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 3)]


def test_the_next_missing_year_is_still_refused_with_what_is_loaded():
    days = WorkingDays((parse_notice(NOTICE_2027, "t"),))
    with pytest.raises(CalendarMissing) as caught:
        days.is_workday(date(2028, 1, 3))
    assert caught.value.year == 2028 and "loaded notices: 2027" in str(caught.value)
