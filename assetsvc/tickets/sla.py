"""SLA clocks of fault tickets (响应/到场/修复时限) and the contractor's monthly score (考核扣分).

Pure functions of contract data (terms and penalty rules, parsed by parse_contract_sla), a
ticket's Timeline and `now`; docs/sla.md gives the model, formulas and data formats. Clock
arithmetic is in integer microseconds (calendar.span_us / advance_us), so a stage exactly at its
limit is met, never late by a rounding error; points and money are Decimals.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from assetsvc.monitoring.service import DOWN_ONLY, DowntimeRule
from assetsvc.monitoring.uptime_math import union
from assetsvc.settings import times_of_day
from assetsvc.tickets.calendar import (US, CalendarMissing, DataError, Instant, ServiceCalendar, WorkingDays,
                                       advance_us, calendar_from_data, data_list, data_table, data_text,
                                       read_document, span_us, to_us)

STAGES = ("respond", "arrive", "restore")
# A later step implies the earlier ones: a ticket restored remotely needs no visit, and one whose
# technician is on site was acknowledged; so each stage ends at the first of these events.
_STAGE_ENDS = {"respond": ("acknowledged_at", "on_site_at", "restored_at"),
               "arrive": ("on_site_at", "restored_at"),
               "restore": ("restored_at",)}
_EVENTS = _STAGE_ENDS["respond"]
PAUSE_FROM = ("approval", "request")
NOT_APPLICABLE = "not_applicable"  # a stage nobody had to meet: the fault cleared by itself first


@dataclass(frozen=True)
class TicketTerms:
    """One cell of the terms (severity x area class): the service calendar and each stage's limit."""

    calendar: ServiceCalendar
    limits_s: Mapping[str, int]  # stage -> seconds of service time; a stage may be absent (no arrive)


@dataclass(frozen=True)
class PauseRule:
    """What an approved pause (挂起) does under the contract: when it stops the clock, and which stages.

    By default the clock stops when the office approves (a contractor cannot ask just before a
    deadline and have the breach withdrawn afterwards) and only the restore stage stops: responding
    and arriving are owed even while, say, the owner denies access.
    """

    clock_from: str = "approval"  # approval | request (backdated to the contractor's request)
    stops: frozenset[str] = frozenset({"restore"})


@dataclass(frozen=True)
class SlaTerms:
    """A contract's deadlines per (severity, area class), e.g. ("P1", "urban"), and its pause rule."""

    cells: Mapping[tuple[str, str], TicketTerms]
    pauses: PauseRule = PauseRule()

    def for_ticket(self, severity: str, area: str) -> TicketTerms:
        try:
            return self.cells[(severity, area)]
        except KeyError:
            known = ", ".join(f"{s}/{a}" for s, a in sorted(self.cells)) or "none"
            raise LookupError(f"no SLA terms for severity {severity!r} in {area!r} areas "
                              f"(the contract defines {known})") from None


@dataclass(frozen=True)
class Suspension:
    """A pause of the clock (挂起), e.g. waiting for the owner to grant access; approved and audited elsewhere."""

    start: Instant
    end: Instant | None = None  # None: still suspended


@dataclass(frozen=True)
class Timeline:
    """What happened to a ticket: opened (派单), acknowledged (响应), on site (到场), restored (修复)."""

    opened_at: Instant
    acknowledged_at: Instant | None = None
    on_site_at: Instant | None = None
    restored_at: Instant | None = None
    suspensions: tuple[Suspension, ...] = ()
    self_recovered: bool = False  # restored_at is the fault clearing by itself (自行恢复), before anyone acted


@dataclass(frozen=True)
class StageFigure:
    """One stage's clock as of a moment; instants are Unix seconds, spans seconds of service time."""

    stage: str
    limit_s: float
    deadline: float | None  # while the ticket is suspended this moves later as time passes
    done_at: float | None
    elapsed_s: float | None  # service time from opening to done (or now), pauses excluded; None if not_applicable
    late_s: float  # elapsed beyond the limit; 0 unless breached
    status: str  # met | breached | running | not_applicable
    missing_year: int | None = None  # the deadline needs this year's working days (deadline None)


