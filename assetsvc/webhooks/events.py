"""The event names assetsvc sends to webhook receivers, with what each means (docs/webhooks.md).

The UI's event picker reads this list (GET /webhooks/events); tests/unit/test_webhook_events.py
checks that every name the code queues is here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    name: str
    about: str  # "ticket", "report" or "webhook": what the payload describes
    summary: str


EVENTS: tuple[Event, ...] = (
    Event("ticket.opened", "ticket", "a fault ticket was opened (a paper work order entered included)"),
    Event("ticket.acknowledged", "ticket", "the contractor acknowledged a ticket"),
    Event("ticket.on_site", "ticket", "the contractor is on site"),
    Event("ticket.resolved", "ticket", "the contractor says it is fixed; the verification check follows"),
    Event("ticket.closed", "ticket", "a ticket was closed (verified, or by the office)"),
    Event("ticket.reopened", "ticket", "a closed ticket was reopened (by the office or a failed check)"),
    Event("ticket.cancelled", "ticket", "a ticket was cancelled (a false alarm or an upheld dispute included)"),
    Event("ticket.breached", "ticket", "an SLA stage of a ticket passed its deadline"),
    Event("ticket.escalated", "ticket", "a ticket was escalated"),
    Event("ticket.suspension_requested", "ticket", "the contractor asked to pause a ticket's clocks"),
    Event("ticket.suspended", "ticket", "the office approved a pause: the named clocks stop"),
    Event("ticket.resumed", "ticket", "a pause ended: the stopped clocks run again"),
    Event("ticket.disputed", "ticket", "the contractor disputed a ticket"),
    Event("ticket.dispute_rejected", "ticket", "the office rejected a dispute"),
    Event("ticket.verification_overdue", "ticket", "a resolved ticket's verification check is overdue"),
    Event("report.province_delivered", "report", "the provincial platform took a monthly report (office only)"),
    Event("report.province_failed", "report", "a delivery to the provincial platform gave up (office only)"),
    Event("ping", "webhook", "a test sent from the webhooks screen to one receiver"),
)
NAMES = frozenset(e.name for e in EVENTS)
