"""One CRUD mechanism for every registry record: scoping, validation, uniqueness, history."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Mapping

from piccolo.columns import Column
from piccolo.columns.combination import Where
from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table

from assetsvc import db
from assetsvc.actor import Actor
from assetsvc.audit import service as audit
from assetsvc.errors import Conflict, Forbidden, NotFound, ValidationFailed, field_error
from assetsvc.registry.regions_sync import ensure_regions

Check = Callable[[dict[str, Any], dict[str, Any] | None], Awaitable[dict[str, Any]]]
# After a write, in its transaction: (record id, the stored row after it, or None once deleted).
Written = Callable[[int, dict[str, Any] | None], Awaitable[None]]
# Before records are returned: adds what a kind shows beyond its columns (in place).
Decorate = Callable[[list[dict[str, Any]]], Awaitable[None]]


async def _nothing_written(record_id: int, after: dict[str, Any] | None) -> None:
    return None


async def _nothing_added(rows: list[dict[str, Any]]) -> None:
    return None

MAX_PAGE = 500


class Filter:
    """A list filter: the condition for a query value, and what the value is (the API declares it so).

    kind: "int" (a record id or a code), "bool", "region" (a GB/T 2260 code prefix) or "text";
    `choices`, when given, are the only values (another is a ValueError: the API answers 400).
    """

    def __init__(self, where: Callable[[str], Where], kind: str = "text", choices: tuple[str, ...] = ()) -> None:
        self.where, self.kind, self.choices = where, kind, choices

    def __call__(self, value: str) -> Where:
        if self.choices and value not in self.choices:
            raise ValueError(f"{value!r} is not one of {', '.join(self.choices)}")
        return self.where(value)


def filter_of(found: Callable[[str], Where]) -> Filter:
    """A declared filter as it is, a bare function as a text filter."""
    return found if isinstance(found, Filter) else Filter(found)


@dataclass(frozen=True)
class Entity:
    """How one kind of registry record is listed, checked, scoped and labelled."""

    name: str  # URL segment, e.g. "cameras"
    audit_name: str  # entity name in the change log, e.g. "camera"
    table: type[Table]
    check: Check  # merged values (+ the stored row on update) -> cleaned values, or ValidationFailed
    label: Callable[[Mapping[str, Any]], str]
    extra_columns: Callable[[], list[Column]] = lambda: []  # joined names for reading
    contractor_column: str | None = None  # FK to Contractor that scopes a contractor's view
    contractor_sees_all: bool = False  # lookup data every role may read
    filters: Mapping[str, Callable[[str], Where]] = field(default_factory=dict)
    search: tuple[str, ...] = ()
    sortable: tuple[str, ...] = ("id",)
    unique: tuple[str, ...] = ()
    hidden: tuple[str, ...] = ()  # stored, never returned (encrypted secrets)
    updatable: bool = True
    written: Written = _nothing_written  # records that follow this one (a camera's service periods)
    decorate: Decorate = _nothing_added  # shown fields kept elsewhere (a camera's service dates)


def _col(entity: Entity, name: str) -> Column:
    return getattr(entity.table, name)


def scope(entity: Entity, actor: Actor) -> Where | None:
    """The condition that limits what this actor may see of this entity."""
    if not actor.is_contractor or entity.contractor_sees_all:
        return None
    if entity.contractor_column is None:
        raise Forbidden(f"contractors may not read {entity.name}")
    return _col(entity, entity.contractor_column) == actor.contractor_id


def _require_admin(actor: Actor) -> None:
    if actor.role != "admin":
        raise Forbidden("only the video office (admin) may change the registry")


def _read_columns(entity: Entity) -> list[Column]:
    cols = [c for c in entity.table._meta.columns if c._meta.name not in entity.hidden]
    return cols + entity.extra_columns()


def _where_all(parts: list[Where | None]) -> Where | None:
    found = [p for p in parts if p is not None]
    if not found:
        return None
    out = found[0]
    for part in found[1:]:
        out = out & part
    return out


def _sort(entity: Entity, sort: str | None) -> tuple[Column, bool]:
    key = (sort or "id").strip()
    descending = key.startswith("-")
    key = key.lstrip("-")
    if key not in entity.sortable:
        raise ValidationFailed(
            f"cannot sort {entity.name} by {key!r}",
            [field_error("sort", "invalid", f"sort by one of: {', '.join(entity.sortable)}")],
        )
    return _col(entity, key), descending


def _filters(entity: Entity, params: Mapping[str, str], q: str | None) -> list[Where]:
    parts: list[Where] = []
    for key, value in params.items():
        if value in (None, ""):
            continue
        if key not in entity.filters:
            raise ValidationFailed(
                f"{entity.name} cannot be filtered by {key!r}",
                [field_error(key, "invalid", f"filters: {', '.join(entity.filters) or 'none'}")],
            )
        try:
            parts.append(entity.filters[key](value))
        except ValueError as exc:
            raise ValidationFailed(str(exc), [field_error(key, "invalid", str(exc))]) from None
    if q and entity.search:
        pattern = f"%{q.strip()}%"
        # SQLite's LIKE is already case-blind for ASCII; piccolo warns on every ilike there.
        method = "like" if db.is_sqlite() else "ilike"
        terms = [getattr(_col(entity, name), method)(pattern) for name in entity.search]
        any_term = terms[0]
        for term in terms[1:]:
            any_term = any_term | term
        parts.append(any_term)
    return parts


async def plan_each_query(table: type[Table]) -> None:
    """PostgreSQL: plan every statement of the open transaction for its own parameter values.

    Why: asyncpg prepares each statement and reuses it on its pooled connection, and after five
    runs PostgreSQL may switch to a generic plan, made without the values. For a search
    (`name ILIKE $1`) the generic plan cannot tell a rare pattern from a common one and scans
    the table instead of using the trigram indexes (a national-ID search took 147 ms instead of
    5 ms on 100,000 cameras); for `gb_id IN ($1 ... $500)` a generic plan made while the table
    was small scans it testing the 500 values one by one per row (docs/performance.md). A
    custom plan costs a fraction of a millisecond of planning. SET LOCAL ends with the
    transaction.
    """
    if isinstance(table._meta.db, PostgresEngine):
        await table.raw("SET LOCAL plan_cache_mode = force_custom_plan").run()


async def list_records(
    entity: Entity, actor: Actor, params: Mapping[str, str], *, q: str | None = None,
    sort: str | None = None, page: int = 1, per_page: int = 50,
) -> dict[str, Any]:
    """A filtered, sorted page of records and the total count."""
    if page < 1 or not 1 <= per_page <= MAX_PAGE:
        raise ValidationFailed(
            "bad paging", [field_error("per_page", "invalid", f"page >= 1, per_page 1..{MAX_PAGE}")]
        )
    column, descending = _sort(entity, sort)
    where = _where_all([scope(entity, actor), *_filters(entity, params, q)])
    table = entity.table
    # The page's ids first, then their full rows. Why: selecting the full rows with their joined
    # names under ORDER BY ... LIMIT/OFFSET made the database build every row it skipped or
    # sorted; a deep page (offset 75,000) of 100,000 cameras by name took 125 ms on SQLite and
    # 180 ms on PostgreSQL, a sort on an unindexed column up to 250 ms. Ids alone come from an
    # index (or a narrow sort) in a few ms (docs/performance.md). Same rows, same order.
    query = table.select(table.id)
    count = table.count()
    if where is not None:
        query, count = query.where(where), count.where(where)
    query = query.order_by(column, ascending=not descending)
    if column._meta.name != "id":
        query = query.order_by(table.id, ascending=not descending)
    offset = (page - 1) * per_page
    # One transaction for the three reads: on SQLite one connection and one snapshot (piccolo
    # otherwise opens a connection per query); on PostgreSQL it carries the SET LOCAL.
    async with table._meta.db.transaction():
        await plan_each_query(table)
        ids = [row["id"] for row in await query.limit(per_page).offset(offset).run()]
        items = []
        if ids:
            rows = await (table.select(*_read_columns(entity)).where(table.id.is_in(ids))
                          .output(load_json=True).run())
            by_id = {row["id"]: row for row in rows}
            items = [by_id[i] for i in ids if i in by_id]  # PostgreSQL: deleted in between
            await entity.decorate(items)
        # A short page is the last one, so it gives the total without counting. Why: with a
        # free-text q the count is a second full scan (about 40 ms on SQLite, 130 ms on
        # PostgreSQL without trigram indexes, for 100,000 cameras) and rare matches never fill
        # a page.
        if len(ids) < per_page and (ids or page == 1):
            total = offset + len(ids)
        else:
            total = await count.run()
    return {"items": items, "total": total, "page": page, "per_page": per_page}


async def _stored(entity: Entity, record_id: int, actor: Actor | None) -> dict[str, Any]:
    where = _where_all([entity.table.id == record_id, scope(entity, actor) if actor else None])
    row = await entity.table.select().where(where).first().output(load_json=True).run()
    if row is None:
        raise NotFound(f"no {entity.audit_name.replace('_', ' ')} with id {record_id}")
    return row


async def get_record(entity: Entity, actor: Actor, record_id: int) -> dict[str, Any]:
    """One record as the caller may see it."""
    where = _where_all([entity.table.id == record_id, scope(entity, actor)])
    query = entity.table.select(*_read_columns(entity)).where(where).first()
    row = await query.output(load_json=True).run()
    if row is None:
        raise NotFound(f"no {entity.audit_name.replace('_', ' ')} with id {record_id}")
    await entity.decorate([row])
    return row


async def check_references(table: type[Table], values: Mapping[str, Any]) -> list[dict]:
    """Errors for foreign keys in `values` that point at no record."""
    errors = []
    for column in table._meta.foreign_key_columns:
        name = column._meta.name
        target = values.get(name)
        if target is None:
            continue
        other = column._foreign_key_meta.resolved_references
        if not isinstance(target, int) or not await other.exists().where(other.id == target).run():
            errors.append(field_error(name, "unknown_reference",
                                      f"no {other._meta.tablename.replace('_', ' ')} with id {target}"))
    return errors


async def _check_unique(entity: Entity, values: Mapping[str, Any], record_id: int | None) -> None:
    for name in entity.unique:
        value = values.get(name)
        if value is None:
            continue
        where = _col(entity, name) == value
        if record_id is not None:
            where = where & (entity.table.id != record_id)
        if await entity.table.exists().where(where).run():
            raise Conflict(f"{name} {value!r} is already used",
                           [field_error(name, "duplicate", f"{name} {value!r} is already used")])


async def _clean(entity: Entity, values: dict[str, Any], stored: dict[str, Any] | None,
                 record_id: int | None) -> dict[str, Any]:
    cleaned = await entity.check(values, stored)
    errors = await check_references(entity.table, cleaned)
    if errors:
        raise ValidationFailed(f"invalid {entity.audit_name.replace('_', ' ')}", errors)
    await _check_unique(entity, cleaned, record_id)
    if cleaned.get("region_code"):
        await ensure_regions([cleaned["region_code"]])
    return cleaned


def _visible(entity: Entity, changes: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Hidden (secret) fields are logged as changed, never with their values."""
    return {k: (["***", "***"] if k in entity.hidden else v) for k, v in changes.items()}


