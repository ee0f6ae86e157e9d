"""The fleet as registry records (一机一档): rows to register, and `register()` through the services.

The rows say what the registry should hold for each simulated device: identities as the devices
report them (but for the deliberate drifts, see layout.Drift), ports, probe protocols, topology.
`register` writes them with the registry's own service functions, so validation, lookups and
the change log apply exactly as for an office's import.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterator

from assetsvc import db
from assetsvc.actor import Actor
from assetsvc.registry import crud, regions
from assetsvc.registry.entities import CAMERA, CONTRACTOR, CREDENTIAL, UPSTREAM
from assetsvc.registry.exporter import to_csv
from assetsvc.registry.importer import import_sheet
from assetsvc.registry.tables import Camera, Contractor, Credential, UpstreamDevice
from assetsvc.simfleet.fleet import Fleet
from assetsvc.simfleet.layout import mix_hash

DISTRICTS = ("450202", "450203", "450204", "450205", "450206")  # 柳州市 城中/鱼峰/柳南/柳北/柳江
STATIONS = {"450202": "城中派出所", "450203": "鱼峰派出所", "450204": "柳南派出所", "450205": "柳北派出所",
            "450206": "拉堡派出所"}
OWNERS = (("柳州市公安局", "police"), ("柳州市城市管理局", "government"), ("仿真小区业主委员会", "social"))
CONTRACTORS = ("仿真运维一公司", "仿真运维二公司")
CREDENTIAL_NAME = "simfleet"
MAX_REGISTERED = 3_000_000  # national IDs: 6-digit serial x network digits 6, 7, 8
CHUNK = 500


def _district(k: int) -> str:
    return DISTRICTS[k % len(DISTRICTS)]


def _point(district: str, salt: int) -> tuple[float, float]:
    lon, lat = regions.centre(district)
    h = mix_hash(salt, 1)
    return round(lon + ((h & 0xFFFF) / 0xFFFF - 0.5) * 0.06, 6), round(lat + ((h >> 16) / 0xFFFF - 0.5) * 0.06, 6)


def upstream_rows(fleet: Fleet) -> Iterator[dict[str, Any]]:
    """Switches and encoders; `ports` is information only (the registry has no column for it)."""
    layout = fleet.layout
    for k in range(layout.upstream_count):
        device, district = layout.upstream(k), _district(k)
        gb_id = f"{district}00011136{k:06d}" if device.kind == "encoder" else None  # type 113: encoder
        yield {"name": f"仿真{'编码器' if device.kind == 'encoder' else '交换机'}{k + 1:05d}", "kind": device.kind,
               "gb_id": gb_id, "vendor": device.vendor, "model": device.model, "ipv4": device.address,
               "mac": device.mac, "region_code": district, "contractor_name": CONTRACTORS[k % len(CONTRACTORS)],
               "status": "active", "ports": {"snmp": fleet.ports.snmp}}


def camera_rows(fleet: Fleet, start: int = 0, stop: int | None = None) -> Iterator[dict[str, Any]]:
    """Cameras [start, stop) in the exporter's row shape plus the fields the sheet does not carry."""
    layout = fleet.layout
    if layout.count > MAX_REGISTERED:
        raise ValueError(f"national IDs run out above {MAX_REGISTERED} cameras")
    for n in range(start, layout.count if stop is None else min(stop, layout.count)):
        k = layout.upstream_of(n)
        district, ident = _district(k), layout.identity(n)
        owner, owner_class = OWNERS[n % len(OWNERS)]
        industry = "80" if owner_class == "social" else "01"
        lon, lat = _point(district, n)
        yield {
            "gb_id": f"{district}00{industry}132{6 + n // 1_000_000}{n % 1_000_000:06d}",
            "name": f"仿真摄像机{n + 1:06d}", "vendor": ident.manufacturer, "model": ident.model,
            "firmware": ident.firmware, "serial": ident.serial, "mac": ident.mac, "ipv4": layout.camera_address(n),
            "ports": {"onvif": fleet.ports.onvif, "rtsp": fleet.ports.rtsp}, "probe_protocols": ["onvif", "rtsp"],
            "region_code": district, "station_name": STATIONS[district], "site_alias": f"仿真路口{k + 1}",
            "address": f"柳州市仿真路{k + 1}号", "longitude": lon, "latitude": lat,
            "camera_type": 1 + n % 3, "point_class": 1 if n % 10 == 0 else 3,
            "owner_name": owner, "owner_class": owner_class, "contractor_name": CONTRACTORS[k % len(CONTRACTORS)],
            "networked": True, "install_date": dt.date(2021, 1, 1) + dt.timedelta(days=n % 1500),
            "retention_days": 30, "light": "ir", "direction": "NESW"[n % 4], "status": "active",
            "upstream_ipv4": layout.upstream_address(k), "credential_name": CREDENTIAL_NAME,
        }


