"""A contract's SLA data: the shipped example is valid, and each wrong document is refused naming its key."""

from __future__ import annotations

import copy
from importlib import resources

import pytest

from assetsvc.tickets.calendar import DataError, WorkingDays
from assetsvc.tickets.sla import load_contract_sla, parse_contract_sla, parse_duration

DAYS = WorkingDays()
GOOD = {
    "calendars": {"office": {"kind": "working_hours", "windows": ["08:30-12:00", "14:00-18:00"]}},
    "terms": [{"severity": "P2", "area": "urban", "calendar": "office", "respond": "30m", "arrive": "2h",
               "restore": "24h"}],
    "scoring": {"grades": [{"name": "good", "min": 90}, {"name": "fail", "min": 0}]},
    "penalties": [{"name": "late restore", "kind": "late_hours", "stage": "restore", "per": "1h",
                   "rounding": "up", "amount": 100}],
}


def changed(section: str, key: str | None, value) -> dict:
    """GOOD with section[key] (section[0][key] for lists) replaced, or removed when value is ..."""
    doc = copy.deepcopy(GOOD)
    target = doc if key is None else (doc[section][0] if isinstance(doc[section], list) else doc[section])
    name = section if key is None else key
    if value is ...:
        del target[name]
    else:
        target[name] = value
    return doc


BAD = [
    ("unknown section", {**GOOD, "bonus": {}}, "unknown keys ['bonus']"),
    ("no scoring", changed("scoring", None, ...), "contract: missing scoring"),
    ("no calendars", changed("calendars", None, {}), "calendars must be a table of named calendars"),
    ("bad window", changed("calendars", None, {"office": {"kind": "working_hours", "windows": ["8-12"]}}),
     "calendars.office.windows #1 = '8-12'"),
    ("no terms", changed("terms", None, []), "at least one severity and area"),
    ("duration in days", changed("terms", "restore", "2d"), "terms #1 (P2/urban).restore = '2d' must be a duration"),
    ("duration in words", changed("terms", "arrive", "2 hours"), "arrive = '2 hours'"),
    ("duration zero", changed("terms", "respond", "0m"), "respond = '0m'"),
    ("duration as number", changed("terms", "respond", 1800), "respond = 1800"),
    ("restore missing", changed("terms", "restore", ...), "terms #1: missing restore"),
    ("unknown calendar", changed("terms", "calendar", "night"), "calendar = 'night' is not among calendars (office)"),
    ("cell twice", {**GOOD, "terms": GOOD["terms"] * 2}, "terms #2 (P2/urban): this severity and area are already"),
    ("no zero grade", changed("scoring", "grades", [{"name": "good", "min": 90}]), "lowest grade has min = 0"),
    ("grade above base", changed("scoring", "grades", [{"name": "a", "min": 120}, {"name": "b", "min": 0}]),
     "'a' needs 120, above the base 100"),
    ("grades repeat", changed("scoring", "grades", [{"name": "a", "min": 0}, {"name": "a", "min": 50}]),
     "names and mins must be distinct"),
    ("negative base", changed("scoring", "base", -1), "scoring.base = -1 must be a number from 0 to "),
    ("huge base", changed("scoring", "base", 10**30), "scoring.base = 1000000000000000000000000000000 must be a number"),
    ("unknown rule kind", changed("penalties", "kind", "late_minutes"), "penalties #1 (late restore).kind"),
    ("rule without name", changed("penalties", "name", ...), "penalties #1.name must be a non-empty text"),
    ("rule deducting nothing", changed("penalties", "amount", 0), "deducts nothing"),
    ("points as text", changed("penalties", "points", "1"), "points = '1' must be a number"),
    ("points as bool", changed("penalties", "points", True), "points = True"),
    ("rounding missing", changed("penalties", "rounding", ...), "missing rounding"),
    ("rounding unknown", changed("penalties", "rounding", "ceil"), "rounding = 'ceil' must be one of up, down"),
    ("stage unknown", changed("penalties", "stage", "close"), "stage = 'close' must be one of respond"),
    ("key of another kind", changed("penalties", "over", "8h"), "unknown keys ['over']"),
    ("empty severities", changed("penalties", "severities", []), "leave it out to mean every severity"),
    ("unit cap zero", changed("penalties", "max_units_per_ticket", 0), "max_units_per_ticket = 0"),
    ("pause rules not a table", {**GOOD, "suspension_rules": "approval"}, "suspension_rules must be a table"),
    ("pause rules unknown key", {**GOOD, "suspension_rules": {"starts": "approval"}},
     "suspension_rules: unknown keys ['starts']"),
    ("pause from unknown", {**GOOD, "suspension_rules": {"from": "decision"}},
     "suspension_rules.from = 'decision' must be one of approval, request"),
    ("pause from not text", {**GOOD, "suspension_rules": {"from": True}}, "suspension_rules.from = True"),
    ("pause stops not a list", {**GOOD, "suspension_rules": {"stops": "restore"}},
     "suspension_rules.stops must be a list"),
    ("pause stops unknown stage", {**GOOD, "suspension_rules": {"stops": ["restore", "close"]}},
     "suspension_rules.stops: 'close' is not a stage (respond, arrive, restore)"),
    ("pause stops a stage twice", {**GOOD, "suspension_rules": {"stops": ["restore", "restore"]}},
     "suspension_rules.stops: 'restore' is named twice"),
    ("pause stops nothing", {**GOOD, "suspension_rules": {"stops": []}},
     "suspension_rules.stops: name at least one stage"),
]


