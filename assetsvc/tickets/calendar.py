"""The service calendar of SLA clocks: China's working days (工作日, 调休) and service-time arithmetic.

Working days come from the `chinese_calendar` package for the years it covers and from the State
Council's yearly notice loaded as data (YearNotice) when the package lags; a year with neither
raises CalendarMissing, never a guess. Arithmetic runs on integer microseconds, so
`business_seconds` and `add_business_time` are exact inverses; docs/sla.md has the model.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar

from assetsvc.settings import DEFAULT_TIMEZONE

Instant = float | int | datetime  # Unix seconds or an aware datetime
US = 1_000_000  # microseconds per second: every instant and span is an int of these inside
KINDS = ("24x7", "working_hours")
# The longest official holiday was 8-9 days; a range over a month is a typo (2027-12-07 for 2027-10-07).
MAX_HOLIDAY_SPAN_DAYS = 31
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_ONE_US = timedelta(microseconds=1)
_ONE_DAY = timedelta(days=1)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class DataError(ValueError):
    """A calendar notice or SLA terms document is wrong; the message names the source and the key."""


class CalendarMissing(LookupError):
    """A clock needs a year for which no working-day data exists (never guessed)."""

    def __init__(self, year: int, covered: str) -> None:
        super().__init__(
            f"no working-day calendar for {year}: {covered}. Load the State Council's holiday notice "
            f"for {year} as data (docs/sla.md, 'Loading a year')")
        self.year = year


# ---- instants -------------------------------------------------------------------------------

def to_us(at: Instant) -> int:
    """An instant (Unix seconds or aware datetime) as integer microseconds since the epoch."""
    if isinstance(at, datetime):
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError(f"{at!r} has no time zone: give an aware datetime or Unix seconds")
        return (at - _EPOCH) // _ONE_US
    if isinstance(at, bool) or not isinstance(at, (int, float)):
        raise TypeError(f"{at!r} is not an instant (Unix seconds or aware datetime)")
    return at * US if isinstance(at, int) else round(at * US)


def from_us(us: int, like: Instant | None = None) -> Instant:
    """Back from microseconds: a datetime in `like`'s zone when `like` is one, else Unix seconds."""
    if isinstance(like, datetime):
        return (_EPOCH + timedelta(microseconds=us)).astimezone(like.tzinfo)
    return us / US


# ---- data-document helpers (shared with sla.py) ---------------------------------------------

def data_table(raw: Any, where: str, required: Iterable[str], optional: Iterable[str] = ()) -> Mapping[str, Any]:
    """`raw` as a table holding every required key and nothing outside required + optional."""
    required = set(required)
    if not isinstance(raw, Mapping):
        raise DataError(f"{where} must be a table")
    missing = sorted(required - set(raw))
    if missing:
        raise DataError(f"{where}: missing {', '.join(missing)}")
    unknown = sorted(set(raw) - required - set(optional))
    if unknown:
        raise DataError(f"{where}: unknown keys {unknown}")
    return raw


def data_text(raw: Any, where: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise DataError(f"{where} must be a non-empty text")
    return raw.strip()


def data_list(raw: Any, where: str) -> list:
    if not isinstance(raw, list):
        raise DataError(f"{where} must be a list")
    return raw


def read_document(path: str | Path) -> Mapping[str, Any]:
    """A TOML or JSON file as a mapping (JSON refusing duplicate keys); DataError names the file."""
    file = Path(path)
    try:
        text = file.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{file}: cannot read it ({exc})") from None
    try:
        if file.suffix == ".toml":
            return tomllib.loads(text)
        if file.suffix == ".json":
            return json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, DataError) as exc:
        raise DataError(f"{file}: not valid {file.suffix[1:].upper()} ({exc})") from None
    raise DataError(f"{file}: expected a .toml or .json file")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json.loads keeps the last of two equal keys silently; a notice typed twice must not.
    keys = [k for k, _ in pairs]
    doubled = sorted({k for k in keys if keys.count(k) > 1})
    if doubled:
        raise DataError(f"duplicate keys {doubled}")
    return dict(pairs)


# ---- the State Council notice as data -------------------------------------------------------

@dataclass(frozen=True)
class YearNotice:
    """One year's holiday notice (国务院办公厅关于部分节假日安排的通知): days off and make-up days (调休)."""

    year: int
    holidays: Mapping[date, str]  # every day off, with the holiday's name
    workdays: Mapping[date, str]  # make-up working days on a weekend, with the holiday they make up for
    title: str = ""


