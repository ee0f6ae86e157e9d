"""Webhook tables: the receivers (endpoints) and the outbox of deliveries to them.

Instants are Unix seconds (DoublePrecision), like the monitoring and ticket tables.
"""

from piccolo.columns import JSON, Boolean, DoublePrecision, ForeignKey, Integer, OnDelete, Text, Varchar
from piccolo.table import Table

from assetsvc.registry.tables import Contractor


class WebhookEndpoint(Table, tablename="webhook_endpoint"):
    """A receiver: an office endpoint (no contractor) gets every event, a contractor's only its own."""

    name = Varchar(length=100, unique=True)
    url = Varchar(length=2000)
    secret = Text()  # the signing secret, encrypted with the credential vault; never shown again
    # restrict: deleting a contractor that still has endpoints answers 409 naming them.
    contractor = ForeignKey(references=Contractor, null=True, on_delete=OnDelete.restrict, index=True)
    events = JSON(default=[])  # event names this endpoint takes; empty = all
    active = Boolean(default=True)
    created_at = DoublePrecision()


class WebhookDelivery(Table, tablename="webhook_delivery"):
    """One event to one endpoint (the outbox): pending until the receiver answers 2xx, or dead."""

    endpoint = ForeignKey(references=WebhookEndpoint, on_delete=OnDelete.cascade)
    event = Varchar(length=64)
    delivery = Varchar(length=36, unique=True)  # uuid4, sent as X-Assetsvc-Delivery (receivers dedupe on it)
    payload = Text()  # the exact body sent, serialised once at enqueue time
    state = Varchar(length=10, default="pending")  # pending | delivered | dead
    attempts = Integer(default=0)
    next_at = DoublePrecision()
    last_status = Integer(null=True, default=None)  # HTTP status of the last attempt, if any answer came
    last_error = Varchar(length=300, null=True, default=None)
    created_at = DoublePrecision()
    delivered_at = DoublePrecision(null=True, default=None)
    # Who is sending it now and until when: no other node takes it while the lease runs.
    lease_owner = Varchar(length=64, null=True, default=None)
    lease_until = DoublePrecision(null=True, default=None)


TABLES = (WebhookEndpoint, WebhookDelivery)
