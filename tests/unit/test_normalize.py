"""Cell parsers of the camera record: canonical values, fix kinds and problems."""

import datetime as dt

import pytest

from assetsvc.registry.normalize import (
    FieldProblem,
    is_blank,
    parse_coordinate,
    parse_date,
    parse_enum,
    parse_gb_id_text,
    parse_int,
    parse_ipv4,
    parse_ipv6,
    parse_mac,
    parse_region_code,
    parse_text,
    to_halfwidth,
)


def test_halfwidth_turns_fullwidth_digits_letters_and_punctuation_into_ascii():
    assert to_halfwidth("１０．４：ＡＢ－ｃ\u3000x") == "10.4:AB-c x"


@pytest.mark.parametrize("cell", [None, "", "   ", "\u3000\u3000", "\ufeff "])
def test_blank_cells_are_recognised(cell):
    assert is_blank(cell)


@pytest.mark.parametrize(
    "cell, text, fix",
    [
        ("潭西派出所", "潭西派出所", None),
        ("潭西派出所 ", "潭西派出所", "station_trailing_space"),
        ("潭西派出所\u3000", "潭西派出所", "station_trailing_space"),
        (" 潭西派出所", "潭西派出所", "station_leading_space"),
        (" 潭西\n派出所 ", "潭西 派出所", "station_whitespace"),
        (2433, "2433", None),
        (2433.0, "2433", None),
    ],
    ids=["clean", "trailing", "trailing-u3000", "leading", "line-break", "int", "integral-float"],
)
def test_text_is_trimmed_and_reports_what_changed(cell, text, fix):
    parsed = parse_text(cell, label="所属派出所", prefix="station")
    assert (parsed.value, parsed.fix) == (text, fix)


def test_text_longer_than_the_limit_is_a_problem():
    with pytest.raises(FieldProblem) as caught:
        parse_text("长" * 501, label="设备名称", prefix="name")
    assert caught.value.kind == "name_too_long"


def test_empty_text_is_a_problem_naming_the_header():
    with pytest.raises(FieldProblem) as caught:
        parse_text(" ", label="设备名称", prefix="name")
    assert (caught.value.kind, caught.value.reason) == ("name_empty", "设备名称 is empty")


@pytest.mark.parametrize(
    "cell, text, fix",
    [
        ("45020400041320000967", "45020400041320000967", None),
        (" 45020400041320000967  ", "45020400041320000967", "id_padded"),
        ("4502 0400 0413 2000 0967", "45020400041320000967", "id_padded"),
        ("４５０２０２００１１１３２０００２８４８", "45020200111320002848", "fullwidth_id"),
        ("'45020400041320000967", "45020400041320000967", "id_apostrophe"),
        (45020400041320000967, "45020400041320000967", None),
    ],
    ids=["clean", "padded", "inner-spaces", "fullwidth", "apostrophe", "int-cell"],
)
def test_id_text_is_cleaned(cell, text, fix):
    parsed = parse_gb_id_text(cell)
    assert (parsed.value, parsed.fix) == (text, fix)


@pytest.mark.parametrize("cell", [4.502040004132e19, "4.502040004132E+19", "4.502040004132e19"])
def test_id_in_scientific_notation_is_reported_as_lost_digits(cell):
    with pytest.raises(FieldProblem) as caught:
        parse_gb_id_text(cell)
    assert caught.value.kind == "id_scientific"
    assert "its 20 digits were lost by Excel" in caught.value.reason


@pytest.mark.parametrize(
    "cell, degrees, fix",
    [
        (109.388946, 109.388946, None),
        (109.38894612, 109.388946, None),
        (109, 109.0, None),
        ("109.388946", 109.388946, None),
        ("109°23'14.2\"", 109.387278, "dms_coords"),
        ("24°19'12.5\"", 24.320139, "dms_coords"),
        ("109°23′14.2″", 109.387278, "dms_coords"),
        ("１０９°２３'１４.２\"", 109.387278, "dms_coords"),
        ("109° 23' 14.2\" E", 109.387278, "dms_coords"),
        ("东经109°23'14.2\"", 109.387278, "dms_coords"),
        ("24°19'12.5\"北纬", 24.320139, "dms_coords"),
        ("109度23分14.2秒", 109.387278, "dms_coords"),
        ("109°23.237'", 109.387283, "ddm_coords"),
        ("109.5E", 109.5, "coord_decorated"),
        ("１０９．５", 109.5, "fullwidth_coords"),
    ],
    ids=["float", "float-rounded", "int", "text", "dms", "dms-lat", "dms-primes", "dms-fullwidth",
         "dms-spaces-E", "dms-dongjing", "dms-beiwei", "dms-chinese-units", "ddm", "decimal-E",
         "fullwidth-decimal"],
)
def test_coordinates_become_decimal_degrees(cell, degrees, fix):
    parsed = parse_coordinate(cell, label="经度", prefix="lon")
    assert parsed.value == pytest.approx(degrees, abs=1e-6)
    assert parsed.fix == fix


