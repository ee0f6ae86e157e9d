"""Tickets (工单) per scope: opened, closed, overdue, open at month end, MTTR, on-time rates; long-standing faults.

Every ticket figure is the ticket slice's (tickets.month.month_tickets: SLA clocks as of the month's
end, on the terms version each ticket ran on). Self-recovered faults (自行恢复) are counted apart
and left out of closed and MTTR.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from assetsvc.reports.figures import hours, rate
from assetsvc.reports.scopes import Scope
from assetsvc.tickets.month import MonthTicket
from assetsvc.tickets.sla import stage_rates

FORMULAS = {
    "overdue": "tickets whose restore stage is breached as of the month's end (or their closing)",
    "mttr_wall_h": "mean of restored - opened, tickets restored in the month (self-recovered apart)",
    "mttr_contract_h": "mean restore-stage service time (contract calendar, approved pauses removed)",
    "on_time": "met / (met + breached) per stage; running and not applicable stages left out",
}


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def figures(tickets: list[MonthTicket], start: float, end: float) -> dict[str, Any]:
    repaired = [t for t in tickets if t.restored_at is not None and t.restored_at >= start and not t.self_recovered]
    contract = [t.figures.stages["restore"].elapsed_s for t in repaired
                if t.figures is not None and "restore" in t.figures.stages
                and t.figures.stages["restore"].elapsed_s is not None]
    decided = [t.figures for t in tickets if t.figures is not None and not t.self_recovered]
    rates = stage_rates(decided)
    return {
        "opened": sum(1 for t in tickets if t.opened_at >= start),
        "closed": sum(1 for t in tickets if t.closed_at is not None and not t.self_recovered),
        "self_recovered": sum(1 for t in tickets if t.closed_at is not None and t.self_recovered),
        "overdue": sum(1 for t in tickets if t.figures is not None and "restore" in t.figures.stages
                       and t.figures.stages["restore"].status == "breached"),
        "open_at_end": sum(1 for t in tickets if t.closed_at is None),
        "mttr_wall_h": hours(_mean([t.restored_at - t.opened_at for t in repaired])),
        "mttr_contract_h": hours(_mean(contract)),
        "on_time": {stage: {"met": r.met, "breached": r.breached, "rate": rate(r.on_time_rate)}
                    for stage, r in sorted(rates.items())},
        "no_clock": sum(1 for t in tickets if t.figures is None),
    }


def _selectors(scopes: Iterable[Scope]) -> list[tuple[Scope, Callable[[MonthTicket], bool]]]:
    out: list[tuple[Scope, Callable[[MonthTicket], bool]]] = []
    for scope in scopes:
        if scope.kind == "city":
            out.append((scope, lambda t: True))
        elif scope.kind == "district":
            out.append((scope, lambda t, code=scope.ref: t.region_code == code))
        elif scope.kind == "contractor":
            out.append((scope, lambda t, ref=int(scope.ref): t.contractor_id == ref))
        elif scope.kind == "contract":
            out.append((scope, lambda t, ref=int(scope.ref): t.contract_id == ref))
    return out


def long_standing(tickets: list[MonthTicket], end: float, days: float) -> list[dict[str, Any]]:
    """Tickets still open at month end, opened more than `days` before it, oldest first, with reasons."""
    old = [t for t in tickets if t.closed_at is None and end - t.opened_at > days * 86400]
    return [{"ticket_id": t.id, "subject": f"{t.subject_type}:{t.subject_id}", "fault": t.fault, "cause": t.cause,
             "title": t.title, "contractor_id": t.contractor_id, "contract_id": t.contract_id,
             "open_days": round((end - t.opened_at) / 86400, 2), "reasons": list(t.reasons)}
            for t in sorted(old, key=lambda t: (t.opened_at, t.id))]


def section(tickets: list[MonthTicket], scopes: list[Scope], start: float, end: float,
            days: float) -> dict[str, Any]:
    rows = [{**scope.head(), **figures([t for t in tickets if chosen(t)], start, end)}
            for scope, chosen in _selectors(scopes)]
    return {"formulas": FORMULAS, "long_standing_days": days, "rows": rows,
            "long_standing": long_standing(tickets, end, days)}
