"""The registry's record kinds as CRUD entities: checks, filters, scoping and labels."""

from __future__ import annotations

import datetime as dt
from typing import Any

from assetsvc.errors import ValidationFailed, field_error
from assetsvc.registry import regions
from assetsvc.actor import Actor
from assetsvc.registry.crud import Entity, Filter, get_record
from assetsvc.runtime import settings
from assetsvc.registry import service_periods
from assetsvc.registry.lifecycle import LIFECYCLE
from assetsvc.registry.rules import camera_rules
from assetsvc.registry.tables import (
    Camera, Contract, Contractor, CoveragePlan, Credential, Owner, Region, Site, Station, UpstreamDevice,
)
from assetsvc.registry.validate import validate_camera
from assetsvc.registry.keycheck import verified_vault

OWNER_CLASSES = ("police", "government", "social")
PROTOCOLS = ("onvif", "snmp", "rtsp")
DEVICE_KINDS = ("nvr", "switch", "encoder", "link")


def _fail(errors: list[dict]) -> None:
    if errors:
        raise ValidationFailed("; ".join(e["message"] for e in errors), errors)


def _text(values: dict, name: str, errors: list, *, required: bool = True, limit: int = 200) -> None:
    value = values.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.append(field_error(name, "type", f"{name} must be text"))
        return
    value = value.strip()
    if required and not value:
        errors.append(field_error(name, "required", f"{name} is empty"))
    elif len(value) > limit:
        errors.append(field_error(name, "too_long", f"{name} is longer than {limit} characters"))
    values[name] = value


def _choice(values: dict, name: str, choices: tuple, errors: list, *, required: bool = True) -> None:
    value = values.get(name)
    if value is None and not required:
        return
    if value not in choices:
        errors.append(field_error(name, "invalid", f"{name} {value!r} is not one of {', '.join(map(str, choices))}"))


def _district(values: dict, name: str, errors: list) -> None:
    code = values.get(name)
    if not isinstance(code, str) or not regions.is_district(code):
        errors.append(field_error(name, "unknown_region", f"{name} {code!r} is not a GB/T 2260 district code"))


def region_prefix(code: str) -> str:
    """The code prefix that selects a region and everything below it (450000 -> 45)."""
    if not (len(code) == 6 and code.isdigit()) or regions.region(code) is None:
        raise ValueError(f"region {code!r} is not a GB/T 2260 code")
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


# --- checks, one per aggregate ------------------------------------------------------------


async def check_region(values: dict, stored: dict | None) -> dict:
    code = values.get("code")
    found = regions.region(code) if isinstance(code, str) else None
    if found is None:
        _fail([field_error("code", "unknown_region", f"code {code!r} is not in the GB/T 2260 table")])
    return {"code": found.code, "name": found.name, "level": found.level, "parent_code": found.parent_code}


async def check_station(values: dict, stored: dict | None) -> dict:
    errors: list = []
    _text(values, "name", errors, limit=128)
    _text(values, "contact", errors, required=False, limit=128)
    _district(values, "region_code", errors)
    _fail(errors)
    return {k: values.get(k) for k in ("name", "region_code", "contact")}


async def check_coverage_plan(values: dict, stored: dict | None) -> dict:
    """One row of the coverage plan: a district, a key-site category, planned points (0..100000);
    one row per district and category."""
    errors: list = []
    _district(values, "region_code", errors)
    _text(values, "category", errors, limit=40)
    planned = values.get("planned")
    if isinstance(planned, bool) or not isinstance(planned, int) or not 0 <= planned <= 100_000:
        errors.append(field_error("planned", "invalid", "planned must be a whole number from 0 to 100000"))
    _fail(errors)
    category = values["category"].strip()
    same = CoveragePlan.select(CoveragePlan.id).where((CoveragePlan.region_code == values["region_code"])
                                                      & (CoveragePlan.category == category))
    if stored is not None:
        same = same.where(CoveragePlan.id != stored["id"])
    if await same.first().run():
        _fail([field_error("category", "duplicate",
                           f"the plan already has a row for {values['region_code']} {category}")])
    return {"region_code": values["region_code"], "category": category, "planned": planned}


async def check_site(values: dict, stored: dict | None) -> dict:
    errors: list = []
    _text(values, "name", errors)
    for name in ("alias", "address", "key_category"):
        _text(values, name, errors, required=False, limit=400)
    _district(values, "region_code", errors)
    _choice(values, "point_class", (1, 2, 3, 4, 9), errors, required=False)
    _choice(values, "coverage_status", ("planned", "built"), errors)
    _coords(values, errors)
    _fail(errors)
    keys = ("name", "alias", "address", "region_code", "station", "point_class", "key_category",
            "coverage_status", "longitude", "latitude")
    return {k: values.get(k) for k in keys}


