"""Import an office sheet (一机一档) into the registry: validate every row, then upsert by 设备编码."""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from piccolo.columns import JSON, JSONB, Column
from piccolo.columns.defaults.base import Default
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.table import Table
from piccolo.utils.encoding import dump_json

from assetsvc import db
from assetsvc.accounts.service import Actor
from assetsvc.audit import service as audit
from assetsvc.audit.tables import Change
from assetsvc.errors import Forbidden, ValidationFailed, field_error
from assetsvc.registry.crud import plan_each_query
from assetsvc.registry.lookups import Lookups
from assetsvc.registry.regions_sync import ensure_regions
from assetsvc.registry.rules import camera_rules
from assetsvc.registry.sheet import SheetError, read_sheet
from assetsvc.registry.tables import Camera
from assetsvc.registry.validate import RowVerdict, validate_rows

# Sheet fields stored on the camera as they are; the rest are looked up (station, owner, contractor).
DIRECT = (
    "gb_id", "name", "vendor", "model", "region_code", "site_alias", "address", "longitude",
    "latitude", "ipv4", "ipv6", "mac", "camera_type", "point_class", "networked", "install_date",
    "retention_days", "light", "direction", "contact", "status",
)
TEXT_DEFAULTS = {"vendor": "", "model": "", "site_alias": "", "address": "", "contact": ""}
CHUNK = 500


@dataclass
class ImportReport:
    """What an import found and did, per sheet row."""

    file: str
    sheet: str
    header_row: int
    rows: list[dict[str, Any]] = field(default_factory=list)
    ignored: dict[int, str] = field(default_factory=dict)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    written: bool = False
    dry_run: bool = False

    @property
    def accepted(self) -> int:
        return sum(1 for r in self.rows if r["status"] == "accepted")

    @property
    def rejected(self) -> int:
        return sum(1 for r in self.rows if r["status"] == "rejected")

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file, "sheet": self.sheet, "header_row": self.header_row,
            "summary": {"rows": len(self.rows), "accepted": self.accepted, "rejected": self.rejected,
                        "created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                        "written": self.written, "dry_run": self.dry_run},
            "ignored_rows": {str(k): v for k, v in self.ignored.items()},
            "rows": self.rows,
        }


def _reject(verdict: RowVerdict, report_row: dict, field_name: str, kind: str, reason: str) -> None:
    report_row["status"] = "rejected"
    report_row.pop("fixes", None)
    report_row.pop("gb_id", None)
    report_row["errors"] = [{"field": field_name, "kind": kind, "reason": reason}]


def _camera_values(verdict: RowVerdict, present: set[str], lookups: Lookups) -> dict[str, Any]:
    """The camera columns a row sets: only fields whose column the sheet has."""
    values = {k: verdict.values.get(k) for k in DIRECT if k in present}
    for key, default in TEXT_DEFAULTS.items():
        if key in values and values[key] is None:
            values[key] = default
    if "networked" in values and values["networked"] is None:
        values["networked"] = False
    if "status" in values and values["status"] is None:
        values["status"] = "active"
    if "station" in present:
        values["station"] = lookups.station_id(verdict.values.get("region_code"), verdict.values.get("station"))
    if "owner_unit" in present:
        values["owner"] = lookups.owner_id(verdict.values.get("owner_unit"))
    if "contractor" in present:
        values["contractor"] = lookups.contractor_id(verdict.values.get("contractor"))
    return values


