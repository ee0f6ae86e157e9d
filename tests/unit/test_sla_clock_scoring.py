"""Penalties and the monthly score of a contractor from several tickets' figures, caps applied."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from decimal import Decimal

import pytest

from assetsvc.tickets.calendar import WorkingDays
from assetsvc.tickets.sla import Timeline, monthly_score, parse_contract_sla, stage_rates, ticket_figures

M, H = 60, 3600
T0 = 1_772_000_000.0  # any instant: these tickets are P1 on a 24x7 clock

CONTRACT = """
[calendars.always]
kind = "24x7"

[[terms]]
severity = "P1"
area = "urban"
calendar = "always"
respond = "30m"
arrive = "1h"
restore = "2h"

[scoring]
base = 100
max_amount = 5000
grades = [{ name = "good", min = 90 }, { name = "pass", min = 80 }, { name = "fail", min = 0 }]

[[penalties]]
name = "late arrival"
kind = "late_ticket"
stage = "arrive"
points = 1
cap_points = 3

[[penalties]]
name = "late restore"
kind = "late_hours"
stage = "restore"
per = "1h"
rounding = "up"
points = 0.5
amount = 200
max_units_per_ticket = 10
cap_amount = 3000

[[penalties]]
name = "channel down over 8 h"
kind = "fault_hours"
over = "8h"
points = 1
cap_points = 5

