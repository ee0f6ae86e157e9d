"""History import (docs/history-import.md): a month of the old platform's outages and maintenance,
read by the same uptime service as live data; re-import, overlap with live data, undo, bad files.

Hand-worked month: December 2025 in the office's +08:00, 744 hours per camera.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from assetsvc.audit.tables import Change
from assetsvc.errors import Conflict, Forbidden, ValidationFailed
from assetsvc.monitoring import service, uptime
from assetsvc.monitoring.history import batches
from assetsvc.monitoring.history.importer import import_history
from assetsvc.monitoring.tables import HistoryBatch, MaintenanceWindow, StateInterval
from assetsvc.monitoring.uptime_scope import camera_ids
from assetsvc.monitoring.uptime_faults import DowntimeRule
from assetsvc.registry.importer import Progress
from assetsvc.accounts.service import Actor
from tests.fakes.sheets import header_row, inline, workbook
from tests.integration.conftest import ADMIN
from tests.integration.test_uptime_world import H, camera

TZ = dt.timezone(dt.timedelta(hours=8))
DEC = dt.datetime(2025, 12, 1, tzinfo=TZ).timestamp()
JAN = dt.datetime(2026, 1, 1, tzinfo=TZ).timestamp()
NOW = JAN + 40 * 24 * H  # after the month, and after the live data of the tests
AUDITOR = Actor(user_id=2, username="auditor", role="auditor", contractor_id=None)
GB1, GB2 = "33010600011320000001", "33010600011320000002"  # test_uptime_world.camera(1), camera(2)

MONTH = f"""设备编码,状态,原因,开始时间,结束时间,来源
{GB1},在线,,2025-12-01 00:00,2025-12-10 00:00,旧平台
{GB1},离线,,2025-12-10 00:00,2025-12-11 00:00,旧平台
{GB1},在线,,2025-12-11 00:00,2026-01-01 00:00,旧平台
{GB2},online,,2025-12-01 00:00,2025-12-20 00:00,旧平台
{GB2},degraded,picture:blur,2025-12-20 00:00,2025-12-21 00:00,旧平台
{GB2},online,,2025-12-21 00:00,2026-01-01 00:00,旧平台
"""


async def run(text: str, name: str = "history.csv", **options):
    options.setdefault("tz", "+08:00")
    options.setdefault("now", NOW)
    data = text.encode() if isinstance(text, str) else text
    return await import_history(data, name, ADMIN, **options)


async def december():
    cams = camera_ids([await _id(GB1), await _id(GB2)])
    return await uptime.compute(cams, DEC, JAN, now=NOW)


async def _id(gb_id: str) -> int:
    from assetsvc.registry.tables import Camera
    return (await Camera.select(Camera.id).where(Camera.gb_id == gb_id).first().run())["id"]


async def intervals() -> list[tuple]:
    rows = await StateInterval.select().order_by(StateInterval.subject_id).order_by(StateInterval.start).run()
    return [(r["subject_id"], r["state"], r["cause"], r["start"], r["end"]) for r in rows]


async def test_an_imported_month_gives_the_months_figures_and_the_same_file_again_changes_nothing():
    a, b = await camera(1), await camera(2)
    report = await run(MONTH)
    s = report.summary()
    assert (s["rows"], s["rejected"], s["import"], s["records"], s["written"]) == (6, 0, 6, 6, True)
    figures = await december()
    # Hand-worked: 1,488 camera-hours; a down 24 h (reach), b degraded 24 h (picture:blur).
    assert figures.totals.in_service == pytest.approx(1488 * H)
    assert figures.totals.state["down"] == pytest.approx(24 * H)
    assert figures.totals.state["degraded"] == pytest.approx(24 * H)
    assert figures.figures()["online_rate"] == pytest.approx(1464 / 1488)
    assert figures.figures()["working_rate"] == pytest.approx(1440 / 1488)
    # The contractor score's downtime comes from the same service: a down 24 h; b's picture fault
    # counts only under a rule naming it.
    assert (await service.fault_seconds([a, b], DEC, JAN, now=NOW)).by_camera == {a: pytest.approx(24 * H)}
    picture = DowntimeRule.parse(["down", "degraded:picture"])
    assert (await service.fault_seconds([a, b], DEC, JAN, picture, now=NOW)).by_camera == {
        a: pytest.approx(24 * H), b: pytest.approx(24 * H)}
    stored = await intervals()
    assert (a, "down", "reach", DEC + 9 * 24 * H, DEC + 10 * 24 * H) in stored

    again = await run(MONTH)
    assert again.summary()["already_imported"] == 6 and again.summary()["records"] == 0
    assert again.batch is None and again.summary()["written"] is False
    assert all(r["held_by"] == f"batch {report.batch}" for r in again.rows)
    assert await intervals() == stored
    assert [b.id for b in await batches.list_batches(ADMIN)] == [report.batch]
    assert (await december()).totals.state == figures.totals.state


async def test_a_dry_run_reports_what_would_change_and_writes_nothing():
    await camera(1), await camera(2)
    report = await run(MONTH, dry_run=True)
    assert report.summary()["import"] == 6 and report.summary()["records"] == 6
    assert report.batch is None and report.summary()["dry_run"] is True
    assert report.rows[0]["action"] == "import" and report.rows[0]["kept"] == [
        ["2025-12-01T00:00:00+08:00", "2025-12-10T00:00:00+08:00"]]
    assert await intervals() == [] and await HistoryBatch.count().run() == 0


async def test_an_import_overlapping_live_data_is_clipped_and_each_clip_is_reported():
    a = await camera(1)
    live_from = JAN + 5 * 24 * H  # live history since 2026-01-06 00:00 +08:00, still open
    await StateInterval.insert(StateInterval(subject_type="camera", subject_id=a, state="up", cause="",
                                             start=live_from, end=None)).run()
    text = f"""camera,state,cause,from,to,source
{GB1},offline,onvif_light:timeout,2026-01-04 00:00,2026-01-07 00:00,old
{GB1},online,,2026-01-03 00:00,2026-01-05 00:00,old
{GB1},degraded,stream:stalled,2026-01-06 12:00,2026-01-07 00:00,old
{GB1},online,,2026-01-02 00:00,2026-01-03 00:00,old
"""
    report = await run(text)
    rows = {r["row"]: r for r in report.rows}
    # Row 2 loses its last day to the live interval; row 3 (later in the file) loses its overlap
    # with row 2; row 4 lies wholly inside live history; row 5 is untouched.
    assert rows[2]["action"] == "clip" and rows[2]["clips"] == [
        {"from": "2026-01-06T00:00:00+08:00", "to": "2026-01-07T00:00:00+08:00", "by": "recorded"}]
    assert rows[3]["action"] == "clip" and rows[3]["clips"] == [
        {"from": "2026-01-04T00:00:00+08:00", "to": "2026-01-05T00:00:00+08:00", "by": "row 2"}]
    assert rows[4]["action"] == "drop" and rows[4]["clips"][0]["by"] == "recorded"
    assert rows[5]["action"] == "import" and "clips" not in rows[5]
    day = 24 * H
    assert await intervals() == [
        (a, "up", "", JAN + 1 * day, JAN + 2 * day),
        (a, "up", "", JAN + 2 * day, JAN + 3 * day),
        (a, "down", "onvif_light:timeout", JAN + 3 * day, live_from),
        (a, "up", "", live_from, None),
    ]
    s = report.summary()
    assert (s["clip"], s["drop"], s["import"], s["records"]) == (2, 1, 1, 3)
    assert (await batches.get(ADMIN, report.batch)).clipped == 3
    # Uptime of the first week now reads imported and live time alike, without overlap.
    week = await uptime.compute(camera_ids([a]), JAN, JAN + 7 * day, now=NOW)
    assert week.totals.in_service == pytest.approx(6 * day)
    assert week.totals.state["down"] == pytest.approx(2 * day)


async def test_a_row_split_by_live_history_keeps_both_sides():
    a = await camera(1)
    middle = DEC + 10 * 24 * H
    await StateInterval.insert(StateInterval(subject_type="camera", subject_id=a, state="down", cause="reach",
                                             start=middle, end=middle + H)).run()
    report = await run(f"设备编码,状态,开始时间,结束时间\n{GB1},在线,2025-12-10 00:00,2025-12-12 00:00\n")
    assert report.rows[0]["kept"] == [["2025-12-10T00:00:00+08:00", "2025-12-11T00:00:00+08:00"],
                                      ["2025-12-11T01:00:00+08:00", "2025-12-12T00:00:00+08:00"]]
    assert report.summary()["records"] == 2
    assert [r[1] for r in await intervals()] == ["up", "down", "up"]


async def test_an_undone_import_puts_the_figures_back_and_leaves_live_history():
    a, _ = await camera(1), await camera(2)
    await StateInterval.insert(StateInterval(subject_type="camera", subject_id=a, state="up", cause="",
                                             start=JAN, end=None)).run()
    before = await december()
    live = await intervals()
    report = await run(MONTH)
    assert (await december()).totals.in_service == pytest.approx(1488 * H)
    undone = await batches.undo(ADMIN, report.batch, source="test")
    assert undone.undone_at is not None and undone.undone_by == "test-admin"
    after = await december()
    assert after.totals.state == before.totals.state and after.cameras == before.cameras == 0
    assert await intervals() == live
    with pytest.raises(Conflict):
        await batches.undo(ADMIN, report.batch)
    log = await Change.select().where(Change.entity == "history_batch").order_by(Change.id).output(
        load_json=True).run()
    assert [c["action"] for c in log] == ["create", "update"] and log[1]["changes"]["undone_at"][0] is None
    # Undone, the same file imports again as a new batch.
    again = await run(MONTH)
    assert again.summary()["import"] == 6 and again.batch != report.batch


async def test_malformed_rows_are_reported_by_row_and_field_and_nothing_is_written():
    await camera(1), await camera(2)
    text = f"""设备编码,状态,原因,开始时间,结束时间,来源
{GB1},在线,,2025-12-01 00:00,2025-12-02 00:00,ok row
3.30106000113e+19,在线,,2025-12-01 00:00,2025-12-02 00:00,
{GB2},坏了,,2025-12-01 00:00,2025-12-02 00:00,
{GB2},degraded,,2025-12-01 00:00,2025-12-02 00:00,
{GB2},degraded,picture:sunburn,2025-12-01 00:00,2025-12-02 00:00,
{GB2},offline,,2025-12-03 00:00,2025-12-02 00:00,
{GB2},offline,,2025-12-03 00:00,2099-12-02 00:00,
{GB2},offline,,yesterday,2025-12-02 00:00,
33010600011320009999,online,,2025-12-01 00:00,2025-12-02 00:00,
{GB2},online,timeout,2025-12-01 00:00,2025-12-02 00:00,
"""
    report = await run(text)
    errors = {r["row"]: [(e["field"], e["kind"]) for e in r["errors"]] for r in report.rows if r["status"] == "rejected"}
    assert errors == {
        3: [("camera", "id_scientific")],
        4: [("state", "invalid_state")],
        5: [("cause", "unknown_cause")],
        6: [("cause", "unknown_cause")],
        7: [("to", "not_after_from")],
        8: [("to", "in_future")],
        9: [("from", "invalid_time")],
        10: [("camera", "unknown_camera")],
        11: [("cause", "unknown_cause")],
    }
    assert report.rows[0] == {"row": 2, "status": "accepted"}
    assert report.summary()["rejected"] == 9 and report.batch is None
    assert await intervals() == [] and await HistoryBatch.count().run() == 0


@pytest.mark.parametrize("data, name, message", [
    (b"PK\x03\x04 not a zip", "h.xlsx", "not an .xlsx workbook"),
    (b"", "h.csv", "empty"),
    ("名称,地址\n甲,乙\n".encode(), "h.csv", "no header row"),
    (f"设备编码,状态,开始时间,来源\n{GB1},在线,2025-12-01,x\n".encode(), "h.csv", "no to column"),
    (b"x", "h.pdf", "only .xlsx and .csv"),
])
async def test_an_unreadable_file_is_one_precise_error(data, name, message):
    with pytest.raises(ValidationFailed) as caught:
        await run(data, name)
    assert message in caught.value.message and caught.value.errors[0]["field"] == "file"


async def test_only_the_office_imports_lists_or_undoes():
    with pytest.raises(Forbidden):
        await import_history(MONTH.encode(), "h.csv", AUDITOR)
    with pytest.raises(Forbidden):
        await batches.list_batches(AUDITOR)


async def test_an_xlsx_with_english_headers_and_repeated_rows_imports_once():
    a = await camera(1)
    headers = ["Camera", "State", "Cause", "From", "To", "Source"]
    body = [[GB1, "offline", "", "2025/12/5 8:00", "2025/12/5 10:30", "old"],
            [GB1, "offline", "", "2025/12/5 8:00", "2025/12/5 10:30", "old"]]
    rows = header_row(headers) + "".join(
        f'<row r="{n}">' + "".join(inline(f"{chr(65 + i)}{n}", v) for i, v in enumerate(values) if v) + "</row>"
        for n, values in enumerate(body, start=2))
    report = await run(workbook(rows), "history.xlsx")
    assert [r["action"] for r in report.rows] == ["import", "duplicate"] and report.rows[1]["held_by"] == "row 2"
    start = dt.datetime(2025, 12, 5, 8, tzinfo=TZ).timestamp()
    assert await intervals() == [(a, "down", "reach", start, start + 2.5 * H)]


async def test_maintenance_windows_import_the_same_way_and_count_in_the_figures():
    a, b = await camera(1), await camera(2)
    await run(MONTH)
    windows = f"""设备编码,范围,对象,开始时间,结束时间,维护原因,来源
{GB1},,,2025-12-10 00:00,2025-12-10 12:00,光缆割接,旧平台
,region,330106,2025-12-20 00:00,2025-12-20 06:00,机房断电检修,旧平台
"""
    report = await run(windows, kind="maintenance")
    assert report.summary()["import"] == 2 and report.summary()["records"] == 2
    stored = await MaintenanceWindow.select(MaintenanceWindow.scope, MaintenanceWindow.scope_ref).order_by(
        MaintenanceWindow.starts_at).run()
    assert stored == [{"scope": "camera", "scope_ref": str(a)}, {"scope": "region", "scope_ref": "330106"}]
    figures = await december()
    # a's 12 h down inside its window and b's 6 h degraded (and a's 6 h up) under the region's
    # window no longer count.
    assert figures.totals.counted("down") == pytest.approx(12 * H)
    assert figures.totals.counted("degraded") == pytest.approx(18 * H)
    assert (await service.fault_seconds([a, b], DEC, JAN, now=NOW)).by_camera == {a: pytest.approx(12 * H)}
    assert (await run(windows, kind="maintenance")).summary()["already_imported"] == 2
    await batches.undo(ADMIN, report.batch)
    assert await MaintenanceWindow.count().run() == 0
    assert (await december()).totals.counted("down") == pytest.approx(24 * H)


async def test_a_window_on_an_unknown_reference_rejects_its_row():
    await camera(1)
    text = """范围,对象,开始时间,结束时间,维护原因
