"""The camera validator shared by import and API, and the per-row verdicts of an import."""

import datetime as dt
import json
from dataclasses import replace

import pytest

from assetsvc.registry.sheet import SheetRow
from assetsvc.registry.validate import DEFAULT_RULES, validate_camera, validate_rows

CLEAN = {
    "gb_id": "45020400041326001213",
    "name": "柳南河西路与潭中西路交叉口西北侧半球",
    "region_code": "450204",
    "station": "南站派出所",
    "longitude": 109.388946,
    "latitude": 24.293187,
    "ipv4": "10.4.0.66",
    "mac": "44:19:B6:0B:4E:E3",
    "camera_type": 2,
    "point_class": 2,
    "owner_class": "其他政府部门",
    "networked": "已联网",
    "install_date": "2022-08-14",
    "retention_days": 60,
}


def camera(**changes):
    return {**CLEAN, **changes}


def kinds(check):
    return {(e.field, e.kind) for e in check.errors}


def test_a_clean_camera_is_ok_with_canonical_values_and_no_fixes():
    check = validate_camera(CLEAN)
    assert check.ok and check.fixes == []
    assert check.values["owner_class"] == "government"
    assert check.values["networked"] is True
    assert check.values["install_date"] == dt.date(2022, 8, 14)


def test_values_hold_only_the_keys_given():
    assert set(validate_camera(CLEAN).values) == set(CLEAN)


@pytest.mark.parametrize(
    "changes, fix",
    [
        ({"gb_id": " 45020400041326001213 "}, ("gb_id", "id_padded")),
        ({"name": "柳南半球 "}, ("name", "name_trailing_space")),
        ({"station": "南站派出所 "}, ("station", "station_trailing_space")),
        ({"mac": "4419.b60b.4ee3"}, ("mac", "mac_cisco_dot")),
        ({"camera_type": "半球"}, ("camera_type", "camtype_word")),
        ({"install_date": "2022/8/14"}, ("install_date", "date_slash")),
        ({"ipv4": "１０．４．０．６６"}, ("ipv4", "fullwidth_ip")),
    ],
    ids=["id", "name", "station", "mac", "camera-type", "date", "ip"],
)
def test_messy_cells_are_fixed_and_the_fix_is_reported(changes, fix):
    check = validate_camera(camera(**changes))
    assert check.ok
    assert fix in {(f.field, f.kind) for f in check.fixes}


def test_a_fix_keeps_the_cell_as_given_and_the_value_it_became():
    fix = validate_camera(camera(mac="44-19-B6-0B-4E-E3")).fixes[0]
    assert (fix.before, fix.after) == ("44-19-B6-0B-4E-E3", "44:19:B6:0B:4E:E3")


def test_id_disagreeing_with_the_region_names_both_fields():
    check = validate_camera(camera(gb_id="45020200041326001213"))
    assert kinds(check) == {("gb_id", "id_admin_mismatch"), ("region_code", "id_admin_mismatch")}
    assert check.errors[0].reason == "设备编码 digits 1-6 (450202, 城中区) disagree with 行政区域 450204 (柳南区)"


def test_swapped_coordinates_are_one_error_on_both_fields():
    check = validate_camera(camera(longitude=24.312944, latitude=109.4087))
    assert kinds(check) == {("longitude", "lat_lon_swapped"), ("latitude", "lat_lon_swapped")}
    assert check.errors[0].reason == "经度 24.312944 / 纬度 109.4087 are swapped (a latitude cannot exceed 90)"


@pytest.mark.parametrize(
    "changes, field, kind, reason",
    [
        ({"longitude": 10.938295}, "longitude", "lon_outside_china",
         "经度 10.938295 lies outside China (73.5-135.1 E)"),
        ({"latitude": 60.5}, "latitude", "lat_outside_china", "纬度 60.5 lies outside China (3.8-53.6 N)"),
    ],
    ids=["longitude", "latitude"],
)
def test_coordinates_outside_china_are_refused(changes, field, kind, reason):
    check = validate_camera(camera(**changes))
    assert [(e.field, e.kind, e.reason) for e in check.errors] == [(field, kind, reason)]


def test_a_point_far_from_its_district_is_refused_with_the_distance():
    check = validate_camera(camera(longitude=110.5, latitude=24.3))
    assert kinds(check) == {("longitude", "coords_far_from_region"), ("latitude", "coords_far_from_region")}
    assert "km from the centre of 柳南区" in check.errors[0].reason


