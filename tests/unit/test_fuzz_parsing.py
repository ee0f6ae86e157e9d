"""Mangled cells and rows never crash the parsers: each ends in a value or a reasoned problem."""

import datetime as dt
import io
import zipfile

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assetsvc.registry import normalize as nz
from assetsvc.registry.fields import FIELDS
from assetsvc.registry.gbid import parse_gb_id
from assetsvc.registry.sheet import SheetError, SheetRow, read_sheet
from assetsvc.registry.validate import validate_camera, validate_rows

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Pieces of real messy cells, so generated text often gets deep into the parsers.
PIECES = ["4502", "0400", "132", "°", "'", '"', "′", "″", "．", "１", "０", "E", "N", "东经", "北纬",
          "年", "月", "日", "/", "-", ":", ".", " ", "\u3000", "'", "e+19", "FF", "aa", "\n", "\x00"]
messy_text = st.lists(st.sampled_from(PIECES) | st.text(max_size=4), max_size=12).map("".join)
cells = st.one_of(
    st.none(),
    st.text(max_size=40),
    messy_text,
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**25), max_value=10**25),
    st.just(10**5000),
    st.booleans(),
    st.datetimes(),
    st.dates(),
    st.just("9" * 5000),
    st.lists(st.integers(), max_size=2),
)


def problem_or_value(parse, cell):
    try:
        return parse(cell)
    except nz.FieldProblem as problem:
        assert problem.kind and problem.reason
        return problem


@FUZZ
@given(cells)
def test_id_parsing_never_raises_anything_but_a_field_problem(cell):
    problem_or_value(lambda c: parse_gb_id(c, camera=True), cell)


@FUZZ
@given(cells)
def test_coordinate_parsing_never_raises_anything_but_a_field_problem(cell):
    result = problem_or_value(nz.parse_coordinate, cell)
    assert isinstance(result, nz.FieldProblem) or isinstance(result.value, float)


@FUZZ
@given(cells)
def test_every_other_parser_ends_in_a_value_or_a_problem(cell):
    for parse in (nz.parse_text, nz.parse_gb_id_text, nz.parse_region_code, nz.parse_ipv4,
                  nz.parse_ipv6, nz.parse_mac, nz.parse_date, nz.parse_int):
        problem_or_value(parse, cell)
    for table in ("camera_type", "networked", "light", "status"):
        problem_or_value(lambda c, table=table: nz.parse_enum(c, table), cell)


rows = st.fixed_dictionaries({}, optional={f.key: cells for f in FIELDS} | {
    "custom": st.dictionaries(st.text(max_size=5), cells, max_size=3)})


@FUZZ
@given(rows, st.booleans())
def test_validate_camera_ends_ok_or_with_reasoned_errors(raw, partial):
    check = validate_camera(raw, partial=partial)
    assert all(e.field and e.kind and e.reason for e in check.errors)
    if check.ok:
        assert set(check.values) == set(raw)


@FUZZ
@given(st.lists(rows, max_size=5))
def test_validate_rows_gives_one_verdict_per_row(raws):
    sheet_rows = [SheetRow(row=i + 4, raw={k: v for k, v in r.items() if k != "custom"},
                           custom=r.get("custom", {})) for i, r in enumerate(raws)]
    verdicts = validate_rows(sheet_rows)
    assert [v.row for v in verdicts] == [r.row for r in sheet_rows]
    assert all(v.status == "ok" or v.errors for v in verdicts)
    assert all(v.to_json()["status"] in ("accepted", "rejected") for v in verdicts)


@FUZZ
@given(st.binary(max_size=2000), st.sampled_from(["a.xlsx", "a.csv", "a.xls", "a"]))
def test_read_sheet_on_arbitrary_bytes_raises_only_sheet_error(data, name):
    try:
        read_sheet(data, name)
    except SheetError as error:
        assert error.message



def _sample_parts():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["设备编码", "设备名称", "行政区域", "经度", "纬度", "安装时间"])
    ws.append(["45020400041326001213", "柳南一号", "450204", 109.38, 24.31, dt.datetime(2024, 5, 7)])
    ws.merge_cells("B2:C2")
    out = io.BytesIO()
    wb.save(out)
    archive = zipfile.ZipFile(out)
    return {name: archive.read(name) for name in archive.namelist()}


SAMPLE_PARTS = _sample_parts()
PART_NAMES = sorted(n for n in SAMPLE_PARTS if n.endswith(".xml") or n.endswith(".rels"))


def _zipped(parts):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


@FUZZ
@given(st.sampled_from(PART_NAMES), st.lists(st.tuples(st.integers(0, 10**6), st.binary(max_size=8)),
                                               min_size=1, max_size=4))
def test_read_sheet_on_a_workbook_with_damaged_parts_raises_only_sheet_error(part, edits):
    content = bytearray(SAMPLE_PARTS[part])
    for position, replacement in edits:
        at = position % (len(content) + 1)
        content[at:at + len(replacement)] = replacement
    try:
        read_sheet(_zipped({**SAMPLE_PARTS, part: bytes(content)}), "a.xlsx")
    except SheetError as error:
        assert error.message
