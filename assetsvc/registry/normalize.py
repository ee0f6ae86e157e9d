"""Cell parsers for the camera record: each returns the canonical value or raises FieldProblem."""

import datetime as dt
import functools
import ipaddress
import math
import re
from dataclasses import dataclass
from typing import Any

from assetsvc.registry.fields import CODE_TABLES, words

# Full-width ASCII (U+FF01-U+FF5E) and the ideographic space, as typed with a Chinese IME.
_HALFWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
# Invisible characters that ride along with text pasted from web pages and chat apps.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_SHOW_MAX = 60
# Longer integers are no cell value; Python even refuses str() past 4,300 digits.
_MAX_DIGITS = 60


class FieldProblem(ValueError):
    """A cell that cannot be read; `kind` is a stable code, `reason` a sentence for the office."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Parsed:
    """A canonical value and the fix kind applied to reach it (None when the cell was canonical)."""

    value: Any
    fix: str | None = None


def to_halfwidth(text: str) -> str:
    """Full-width ASCII and U+3000 turned into their ASCII forms."""
    return text.translate(_HALFWIDTH)


def is_blank(value: Any) -> bool:
    """True for an empty cell: None or text made only of whitespace and invisible characters."""
    return value is None or (isinstance(value, str) and not value.strip().strip(_INVISIBLE).strip())


def show(value: Any) -> str:
    """A cell value as a reason quotes it: short, one line, integral floats without '.0'."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
        text = str(int(value))
    elif isinstance(value, int) and abs(value) >= 10**_MAX_DIGITS:
        text = f"a number of more than {_MAX_DIGITS} digits"
    else:
        text = str(value)
    text = _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode(), text)
    return text if len(text) <= _SHOW_MAX else text[: _SHOW_MAX - 1] + "…"


def _blank_check(value: Any, label: str, prefix: str) -> None:
    if is_blank(value):
        raise FieldProblem(f"{prefix}_empty", f"{label} is empty")


def _number_text(value: Any) -> str | None:
    """Text for an int or integral float cell (Excel keeps every number as a double)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value) if abs(value) < 10**_MAX_DIGITS else None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return None


def _space_fix(before: str, after: str, prefix: str) -> str | None:
    if before == after:
        return None
    if before.rstrip() == after:
        return f"{prefix}_trailing_space"
    if before.lstrip() == after:
        return f"{prefix}_leading_space"
    return f"{prefix}_whitespace"


def parse_text(value: Any, *, label: str = "文本", prefix: str = "text", max_length: int = 500) -> Parsed:
    """Free text: edges stripped (incl. U+3000), line breaks and controls inside become one space."""
    _blank_check(value, label, prefix)
    if isinstance(value, str):
        # Alt+Enter line breaks inside a cell become a space rather than a broken record.
        text = _CONTROL.sub(" ", value.strip().strip(_INVISIBLE).strip())
        fix = _space_fix(value, text, prefix)
    elif (number := _number_text(value)) is not None:
        text, fix = number, None
    elif isinstance(value, float) and math.isfinite(value):
        text, fix = repr(value), None
    elif isinstance(value, dt.date):
        text, fix = value.isoformat(), None
    else:
        raise FieldProblem(f"{prefix}_invalid", f"{label} {show(value)} is not text")
    if len(text) > max_length:
        raise FieldProblem(f"{prefix}_too_long", f"{label} has {len(text)} characters (at most {max_length})")
    return Parsed(text, fix)


_SCIENTIFIC = re.compile(r"[0-9](?:\.[0-9]+)?[eE]\+?[0-9]+")
_APOSTROPHES = "'‘’`"


def parse_gb_id_text(value: Any, *, label: str = "设备编码") -> Parsed:
    """The ID cell as text: full-width digits, spaces and Excel's text-marking apostrophe removed."""
    _blank_check(value, label, "id")
    if isinstance(value, float):
        # A 20-digit number is beyond a double's 15-17 significant digits: the tail is gone.
        raise FieldProblem(
            "id_scientific",
            f"{label} {value!r} was stored as a number: its 20 digits were lost by Excel; "
            "re-enter it as text",
        )
    if (number := _number_text(value)) is not None:
        return Parsed(number)
    if not isinstance(value, str):
        raise FieldProblem("id_not_digits", f"{label} {show(value)} is not a digit string")
    half = to_halfwidth(value)
    trimmed = "".join(half.split()).strip(_INVISIBLE)
    text = trimmed.lstrip(_APOSTROPHES)
    if _SCIENTIFIC.fullmatch(text):
        raise FieldProblem(
            "id_scientific",
            f"{label} {show(text)} is in scientific notation: its 20 digits were lost by Excel; "
            "re-enter it as text",
        )
    if half != value:
        fix = "fullwidth_id"
    elif text != trimmed:
        fix = "id_apostrophe"
    else:
        fix = "id_padded" if text != value else None
    return Parsed(text, fix)