@dataclass(frozen=True)
class TicketFigures:
    """A ticket's SLA figures as of `as_of`: the input of penalties and monthly scores."""

    ticket: Any
    severity: str
    area: str
    as_of: float
    paused: bool
    suspended_s: float  # service time the suspensions covered so far
    stages: Mapping[str, StageFigure]


def ticket_figures(terms: SlaTerms, severity: str, area: str, timeline: Timeline, now: Instant,
                   ticket: Any = None) -> TicketFigures:
    """Deadlines, elapsed time and status of each stage as of `now` (later events are not yet known)."""
    cell = terms.for_ticket(severity, area)
    opened, at = to_us(timeline.opened_at), to_us(now)
    if at < opened:
        raise ValueError("now is before the ticket was opened")
    events = {name: _event(timeline, name, opened, at) for name in _EVENTS}
    pauses = _pauses(timeline.suspensions, opened, at)
    stages = {}
    for stage in STAGES:
        if stage in cell.limits_s:
            done = min((events[e] for e in _STAGE_ENDS[stage] if events[e] is not None), default=None)
            stopped = pauses if stage in terms.pauses.stops else []
            figure = _stage(cell.calendar, stage, cell.limits_s[stage] * US, opened, done, at, stopped)
            if _ended_by_self_recovery(stage, timeline, events, figure):
                figure = _not_applicable(figure)
            stages[stage] = figure
    paused = any(to_us(s.start) <= at and (s.end is None or to_us(s.end) > at) for s in timeline.suspensions)
    suspended = sum(span_us(cell.calendar, a, b) for a, b in pauses)
    return TicketFigures(ticket, severity, area, at / US, paused, suspended / US, stages)


def _ended_by_self_recovery(stage: str, timeline: Timeline, events: Mapping[str, int | None],
                            figure: StageFigure) -> bool:
    """A respond or arrive stage that only the fault clearing by itself ended, before its deadline.

    Counting it met would credit the contractor with an answer nobody gave; a stage whose deadline
    had already passed when the fault cleared stays breached (the answer was owed and not given).
    """
    if not timeline.self_recovered or stage == "restore" or figure.status != "met":
        return False
    return all(events[e] is None for e in _STAGE_ENDS[stage] if e != "restored_at")


def _not_applicable(figure: StageFigure) -> StageFigure:
    """The stage without deadline, elapsed time or done instant: no rate or mean may count it."""
    return StageFigure(figure.stage, figure.limit_s, None, None, None, 0.0, NOT_APPLICABLE)


def _event(timeline: Timeline, name: str, opened: int, at: int) -> int | None:
    value = getattr(timeline, name)
    if value is None:
        return None
    us = to_us(value)
    if us < opened:
        raise ValueError(f"{name} is before opened_at")
    return us if us <= at else None


def _pauses(suspensions: Iterable[Suspension], opened: int, at: int) -> list[tuple[int, int]]:
    """Suspensions as sorted disjoint [start, end) microsecond ranges within [opened, now]; open ones end now."""
    ranges = []
    for n, pause in enumerate(suspensions, 1):
        start = to_us(pause.start)
        end = at if pause.end is None else to_us(pause.end)
        if end < start:
            raise ValueError(f"suspension #{n} ends before it starts")
        ranges.append((start, min(end, at)))
    return union(ranges, opened, at)


def _stage(calendar: ServiceCalendar, stage: str, limit: int, opened: int, done: int | None, at: int,
           pauses: list[tuple[int, int]]) -> StageFigure:
    stop = at if done is None else done
    # Pauses after the stage ended neither count nor move its deadline.
    mine = [(a, min(b, stop)) for a, b in pauses if a < stop]
    elapsed = span_us(calendar, opened, stop) - sum(span_us(calendar, a, b) for a, b in mine)
    late = max(0, elapsed - limit)
    status = "breached" if late else ("met" if done is not None else "running")
    try:
        deadline, missing = _deadline(calendar, opened, limit, mine) / US, None
    except CalendarMissing as exc:
        # Elapsed time and status need only the days up to now; a deadline in a year nobody has
        # loaded yet (late December, before the notice) is unknown, not a reason to show nothing.
        deadline, missing = None, exc.year
    return StageFigure(stage, limit / US, deadline, None if done is None else done / US, elapsed / US,
                       late / US, status, missing)