def _coords(values: dict, errors: list) -> None:
    lon, lat = values.get("longitude"), values.get("latitude")
    if lon is None and lat is None:
        return
    rules = camera_rules()
    ok = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (lon, lat))
    (lon_min, lon_max), (lat_min, lat_max) = rules.lon_range, rules.lat_range
    if not ok or not (lon_min <= lon <= lon_max and lat_min <= lat <= lat_max):
        errors.append(field_error("longitude", "outside_china",
                                  f"longitude/latitude {lon}/{lat} are not a WGS-84 point inside China"))


async def check_owner(values: dict, stored: dict | None) -> dict:
    errors: list = []
    _text(values, "name", errors)
    _text(values, "contact", errors, required=False, limit=128)
    _choice(values, "owner_class", OWNER_CLASSES, errors)
    _fail(errors)
    return {k: values.get(k) for k in ("name", "owner_class", "contact")}


async def check_contractor(values: dict, stored: dict | None) -> dict:
    errors: list = []
    _text(values, "name", errors)
    _text(values, "contact", errors, required=False, limit=128)
    _text(values, "phone", errors, required=False, limit=40)
    _fail(errors)
    return {k: values.get(k) for k in ("name", "contact", "phone")}


async def check_contract(values: dict, stored: dict | None) -> dict:
    errors: list = []
    _text(values, "code", errors, limit=64)
    _text(values, "note", errors, required=False, limit=4000)
    if values.get("contractor") is None:
        errors.append(field_error("contractor", "required", "contractor is required"))
    codes = values.get("region_codes") or []
    if not isinstance(codes, list) or not codes or any(not regions.region(str(c)) for c in codes):
        errors.append(field_error("region_codes", "unknown_region",
                                  "region_codes must list one or more GB/T 2260 codes"))
    classes = values.get("owner_classes") or []
    if not isinstance(classes, list) or not classes or any(c not in OWNER_CLASSES for c in classes):
        errors.append(field_error("owner_classes", "invalid",
                                  f"owner_classes must list some of {', '.join(OWNER_CLASSES)}"))
    start, end = values.get("starts_on"), values.get("ends_on")
    if not isinstance(start, dt.date) or not isinstance(end, dt.date):
        errors.append(field_error("starts_on", "required", "starts_on and ends_on are dates"))
    elif end < start:
        errors.append(field_error("ends_on", "before_start", "ends_on is before starts_on"))
    _fail(errors)
    keys = ("code", "contractor", "region_codes", "owner_classes", "starts_on", "ends_on", "note")
    return {k: values.get(k) for k in keys}


async def check_upstream(values: dict, stored: dict | None) -> dict:
    errors: list = []
    _text(values, "name", errors)
    for name in ("vendor", "model"):
        _text(values, name, errors, required=False, limit=100)
    _choice(values, "kind", DEVICE_KINDS, errors)
    _choice(values, "status", LIFECYCLE, errors)
    _district(values, "region_code", errors)
    raw = {k: values.get(k) for k in ("ipv4", "mac") if values.get(k) not in (None, "")}
    check = validate_camera(raw, rules=camera_rules(), partial=True)
    errors += [field_error(e.field, e.kind, e.reason) for e in check.errors]
    if stored and values.get("parent") is not None and await _creates_cycle(stored["id"], values["parent"]):
        errors.append(field_error("parent", "cycle",
                                  f"device {values['parent']} is this device or hangs below it"))
    _fail(errors)
    keys = ("name", "kind", "gb_id", "vendor", "model", "ipv4", "mac", "region_code", "site",
            "parent", "contractor", "status", "credential")
    out = {k: values.get(k) for k in keys}
    out.update({k: check.values.get(k) for k in raw})
    return out


async def _creates_cycle(device_id: int, parent_id: int) -> bool:
    """Whether making parent_id the parent of device_id closes a loop in the topology."""
    seen: set[int] = set()
    current: int | None = parent_id
    while current is not None and current not in seen:
        if current == device_id:
            return True
        seen.add(current)
        row = await UpstreamDevice.select(UpstreamDevice.parent).where(UpstreamDevice.id == current).first().run()
        current = row["parent"] if row else None
    return False


CAMERA_FIELDS = (
    "gb_id", "name", "vendor", "model", "region_code", "site_alias", "address", "longitude",
    "latitude", "ipv4", "ipv6", "mac", "camera_type", "point_class", "networked", "province_networked",
    "province_networked_on", "install_date",
    "retention_days", "light", "direction", "contact", "status", "stream_uri",
)
CAMERA_LINKS = ("site", "station", "owner", "contractor", "upstream", "credential")


