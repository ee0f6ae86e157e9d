"""History import, the pure parts: time cells, the overlap rule, row checks and content keys."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assetsvc.monitoring.history.clip import Clip, Occupied, recorded
from assetsvc.monitoring.history.rows import RowProblems, parse_time, state_row, window_row
from assetsvc.registry.normalize import FieldProblem

TZ = dt.timezone(dt.timedelta(hours=8))
EIGHT = dt.datetime(2025, 12, 1, 8, 0, tzinfo=TZ).timestamp()
GB = "33010600011320000001"


@pytest.mark.parametrize("cell", [
    "2025-12-01 08:00", "2025-12-01T08:00:00", "2025/12/1 8:00", "2025.12.01 08:00:00", "2025年12月1日 08:00",
    "２０２５-１２-０１ ０８:００", "2025-12-01 00:00Z", "2025-12-01T01:00:00+01:00",
    dt.datetime(2025, 12, 1, 8, 0), dt.datetime(2025, 12, 1, 0, 0, tzinfo=dt.timezone.utc),
])
def test_time_cells_in_the_forms_offices_write_them(cell):
    assert parse_time(cell, TZ) == EIGHT


def test_a_date_alone_is_its_midnight():
    assert parse_time("2025-12-01", TZ) == EIGHT - 8 * 3600
    assert parse_time(dt.date(2025, 12, 1), TZ) == EIGHT - 8 * 3600


@pytest.mark.parametrize("cell, kind", [
    ("", "required"), (None, "required"), (45992.5, "invalid_time"), ("yesterday", "invalid_time"),
    ("2025-02-30 08:00", "invalid_time"), ("2025-12-01 25:00", "invalid_time"), ("12/01/2025", "invalid_time"),
])
def test_cells_that_are_no_time_say_why(cell, kind):
    with pytest.raises(FieldProblem) as caught:
        parse_time(cell, TZ)
    assert caught.value.kind == kind


def test_recorded_history_wins_then_earlier_rows():
    held = recorded([(10.0, 20.0, "recorded"), (30.0, None, "recorded")], 1000.0)
    pieces, clips = held.take(0.0, 40.0, "row 2")
    assert pieces == [(0.0, 10.0), (20.0, 30.0)]
    assert clips == [Clip(10.0, 20.0, "recorded"), Clip(30.0, 40.0, "recorded")]
    pieces, clips = held.take(5.0, 25.0, "row 3")
    assert pieces == [] and clips == [Clip(5.0, 10.0, "row 2"), Clip(10.0, 20.0, "recorded"),
                                      Clip(20.0, 25.0, "row 2")]
    assert held.take(-5.0, 0.0, "row 4") == ([(-5.0, 0.0)], [])


def test_touching_ranges_are_no_overlap():
    held = Occupied()
    held.add(10.0, 20.0, "recorded")
    assert held.take(20.0, 30.0, "row 2") == ([(20.0, 30.0)], [])
    assert held.take(0.0, 10.0, "row 3") == ([(0.0, 10.0)], [])


def test_state_words_and_causes_are_normalised_into_the_content_key():
    a = state_row(2, {"camera": f" {GB} ", "state": "离线", "from": "2025-12-01 08:00", "to": "2025-12-01 09:00"},
                  TZ, EIGHT + 7200)
    b = state_row(9, {"camera": GB, "state": "OFFLINE", "cause": "Reach", "from": "2025/12/1 8:00",
                      "to": "2025-12-01T09:00:00+08:00"}, TZ, EIGHT + 7200)
    assert (a.state, a.cause, a.start, a.end) == ("down", "reach", EIGHT, EIGHT + 3600)
    assert a.key == b.key and a.row != b.row


def test_every_bad_cell_of_a_row_is_reported_at_once():
    with pytest.raises(RowProblems) as caught:
        state_row(3, {"camera": "12", "state": "degraded", "cause": "clock:late", "from": "x"}, TZ, EIGHT)
    fields = [e["field"] for e in caught.value.errors]
    # "12" is read as an ID here; that no camera has it is found against the registry.
    assert fields == ["cause", "from", "to"]


def test_a_window_without_scope_is_the_cameras():
    row = window_row(2, {"camera": GB, "from": "2025-12-01 08:00", "to": "2025-12-01 09:00", "reason": "割接"},
                     TZ, EIGHT + 7200)
    assert (row.scope, row.ref, row.reason) == ("camera", GB, "割接")
    region = window_row(3, {"scope": "Region", "ref": 330106.0, "from": "2025-12-01", "to": "2025-12-02",
                            "reason": "断电"}, TZ, EIGHT + 86400 * 2)
    assert (region.scope, region.ref) == ("region", "330106")


# Pieces of the cells old platforms export, so generated text gets deep into the time parser.
PIECES = ["2025", "-", "/", ".", "年", "月", "日", " ", "T", ":", "12", "31", "08", "+08:00", "Z", "１", "在线",
          "离线", "picture:", "blur", "stream", "\x00", "\u3000"]
cells = st.one_of(st.none(), st.text(max_size=30), st.lists(st.sampled_from(PIECES), max_size=10).map("".join),
                  st.floats(allow_nan=True, allow_infinity=True), st.integers(min_value=-(10**25), max_value=10**25),
                  st.booleans(), st.datetimes(), st.dates(), st.just("9" * 5000))
FIELDS = ("camera", "state", "cause", "from", "to", "source", "scope", "ref", "reason")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(FIELDS), cells))
def test_mangled_rows_end_in_a_row_or_its_reasoned_problems(raw):
    for parse in (state_row, window_row):
        try:
            parse(2, raw, TZ, EIGHT)
        except RowProblems as exc:
            assert exc.errors and all(e["field"] in FIELDS and e["reason"] for e in exc.errors)


def test_a_time_before_1990_is_taken_for_a_mangled_cell():
    with pytest.raises(RowProblems) as caught:
        state_row(2, {"camera": GB, "state": "在线", "from": "0001-01-01 00:00+14:00", "to": "2025-12-01"}, TZ, EIGHT)
    assert [(e["field"], e["kind"]) for e in caught.value.errors] == [("from", "too_early")]