def parse_region_code(value: Any, *, label: str = "行政区域") -> Parsed:
    """A 6-digit GB/T 2260 code as text; a numeric cell is fine."""
    _blank_check(value, label, "region")
    number = _number_text(value)
    if number is not None:
        text, fix = number, None
    elif isinstance(value, str):
        text = "".join(to_halfwidth(value).split())
        fix = "region_cleaned" if text != value else None
    else:
        raise FieldProblem("region_invalid", f"{label} {show(value)} is not a 6-digit code")
    if not re.fullmatch(r"[0-9]{6}", text):
        raise FieldProblem("region_invalid", f"{label} {show(text)} is not a 6-digit GB/T 2260 code")
    return Parsed(text, fix)


# Symbol spellings seen in sheets, mapped to ° ' ".
_COORD_SYMBOLS = str.maketrans({"º": "°", "˚": "°", "度": "°", "′": "'", "’": "'", "‘": "'", "分": "'",
                                "″": '"', "”": '"', "“": '"', "秒": '"'})
_HEMISPHERE = re.compile(r"(东经|西经|北纬|南纬|[EWNSewns])?(.*?)(东经|西经|北纬|南纬|[EWNSewns])?", re.S)
_NEGATIVE = {"西经", "南纬", "W", "S", "w", "s"}
_NUM = r"([0-9]+(?:\.[0-9]+)?)"
_DECIMAL = re.compile(rf"([+-]?){_NUM}°?")
_DMS = re.compile(rf"([0-9]+)°([0-9]+)'{_NUM}\"?")
_DDM = re.compile(rf"([0-9]+)°{_NUM}'?")