async def import_sheet(
    data: bytes, filename: str, actor: Actor, *, dry_run: bool = False,
    skip_invalid: bool = False, max_bytes: int = 50 * 2**20, source: str = "import",
) -> ImportReport:
    """Validate a sheet and, unless it is a dry run or (atomic mode) any row is invalid, write it."""
    if actor.role != "admin":
        raise Forbidden("only the video office (admin) may import into the registry")
    try:
        sheet = read_sheet(data, filename, max_bytes=max_bytes)
    except SheetError as exc:
        raise ValidationFailed(str(exc), [field_error("file", "unreadable", str(exc))]) from None
    verdicts = validate_rows(sheet.rows, rules=camera_rules())
    report = ImportReport(file=filename, sheet=sheet.sheet_name, header_row=sheet.header_row,
                          ignored=dict(sheet.ignored), dry_run=dry_run)
    report.rows = [v.to_json() for v in verdicts]
    present = {key for _, _, key in sheet.columns if key}
    lookups = await Lookups.load()
    for verdict, row in zip(verdicts, report.rows):
        if verdict.status == "ok" and "owner_unit" in present:
            problem = lookups.owner_conflict(verdict.values.get("owner_unit"), verdict.values.get("owner_class"))
            if problem:
                _reject(verdict, row, "owner_class", "owner_class_conflict", problem)
    good = [(v, r) for v, r in zip(verdicts, report.rows) if r["status"] == "accepted"]
    if report.rejected and not skip_invalid:
        return report  # atomic: nothing is written when any row is invalid
    for verdict, _ in good:
        lookups.plan(verdict.values, present)
    if dry_run:
        lookups.assign_placeholders()
        creates, updates = await _plan(good, present, lookups)
    else:
        async with db.write_transaction():
            await plan_each_query(Camera)  # see there: the gb_id IN (...) lookups
            await lookups.save(actor, source)
            creates, updates = await _plan(good, present, lookups)
            await _write(actor, creates, updates, source)
        report.written = bool(creates or updates or lookups.created)
    report.created, report.updated = len(creates), len(updates)
    report.unchanged = len(good) - len(creates) - len(updates)
    return report


async def _plan(good: list, present: set[str], lookups: Lookups) -> tuple[list, list]:
    """Split accepted rows into creates and real updates; mark each report row with its action."""
    existing = await _existing([v.values["gb_id"] for v, _ in good])
    creates, updates = [], []
    for verdict, row in good:
        values = _camera_values(verdict, present, lookups)
        values["custom"] = verdict.values.get("custom") or {}
        stored = existing.get(values["gb_id"])
        if stored is None:
            creates.append(values)
            row["action"] = "create"
            continue
        values["custom"] = {**(stored.get("custom") or {}), **values["custom"]}
        changes = audit.diff({k: stored.get(k) for k in values}, values)
        row["action"] = "update" if changes else "unchanged"
        if changes:
            updates.append((stored["id"], values, changes))
    return creates, updates


async def _existing(gb_ids: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(gb_ids), CHUNK):
        part = gb_ids[start:start + CHUNK]
        query = Camera.select().where(Camera.gb_id.is_in(part)).output(load_json=True)
        for row in await query.run():
            found[row["gb_id"]] = row
    return found


async def _write(actor: Actor, creates: list, updates: list, source: str) -> None:
    """Insert and update cameras in chunks, with one change-log row per camera touched."""
    now = dt.datetime.now(dt.timezone.utc)
    await ensure_regions({v["region_code"] for v in creates} | {v["region_code"] for _, v, _ in updates
                                                               if v.get("region_code")})
    for start in range(0, len(creates), CHUNK):
        part = creates[start:start + CHUNK]
        ids = await _insert_cameras([{**values, "created_at": now, "updated_at": now} for values in part])
        # Each chunk's change rows are written with it rather than gathered for the end: the
        # same rows in the same transaction, without holding 100,000 of them in memory.
        await _insert_rows(Change, [
            audit.change_row(actor.username, "create", "camera", ids[values["gb_id"]],
                             f"{values['gb_id']} {values['name']}", audit.diff({}, values),
                             source).to_dict()
            for values in part])
    changes: list[dict[str, Any]] = []
    for camera_id, values, diff in updates:
        await Camera.update({**values, "updated_at": now}).where(Camera.id == camera_id).run()
        changes.append(audit.change_row(actor.username, "update", "camera", camera_id,
                                        f"{values['gb_id']} {values.get('name', '')}", diff,
                                        source).to_dict())
        if len(changes) == CHUNK:
            await _insert_rows(Change, changes)
            changes = []
    await _insert_rows(Change, changes)


# Bulk inserts below bypass piccolo's Table objects and go to the driver.
#
# Why: `table.insert(*[table(**row) ...])` spent about 75% of a 100,000-camera import's write
# phase in piccolo's per-row Python work: Table.__init__ resolving each ForeignKey's default, a
# nested QueryString per row and value, then QueryString.bundle splitting the template and making
# a Fragment per placeholder when it compiles. A flat `table.raw()` of the same multi-row INSERT
# still spent most of its time in that compile; the database itself took a few percent
# (docs/performance.md). So the rows go to the driver on the transaction's own connection (the
# one piccolo runs every query of `db.write_transaction()` on), with the values piccolo would
# send: column defaults as its constructor computes them, JSON columns dumped with piccolo's own
# dump_json, dates and times left to the same converters (piccolo's sqlite3 adapters, asyncpg's
# codecs).


