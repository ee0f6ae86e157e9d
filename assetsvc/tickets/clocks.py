"""A ticket's SLA clocks from its row, its suspensions and its contract's terms; breach marking.

`settle` is the one place breaches are decided: actions call it after every change, the sweep
calls it for tickets whose stored deadline has passed. It stores each stage's deadline (so the
sweep is a column comparison, not calendar arithmetic over every open ticket), marks a stage
breached at its deadline, withdraws the mark when later facts show it met (a pause the contract
backdates to its request, a check dated before the deadline), and
escalates to the office once a breach has lasted `escalate_after_s`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from assetsvc import bulk
from assetsvc.tickets.calendar import DataError
from assetsvc.tickets.sla import (STAGES, ContractSla, PauseRule, Suspension, TicketFigures, Timeline,
                                  ticket_figures)
from assetsvc.tickets.tables import TicketSuspension

PAUSING = ("approved", "ended")  # a suspension that paused the clocks (rejected and requested did not)


def pause_rule(sla: ContractSla | DataError | None) -> PauseRule:
    """The contract's pause rule; the defaults where the terms are missing or no longer load."""
    return sla.terms.pauses if isinstance(sla, ContractSla) else PauseRule()


def pause_start(rule: PauseRule, suspension: Mapping[str, Any]) -> float:
    """When an approved pause stops the clock: at the office's approval, or at the request if the contract says."""
    return suspension["requested_at"] if rule.clock_from == "request" else suspension["decided_at"]


def timeline(ticket: Mapping[str, Any], suspensions: Sequence[Mapping[str, Any]],
             rule: PauseRule = PauseRule()) -> Timeline:
    pauses = tuple(Suspension(pause_start(rule, s), s["ended_at"]) for s in suspensions if s["status"] in PAUSING)
    return Timeline(ticket["opened_at"], ticket["acknowledged_at"], ticket["on_site_at"], ticket["restored_at"],
                    pauses, self_recovered=ticket.get("close_reason") == "self_recovered")


@dataclass(frozen=True)
class Clock:
    figures: TicketFigures | None
    note: str  # why there are no figures


def terms_of(ticket: Mapping[str, Any], terms: Mapping[Any, ContractSla | DataError]) -> ContractSla | DataError | None:
    """The terms the ticket runs on: its version, or the contract's current terms."""
    return terms.get((ticket["contract_id"], ticket.get("terms_version")), terms.get(ticket["contract_id"]))


def clock(ticket: Mapping[str, Any], suspensions: Sequence[Mapping[str, Any]],
          terms: Mapping[Any, ContractSla | DataError], now: float) -> Clock:
    """The ticket's figures as of `now` (or as of its closing, for a finished ticket)."""
    if ticket["contract_id"] is None:
        return Clock(None, ticket["sla_note"] or "no contract covers the device")
    sla = terms_of(ticket, terms)
    if sla is None:
        return Clock(None, "the contract has no SLA terms yet (PUT /api/v1/contracts/{id}/sla)")
    if isinstance(sla, DataError):
        return Clock(None, f"the contract's SLA terms no longer load: {sla}")
    at = max(now if ticket["closed_at"] is None else min(now, ticket["closed_at"]), ticket["opened_at"])
    try:
        line = timeline(ticket, suspensions, sla.terms.pauses)
        figures = ticket_figures(sla.terms, ticket["severity"], ticket["area"], line, at, ticket=ticket["id"])
    except (LookupError, ValueError) as exc:  # no cell for the severity/area; inconsistent stored times
        return Clock(None, str(exc)[:200])
    return Clock(figures, "")


async def suspensions_of(ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    rows = await bulk.fetch_in(TicketSuspension, "SELECT * FROM ticket_suspension WHERE ticket IN ({in}) "
                                                 "ORDER BY requested_at, id", list(ids))
    out: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(row["ticket"], []).append(row)
    return out


@dataclass
class Settled:
    """What settle changed: column values to store and the notices to send."""

    columns: dict[str, Any]
    breached: list[str]  # stages newly breached
    withdrawn: list[str]  # stages no longer breached (a backdated pause moved the deadline, an early check)
    escalate: bool


def settle(ticket: Mapping[str, Any], clock_: Clock, escalate_after_s: float, now: float) -> Settled:
    """New deadline and breach columns for the ticket (pure; the caller writes them)."""
    columns: dict[str, Any] = {}
    breached, withdrawn = [], []
    figures = clock_.figures
    if figures is None:
        # Nothing can be told now (a year's working days not loaded, terms gone or changed): the
        # marks and deadlines already stored stand; only the reason is shown. Withdrawing them
        # would notify every breach a second time once the calendar is loaded.
        return Settled({"sla_note": clock_.note[:200]}, [], [], False)
    for stage in STAGES:
        figure = figures.stages.get(stage)
        due = figure.deadline if figure else None
        if figure is not None and figure.missing_year is not None and figure.status == "running":
            due = ticket.get(f"{stage}_due")  # the deadline falls in a year not loaded yet: keep what we had
        if figure is not None and figure.status == "breached":
            mark = ticket[f"{stage}_breached_at"]
            if mark is None:
                breached.append(stage)
                mark = due if due is not None else now
        else:
            mark = None
            if ticket[f"{stage}_breached_at"] is not None:
                withdrawn.append(stage)
        columns[f"{stage}_due"] = due
        columns[f"{stage}_breached_at"] = mark
    columns["sla_note"] = clock_.note[:200]
    first = min((v for k, v in columns.items() if k.endswith("_breached_at") and v is not None), default=None)
    escalate = (ticket["escalated_at"] is None and first is not None and ticket["state"] not in ("closed", "cancelled")
                and now - first >= escalate_after_s)
    if escalate:
        columns["escalated_at"] = now
    return Settled(columns, breached, withdrawn, escalate)


def figures_json(clock_: Clock) -> dict[str, Any]:
    """The SLA figures as the API shows them."""
    if clock_.figures is None:
        return {"available": False, "note": clock_.note}
    f = clock_.figures
    return {"available": True, "as_of": f.as_of, "paused": f.paused, "suspended_s": f.suspended_s,
            "stages": {name: {"limit_s": s.limit_s, "deadline": s.deadline, "done_at": s.done_at,
                              "elapsed_s": s.elapsed_s, "late_s": s.late_s, "status": s.status,
                              "missing_year": s.missing_year} for name, s in f.stages.items()}}
