"""Calendar data is refused when wrong, each time naming the source and the entry at fault."""

from __future__ import annotations

import copy
from datetime import date, datetime

import pytest

from assetsvc.tickets.calendar import (DataError, ServiceCalendar, WorkingDays, calendar_from_data, load_notice,
                                       parse_notice)

GOOD = {
    "year": 2027,
    "holidays": [{"name": "元旦", "start": date(2027, 1, 1), "end": date(2027, 1, 3)},
                 {"name": "清明节", "date": date(2027, 4, 5)}],
    "workdays": [{"date": date(2027, 2, 20), "name": "春节"}],
}


def changed(path: str, value) -> dict:
    """GOOD with one key replaced ('holidays.0.end') or removed (value ...)."""
    doc = copy.deepcopy(GOOD)
    *parents, last = path.split(".")
    target = doc
    for key in parents:
        target = target[int(key)] if key.isdigit() else target[key]
    if value is ...:
        del target[last]
    else:
        target[int(last) if last.isdigit() else last] = value
    return doc


BAD_NOTICES = [
    ("year missing", changed("year", ...), "notice: missing year"),
    ("year as text", changed("year", "2027"), "year = '2027' must be a whole year"),
    ("year as bool", changed("year", True), "year = True"),
    ("unknown key", {**GOOD, "makeup": []}, "unknown keys ['makeup']"),
    ("workdays missing", changed("workdays", ...), "missing workdays"),
    ("no holidays", changed("holidays", []), "at least one holiday"),
    ("holidays not a list", changed("holidays", {"name": "元旦"}), "holidays must be a list"),
    ("holiday without name", changed("holidays.0.name", ...), "holidays #1: missing name"),
    ("holiday with date and range", changed("holidays.1.start", date(2027, 4, 5)),
     "holidays #2 (清明节): give either date, or start and end"),
    ("holiday with start only", changed("holidays.0.end", ...), "holidays #1 (元旦): give either date"),
    ("range backwards", changed("holidays.0.end", date(2026, 12, 31)), "end 2026-12-31 is before start"),
    ("range a typo long", changed("holidays.0.end", date(2027, 12, 3)), "is 337 days; at most 31"),
    ("date outside the year", changed("holidays.1.date", date(2028, 4, 5)), "2028-04-05 is outside 2027"),
    ("date in an earlier month of last year", changed("holidays.1.date", date(2026, 11, 30)), "outside 2027"),
    ("date with a time", changed("holidays.1.date", datetime(2027, 4, 5, 8)), "must be a date like"),
    ("date not a date", changed("holidays.1.date", "April 5"), "must be a date like"),
    ("date impossible", changed("holidays.1.date", "2027-02-30"), "'2027-02-30' is not a calendar date"),
    ("empty name", changed("holidays.1.name", " "), "holidays #2.name must be a non-empty text"),
    ("day given twice", changed("workdays.0.date", date(2027, 1, 2)),
     "workdays #1 (春节): 2027-01-02 is already given by holidays #1 (元旦)"),
    ("overlapping holidays", changed("holidays.1.date", date(2027, 1, 3)), "already given by holidays #1"),
    ("make-up day on a weekday", changed("workdays.0.date", date(2027, 2, 22)),
     "2027-02-22 is a Monday; a make-up working day"),
    ("make-up day without name", changed("workdays.0.name", ...), "workdays #1: missing name"),
]


@pytest.mark.parametrize("doc,expected", [(d, e) for _, d, e in BAD_NOTICES], ids=[n for n, _, _ in BAD_NOTICES])
def test_a_wrong_notice_is_refused_naming_the_entry(doc, expected):
    with pytest.raises(DataError) as caught:
        parse_notice(doc, "2027.toml")
    assert str(caught.value).startswith("2027.toml: ")
    assert expected in str(caught.value)


def test_the_good_notice_parses_and_may_reach_into_last_december():
    notice = parse_notice(changed("holidays.1.date", date(2026, 12, 31)), "2027.toml")
    assert notice.holidays[date(2026, 12, 31)] == "清明节"
    assert len(parse_notice(GOOD, "2027.toml").holidays) == 4


def test_two_notices_for_one_year_are_refused():
    notice = parse_notice(GOOD, "a")
    with pytest.raises(DataError, match=r"two notices loaded for \[2027\]"):
        WorkingDays((notice, notice))


@pytest.mark.parametrize("name,text,expected", [
    ("toml syntax", "year = ", "not valid TOML"),
    ("json duplicate key", '{"year": 2027, "year": 2028, "holidays": [], "workdays": []}',
     "duplicate keys ['year']"),
    ("json syntax", "{", "not valid JSON"),
])
def test_a_broken_notice_file_is_refused_naming_the_file(tmp_path, name, text, expected):
    path = tmp_path / ("n.json" if "json" in name else "n.toml")
    path.write_text(text, "utf-8")
    with pytest.raises(DataError) as caught:
        load_notice(path)
    assert str(caught.value).startswith(str(path)) and expected in str(caught.value)


def test_a_notice_in_another_format_is_refused(tmp_path):
    path = tmp_path / "2027.yaml"
    path.write_text("year: 2027", "utf-8")
    with pytest.raises(DataError, match="expected a .toml or .json file"):
        load_notice(path)


BAD_CALENDARS = [
    ("unknown kind", {"kind": "business"}, "kind = 'business' must be one of 24x7, working_hours"),
    ("hours without windows", {"kind": "working_hours"}, "needs windows"),
    ("24x7 with windows", {"kind": "24x7", "windows": ["08:00-18:00"]}, "a 24x7 calendar has no windows"),
    ("window format", {"kind": "working_hours", "windows": ["8:30-12:00"]}, "windows #1 = '8:30-12:00' must look"),
    ("window past midnight", {"kind": "working_hours", "windows": ["08:30-24:30"]}, "is not a time of day"),
    ("window backwards", {"kind": "working_hours", "windows": ["14:00-12:00"]}, "ends before it starts"),
    ("windows overlap", {"kind": "working_hours", "windows": ["08:30-12:00", "11:00-18:00"]}, "must not overlap"),
    ("windows out of order", {"kind": "working_hours", "windows": ["14:00-18:00", "08:30-12:00"]},
     "in order of the day"),
    ("unknown zone", {"kind": "24x7", "timezone": "Asia/Beijing"}, "'Asia/Beijing' is not a known time zone"),
    ("unknown key", {"kind": "24x7", "hours": "all"}, "unknown keys ['hours']"),
]


@pytest.mark.parametrize("raw,expected", [(r, e) for _, r, e in BAD_CALENDARS], ids=[n for n, _, _ in BAD_CALENDARS])
def test_a_wrong_service_calendar_is_refused(raw, expected):
    with pytest.raises(DataError) as caught:
        calendar_from_data(raw, WorkingDays(), "calendars.office")
    assert str(caught.value).startswith("calendars.office") and expected in str(caught.value)


def test_a_window_may_end_at_midnight():
    calendar = calendar_from_data({"kind": "working_hours", "windows": ["08:00-12:00", "12:00-24:00"]},
                                  WorkingDays())
    assert calendar.windows == ((28800, 43200), (43200, 86400))
    assert calendar == ServiceCalendar("working_hours", [[28800, 43200], [43200, 86400]], calendar.days)
