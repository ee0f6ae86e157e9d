"""Ticket reads shared by the opener, the life cycle, the sweep and the views: devices, contracts, terms.

Every query takes `?` placeholders through assetsvc.bulk, inside the caller's transaction when
there is one.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from assetsvc import bulk, db
from assetsvc.registry.entities import region_prefix
from assetsvc.runtime import settings
from assetsvc.tickets.calendar import DataError
from assetsvc.tickets.config import working_days
from assetsvc.tickets.sla import ContractSla, parse_contract_sla
from assetsvc.tickets.tables import ContractTerms, Ticket

ACTIVE = ("open", "acknowledged", "on_site", "resolved", "reopened", "suspended")
FINISHED = ("closed", "cancelled")

_CAMERA = """SELECT 'camera' AS subject, c.id, c.name, c.gb_id, c.ipv4, c.region_code, c.point_class, c.contractor AS contractor_id,
    c.status, o.owner_class, s.key_category FROM camera c LEFT JOIN owner o ON o.id = c.owner
    LEFT JOIN site s ON s.id = c.site WHERE c.id IN ({in})"""
_UPSTREAM = """SELECT 'upstream' AS subject, u.id, u.name, u.gb_id, u.ipv4, u.region_code, NULL AS point_class,
    u.contractor AS contractor_id, u.status, NULL AS owner_class, s.key_category, u.kind
    FROM upstream_device u LEFT JOIN site s ON s.id = u.site WHERE u.id IN ({in})"""


async def devices(subject_type: str, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Registry facts of cameras or upstream devices by id (name, region, point, owner class...)."""
    rows = await bulk.fetch_in(Ticket, _CAMERA if subject_type == "camera" else _UPSTREAM, list(ids))
    return {row["id"]: row for row in rows}


def covers(contract_region: str, region_code: str) -> bool:
    try:
        return bool(region_code) and region_code.startswith(region_prefix(contract_region))
    except ValueError:
        return False


@dataclass
class JobOutcome:
    """What one run of a ticket job did (subclasses add their counts); errors name what failed."""

    errors: list[str] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        """The non-zero counts and any errors, for the job's log line."""
        return {k: v for k, v in self.__dict__.items() if v}


@dataclass(frozen=True)
class Assignment:
    contractor_id: int | None
    contract_id: int | None
    note: str  # why there is no contractor or no contract; "" when both are known


