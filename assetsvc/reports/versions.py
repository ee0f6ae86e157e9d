"""Report versions (版本与审核): frozen content with its SHA-256, drafts, approval, what changed.

Generating stores a new draft only when the content differs from the month's latest version
(the same data gives the same bytes, so the same hash); a draft says what changed against the
approved version. Approving a draft supersedes the month's previous approved version. Only an
approved version is the month's report of record (export without a version takes it).
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any, Callable

from assetsvc import bulk, db
from assetsvc.actor import Actor
from assetsvc.audit import service as audit
from assetsvc.errors import Conflict, Forbidden, NotFound, ValidationFailed, field_error
from assetsvc.reports.build import build, check_month
from assetsvc.reports.province import outbox as province
from assetsvc.reports.tables import ReportVersion

MAX_CHANGES = 500
LOCK_SPACE = 16_016  # the advisory-lock key space of report generation (PostgreSQL), apart from leadership's
_COLUMNS = "id, month, version, status, content_hash, changes, based_on, created_at, created_by, " \
           "approved_at, approved_by"


def canonical(content: Any) -> str:
    """The one encoding of a report: sorted keys, no spaces, UTF-8 text kept as is."""
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _key(row: Any, index: int) -> str:
    """How a row is named in a change list: its scope, camera, contract or ticket."""
    if isinstance(row, dict):
        for field, kind in (("scope", ""), ("camera_id", "camera:"), ("ticket_id", "ticket:"),
                            ("contract_id", "contract:"), ("field", "field:")):
            if field in row:
                return f"{kind}{row[field]}"
    return f"#{index + 1}"


def _keyed(rows: list[Any]) -> dict[str, Any]:
    """A section's rows by their key, so two versions compare row by row."""
    return {_key(row, i): row for i, row in enumerate(rows)}


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """Every figure that differs: section, row (scope), the field path, before and after."""
    found: list[dict[str, Any]] = []

    def walk(section: str, row: str, path: str, a: Any, b: Any) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for k in sorted(set(a) | set(b)):
                walk(section, row, f"{path}.{k}" if path else k, a.get(k), b.get(k))
        elif a != b:
            found.append({"section": section, "scope": row, "field": path, "before": a, "after": b})

    for section in sorted(set(before) | set(after)):
        a, b = before.get(section), after.get(section)
        if isinstance(a, dict) and isinstance(b, dict):
            for part in sorted(set(a) | set(b)):
                pa, pb = a.get(part), b.get(part)
                if isinstance(pa, list) and isinstance(pb, list):
                    ka, kb = _keyed(pa), _keyed(pb)
                    for key in sorted(set(ka) | set(kb)):
                        # The scope rows are named by their scope; other lists by their part and key.
                        walk(section, key if part == "rows" else f"{part}:{key}", "", ka.get(key), kb.get(key))
                else:
                    walk(section, "", part, pa, pb)
        else:
            walk(section, "", "", a, b)
    return found


def _row(row: dict[str, Any]) -> dict[str, Any]:
    changed = bulk.json_column(row["changes"], [])
    return {"id": row["id"], "month": row["month"], "version": row["version"], "status": row["status"],
            "content_hash": row["content_hash"], "based_on": row["based_on"], "changes": len(changed),
            "created_at": row["created_at"], "created_by": row["created_by"], "approved_at": row["approved_at"],
            "approved_by": row["approved_by"]}


def _readers(actor: Actor) -> None:
    if actor.role not in ("admin", "auditor", "contractor"):
        raise Forbidden("this account may not read reports")


async def _versions(month: str) -> list[dict[str, Any]]:
    return await bulk.fetch(ReportVersion, f"SELECT {_COLUMNS} FROM report_version WHERE month = ? ORDER BY version",
                            [month])