def _records(table: type[Table], rows: list[dict[str, Any]]) -> tuple[list[Column], list[list[Any]]]:
    """The insertable columns and, per row, their values as piccolo's insert would send them."""
    columns = [c for c in table._meta.columns if not c._meta.primary_key]
    known = {c._meta.name for c in table._meta.columns}
    plan = [(c._meta.name, c.get_default_value(), isinstance(c, (JSON, JSONB))) for c in columns]
    records = []
    for row in rows:
        if not known.issuperset(row):  # as piccolo's constructor does, refuse a misspelt column
            raise ValueError(f"unrecognised {table._meta.tablename} columns: {sorted(set(row) - known)}")
        record = []
        for name, default, is_json in plan:
            value = row.get(name, default)
            if isinstance(value, Default):
                value = value.python()  # e.g. TimestamptzNow, evaluated per row as piccolo does
            if is_json and value is not None and not isinstance(value, str):
                value = dump_json(value)
            record.append(value)
        records.append(record)
    return columns, records


def _connection(table: type[Table]) -> Any:
    transaction = table._meta.db.current_transaction.get()
    if transaction is None:
        raise RuntimeError("bulk inserts run inside db.write_transaction()")
    return transaction.connection


def _insert_head(table: type[Table], columns: list[Column]) -> str:
    names = ",".join(f'"{c._meta.db_column_name}"' for c in columns)
    return f"INSERT INTO {table._meta.get_formatted_tablename()} ({names}) "


async def _insert_postgres(table: type[Table], rows: list[dict[str, Any]], returning: str = "") -> list:
    """PostgreSQL: INSERT ... SELECT FROM unnest(one array per column).

    Why not a multi-row VALUES list: 500 rows x 34 columns is a 17,000-parameter statement that
    the server parses and plans for every chunk; measured on 20,000 cameras it took 2.1 s
    against 0.9 s for unnest. The arrays are cast to the column's base type (VARCHAR, not
    VARCHAR(20), since an explicit cast would truncate), so a value that does not fit is
    refused on assignment exactly as with VALUES.
    """
    columns, records = _records(table, rows)
    casts = ",".join(f"${n}::{c.column_type.split('(')[0]}[]" for n, c in enumerate(columns, 1))
    sql = f"{_insert_head(table, columns)}SELECT * FROM unnest({casts}){returning}"
    return await _connection(table).fetch(sql, *[list(values) for values in zip(*records)])


async def _insert_rows(table: type[Table], rows: list[dict[str, Any]]) -> None:
    """Insert rows (column name -> value; absent columns take their default) in the transaction."""
    if not rows:
        return
    if isinstance(table._meta.db, PostgresEngine):
        await _insert_postgres(table, rows)
        return
    columns, records = _records(table, rows)
    sql = _insert_head(table, columns) + "VALUES (" + ",".join("?" * len(columns)) + ")"
    await _connection(table).executemany(sql, records)


async def _insert_cameras(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert cameras in the transaction; their new ids by national ID.

    The ids come back from INSERT ... RETURNING rather than from a query by `gb_id IN (...)`
    afterwards: on PostgreSQL that query ran as a sequential scan of the growing table testing
    500 parameters one by one per row (see crud.plan_each_query), which made a 100,000-row
    import quadratic.
    """
    returning = ' RETURNING "id", "gb_id"'
    if isinstance(Camera._meta.db, PostgresEngine):
        found = await _insert_postgres(Camera, rows, returning)
    elif sqlite3.sqlite_version_info < (3, 35):  # no RETURNING before SQLite 3.35
        await _insert_rows(Camera, rows)
        found = await Camera.select(Camera.id, Camera.gb_id).where(
            Camera.gb_id.is_in([row["gb_id"] for row in rows])).run()
    else:
        columns, records = _records(Camera, rows)
        one = "(" + ",".join("?" * len(columns)) + ")"
        sql = _insert_head(Camera, columns) + "VALUES " + ",".join([one] * len(records)) + returning
        found = await _connection(Camera).execute_fetchall(sql, [v for record in records for v in record])
    return {row["gb_id"]: row["id"] for row in found}
