"""Import an office sheet (一机一档) into the registry: validate every row, then upsert by 设备编码."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from assetsvc import db
from assetsvc.bulk import connection, insert_head, insert_postgres, insert_rows, row_values
from assetsvc.actor import Actor
from assetsvc.audit import service as audit
from assetsvc.audit.tables import Change
from assetsvc.errors import Forbidden, ValidationFailed, field_error
from assetsvc.registry import service_periods as periods
from assetsvc.registry.crud import plan_each_query
from assetsvc.registry.lookups import Lookups
from assetsvc.registry.regions_sync import ensure_regions
from assetsvc.registry.rules import camera_rules
from assetsvc.registry.fields import near_field
from assetsvc.registry.sheet import Column, SheetError, ignored_rows, read_sheet
from assetsvc.registry.tables import Camera
from assetsvc.registry.validate import RowVerdict, ValidationRules, validate_rows

# Sheet fields stored on the camera as they are; the rest are looked up (station, owner, contractor).
DIRECT = (
    "gb_id", "name", "vendor", "model", "region_code", "site_alias", "address", "longitude",
    "latitude", "ipv4", "ipv6", "mac", "camera_type", "point_class", "networked", "province_networked",
    "province_networked_on", "install_date",
    "retention_days", "light", "direction", "contact", "status", "stream_uri",
)
TEXT_DEFAULTS = {"vendor": "", "model": "", "site_alias": "", "address": "", "contact": "", "stream_uri": ""}
CHUNK = 500
# An import that creates this many cameras (a first registry of a city) refreshes the planner's
# statistics of the camera table at once: until autovacuum's analyze comes round, PostgreSQL
# plans for the empty table it last saw, and the next sync_tasks then probes the task index once
# per camera (docs/performance.md: a steady sync at 100,000 cameras took 11-14 s so, 4-8 s after).
ANALYZE_AFTER_ROWS = 1000
DATES = ("registered_on", "decommissioned_on")  # sheet dates that set the service periods, not camera columns


@dataclass
class Progress:
    """How far an import is: the stage (reading, validating, writing) and rows through it.

    Written by the import (from its worker thread while reading and validating) and read by
    whoever shows it: a job's heartbeat, the CLI's counter. `listener`, when given, hears every
    change, in the thread that made it.
    """

    stage: str = "queued"
    done: int = 0
    total: int = 0
    listener: Callable[["Progress"], None] | None = None

    def at(self, stage: str, done: int = 0, total: int = 0) -> None:
        self.stage, self.done, self.total = stage, done, total
        if self.listener is not None:
            self.listener(self)


@dataclass
class ImportReport:
    """What an import found and did, per sheet row."""

    file: str
    sheet: str
    header_row: int
    rows: list[dict[str, Any]] = field(default_factory=list)
    ignored: dict[int, str] = field(default_factory=dict)
    blank: list[tuple[int, int]] = field(default_factory=list)
    custom_columns: list[dict[str, Any]] = field(default_factory=list)
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
            "ignored_rows": ignored_rows(self.ignored, self.blank),
            "custom_columns": self.custom_columns,
            "rows": self.rows,
        }


def custom_columns(columns: list[Column]) -> list[dict[str, Any]]:
    """Each column kept as a custom field, said aloud, with the standard field it may have meant."""
    notes = []
    for column in columns:
        if column.key is not None:
            continue
        near = near_field(column.header)
        message = f"column {column.letter} '{column.header}' kept as a custom column"
        if near is not None:
            message += f"; did you mean {near.header}?"
        notes.append({"column": column.letter, "header": column.header,
                      "did_you_mean": near.header if near else None, "message": message})
    return notes


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
    for flag in ("networked", "province_networked"):
        if flag in values and values[flag] is None:
            values[flag] = False
    if "status" in values and values["status"] is None:
        values["status"] = "active"
    if "station" in present:
        values["station"] = lookups.station_id(verdict.values.get("region_code"), verdict.values.get("station"))
    if "owner_unit" in present:
        values["owner"] = lookups.owner_id(verdict.values.get("owner_unit"))
    if "contractor" in present:
        values["contractor"] = lookups.contractor_id(verdict.values.get("contractor"))
    return values


def _read_and_validate(data: bytes, filename: str, max_bytes: int, rules: ValidationRules,
                       dry_run: bool, progress: Progress) -> tuple[ImportReport, list[RowVerdict], set[str]]:
    """The CPU-bound half of an import (no database): read the sheet, validate every row."""
    progress.at("reading")
    try:
        sheet = read_sheet(data, filename, max_bytes=max_bytes,
                           on_rows=lambda n: progress.at("reading", n))
    except SheetError as exc:
        raise ValidationFailed(str(exc), [field_error("file", "unreadable", str(exc))]) from None
    total = len(sheet.rows)
    progress.at("validating", 0, total)
    verdicts = validate_rows(sheet.rows, rules=rules, on_rows=lambda n: progress.at("validating", n, total))
    report = ImportReport(file=filename, sheet=sheet.sheet_name, header_row=sheet.header_row,
                          ignored=dict(sheet.ignored), blank=list(sheet.blank), dry_run=dry_run,
                          custom_columns=custom_columns(sheet.columns))
    report.rows = [v.to_json() for v in verdicts]
    return report, verdicts, {key for _, _, key in sheet.columns if key}


async def import_sheet(
    data: bytes, filename: str, actor: Actor, *, dry_run: bool = False,
    skip_invalid: bool = False, max_bytes: int = 50 * 2**20, source: str = "import",
    progress: Progress | None = None,
) -> ImportReport:
    """Validate a sheet and, unless it is a dry run or (atomic mode) any row is invalid, write it.

    Reading and validating run in a worker thread, so that a big or hostile sheet never holds
    the event loop (a 100,000-row dry run blocked every request for 11 s when they did not);
    the database work stays on the loop, where piccolo's engine and transactions live.
    """
    if actor.role != "admin":
        raise Forbidden("only the video office (admin) may import into the registry")
    progress = progress or Progress()
    report, verdicts, present = await asyncio.to_thread(
        _read_and_validate, data, filename, max_bytes, camera_rules(), dry_run, progress)
    lookups = await Lookups.load()
    for verdict, row in zip(verdicts, report.rows):
        if verdict.status == "ok" and "owner_unit" in present:
            problem = lookups.owner_conflict(verdict.values.get("owner_unit"), verdict.values.get("owner_class"))
            if problem:
                _reject(verdict, row, "owner_class", "owner_class_conflict", problem)
    now = time.time()
    await _check_periods([(v, r) for v, r in zip(verdicts, report.rows) if r["status"] == "accepted"],
                         present, now)
    good = [(v, r) for v, r in zip(verdicts, report.rows) if r["status"] == "accepted"]
    if report.rejected and not skip_invalid:
        return report  # atomic: nothing is written when any row is invalid
    for verdict, _ in good:
        lookups.plan(verdict.values, present)
    progress.at("writing", 0, len(good))
    if dry_run:
        lookups.assign_placeholders()
        creates, updates = await _plan(good, present, lookups, now)
    else:
        async with db.write_transaction():
            await plan_each_query(Camera)  # see there: the gb_id IN (...) lookups
            await lookups.save(actor, source)
            creates, updates = await _plan(good, present, lookups, now)
            await _write(actor, creates, updates, source, progress)
        report.written = bool(creates or updates or lookups.created)
        if len(creates) >= ANALYZE_AFTER_ROWS:  # after the commit: the statistics must see the rows
            await db.engine().run_ddl("ANALYZE camera")
    progress.at("finished", len(good), len(good))
    report.created, report.updated = len(creates), len(updates)
    report.unchanged = len(good) - len(creates) - len(updates)
    return report


def _sheet_dates(verdict: RowVerdict, present: set[str]) -> tuple[float | None, float | None]:
    """The row's registration and decommissioning dates as instants (midnight opening each, office time)."""
    found = [verdict.values.get(k) if k in present else None for k in DATES]
    return tuple(None if d is None else periods.day_start(d) for d in found)  # type: ignore[return-value]