def test_the_distance_limit_is_a_rule():
    rules = replace(DEFAULT_RULES, max_km_from_district=200.0)
    assert validate_camera(camera(longitude=110.5, latitude=24.3), rules=rules).ok


@pytest.mark.parametrize(
    "changes, field, kind, reason",
    [
        ({"point_class": "7"}, "point_class", "point_type_invalid", "监控点位类型 7 is not one of 1,2,3,4,9"),
        ({"name": None}, "name", "name_empty", "设备名称 is empty"),
        ({"name": " \u3000"}, "name", "name_empty", "设备名称 is empty"),
        ({"ipv4": "10.4.311.57"}, "ipv4", "ip_invalid", "IPV4 10.4.311.57 is not a valid address (octet 311 > 255)"),
        ({"gb_id": "4502040040132800931"}, "gb_id", "id_19_digits",
         "设备编码 4502040040132800931 has 19 digits; a GB/T 28181 ID has 20"),
        ({"gb_id": "45020400041186001213"}, "gb_id", "id_type_implausible", None),
        ({"region_code": "450200"}, "region_code", "region_not_district", None),
        ({"region_code": "450299"}, "region_code", "region_unknown", None),
        ({"retention_days": 0}, "retention_days", "retention_days_invalid", None),
        ({"camera_type": "鱼眼"}, "camera_type", "camtype_invalid", None),
    ],
    ids=["point-type", "name-none", "name-blank", "ip", "id-19", "id-nvr", "region-city", "region-unknown",
         "retention-0", "camera-type-word"],
)
def test_a_bad_field_is_one_error_with_a_reason(changes, field, kind, reason):
    check = validate_camera(camera(**changes))
    assert [(e.field, e.kind) for e in check.errors] == [(field, kind)]
    given = check.errors[0].reason
    assert given == reason if reason else given


@pytest.mark.parametrize("missing", ["gb_id", "name", "region_code", "longitude", "latitude"])
def test_mandatory_fields_may_not_be_left_out(missing):
    raw = {k: v for k, v in CLEAN.items() if k != missing}
    assert [e.field for e in validate_camera(raw).errors] == [missing]


def test_a_class_one_point_needs_install_date_and_retention():
    raw = {k: v for k, v in camera(point_class="一类").items() if k not in ("install_date", "retention_days")}
    assert kinds(validate_camera(raw)) == {("install_date", "install_date_empty"),
                                           ("retention_days", "retention_days_empty")}


def test_contact_is_mandatory_for_class_one_only_when_the_rules_say_so():
    raw = camera(point_class=1)
    assert validate_camera(raw).ok
    rules = replace(DEFAULT_RULES, mandatory_class1=("install_date", "retention_days", "contact"))
    assert kinds(validate_camera(raw, rules=rules)) == {("contact", "contact_empty")}


def test_empty_optional_fields_are_fine_and_kept_as_none():
    check = validate_camera(camera(site_alias=None, light="", direction=" "))
    assert check.ok
    assert (check.values["site_alias"], check.values["light"], check.values["direction"]) == (None, None, None)


def test_a_partial_update_checks_only_the_fields_given():
    check = validate_camera({"ipv4": "10.4.0.67"}, partial=True)
    assert check.ok and check.values == {"ipv4": "10.4.0.67"}


def test_a_partial_update_may_not_blank_a_mandatory_field():
    assert kinds(validate_camera({"name": ""}, partial=True)) == {("name", "name_empty")}


def test_a_partial_update_still_refuses_garbage():
    assert kinds(validate_camera({"mac": "nonsense"}, partial=True)) == {("mac", "mac_invalid")}


def test_an_unknown_key_is_refused():
    assert kinds(validate_camera(camera(colour="red"))) == {("colour", "field_unknown")}


def test_custom_fields_are_kept_trimmed_and_json_safe():
    check = validate_camera(camera(custom={"备注": " 新建 ", "验收日期": dt.datetime(2024, 1, 2), "杆高": 6}))
    assert check.values["custom"] == {"备注": "新建", "验收日期": "2024-01-02T00:00:00", "杆高": 6}


def rows(*cameras):
    return [SheetRow(row=4 + i, raw=dict(raw), custom={}) for i, raw in enumerate(cameras)]


