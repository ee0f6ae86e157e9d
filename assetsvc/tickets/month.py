"""A month's tickets as the monthly report reads them (frozen records; the report never reads ticket tables).

Each ticket active in [start, end) comes with its SLA figures as of the month's end (or its
closing), computed by the same clocks the score uses (clocks.clock on the terms version it ran on).
"""

from __future__ import annotations

from dataclasses import dataclass

from assetsvc import bulk
from assetsvc.tickets import clocks
from assetsvc.tickets.sla import TicketFigures
from assetsvc.tickets.store import TERMS
from assetsvc.tickets.tables import Ticket


@dataclass(frozen=True)
class MonthTicket:
    """A ticket active in the month: what happened when, and its figures as of the month's end."""

    id: int
    subject_type: str
    subject_id: int
    fault: str
    cause: str
    title: str
    severity: str
    region_code: str
    contractor_id: int | None
    contract_id: int | None
    opened_at: float
    restored_at: float | None
    closed_at: float | None
    close_reason: str | None
    figures: TicketFigures | None  # None: no contract or terms (`note` says why)
    note: str
    reasons: tuple[str, ...]  # suspension reasons recorded (approved or ended), in order

    @property
    def self_recovered(self) -> bool:
        return self.close_reason == "self_recovered"


async def month_tickets(start: float, end: float) -> list[MonthTicket]:
    """Tickets opened before `end` and not closed before `start`, cancelled ones left out, by id."""
    rows = await bulk.fetch(Ticket, "SELECT t.*, t.contract AS contract_id, t.contractor AS contractor_id "
                                    "FROM ticket t WHERE t.opened_at < ? AND (t.closed_at IS NULL OR t.closed_at >= ?) "
                                    "AND (t.close_reason IS NULL OR t.close_reason <> 'cancelled') ORDER BY t.id",
                            [end, start])
    pauses = await clocks.suspensions_of([r["id"] for r in rows])
    terms = await TERMS.for_tickets(rows)
    out = []
    for row in rows:
        mine = pauses.get(row["id"], [])
        clock = clocks.clock(row, mine, terms, end)
        reasons = tuple(s["reason"] for s in mine if s["status"] in ("approved", "ended"))
        closed = row["closed_at"] if row["closed_at"] is not None and row["closed_at"] < end else None
        restored = row["restored_at"] if row["restored_at"] is not None and row["restored_at"] < end else None
        out.append(MonthTicket(row["id"], row["subject_type"], row["subject_id"], row["fault"], row["cause"] or "",
                               row["title"] or "", row["severity"], row["region_code"] or "", row["contractor_id"],
                               row["contract_id"], float(row["opened_at"]), restored, closed,
                               row["close_reason"] if closed is not None else None, clock.figures, clock.note,
                               reasons))
    return out