@pytest.mark.parametrize("doc,expected", [(d, e) for _, d, e in BAD], ids=[n for n, _, _ in BAD])
def test_a_wrong_contract_is_refused_naming_the_key(doc, expected):
    with pytest.raises(DataError) as caught:
        parse_contract_sla(doc, "contract 7", DAYS)
    assert str(caught.value).startswith("contract 7: ")
    assert expected in str(caught.value)


def test_the_good_document_parses():
    terms = parse_contract_sla(GOOD, "contract 7", DAYS).terms.for_ticket("P2", "urban")
    assert terms.limits_s == {"respond": 1800, "arrive": 7200, "restore": 86400}
    assert terms.calendar.windows == ((30600, 43200), (50400, 64800))


def test_a_document_without_pause_rules_gets_the_defaults():
    # Every version stored before the rules existed loads with them: the clock stops at the
    # office's approval, and only the restore stage stops.
    rule = parse_contract_sla(GOOD, "contract 7", DAYS).terms.pauses
    assert (rule.clock_from, rule.stops) == ("approval", frozenset({"restore"}))


def test_a_contract_may_backdate_pauses_and_name_the_stages_they_stop():
    doc = {**GOOD, "suspension_rules": {"from": "request", "stops": ["respond", "arrive", "restore"]}}
    rule = parse_contract_sla(doc, "contract 7", DAYS).terms.pauses
    assert (rule.clock_from, rule.stops) == ("request", frozenset({"respond", "arrive", "restore"}))


def test_durations_combine_hours_minutes_and_seconds():
    assert [parse_duration(t, "x") for t in ("30m", "2h", "1h30m", "90s", "15h")] == [1800, 7200, 5400, 90, 54000]


def test_a_duration_over_a_year_is_refused():
    assert parse_duration("8760h", "x") == 8760 * 3600
    with pytest.raises(DataError, match=r"x = '8761h' is longer than a year \(8760h\)"):
        parse_duration("8761h", "x")
    with pytest.raises(DataError, match="longer than a year"):
        parse_duration("99999999999999999999h", "x")


def test_the_shipped_example_contract_is_valid():
    source = resources.files("assetsvc.tickets").joinpath("data/contract-sla.example.toml")
    with resources.as_file(source) as path:
        example = load_contract_sla(path, DAYS)
    assert example.terms.for_ticket("P1", "urban").limits_s == {"respond": 1800, "arrive": 3600, "restore": 7200}
    assert example.terms.for_ticket("P2", "rural").calendar.kind == "working_hours"
    assert [g.name for g in example.scheme.grades] == ["good", "pass", "fail"]
    assert (example.terms.pauses.clock_from, example.terms.pauses.stops) == ("approval", frozenset({"restore"}))
