"""The province tables: the receiving platform's configuration, the delivery outbox, its attempts.

Owned by the reports slice (a delivery belongs to a report version). Instants are Unix seconds.
"""

from piccolo.columns import DoublePrecision, ForeignKey, Integer, OnDelete, Text, Varchar
from piccolo.table import Table

from assetsvc.reports.tables import ReportVersion


class ProvinceTarget(Table, tablename="province_target"):
    """The one provincial platform reports go to (row id 1); set by the office."""

    url = Varchar(length=2000)  # https only
    ca_bundle = Varchar(length=1000, null=True, default=None)  # PEM file of the CAs trusted; None = system store
    client_cert = Varchar(length=1000, null=True, default=None)  # PEM certificate (and key, unless client_key)
    client_key = Varchar(length=1000, null=True, default=None)
    mapping = Varchar(length=1000)  # a shipped mapping's name or a TOML file's path
    area_code = Varchar(length=12)  # the platform's code of our area (GB/T 2260)
    unit_code = Varchar(length=64)  # the platform's code of the sending unit (the office)
    secret = Text()  # the HMAC-SHA256 signing key, sealed with the credential vault; never shown
    give_up_days = Integer(default=7)  # a delivery still failing this long after approval is marked failed
    timeout_s = DoublePrecision(default=30.0)  # connect, write and read each
    updated_at = DoublePrecision()
    updated_by = Varchar(length=150)


class ProvinceDelivery(Table, tablename="province_delivery"):
    """One approved version to the province (the outbox): pending until a 2xx receipt, or failed."""

    report_version = ForeignKey(references=ReportVersion, on_delete=OnDelete.restrict, unique=True)  # receipt lives with it
    month = Varchar(length=7, index=True)
    version = Integer()
    idempotency_key = Varchar(length=100, unique=True)  # report:<month>:v<version>
    kind = Varchar(length=12)  # report | correction
    replaces = Integer(null=True, default=None)  # the version a correction replaces
    payload = Text(null=True, default=None)  # the exact body sent: made at the first attempt, then kept
    state = Varchar(length=10, default="pending")  # pending | delivered | failed
    attempts = Integer(default=0)
    next_at = DoublePrecision()
    since = DoublePrecision()  # the give-up clock starts here: approval, or the office's retry
    created_at = DoublePrecision()
    delivered_at = DoublePrecision(null=True, default=None)
    failed_at = DoublePrecision(null=True, default=None)
    last_status = Integer(null=True, default=None)
    last_error = Varchar(length=300, null=True, default=None)
    receipt = Text(null=True, default=None)  # the platform's 2xx answer (capped), stored with the version
    lease_owner = Varchar(length=64, null=True, default=None)
    lease_until = DoublePrecision(null=True, default=None)


class ProvinceAttempt(Table, tablename="province_attempt"):
    """One try of a delivery: when, the HTTP status if an answer came, the error or the receipt."""

    delivery = ForeignKey(references=ProvinceDelivery, on_delete=OnDelete.cascade, index=True)
    at = DoublePrecision()
    status = Integer(null=True, default=None)
    error = Varchar(length=300, null=True, default=None)


TABLES = (ProvinceTarget, ProvinceDelivery, ProvinceAttempt)
