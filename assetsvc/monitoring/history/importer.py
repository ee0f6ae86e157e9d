"""import_history(): read a history file, check every row, apply the overlap rule, write one batch.

Like the registry import: reading and checking rows run in a worker thread (no database); with
any rejected row nothing is written; the writing is one transaction. Rows already imported by a
standing batch (same content key) and rows repeated in the file are skipped, so importing the
same file again writes nothing and records no batch. A dry run plans the same and writes nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

from assetsvc import db
from assetsvc.actor import Actor
from assetsvc.errors import ValidationFailed, field_error
from assetsvc.monitoring.history import batches
from assetsvc.monitoring.history.clip import batches_of
from assetsvc.monitoring.history.kinds import Kind, kind_named
from assetsvc.monitoring.history.plan import Planned, mark_repeats
from assetsvc.monitoring.history.rows import RowProblems
from assetsvc.monitoring.tables import HistoryBatch
from assetsvc.monitoring.uptime_input import iso, parse_offset
from assetsvc.registry.crud import plan_each_query
from assetsvc.registry.importer import Progress
from assetsvc.registry.sheet import SheetError, ignored_rows, read_sheet

ACTIONS = ("import", "clip", "drop", "already_imported", "duplicate")


@dataclass
class HistoryReport:
    """What a history import found and did, per file row (the shape of docs/history-import.md)."""

    file: str
    kind: str
    sheet: str = ""
    header_row: int = 0
    dry_run: bool = False
    rows: list[dict[str, Any]] = field(default_factory=list)
    ignored: dict[int, str] = field(default_factory=dict)
    blank: list[tuple[int, int]] = field(default_factory=list)
    batch: int | None = None
    records: int = 0
    clipped_by: list[int] = field(default_factory=list)  # earlier batches rows lost time to
    tz: dt.timezone = dt.timezone.utc

    @property
    def rejected(self) -> int:
        return sum(1 for r in self.rows if r["status"] == "rejected")

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.get("action") == action)

    def summary(self) -> dict[str, Any]:
        return {"rows": len(self.rows), "accepted": len(self.rows) - self.rejected, "rejected": self.rejected,
                **{action: self.count(action) for action in ACTIONS}, "records": self.records,
                "clipped_by": self.clipped_by,
                "written": bool(self.records) and not self.dry_run, "dry_run": self.dry_run}

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "kind": self.kind, "sheet": self.sheet, "header_row": self.header_row,
                "batch": self.batch, "summary": self.summary(),
                "ignored_rows": ignored_rows(self.ignored, self.blank), "rows": self.rows}


def _read(kind: Kind, data: bytes, filename: str, max_bytes: int, dry_run: bool, tz: dt.timezone,
          now: float, progress: Progress) -> tuple[HistoryReport, list[Any]]:
    """The CPU half (no database): read the file and check each row."""
    progress.at("reading")
    try:
        sheet = read_sheet(data, filename, max_bytes=max_bytes, layout=kind.layout,
                           on_rows=lambda n: progress.at("reading", n))
    except SheetError as exc:
        raise ValidationFailed(str(exc), [field_error("file", "unreadable", str(exc))]) from None
    report = HistoryReport(filename, kind.name, sheet.sheet_name, sheet.header_row, dry_run,
                           ignored=dict(sheet.ignored), blank=list(sheet.blank), tz=tz)
    missing = [k for k in kind.columns if k not in {c.key for c in sheet.columns}]
    if missing:
        message = f"{filename} has no {' or '.join(missing)} column"
        raise ValidationFailed(message, [field_error("file", "missing_column", message)])
    accepted = []
    total = len(sheet.rows)
    for index, row in enumerate(sheet.rows, start=1):
        try:
            typed = kind.parse(row.row, row.raw, tz, now)
        except RowProblems as exc:
            report.rows.append({"row": row.row, "status": "rejected", "errors": exc.errors})
        else:
            accepted.append(typed)
            report.rows.append({"row": row.row, "status": "accepted"})
        if index % 1000 == 0:
            progress.at("validating", index, total)
    return report, accepted


def _reject(report: HistoryReport, errors: dict[int, tuple[str, str, str]]) -> None:
    for entry in report.rows:
        if entry["row"] in errors:
            name, kind, reason = errors[entry["row"]]
            entry.update(status="rejected", errors=[{"field": name, "kind": kind, "reason": reason}])


async def _resolve(kind: Kind, rows: list[Any], report: HistoryReport) -> dict[Any, Any]:
    """The registry references of the rows (cameras, sites...); unknown ones reject their rows."""
    refs, errors = await kind.resolve(rows)
    _reject(report, errors)
    return refs


async def _plan(kind: Kind, rows: list[Any], refs: dict[Any, Any], actor: Actor) -> list[Planned]:
    """Rows a standing batch or an earlier row already holds are skipped; the kind plans the rest."""
    done, left = mark_repeats(rows, await batches.imported_keys(kind.name, [r.key for r in rows]))
    planned = await kind.plan(left, refs, actor.username, time.time())
    return sorted(done + planned, key=lambda p: p.row)


def _describe(report: HistoryReport, planned: list[Planned]) -> None:
    by_row = {p.row: p for p in planned}
    for entry in report.rows:
        p = by_row.get(entry["row"])
        if p is None:
            continue
        entry["action"] = p.action
        if p.note:
            entry["held_by"] = p.note
        if p.clips:
            entry["clips"] = [{"from": iso(c.start, report.tz), "to": iso(c.end, report.tz), "by": c.by}
                              for c in p.clips]
        if p.records and report.kind == "states":
            entry["kept"] = [[iso(r["start"], report.tz), iso(r["end"], report.tz)] for r in p.records]


async def import_history(data: bytes, filename: str, actor: Actor, *, kind: str | None = "states",
                         dry_run: bool = False, max_bytes: int = 50 * 2**20, tz: str | None = None,
                         source: str = "import", progress: Progress | None = None,
                         now: float | None = None) -> HistoryReport:
    """Check and plan a history file and, unless it is a dry run or any row is rejected, write its batch."""
    batches.require_admin(actor)
    spec = kind_named(kind)
    progress = progress or Progress()
    offset = parse_offset(tz)
    report, rows = await asyncio.to_thread(_read, spec, data, filename, max_bytes, dry_run, offset,
                                           time.time() if now is None else now, progress)
    # One transaction for the look-ups, the plan and the writes: what is planned against is what
    # is written against. A dry run reads in a plain transaction and takes no write lock.
    async with (HistoryBatch._meta.db.transaction() if dry_run else db.write_transaction()):
        await plan_each_query(HistoryBatch)  # see there: the key and 设备编码 IN (...) look-ups
        if not dry_run:
            await batches.serialise()
        refs = await _resolve(spec, rows, report)
        if report.rejected:
            progress.at("finished", len(report.rows), len(report.rows))
            return report  # atomic: nothing is written while any row is rejected
        progress.at("writing", 0, len(rows))
        planned = await _plan(spec, rows, refs, actor)
        report.clipped_by = sorted(set().union(*(batches_of(p.clips) for p in planned)))
        _describe(report, planned)
        if dry_run:
            report.records = sum(len(p.records) for p in planned)
        else:
            await _write(spec, report, planned, actor, source, progress)
    progress.at("finished", len(rows), len(rows))
    return report


async def _write(spec: Kind, report: HistoryReport, planned: list[Planned], actor: Actor, source: str,
                 progress: Progress) -> None:
    """Write the planned records and, when there are any, their batch (inside the transaction)."""
    written = await spec.write(planned, progress)
    report.records = len(written)
    if written:
        clipped = sum(1 for p in planned if p.clips)
        report.batch = await batches.record(spec.name, report.file, len(report.rows), written, clipped,
                                            actor, report.summary(), source)