@pytest.mark.parametrize(
    "cell",
    ["abc", "109°75'00\"", "109°23'75\"", float("nan"), float("inf"), True, "E109N", "1e999"],
    ids=["word", "minutes-75", "seconds-75", "nan", "inf", "bool", "two-hemispheres", "overflow"],
)
def test_unreadable_coordinates_are_problems(cell):
    with pytest.raises(FieldProblem) as caught:
        parse_coordinate(cell, label="经度", prefix="lon")
    assert caught.value.kind == "lon_invalid"


@pytest.mark.parametrize(
    "cell, address, fix",
    [
        ("10.4.40.55", "10.4.40.55", None),
        ("１０．４．４０．５５", "10.4.40.55", "fullwidth_ip"),
        ("10。4。40。55", "10.4.40.55", "fullwidth_ip"),
        (" 10.4.40.55 ", "10.4.40.55", "ip_padded"),
    ],
    ids=["clean", "fullwidth", "ideographic-stop", "padded"],
)
def test_ipv4_is_read(cell, address, fix):
    parsed = parse_ipv4(cell)
    assert (parsed.value, parsed.fix) == (address, fix)


@pytest.mark.parametrize(
    "cell, reason",
    [
        ("10.4.311.57", "IPV4 10.4.311.57 is not a valid address (octet 311 > 255)"),
        ("10.4.1", "IPV4 10.4.1 is not a valid address (expected four numbers 0-255 separated by dots)"),
        ("010.4.1.1", "IPV4 010.4.1.1 is not a valid address (octet 010 has a leading zero)"),
        ("10.4.1.x", "IPV4 10.4.1.x is not a valid address (expected four numbers 0-255 separated by dots)"),
    ],
    ids=["octet-over-255", "three-octets", "leading-zero", "letter"],
)
def test_bad_ipv4_reason_names_the_fault(cell, reason):
    with pytest.raises(FieldProblem) as caught:
        parse_ipv4(cell)
    assert (caught.value.kind, caught.value.reason) == ("ip_invalid", reason)


def test_ipv6_is_stored_compressed_and_lower_case():
    parsed = parse_ipv6("FE80:0000:0000:0000:0000:0000:0000:0001")
    assert (parsed.value, parsed.fix) == ("fe80::1", "ipv6_canonical")


@pytest.mark.parametrize("cell", ["fe80::1%eth0", "fe80:::1", "10.4.40.55"])
def test_bad_ipv6_is_a_problem(cell):
    with pytest.raises(FieldProblem) as caught:
        parse_ipv6(cell)
    assert caught.value.kind == "ipv6_invalid"


@pytest.mark.parametrize(
    "cell, fix",
    [
        ("48:EA:63:56:19:79", None),
        ("48:ea:63:56:19:79", "mac_lower_colon"),
        ("48-EA-63-56-19-79", "mac_upper_hyphen"),
        ("48-ea-63-56-19-79", "mac_lower_hyphen"),
        ("48ea.6356.1979", "mac_cisco_dot"),
        ("48EA63561979", "mac_bare"),
        (" 48:EA:63:56:19:79 ", "mac_padded"),
    ],
    ids=["canonical", "lower-colon", "upper-hyphen", "lower-hyphen", "cisco", "bare", "padded"],
)
def test_mac_forms_become_upper_colon(cell, fix):
    parsed = parse_mac(cell)
    assert (parsed.value, parsed.fix) == ("48:EA:63:56:19:79", fix)


@pytest.mark.parametrize("cell", ["48:EA:63:56:19", "48:EA-63:56:19:79", "GG:EA:63:56:19:79", 12345])
def test_bad_mac_is_a_problem(cell):
    with pytest.raises(FieldProblem) as caught:
        parse_mac(cell)
    assert caught.value.kind == "mac_invalid"


