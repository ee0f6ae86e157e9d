"""The uptime arithmetic and input parsing, on numbers worked by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from assetsvc.errors import ValidationFailed
from assetsvc.monitoring.uptime_input import check_step, iso, parse_instant, parse_offset, parse_period
from assetsvc.monitoring.uptime_math import (
    Totals, instant_count, instant_index, ratio, running_counts, sampled_rate, union,
)
from assetsvc.monitoring.uptime_scope import prefix_bounds, region_ref

CST = dt.timezone(dt.timedelta(hours=8))


def test_union_merges_overlapping_and_touching_ranges_and_clips_to_the_period():
    # [1, 3) + [2, 5) overlap -> [1, 5); [5, 6) touches -> [1, 6); [8, 9) apart; [-2, 0.5) clips to [0, 0.5);
    # [9.5, 12) clips to [9.5, 10); [11, 12) is outside.
    ranges = [(2, 5), (1, 3), (5, 6), (8, 9), (-2, 0.5), (9.5, 12), (11, 12)]
    assert union(ranges, 0, 10) == [(0, 0.5), (1, 6), (8, 9), (9.5, 10)]


def test_union_of_nothing_and_of_empty_ranges_is_empty():
    assert union([], 0, 10) == []
    assert union([(3, 3), (12, 15), (-5, -1)], 0, 10) == []


def test_instants_are_the_step_multiples_before_the_end():
    # [0, 10) at step 1: 0..9 -> 10; [0, 10.5): 0..10 -> 11; [0, 0): none.
    assert instant_count(0, 10, 1) == 10
    assert instant_count(0, 10.5, 1) == 11
    assert instant_count(5, 5, 1) == 0
    # The first instant at or after: 3.0 -> 3 (an instant on the boundary belongs to the range), 3.2 -> 4.
    assert instant_index(3.0, 0, 1) == 3 and instant_index(3.2, 0, 1) == 4


def test_ratio_is_null_when_there_is_nothing_to_divide_by():
    assert ratio(0, 0) is None
    assert ratio(1, 1e-9) is None  # float noise left after subtracting maintenance
    assert ratio(3, 4) == 0.75


def test_totals_give_the_three_rates():
    # up 5, degraded 2, down 2, unknown 1 (hours); maintenance: 1 of the up hours, 0.5 of the unknown.
    # counted: up 4, degraded 2, down 2, unknown 0.5; observed 8; in service outside maintenance 8.5.
    totals = Totals()
    totals.state.update(up=5, degraded=2, down=2, unknown=1)
    totals.maintenance.update(up=1, unknown=0.5)
    assert totals.in_service == 10 and totals.maintenance_total == 1.5 and totals.observed == 8
    assert totals.figures() == {"online_rate": 6 / 8, "working_rate": 4 / 8, "unknown_share": 0.5 / 8.5}


def test_down_splits_into_own_and_upstream_outside_maintenance():
    # down 4 h, of it upstream 3 h; maintenance takes 1 h of the upstream part -> upstream 2, own 1.
    totals = Totals(upstream=3, upstream_maintenance=1)
    totals.state["down"] = 4
    totals.maintenance["down"] = 1
    assert (totals.down_upstream, totals.down_own) == (2, 1)


def test_sampled_rate_skips_instants_without_a_known_camera():
    # Instant 0: 4 in service, 1 unknown, 1 down -> 2 / 3 online. Instant 1: 2 in service, both
    # unknown -> skipped. Instant 2: 1 in service, up -> 1. Mean of (2/3, 1) = 5/6.
    counts = {"in_service": [4, 2, 1], "unknown": [1, 2, 0], "down": [1, 0, 0]}
    assert sampled_rate(counts, 3) == {"instants": 3, "counted": 2, "skipped": 1, "online_rate": pytest.approx(5 / 6)}
    assert sampled_rate({"in_service": [0], "unknown": [0], "down": [0]}, 1)["online_rate"] is None


def test_running_counts_add_events_from_their_instant_on():
    # A camera in service over instants [1, 3), another [0, 4); an event at 4 or later falls after the end.
    events = [("in_service", 1, 1), ("in_service", 3, -1), ("in_service", 0, 1), ("in_service", 4, -1),
              ("down", 2, 1), ("down", 9, -1)]
    counts = running_counts(events, 4)
    assert counts["in_service"] == [1, 2, 2, 1] and counts["down"] == [0, 0, 1, 1] and counts["unknown"] == [0] * 4


def test_times_with_a_zone_keep_it_and_others_take_the_offset():
    assert parse_instant("2026-11-01T08:00:00+08:00", "start", dt.timezone.utc) == parse_instant(
        "2026-11-01T00:00:00Z", "start", CST)
    assert parse_instant("2026-11-01T08:00:00", "start", CST) == parse_instant("2026-11-01T00:00:00Z", "x", CST)
    assert iso(parse_instant("2026-11-01", "start", CST), CST) == "2026-11-01T00:00:00+08:00"


@pytest.mark.parametrize("text", ["+08:00", "+0800", "-05:30", "Z", "UTC", None])
def test_offsets_read(text):
    assert isinstance(parse_offset(text), dt.timezone)


@pytest.mark.parametrize("text", ["Asia/Shanghai", "+8", "+15:00", "08:00", "+08:60"])
def test_bad_offsets_name_the_field(text):
    with pytest.raises(ValidationFailed) as caught:
        parse_offset(text)
    assert caught.value.errors[0]["field"] == "tz"


@pytest.mark.parametrize("start, end, field", [
    (None, "2026-12-01", "start"), ("2026-11-01", "", "end"), ("2026-11-31", "2026-12-01", "start"),
    ("2026-11-01", "next month", "end"), ("2026-12-01", "2026-11-01", "end"), ("2026-11-01", "2026-11-01", "end"),
])
def test_bad_periods_name_the_field(start, end, field):
    with pytest.raises(ValidationFailed) as caught:
        parse_period(start, end)
    assert caught.value.errors[0]["field"] == field


def test_a_month_is_its_first_midnight_to_the_next_at_the_offset():
    period = parse_period("2026-11-01", "2026-12-01", "+08:00")
    assert period.end - period.start == 30 * 86400
    assert iso(period.start, period.tz) == "2026-11-01T00:00:00+08:00"


def test_step_bounds():
    month = parse_period("2026-11-01", "2026-12-01")
    assert check_step(None, month) == 3600.0 and check_step(300, month) == 300.0
    for bad in (59, 0, -3600, float("nan"), float("inf")):
        with pytest.raises(ValidationFailed):
            check_step(bad, month)
    with pytest.raises(ValidationFailed):
        check_step(60, parse_period("2020-01-01", "2026-01-01"))  # 3 million instants


def test_regions_become_code_prefixes():
    assert region_ref("330106") == "330106"
    assert region_ref("330100") == "3301" and region_ref("3301") == "3301"
    assert region_ref("330000") == "33" and region_ref("33") == "33"
    for bad in ("3301060", "33010", "77", "abcdef", "３３"):
        with pytest.raises(ValidationFailed):
            region_ref(bad)


def test_prefix_bounds_cover_exactly_the_codes_with_the_prefix():
    low, high = prefix_bounds("3301")
    codes = ["330099", "330100", "330106", "330199", "330200", "33"]
    assert [c for c in codes if low <= c < high] == ["330100", "330106", "330199"]
    assert prefix_bounds("99") == ("99", None) and prefix_bounds("3309") == ("3309", "3310")
