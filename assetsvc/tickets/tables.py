"""Ticket tables: fault tickets, their timeline, suspensions, linked cameras, attachments, contract terms.

Instants are Unix seconds (DoublePrecision), like the monitoring tables, so SLA clocks and probe
results compare without time-zone conversions. docs/tickets.md describes the life cycle.
"""

from piccolo.columns import (JSON, Bytea, DoublePrecision, ForeignKey, Integer, OnDelete, Text,
                             Varchar)
from piccolo.table import Table

from assetsvc.registry.tables import Contract, Contractor


class Ticket(Table, tablename="ticket"):
    """A fault ticket (工单) against one device, assigned to the contractor that maintains it."""

    subject_type = Varchar(length=8)  # camera | upstream
    subject_id = Integer()
    fault = Varchar(length=16)  # down | stream | picture | clock | reboot_loop | drift | manual
    cause = Varchar(length=64, default="")  # the monitoring cause when opened, e.g. onvif_light:timeout
    source = Varchar(length=8, default="auto")  # auto | manual | paper (events recorded afterwards)
    title = Varchar(length=200, default="")
    severity = Varchar(length=16)
    area = Varchar(length=16, default="urban")
    region_code = Varchar(length=6, default="", index=True)
    contractor = ForeignKey(references=Contractor, null=True, on_delete=OnDelete.set_null, index=True)
    contract = ForeignKey(references=Contract, null=True, on_delete=OnDelete.set_null)
    state = Varchar(length=16, default="open", index=True)
    resume_state = Varchar(length=16, null=True, default=None)  # the state a suspension returns to
    fault_since = DoublePrecision()  # when the monitoring engine confirmed the fault
    opened_at = DoublePrecision(index=True)  # the SLA clocks start here
    acknowledged_at = DoublePrecision(null=True, default=None)
    on_site_at = DoublePrecision(null=True, default=None)
    resolved_at = DoublePrecision(null=True, default=None)  # the contractor's claim, awaiting verification
    restored_at = DoublePrecision(null=True, default=None)  # from the passing check (or the recovery)
    closed_at = DoublePrecision(null=True, default=None)
    close_reason = Varchar(length=16, null=True, default=None)  # verified | self_recovered | cancelled | office
    # | false_alarm | dispute_upheld (cancelled without penalty: docs/tickets.md, 'False alarms and disputes')
    fault_cleared_at = DoublePrecision(null=True, default=None)  # the monitoring saw the fault end
    reopen_count = Integer(default=0)
    affected_count = Integer(default=0)  # cameras linked under an upstream device
    # Stored SLA clocks, refreshed on every change, so the sweep compares columns instead of
    # running calendar arithmetic over every open ticket. NULL due: no terms, or a missing year.
    respond_due = DoublePrecision(null=True, default=None)
    arrive_due = DoublePrecision(null=True, default=None)
    restore_due = DoublePrecision(null=True, default=None)
    respond_breached_at = DoublePrecision(null=True, default=None)
    arrive_breached_at = DoublePrecision(null=True, default=None)
    restore_breached_at = DoublePrecision(null=True, default=None)
    escalated_at = DoublePrecision(null=True, default=None)
    sla_note = Varchar(length=200, default="")  # why there are no deadlines (no contract, no terms...)
    verify_overdue_at = DoublePrecision(null=True, default=None)
    terms_version = Integer(null=True, default=None)  # the contract terms version its clocks run on
    updated_at = DoublePrecision()


class TicketEvent(Table, tablename="ticket_event"):
    """One line of a ticket's timeline: who did what when, with the state change and a note."""

    ticket = ForeignKey(references=Ticket, on_delete=OnDelete.cascade, index=True)
    at = DoublePrecision()
    actor = Varchar(length=64)  # a user name, or "system"
    kind = Varchar(length=24)  # opened, acknowledged, on_site, resolved, verified, reopened, note, ...
    from_state = Varchar(length=16, null=True, default=None)
    to_state = Varchar(length=16, null=True, default=None)
    note = Text(default="")
    data = JSON(default={})
    # When the line was entered: the same as `at` for what happens live; later for a paper work
    # order's events, entered with the times they happened (NULL on lines from before it was kept).
    entered_at = DoublePrecision(null=True, default=None)
    voids = Integer(null=True, default=None)  # a correcting line: the id of the line it voids


