"""A paper work order's state and times from its recorded events: a pure replay.

The entries not voided, in the order they happened (time, then order of entry), run through the
same moves as the live actions (docs/tickets.md, "States"). The result is the ticket's state, the
times the SLA clocks read (acknowledged, on site, resolved, restored, closed) and its pauses; the
first entry that does not fit is named. A recorded repair (`resolved`) is the restore: no check
can confirm a repair months ago, so the office's record stands for it, as an office close does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from assetsvc.tickets.instants import shown

WORKING = ("open", "acknowledged", "on_site")  # a paper ticket never reopens: a wrong close is voided
# recorded kind -> (states it may follow, state it leads to; None: the state stays or the pause's)
KINDS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "accepted": (("open",), "acknowledged"),
    "arrived": (("open", "acknowledged"), "on_site"),
    "resolved": (WORKING, "resolved"),
    "pause_requested": (WORKING, None),
    "pause_approved": (WORKING, "suspended"),
    "pause_ended": (("suspended",), None),
    "closed": ((*WORKING, "resolved"), "closed"),
}
VOID = "void"


@dataclass(frozen=True)
class Entry:
    """One recorded event: what, when it happened, who entered it; id None for the one being entered."""

    id: int | None
    kind: str
    at: float
    actor: str
    reason: str = ""
    note: str = ""

    def order(self) -> tuple[float, float]:
        return self.at, float("inf") if self.id is None else self.id

    def __str__(self) -> str:
        return f"{self.kind} at {shown(self.at)}" + ("" if self.id is None else f" (#{self.id})")


@dataclass
class Pause:
    """A pause as the ticket_suspension table keeps it."""

    reason: str
    note: str
    requested_by: str
    requested_at: float
    status: str = "requested"
    decided_by: str | None = None
    decided_at: float | None = None
    ended_by: str | None = None
    ended_at: float | None = None


@dataclass
class Replayed:
    columns: dict[str, Any]
    pauses: list[Pause] = field(default_factory=list)
    moves: dict[int | None, tuple[str, str]] = field(default_factory=dict)  # entry id -> (from, to)


class OutOfOrder(ValueError):
    """An entry that does not fit the ticket's other events."""


def replay(opened_at: float, entries: Iterable[Entry]) -> Replayed:
    """The ticket as its entries make it; OutOfOrder names the first entry that does not fit."""
    columns: dict[str, Any] = {"state": "open", "resume_state": None, "acknowledged_at": None, "on_site_at": None,
                               "resolved_at": None, "restored_at": None, "closed_at": None, "close_reason": None}
    out = Replayed(columns)
    before: Entry | None = None
    for entry in sorted(entries, key=Entry.order):
        state = columns["state"]
        starts, target = KINDS[entry.kind]
        after = f" (after {before})" if before else " (it opened then)"
        if entry.at < opened_at:
            raise OutOfOrder(f"{entry} is before the ticket opened ({shown(opened_at)})")
        if state not in starts:
            raise OutOfOrder(f"{entry} does not fit: the ticket is {state} then{after}; {entry.kind} "
                             f"needs it {' or '.join(starts)}")
        pending = out.pauses[-1] if out.pauses and out.pauses[-1].status in ("requested", "approved") else None
        if entry.kind == "pause_requested" and pending is not None:
            raise OutOfOrder(f"{entry} does not fit: a pause is already requested then{after}")
        if entry.kind == "pause_approved" and (pending is None or pending.status != "requested"):
            raise OutOfOrder(f"{entry} does not fit: no pause is requested then{after}")
        _move(entry, columns, out.pauses, pending)
        out.moves[entry.id] = (state, columns["state"])
        before = entry
    return out


def _move(entry: Entry, columns: dict[str, Any], pauses: list[Pause], pending: Pause | None) -> None:
    at, kind = entry.at, entry.kind
    state = columns["state"]
    if kind in ("arrived", "resolved"):  # working on it, on site or remotely, answers it
        columns["acknowledged_at"] = columns["acknowledged_at"] or at
    if kind == "accepted":
        columns["acknowledged_at"] = at
    elif kind == "arrived":
        columns["on_site_at"] = at
    elif kind == "resolved":
        columns.update(resolved_at=at, restored_at=at)
    elif kind == "pause_requested":
        pauses.append(Pause(entry.reason, entry.note, entry.actor, at))
    elif kind == "pause_approved":
        assert pending is not None
        pending.status, pending.decided_by, pending.decided_at = "approved", entry.actor, at
        columns["resume_state"] = state
    elif kind == "pause_ended":
        assert pending is not None
        pending.status, pending.ended_by, pending.ended_at = "ended", entry.actor, at
        state, columns["resume_state"] = columns["resume_state"], None
    elif kind == "closed":
        columns.update(closed_at=at, close_reason="office", restored_at=columns["restored_at"] or at,
                       resume_state=None)
        if pending is not None and pending.status == "requested":  # never decided: dropped with the close
            pending.status, pending.decided_by, pending.decided_at = "rejected", entry.actor, at
    target = KINDS[kind][1]
    columns["state"] = target if target is not None else state
