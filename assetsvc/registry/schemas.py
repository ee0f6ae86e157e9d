"""Request bodies of the registry API: a Create struct per record kind; Update is derived."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec


class RegionCreate(msgspec.Struct, forbid_unknown_fields=True):
    code: str


class StationCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    region_code: str
    contact: str = ""


class SiteCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    region_code: str
    alias: str = ""
    address: str = ""
    station: int | None = None
    point_class: int | None = None
    key_category: str = ""
    coverage_status: str = "built"
    longitude: float | None = None
    latitude: float | None = None


class CoveragePlanCreate(msgspec.Struct, forbid_unknown_fields=True):
    region_code: str
    category: str
    planned: int


class OwnerCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    owner_class: str
    contact: str = ""


class ContractorCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    contact: str = ""
    phone: str = ""


class ContractCreate(msgspec.Struct, forbid_unknown_fields=True):
    code: str
    contractor: int
    region_codes: list[str]
    owner_classes: list[str]
    starts_on: dt.date
    ends_on: dt.date
    note: str = ""


class CredentialCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    username: str
    password: str


class DeviceCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    kind: str
    region_code: str
    gb_id: str | None = None
    vendor: str = ""
    model: str = ""
    ipv4: str | None = None
    mac: str | None = None
    site: int | None = None
    parent: int | None = None
    contractor: int | None = None
    status: str = "active"
    credential: int | None = None


class CameraCreate(msgspec.Struct, forbid_unknown_fields=True):
    gb_id: str
    name: str
    region_code: str
    longitude: float
    latitude: float
    vendor: str = ""
    model: str = ""
    firmware: str = ""
    serial: str = ""
    mac: str | None = None
    ipv4: str | None = None
    ipv6: str | None = None
    ports: dict[str, int] = {}
    camera_type: int | str | None = None
    point_class: int | str | None = None
    light: str | None = None
    direction: str | None = None
    site_alias: str = ""
    address: str = ""
    site: int | None = None
    station: int | None = None
    owner: int | None = None
    contractor: int | None = None
    networked: bool = False
    province_networked: bool = False  # 联网上级平台
    province_networked_on: dt.date | None = None
    install_date: dt.date | None = None
    retention_days: int | None = None
    contact: str = ""
    status: str = "active"
    upstream: int | None = None
    probe_protocols: list[str] = []
    credential: int | None = None
    stream_uri: str = ""  # 取流地址: rtsp:// URI or path; the host is always ipv4/ipv6
    custom: dict[str, Any] = {}


def update_of(create: type[msgspec.Struct]) -> type[msgspec.Struct]:
    """The PATCH body of a record kind: every Create field optional, absent fields unchanged."""
    info = msgspec.structs.fields(create)
    return msgspec.defstruct(
        create.__name__.replace("Create", "Update"),
        [(f.name, f.type | msgspec.UnsetType, msgspec.UNSET) for f in info],
        forbid_unknown_fields=True,
        module=__name__,
    )


def present(body: msgspec.Struct) -> dict[str, Any]:
    """The fields a body actually carries (UNSET ones dropped)."""
    return {k: v for k, v in msgspec.structs.asdict(body).items() if v is not msgspec.UNSET}


CREATE_SCHEMAS = {
    "regions": RegionCreate, "stations": StationCreate, "sites": SiteCreate, "coverage-plans": CoveragePlanCreate, "owners": OwnerCreate,
    "contractors": ContractorCreate, "contracts": ContractCreate, "credentials": CredentialCreate,
    "devices": DeviceCreate, "cameras": CameraCreate,
}