async def create_record(entity: Entity, actor: Actor, values: dict[str, Any],
                        source: str = "api") -> dict[str, Any]:
    """Validate and insert a record, logging it in the change history."""
    _require_admin(actor)
    async with db.write_transaction():
        cleaned = await _clean(entity, values, None, None)
        row = entity.table(**cleaned)
        await row.save().run()
        after = await _stored(entity, row.id, None)
        await entity.written(row.id, after)
        await audit.record(actor.username, "create", entity.audit_name, row.id, entity.label(after),
                           _visible(entity, audit.diff({}, {k: v for k, v in after.items() if k != "id"})),
                           source)
    return await get_record(entity, actor, row.id)


async def update_record(entity: Entity, actor: Actor, record_id: int, patch: dict[str, Any],
                        source: str = "api") -> dict[str, Any]:
    """Apply a partial update; the change log gets only fields whose value really changed."""
    _require_admin(actor)
    if not entity.updatable:
        raise Forbidden(f"{entity.name} cannot be changed, only created or deleted")
    async with db.write_transaction():
        before = await _stored(entity, record_id, None)
        merged = {**{k: v for k, v in before.items() if k != "id"}, **patch}
        cleaned = await _clean(entity, merged, before, record_id)
        changes = audit.diff({k: before.get(k) for k in cleaned}, cleaned)
        changes.pop("updated_at", None)
        if changes:
            await entity.table.update(cleaned).where(entity.table.id == record_id).run()
            await entity.written(record_id, await _stored(entity, record_id, None))
            await audit.record(actor.username, "update", entity.audit_name, record_id,
                               entity.label(merged), _visible(entity, changes), source)
    return await get_record(entity, actor, record_id)


