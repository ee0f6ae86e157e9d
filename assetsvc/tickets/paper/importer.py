"""Import closed work orders of past months from CSV or XLSX as a batch (工单导入).

Each row is one closed work order: number, camera, opened, accepted, arrived, resolved, closed.
Rows are checked one by one, with their sheet row numbers (the camera exists; times read, none in
the future; in order, by the same replay as entries by hand). One rejected row: nothing is
written. A dry run reports what would be written. A row whose work order number a standing batch
holds is `already_imported`, so importing the same file again changes nothing. Each written row
becomes a paper work order with its events recorded at the sheet's times (service.py), so SLA
figures and scores read it like any ticket; the batch can be undone as a whole (batches.py).

The work orders are closed and past: writing them queues no webhook notice (no ticket.opened, no
breach, no escalation), as docs/webhooks.md says. `progress` moves through reading, validating and
writing, for the API's import job (registry/import_jobs.py) and the CLI's `--progress`.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from assetsvc import bulk, db
from assetsvc.actor import Actor
from assetsvc.errors import ValidationFailed, field_error
from assetsvc.registry.importer import Progress
from assetsvc.registry.sheet import Sheet, SheetError, SheetRow, read_sheet
from assetsvc.tickets import config as ticket_config, instants, lifecycle
from assetsvc.tickets.paper import batches, service
from assetsvc.tickets.paper.replay import Entry, OutOfOrder, replay
from assetsvc.tickets.paper.sheet import LAYOUT, REQUIRED
from assetsvc.tickets.tables import Ticket

EVENTS = ("accepted", "arrived", "resolved", "closed")  # sheet column -> recorded kind (the same names)


@dataclass
class RowPlan:
    """One sheet row: its number, work order number, what happens to it, and why if rejected."""

    row: int
    key: str
    action: str = "import"  # import | already_imported | rejected
    errors: list[dict[str, str]] = field(default_factory=list)
    camera_id: int | None = None
    body: dict[str, Any] = field(default_factory=dict)
    events: list[tuple[str, float]] = field(default_factory=list)
    held_by: int | None = None  # the batch that imported it before
    ticket: int | None = None

    def refuse(self, name: str, reason: str) -> None:
        self.action = "rejected"
        self.errors.append({"field": name, "reason": reason})


@dataclass
class Report:
    file: str
    rows: list[RowPlan]
    dry_run: bool
    batch: int | None = None

    @property
    def rejected(self) -> int:
        return sum(r.action == "rejected" for r in self.rows)

    def to_json(self) -> dict[str, Any]:
        counts = {a: sum(r.action == a for r in self.rows) for a in ("import", "already_imported", "rejected")}
        return {"file": self.file, "batch": self.batch,
                "summary": {"rows": len(self.rows), **counts, "dry_run": self.dry_run,
                            "written": 0 if self.dry_run or self.rejected else counts["import"]},
                "rows": [{"row": r.row, "order_no": r.key, "action": r.action,
                          **({"errors": r.errors} if r.errors else {}),
                          **({"batch": r.held_by} if r.held_by else {}),
                          **({"ticket": r.ticket} if r.ticket else {})} for r in self.rows]}


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():  # a number cell: 1024.0 is work order 1024
        value = int(value)
    return "" if value is None else str(value).strip()


def _check(sheet_row: SheetRow, now: float) -> RowPlan:
    raw = sheet_row.raw
    plan = RowPlan(sheet_row.row, _text(raw.get("order_no"))[:64])
    for name in REQUIRED:
        if raw.get(name) is None or _text(raw.get(name)) == "":
            plan.refuse(name, "is required")
    if plan.errors:
        return plan
    times: dict[str, float] = {}
    for name in ("opened", *EVENTS):
        if raw.get(name) not in (None, ""):
            try:
                times[name] = instants.parse(raw[name], name, now)
            except ValidationFailed as exc:
                plan.refuse(name, exc.errors[0]["message"])
    severity, fault = _text(raw.get("severity")), _text(raw.get("fault")) or ticket_config.MANUAL
    if len(severity) > 16:
        plan.refuse("severity", "a severity name such as P1 (at most 16 characters)")
    if fault not in (*ticket_config.FAULTS, ticket_config.MANUAL):
        plan.refuse("fault", f"one of {', '.join((*ticket_config.FAULTS, ticket_config.MANUAL))}")
    if plan.errors:
        return plan
    plan.events = [(name, times[name]) for name in EVENTS if name in times]
    try:
        replay(times["opened"], [Entry(n, kind, at, "") for n, (kind, at) in enumerate(plan.events)])
    except OutOfOrder as exc:
        plan.refuse("order", str(exc))
    note = _text(raw.get("note")) or "imported work order"
    plan.body = {"subject_type": "camera", "note": f"工单 {plan.key}: {note}"[:lifecycle.MAX_NOTE],
                 "opened_at": times["opened"], "fault": fault, **({"severity": severity} if severity else {})}
    return plan


async def _cameras(plans: list[RowPlan], sheet_rows: list[SheetRow]) -> None:
    wanted = {p.row: _text(r.raw.get("camera")) for p, r in zip(plans, sheet_rows) if p.action == "import"}
    found = await bulk.fetch_in(Ticket, "SELECT id, gb_id FROM camera WHERE gb_id IN ({in})",
                                sorted(set(wanted.values())))
    ids = {row["gb_id"]: row["id"] for row in found}
    for plan in plans:
        if plan.action == "import":
            plan.camera_id = ids.get(wanted[plan.row])
            if plan.camera_id is None:
                plan.refuse("camera", f"no camera with 设备编码 {wanted[plan.row]!r} in the registry")


def _repeats(plans: list[RowPlan]) -> None:
    first: dict[str, int] = {}
    for plan in plans:
        if plan.key and plan.key in first:
            plan.refuse("order_no", f"work order {plan.key} is also on row {first[plan.key]}")
        first.setdefault(plan.key, plan.row)


class _Abort(Exception):
    """A row failed while writing: the transaction rolls back and the report says which."""


PROGRESS_EVERY = 100  # rows between two progress moves while validating and writing


def _read(data: bytes, filename: str, max_bytes: int | None, now: float,
          progress: Progress) -> tuple[Sheet, list[RowPlan]]:
    """The CPU half (no database, run in a worker thread): read the file and check each row."""
    progress.at("reading")
    try:
        sheet = read_sheet(data, filename, layout=LAYOUT, on_rows=lambda n: progress.at("reading", n),
                           **({"max_bytes": max_bytes} if max_bytes else {}))
    except SheetError as exc:
        raise ValidationFailed(exc.message, [field_error("file", "unreadable", exc.message)]) from None
    plans = []
    total = len(sheet.rows)
    for index, row in enumerate(sheet.rows, start=1):
        plans.append(_check(row, now))
        if index % PROGRESS_EVERY == 0 or index == total:
            progress.at("validating", index, total)
    return sheet, plans


async def import_orders(data: bytes, filename: str, actor: Actor, *, dry_run: bool = False,
                        max_bytes: int | None = None, source: str = "api",
                        progress: Progress | None = None) -> Report:
    """Check every row, then (not a dry run, none rejected) write the batch in one transaction."""
    batches.require_admin(actor)
    now = time.time()
    progress = progress or Progress()
    sheet, plans = await asyncio.to_thread(_read, data, filename, max_bytes, now, progress)
    _repeats(plans)
    await _cameras(plans, sheet.rows)
    held = await batches.imported_keys([p.key for p in plans if p.action == "import"])
    for plan in plans:
        if plan.action == "import" and plan.key in held:
            plan.action, plan.held_by = "already_imported", held[plan.key]
    report = Report(filename, plans, dry_run)
    if dry_run or report.rejected or not any(p.action == "import" for p in plans):
        progress.at("finished", len(plans), len(plans))
        return report
    todo = [p for p in plans if p.action == "import"]
    progress.at("writing", 0, len(todo))
    try:
        async with db.write_transaction():
            written = []
            with lifecycle.without_notices():  # closed, past work orders: nothing to tell anyone
                for index, plan in enumerate(todo, start=1):
                    plan.ticket = await _write(plan, actor, now)
                    written.append((plan.key, plan.ticket, plan.row))
                    if index % PROGRESS_EVERY == 0:
                        progress.at("writing", index, len(todo))
            report.batch = await batches.record(filename, len(plans), written, actor, report.to_json()["summary"],
                                                source)
    except _Abort:
        for plan in plans:
            plan.ticket = None
    progress.at("finished", len(plans), len(plans))
    return report


async def _write(plan: RowPlan, actor: Actor, now: float) -> int:
    try:
        ticket_id = (await lifecycle.open_manual(actor, {**plan.body, "subject_id": plan.camera_id}, now=now))["id"]
        for kind, at in plan.events:
            await service.record(actor, ticket_id, {"kind": kind, "at": at}, now=now)
    except ValidationFailed as exc:
        plan.refuse(exc.errors[0]["field"] if exc.errors else "row", str(exc))
        raise _Abort from None
    return ticket_id