[[penalties]]
name = "missed inspection"
kind = "per_count"
counter = "missed_inspection"
points = 5
"""
SLA = parse_contract_sla(tomllib.loads(CONTRACT), "test contract", WorkingDays())


def ticket(name: str, on_site_min: float | None, restored_min: float | None, now_min: float = 60 * 24):
    """A P1 ticket opened at T0 with its visit and restoration so many minutes later."""
    line = Timeline(T0, acknowledged_at=T0 + 5 * M,
                    on_site_at=None if on_site_min is None else T0 + on_site_min * M,
                    restored_at=None if restored_min is None else T0 + restored_min * M)
    return ticket_figures(SLA.terms, "P1", "urban", line, T0 + now_min * M, ticket=name)


# Arrive limit 60 min, restore limit 120 min.
MONTH = [
    ticket("T1", 70, 181),  # arrive late; restore 61 min late -> 2 started hours
    ticket("T2", 75, 1920),  # arrive late; restore 30 h late -> 30 hours, capped at 10 per ticket
    ticket("T3", 90, 100),  # arrive late; restore met
    ticket("T4", 65, 180),  # arrive late; restore exactly 60 min late -> 1 hour
    ticket("T5", 50, None, now_min=270),  # arrive met; restore running, 150 min late at month end -> 3 hours
]
FAULTS = {"ch-A": 8 * H, "ch-B": 9 * H, "ch-C": 30 * H}  # A is not over 8 h: 2 channels


def test_monthly_score_with_caps_for_a_contractor_with_several_tickets():
    result = monthly_score(SLA.scheme, MONTH, FAULTS, {"missed_inspection": 1})
    by_rule = {d.rule: d for d in result.deductions}
    # Late arrivals: T1-T4 = 4 tickets x 1 point = 4, capped at 3.
    late = by_rule["late arrival"]
    assert (late.units, late.points, late.capped, late.items) == (4, 3, True, ("T1", "T2", "T3", "T4"))
    # Late restore hours: 2 + 10 + 1 + 3 = 16 units; 16 x 0.5 = 8 points; 16 x 200 = 3200, capped at 3000.
    restore = by_rule["late restore"]
    assert (restore.units, restore.points, restore.amount, restore.capped) == (16, Decimal("8.0"), 3000, True)
    assert restore.items == ("T1", "T2", "T4", "T5")
    # Channels over 8 h: B and C = 2 points. Missed inspections: 1 x 5 = 5 points.
    assert (by_rule["channel down over 8 h"].points, by_rule["channel down over 8 h"].items) == (2, ("ch-B", "ch-C"))
    assert by_rule["missed inspection"].points == 5
    # Points 3 + 8 + 2 + 5 = 18; score 100 - 18 = 82: "pass" (80 <= 82 < 90). Money 3000.
    assert (result.points, result.score, result.grade) == (18, 82, "pass")
    assert (result.amount, result.amount_capped) == (3000, False)


def test_a_month_without_faults_scores_the_base_and_the_best_grade():
    clean = [ticket("T9", 30, 90)]
    result = monthly_score(SLA.scheme, clean, {"ch-A": 3 * H}, {"missed_inspection": 0})
    assert (result.score, result.grade, result.points, result.amount) == (100, "good", 0, 0)


def test_the_score_never_goes_below_zero_and_money_stops_at_the_contract_cap():
    # A second copy of the late-restore rule: 3 (arrivals) + 8 (hours) + 5 (10 channels, capped)
    # + 30 x 5 (inspections) + 8 (hours again) = 174 points -> score 0, not -74.
    # Money: 3000 from each copy = 6000, over the contract's max_amount 5000.
    hours = next(r for r in SLA.scheme.rules if r.name == "late restore")
    scheme = replace(SLA.scheme, rules=(*SLA.scheme.rules, replace(hours, name="late restore again")))
    many = {f"ch-{n}": 9 * H for n in range(10)}
    result = monthly_score(scheme, MONTH, many, {"missed_inspection": 30})
    assert (result.score, result.grade) == (0, "fail")
    assert result.points == 3 + 8 + 5 + 150 + 8
    assert (result.amount, result.amount_capped) == (5000, True)


@pytest.mark.parametrize("rounding,late_min,units", [
    ("up", 90, 2), ("down", 90, 1), ("nearest", 90, 2), ("nearest", 80, 1), ("up", 1, 1), ("down", 59, 0),
])
def test_late_hours_round_as_the_contract_says(rounding, late_min, units):
    hours = next(r for r in SLA.scheme.rules if r.name == "late restore")
    scheme = replace(SLA.scheme, rules=(replace(hours, rounding=rounding),))
    result = monthly_score(scheme, [ticket("T", 30, 120 + late_min)])
    assert result.deductions[0].units == units


def test_severity_filters_leave_other_tickets_out():
    late = next(r for r in SLA.scheme.rules if r.name == "late arrival")
    scheme = replace(SLA.scheme, rules=(replace(late, severities=frozenset({"P2"})),))
    assert monthly_score(scheme, MONTH).deductions[0].units == 0


def test_rules_needing_month_data_refuse_to_guess_it():
    with pytest.raises(ValueError, match="needs each channel's fault seconds"):
        monthly_score(SLA.scheme, MONTH, None, {"missed_inspection": 0})
    with pytest.raises(ValueError, match="needs the month's count of 'missed_inspection'"):
        monthly_score(SLA.scheme, MONTH, FAULTS, {})
    with pytest.raises(ValueError, match="whole number >= 0"):
        monthly_score(SLA.scheme, MONTH, FAULTS, {"missed_inspection": -1})


def recovered(name: str, back_min: float):
    """A P1 ticket opened at T0 whose fault cleared by itself `back_min` minutes later, nobody acting."""
    line = Timeline(T0, restored_at=T0 + back_min * M, self_recovered=True)
    return ticket_figures(SLA.terms, "P1", "urban", line, T0 + 24 * H, ticket=name)


def test_on_time_rates_leave_self_recovered_stages_out():
    # MONTH: respond met 5 of 5 (acknowledged after 5 min); arrive met 1 (T5) of 5; restore met 1
    # (T3) of 5 (T5, still open, is already past its limit). R1 came back after 20 min: respond and
    # arrive not applicable, restore met. R2 came back after 45 min: respond breached (due 30 min),
    # arrive not applicable, restore met.
    rates = stage_rates([*MONTH, recovered("R1", 20), recovered("R2", 45)])
    assert (rates["respond"].met, rates["respond"].breached, rates["respond"].not_applicable) == (5, 1, 1)
    assert rates["respond"].on_time_rate == 5 / 6  # counting R1 as met would give 6 / 7
    assert (rates["arrive"].met, rates["arrive"].breached, rates["arrive"].not_applicable) == (1, 4, 2)
    assert rates["arrive"].on_time_rate == 1 / 5  # not 3 / 7
    assert (rates["restore"].met, rates["restore"].breached, rates["restore"].not_applicable) == (3, 4, 0)
    assert rates["restore"].on_time_rate == 3 / 7


def test_self_recovered_tickets_leave_the_monthly_score_as_it_was():
    counts = {"missed_inspection": 0}
    alone = monthly_score(SLA.scheme, MONTH, FAULTS, counts)
    both = monthly_score(SLA.scheme, [*MONTH, recovered("R1", 20), recovered("R2", 45)], FAULTS, counts)
    assert (both.score, both.points, both.amount) == (alone.score, alone.points, alone.amount)
    assert [d.items for d in both.deductions] == [d.items for d in alone.deductions]


def test_a_stage_nobody_decided_has_no_rate():
    assert stage_rates([ticket("T", None, None, now_min=10)])["arrive"].on_time_rate is None