def _wanted_periods(verdict: RowVerdict, present: set[str], stored: dict[str, Any] | None,
                    stored_periods: list, now: float) -> list:
    """The camera's service periods after this row (raises periods.PeriodConflict)."""
    status = verdict.values.get("status") if "status" in present else None
    status = status or (stored["status"] if stored is not None and "status" not in present else "active")
    registered, decommissioned = _sheet_dates(verdict, present)
    # A date that is already the shown one keeps the stored instant (an export read back changes nothing).
    shown = periods.service_dates_of(stored_periods)
    if registered is not None and shown.registered_on == periods.local_day(registered):
        registered = None
    if decommissioned is not None and shown.decommissioned_on == periods.local_day(decommissioned):
        decommissioned = None
    for key, at in zip(DATES, (registered, decommissioned)):
        if at is not None and at > now:
            raise periods.PeriodConflict(f"{key} must not be in the future")
    return periods.plan(stored_periods, status, now, registered=registered, decommissioned=decommissioned)


async def _check_periods(good: list, present: set[str], now: float) -> None:
    """Reject rows whose dates and status cannot make service periods (before anything is written)."""
    if not any(k in present for k in DATES):
        return
    existing = await _existing([v.values["gb_id"] for v, _ in good])
    stored = await periods.stored_periods(row["id"] for row in existing.values())
    for verdict, row in good:
        camera = existing.get(verdict.values["gb_id"])
        try:
            _wanted_periods(verdict, present, camera, stored.get(camera["id"], []) if camera else [], now)
        except periods.PeriodConflict as exc:
            field_name = "decommissioned_on" if "decommission" in str(exc) else "registered_on"
            _reject(verdict, row, field_name, "service_period_conflict", str(exc))


def _period_change(before: list, after: list) -> dict[str, list[Any]]:
    """The shown dates that a change of periods moves, for the change log."""
    old, new = periods.service_dates_of(before), periods.service_dates_of(after)
    changes = audit.diff({"registered_on": old.registered_on, "decommissioned_on": old.decommissioned_on},
                         {"registered_on": new.registered_on, "decommissioned_on": new.decommissioned_on})
    if before != after and not changes:
        changes["service_periods"] = [len(before), len(after)]
    return changes


