"""The one validator of the camera record (一机一档), used by sheet import and by the API alike."""

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from assetsvc.registry import normalize as nz
from assetsvc.registry.fields import FIELDS_BY_KEY, Field, header_for
from assetsvc.registry.gbid import parse_gb_id
from assetsvc.registry.regions import centre, distance_km, is_district, region
from assetsvc.registry.sheet import SheetRow
from probes.stream_uri import MAX_PATH, stream_location


@dataclass(frozen=True, slots=True)
class ValidationRules:
    """Numbers that belong to a contract or a province's rules, not to the code."""

    lon_range: tuple[float, float] = (73.5, 135.1)  # China, WGS-84 degrees east
    lat_range: tuple[float, float] = (3.8, 53.6)  # China, degrees north
    max_km_from_district: float = 50.0  # our choice: beyond this the point is in another district
    mandatory: tuple[str, ...] = ("gb_id", "name", "region_code", "longitude", "latitude")
    # Extra mandatory fields for 一类 points (监控点位类型 1). Local specs add contact; the
    # sample sheet has no 联系方式 column, so it is not in the default.
    mandatory_class1: tuple[str, ...] = ("install_date", "retention_days")
    max_text_length: int = 500
    min_retention_days: int = 1


DEFAULT_RULES = ValidationRules()


@dataclass(frozen=True, slots=True)
class Fix:
    """A cell repaired on the way in: `before` as given, `after` canonical."""

    field: str
    kind: str
    before: Any
    after: Any


@dataclass(frozen=True, slots=True)
class FieldError:
    """A field at fault; an error that involves two fields is reported once for each."""

    field: str
    kind: str
    reason: str


@dataclass(slots=True)
class CameraCheck:
    """Canonical values of the keys given, the fixes applied and the errors found."""

    values: dict[str, Any] = field(default_factory=dict)
    fixes: list[Fix] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def fail(self, fields: Iterable[str], kind: str, reason: str) -> None:
        self.errors.extend(FieldError(name, kind, reason) for name in fields)


# Kind prefixes where the office's vocabulary (the sample's) differs from the key.
_PREFIX = {"gb_id": "id", "camera_type": "camtype", "point_class": "point_type", "ipv4": "ip",
           "region_code": "region", "longitude": "lon", "latitude": "lat"}


def kind_prefix(key: str) -> str:
    """The prefix of a field's fix and error kinds (name_empty, camtype_word, ip_invalid)."""
    return _PREFIX.get(key, key)


def _gb_id(value: Any, f: Field, rules: ValidationRules) -> nz.Parsed:
    cleaned = nz.parse_gb_id_text(value, label=f.header)
    parse_gb_id(cleaned.value, camera=True, label=f.header)
    return cleaned


def _region(value: Any, f: Field, rules: ValidationRules) -> nz.Parsed:
    parsed = nz.parse_region_code(value, label=f.header)
    code = parsed.value
    found = region(code)
    if found is None:
        raise nz.FieldProblem("region_unknown", f"{f.header} {code} is not a GB/T 2260 division code")
    if not is_district(code):
        raise nz.FieldProblem(
            "region_not_district", f"{f.header} {code} ({found.name}) is a {found.level}, not a district"
        )
    return parsed


def _text(value: Any, f: Field, rules: ValidationRules) -> nz.Parsed:
    return nz.parse_text(value, label=f.header, prefix=kind_prefix(f.key), max_length=rules.max_text_length)


def _stream(value: Any, f: Field, rules: ValidationRules) -> nz.Parsed:
    """An rtsp:// URI or a path starting with "/": only its port, path and query are ever used."""
    parsed = nz.parse_text(value, label=f.header, prefix=kind_prefix(f.key), max_length=MAX_PATH)
    if " " in parsed.value or stream_location(parsed.value) is None:
        raise nz.FieldProblem(f"{kind_prefix(f.key)}_invalid", f"{f.header} {nz.show(value)} is neither an "
                              "rtsp:// URI nor a path starting with / (e.g. /Streaming/Channels/101)")
    return parsed


_PARSERS: dict[str, Callable[[Any, Field, ValidationRules], nz.Parsed]] = {
    "stream": _stream,
    "gb_id": _gb_id,
    "region": _region,
    "text": _text,
    "coord": lambda v, f, r: nz.parse_coordinate(v, label=f.header, prefix=kind_prefix(f.key)),
    "ipv4": lambda v, f, r: nz.parse_ipv4(v, label=f.header),
    "ipv6": lambda v, f, r: nz.parse_ipv6(v, label=f.header),
    "mac": lambda v, f, r: nz.parse_mac(v, label=f.header),
    "date": lambda v, f, r: nz.parse_date(v, label=f.header),
    "int": lambda v, f, r: nz.parse_int(v, label=f.header, prefix=kind_prefix(f.key)),
    "enum": lambda v, f, r: nz.parse_enum(v, f.key, label=f.header, prefix=kind_prefix(f.key)),
}