async def check_camera(values: dict, stored: dict | None) -> dict:
    errors: list = []
    raw = {k: values[k] for k in CAMERA_FIELDS if values.get(k) not in (None, "")}
    raw["custom"] = values.get("custom") or {}
    check = validate_camera(raw, rules=camera_rules())
    errors += [field_error(e.field, e.kind, e.reason) for e in check.errors]
    for name in ("firmware", "serial"):
        _text(values, name, errors, required=False, limit=100)
    protocols = values.get("probe_protocols") or []
    if not isinstance(protocols, list) or any(p not in PROTOCOLS for p in protocols):
        errors.append(field_error("probe_protocols", "invalid",
                                  f"probe_protocols must list some of {', '.join(PROTOCOLS)}"))
    ports = values.get("ports") or {}
    if not isinstance(ports, dict) or any(
        p not in PROTOCOLS + ("http",) or not isinstance(n, int) or not 1 <= n <= 65535
        for p, n in ports.items()
    ):
        errors.append(field_error("ports", "invalid", "ports maps onvif/http/rtsp/snmp to 1..65535"))
    _fail(errors)
    out: dict[str, Any] = {k: check.values.get(k) for k in CAMERA_FIELDS}
    out.update({k: values.get(k) for k in CAMERA_LINKS})
    out.update(firmware=values.get("firmware") or "", serial=values.get("serial") or "",
               probe_protocols=protocols, ports=ports, custom=check.values.get("custom", {}),
               updated_at=dt.datetime.now(dt.timezone.utc))
    for key in ("vendor", "model", "site_alias", "address", "contact", "stream_uri"):
        out[key] = out[key] or ""
    if out["status"] is None:
        out["status"] = "active"
    for flag in ("networked", "province_networked"):
        if out[flag] is None:
            out[flag] = False
    return out


async def check_credential(values: dict, stored: dict | None) -> dict:
    errors: list = []
    _text(values, "name", errors, limit=100)
    _text(values, "username", errors, limit=100)
    secret = values.get("password")
    if stored is None and not secret:
        errors.append(field_error("password", "required", "password is required"))
    _fail(errors)
    out = {k: values[k] for k in ("name", "username")}
    if secret:  # a wrong key stops here, before anything is written
        out["secret"] = (await verified_vault()).encrypt(secret)
    return out


# --- the entities -------------------------------------------------------------------------