async def _referrers(entity: Entity, record_id: int) -> list[str]:
    found = []
    for column in entity.table._meta.foreign_key_references:
        count = await column._meta.table.count().where(column == record_id).run()
        if count:
            found.append(f"{count} {column._meta.table._meta.tablename.replace('_', ' ')} record(s)")
    return found


async def delete_record(entity: Entity, actor: Actor, record_id: int, source: str = "api") -> None:
    """Delete a record no other record refers to, keeping its last values in the change log."""
    _require_admin(actor)
    async with db.write_transaction():
        before = await _stored(entity, record_id, None)
        users = await _referrers(entity, record_id)
        if users:
            raise Conflict(f"{entity.audit_name.replace('_', ' ')} {record_id} is still used by "
                           + ", ".join(users))
        await entity.table.delete().where(entity.table.id == record_id).run()
        await entity.written(record_id, None)
        await audit.record(actor.username, "delete", entity.audit_name, record_id, entity.label(before),
                           _visible(entity, audit.diff({k: v for k, v in before.items() if k != "id"}, {})),
                           source)


async def record_history(entity: Entity, actor: Actor, record_id: int) -> list[dict[str, Any]]:
    """The change log of a record the caller may see."""
    if actor.is_contractor:
        await get_record(entity, actor, record_id)  # 404 when it is not theirs
    return await audit.history(entity.audit_name, record_id)