@pytest.mark.parametrize(
    "cell, fix",
    [
        ("2019-03-05", None),
        ("2019/3/5", "date_slash"),
        ("2019.3.5", "date_dot"),
        ("2019年3月5日", "date_cn"),
        ("2019-3-5", "date_unpadded"),
        ("20190305", "date_compact"),
        ("2019-03-05 00:00:00", "date_with_time"),
        ("２０１９年３月５日", "date_cn"),
        (dt.datetime(2019, 3, 5), "date_excel"),
        (dt.date(2019, 3, 5), None),
        (43529, "date_serial"),
        (43529.0, "date_serial"),
    ],
    ids=["iso", "slash", "dot", "chinese", "unpadded", "compact", "with-time", "fullwidth-chinese",
         "excel-date-cell", "date-object", "excel-serial", "excel-serial-float"],
)
def test_dates_are_read_in_office_spellings(cell, fix):
    parsed = parse_date(cell, label="安装时间")
    assert (parsed.value, parsed.fix) == (dt.date(2019, 3, 5), fix)


@pytest.mark.parametrize(
    "cell, reason",
    [
        ("2019-02-30", "安装时间 2019-02-30 is not a real date"),
        ("2019年13月1日", "安装时间 2019-13-1 is not a real date"),
        ("去年", "安装时间 去年 is not a date"),
        (-5, "安装时间 -5 is not a date"),
    ],
    ids=["feb-30", "month-13", "word", "negative-serial"],
)
def test_bad_dates_are_problems(cell, reason):
    with pytest.raises(FieldProblem) as caught:
        parse_date(cell, label="安装时间")
    assert (caught.value.kind, caught.value.reason) == ("date_invalid", reason)


@pytest.mark.parametrize("cell", [30, 30.0, "30", " 30 ", "30.0"])
def test_integers_come_from_numbers_and_text(cell):
    assert parse_int(cell, label="录像保存天数", prefix="retention_days").value == 30


@pytest.mark.parametrize("cell", [30.5, "30天", "thirty", True, "9" * 40])
def test_non_integers_are_problems(cell):
    with pytest.raises(FieldProblem) as caught:
        parse_int(cell, label="录像保存天数", prefix="retention_days")
    assert caught.value.kind == "retention_days_invalid"


@pytest.mark.parametrize(
    "cell, code, fix",
    [(2, 2, None), (2.0, 2, None), ("2", 2, None), ("半球", 2, "camtype_word"), ("未知", 99, "camtype_word")],
    ids=["int", "float", "text", "word", "word-99"],
)
def test_camera_type_accepts_code_or_word(cell, code, fix):
    parsed = parse_enum(cell, "camera_type", label="摄像机类型", prefix="camtype")
    assert (parsed.value, parsed.fix) == (code, fix)


def test_enum_outside_its_table_lists_the_codes():
    with pytest.raises(FieldProblem) as caught:
        parse_enum("7", "point_class", label="监控点位类型", prefix="point_type")
    assert (caught.value.kind, caught.value.reason) == (
        "point_type_invalid", "监控点位类型 7 is not one of 1,2,3,4,9")


@pytest.mark.parametrize(
    "table, cell, code",
    [
        ("owner_class", "社会面", "social"),
        ("owner_class", "police", "police"),
        ("networked", "已联网", True),
        ("networked", "未联网", False),
        ("networked", 1, True),
        ("light", "红外补光", "ir"),
        ("light", "IR", "ir"),
        ("direction", "西北", "NW"),
        ("direction", "ne", "NE"),
        ("status", "在用", "active"),
        ("status", "报废", "decommissioned"),
        ("status", "停用", "decommissioned"),
    ],
)
def test_named_code_tables_accept_word_or_code_without_a_fix(table, cell, code):
    parsed = parse_enum(cell, table)
    assert (parsed.value, parsed.fix) == (code, None)


@pytest.mark.parametrize(
    "cell, code, fix",
    [("450204", "450204", None), (450204, "450204", None), (450204.0, "450204", None),
     ("４５０２０４", "450204", "region_cleaned")],
)
def test_region_code_is_six_digit_text(cell, code, fix):
    parsed = parse_region_code(cell)
    assert (parsed.value, parsed.fix) == (code, fix)