def _read_fields(raw: Mapping[str, Any], check: CameraCheck, rules: ValidationRules) -> None:
    for key, value in raw.items():
        if key == "custom":
            continue
        f = FIELDS_BY_KEY.get(key) if isinstance(key, str) else None
        if f is None:
            check.fail([str(key)], "field_unknown", f"{nz.show(key)} is not a camera field")
            continue
        if nz.is_blank(value):
            check.values[key] = None
            continue
        try:
            parsed = _PARSERS[f.kind](value, f, rules)
        except nz.FieldProblem as problem:
            check.fail([key], problem.kind, problem.reason)
            continue
        check.values[key] = parsed.value
        if parsed.fix:
            check.fixes.append(Fix(key, parsed.fix, value, parsed.value))


def _check_mandatory(raw: Mapping[str, Any], check: CameraCheck, rules: ValidationRules,
                     partial: bool) -> None:
    required = list(rules.mandatory)
    if check.values.get("point_class") == 1:
        required += rules.mandatory_class1
    failed = {e.field for e in check.errors}
    for key in dict.fromkeys(required):
        if (partial and key not in raw) or key in failed or check.values.get(key) is not None:
            continue
        check.fail([key], f"{kind_prefix(key)}_empty", f"{header_for(key)} is empty")


def _check_id_region(check: CameraCheck) -> None:
    gb_id, code = check.values.get("gb_id"), check.values.get("region_code")
    if not gb_id or not code or gb_id[:6] == code:
        return
    id_name = getattr(region(gb_id[:6]), "name", "?")
    code_name = getattr(region(code), "name", "?")
    check.fail(
        ["gb_id", "region_code"],
        "id_admin_mismatch",
        f"{header_for('gb_id')} digits 1-6 ({gb_id[:6]}, {id_name}) disagree with "
        f"{header_for('region_code')} {code} ({code_name})",
    )


def _out_of_bounds(check: CameraCheck, key: str, value: float, bounds: tuple[float, float],
                   hemisphere: str) -> bool:
    low, high = bounds
    if low <= value <= high:
        return False
    check.fail([key], f"{kind_prefix(key)}_outside_china",
               f"{header_for(key)} {value!r} lies outside China ({low}-{high} {hemisphere})")
    return True


def _check_far(check: CameraCheck, lon: float, lat: float, rules: ValidationRules) -> None:
    code = check.values.get("region_code")
    point = centre(code) if code else None
    if point is None:
        return
    km = distance_km(lon, lat, *point)
    if km > rules.max_km_from_district:
        check.fail(
            ["longitude", "latitude"],
            "coords_far_from_region",
            f"{header_for('longitude')}/{header_for('latitude')} ({lon!r}, {lat!r}) lie {km:.1f} km "
            f"from the centre of {region(code).name} {code} (limit {rules.max_km_from_district:g} km)",
        )


def _check_position(check: CameraCheck, rules: ValidationRules) -> None:
    lon, lat = check.values.get("longitude"), check.values.get("latitude")
    if lon is not None and lat is not None and 90 < abs(lat) <= 180 and abs(lon) <= 90:
        check.fail(
            ["longitude", "latitude"],
            "lat_lon_swapped",
            f"{header_for('longitude')} {lon!r} / {header_for('latitude')} {lat!r} are swapped "
            "(a latitude cannot exceed 90)",
        )
        return
    outside = lon is not None and _out_of_bounds(check, "longitude", lon, rules.lon_range, "E")
    outside |= lat is not None and _out_of_bounds(check, "latitude", lat, rules.lat_range, "N")
    if not outside and lon is not None and lat is not None:
        _check_far(check, lon, lat, rules)


def _check_province(check: CameraCheck) -> None:
    """A 联网上级平台 date belongs to a camera networked to the provincial platform."""
    if check.values.get("province_networked_on") is not None and check.values.get("province_networked") is False:
        check.fail(["province_networked_on"], "province_date_without_flag",
                   f"{header_for('province_networked_on')} is given but {header_for('province_networked')} says no")


def _check_retention(check: CameraCheck, rules: ValidationRules) -> None:
    days = check.values.get("retention_days")
    if days is not None and days < rules.min_retention_days:
        check.fail(["retention_days"], "retention_days_invalid",
                   f"{header_for('retention_days')} {days} is below {rules.min_retention_days}")


