"""Stations, owners and contractors named in a sheet, resolved to ids (created when new)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assetsvc.actor import Actor
from assetsvc.audit import service as audit
from assetsvc.registry.tables import Contractor, Owner, Station


@dataclass
class Lookups:
    """Name -> id maps, plus the names a sheet introduces that must be created."""

    stations: dict[tuple[str, str], int] = field(default_factory=dict)
    owners: dict[str, tuple[int, str]] = field(default_factory=dict)
    contractors: dict[str, int] = field(default_factory=dict)
    new_stations: set[tuple[str, str]] = field(default_factory=set)
    new_owners: dict[str, str] = field(default_factory=dict)
    new_contractors: set[str] = field(default_factory=set)
    created: int = 0

    @classmethod
    async def load(cls) -> "Lookups":
        out = cls()
        for row in await Station.select(Station.id, Station.region_code, Station.name).run():
            out.stations[(row["region_code"], row["name"])] = row["id"]
        for row in await Owner.select(Owner.id, Owner.name, Owner.owner_class).run():
            out.owners[row["name"]] = (row["id"], row["owner_class"])
        for row in await Contractor.select(Contractor.id, Contractor.name).run():
            out.contractors[row["name"]] = row["id"]
        return out

    def owner_conflict(self, name: str | None, owner_class: str | None) -> str | None:
        """Why a row's owner class contradicts the registry (or an earlier row), if it does."""
        if not name or not owner_class:
            return None
        known = self.owners.get(name, (None, self.new_owners.get(name)))[1]
        if known is None:
            self.new_owners[name] = owner_class
            return None
        if known != owner_class:
            return f"建设单位 {name} is registered as {known}, the row says {owner_class}"
        return None

    def plan(self, values: dict[str, Any], present: set[str]) -> None:
        """Note the names of this row that do not exist yet."""
        station, region = values.get("station"), values.get("region_code")
        if "station" in present and station and (region, station) not in self.stations:
            self.new_stations.add((region, station))
        contractor = values.get("contractor")
        if "contractor" in present and contractor and contractor not in self.contractors:
            self.new_contractors.add(contractor)
        owner = values.get("owner_unit")
        if "owner_unit" in present and owner and owner not in self.owners and values.get("owner_class"):
            self.new_owners.setdefault(owner, values["owner_class"])

    def assign_placeholders(self) -> None:
        """Dry run: give the names to be created ids no stored record has."""
        fake = -1
        for key in sorted(self.new_stations):
            self.stations[key], fake = fake, fake - 1
        for name, owner_class in sorted(self.new_owners.items()):
            self.owners[name], fake = (fake, owner_class), fake - 1
        for name in sorted(self.new_contractors):
            self.contractors[name], fake = fake, fake - 1

    async def save(self, actor: Actor, source: str) -> None:
        """Create the new records (inside the caller's transaction), each in the change log."""
        for region, name in sorted(self.new_stations):
            row = Station(name=name, region_code=region, contact="")
            await row.save().run()
            self.stations[(region, name)] = row.id
            await audit.record(actor.username, "create", "station", row.id, name,
                               audit.diff({}, {"name": name, "region_code": region}), source)
        for name, owner_class in sorted(self.new_owners.items()):
            if name in self.owners:
                continue
            row = Owner(name=name, owner_class=owner_class, contact="")
            await row.save().run()
            self.owners[name] = (row.id, owner_class)
            await audit.record(actor.username, "create", "owner", row.id, name,
                               audit.diff({}, {"name": name, "owner_class": owner_class}), source)
        for name in sorted(self.new_contractors):
            row = Contractor(name=name, contact="", phone="")
            await row.save().run()
            self.contractors[name] = row.id
            await audit.record(actor.username, "create", "contractor", row.id, name,
                               audit.diff({}, {"name": name}), source)
        self.created = len(self.new_stations) + len(self.new_owners) + len(self.new_contractors)

    def station_id(self, region: str | None, name: str | None) -> int | None:
        return self.stations.get((region, name)) if name else None

    def owner_id(self, name: str | None) -> int | None:
        return self.owners[name][0] if name and name in self.owners else None

    def contractor_id(self, name: str | None) -> int | None:
        return self.contractors.get(name) if name else None
