"""Importing office sheets into the registry: atomicity, upsert, history, dry run."""

from __future__ import annotations

import json

import pytest

from assetsvc import db
from assetsvc.audit.tables import Change
from assetsvc.errors import ValidationFailed
from assetsvc.registry.importer import import_sheet
from assetsvc.registry.tables import Camera, Contractor, Owner, Station
from tests.conftest import SHARED_DATA
from tests.integration.conftest import ADMIN

SAMPLE = SHARED_DATA / "registry-sample.xlsx"
EXPECTED = SHARED_DATA / "registry-sample.expected.json"
pytestmark = pytest.mark.skipif(not SAMPLE.exists(), reason=f"{SAMPLE} is not present")


def sample() -> bytes:
    return SAMPLE.read_bytes()


async def test_atomic_import_of_sample_writes_nothing_and_names_every_bad_row():
    report = await import_sheet(sample(), SAMPLE.name, ADMIN)
    expected = json.loads(EXPECTED.read_text())["rows"]
    rejected = {r["row"] for r in report.rows if r["status"] == "rejected"}
    assert rejected == {int(k) for k, v in expected.items() if v["status"] == "error"}
    assert not report.written
    assert await Camera.count().run() == 0
    assert await Station.count().run() == 0
    assert await Change.count().run() == 0


async def test_skip_invalid_writes_the_285_valid_cameras_with_their_lookups():
    report = await import_sheet(sample(), SAMPLE.name, ADMIN, skip_invalid=True)
    assert (report.accepted, report.rejected, report.created) == (285, 15, 285)
    assert await Camera.count().run() == 285
    row = await Camera.select(Camera.mac, Camera.camera_type, Camera.station.name,
                              Camera.owner.owner_class, Camera.contractor.name) \
        .where(Camera.gb_id == "45020400801328001070").first().run()
    assert row["mac"] == "4C:11:BF:3D:EF:08"
    assert row["owner.owner_class"] == "social"
    assert row["contractor.name"] == "广西龙城智安科技有限公司"
    assert await Contractor.count().run() >= 3
    assert await Owner.count().where(Owner.owner_class == "police").run() >= 1


async def test_reimporting_the_same_sheet_changes_nothing():
    await import_sheet(sample(), SAMPLE.name, ADMIN, skip_invalid=True)
    before = await Change.count().run()
    report = await import_sheet(sample(), SAMPLE.name, ADMIN, skip_invalid=True)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 285)
    assert await Change.count().run() == before


async def test_changed_cell_is_one_update_with_before_and_after(tmp_path):
    await import_sheet(sample(), SAMPLE.name, ADMIN, skip_invalid=True)
    csv = ("设备编码,设备名称,行政区域,经度,纬度\n"
           "45020400801328001070,改名的球机,450204,109.386358,24.306004\n").encode()
    report = await import_sheet(csv, "fix.csv", ADMIN)
    assert (report.created, report.updated) == (0, 1)
    camera = await Camera.select(Camera.id, Camera.name, Camera.mac).where(
        Camera.gb_id == "45020400801328001070").first().run()
    assert camera["name"] == "改名的球机"
    assert camera["mac"] == "4C:11:BF:3D:EF:08"  # a column the sheet lacks is left alone
    last = await Change.select().where(Change.entity_id == camera["id"]).order_by(
        Change.id, ascending=False).first().output(load_json=True).run()
    assert last["action"] == "update"
    assert last["changes"] == {"name": ["柳南和谐苑6栋东北侧球机", "改名的球机"]}


async def test_dry_run_reports_without_writing():
    report = await import_sheet(sample(), SAMPLE.name, ADMIN, skip_invalid=True, dry_run=True)
    assert (report.created, report.written) == (285, False)
    assert await Camera.count().run() == 0
    assert await Station.count().run() == 0


@pytest.mark.parametrize("content,name", [
    (b"", "empty.xlsx"),
    (b"%PDF-1.4 not a sheet", "renamed.xlsx"),
    (b"PK\x03\x04garbage", "broken.xlsx"),
    (b"\x00\x01\x02", "data.bin"),
])
async def test_unreadable_file_is_one_clear_error_and_writes_nothing(content, name):
    with pytest.raises(ValidationFailed) as info:
        await import_sheet(content, name, ADMIN)
    assert info.value.errors[0]["field"] == "file"
    assert await Camera.count().run() == 0


async def test_custom_columns_survive_import_and_update():
    csv = ("设备编码,设备名称,行政区域,经度,纬度,杆件编号\n"
           "45020400041326001213,测试机,450204,109.388946,24.293187,GJ-001\n").encode()
    await import_sheet(csv, "custom.csv", ADMIN)
    row = await Camera.select(Camera.custom).first().output(load_json=True).run()
    assert row["custom"] == {"杆件编号": "GJ-001"}