def _json_scalar(value: Any) -> Any:
    """A value fit for a JSON document: dates as ISO text, non-finite floats and others as text."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


# Control characters a custom value may not hold. Tab and line breaks (Alt+Enter in a cell) are
# folded into a space like in every text field; the rest have no place in a sheet cell (Excel
# and openpyxl refuse them) and are refused, so that one record cannot break every export.
_CUSTOM_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CUSTOM_SCALARS = (type(None), bool, int, float, str, dt.date, dt.time)


def _custom_value(name: str, value: Any, rules: ValidationRules) -> Any:
    """One custom value as stored: a trimmed JSON scalar; nested values and controls are refused."""
    if not isinstance(value, _CUSTOM_SCALARS):
        raise nz.FieldProblem("custom_not_scalar",
                              f"{name}: a custom field holds text, a number, a date or nothing, "
                              f"not {type(value).__name__}")
    if isinstance(value, str) and _CUSTOM_CONTROL.search(value):
        raise nz.FieldProblem("custom_control_char",
                              f"{name} {nz.show(value)} holds a control character")
    if isinstance(value, str) and not nz.is_blank(value):
        value = nz.parse_text(value, label=name, prefix="custom", max_length=rules.max_text_length).value
    return None if nz.is_blank(value) else _json_scalar(value)


def _read_custom(custom: Any, check: CameraCheck, rules: ValidationRules) -> None:
    """Columns the office added (custom fields), kept by header text as trimmed JSON scalars.

    The one rule for custom fields on every path (sheet import, API create and update); errors
    are keyed `custom.<header>`.
    """
    if not isinstance(custom, Mapping):
        check.fail(["custom"], "custom_invalid", "custom fields must be a mapping of header to value")
        return
    kept: dict[str, Any] = {}
    for header, value in custom.items():
        name = str(header).strip()
        if not name or _CUSTOM_CONTROL.search(name) or len(name) > rules.max_text_length:
            check.fail(["custom"], "custom_header_invalid",
                       f"custom field header {nz.show(header)} must be non-empty text without "
                       f"control characters, at most {rules.max_text_length} characters")
            continue
        try:
            kept[name] = _custom_value(name, value, rules)
        except nz.FieldProblem as problem:
            check.fail([f"custom.{name}"], problem.kind, problem.reason)
    check.values["custom"] = kept


def validate_camera(raw: Mapping[str, Any], *, rules: ValidationRules = DEFAULT_RULES,
                    partial: bool = False) -> CameraCheck:
    """Check one camera given by field key (plus `custom`); partial=True is an update's patch."""
    check = CameraCheck()
    _read_fields(raw, check, rules)
    if "custom" in raw and raw["custom"] is not None:
        _read_custom(raw["custom"], check, rules)
    _check_mandatory(raw, check, rules, partial)
    _check_id_region(check)
    _check_position(check, rules)
    _check_retention(check, rules)
    _check_province(check)
    return check


# The fields the record-level checks above read (_check_mandatory's point_class, the ID/region,
# position, retention and province checks). Every other verdict on a field depends on its own value
# only, so checking some fields plus these gives the same verdict on those fields as checking the
# whole record (the monthly report's 一机一档完整率 checks the mandatory fields of 100,000 records
# that way). A new record-level check names the fields it reads here.
RECORD_CHECK_FIELDS = ("point_class", "gb_id", "region_code", "longitude", "latitude", "retention_days",
                       "province_networked", "province_networked_on")


@dataclass(frozen=True, slots=True)
class RowVerdict:
    """The import verdict on one sheet row, keyed by its Excel row number."""

    row: int
    status: str  # 'ok' | 'error'
    gb_id: str | None
    values: dict[str, Any]
    fixes: list[Fix]
    errors: list[FieldError]
    duplicate_of: int | None = None

    def to_json(self) -> dict[str, Any]:
        if self.status == "ok":
            fixes = [{"field": f.field, "header": header_for(f.field), "kind": f.kind,
                      "before": _json_scalar(f.before), "after": _json_scalar(f.after)}
                     for f in self.fixes]
            return {"row": self.row, "status": "accepted", "gb_id": self.gb_id, "fixes": fixes}
        errors = [{"field": e.field, "header": header_for(e.field), "kind": e.kind, "reason": e.reason}
                  for e in self.errors]
        doc: dict[str, Any] = {"row": self.row, "status": "rejected", "errors": errors}
        if self.duplicate_of is not None:
            doc["duplicate_of"] = self.duplicate_of
        return doc


def validate_rows(rows: Iterable[SheetRow], *, rules: ValidationRules = DEFAULT_RULES,
                  on_rows: Callable[[int], None] | None = None) -> list[RowVerdict]:
    """Validate every row, then apply the in-sheet rule: a 设备编码 seen on an earlier row is a duplicate.

    `on_rows(n)` hears every 1,000 rows validated.
    """
    first_row: dict[str, int] = {}
    verdicts: list[RowVerdict] = []
    for count, row in enumerate(rows, start=1):
        if on_rows is not None and count % 1000 == 0:
            on_rows(count)
        check = validate_camera({**row.raw, "custom": row.custom}, rules=rules)
        gb_id = check.values.get("gb_id")
        duplicate_of = first_row.get(gb_id) if gb_id else None
        if duplicate_of is not None:
            check.fail(["gb_id"], "duplicate_id",
                       f"{header_for('gb_id')} already used by an earlier row (row {duplicate_of})")
        elif gb_id:
            first_row[gb_id] = row.row
        verdicts.append(RowVerdict(
            row=row.row, status="ok" if check.ok else "error", gb_id=gb_id, values=check.values,
            fixes=check.fixes, errors=check.errors, duplicate_of=duplicate_of,
        ))
    return verdicts
