"""The shapes of a contract's SLA terms (合同考核条款), their versions and a monthly score (月度考核)
as the API answers them: typed so the OpenAPI schema (and the UI's generated client) says what each
field is. They are TypedDicts because the monthly report and the tests read the same values as
mappings."""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict


class TermsView(TypedDict):
    """A contract's current terms document; `document` None and version 0 before any terms."""

    contract_id: int
    code: str
    document: dict[str, Any] | None
    version: int
    updated_at: NotRequired[float]  # Unix seconds
    updated_by: NotRequired[str]


class TermsVersionView(TypedDict):
    """One stored version of a contract's terms (each replacement keeps the one before)."""

    contract_id: int
    version: int
    updated_at: float  # Unix seconds
    updated_by: str
    current: bool
    document: NotRequired[dict[str, Any]]  # only when one version is asked for


class StageRateView(TypedDict):
    """A stage's tickets by status and its on-time rate met / (met + breached), None when none decided."""

    met: int
    breached: int
    running: int
    not_applicable: int
    rate: float | None


class DisputesView(TypedDict):
    upheld: int
    rejected: int
    open: int


class WaivedView(TypedDict):
    """The month's tickets cancelled without penalty."""

    false_alarms: int
    disputes: DisputesView


class OnlineView(TypedDict):
    """The contract's cameras' online rates in the month: sampled at `hours` and time-weighted."""

    hours: list[str]
    instants: int
    counted: int
    sampled_online_rate: float | None
    online_rate: float | None


class DeductionView(TypedDict):
    """One penalty rule's charge: `items` are ticket ids (late_ticket, late_hours) or camera ids
    (fault_hours), none for per_count; points and amount are decimals as strings."""

    rule: str
    kind: str
    units: int
    points: str
    amount: str
    capped: bool
    items: list[int]
    counts: NotRequired[list[str]]  # fault_hours: the states counted against the contractor


class ScoreView(TypedDict):
    """A contract's monthly assessment (docs/sla.md "Penalties and the monthly score")."""

    contract_id: int
    code: str
    month: str
    terms_version: int | None  # the terms version whose scheme scored the month
    tickets: int
    score: str
    grade: str
    points: str
    amount: str
    amount_capped: bool
    on_time: dict[str, StageRateView]
    waived: WaivedView
    online: OnlineView
    deductions: list[DeductionView]
