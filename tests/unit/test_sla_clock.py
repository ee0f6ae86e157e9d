"""A ticket's SLA clocks: deadlines, elapsed service time and breaches, worked by hand.

Terms (CONTRACT below): P1 urban counts 24x7 (respond 30m, arrive 1h, restore 2h); P2 counts the
office windows 08:30-12:00 and 14:00-18:00 on working days (7.5 h a day): urban arrive 2h, restore
24h; rural arrive 4h, restore 48h; P3 has no arrive clock.
"""

from __future__ import annotations

import tomllib
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from assetsvc.tickets.calendar import CalendarMissing, WorkingDays
from assetsvc.tickets.sla import (STAGES, PauseRule, SlaTerms, Suspension, Timeline, parse_contract_sla,
                                  ticket_figures)

SH = ZoneInfo("Asia/Shanghai")
M, H = 60, 3600

CONTRACT = """
[calendars.always]
kind = "24x7"
[calendars.office]
kind = "working_hours"
windows = ["08:30-12:00", "14:00-18:00"]

[[terms]]
severity = "P1"
area = "urban"
calendar = "always"
respond = "30m"
arrive = "1h"
restore = "2h"

[[terms]]
severity = "P2"
area = "urban"
calendar = "office"
respond = "30m"
arrive = "2h"
restore = "24h"

[[terms]]
severity = "P2"
area = "rural"
calendar = "office"
respond = "30m"
arrive = "4h"
restore = "48h"

[[terms]]
severity = "P3"
area = "urban"
calendar = "office"
respond = "2h"
restore = "48h"

[scoring]
grades = [{ name = "good", min = 90 }, { name = "fail", min = 0 }]

[[penalties]]
name = "late arrival"
kind = "late_ticket"
stage = "arrive"
points = 1
"""
TERMS = parse_contract_sla(tomllib.loads(CONTRACT), "test contract", WorkingDays()).terms


def at(mo: int, d: int, h: int, mi: int = 0, y: int = 2026) -> float:
    return datetime(y, mo, d, h, mi, tzinfo=SH).timestamp()


def figures(severity, area, timeline, now):
    return ticket_figures(TERMS, severity, area, timeline, now, ticket="T-1")


def test_24x7_deadlines_and_a_late_arrival():
    # Opened Tue 10:00: deadlines respond 10:30, arrive 11:00, restore 12:00.
    # Acknowledged 10:20 (20 min, met), on site 11:10 (70 min: 10 min late), restored 11:50 (110 min, met).
    line = Timeline(at(3, 10, 10), acknowledged_at=at(3, 10, 10, 20), on_site_at=at(3, 10, 11, 10),
                    restored_at=at(3, 10, 11, 50))
    got = figures("P1", "urban", line, at(3, 10, 13)).stages
    assert [got[s].deadline for s in ("respond", "arrive", "restore")] == [at(3, 10, 10, 30), at(3, 10, 11),
                                                                           at(3, 10, 12)]
    assert (got["respond"].status, got["respond"].elapsed_s) == ("met", 20 * M)
    assert (got["arrive"].status, got["arrive"].late_s) == ("breached", 10 * M)
    assert (got["restore"].status, got["restore"].elapsed_s, got["restore"].late_s) == ("met", 110 * M, 0)


def test_an_unanswered_ticket_is_breached_while_its_clock_still_runs():
    # As of 10:45 with nothing done: respond is 15 min past its 30 min; arrive (1 h) still running.
    got = figures("P1", "urban", Timeline(at(3, 10, 10)), at(3, 10, 10, 45)).stages
    assert (got["respond"].status, got["respond"].done_at, got["respond"].late_s) == ("breached", None, 15 * M)
    assert (got["arrive"].status, got["arrive"].elapsed_s) == ("running", 45 * M)


def test_events_after_now_are_not_known_yet():
    line = Timeline(at(3, 10, 10), acknowledged_at=at(3, 10, 10, 20))
    assert figures("P1", "urban", line, at(3, 10, 10, 10)).stages["respond"].status == "running"


def test_exactly_at_the_limit_is_met():
    line = Timeline(at(3, 10, 10), acknowledged_at=at(3, 10, 10, 30))
    got = figures("P1", "urban", line, at(3, 10, 11)).stages["respond"]
    assert (got.status, got.late_s) == ("met", 0)


