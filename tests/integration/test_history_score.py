"""A contractor's monthly score for a month imported from the old platform: the channels' fault
hours come from the imported intervals through the same uptime service, and leave with an undo."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from assetsvc.monitoring.history import batches
from assetsvc.monitoring.history.importer import import_history
from assetsvc.registry.tables import Camera, Contract, Contractor
from assetsvc.tickets import contracts
from tests.integration.conftest import ADMIN

EXAMPLE = Path(__file__).parents[2] / "assetsvc" / "tickets" / "data" / "contract-sla.example.toml"
TZ = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 1, 5, 9, tzinfo=TZ).timestamp()
RULE = "channel faulty over 8 h in the month"


async def test_the_december_score_counts_imported_fault_hours_until_the_batch_is_undone():
    company = Contractor(name="甲运维")
    await company.save().run()
    row = Contract(code="HT-2025-A", contractor=company.id, region_codes=["330100"], owner_classes=[],
                   starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2026, 12, 31))
    await row.save().run()
    await contracts.put_terms(ADMIN, row.id, EXAMPLE.read_text("utf-8"),
                              now=dt.datetime(2025, 11, 1, tzinfo=TZ).timestamp())
    cams = []
    for n in (1, 2):
        cam = Camera(gb_id=f"33010600131320000{n:03d}", name=f"cam {n}", region_code="330106",
                     contractor=company.id, point_class=3)
        await cam.save().run()
        cams.append(cam.id)
    # Camera 1 offline 10 h (over 8 h: one point), camera 2 offline 5 h (under).
    text = """设备编码,状态,开始时间,结束时间,来源
33010600131320000001,在线,2025-12-01 00:00,2025-12-05 08:00,旧平台
33010600131320000001,离线,2025-12-05 08:00,2025-12-05 18:00,旧平台
33010600131320000001,在线,2025-12-05 18:00,2026-01-01 00:00,旧平台
33010600131320000002,在线,2025-12-01 00:00,2025-12-09 10:00,旧平台
33010600131320000002,离线,2025-12-09 10:00,2025-12-09 15:00,旧平台
33010600131320000002,在线,2025-12-09 15:00,2026-01-01 00:00,旧平台
"""
    report = await import_history(text.encode(), "dec.csv", ADMIN, tz="+08:00", now=NOW)
    assert report.summary()["records"] == 6

    scored = await contracts.score(ADMIN, row.id, "2025-12", {"missed_inspection": 0}, now=NOW)
    channel = {d["rule"]: d for d in scored["deductions"]}[RULE]
    assert (channel["units"], channel["items"]) == (1, [cams[0]])
    assert scored["score"] == "99"

    await batches.undo(ADMIN, report.batch)
    after = await contracts.score(ADMIN, row.id, "2025-12", {"missed_inspection": 0}, now=NOW)
    assert {d["rule"]: d for d in after["deductions"]}[RULE]["units"] == 0 and after["score"] == "100"
