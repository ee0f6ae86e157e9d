"""The province body mapping: paths into the report JSON, the shipped mapping, and bad mapping files."""

from __future__ import annotations

import pytest

from assetsvc.reports.province import mapping

CONTENT = {"month": "2026-11", "period": {"start": "2026-11-01"},
           "uptime": {"rows": [{"scope": "district:330106", "online_rate": 0.5}, {"scope": "city", "online_rate": 0.9}]}}


def test_a_path_picks_the_row_of_a_scope_and_a_missing_one_is_null():
    assert mapping.resolve(CONTENT, mapping.parse_path("uptime.rows[scope=city].online_rate")) == 0.9
    assert mapping.resolve(CONTENT, mapping.parse_path("uptime.rows[scope=district:330106].online_rate")) == 0.5
    assert mapping.resolve(CONTENT, mapping.parse_path("uptime.rows[scope=station:9].online_rate")) is None
    assert mapping.resolve(CONTENT, mapping.parse_path("period.end")) is None
    assert mapping.resolve(CONTENT, mapping.parse_path("month.length")) is None


def test_the_shipped_mapping_loads_and_lays_out_the_city_figures():
    shape = mapping.load("province-v1")
    body = shape.apply(CONTENT)
    assert shape.name == "province-v1" and body["online_rate"] == 0.9 and body["month"] == "2026-11"
    assert body["tickets_opened"] is None
    assert "province-v1" in mapping.shipped()


@pytest.mark.parametrize("text, problem", [
    ("name = 'x'\n", r"no \[fields\]"),
    ("[fields]\n'bad name' = 'month'\n", "field name"),
    ("[fields]\nmonth = 'rows[scope]'\n", "is not a key"),
    ("[fields]\nmonth = ''\n", "non-empty"),
    ("[fields\n", "cannot be read"),
])
def test_a_bad_mapping_file_is_refused_naming_the_problem(tmp_path, text, problem):
    path = tmp_path / "m.toml"
    path.write_text(text, "utf-8")
    with pytest.raises(mapping.MappingError, match=problem):
        mapping.load(str(path))


def test_a_device_or_missing_file_is_not_a_mapping(tmp_path):
    for ref in ("/dev/zero", str(tmp_path), "no-such-mapping"):
        with pytest.raises(mapping.MappingError, match="no mapping"):
            mapping.load(ref)