async def generate(actor: Actor, month: str, now: float | None = None,
                   progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Build the month's report; store it as a new draft unless the latest version has the same content."""
    if actor.role != "admin":
        raise Forbidden("only the video office generates reports")
    now = time.time() if now is None else now
    month = check_month(month, now)[0]
    if progress:
        progress(f"building the report for {month}")
    content = await build(actor, month, now, progress) if progress else await build(actor, month, now)
    text = canonical(content)
    found = digest(text)
    async with db.write_transaction():
        if not db.is_sqlite():  # two generations of one month (job, CLI, API) take turns; SQLite: BEGIN IMMEDIATE
            year, mon = (int(p) for p in month.split("-"))
            await bulk.fetch(ReportVersion, "SELECT pg_advisory_xact_lock(?, ?) AS locked", [LOCK_SPACE, year * 12 + mon])
        stored = await _versions(month)
        if stored and stored[-1]["content_hash"] == found:
            return {**_row(stored[-1]), "created": False}
        approved = next((r for r in reversed(stored) if r["status"] == "approved"), None)
        moved: list[dict[str, Any]] = []
        if approved is not None:
            old = await bulk.fetch(ReportVersion, "SELECT content FROM report_version WHERE id = ?", [approved["id"]])
            moved = changes(json.loads(old[0]["content"]), content)[:MAX_CHANGES]
        version = stored[-1]["version"] + 1 if stored else 1
        await bulk.execute_many(ReportVersion, "INSERT INTO report_version (month, version, status, content, "
                                "content_hash, changes, based_on, created_at, created_by) VALUES (?,?,?,?,?,?,?,?,?)",
                                [[month, version, "draft", text, found, json.dumps(moved, ensure_ascii=False),
                                  approved["version"] if approved else None, now, actor.username]])
        row = (await _versions(month))[-1]
        await audit.record(actor.username, "create", "report_version", row["id"], f"report {month} v{version}",
                           {"content_hash": [None, found]})
    if progress:
        progress(f"stored {month} v{version} ({found[:12]})")
    return {**_row(row), "created": True}


async def versions(actor: Actor, month: str) -> list[dict[str, Any]]:
    _readers(actor)
    return [_row(r) for r in await _versions(check_month(month, float("inf"))[0])]


async def _one(month: str, version: int | None) -> dict[str, Any]:
    """A stored version (latest approved when none is named) with its content."""
    month = check_month(month, float("inf"))[0]
    if version is None:
        rows = await bulk.fetch(ReportVersion, "SELECT * FROM report_version WHERE month = ? AND status = 'approved' "
                                               "ORDER BY version DESC LIMIT 1", [month])
        if not rows:
            raise NotFound(f"the report for {month} has no approved version; name a version to read a draft")
    else:
        rows = await bulk.fetch(ReportVersion, "SELECT * FROM report_version WHERE month = ? AND version = ?",
                                [month, version])
        if not rows:
            raise NotFound(f"the report for {month} has no version {version}")
    return rows[0]


async def read(actor: Actor, month: str, version: int | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the version's record, its content as stored); a contractor gets its own contracts' scores only."""
    _readers(actor)
    row = await _one(month, version)
    if digest(row["content"]) != row["content_hash"]:  # a frozen version never changes; say so if it did
        raise Conflict(f"report {row['month']} v{row['version']} does not match its stored hash")
    content = json.loads(row["content"])
    if actor.is_contractor:
        mine = [c for c in content["contractors"]["contracts"] if c["contractor_id"] == actor.contractor_id]
        content = {"month": content["month"], "period": content["period"],
                   "contractors": {**content["contractors"], "contracts": mine}}
    record = _row(row) | {"changes": bulk.json_column(row["changes"], [])}
    return record, content


async def diff(actor: Actor, month: str, base: int, version: int) -> dict[str, Any]:
    """Every figure that differs between two stored versions of a month (either order), old -> new."""
    if actor.role not in ("admin", "auditor"):  # a contractor reads its own contracts' scores only
        raise Forbidden("only the office and auditors compare report versions")
    if base == version:
        raise ValidationFailed("compare two different versions",
                               [field_error("to", "invalid", "from and to name the same version")])
    rows = {}
    for v in (base, version):
        row = await _one(month, v)
        if digest(row["content"]) != row["content_hash"]:
            raise Conflict(f"report {row['month']} v{v} does not match its stored hash")
        rows[v] = row
    moved = changes(json.loads(rows[base]["content"]), json.loads(rows[version]["content"]))
    return {"month": rows[base]["month"], "from": _row(rows[base]), "to": _row(rows[version]),
            "total": len(moved), "changes": moved[:MAX_CHANGES]}


async def approve(actor: Actor, month: str, version: int, now: float | None = None) -> dict[str, Any]:
    """The office approves (审核) a draft; the month's previously approved version is superseded."""
    if actor.role != "admin":
        raise Forbidden("only the video office approves reports")
    now = time.time() if now is None else now
    month = check_month(month, float("inf"))[0]
    async with db.write_transaction():
        rows = await bulk.fetch(ReportVersion, f"SELECT {_COLUMNS} FROM report_version WHERE month = ? AND "
                                               "version = ?", [month, version])
        if not rows:
            raise NotFound(f"the report for {month} has no version {version}")
        if rows[0]["status"] != "draft":
            raise Conflict(f"report {month} v{version} is {rows[0]['status']}: only a draft can be approved")
        later = await bulk.fetch(ReportVersion, "SELECT version FROM report_version WHERE month = ? AND version > ?",
                                 [month, version])
        if later:
            raise Conflict(f"report {month} v{version} is not the latest version (v{later[-1]['version']} is): "
                           "approve the latest draft")
        await bulk.execute_many(ReportVersion, "UPDATE report_version SET status = 'superseded' WHERE month = ? AND "
                                "status = 'approved'", [[month]])
        await bulk.execute_many(ReportVersion, "UPDATE report_version SET status = 'approved', approved_at = ?, "
                                "approved_by = ? WHERE id = ?", [[now, actor.username, rows[0]["id"]]])
        await audit.record(actor.username, "update", "report_version", rows[0]["id"], f"report {month} v{version}",
                           {"status": ["draft", "approved"]})
        await province.enqueue(rows[0], now)  # sent to the provincial platform by the outbox (docs/province.md)
    return _row((await bulk.fetch(ReportVersion, f"SELECT {_COLUMNS} FROM report_version WHERE id = ?",
                                  [rows[0]["id"]]))[0])
