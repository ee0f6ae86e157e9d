"""The shared 柳南区 sample sheet, read and validated, agrees with its expected verdicts row by row."""

import datetime as dt
import json
from pathlib import Path

import pytest

from assetsvc.registry.fields import FIELDS
from assetsvc.registry.sheet import read_sheet
from assetsvc.registry.validate import validate_rows

DATA = Path(__file__).parents[2].parent / "shared" / "data"
SAMPLE = DATA / "registry-sample.xlsx"
EXPECTED = DATA / "registry-sample.expected.json"
KEY_OF = {f.header: f.key for f in FIELDS}

pytestmark = pytest.mark.skipif(
    not (SAMPLE.exists() and EXPECTED.exists()),
    reason=f"the shared sample {SAMPLE.name} and its expected verdicts are not in {DATA}",
)


@pytest.fixture(scope="module")
def expected():
    return json.loads(EXPECTED.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def sheet():
    return read_sheet(SAMPLE.read_bytes(), SAMPLE.name)


@pytest.fixture(scope="module")
def verdicts(sheet):
    return {v.row: v for v in validate_rows(sheet.rows)}


def test_the_sample_has_285_accepted_and_15_rejected_rows(verdicts):
    statuses = [v.status for v in verdicts.values()]
    assert (statuses.count("ok"), statuses.count("error")) == (285, 15)


def test_the_header_is_row_3_of_the_yiji_yidang_sheet(sheet, expected):
    assert (sheet.sheet_name, sheet.header_row) == (expected["sheet"], expected["header_row"])
    assert {c.letter: c.header for c in sheet.columns} == expected["columns"]


def test_title_blank_header_and_total_rows_are_not_data(sheet, expected):
    data_rows = {r.row for r in sheet.rows}
    assert data_rows == set(range(expected["first_data_row"], expected["last_data_row"] + 1))
    blank = {n for first, last in sheet.blank for n in range(first, last + 1)}
    assert {int(n) for n in expected["ignored_rows"]} <= set(sheet.ignored) | blank


def same(ours, theirs):
    if isinstance(ours, dt.date):
        return ours.isoformat() == theirs
    if isinstance(ours, float) or isinstance(theirs, float):
        return ours == pytest.approx(theirs, abs=1e-6)
    return ours == theirs


@pytest.mark.parametrize("row", range(4, 304))
def test_row_verdict_matches_the_expected_one(row, verdicts, expected):
    want, got = expected["rows"][str(row)], verdicts[row]
    assert got.status == want["status"], got.to_json()
    if want["status"] == "ok":
        assert got.gb_id == want["id"]
        for header, value in want.get("normalized", {}).items():
            assert same(got.values[KEY_OF[header]], value), (header, got.values[KEY_OF[header]], value)
        assert set(want.get("kinds", [])) <= {f.kind for f in got.fixes}
    else:
        fields = {KEY_OF[h] for h in want["fields"]}
        assert fields <= {e.field for e in got.errors}, got.to_json()
        assert want["kind"] in {e.kind for e in got.errors}, got.to_json()
        assert got.duplicate_of == want.get("duplicate_of")


def test_the_verdicts_serialise_as_strict_json(verdicts):
    json.dumps([v.to_json() for v in verdicts.values()], allow_nan=False, ensure_ascii=False)