async def register(fleet: Fleet, actor: Actor) -> dict[str, int]:
    """Write the fleet into the registry (idempotent): credential, upstream devices, cameras.

    Cameras go in by import_sheet (bulk, audited); the fields a sheet has no column for (ports,
    probe protocols, serial, firmware, upstream, credential) then by update_record, in one write
    transaction per chunk, skipping cameras that already hold them.
    """
    credential = await _credential(fleet, actor)
    created = 0
    for start in range(0, fleet.layout.count, 20 * CHUNK):
        rows = list(camera_rows(fleet, start, start + 20 * CHUNK))
        report = await import_sheet(to_csv(rows), "simfleet.csv", actor, source="simfleet")
        if report.rejected:
            raise ValueError(f"simfleet rows rejected by the registry: {report.rows[:3]}")
        created += report.created
    upstream = await _upstream(fleet, actor)
    updated = await _camera_extras(fleet, actor, credential, upstream)
    return {"cameras_created": created, "cameras_completed": updated, "upstream": len(upstream)}


async def _credential(fleet: Fleet, actor: Actor) -> int:
    found = await Credential.select(Credential.id).where(Credential.name == CREDENTIAL_NAME).first().run()
    values = {"name": CREDENTIAL_NAME, "username": fleet.username, "password": fleet.password}
    if found is None:
        return (await crud.create_record(CREDENTIAL, actor, values, source="simfleet"))["id"]
    await crud.update_record(CREDENTIAL, actor, found["id"], values, source="simfleet")  # the password may differ
    return found["id"]


async def _contractors(actor: Actor) -> dict[str, int]:
    known = {r["name"]: r["id"] for r in await Contractor.select(Contractor.id, Contractor.name).run()}
    for name in CONTRACTORS:
        if name not in known:
            known[name] = (await crud.create_record(CONTRACTOR, actor, {"name": name}, source="simfleet"))["id"]
    return known


async def _upstream(fleet: Fleet, actor: Actor) -> dict[str, int]:
    """Upstream address -> id, creating the devices the registry does not have yet."""
    contractors = await _contractors(actor)
    rows = await UpstreamDevice.select(UpstreamDevice.id, UpstreamDevice.ipv4).run()
    known = {r["ipv4"]: r["id"] for r in rows if r["ipv4"]}
    for row in upstream_rows(fleet):
        if row["ipv4"] in known:
            continue
        values = {k: v for k, v in row.items() if k not in ("contractor_name", "ports")}
        values["contractor"] = contractors[row["contractor_name"]]
        known[row["ipv4"]] = (await crud.create_record(UPSTREAM, actor, values, source="simfleet"))["id"]
    return known


EXTRAS = ("ports", "probe_protocols", "serial", "firmware")


async def _camera_extras(fleet: Fleet, actor: Actor, credential: int, upstream: dict[str, int]) -> int:
    updated = 0
    rows = camera_rows(fleet)
    while chunk := [row for _, row in zip(range(CHUNK), rows)]:
        stored = await (Camera.select(Camera.id, Camera.gb_id, Camera.upstream, Camera.credential,
                                      *(getattr(Camera, k) for k in EXTRAS))
                        .where(Camera.gb_id.is_in([r["gb_id"] for r in chunk])).output(load_json=True).run())
        by_gb_id = {r["gb_id"]: r for r in stored}
        async with db.write_transaction():  # the updates below nest in it: one commit per chunk
            for row in chunk:
                have = by_gb_id[row["gb_id"]]
                want = {**{k: row[k] for k in EXTRAS}, "upstream": upstream[row["upstream_ipv4"]],
                        "credential": credential}
                if any(have[k] != v for k, v in want.items()):
                    await crud.update_record(CAMERA, actor, have["id"], want, source="simfleet")
                    updated += 1
    return updated
