"""Report exports: JSON (the stored content), XLSX (one sheet per table, merged title rows), CSV per table."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from assetsvc.actor import Actor
from assetsvc.errors import ValidationFailed, field_error
from assetsvc.registry.exporter import csv_text
from assetsvc.reports import versions
from assetsvc.reports.tables_out import NAMES, PERCENT, Table, tables

FORMATS = ("json", "xlsx", "csv", "pdf")
MEDIA_TYPES = {"json": "application/json", "csv": "text/csv; charset=utf-8", "pdf": "application/pdf",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _bad(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, [field_error(field, "invalid", message)])


def _title(record: dict[str, Any], table: Table) -> str:
    draft = "" if record["status"] == "approved" else f"（{record['status']}，未审核）"
    return f"{record['month']} 月报 第{record['version']}版 · {table.title}{draft}"


def to_xlsx(record: dict[str, Any], found: list[Table]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for table in found:
        sheet = book.create_sheet(table.title)
        width = max(1, len(table.columns))
        sheet.cell(row=1, column=1, value=_title(record, table)).font = Font(bold=True, size=14)
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
        sheet.cell(row=1, column=1).alignment = Alignment(horizontal="center")
        for col, column in enumerate(table.columns, start=1):
            sheet.cell(row=2, column=col, value=column.header).font = Font(bold=True)
            sheet.column_dimensions[get_column_letter(col)].width = max(10, min(40, 2 * len(column.header) + 2))
        for r, row in enumerate(table.rows, start=3):
            for col, (column, cell) in enumerate(zip(table.columns, row), start=1):
                # Text goes in as a string cell, never a formula (registry/exporter.py's rule).
                written = sheet.cell(row=r, column=col)
                written.value = cell if not isinstance(cell, str) else cell
                if isinstance(cell, str):
                    written.data_type = "s"
                elif column.kind == PERCENT and cell is not None:
                    written.number_format = "0.00%"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_csv(table: Table) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow([c.header for c in table.columns])
    for row in table.rows:
        writer.writerow(["" if cell is None else csv_text(cell) for cell in row])
    return ("\ufeff" + text.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 Chinese text right


async def export(actor: Actor, month: str, fmt: str, version: int | None = None,
                 table: str | None = None) -> tuple[str, str, bytes]:
    """(file name, media type, bytes) of a version (the approved one when none is named)."""
    if fmt not in FORMATS:
        raise _bad("format", f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    if fmt == "csv" and table not in NAMES:
        raise _bad("table", f"a CSV holds one table: name it, one of {', '.join(NAMES)}")
    if fmt != "csv" and table is not None:
        raise _bad("table", "only a CSV export takes a table")
    record, content = await versions.read(actor, month, version)
    stem = f"report-{record['month']}-v{record['version']}"
    if fmt == "json":
        body = {"version": {k: record[k] for k in ("month", "version", "status", "content_hash", "approved_at",
                                                     "approved_by")}, "report": content}
        return f"{stem}.json", MEDIA_TYPES[fmt], json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")
    found = tables(content)
    if fmt == "xlsx":
        return f"{stem}.xlsx", MEDIA_TYPES[fmt], to_xlsx(record, found)
    if fmt == "pdf":
        from assetsvc.reports.pdf import to_pdf  # fpdf2 loads only when a PDF is asked for

        return f"{stem}.pdf", MEDIA_TYPES[fmt], to_pdf(record, content, found)
    chosen = next((t for t in found if t.name == table), None)
    if chosen is None:
        raise _bad("table", f"table {table} is not in what this account may read")
    return f"{stem}-{table}.csv", MEDIA_TYPES[fmt], to_csv(chosen)
