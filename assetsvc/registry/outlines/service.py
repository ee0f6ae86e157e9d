"""District outlines: store an upload (replacing the set), read them as one FeatureCollection, delete.

The office (admin) writes; the office's readers and contractors (who see the map) read. Every
write is one transaction with its change-log row: a refused file leaves the stored set as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assetsvc import db
from assetsvc.actor import Actor
from assetsvc.audit import service as audit
from assetsvc.errors import Forbidden, ValidationFailed, field_error
from assetsvc.registry.outlines.geojson import DATUMS, parse
from assetsvc.registry.tables import DistrictOutline

READERS = ("admin", "auditor", "contractor")
ENTITY = "district_outlines"  # the change log's name for the set (entity_id 0: there is one set)


@dataclass(frozen=True, slots=True)
class Stored:
    """What an upload stored, or what is stored now: one entry per district, and the file's datum."""

    regions: list[dict[str, Any]]  # {region_code, name, geometry_type, vertices}
    datum: str | None

    def to_json(self) -> dict[str, Any]:
        return {"regions": self.regions, "datum": self.datum, "vertices": sum(r["vertices"] for r in self.regions)}


def _admin(actor: Actor) -> None:
    if actor.role != "admin":
        raise Forbidden("only the video office's administrators change the district outlines")


async def upload(actor: Actor, content: bytes, max_bytes: int, *, code_property: str | None = None,
                 datum: str = "wgs84", source: str = "api") -> Stored:
    """Check the whole file, then replace the stored outlines with it (all or nothing)."""
    _admin(actor)
    if datum not in DATUMS:
        message = f"datum must be one of {', '.join(DATUMS)}"
        raise ValidationFailed(message, [field_error("datum", "invalid", message)])
    outlines = parse(content, max_bytes, code_property)
    async with db.write_transaction():
        stored = await DistrictOutline.select(DistrictOutline.region_code, DistrictOutline.datum).run()
        before = [r["region_code"] for r in stored]
        await DistrictOutline.delete(force=True).run()
        await DistrictOutline.insert(*[
            DistrictOutline(region_code=o.region_code, name=o.name, vertices=o.vertices, datum=datum,
                            geometry={"type": o.geometry_type, "coordinates": o.coordinates},
                            uploaded_by=actor.username)
            for o in outlines]).run()
        after = [o.region_code for o in outlines]
        await audit.record(actor.username, "update", ENTITY, 0, "district outlines",
                           {"regions": [sorted(before), sorted(after)],
                            "datum": [stored[0]["datum"] if stored else None, datum]}, source)
    return await summary(actor)


async def summary(actor: Actor) -> Stored:
    """The stored districts without their geometry (the CLI's `show`, the upload's answer)."""
    _reader(actor)
    rows = await DistrictOutline.select(DistrictOutline.region_code, DistrictOutline.name, DistrictOutline.vertices,
                                        DistrictOutline.datum, DistrictOutline.geometry).order_by(
        DistrictOutline.region_code).output(load_json=True).run()
    return Stored([{"region_code": r["region_code"], "name": r["name"], "geometry_type": r["geometry"].get("type"),
                    "vertices": r["vertices"]} for r in rows], rows[0]["datum"] if rows else None)


async def feature_collection(actor: Actor) -> dict[str, Any]:
    """The stored outlines as a GeoJSON FeatureCollection; `properties.code` names each district."""
    _reader(actor)
    rows = await DistrictOutline.select().order_by(DistrictOutline.region_code).output(load_json=True).run()
    return {"type": "FeatureCollection", "datum": rows[0]["datum"] if rows else None,
            "features": [{"type": "Feature", "properties": {"code": r["region_code"], "name": r["name"]},
                          "geometry": r["geometry"]} for r in rows]}


async def delete(actor: Actor, source: str = "api") -> int:
    """Remove every stored outline (the map falls back to plain lon/lat axes); how many there were."""
    _admin(actor)
    async with db.write_transaction():
        before = [r["region_code"] for r in await DistrictOutline.select(DistrictOutline.region_code).run()]
        if before:
            await DistrictOutline.delete(force=True).run()
            await audit.record(actor.username, "delete", ENTITY, 0, "district outlines",
                               {"regions": [sorted(before), []]}, source)
    return len(before)


def _reader(actor: Actor) -> None:
    if actor.role not in READERS:
        raise Forbidden("this account may not read the district outlines")
