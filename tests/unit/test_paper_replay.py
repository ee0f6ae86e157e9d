"""The replay of a paper work order's recorded events: state, times and pauses, and what is out of order."""

from __future__ import annotations

import pytest

from assetsvc.tickets.paper.replay import Entry, OutOfOrder, replay

H = 3600.0
OPEN = 1_800_000_000.0


def entry(n: int | None, kind: str, hours: float, reason: str = "") -> Entry:
    return Entry(n, kind, OPEN + hours * H, "office", reason)


def test_the_entries_in_time_order_give_the_times_the_clocks_read_whatever_order_they_were_entered():
    entries = [entry(4, "closed", 8), entry(1, "resolved", 6), entry(2, "arrived", 2), entry(3, "accepted", 1)]
    result = replay(OPEN, entries)
    assert result.columns["state"] == "closed"
    assert [result.columns[k] for k in ("acknowledged_at", "on_site_at", "resolved_at", "restored_at", "closed_at")] \
        == [OPEN + H, OPEN + 2 * H, OPEN + 6 * H, OPEN + 6 * H, OPEN + 8 * H]
    assert result.moves == {3: ("open", "acknowledged"), 2: ("acknowledged", "on_site"), 1: ("on_site", "resolved"),
                            4: ("resolved", "closed")}


def test_a_pause_asked_approved_and_ended_returns_to_the_state_before_it():
    result = replay(OPEN, [entry(1, "arrived", 1), entry(2, "pause_requested", 2, "no_access"),
                           entry(3, "pause_approved", 3), entry(4, "pause_ended", 5)])
    assert result.columns["state"] == "on_site" and result.columns["acknowledged_at"] == OPEN + H
    [pause] = result.pauses
    assert (pause.status, pause.reason, pause.requested_at, pause.decided_at, pause.ended_at) == \
        ("ended", "no_access", OPEN + 2 * H, OPEN + 3 * H, OPEN + 5 * H)


def test_closing_drops_a_pause_never_decided_and_restores_at_the_close():
    result = replay(OPEN, [entry(1, "pause_requested", 1, "power_cut"), entry(2, "closed", 2)])
    assert result.pauses[0].status == "rejected"
    assert result.columns["restored_at"] == OPEN + 2 * H and result.columns["close_reason"] == "office"


@pytest.mark.parametrize("entries, says", [
    ([entry(1, "arrived", 1), entry(None, "accepted", 2)], "accepted at .* the ticket is on_site then"),
    ([entry(1, "closed", 1), entry(None, "resolved", 2)], "the ticket is closed then"),
    ([entry(None, "pause_approved", 1)], "no pause is requested then"),
    ([entry(1, "pause_requested", 1, "x"), entry(None, "pause_requested", 2, "x")], "already requested"),
    ([entry(1, "pause_requested", 1, "x"), entry(2, "pause_approved", 2), entry(None, "resolved", 3)],
     "suspended then"),
    ([entry(None, "accepted", -1)], "before the ticket opened"),
])
def test_an_entry_that_does_not_fit_is_named(entries, says):
    with pytest.raises(OutOfOrder, match=says):
        replay(OPEN, entries)


def test_entries_at_the_same_instant_keep_the_order_they_were_entered_in():
    result = replay(OPEN, [entry(2, "resolved", 1), entry(1, "accepted", 1)])
    assert result.columns["state"] == "resolved" and result.columns["acknowledged_at"] == OPEN + H
    with pytest.raises(OutOfOrder):
        replay(OPEN, [entry(1, "resolved", 1), entry(2, "accepted", 1)])
