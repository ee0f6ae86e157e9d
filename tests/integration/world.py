"""A small registry with one record of each kind per contractor, for API and service tests."""

from __future__ import annotations

from typing import Any

from assetsvc import db
from assetsvc.registry import crud
from assetsvc.registry.entities import (
    CAMERA, CONTRACT, COVERAGE_PLAN, CREDENTIAL, OWNER, REGION, SITE, STATION, UPSTREAM,
)
from tests.integration.conftest import ADMIN


def camera_body(gb_id: str, contractor: int | None, **extra: Any) -> dict[str, Any]:
    body = {
        "gb_id": gb_id, "name": f"测试摄像机{gb_id[-4:]}", "region_code": "450204",
        "longitude": 109.388946, "latitude": 24.293187, "ipv4": "127.0.0.10",
        "camera_type": 2, "point_class": 3, "contractor": contractor,
    }
    body.update(extra)
    return body


def bodies(a_id: int, b_id: int, station: int | None = None) -> dict[str, dict[str, Any]]:
    """A valid create body per entity (names made unique by the caller's suffix)."""
    return {
        "regions": {"code": "450205"},
        "stations": {"name": "河西派出所", "region_code": "450204"},
        "sites": {"name": "河西路口", "region_code": "450204", "point_class": 1, "station": station},
        "coverage-plans": {"region_code": "450204", "category": "hospital", "planned": 4},
        "owners": {"name": "柳州市交通运输局", "owner_class": "government"},
        "contractors": {"name": "丙运维公司"},
        "contracts": {"code": "HT-A", "contractor": a_id, "region_codes": ["450204"],
                      "owner_classes": ["police", "social"], "starts_on": "2026-01-01",
                      "ends_on": "2026-12-31"},
        "credentials": {"name": "hik-default", "username": "admin", "password": "Cam3ra-Secret!"},
        "devices": {"name": "河西汇聚交换机", "kind": "switch", "region_code": "450204",
                    "ipv4": "127.0.0.2", "contractor": a_id},
        "cameras": camera_body("45020400041326001213", a_id),
    }


async def build(a_id: int, b_id: int) -> dict[str, dict[str, int]]:
    """Create per entity a record 'a' (contractor A's where scoped) and 'b' (contractor B's).

    Through the registry's own create_record, each in one write transaction that joins this one:
    the same rows and change-log entries, one commit instead of twenty (on SQLite each commit also
    opened a connection; ~0.2 s a build on a loaded machine)."""
    async with db.write_transaction():
        return await _build(a_id, b_id)


async def _build(a_id: int, b_id: int) -> dict[str, dict[str, int]]:
    ids: dict[str, dict[str, int]] = {"contractors": {"a": a_id, "b": b_id}}
    region = await crud.create_record(REGION, ADMIN, {"code": "450204"})
    region_b = await crud.create_record(REGION, ADMIN, {"code": "450202"})
    ids["regions"] = {"a": region["id"], "b": region_b["id"]}
    st = await crud.create_record(STATION, ADMIN, {"name": "南站派出所", "region_code": "450204"})
    st_b = await crud.create_record(STATION, ADMIN, {"name": "城中派出所", "region_code": "450202"})
    ids["stations"] = {"a": st["id"], "b": st_b["id"]}
    site = await crud.create_record(SITE, ADMIN, {"name": "南站广场", "region_code": "450204",
                                                   "coverage_status": "built"})
    site_b = await crud.create_record(SITE, ADMIN, {"name": "城中广场", "region_code": "450202",
                                                     "coverage_status": "planned"})
    ids["sites"] = {"a": site["id"], "b": site_b["id"]}
    plan = await crud.create_record(COVERAGE_PLAN, ADMIN, {"region_code": "450204", "category": "school",
                                                           "planned": 3})
    plan_b = await crud.create_record(COVERAGE_PLAN, ADMIN, {"region_code": "450202", "category": "school",
                                                             "planned": 2})
    ids["coverage-plans"] = {"a": plan["id"], "b": plan_b["id"]}
    ow = await crud.create_record(OWNER, ADMIN, {"name": "柳州市公安局柳南分局", "owner_class": "police"})
    ow_b = await crud.create_record(OWNER, ADMIN, {"name": "和谐小区业主委员会", "owner_class": "social"})
    ids["owners"] = {"a": ow["id"], "b": ow_b["id"]}
    ids["contracts"] = {}
    for key, cid in (("a", a_id), ("b", b_id)):
        row = await crud.create_record(CONTRACT, ADMIN, {
            "code": f"HT-2026-{key}", "contractor": cid, "region_codes": ["450204"],
            "owner_classes": ["police"], "starts_on": __import__("datetime").date(2026, 1, 1),
            "ends_on": __import__("datetime").date(2026, 12, 31)})
        ids["contracts"][key] = row["id"]
    cred = await crud.create_record(CREDENTIAL, ADMIN, {"name": "cred-a", "username": "admin",
                                                         "password": "s3cret-a"})
    cred_b = await crud.create_record(CREDENTIAL, ADMIN, {"name": "cred-b", "username": "admin",
                                                           "password": "s3cret-b"})
    ids["credentials"] = {"a": cred["id"], "b": cred_b["id"]}
    ids["devices"] = {}
    for key, cid, ip in (("a", a_id, "127.0.0.3"), ("b", b_id, "127.0.0.4")):
        row = await crud.create_record(UPSTREAM, ADMIN, {"name": f"交换机{key}", "kind": "switch",
                                                          "region_code": "450204", "ipv4": ip,
                                                          "contractor": cid, "status": "active"})
        ids["devices"][key] = row["id"]
    ids["cameras"] = {}
    for key, cid, gb in (("a", a_id, "45020400041326000001"), ("b", b_id, "45020400041326000002")):
        row = await crud.create_record(CAMERA, ADMIN, camera_body(gb, cid, station=st["id"],
                                                                   owner=ow["id"]))
        ids["cameras"][key] = row["id"]
    return ids