site,4242,2025-12-10 00:00,2025-12-10 12:00,检修
region,999999,2025-12-10 00:00,2025-12-10 12:00,检修
building,1,2025-12-10 00:00,2025-12-10 12:00,检修
camera,33010600011320000001,2025-12-10 00:00,2025-12-10 12:00,
"""
    report = await run(text, kind="maintenance")
    assert [(r["row"], r["errors"][0]["field"]) for r in report.rows] == [
        (2, "ref"), (3, "ref"), (4, "scope"), (5, "reason")]
    assert await MaintenanceWindow.count().run() == 0


async def test_two_imports_of_one_file_at_once_write_it_once():
    await camera(1), await camera(2)
    first, second = await asyncio.gather(run(MONTH), run(MONTH))
    assert sorted([first.summary()["records"], second.summary()["records"]]) == [0, 6]
    assert len(await intervals()) == 6 and await HistoryBatch.count().run() == 1


async def test_a_long_file_reports_its_progress_through_each_stage():
    await camera(1)
    heard: list[tuple[str, int, int]] = []
    lines = ["设备编码,状态,开始时间,结束时间"] + [
        f"{GB1},在线,{dt.datetime.fromtimestamp(DEC + k * 60, TZ):%Y-%m-%d %H:%M},"
        f"{dt.datetime.fromtimestamp(DEC + (k + 1) * 60, TZ):%Y-%m-%d %H:%M}" for k in range(2500)]
    progress = Progress(listener=lambda p: heard.append((p.stage, p.done, p.total)))
    report = await run("\n".join(lines) + "\n", progress=progress)
    assert report.summary()["records"] == 2500
    assert ("validating", 1000, 2500) in heard and ("validating", 2000, 2500) in heard
    assert ("writing", 2500, 2500) in heard and heard[-1] == ("finished", 2500, 2500)
    stages = [stage for stage, _, _ in heard]
    assert stages.index("reading") < stages.index("validating") < stages.index("writing")


async def test_date_formatted_excel_cells_are_read_in_the_office_offset(tmp_path):
    from openpyxl import Workbook

    a = await camera(1)
    book = Workbook()
    sheet = book.active
    sheet.title = "历史状态"
    sheet.append(["国标编码", "在线状态", "故障原因", "起始时间", "恢复时间"])
    sheet.append([GB1, "异常", "stream:stalled", dt.datetime(2025, 12, 3, 9, 0), dt.datetime(2025, 12, 3, 9, 45)])
    path = tmp_path / "old.xlsx"
    book.save(path)
    report = await run(path.read_bytes(), "old.xlsx")
    start = dt.datetime(2025, 12, 3, 9, tzinfo=TZ).timestamp()
    assert report.sheet == "历史状态" and report.summary()["import"] == 1
    assert await intervals() == [(a, "degraded", "stream:stalled", start, start + 0.75 * H)]


async def test_a_batch_clipped_against_an_earlier_one_must_be_undone_first():
    await camera(1)
    first = await run(f"设备编码,状态,开始时间,结束时间\n{GB1},离线,2025-12-02 00:00,2025-12-03 00:00\n")
    second = await run(f"设备编码,状态,开始时间,结束时间\n{GB1},在线,2025-12-01 00:00,2025-12-04 00:00\n")
    assert second.rows[0]["clips"] == [{"from": "2025-12-02T00:00:00+08:00", "to": "2025-12-03T00:00:00+08:00",
                                        "by": f"batch {first.batch}"}]
    assert second.summary()["clipped_by"] == [first.batch]
    with pytest.raises(Conflict) as caught:
        await batches.undo(ADMIN, first.batch)
    assert f"history batch {second.batch} lost time to batch {first.batch}" in caught.value.message
    assert len(await intervals()) == 3
    await batches.undo(ADMIN, second.batch)
    await batches.undo(ADMIN, first.batch)
    assert await intervals() == [] and await HistoryBatch.count().run() == 2