def _float_cell(value: Any, label: str, prefix: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FieldProblem(f"{prefix}_invalid", f"{label} {show(value)} is not a coordinate")
    number = float(value) if abs(value) < 1e300 else math.inf
    if not math.isfinite(number):
        raise FieldProblem(f"{prefix}_invalid", f"{label} {show(value)} is not a finite number")
    return number


def _dms_degrees(text: str, label: str, prefix: str) -> tuple[float, str] | None:
    """Degrees from D°M'S" or D°M.m' text, with the fix kind; None when it is neither."""
    if match := _DMS.fullmatch(text):
        degrees, minutes, seconds = int(match[1]), int(match[2]), float(match[3])
        kind = "dms_coords"
    elif match := _DDM.fullmatch(text):
        degrees, minutes, seconds = int(match[1]), float(match[2]), 0.0
        kind = "ddm_coords"
    else:
        return None
    if minutes >= 60 or seconds >= 60:
        raise FieldProblem(f"{prefix}_invalid", f"{label} {show(text)} has minutes or seconds of 60 or more")
    return degrees + minutes / 60 + seconds / 3600, kind


def parse_coordinate(value: Any, *, label: str = "坐标", prefix: str = "coord") -> Parsed:
    """Decimal degrees (6 places) from a number, numeric text, DMS or DDM text."""
    _blank_check(value, label, prefix)
    if not isinstance(value, str):
        return Parsed(round(_float_cell(value, label, prefix), 6))
    text = "".join(to_halfwidth(value).translate(_COORD_SYMBOLS).split()).replace("''", '"')
    if len(text) > _SHOW_MAX:
        raise FieldProblem(f"{prefix}_invalid", f"{label} {show(value)} is too long to be a coordinate")
    lead, body, tail = _HEMISPHERE.fullmatch(text).groups()
    if lead and tail:
        raise FieldProblem(f"{prefix}_invalid", f"{label} {show(value)} names its hemisphere twice")
    sign = -1.0 if (lead or tail) in _NEGATIVE else 1.0
    if match := _DECIMAL.fullmatch(body):
        degrees = float(match[2]) * (-1.0 if match[1] == "-" else 1.0)
        fix = "coord_decorated" if (lead or tail or "°" in body) else None
        fix = fix or ("fullwidth_coords" if to_halfwidth(value) != value else None)
    elif found := _dms_degrees(body, label, prefix):
        degrees, fix = found
    else:
        raise FieldProblem(f"{prefix}_invalid", f"{label} {show(value)} is not a coordinate")
    if not math.isfinite(degrees):
        raise FieldProblem(f"{prefix}_invalid", f"{label} {show(value)} is not a finite number")
    return Parsed(round(sign * degrees, 6), fix)


def _address_text(value: Any, label: str, kind: str) -> tuple[str, str | None]:
    """Address text half-width and trimmed, with the fix kind that took (fullwidth_ip, ip_padded)."""
    _blank_check(value, label, kind.split("_")[0])
    if not isinstance(value, str):
        raise FieldProblem(kind, f"{label} {show(value)} is not a valid address (not text)")
    # An IME's ideographic full stop (。) stands in for the dot.
    half = to_halfwidth(value).replace("。", ".")
    text = half.strip()
    if half != value:
        return text, "fullwidth_ip"
    return text, ("ip_padded" if text != value else None)


def _octet_problem(text: str) -> str:
    parts = text.split(".")
    if len(parts) != 4 or not all(re.fullmatch(r"[0-9]+", p) for p in parts):
        return "expected four numbers 0-255 separated by dots"
    for part in parts:
        if len(part) > 3 or int(part) > 255:
            return f"octet {show(part)} > 255"
        if len(part) > 1 and part.startswith("0"):
            return f"octet {part} has a leading zero"
    return "not an IPv4 address"


def parse_ipv4(value: Any, *, label: str = "IPV4") -> Parsed:
    """A dotted-quad IPv4 address in ASCII."""
    text, fix = _address_text(value, label, "ip_invalid")
    try:
        address = ipaddress.IPv4Address(text)
    except ValueError:
        raise FieldProblem(
            "ip_invalid", f"{label} {show(text)} is not a valid address ({_octet_problem(text)})"
        ) from None
    return Parsed(str(address), fix)


def parse_ipv6(value: Any, *, label: str = "IPV6") -> Parsed:
    """An IPv6 address in its compressed lower-case form."""
    text, fix = _address_text(value, label, "ipv6_invalid")
    try:
        # A zone (%eth0) names an interface of one host; it means nothing in a registry.
        if "%" in text:
            raise ValueError(text)
        address = ipaddress.IPv6Address(text)
    except ValueError:
        raise FieldProblem("ipv6_invalid", f"{label} {show(text)} is not a valid IPv6 address") from None
    canonical = address.compressed
    return Parsed(canonical, fix or ("ipv6_canonical" if canonical != text else None))


_MAC_FORMS = (
    (re.compile(r"[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}"), "sep"),
    (re.compile(r"[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}"), "mac_cisco_dot"),
    (re.compile(r"[0-9A-Fa-f]{12}"), "mac_bare"),
)


def _mac_fix(text: str, form: str) -> str | None:
    if form != "sep":
        return form
    upper = text == text.upper()
    if ":" in text:
        return None if upper else "mac_lower_colon"
    return "mac_upper_hyphen" if upper else "mac_lower_hyphen"


def parse_mac(value: Any, *, label: str = "MAC地址") -> Parsed:
    """A MAC address as AA:BB:CC:DD:EE:FF from colon, hyphen, Cisco-dot or bare-hex forms."""
    _blank_check(value, label, "mac")
    if not isinstance(value, str):
        raise FieldProblem("mac_invalid", f"{label} {show(value)} is not a MAC address")
    text = to_halfwidth(value).strip()
    for pattern, form in _MAC_FORMS:
        if pattern.fullmatch(text):
            digits = re.sub(r"[^0-9A-Fa-f]", "", text).upper()
            canonical = ":".join(digits[i : i + 2] for i in range(0, 12, 2))
            fix = _mac_fix(text, form)
            if fix is None and canonical != value:
                fix = "fullwidth_mac" if to_halfwidth(value) != value else "mac_padded"
            return Parsed(canonical, fix)
    raise FieldProblem("mac_invalid", f"{label} {show(value)} is not a MAC address")


# Excel's day 0; serials count from here (its fictitious 1900-02-29 lies before any camera).
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_SERIAL_RANGE = (367, 2958465)  # 1901-01-01 .. 9999-12-31
_DATE_FORMS = (
    (re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"), None),
    (re.compile(r"([0-9]{4})/([0-9]{1,2})/([0-9]{1,2})"), "date_slash"),
    (re.compile(r"([0-9]{4})\.([0-9]{1,2})\.([0-9]{1,2})"), "date_dot"),
    (re.compile(r"([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})[日号]?"), "date_cn"),
    (re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})"), "date_compact"),
)
# A date cell saved to CSV often keeps a midnight time.
_TIME_SUFFIX = re.compile(r"(.+?)[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?")


def _real_date(year: str, month: str, day: str, label: str, prefix: str) -> dt.date:
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        raise FieldProblem(
            f"{prefix}_invalid", f"{label} {year}-{month}-{day} is not a real date"
        ) from None


def _date_from_number(value: float, label: str, prefix: str) -> Parsed:
    whole = int(value)
    if 19000101 <= whole <= 99991231:
        text = str(whole)
        return Parsed(_real_date(text[:4], text[4:6], text[6:], label, prefix), "date_compact")
    if _SERIAL_RANGE[0] <= whole <= _SERIAL_RANGE[1]:
        return Parsed(_EXCEL_EPOCH + dt.timedelta(days=whole), "date_serial")
    raise FieldProblem(f"{prefix}_invalid", f"{label} {show(value)} is not a date")


def _date_from_text(value: str, label: str, prefix: str) -> Parsed:
    text = to_halfwidth(value).strip()
    timed = _TIME_SUFFIX.fullmatch(text)
    core = timed[1] if timed else text
    for pattern, fix in _DATE_FORMS:
        if match := pattern.fullmatch(core):
            found = _real_date(match[1], match[2], match[3], label, prefix)
            if fix is None and found.isoformat() != core:
                fix = "date_unpadded"
            return Parsed(found, fix or ("date_with_time" if timed else None))
    raise FieldProblem(f"{prefix}_invalid", f"{label} {show(value)} is not a date")


def parse_date(value: Any, *, label: str = "日期", prefix: str = "date") -> Parsed:
    """A calendar date from an Excel date cell, an Excel serial, or text in the usual spellings."""
    _blank_check(value, label, prefix)
    if isinstance(value, dt.datetime):
        return Parsed(value.date(), "date_excel")
    if isinstance(value, dt.date):
        return Parsed(value)
    if isinstance(value, str):
        return _date_from_text(value, label, prefix)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 1e8:
        return _date_from_number(value, label, prefix)
    raise FieldProblem(f"{prefix}_invalid", f"{label} {show(value)} is not a date")


def parse_int(value: Any, *, label: str = "整数", prefix: str = "int") -> Parsed:
    """An integer from an int cell, a float cell without fraction, or numeric text."""
    _blank_check(value, label, prefix)
    number = _number_text(value)
    fix = None
    if number is None and isinstance(value, str):
        half = to_halfwidth(value).strip()
        fix = f"fullwidth_{prefix}" if to_halfwidth(value) != value else None
        number = half[:-2] if half.endswith(".0") else half
    if number is None or not re.fullmatch(r"[+-]?[0-9]{1,15}", number):
        raise FieldProblem(f"{prefix}_invalid", f"{label} {show(value)} is not a whole number")
    return Parsed(int(number), fix)


# Text accepted for the yes/no 联网属性 besides the table's own words.
_BOOL_WORDS = {"是": True, "否": False, "true": True, "false": False, "yes": True, "no": False,
               "1": True, "0": False}


@functools.lru_cache(maxsize=None)
def _word_index(table_key: str) -> dict[str, Any]:
    """Word -> code for one code table (built once: every row of every import asks)."""
    return {word: code for code, text in CODE_TABLES[table_key].items() for word in words(text)}


def _enum_problem(value: Any, table_key: str, label: str, prefix: str) -> FieldProblem:
    table = CODE_TABLES[table_key]
    numeric = all(isinstance(code, int) and not isinstance(code, bool) for code in table)
    choices = ",".join(str(code) for code in table) if numeric else ",".join(table.values())
    return FieldProblem(f"{prefix}_invalid", f"{label} {show(value)} is not one of {choices}")


def _enum_bool(value: Any, table_key: str, label: str, prefix: str) -> Parsed:
    if isinstance(value, bool):
        return Parsed(value)
    text = _number_text(value)
    if text is None and isinstance(value, str):
        text = to_halfwidth(value).strip()
    if text is not None:
        found = _word_index(table_key).get(text)
        found = _BOOL_WORDS.get(text.lower()) if found is None else found
        if found is not None:
            return Parsed(found)
    raise _enum_problem(value, table_key, label, prefix)


def _enum_numeric(value: Any, table_key: str, label: str, prefix: str) -> Parsed:
    number = _number_text(value)
    if number is None and isinstance(value, str):
        text = to_halfwidth(value).strip()
        if text in (index := _word_index(table_key)):
            # The sheet convention is the number; a word in its place is a repaired cell.
            return Parsed(index[text], f"{prefix}_word")
        number = text[:-2] if text.endswith(".0") else text
    if number is not None and re.fullmatch(r"[0-9]{1,3}", number) and int(number) in CODE_TABLES[table_key]:
        return Parsed(int(number))
    raise _enum_problem(value, table_key, label, prefix)


def _enum_named(value: Any, table_key: str, label: str, prefix: str) -> Parsed:
    if isinstance(value, str):
        text = to_halfwidth(value).strip()
        # Words are how offices write these columns, so reading one is no repair.
        found = _word_index(table_key).get(text)
        found = found or next((c for c in CODE_TABLES[table_key] if c.lower() == text.lower()), None)
        if found is not None:
            return Parsed(found)
    raise _enum_problem(value, table_key, label, prefix)


def parse_enum(value: Any, table_key: str, *, label: str = "代码", prefix: str | None = None) -> Parsed:
    """A code from CODE_TABLES[table_key], given as the code or the Chinese word."""
    prefix = prefix or table_key
    _blank_check(value, label, prefix)
    table = CODE_TABLES[table_key]
    if all(isinstance(code, bool) for code in table):
        return _enum_bool(value, table_key, label, prefix)
    if all(isinstance(code, int) for code in table):
        return _enum_numeric(value, table_key, label, prefix)
    return _enum_named(value, table_key, label, prefix)
