"""Strict reading of an outline file: a GeoJSON FeatureCollection of (Multi)Polygons, one per region code.

Pure: bytes in, frozen Outline records or a ValidationFailed naming every bad feature by its path
(`features[3].geometry.coordinates[0]`), so nothing is stored from a file with any fault.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from assetsvc.errors import ValidationFailed, field_error
from assetsvc.registry import regions

# Properties tried, in order, when the upload does not name the one holding the region code.
# `adcode` is what the public DataV/Amap district files use (as a number); ours are strings.
CODE_PROPERTIES = ("region_code", "code", "adcode", "gb2260")
DATUMS = ("wgs84", "gcj02")
MAX_ERRORS = 50  # listed per upload; the message counts the rest


@dataclass(frozen=True, slots=True)
class Outline:
    """One district's outline: its GB/T 2260 code and name and a Polygon/MultiPolygon of [lon, lat]."""

    region_code: str
    name: str
    geometry_type: str
    coordinates: list
    vertices: int


class _Bad(Exception):
    """One fault in a feature, at a path inside it."""

    def __init__(self, path: str, kind: str, message: str) -> None:
        super().__init__(message)
        self.path, self.kind, self.message = path, kind, message


def _refuse_constant(name: str) -> float:
    # Python's json accepts NaN and Infinity, which JSON itself does not.
    raise ValueError(f"{name} is not a JSON number")


def load(content: bytes, max_bytes: int) -> Any:
    """The file's JSON value, or a ValidationFailed saying why it is not well-formed."""
    if len(content) > max_bytes:
        raise _fail("data", "too_large", f"the outline file is {len(content)} bytes; the limit is {max_bytes} "
                    "(ASSETSVC_OUTLINE_MAX_MB)")
    if not content.strip():
        raise _fail("data", "empty", "the outline file is empty")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _fail("data", "encoding", f"the outline file is not UTF-8 text (byte {exc.start})") from None
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise _fail("data", "json", f"not well-formed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except ValueError as exc:
        raise _fail("data", "json", f"not well-formed JSON: {exc}") from None
    except RecursionError:
        raise _fail("data", "json", "not well-formed JSON: nested too deeply") from None


def parse(content: bytes, max_bytes: int, code_property: str | None = None) -> list[Outline]:
    """Every feature of the file as an Outline; any fault anywhere refuses the whole file."""
    doc = load(content, max_bytes)
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise _fail("type", "type", "the file must be a GeoJSON object with \"type\": \"FeatureCollection\"")
    features = doc.get("features")
    if not isinstance(features, list) or not features:
        raise _fail("features", "required", "\"features\" must be a non-empty array of Feature objects")
    outlines: list[Outline] = []
    errors: list[dict] = []
    seen: dict[str, int] = {}
    for index, feature in enumerate(features):
        try:
            outline = _feature(feature, code_property)
            if outline.region_code in seen:
                raise _Bad(".properties", "duplicate", f"region {outline.region_code} is already outlined by "
                           f"features[{seen[outline.region_code]}]")
            seen[outline.region_code] = index
            outlines.append(outline)
        except _Bad as bad:
            errors.append(field_error(f"features[{index}]{bad.path}", bad.kind, bad.message))
    if errors:
        more = f" (the first {MAX_ERRORS} are listed)" if len(errors) > MAX_ERRORS else ""
        raise ValidationFailed(f"{len(errors)} of {len(features)} features are invalid{more}; nothing was stored",
                               errors[:MAX_ERRORS])
    return outlines


def _fail(field: str, kind: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, [field_error(field, kind, message)])


def _feature(feature: Any, code_property: str | None) -> Outline:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise _Bad("", "type", "each feature must be an object with \"type\": \"Feature\"")
    code = _code(feature.get("properties"), code_property)
    region = regions.region(code)
    if region is None:
        raise _Bad(".properties", "unknown_region", f"{code} is not a GB/T 2260 region code")
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict):
        raise _Bad(".geometry", "required", "a feature needs a geometry object")
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates")
    if kind == "Polygon":
        rings, vertices = _polygon(coordinates, ".geometry.coordinates")
        return Outline(code, region.name, kind, rings, vertices)
    if kind == "MultiPolygon":
        if not isinstance(coordinates, list) or not coordinates:
            raise _Bad(".geometry.coordinates", "type", "a MultiPolygon's coordinates must be a non-empty array")
        polygons, total = [], 0
        for i, polygon in enumerate(coordinates):
            rings, vertices = _polygon(polygon, f".geometry.coordinates[{i}]")
            polygons.append(rings)
            total += vertices
        return Outline(code, region.name, kind, polygons, total)
    raise _Bad(".geometry.type", "type", f"geometry type {kind!r} is not an outline: Polygon or MultiPolygon only")


def _code(properties: Any, code_property: str | None) -> str:
    if not isinstance(properties, dict):
        raise _Bad(".properties", "required", "a feature needs properties naming its region code")
    names = (code_property,) if code_property else CODE_PROPERTIES
    name = next((n for n in names if properties.get(n) not in (None, "")), None)
    if name is None:
        raise _Bad(".properties", "required", f"no region code: expected a property {' or '.join(names)}")
    value = properties[name]
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise _Bad(f".properties.{name}", "type", f"{name} must be a 6-digit code, not {json.dumps(value)[:40]}")
    code = str(value).strip()
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        raise _Bad(f".properties.{name}", "invalid", f"{name} {code[:40]!r} is not a 6-digit GB/T 2260 code")
    return code


def _polygon(rings: Any, path: str) -> tuple[list, int]:
    """A polygon's rings as [[lon, lat], ...] (altitude dropped), and its vertex count."""
    if not isinstance(rings, list) or not rings:
        raise _Bad(path, "type", "a polygon must be a non-empty array of linear rings")
    out, vertices = [], 0
    for r, ring in enumerate(rings):
        where = f"{path}[{r}]"
        if not isinstance(ring, list) or len(ring) < 4:
            raise _Bad(where, "ring", "a linear ring needs at least 4 positions (the first repeated last)")
        points = [_position(p, f"{where}[{i}]") for i, p in enumerate(ring)]
        if points[0] != points[-1]:
            raise _Bad(where, "ring_open", "the ring is not closed: its last position must equal its first")
        out.append(points)
        vertices += len(points)
    return out, vertices


def _position(position: Any, path: str) -> list[float]:
    if not isinstance(position, list) or len(position) not in (2, 3):
        raise _Bad(path, "position", "a position must be [longitude, latitude] (optionally with altitude)")
    for value in position:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise _Bad(path, "position", f"coordinates must be finite numbers, not {json.dumps(value)[:40]}")
    lon, lat = position[0], position[1]
    if not -180 <= lon <= 180:
        raise _Bad(path, "range", f"longitude {lon} is outside -180..180")
    if not -90 <= lat <= 90:
        raise _Bad(path, "range", f"latitude {lat} is outside -90..90 (are longitude and latitude swapped?)")
    return [lon, lat]