def test_restoring_remotely_ends_the_arrive_and_respond_clocks():
    # No acknowledgement, no visit, restored at 10:40: respond ends 10:40 (40 min, 10 late), arrive met.
    line = Timeline(at(3, 10, 10), restored_at=at(3, 10, 10, 40))
    got = figures("P1", "urban", line, at(3, 10, 12)).stages
    assert (got["respond"].status, got["respond"].late_s) == ("breached", 10 * M)
    assert (got["arrive"].status, got["arrive"].done_at) == ("met", at(3, 10, 10, 40))


def test_working_hours_restore_deadline_across_a_weekend():
    # P2 urban opened Fri 2026-03-06 16:00. Restore 24 h of service: Fri 16-18 (2 h), Mon 7.5 (9.5),
    # Tue 7.5 (17), Wed 08:30-12:00 (20.5) and 14:00-17:30 (24): deadline Wed 03-11 17:30.
    # Arrive 2 h: Fri 16:00-18:00, deadline Fri 18:00. Restored Wed 17:00: 23.5 h, met.
    line = Timeline(at(3, 6, 16), acknowledged_at=at(3, 6, 16, 5), on_site_at=at(3, 6, 17, 30),
                    restored_at=at(3, 11, 17))
    got = figures("P2", "urban", line, at(3, 12, 9)).stages
    assert got["arrive"].deadline == at(3, 6, 18)
    assert got["restore"].deadline == at(3, 11, 17, 30)
    assert (got["restore"].status, got["restore"].elapsed_s) == ("met", 23.5 * H)


def test_working_hours_across_national_day_and_its_make_up_saturday():
    # P2 rural opened Wed 2026-09-30 15:00. Arrive 4 h: Sep 30 15-18 (3 h), Oct 1-7 off, Thu Oct 8
    # 08:30-09:30: deadline Oct 8 09:30; on site 10:00 is 30 min late.
    # Restore 48 h: Sep 30 3 h, Oct 8 7.5 (10.5), Oct 9 (18), Sat Oct 10 worked (25.5), Oct 12 (33),
    # Oct 13 (40.5), Wed Oct 14 (48): deadline Oct 14 18:00. Restored Thu Oct 15 09:00: 30 min late.
    line = Timeline(at(9, 30, 15), acknowledged_at=at(9, 30, 15, 10), on_site_at=at(10, 8, 10),
                    restored_at=at(10, 15, 9))
    got = figures("P2", "rural", line, at(10, 16, 9)).stages
    assert (got["arrive"].deadline, got["arrive"].late_s) == (at(10, 8, 9, 30), 30 * M)
    assert got["restore"].deadline == at(10, 14, 18)
    assert (got["restore"].status, got["restore"].late_s) == ("breached", 30 * M)


def test_finishing_in_the_gap_after_a_deadline_costs_no_service_time():
    # Same ticket restored Wed Oct 14 18:30, after the 18:00 deadline but before any further service
    # time: elapsed is exactly 48 h, so the stage is met.
    line = Timeline(at(9, 30, 15), acknowledged_at=at(9, 30, 15, 10), restored_at=at(10, 14, 18, 30))
    got = figures("P2", "rural", line, at(10, 16, 9)).stages["restore"]
    assert (got.status, got.elapsed_s, got.deadline) == ("met", 48 * H, at(10, 14, 18))


def test_a_ticket_opened_on_a_saturday_night_counts_from_monday_morning():
    # Opened Sat 2026-03-07 22:00: respond 30 min from Mon 08:30 is 09:00; acknowledged 08:50 (20 min).
    line = Timeline(at(3, 7, 22), acknowledged_at=at(3, 9, 8, 50))
    got = figures("P2", "urban", line, at(3, 9, 10)).stages["respond"]
    assert (got.deadline, got.elapsed_s, got.status) == (at(3, 9, 9), 20 * M, "met")