def _deadline(calendar: ServiceCalendar, opened: int, limit: int, pauses: list[tuple[int, int]]) -> int:
    """The first instant by which `limit` of service time outside the pauses has passed since opening."""
    t, left = opened, limit
    for a, b in pauses:
        before = span_us(calendar, t, a)
        if before >= left:
            break
        left, t = left - before, b
    return advance_us(calendar, t, left)


# ---- penalties and the monthly score ---------------------------------------------------------

PENALTY_KINDS = ("late_ticket", "late_hours", "fault_hours", "per_count")
ROUNDINGS = ("up", "down", "nearest")


@dataclass(frozen=True)
class PenaltyRule:
    """One deduction rule of the monthly assessment; every number comes from the contract."""

    name: str
    kind: str  # late_ticket | late_hours | fault_hours | per_count
    points: Decimal = Decimal(0)  # per unit
    amount: Decimal = Decimal(0)  # money per unit (yuan)
    stage: str | None = None  # late_ticket, late_hours: which clock
    severities: frozenset[str] = frozenset()  # late_ticket, late_hours: empty means every severity
    per_s: int = 3600  # late_hours: one unit of lateness
    rounding: str = "up"  # late_hours: a started unit counts (up), or down, or nearest
    max_units_per_ticket: int | None = None  # late_hours
    over_s: int = 0  # fault_hours: a channel counts once its fault time in the month exceeds this
    downtime: DowntimeRule = DOWN_ONLY  # fault_hours: which states count (`counts`; down only unless named)
    counter: str | None = None  # per_count: the name of the count supplied with the month
    cap_points: Decimal | None = None  # per month
    cap_amount: Decimal | None = None  # per month


@dataclass(frozen=True)
class Grade:
    name: str
    min: Decimal  # a score at or above this earns the grade


@dataclass(frozen=True)
class ScoringScheme:
    """The monthly assessment: base score, deduction rules, grades (highest first), money cap."""

    rules: tuple[PenaltyRule, ...]
    grades: tuple[Grade, ...]
    base: Decimal = Decimal(100)
    max_amount: Decimal | None = None
    # The contract's spot-check times of day for its sampled online rate (minutes after midnight,
    # office time); None: the office's (ASSETSVC_SAMPLE_HOURS).
    sample_hours: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Deduction:
    rule: str
    units: int
    points: Decimal
    amount: Decimal
    capped: bool  # the rule's monthly cap cut points or amount
    items: tuple  # the tickets or channels behind the units (empty for per_count)
    counts: tuple[str, ...] | None = None  # fault_hours: the states it counted, e.g. ("down",)


@dataclass(frozen=True)
class MonthlyScore:
    score: Decimal  # base - points, never below 0
    grade: str
    points: Decimal
    amount: Decimal  # after the scheme's max_amount
    amount_capped: bool
    deductions: tuple[Deduction, ...]