class Contracts:
    """The contracts in force on a day, and which one covers a device."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows

    @classmethod
    async def load(cls, at: float) -> Contracts:
        day: Any = dt.datetime.fromtimestamp(at, settings().zone).date()  # validity dates are local dates
        day = day.isoformat() if db.is_sqlite() else day  # SQLite keeps dates as ISO text
        rows = await bulk.fetch(Ticket, "SELECT id, code, contractor AS contractor_id, region_codes, owner_classes "
                                        "FROM contract WHERE starts_on <= ? AND ends_on >= ? ORDER BY code",
                                [day, day])
        for row in rows:
            row["region_codes"] = [str(c) for c in bulk.json_column(row["region_codes"], []) or []]
            row["owner_classes"] = [str(c) for c in bulk.json_column(row["owner_classes"], []) or []]
        return cls(rows)

    def assign(self, device: Mapping[str, Any]) -> Assignment:
        """The device's contractor (its own, or the covering contract's) and the contract whose terms apply.

        Of several covering contracts the one with the most specific region wins (a district
        contract over a city-wide one), then the lowest code."""
        own = device.get("contractor_id")
        region = device.get("region_code") or ""
        matches = []
        for row in self.rows:
            if own is not None and row["contractor_id"] != own:
                continue
            # Owner classes are the cameras' (公安/政府/社会面); switches and NVRs have none, so a
            # contract covers those by region alone.
            # A camera with no owner recorded is not refused for it: its region decides (the
            # registry gap shows in the camera's record, not as a ticket without clocks).
            if row["owner_classes"] and device.get("subject") != "upstream" \
                    and device.get("owner_class") is not None and device["owner_class"] not in row["owner_classes"]:
                continue
            best = max((len(region_prefix(c)) for c in row["region_codes"] if covers(c, region)), default=None)
            if best is not None:
                matches.append((-best, row["code"], row))
        if matches:
            row = min(matches, key=lambda m: m[:2])[2]
            return Assignment(row["contractor_id"], row["id"], "")
        if own is not None:
            return Assignment(own, None, "no contract of this contractor in force covers the device")
        return Assignment(None, None, "no contractor maintains the device and no contract in force covers it")


class TermsCache:
    """Parsed contract terms by contract id, re-read when the stored version changes."""

    def __init__(self) -> None:
        self._parsed: dict[int, tuple[tuple[int, float], ContractSla | DataError]] = {}
        self._versions: dict[tuple[int, int], tuple[tuple[int, float], ContractSla | DataError]] = {}

    def forget(self, contract_id: int | None = None) -> None:
        """Drop one contract's parsed terms (all with None)."""
        if contract_id is None:
            self._parsed.clear()
            self._versions.clear()
        else:
            self._parsed.pop(contract_id, None)
            for key in [k for k in self._versions if k[0] == contract_id]:
                del self._versions[key]

    async def get(self, contract_ids: Iterable[int | None]) -> dict[int, ContractSla | DataError]:
        ids = sorted({i for i in contract_ids if i is not None})
        if not ids:
            return {}
        rows = await bulk.fetch_in(ContractTerms, "SELECT contract AS contract_id, version, updated_at, document "
                                                  "FROM contract_terms WHERE contract IN ({in})", ids)
        out: dict[int, ContractSla | DataError] = {}
        for row in rows:
            cached = self._parsed.get(row["contract_id"])
            # Keyed by version and time too: SQLite may give a new contract a deleted one's id.
            stamp = (row["version"], row["updated_at"])
            if cached is None or cached[0] != stamp:
                cached = (stamp, self._parse(row["document"], f"contract {row['contract_id']}"))
                self._parsed[row["contract_id"]] = cached
            out[row["contract_id"]] = cached[1]
        return out


    async def for_tickets(self, tickets: Iterable[Mapping[str, Any]]) -> dict[Any, ContractSla | DataError]:
        """The terms each ticket's clocks run on, keyed (contract id, terms version) and by contract id
        (the current terms, for tickets from before versions were kept)."""
        tickets = list(tickets)
        out: dict[Any, ContractSla | DataError] = dict(await self.get(t["contract_id"] for t in tickets))
        pairs = sorted({(t["contract_id"], t["terms_version"]) for t in tickets
                        if t["contract_id"] is not None and t.get("terms_version") is not None})
        for contract_id in sorted({c for c, _ in pairs}):
            versions = sorted(v for c, v in pairs if c == contract_id)
            rows = await bulk.fetch_in(ContractTerms, "SELECT version, updated_at, document FROM "
                                       "contract_terms_version WHERE contract = ? AND version IN ({in})",
                                       versions, [contract_id])
            for row in rows:
                key = (contract_id, row["version"])
                stamp = (row["version"], row["updated_at"])
                cached = self._versions.get(key)
                if cached is None or cached[0] != stamp:
                    cached = (stamp, self._parse(row["document"], f"contract {contract_id} v{row['version']}"))
                    self._versions[key] = cached
                out[key] = cached[1]
        return out

    @staticmethod
    def _parse(raw: Any, source: str) -> ContractSla | DataError:
        try:
            return parse_contract_sla(bulk.json_column(raw, {}), source, working_days())
        except DataError as exc:  # stored before a rule changed: shown, never fatal
            return exc


TERMS = TermsCache()


async def terms_version(contract_id: int | None) -> int | None:
    """The contract's current terms version (None: no contract or no terms)."""
    if contract_id is None:
        return None
    rows = await bulk.fetch(ContractTerms, "SELECT version FROM contract_terms WHERE contract = ?", [contract_id])
    return rows[0]["version"] if rows else None


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


@dataclass(frozen=True)
class TicketCount:
    """How many tickets are in one state with one SLA standing (for /metrics).

    sla: breached (a respond, arrive or restore deadline was missed), none (no deadlines: no
    contract terms, or a calendar year missing) or within."""

    state: str
    sla: str
    count: int


async def ticket_counts() -> list[TicketCount]:
    """Tickets by state and SLA standing, one grouped query."""
    rows = await bulk.fetch(Ticket, """SELECT state, CASE
        WHEN respond_breached_at IS NOT NULL OR arrive_breached_at IS NOT NULL OR restore_breached_at IS NOT NULL
        THEN 'breached'
        WHEN respond_due IS NULL AND arrive_due IS NULL AND restore_due IS NULL THEN 'none'
        ELSE 'within' END AS sla, COUNT(*) AS n FROM ticket GROUP BY 1, 2""")
    return [TicketCount(r["state"], r["sla"], int(r["n"])) for r in rows]