# P2 urban opened Mon 2026-03-09 09:00, suspended Mon 14:00 - Tue 12:00 (owner's access).
# The suspension covers Mon 14-18 (4 h) + Tue 08:30-12:00 (3.5 h) = 7.5 h of service time.
# Unsuspended restore deadline (24 h): Mon 09-12 + 14-18 (7), Tue (14.5), Wed (22), Thu 08:30-10:30
# (24) = Thu 10:30. Pushed by 7.5 h: Thu 10:30-12:00 (1.5), 14-18 (5.5), Fri 08:30-10:30 (7.5): Fri 10:30.
SUSPENDED = Timeline(at(3, 9, 9), acknowledged_at=at(3, 9, 9, 10), on_site_at=at(3, 9, 10),
                     restored_at=at(3, 13, 10), suspensions=(Suspension(at(3, 9, 14), at(3, 10, 12)),))


def test_a_suspension_pushes_the_deadline_by_the_service_time_it_covered():
    got = figures("P2", "urban", SUSPENDED, at(3, 16, 9))
    restore = got.stages["restore"]
    assert restore.deadline == at(3, 13, 10, 30)
    # Mon 7 + Tue 7.5 + Wed 7.5 + Thu 7.5 + Fri 08:30-10:00 1.5 = 31 h, less 7.5 h suspended = 23.5 h.
    assert (restore.status, restore.elapsed_s) == ("met", 23.5 * H)
    assert (got.suspended_s, got.paused) == (7.5 * H, False)


def test_a_running_suspension_pauses_the_clock_as_of_now():
    # As of Tue 10:00 with the suspension still open since Mon 14:00: 4 h + 1.5 h covered so far, so the
    # deadline is Thu 10:30 pushed by 5.5 h: Thu 10:30-12:00 (1.5) + 14:00-18:00 (4) = Thu 18:00.
    line = Timeline(at(3, 9, 9), acknowledged_at=at(3, 9, 9, 10), suspensions=(Suspension(at(3, 9, 14)),))
    got = figures("P2", "urban", line, at(3, 10, 10))
    assert got.paused is True
    assert got.stages["restore"].deadline == at(3, 12, 18)
    assert got.stages["restore"].elapsed_s == 3 * H  # Mon 09:00-12:00 only


def test_a_suspension_after_a_stage_ended_leaves_that_stage_alone():
    # Arrive ended Mon 10:00 (1 h of 2 h); the suspension from 14:00 must not move its deadline 11:00.
    arrive = figures("P2", "urban", SUSPENDED, at(3, 16, 9)).stages["arrive"]
    assert (arrive.deadline, arrive.elapsed_s, arrive.status) == (at(3, 9, 11), H, "met")


# P1 urban (24x7) opened Tue 10:00 and paused 10:10-11:10; acknowledged 10:40, on site 11:40,
# restored 12:30. Limits: respond 30 min, arrive 1 h, restore 2 h.
PAUSED_P1 = Timeline(at(3, 10, 10), acknowledged_at=at(3, 10, 10, 40), on_site_at=at(3, 10, 11, 40),
                     restored_at=at(3, 10, 12, 30), suspensions=(Suspension(at(3, 10, 10, 10), at(3, 10, 11, 10)),))


def test_a_pause_stops_only_the_restore_clock_unless_the_contract_names_more():
    # By default respond and arrive keep running through the pause: respond 40 min (10 late, due
    # 10:30), arrive 100 min (40 late, due 11:00). Restore loses the hour paused: 150 - 60 = 90 min,
    # met, due 12:00 + 1 h = 13:00.
    got = figures("P1", "urban", PAUSED_P1, at(3, 10, 13)).stages
    assert (got["respond"].status, got["respond"].late_s, got["respond"].deadline) == ("breached", 10 * M,
                                                                                       at(3, 10, 10, 30))
    assert (got["arrive"].status, got["arrive"].late_s, got["arrive"].deadline) == ("breached", 40 * M,
                                                                                    at(3, 10, 11))
    assert (got["restore"].status, got["restore"].elapsed_s, got["restore"].deadline) == ("met", 90 * M,
                                                                                          at(3, 10, 13))


def test_a_contract_that_names_respond_and_arrive_pauses_them_too():
    # Acknowledged inside the pause: respond counts 10:00-10:10 only, 10 min, met. Arrive: 10 min
    # before the pause and 11:10-11:40 after, 40 min, met, due 11:10 + 50 min = 12:00.
    every = SlaTerms(TERMS.cells, PauseRule(stops=frozenset(STAGES)))
    got = ticket_figures(every, "P1", "urban", PAUSED_P1, at(3, 10, 13)).stages
    assert (got["respond"].status, got["respond"].elapsed_s) == ("met", 10 * M)
    assert (got["arrive"].status, got["arrive"].elapsed_s, got["arrive"].deadline) == ("met", 40 * M, at(3, 10, 12))
    assert (got["restore"].status, got["restore"].elapsed_s) == ("met", 90 * M)