# One row per shape of value; every standard field present.
_ROWS = [
    ["45020400041326001213", "河西路口半球", "海康威视", "DS-2CD2346G2-I", "450204", "南站派出所", "河西路口",
     "柳州市柳南区河西路与潭中西路交叉口", "109.388946", "24.293187", "10.4.0.66", "", "44:19:B6:0B:4E:E3",
     "半球", "二类", "其他政府部门", "柳州市交通运输局", "中国联合网络通信有限公司柳州市分公司", "已联网",
     "2022-08-14", "60", "红外补光", "西北", "0772-2800000", "在用"],
    ["45020400041326001214", "潭中西路枪机", "大华", "DH-IPC-HFW", "450204", "南站派出所", "",
     "柳州市柳南区潭中西路", "109.389001", "24.293501", "10.4.0.67", "fe80::1", "aa-bb-cc-dd-ee-ff",
     "3", "一类", "公安自建", "柳州市公安局", "中国联合网络通信有限公司柳州市分公司", "未联网",
     "2021/3/5", "90", "无补光", "东", "0772-2800001", "维修"],
]
_CHINESE = ["设备编码", "设备名称", "设备厂商", "设备型号", "行政区域", "所属派出所", "点位俗称", "安装地址", "经度",
            "纬度", "IPV4", "IPV6", "MAC地址", "摄像机类型", "监控点位类型", "建设单位类型", "建设单位", "维护单位",
            "联网属性", "安装时间", "录像保存天数", "补光属性", "监视方位", "联系方式", "设备状态"]
_ENGLISH = ["National ID", "Device Name", "Manufacturer", "Model", "District Code", "Police Station", "Site Alias",
            "Install Address", "Longitude (WGS-84)", "Latitude (WGS-84)", "IP Address", "IPv6 Address",
            "MAC Address", "Camera Type", "Point Class", "Owner Class", "Owner", "Maintenance Contractor",
            "Networked", "Installation Date", "Retention Days", "Fill Light", "Direction", "Contact Phone",
            "Status"]


def _csv(headers: list[str], rows: list[list[str]]) -> bytes:
    return "\n".join(",".join(cells) for cells in [headers, *rows]).encode()


async def test_a_sheet_with_english_headers_gives_the_same_records_as_the_chinese_one():
    chinese = await import_sheet(_csv(_CHINESE, _ROWS), "cn.csv", ADMIN)
    assert (chinese.created, chinese.rejected, chinese.custom_columns) == (2, 0, [])
    stored = await Camera.select().order_by(Camera.gb_id).output(load_json=True).run()
    english = await import_sheet(_csv(_ENGLISH, _ROWS), "en.csv", ADMIN)
    assert english.custom_columns == []
    assert (english.created, english.updated, english.unchanged) == (0, 0, 2)
    assert await Camera.select().order_by(Camera.gb_id).output(load_json=True).run() == stored
    assert [c["custom"] for c in stored] == [{}, {}]


async def test_a_field_under_another_name_is_validated_where_it_belongs():
    rows = [_ROWS[0][:10] + ["10.4.0.999"] + _ROWS[0][11:]]
    report = await import_sheet(_csv(_ENGLISH, rows), "en.csv", ADMIN, dry_run=True)
    assert report.rejected == 1
    assert report.rows[0]["errors"][0]["field"] == "ipv4"


async def test_a_header_close_to_a_known_field_is_named_in_the_dry_run_and_the_import_report():
    headers = ["设备编码", "设备名称", "行政区域", "经度", "纬度", "IP地址1", "杆件编号"]
    rows = [[*_ROWS[0][:2], "450204", "109.388946", "24.293187", "10.4.0.66", "GJ-001"]]
    for dry_run in (True, False):
        report = await import_sheet(_csv(headers, rows), "near.csv", ADMIN, dry_run=dry_run)
        assert [note["message"] for note in report.to_json()["custom_columns"]] == [
            "column F 'IP地址1' kept as a custom column; did you mean IPV4?",
            "column G '杆件编号' kept as a custom column",
        ]
    row = await Camera.select(Camera.custom, Camera.ipv4).first().output(load_json=True).run()
    assert row == {"custom": {"IP地址1": "10.4.0.66", "杆件编号": "GJ-001"}, "ipv4": None}


async def test_a_large_import_analyzes_the_camera_table():
    from assetsvc import bulk
    from assetsvc.registry import importer

    def row(n: int) -> list[str]:  # the first sample row, under a new id and address
        cells = list(_ROWS[0])
        cells[0], cells[1], cells[10], cells[12] = f"4502040004132{n:07d}", f"cam {n}", f"10.5.{n // 250}.{n % 250 + 1}", ""
        return cells

    rows = [row(n) for n in range(importer.ANALYZE_AFTER_ROWS + 10)]

    async def analyzed() -> int:
        if db.is_sqlite():
            if not await bulk.fetch(Camera, "SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'", []):
                return 0  # never analysed: the statistics table does not exist yet
            found = await bulk.fetch(Camera, "SELECT stat FROM sqlite_stat1 WHERE tbl = 'camera'", [])
            return max((int(r["stat"].split()[0]) for r in found), default=0)
        found = await bulk.fetch(Camera, "SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'camera'", [])
        return int(found[0]["analyze_count"]) if found else 0

    before = await analyzed()
    small = await import_sheet(_csv(_CHINESE, rows[:5]), "small.csv", ADMIN)
    assert small.created == 5, small.rows[0]
    assert await analyzed() == before  # a few rows: autovacuum's business
    report = await import_sheet(_csv(_CHINESE, rows[5:]), "large.csv", ADMIN)
    assert report.created == len(rows) - 5
    after = await analyzed()
    # SQLite: sqlite_stat1 counts the rows now in the table; PostgreSQL: one more manual ANALYZE.
    assert after == len(rows) if db.is_sqlite() else after == before + 1