def parse_notice(raw: Any, source: str) -> YearNotice:
    """Validate a notice document (docs/sla.md); DataError names the source and the entry at fault."""
    try:
        doc = data_table(raw, "notice", {"year", "holidays", "workdays"}, {"title"})
        year = doc["year"]
        if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
            raise DataError(f"year = {year!r} must be a whole year between 2000 and 2100")
        seen: dict[date, str] = {}
        holidays: dict[date, str] = {}
        entries = data_list(doc["holidays"], "holidays")
        if not entries:
            raise DataError("holidays: a notice lists at least one holiday")
        for n, item in enumerate(entries, 1):
            name, days = _holiday_entry(item, f"holidays #{n}", year)
            for day in days:
                _claim(seen, day, f"holidays #{n} ({name})")
                holidays[day] = name
        workdays: dict[date, str] = {}
        for n, item in enumerate(data_list(doc["workdays"], "workdays"), 1):
            name, day = _workday_entry(item, f"workdays #{n}", year)
            _claim(seen, day, f"workdays #{n} ({name})")
            workdays[day] = name
        title = data_text(doc["title"], "title") if "title" in doc else ""
    except DataError as exc:
        raise DataError(f"{source}: {exc}") from None
    return YearNotice(year, holidays, workdays, title)


def load_notice(path: str | Path) -> YearNotice:
    """A notice from a .toml or .json file."""
    return parse_notice(read_document(path), str(path))


def _holiday_entry(raw: Any, where: str, year: int) -> tuple[str, list[date]]:
    item = data_table(raw, where, {"name"}, {"date", "start", "end"})
    name = data_text(item["name"], f"{where}.name")
    where = f"{where} ({name})"
    if "date" in item and not ({"start", "end"} & set(item)):
        first = last = _notice_date(item["date"], f"{where}.date", year)
    elif {"start", "end"} <= set(item) and "date" not in item:
        first = _notice_date(item["start"], f"{where}.start", year)
        last = _notice_date(item["end"], f"{where}.end", year)
        if last < first:
            raise DataError(f"{where}: end {last} is before start {first}")
        if (last - first).days + 1 > MAX_HOLIDAY_SPAN_DAYS:
            raise DataError(f"{where}: {first}..{last} is {(last - first).days + 1} days; at most "
                            f"{MAX_HOLIDAY_SPAN_DAYS} (a typo?)")
    else:
        raise DataError(f"{where}: give either date, or start and end")
    return name, [first + timedelta(days=k) for k in range((last - first).days + 1)]


def _workday_entry(raw: Any, where: str, year: int) -> tuple[str, date]:
    item = data_table(raw, where, {"date", "name"})
    name = data_text(item["name"], f"{where}.name")
    day = _notice_date(item["date"], f"{where} ({name}).date", year)
    if day.weekday() < 5:
        raise DataError(f"{where} ({name}).date: {day} is a {_WEEKDAYS[day.weekday()]}; a make-up "
                        f"working day (调休上班) is always a Saturday or Sunday")
    return name, day