def _eq_int(column) -> Filter:
    def where(value: str):
        try:
            return column == int(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a whole number") from None
    return Filter(where, "int")


def _eq_bool(column) -> Filter:
    def where(value: str):
        if value.lower() not in ("true", "false", "1", "0"):
            raise ValueError(f"{value!r} is not true or false")
        return column.eq(value.lower() in ("true", "1"))
    return Filter(where, "bool")


def _region(column) -> Filter:
    return Filter(lambda value: column.like(region_prefix(value) + "%"), "region")


def _one_of(column, choices: tuple[str, ...]) -> Filter:
    return Filter(lambda value: column == value, "text", choices)


REGION = Entity(
    "regions", "region", Region, check_region, lambda r: f"{r['code']} {r['name']}",
    contractor_sees_all=True, filters={"level": lambda v: Region.level == v, "parent": lambda v: Region.parent_code == v},
    search=("name", "code"), sortable=("id", "code", "name"), unique=("code",), updatable=False,
)
STATION = Entity(
    "stations", "station", Station, check_station, lambda r: r["name"], contractor_sees_all=True,
    filters={"region": _region(Station.region_code)}, search=("name",), sortable=("id", "name", "region_code"),
)
SITE = Entity(
    "sites", "site", Site, check_site, lambda r: r["name"], contractor_sees_all=True,
    filters={"region": _region(Site.region_code), "station": _eq_int(Site.station),
             "point_class": _eq_int(Site.point_class), "coverage_status": _one_of(Site.coverage_status, ("planned", "built")),
             "key_category": lambda v: Site.key_category == v},
    search=("name", "alias", "address"), sortable=("id", "name", "region_code", "point_class"),
)
COVERAGE_PLAN = Entity(
    "coverage-plans", "coverage_plan", CoveragePlan, check_coverage_plan,
    lambda r: f"{r['region_code']} {r['category']}", contractor_sees_all=True,
    filters={"region": _region(CoveragePlan.region_code), "category": lambda v: CoveragePlan.category == v},
    sortable=("id", "region_code", "category"),
)
OWNER = Entity(
    "owners", "owner", Owner, check_owner, lambda r: r["name"], contractor_sees_all=True,
    filters={"owner_class": _one_of(Owner.owner_class, OWNER_CLASSES)}, search=("name",),
    sortable=("id", "name", "owner_class"), unique=("name",),
)
CONTRACTOR = Entity(
    "contractors", "contractor", Contractor, check_contractor, lambda r: r["name"],
    contractor_column="id", search=("name",), sortable=("id", "name"), unique=("name",),
)
CONTRACT = Entity(
    "contracts", "contract", Contract, check_contract, lambda r: r["code"],
    extra_columns=lambda: [Contract.contractor.name.as_alias("contractor_name")],
    contractor_column="contractor", filters={"contractor": _eq_int(Contract.contractor)},
    search=("code",), sortable=("id", "code", "starts_on", "ends_on"), unique=("code",),
)
CREDENTIAL = Entity(
    "credentials", "credential", Credential, check_credential, lambda r: r["name"],
    search=("name",), sortable=("id", "name"), unique=("name",), hidden=("secret",),
)
UPSTREAM = Entity(
    "devices", "upstream_device", UpstreamDevice, check_upstream, lambda r: r["name"],
    contractor_column="contractor",
    filters={"region": _region(UpstreamDevice.region_code), "kind": _one_of(UpstreamDevice.kind, DEVICE_KINDS),
             "contractor": _eq_int(UpstreamDevice.contractor), "parent": _eq_int(UpstreamDevice.parent),
             "status": lambda v: UpstreamDevice.status == v},
    search=("name", "gb_id", "ipv4"), sortable=("id", "name", "kind", "region_code"), unique=("gb_id",),
)


async def camera_written(camera_id: int, after: dict | None) -> None:
    """A camera's declared status opens or closes its service period; deleted, its periods go."""
    if after is None:
        await service_periods.forget(camera_id)
        return
    await service_periods.follow_status(camera_id, after["status"], dt.datetime.now(dt.timezone.utc).timestamp())


async def camera_dates(rows: list[dict]) -> None:
    """Each camera's registration date (注册日期) and, out of service, its decommissioning date (撤除日期)."""
    found = await service_periods.service_dates([r["id"] for r in rows])
    for row in rows:
        dates = found[row["id"]]
        row["registered_on"] = dates.registered_on
        row["decommissioned_on"] = dates.decommissioned_on


async def camera_periods(actor: Actor, camera_id: int) -> dict:
    """A camera's service periods as the API shows them (instants in the office's time zone)."""
    await get_record(CAMERA, actor, camera_id)  # 404 for a camera the caller may not see
    dates = (await service_periods.service_dates([camera_id]))[camera_id]

    def shown(at: float | None) -> str | None:
        return None if at is None else dt.datetime.fromtimestamp(at, settings().zone).isoformat(timespec="seconds")

    return {"camera_id": camera_id, "registered_on": dates.registered_on, "decommissioned_on": dates.decommissioned_on,
            "periods": [{"from": shown(a), "to": shown(b)} for a, b in dates.periods]}


CAMERA = Entity(
    "cameras", "camera", Camera, check_camera, lambda r: f"{r['gb_id']} {r['name']}",
    extra_columns=lambda: [
        Camera.station.name.as_alias("station_name"),
        Camera.owner.name.as_alias("owner_name"),
        Camera.owner.owner_class.as_alias("owner_class"),
        Camera.contractor.name.as_alias("contractor_name"),
        Camera.credential.name.as_alias("credential_name"),
    ],
    contractor_column="contractor",
    filters={
        "region": _region(Camera.region_code),
        "station": _eq_int(Camera.station),
        "owner_class": _one_of(Camera.owner.owner_class, OWNER_CLASSES),
        "owner": _eq_int(Camera.owner),
        "contractor": _eq_int(Camera.contractor),
        "camera_type": _eq_int(Camera.camera_type),
        "status": _one_of(Camera.status, LIFECYCLE),
        "networked": _eq_bool(Camera.networked),
        "province_networked": _eq_bool(Camera.province_networked),
        "point_class": _eq_int(Camera.point_class),
        "site": _eq_int(Camera.site),
        "upstream": _eq_int(Camera.upstream),
    },
    search=("name", "address", "gb_id"),
    sortable=("id", "gb_id", "name", "region_code", "install_date", "camera_type", "point_class",
              "updated_at"),
    unique=("gb_id",),
    written=camera_written,
    decorate=camera_dates,
)

ENTITIES = (REGION, STATION, SITE, COVERAGE_PLAN, OWNER, CONTRACTOR, CONTRACT, CREDENTIAL, UPSTREAM, CAMERA)
