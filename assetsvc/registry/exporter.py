"""Export cameras to the office's XLSX layout, CSV or GeoJSON (the sheets import back losslessly)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any, Iterable, Mapping

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from assetsvc.actor import Actor
from assetsvc.errors import ValidationFailed, field_error
from assetsvc.registry import crud
from assetsvc.registry.entities import CAMERA
from assetsvc.registry.fields import CODE_TABLES, FIELDS, words
from assetsvc.registry.sheet import FORMULA_START

FORMATS = ("xlsx", "csv", "geojson")
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "geojson": "application/geo+json",
}
# Codes the office's sheets carry as numbers; other code tables are written as their words.
NUMERIC_CODES = ("camera_type", "point_class")
# Sheet fields that live on related records; the rest are camera columns.
JOINED = {"station": "station_name", "owner_unit": "owner_name", "owner_class": "owner_class",
          "contractor": "contractor_name"}


async def camera_rows(actor: Actor, filters: Mapping[str, str], q: str | None) -> list[dict[str, Any]]:
    """Every camera the caller may see that matches the list filters, in national-ID order."""
    rows: list[dict[str, Any]] = []
    page = 1
    while True:
        found = await crud.list_records(CAMERA, actor, filters, q=q, sort="gb_id", page=page,
                                        per_page=crud.MAX_PAGE)
        rows += found["items"]
        if len(rows) >= found["total"] or not found["items"]:
            return rows
        page += 1


def sheet_value(key: str, row: Mapping[str, Any]) -> Any:
    """A camera's value as the office writes it in its sheet."""
    value = row.get(JOINED.get(key, key))
    if value is None:
        return None
    if key in CODE_TABLES and key not in NUMERIC_CODES:
        return words(CODE_TABLES[key][value])[0]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def custom_headers(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """Every custom column any exported camera carries, in first-seen order."""
    seen: dict[str, None] = {}
    for row in rows:
        for key in row.get("custom") or {}:
            seen.setdefault(key, None)
    return list(seen)


def _stored_custom(value: Any) -> Any:
    """A custom value stored before the validator refused nested values and control characters,
    made writable, so that one old record cannot fail the export for everyone."""
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    return value


def table(rows: list[Mapping[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """Header and body of the office layout: standard columns, then custom ones."""
    extra = custom_headers(rows)
    header = [f.header for f in FIELDS] + [_stored_custom(h) for h in extra]
    body = [[sheet_value(f.key, r) for f in FIELDS]
            + [_stored_custom((r.get("custom") or {}).get(h)) for h in extra] for r in rows]
    return header, body


def _cell(sheet, value: Any) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.number_format = "@"  # text cells, so Excel never turns a 20-digit ID into 4.5E+19
        # openpyxl quirk: assigning a str longer than one character that starts with "=" makes
        # a formula cell (data_type "f"), and one spelling an error code ("#N/A") an error cell
        # (Cell._bind_value). Sheet text is untrusted (formula injection: =HYPERLINK(...)), so
        # every text value, headers included, is written as a string cell.
        cell.data_type = "s"
    return cell


def to_xlsx(rows: list[Mapping[str, Any]], title: str) -> bytes:
    """The 一机一档 workbook: merged title row, blank row, header, data, 合计 row."""
    header, body = table(rows)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("一机一档")
    sheet.append([_cell(sheet, title)])
    sheet.append([])
    sheet.append([_cell(sheet, h) for h in header])
    sheet.merged_cells.add(f"A1:{get_column_letter(len(header))}1")
    for values in body:
        sheet.append([_cell(sheet, value) for value in values])
    sheet.append(["合计", f"共{len(body)}路"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_text(value: Any) -> Any:
    """A text cell that Excel would read as a formula (=, +, -, @, tab, CR first), behind a `'`.

    Text already behind apostrophes gets one more, so that the import, which removes exactly one
    apostrophe before those characters (sheet.unquote), gives back the value as stored.
    """
    if isinstance(value, str) and FORMULA_START.match(value):
        return "'" + value
    return value


def to_csv(rows: list[Mapping[str, Any]]) -> bytes:
    """UTF-8 with a BOM so that Excel on a Chinese desktop opens it with the right characters."""
    header, body = table(rows)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_text(h) for h in header])
    writer.writerows(["" if v is None else csv_text(v) for v in values] for values in body)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_geojson(rows: list[Mapping[str, Any]]) -> bytes:
    """A FeatureCollection of points (WGS-84) with the record's fields as properties."""
    features = []
    for row in rows:
        props = {f.key: sheet_value(f.key, row) for f in FIELDS}
        props["custom"] = row.get("custom") or {}
        geometry = None
        if row.get("longitude") is not None and row.get("latitude") is not None:
            geometry = {"type": "Point", "coordinates": [row["longitude"], row["latitude"]]}
        features.append({"type": "Feature", "id": row["gb_id"], "geometry": geometry, "properties": props})
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode()


async def export_cameras(actor: Actor, fmt: str, filters: Mapping[str, str], q: str | None = None,
                         title: str | None = None) -> bytes:
    """The filtered registry in one of FORMATS."""
    if fmt not in FORMATS:
        raise ValidationFailed(f"format {fmt!r} is not one of {', '.join(FORMATS)}",
                               [field_error("format", "invalid", f"use {', '.join(FORMATS)}")])
    rows = await camera_rows(actor, filters, q)
    if fmt == "xlsx":
        return to_xlsx(rows, title or f"视频监控点位一机一档（导出 {dt.date.today().isoformat()}）")
    if fmt == "csv":
        return to_csv(rows)
    return to_geojson(rows)