def _notice_date(raw: Any, where: str, year: int) -> date:
    if isinstance(raw, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        try:
            raw = date.fromisoformat(raw)
        except ValueError:
            raise DataError(f"{where} = {raw!r} is not a calendar date") from None
    # datetime is a subclass of date: a time of day has no place in a list of days.
    if not isinstance(raw, date) or isinstance(raw, datetime):
        raise DataError(f"{where} = {raw!r} must be a date like 2027-01-01")
    # A New Year holiday and its make-up day may start in the previous December (the 2019 notice
    # gave 2018-12-30 and 2018-12-31 off and 2018-12-29 as a make-up day).
    if raw.year != year and not (raw.year == year - 1 and raw.month == 12):
        raise DataError(f"{where} = {raw} is outside {year} (only December {year - 1} may appear besides)")
    return raw


def _claim(seen: dict[date, str], day: date, where: str) -> None:
    if day in seen:
        raise DataError(f"{where}: {day} is already given by {seen[day]}")
    seen[day] = where


# ---- working days: the package plus loaded notices ------------------------------------------

def _notice_year(day: date, name: str) -> int:
    # The package keys days by date only; a New Year day off or make-up day in late December came
    # with next year's notice (2018-12-29..31 with 2019's), so that notice is the one it belongs to.
    if day.month == 12 and name == chinese_calendar.Holiday.new_years_day.value:
        return day.year + 1
    return day.year


@lru_cache(maxsize=1)
def _package() -> tuple[dict[int, YearNotice], range]:
    """The package's data regrouped as notices, and the years it covers."""
    # The package names days by the English value of its Holiday enum; `.chinese` has the office's name.
    chinese = {h.value: h.chinese for h in chinese_calendar.Holiday}
    groups: dict[int, tuple[dict, dict]] = {}
    for index, table in enumerate((chinese_calendar.holidays, chinese_calendar.workdays)):
        for day, name in table.items():
            groups.setdefault(_notice_year(day, name), ({}, {}))[index][day] = chinese.get(name, name)
    title = f"chinesecalendar {chinese_calendar.__version__}"
    notices = {year: YearNotice(year, off, on, title) for year, (off, on) in groups.items()}
    # Coverage as the package itself decides it (utils._validate_date): first to last year of holidays.
    years = [day.year for day in chinese_calendar.holidays]
    return notices, range(min(years), max(years) + 1)


@dataclass(frozen=True, eq=False)
class WorkingDays:
    """Which dates are working days (工作日): the package's years plus loaded notices.

    A loaded notice replaces the package's notice for its year (it is the whole truth for that
    year); its late-December entries, if any, override those days of the year before.
    """

    notices: tuple[YearNotice, ...] = ()
    timezone: str = DEFAULT_TIMEZONE  # the office's (ASSETSVC_TIMEZONE): a calendar's default zone
    _days: dict[date, tuple[bool, str]] = field(init=False, repr=False)
    _years: frozenset[int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        loaded = [n.year for n in self.notices]
        doubled = sorted({y for y in loaded if loaded.count(y) > 1})
        if doubled:
            raise DataError(f"two notices loaded for {doubled}; keep one per year")
        package, package_years = _package()
        by_year = {**package, **{n.year: n for n in self.notices}}
        days: dict[date, tuple[bool, str]] = {}
        for year in sorted(by_year):  # later notices win on the December days they share
            days.update((day, (False, name)) for day, name in by_year[year].holidays.items())
            days.update((day, (True, name)) for day, name in by_year[year].workdays.items())
        object.__setattr__(self, "_days", days)
        object.__setattr__(self, "_years", frozenset(package_years) | frozenset(loaded))

    def covers(self, year: int) -> bool:
        return year in self._years

    def detail(self, day: date) -> tuple[bool, str | None]:
        """(is a working day, the holiday or make-up day's name or None); CalendarMissing if unknown."""
        if day.year not in self._years:
            raise CalendarMissing(day.year, self._coverage())
        if day in self._days:
            return self._days[day]
        return day.weekday() < 5, None

    def is_workday(self, day: date) -> bool:
        return self.detail(day)[0]

    def _coverage(self) -> str:
        years = _package()[1]
        loaded = ", ".join(str(n.year) for n in sorted(self.notices, key=lambda n: n.year)) or "none"
        return f"the chinesecalendar package covers {years[0]}-{years[-1]}; loaded notices: {loaded}"


# ---- the service calendar -------------------------------------------------------------------

@dataclass(frozen=True)
class ServiceCalendar:
    """When an SLA clock runs: every instant ("24x7") or inside daily windows on working days."""

    kind: str
    windows: tuple[tuple[int, int], ...] = ()  # [start, end) in seconds after local midnight
    days: WorkingDays | None = None
    timezone: str = DEFAULT_TIMEZONE

    def __post_init__(self) -> None:
        object.__setattr__(self, "windows", tuple((int(a), int(b)) for a, b in self.windows))  # hashable
        if self.kind not in KINDS:
            raise DataError(f"kind = {self.kind!r} must be one of {', '.join(KINDS)}")
        if self.kind == "24x7" and self.windows:
            raise DataError("a 24x7 calendar has no windows")
        if self.kind == "working_hours":
            if not self.windows or self.days is None:
                raise DataError("a working_hours calendar needs windows and working days")
            _check_windows(self.windows)
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise DataError(f"timezone = {self.timezone!r} is not a known time zone") from None

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def parse_window(text: Any, where: str = "window") -> tuple[int, int]:
    """'08:30-12:00' as (30600, 43200) seconds after midnight; '24:00' may end a window."""
    found = re.fullmatch(r"(\d{2}):(\d{2})-(\d{2}):(\d{2})", text) if isinstance(text, str) else None
    if not found:
        raise DataError(f"{where} = {text!r} must look like '08:30-12:00'")
    h1, m1, h2, m2 = map(int, found.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
        raise DataError(f"{where} = {text!r} is not a time of day")
    start, end = h1 * 3600 + m1 * 60, h2 * 3600 + m2 * 60
    if end <= start:
        raise DataError(f"{where} = {text!r} ends before it starts")
    return start, end


def _check_windows(windows: tuple[tuple[int, int], ...]) -> None:
    for (_, end), (start, _) in zip(windows, windows[1:]):
        if start < end:
            raise DataError("windows must be in order of the day and must not overlap")


def calendar_from_data(raw: Any, days: WorkingDays, where: str = "calendar") -> ServiceCalendar:
    """A ServiceCalendar from {kind, windows?, timezone?} (docs/sla.md)."""
    table = data_table(raw, where, {"kind"}, {"windows", "timezone"})
    windows = tuple(parse_window(w, f"{where}.windows #{n}")
                    for n, w in enumerate(data_list(table.get("windows", []), f"{where}.windows"), 1))
    try:
        return ServiceCalendar(table["kind"], windows, days if table["kind"] == "working_hours" else None,
                               table.get("timezone", days.timezone))
    except DataError as exc:
        raise DataError(f"{where}: {exc}") from None


# ---- service-time arithmetic ----------------------------------------------------------------

@lru_cache(maxsize=8192)
def _day_windows(calendar: ServiceCalendar, day: date) -> tuple[tuple[int, int], ...]:
    """The day's service windows as [start, end) instants in microseconds; () on a day off."""
    if not calendar.days.is_workday(day):
        return ()
    # Aware datetime + timedelta is wall-clock arithmetic, so a window keeps its local times even
    # in a zone with daylight saving; '24:00' lands on the next midnight.
    midnight = datetime.combine(day, time.min, tzinfo=calendar.zone)
    return tuple((to_us(midnight + timedelta(seconds=a)), to_us(midnight + timedelta(seconds=b)))
                 for a, b in calendar.windows)


def _local_day(calendar: ServiceCalendar, us: int) -> date:
    return (_EPOCH + timedelta(microseconds=us)).astimezone(calendar.zone).date()


def span_us(calendar: ServiceCalendar, start: int, end: int) -> int:
    """Service time in [start, end), all in microseconds; one step per calendar day."""
    if end < start:
        raise ValueError(f"end {from_us(end)} is before start {from_us(start)}")
    if calendar.kind == "24x7" or end == start:
        return end - start
    total = 0
    day, last = _local_day(calendar, start), _local_day(calendar, end - 1)
    while day <= last:
        for a, b in _day_windows(calendar, day):
            total += max(0, min(b, end) - max(a, start))
        day += _ONE_DAY
    return total


def advance_us(calendar: ServiceCalendar, start: int, amount: int) -> int:
    """The first instant by which `amount` of service time has passed since `start` (microseconds).

    A start outside service hours counts from the next window; an amount that ends exactly at a
    window's end gives that end. The walk stops at the latest with CalendarMissing, since every
    year with data has working days.
    """
    if amount < 0:
        raise ValueError(f"a negative amount of service time ({amount / US} s)")
    if calendar.kind == "24x7":
        return start + amount
    day = _local_day(calendar, start)
    while True:
        for a, b in _day_windows(calendar, day):
            left_in_window = b - max(a, start)
            if left_in_window > 0:
                if amount <= left_in_window:
                    return max(a, start) + amount
                amount -= left_in_window
        day += _ONE_DAY


def business_seconds(calendar: ServiceCalendar, start: Instant, end: Instant) -> float:
    """Service time between two instants, in seconds (exact to the microsecond)."""
    return span_us(calendar, to_us(start), to_us(end)) / US


def add_business_time(calendar: ServiceCalendar, start: Instant, seconds: float) -> Instant:
    """The deadline: when `seconds` of service time have passed since `start`.

    Returns an aware datetime (in start's zone) for a datetime start, else Unix seconds.
    """
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"seconds = {seconds!r} is not a number")
    amount = seconds * US if isinstance(seconds, int) else round(seconds * US)
    return from_us(advance_us(calendar, to_us(start), amount), start)