async def _plan(good: list, present: set[str], lookups: Lookups, now: float) -> tuple[list, list]:
    """Split accepted rows into creates and real updates; mark each report row with its action.

    Each create and update carries the camera's service periods after the row (`_periods`);
    an update whose only change is its periods is an update too.
    """
    existing = await _existing([v.values["gb_id"] for v, _ in good])
    stored_periods = await periods.stored_periods(row["id"] for row in existing.values())
    creates, updates = [], []
    for index, (verdict, row) in enumerate(good):
        if index % CHUNK == CHUNK - 1:
            await asyncio.sleep(0)  # let other requests in between chunks of this CPU work
        values = _camera_values(verdict, present, lookups)
        values["custom"] = verdict.values.get("custom") or {}
        stored = existing.get(values["gb_id"])
        try:
            before = stored_periods.get(stored["id"], []) if stored else []
            wanted = _wanted_periods(verdict, present, stored, before, now)
        except periods.PeriodConflict as exc:  # the rows were checked before: the registry changed since
            raise ValidationFailed(f"row {row['row']}: {exc}", [field_error("file", "service_period_conflict",
                                                                            f"row {row['row']}: {exc}")]) from None
        if stored is None:
            creates.append((values, wanted))
            row["action"] = "create"
            continue
        values["custom"] = {**(stored.get("custom") or {}), **values["custom"]}
        changes = audit.diff({k: stored.get(k) for k in values}, values)
        if wanted != before:
            changes.update(_period_change(before, wanted))
        row["action"] = "update" if changes else "unchanged"
        if changes:
            updates.append((stored["id"], values, changes, wanted if wanted != before else None))
    return creates, updates


async def _existing(gb_ids: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(gb_ids), CHUNK):
        part = gb_ids[start:start + CHUNK]
        query = Camera.select().where(Camera.gb_id.is_in(part)).output(load_json=True)
        for row in await query.run():
            found[row["gb_id"]] = row
    return found


async def _write(actor: Actor, creates: list, updates: list, source: str, progress: Progress) -> None:
    """Insert and update cameras in chunks, with one change-log row per camera touched."""
    now = dt.datetime.now(dt.timezone.utc)
    await ensure_regions({v["region_code"] for v, _ in creates} | {v["region_code"] for _, v, _, _ in updates
                                                                  if v.get("region_code")})
    for start in range(0, len(creates), CHUNK):
        chunk = creates[start:start + CHUNK]
        part = [values for values, _ in chunk]
        ids = await _insert_cameras([{**values, "created_at": now, "updated_at": now} for values in part])
        await periods.replace({ids[values["gb_id"]]: wanted for values, wanted in chunk}, source)
        # Each chunk's change rows are written with it rather than gathered for the end: the
        # same rows in the same transaction, without holding 100,000 of them in memory.
        await insert_rows(Change, [
            audit.change_row(actor.username, "create", "camera", ids[values["gb_id"]],
                             f"{values['gb_id']} {values['name']}", audit.diff({}, values),
                             source).to_dict()
            for values in part])
        progress.at("writing", start + len(part), progress.total)
    changes: list[dict[str, Any]] = []
    await periods.replace({camera_id: wanted for camera_id, _, _, wanted in updates if wanted is not None}, source)
    for camera_id, values, diff, _ in updates:
        await Camera.update({**values, "updated_at": now}).where(Camera.id == camera_id).run()
        changes.append(audit.change_row(actor.username, "update", "camera", camera_id,
                                        f"{values['gb_id']} {values.get('name', '')}", diff,
                                        source).to_dict())
        if len(changes) == CHUNK:
            await insert_rows(Change, changes)
            changes = []
            progress.at("writing", progress.done + CHUNK, progress.total)
    await insert_rows(Change, changes)


async def _insert_cameras(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert cameras in the transaction; their new ids by national ID.

    The ids come back from INSERT ... RETURNING rather than from a query by `gb_id IN (...)`
    afterwards: on PostgreSQL that query ran as a sequential scan of the growing table testing
    500 parameters one by one per row (see crud.plan_each_query), which made a 100,000-row
    import quadratic.
    """
    returning = ' RETURNING "id", "gb_id"'
    if isinstance(Camera._meta.db, PostgresEngine):
        found = await insert_postgres(Camera, rows, returning)
    elif sqlite3.sqlite_version_info < (3, 35):  # no RETURNING before SQLite 3.35
        await insert_rows(Camera, rows)
        found = await Camera.select(Camera.id, Camera.gb_id).where(
            Camera.gb_id.is_in([row["gb_id"] for row in rows])).run()
    else:
        columns, records = row_values(Camera, rows)
        one = "(" + ",".join("?" * len(columns)) + ")"
        sql = insert_head(Camera, columns) + "VALUES " + ",".join([one] * len(records)) + returning
        found = await connection(Camera).execute_fetchall(sql, [v for record in records for v in record])
    return {row["gb_id"]: row["id"] for row in found}