def _late_units(late_us: int, per_us: int, rounding: str) -> int:
    if rounding == "up":
        return -(-late_us // per_us)
    if rounding == "down":
        return late_us // per_us
    return (2 * late_us + per_us) // (2 * per_us)  # nearest, a half rounds up


def _applies(rule: PenaltyRule, ticket: TicketFigures) -> bool:
    return rule.stage in ticket.stages and (not rule.severities or ticket.severity in rule.severities)


# Each channel's fault seconds in the month: one mapping for every rule, or a function of the rule's
# DowntimeRule (a contract may count degraded time in one rule and not in another).
ChannelFaults = Mapping[Any, float] | Callable[[DowntimeRule], Mapping[Any, float]]


def rule_units(rule: PenaltyRule, tickets: Iterable[TicketFigures], channel_fault_s: ChannelFaults | None,
               counts: Mapping[str, int] | None) -> tuple[int, tuple]:
    """How many units a rule charges for the month, and the tickets or channels behind them."""
    if rule.kind == "late_ticket":
        late = [t.ticket for t in tickets if _applies(rule, t) and t.stages[rule.stage].status == "breached"]
        return len(late), tuple(late)
    if rule.kind == "late_hours":
        units, items = 0, []
        for t in tickets:
            if _applies(rule, t) and t.stages[rule.stage].late_s > 0:
                n = _late_units(round(t.stages[rule.stage].late_s * US), rule.per_s * US, rule.rounding)
                units += n if rule.max_units_per_ticket is None else min(n, rule.max_units_per_ticket)
                items.append(t.ticket)
        return units, tuple(items)
    if rule.kind == "fault_hours":
        if channel_fault_s is None:
            raise ValueError(f"rule {rule.name!r} needs each channel's fault seconds in the month")
        found = channel_fault_s(rule.downtime) if callable(channel_fault_s) else channel_fault_s
        over = sorted(ch for ch, seconds in found.items() if seconds > rule.over_s)
        return len(over), tuple(over)
    if rule.kind != "per_count":
        raise ValueError(f"rule {rule.name!r} has an unknown kind {rule.kind!r}")
    if counts is None or rule.counter not in counts:
        raise ValueError(f"rule {rule.name!r} needs the month's count of {rule.counter!r}")
    count = counts[rule.counter]
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError(f"the count of {rule.counter!r} must be a whole number >= 0, not {count!r}")
    return count, ()


@dataclass(frozen=True)
class StageRate:
    """How a set of tickets did on one stage (按时率): running and not_applicable stages are counted
    apart and never enter the rate."""

    stage: str
    met: int = 0
    breached: int = 0
    running: int = 0
    not_applicable: int = 0

    @property
    def on_time_rate(self) -> float | None:
        """met / (met + breached); None when no stage was decided."""
        decided = self.met + self.breached
        return self.met / decided if decided else None


def stage_rates(tickets: Iterable[TicketFigures]) -> dict[str, StageRate]:
    """Each stage's counts by status over the tickets that have it, and so its on-time rate."""
    counts: dict[str, dict[str, int]] = {}
    for ticket in tickets:
        for stage, figure in ticket.stages.items():
            tally = counts.setdefault(stage, {})
            tally[figure.status] = tally.get(figure.status, 0) + 1
    return {stage: StageRate(stage, **counts[stage]) for stage in STAGES if stage in counts}


def monthly_score(scheme: ScoringScheme, tickets: Iterable[TicketFigures],
                  channel_fault_s: ChannelFaults | None = None,
                  counts: Mapping[str, int] | None = None) -> MonthlyScore:
    """Score = base - deducted points (floor 0), graded; money deducted alongside, each rule capped.

    `tickets` are the month's ticket figures (as of the month's end), `channel_fault_s` each
    channel's fault seconds in the month (per DowntimeRule when given a function), `counts` named counts
    such as missed inspections.
    """
    tickets = list(tickets)
    deductions = []
    for rule in scheme.rules:
        units, items = rule_units(rule, tickets, channel_fault_s, counts)
        points, amount = rule.points * units, rule.amount * units
        capped = False
        if rule.cap_points is not None and points > rule.cap_points:
            points, capped = rule.cap_points, True
        if rule.cap_amount is not None and amount > rule.cap_amount:
            amount, capped = rule.cap_amount, True
        counted = rule.downtime.counts if rule.kind == "fault_hours" else None
        deductions.append(Deduction(rule.name, units, points, amount, capped, items, counted))
    points = sum((d.points for d in deductions), Decimal(0))
    amount = sum((d.amount for d in deductions), Decimal(0))
    amount_capped = scheme.max_amount is not None and amount > scheme.max_amount
    if amount_capped:
        amount = scheme.max_amount
    score = max(Decimal(0), scheme.base - points)
    grade = next(g.name for g in scheme.grades if score >= g.min)
    return MonthlyScore(score, grade, points, amount, amount_capped, tuple(deductions))


# ---- the contract's SLA as data (docs/sla.md, 'Contract data') -------------------------------

@dataclass(frozen=True)
class ContractSla:
    terms: SlaTerms
    scheme: ScoringScheme
    # Area class by region-code prefix, longest prefix first; regions matching none are `default_area`.
    areas: tuple[tuple[str, str], ...] = ()
    default_area: str = "urban"
    # Reasons a contractor may ask to pause the clocks for (code -> description); none: no pauses.
    suspension_reasons: Mapping[str, str] = field(default_factory=dict)

    def area_of(self, region_code: str) -> str:
        return next((area for prefix, area in self.areas if region_code.startswith(prefix)), self.default_area)


def parse_contract_sla(raw: Any, source: str, days: WorkingDays) -> ContractSla:
    """Validate a contract's SLA document; DataError names the source and the key at fault."""
    try:
        doc = data_table(raw, "contract", {"calendars", "terms", "scoring", "penalties"},
                         {"areas", "suspension_reasons", "suspension_rules"})
        terms = _terms(doc["terms"], _calendars(doc["calendars"], days))
        rules = tuple(_rule(item, f"penalties #{n}")
                      for n, item in enumerate(data_list(doc["penalties"], "penalties"), 1))
        scheme = ScoringScheme(rules, *_scoring(doc["scoring"]))
        areas, default_area = _areas(doc.get("areas", {}), {a for _, a in terms.cells})
        reasons = _reasons(doc.get("suspension_reasons", {}))
        terms = SlaTerms(terms.cells, _pause_rule(doc.get("suspension_rules", {})))
    except DataError as exc:
        raise DataError(f"{source}: {exc}") from None
    return ContractSla(terms, scheme, areas, default_area, reasons)


def _areas(raw: Any, known: set[str]) -> tuple[tuple[tuple[str, str], ...], str]:
    """[areas] default = "urban", rural = ["330127", "3301220"]: region-code prefixes per area class."""
    if not isinstance(raw, Mapping):
        raise DataError("areas must be a table like { default = \"urban\", rural = [\"330127\"] }")
    default = raw.get("default", "urban")
    if not isinstance(default, str) or default not in known:
        raise DataError(f"areas.default = {default!r} has no terms (terms define {', '.join(sorted(known))})")
    prefixes: dict[str, str] = {}
    for area, listed in raw.items():
        if area == "default":
            continue
        if area not in known:
            raise DataError(f"areas.{area}: no terms are defined for this area class")
        for code in data_list(listed, f"areas.{area}"):
            if not isinstance(code, str) or not re.fullmatch(r"\d{2,6}", code):
                raise DataError(f"areas.{area}: {code!r} must be a region code or prefix (2-6 digits)")
            if code in prefixes:
                raise DataError(f"areas.{area}: {code} is already in areas.{prefixes[code]}")
            prefixes[code] = area
    ordered = tuple(sorted(prefixes.items(), key=lambda item: -len(item[0])))
    return ordered, default


def _reasons(raw: Any) -> dict[str, str]:
    """[suspension_reasons] no_access = "无法进场": the pauses the contract allows, code -> description."""
    if not isinstance(raw, Mapping):
        raise DataError("suspension_reasons must be a table of code = \"description\"")
    out = {}
    for code, text in raw.items():
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", code):
            raise DataError(f"suspension_reasons.{code}: a code is lower-case letters, digits and _ (max 40)")
        out[code] = data_text(text, f"suspension_reasons.{code}")
    return out


def _pause_rule(raw: Any) -> PauseRule:
    """[suspension_rules] from = "approval", stops = ["restore"]: when and what an approved pause stops.

    Both keys are optional and a document without the table (every version stored before it
    existed) gets the defaults: the clock stops at the office's approval, and only restore stops.
    """
    table = data_table(raw, "suspension_rules", set(), {"from", "stops"})
    clock_from = table.get("from", PauseRule.clock_from)
    if clock_from not in PAUSE_FROM:
        raise DataError(f"suspension_rules.from = {clock_from!r} must be one of {', '.join(PAUSE_FROM)}")
    stops = data_list(table.get("stops", sorted(PauseRule.stops)), "suspension_rules.stops")
    for n, stage in enumerate(stops):
        if stage not in STAGES:
            raise DataError(f"suspension_rules.stops: {stage!r} is not a stage ({', '.join(STAGES)})")
        if stage in stops[:n]:
            raise DataError(f"suspension_rules.stops: {stage!r} is named twice")
    if not stops:
        raise DataError("suspension_rules.stops: name at least one stage (a contract without pauses leaves out "
                        "suspension_reasons)")
    return PauseRule(clock_from, frozenset(stops))


def load_contract_sla(path: str | Path, days: WorkingDays) -> ContractSla:
    """A contract's SLA from a .toml or .json file."""
    return parse_contract_sla(read_document(path), str(path), days)


MAX_DURATION_S = 8760 * 3600  # no SLA stage, grace or pause rule runs for more than a year


def parse_duration(raw: Any, where: str) -> int:
    """'30m', '2h', '1h30m', '90s' as seconds of service time.

    There is deliberately no 'd': under a working-hours calendar '2d' would mean 48 h of service
    time, while a contract's "two working days" is two days of windows (15h for 08:30-12:00 and
    14:00-18:00).
    """
    found = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", raw) if isinstance(raw, str) else None
    seconds = sum(int(g or 0) * unit for g, unit in zip(found.groups(), (3600, 60, 1))) if found else 0
    if seconds > MAX_DURATION_S:
        raise DataError(f"{where} = {raw!r} is longer than a year ({MAX_DURATION_S // 3600}h)")
    if seconds <= 0:
        raise DataError(f"{where} = {raw!r} must be a duration above zero like '30m', '2h' or '1h30m' "
                        f"(for working days write the hours, e.g. '15h')")
    return seconds


MAX_NUMBER = 10**12  # points, money and scores: anything larger is a typo


def _number(raw: Any, where: str) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or \
            (isinstance(raw, float) and not math.isfinite(raw)) or not 0 <= raw <= MAX_NUMBER:
        raise DataError(f"{where} = {raw!r} must be a number from 0 to {MAX_NUMBER}")
    return Decimal(str(raw))  # str() keeps 0.1 as written, not as its binary approximation


def _calendars(raw: Any, days: WorkingDays) -> dict[str, ServiceCalendar]:
    if not isinstance(raw, Mapping) or not raw:
        raise DataError("calendars must be a table of named calendars, e.g. [calendars.office]")
    return {name: calendar_from_data(item, days, f"calendars.{name}") for name, item in raw.items()}


def _terms(raw: Any, calendars: Mapping[str, ServiceCalendar]) -> SlaTerms:
    cells: dict[tuple[str, str], TicketTerms] = {}
    for n, item in enumerate(data_list(raw, "terms"), 1):
        cell = data_table(item, f"terms #{n}", {"severity", "area", "calendar", "respond", "restore"}, {"arrive"})
        key = (data_text(cell["severity"], f"terms #{n}.severity"), data_text(cell["area"], f"terms #{n}.area"))
        where = f"terms #{n} ({key[0]}/{key[1]})"
        if key in cells:
            raise DataError(f"{where}: this severity and area are already defined")
        name = data_text(cell["calendar"], f"{where}.calendar")
        if name not in calendars:
            raise DataError(f"{where}.calendar = {name!r} is not among calendars ({', '.join(sorted(calendars))})")
        limits = {stage: parse_duration(cell[stage], f"{where}.{stage}") for stage in STAGES if stage in cell}
        cells[key] = TicketTerms(calendars[name], limits)
    if not cells:
        raise DataError("terms: a contract defines at least one severity and area")
    return SlaTerms(cells)


def _scoring(raw: Any) -> tuple[tuple[Grade, ...], Decimal, Decimal | None, tuple[int, ...] | None]:
    table = data_table(raw, "scoring", {"grades"}, {"base", "max_amount", "sample_hours"})
    base = _number(table.get("base", 100), "scoring.base")
    grades = []
    for n, item in enumerate(data_list(table["grades"], "scoring.grades"), 1):
        grade = data_table(item, f"scoring.grades #{n}", {"name", "min"})
        grades.append(Grade(data_text(grade["name"], f"scoring.grades #{n}.name"),
                            _number(grade["min"], f"scoring.grades #{n}.min")))
    grades.sort(key=lambda g: g.min, reverse=True)
    if len({g.name for g in grades}) < len(grades) or len({g.min for g in grades}) < len(grades):
        raise DataError("scoring.grades: names and mins must be distinct")
    if not grades or grades[-1].min != 0:
        raise DataError("scoring.grades: every score needs a grade, so the lowest grade has min = 0")
    if grades[0].min > base:
        raise DataError(f"scoring.grades: {grades[0].name!r} needs {grades[0].min}, above the base {base}")
    max_amount = _number(table["max_amount"], "scoring.max_amount") if "max_amount" in table else None
    hours = None
    if "sample_hours" in table:
        try:
            hours = times_of_day(table["sample_hours"])
        except ValueError as exc:
            raise DataError(f"scoring.sample_hours = {table['sample_hours']!r}: {exc}") from None
    return tuple(grades), base, max_amount, hours


_RULE_KEYS = {  # kind -> (required, optional) keys beyond name, kind and the amounts
    "late_ticket": ({"stage"}, {"severities"}),
    "late_hours": ({"stage", "per", "rounding"}, {"severities", "max_units_per_ticket"}),
    "fault_hours": ({"over"}, {"counts"}),
    "per_count": ({"counter"}, set()),
}
_AMOUNTS = ("points", "amount", "cap_points", "cap_amount")


def _rule(raw: Any, where: str) -> PenaltyRule:
    if not isinstance(raw, Mapping):
        raise DataError(f"{where} must be a table")
    name = data_text(raw.get("name"), f"{where}.name")
    where = f"{where} ({name})"
    kind = raw.get("kind")
    if kind not in PENALTY_KINDS:
        raise DataError(f"{where}.kind = {kind!r} must be one of {', '.join(PENALTY_KINDS)}")
    required, optional = _RULE_KEYS[kind]
    item = data_table(raw, where, {"name", "kind", *required}, {*optional, *_AMOUNTS})
    fields: dict[str, Any] = {"name": name, "kind": kind}
    fields.update((key, _number(item[key], f"{where}.{key}")) for key in _AMOUNTS if key in item)
    if not fields.get("points") and not fields.get("amount"):
        raise DataError(f"{where}: deducts nothing; give points or amount above zero")
    if "stage" in item:
        if item["stage"] not in STAGES:
            raise DataError(f"{where}.stage = {item['stage']!r} must be one of {', '.join(STAGES)}")
        fields["stage"] = item["stage"]
    if "severities" in item:
        listed = data_list(item["severities"], f"{where}.severities")
        if not listed:
            raise DataError(f"{where}.severities: leave it out to mean every severity")
        fields["severities"] = frozenset(data_text(s, f"{where}.severities") for s in listed)
    if "per" in item:
        fields["per_s"] = parse_duration(item["per"], f"{where}.per")
    if "rounding" in item:
        if item["rounding"] not in ROUNDINGS:
            raise DataError(f"{where}.rounding = {item['rounding']!r} must be one of {', '.join(ROUNDINGS)}")
        fields["rounding"] = item["rounding"]
    if "max_units_per_ticket" in item:
        most = item["max_units_per_ticket"]
        if isinstance(most, bool) or not isinstance(most, int) or most < 1:
            raise DataError(f"{where}.max_units_per_ticket = {most!r} must be a whole number >= 1")
        fields["max_units_per_ticket"] = most
    if "over" in item:
        fields["over_s"] = parse_duration(item["over"], f"{where}.over")
    if "counts" in item:  # older terms have no `counts`: they count down only, as a missing key says
        try:
            fields["downtime"] = DowntimeRule.parse(data_list(item["counts"], f"{where}.counts"))
        except ValueError as exc:
            raise DataError(f"{where}.counts = {item['counts']!r} {exc}") from None
    if "counter" in item:
        fields["counter"] = data_text(item["counter"], f"{where}.counter")
    return PenaltyRule(**fields)