def test_a_fault_that_cleared_by_itself_leaves_respond_and_arrive_not_applicable():
    # P1 opened 10:00, nobody acted, the camera came back at 10:20: nobody had to answer or go there,
    # so neither stage is met (it would inflate on-time rates); restore is met at the recovery.
    line = Timeline(at(3, 10, 10), restored_at=at(3, 10, 10, 20), self_recovered=True)
    got = figures("P1", "urban", line, at(3, 10, 11)).stages
    for stage in ("respond", "arrive"):
        assert (got[stage].status, got[stage].deadline, got[stage].done_at, got[stage].elapsed_s,
                got[stage].late_s) == ("not_applicable", None, None, None, 0)
    assert (got["restore"].status, got["restore"].elapsed_s) == ("met", 20 * M)


def test_a_self_recovery_after_the_respond_deadline_leaves_the_breach_standing():
    # Back at 10:45, nobody acknowledged by 10:30: the answer was owed and not given (15 min late);
    # arrive (due 11:00) was not yet owed, so it is not applicable.
    line = Timeline(at(3, 10, 10), restored_at=at(3, 10, 10, 45), self_recovered=True)
    got = figures("P1", "urban", line, at(3, 10, 11)).stages
    assert (got["respond"].status, got["respond"].late_s) == ("breached", 15 * M)
    assert got["arrive"].status == "not_applicable"


def test_before_the_self_recovery_the_clocks_run_as_usual():
    line = Timeline(at(3, 10, 10), restored_at=at(3, 10, 10, 20), self_recovered=True)
    got = figures("P1", "urban", line, at(3, 10, 10, 15)).stages
    assert [got[s].status for s in ("respond", "arrive", "restore")] == ["running"] * 3


def test_a_deadline_in_a_year_without_data_is_unknown_while_the_clock_still_counts():
    # P2 urban opened Thu 2026-12-31 17:00, as of 17:20: respond (30 min) is due 17:30; arrive (2 h)
    # would need 1 h of 2027, whose working days nobody has loaded: its deadline is unknown, not guessed.
    got = figures("P2", "urban", Timeline(at(12, 31, 17)), at(12, 31, 17, 20)).stages
    assert (got["respond"].deadline, got["respond"].missing_year) == (at(12, 31, 17, 30), None)
    assert (got["arrive"].deadline, got["arrive"].missing_year) == (None, 2027)
    assert (got["arrive"].status, got["arrive"].elapsed_s) == ("running", 20 * M)


def test_a_clock_whose_now_lies_in_a_year_without_data_is_refused():
    with pytest.raises(CalendarMissing, match="2027"):
        figures("P2", "urban", Timeline(at(12, 31, 17)), at(1, 4, 9, y=2027))


def test_a_ticket_without_an_arrive_term_has_no_arrive_clock():
    got = figures("P3", "urban", Timeline(at(3, 9, 9)), at(3, 9, 10))
    assert set(got.stages) == {"respond", "restore"}


def test_terms_missing_for_a_severity_and_area_are_named():
    with pytest.raises(LookupError, match=r"no SLA terms for severity 'P3' in 'rural' areas .*P1/urban"):
        figures("P3", "rural", Timeline(at(3, 9, 9)), at(3, 9, 10))


@pytest.mark.parametrize("line,now,expected", [
    (Timeline(at(3, 9, 9), acknowledged_at=at(3, 9, 8)), at(3, 9, 10), "acknowledged_at is before opened_at"),
    (Timeline(at(3, 9, 9), suspensions=(Suspension(at(3, 9, 11), at(3, 9, 10)),)), at(3, 9, 12),
     "suspension #1 ends before it starts"),
    (Timeline(at(3, 9, 9)), at(3, 9, 8), "now is before the ticket was opened"),
])
def test_an_impossible_timeline_is_refused(line, now, expected):
    with pytest.raises(ValueError, match=expected):
        figures("P2", "urban", line, now)