def test_the_first_row_with_an_id_is_ok_and_later_ones_are_duplicates():
    verdicts = validate_rows(rows(CLEAN, camera(name="二"), camera(gb_id=" 45020400041326001213 ")))
    assert [v.status for v in verdicts] == ["ok", "error", "error"]
    assert [v.duplicate_of for v in verdicts] == [None, 4, 4]
    assert verdicts[2].errors[-1].reason == "设备编码 already used by an earlier row (row 4)"


def test_an_accepted_row_serialises_with_its_fixes():
    verdict = validate_rows(rows(camera(install_date=dt.datetime(2022, 8, 14))))[0]
    assert verdict.to_json() == {
        "row": 4, "status": "accepted", "gb_id": "45020400041326001213",
        "fixes": [{"field": "install_date", "header": "安装时间", "kind": "date_excel",
                   "before": "2022-08-14T00:00:00", "after": "2022-08-14"}],
    }


def test_a_rejected_row_serialises_with_headers_and_duplicate_of():
    doc = validate_rows(rows(CLEAN, CLEAN))[1].to_json()
    assert doc == {"row": 5, "status": "rejected", "duplicate_of": 4, "errors": [
        {"field": "gb_id", "header": "设备编码", "kind": "duplicate_id",
         "reason": "设备编码 already used by an earlier row (row 4)"}]}


def test_verdict_json_is_strict_json():
    verdicts = validate_rows(rows(camera(longitude=float("nan")), camera(gb_id="45020400041326001214")))
    json.dumps([v.to_json() for v in verdicts], allow_nan=False, ensure_ascii=False)


def test_stream_uri_takes_an_rtsp_uri_or_a_path_and_refuses_anything_else():
    for good in ("rtsp://10.1.2.3:554/Streaming/Channels/101", "/cam/realmonitor?channel=1&subtype=0"):
        check = validate_camera(camera(stream_uri=good))
        assert check.ok and check.values["stream_uri"] == good
    for bad in ("Streaming/Channels/101", "http://10.1.2.3/live", "rtsp://10.1.2.3/a b"):
        check = validate_camera(camera(stream_uri=bad))
        assert [e.kind for e in check.errors] == ["stream_uri_invalid"], bad


def test_stream_uri_is_read_from_the_headers_offices_use():
    from assetsvc.registry.fields import field_for_header

    for header in ("取流地址", "RTSP地址", "视频流地址", "RTSP URL", "stream_uri"):
        assert field_for_header(header).key == "stream_uri", header


# Values that break one field alone, or a record-level check (ID vs region, position, retention,
# province date, point class 1's extra mandatory fields).
_BAD = {
    "gb_id": ["45020500041326001213", "4502040004132600121", ""],
    "region_code": ["450205", "450200", "abc", ""],
    "longitude": [24.293187, 150.0, 112.0, ""],
    "latitude": [109.388946, 60.0, ""],
    "ipv4": ["10.4.0.666", ""],
    "camera_type": ["鱼眼球", ""],
    "point_class": [1, 9, ""],
    "retention_days": [7, "x", ""],
    "install_date": ["2022-13-01", ""],
    "province_networked": ["否", "是", ""],
    "province_networked_on": ["2026-10-01", "20261301"],
    "name": ["", "  "],
    "contact": ["", "张三 13800000000"],
}


def test_checking_some_fields_plus_the_record_check_fields_gives_the_whole_records_verdict_on_them():
    """The monthly report validates only the mandatory fields and RECORD_CHECK_FIELDS of each record."""
    import random

    from assetsvc.registry.validate import RECORD_CHECK_FIELDS, ValidationRules

    rnd = random.Random(7)
    fields = sorted(set(CLEAN) | set(_BAD))
    compared = 0
    for _ in range(400):
        raw = dict(CLEAN)
        for key in rnd.sample(sorted(_BAD), rnd.randint(0, 4)):
            raw[key] = rnd.choice(_BAD[key])
        wanted = rnd.sample(fields, rnd.randint(1, 8))
        rules = ValidationRules(mandatory=tuple(wanted[:5]), mandatory_class1=tuple(wanted[5:]))
        whole = validate_camera(raw, rules=rules)
        part = validate_camera({k: raw[k] for k in raw if k in {*wanted, *RECORD_CHECK_FIELDS}}, rules=rules)
        assert {(e.field, e.kind) for e in part.errors if e.field in wanted} == \
            {(e.field, e.kind) for e in whole.errors if e.field in wanted}, (raw, wanted)
        compared += any(e.field in wanted for e in whole.errors)
    assert compared > 100  # most draws have a verdict to compare
