"""The report's scopes (全市, each district, station, owner class, contractor and contract) and their cameras.

Membership is the registry's as it is now (docs/metrics.md, "Inputs"), like every uptime figure;
a contract's cameras are those the ticket opener would assign to it (tickets.contracts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from assetsvc.errors import NotFound, ValidationFailed, field_error
from assetsvc.registry import regions

KINDS = ("city", "district", "station", "owner_class", "contractor", "contract")
OWNER_NAMES = {"police": "公安", "government": "其他政府", "social": "社会面"}
_KEY = re.compile(r"^(city|(district|station|owner_class|contractor|contract):([0-9a-z_]{1,40}))$")


@dataclass(frozen=True)
class Scope:
    """One scope of the report: its key (district:330106), kind, ref, name and cameras."""

    key: str
    kind: str
    ref: str | None
    name: str
    cameras: tuple[int, ...]

    def head(self) -> dict[str, Any]:
        return {"scope": self.key, "kind": self.kind, "name": self.name}


def _members(rows: Iterable[Mapping[str, Any]], field: str) -> dict[Any, list[int]]:
    out: dict[Any, list[int]] = {}
    for row in rows:
        if row.get(field) is not None and row.get(field) != "":
            out.setdefault(row[field], []).append(row["id"])
    return out


def build(cameras: list[Mapping[str, Any]], contracts: list[Mapping[str, Any]],
          contract_cameras: Mapping[int, list[int]]) -> list[Scope]:
    """Every scope with cameras (and every contract in force in the month), in a fixed order."""
    scopes = [Scope("city", "city", None, "全市", tuple(sorted(r["id"] for r in cameras)))]
    for code, ids in sorted(_members(cameras, "region_code").items()):
        scopes.append(Scope(f"district:{code}", "district", code, regions.full_name(code) or code, tuple(sorted(ids))))
    names = {r["station"]: r.get("station_name") or str(r["station"]) for r in cameras if r.get("station")}
    for station, ids in sorted(_members(cameras, "station").items()):
        scopes.append(Scope(f"station:{station}", "station", str(station), names[station], tuple(sorted(ids))))
    by_class = _members(cameras, "owner_class")
    for owner_class, label in OWNER_NAMES.items():
        scopes.append(Scope(f"owner_class:{owner_class}", "owner_class", owner_class, label,
                            tuple(sorted(by_class.get(owner_class, [])))))
    names = {r["contractor"]: r.get("contractor_name") or str(r["contractor"]) for r in cameras if r.get("contractor")}
    for contract in contracts:
        names.setdefault(contract["contractor"], contract.get("contractor_name") or str(contract["contractor"]))
    by_contractor = _members(cameras, "contractor")
    for contractor in sorted(names):
        scopes.append(Scope(f"contractor:{contractor}", "contractor", str(contractor), names[contractor],
                            tuple(sorted(by_contractor.get(contractor, [])))))
    for contract in sorted(contracts, key=lambda c: c["id"]):
        scopes.append(Scope(f"contract:{contract['id']}", "contract", str(contract["id"]), contract["code"],
                            tuple(sorted(contract_cameras.get(contract["id"], [])))))
    return scopes


def check_key(key: str | None) -> str | None:
    """A scope key as people type it (city, district:330106, station:3, ...); None: every scope."""
    if key is None or not str(key).strip():
        return None
    key = str(key).strip()
    if not _KEY.match(key):
        raise ValidationFailed(f"scope {key!r} must be city or kind:ref with kind one of {', '.join(KINDS[1:])}",
                               [field_error("scope", "invalid", "city, district:330106, station:3, owner_class:police, "
                                                                "contractor:2 or contract:1")])
    return key


def require(key: str, known: Iterable[str]) -> None:
    if key not in set(known):
        raise NotFound(f"the report has no scope {key}")