class TicketSuspension(Table, tablename="ticket_suspension"):
    """A pause of the SLA clocks: requested by the contractor for a reason the contract allows,
    decided by the office; an approved pause runs from the request until it is ended."""

    ticket = ForeignKey(references=Ticket, on_delete=OnDelete.cascade, index=True)
    reason = Varchar(length=40)
    note = Text(default="")
    status = Varchar(length=12, default="requested")  # requested | approved | rejected | ended
    requested_by = Varchar(length=64)
    requested_at = DoublePrecision()
    decided_by = Varchar(length=64, null=True, default=None)
    decided_at = DoublePrecision(null=True, default=None)
    decision_note = Text(default="")
    ended_by = Varchar(length=64, null=True, default=None)
    ended_at = DoublePrecision(null=True, default=None)


class TicketCamera(Table, tablename="ticket_camera"):
    """A camera taken down by the ticket's upstream device (root-cause grouping)."""

    ticket = ForeignKey(references=Ticket, on_delete=OnDelete.cascade, index=True)
    camera_id = Integer(index=True)
    linked_at = DoublePrecision()
    recovered_at = DoublePrecision(null=True, default=None)


class TicketAttachment(Table, tablename="ticket_attachment"):
    """A photo or document attached to a ticket; the bytes live in the database with the ticket."""

    ticket = ForeignKey(references=Ticket, on_delete=OnDelete.cascade, index=True)
    filename = Varchar(length=200)
    content_type = Varchar(length=40)
    size = Integer()
    sha256 = Varchar(length=64)
    content = Bytea()
    uploaded_by = Varchar(length=64)
    uploaded_at = DoublePrecision()


class TicketDispute(Table, tablename="ticket_dispute"):
    """A contractor's dispute (申诉) of a ticket: a reason and evidence (attachments of the ticket),
    upheld (the ticket is cancelled without penalty) or rejected (it goes on) by the office."""

    ticket = ForeignKey(references=Ticket, on_delete=OnDelete.cascade, index=True)
    reason = Text(default="")
    attachments = JSON(default=[])  # ids of the ticket's attachments given as evidence
    status = Varchar(length=10, default="open")  # open | upheld | rejected
    raised_by = Varchar(length=64)
    raised_at = DoublePrecision()
    decided_by = Varchar(length=64, null=True, default=None)
    decided_at = DoublePrecision(null=True, default=None)
    decision_note = Text(default="")


class ContractTerms(Table, tablename="contract_terms"):
    """A contract's SLA document (docs/sla.md, 'Contract data'), validated before it is stored."""

    contract = ForeignKey(references=Contract, on_delete=OnDelete.cascade, unique=True)
    document = JSON(default={})
    version = Integer(default=1)
    updated_at = DoublePrecision()
    updated_by = Varchar(length=64)


class ContractTermsVersion(Table, tablename="contract_terms_version"):
    """Every version of a contract's terms: a closed ticket keeps being judged by the terms it ran on,
    so amending a contract never rewrites last month's score."""

    contract = ForeignKey(references=Contract, on_delete=OnDelete.cascade, index=True)
    version = Integer()
    document = JSON(default={})
    updated_at = DoublePrecision()
    updated_by = Varchar(length=64)


class TicketImportBatch(Table, tablename="ticket_import_batch"):
    """One import of closed work orders from the old platform or paper (导入批次); undone as a whole."""

    filename = Varchar(length=255)
    rows = Integer(default=0)
    written = Integer(default=0)  # tickets made
    created_by = Varchar(length=64)
    created_at = DoublePrecision()
    undone_by = Varchar(length=64, default="")
    undone_at = DoublePrecision(null=True, default=None)
    summary = JSON(default={})


class TicketImportRow(Table, tablename="ticket_import_row"):
    """A ticket a batch made, by its work order number (the key a re-import recognises)."""

    batch = ForeignKey(references=TicketImportBatch, on_delete=OnDelete.cascade, index=True)
    key = Varchar(length=64, index=True)
    ticket_id = Integer()
    row = Integer()


# Children first, so deletes never trip a foreign key.
TABLES = (TicketEvent, TicketSuspension, TicketDispute, TicketCamera, TicketAttachment, TicketImportRow,
          Ticket, TicketImportBatch, ContractTermsVersion, ContractTerms)
