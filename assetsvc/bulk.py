"""Bulk writes straight to the driver on the current transaction's connection (both engines)."""

from __future__ import annotations

import json
import re
from typing import Any, Sequence

from piccolo.columns import JSON, JSONB, Column
from piccolo.columns.defaults.base import Default
from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table
from piccolo.utils.encoding import dump_json

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


def row_values(table: type[Table], rows: list[dict[str, Any]]) -> tuple[list[Column], list[list[Any]]]:
    """The insertable columns and, per row, their values as piccolo's insert would send them."""
    columns = [c for c in table._meta.columns if not c._meta.primary_key]
    known = {c._meta.name for c in table._meta.columns}
    plan = [(c._meta.name, c.get_default_value(), isinstance(c, (JSON, JSONB))) for c in columns]
    values_of = []
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
        values_of.append(record)
    return columns, values_of


def connection(table: type[Table]) -> Any:
    transaction = table._meta.db.current_transaction.get()
    if transaction is None:
        raise RuntimeError("bulk inserts run inside db.write_transaction()")
    return transaction.connection


def insert_head(table: type[Table], columns: list[Column]) -> str:
    names = ",".join(f'"{c._meta.db_column_name}"' for c in columns)
    return f"INSERT INTO {table._meta.get_formatted_tablename()} ({names}) "


async def insert_postgres(table: type[Table], rows: list[dict[str, Any]], returning: str = "") -> list:
    """PostgreSQL: INSERT ... SELECT FROM unnest(one array per column).

    Why not a multi-row VALUES list: 500 rows x 34 columns is a 17,000-parameter statement that
    the server parses and plans for every chunk; measured on 20,000 cameras it took 2.1 s
    against 0.9 s for unnest. The arrays are cast to the column's base type (VARCHAR, not
    VARCHAR(20), since an explicit cast would truncate), so a value that does not fit is
    refused on assignment exactly as with VALUES.
    """
    columns, records = row_values(table, rows)
    casts = ",".join(f"${n}::{c.column_type.split('(')[0]}[]" for n, c in enumerate(columns, 1))
    sql = f"{insert_head(table, columns)}SELECT * FROM unnest({casts}){returning}"
    return await connection(table).fetch(sql, *[list(values) for values in zip(*records)])


async def insert_rows(table: type[Table], rows: list[dict[str, Any]]) -> None:
    """Insert rows (column name -> value; absent columns take their default) in the transaction."""
    if not rows:
        return
    if isinstance(table._meta.db, PostgresEngine):
        await insert_postgres(table, rows)
        return
    columns, records = row_values(table, rows)
    sql = insert_head(table, columns) + "VALUES (" + ",".join("?" * len(columns)) + ")"
    await connection(table).executemany(sql, records)


async def insert_returning(table: type[Table], rows: list[dict[str, Any]], returning: str) -> list[dict[str, Any]]:
    """Insert rows in the transaction and answer `RETURNING <returning>` of each (in no promised order:
    match them to the rows by a unique column). SQLite needs 3.35 or newer for RETURNING."""
    if not rows:
        return []
    if isinstance(table._meta.db, PostgresEngine):
        return [dict(r) for r in await insert_postgres(table, rows, f" RETURNING {returning}")]
    columns, records = row_values(table, rows)
    one = "(" + ",".join("?" * len(columns)) + ")"
    found: list[dict[str, Any]] = []
    step = max(1, 900 // len(columns))  # SQLite's default bound on parameters per statement is 999 on old builds
    for start in range(0, len(records), step):
        part = records[start:start + step]
        sql = insert_head(table, columns) + "VALUES " + ",".join([one] * len(part)) + f" RETURNING {returning}"
        found += [dict(r) for r in await connection(table).execute_fetchall(sql, [v for rec in part for v in rec])]
    return found


_QMARK = re.compile(r"\?")


def _dollar(sql: str) -> str:
    """`?` placeholders (SQLite) as `$1, $2, ...` (asyncpg); our SQL has no literal question marks."""
    counter = iter(range(1, 10_000))
    return _QMARK.sub(lambda _: f"${next(counter)}", sql)


def _is_postgres(table: type[Table]) -> bool:
    return isinstance(table._meta.db, PostgresEngine)


async def execute_many(table: type[Table], sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """Run one statement (written with `?` placeholders) once per row, in the transaction."""
    if not rows:
        return
    if _is_postgres(table):
        await connection(table).executemany(_dollar(sql), rows)
    else:
        await connection(table).executemany(sql, rows)


async def fetch(table: type[Table], sql: str, args: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """Rows of a query (written with `?` placeholders) as dicts; in the transaction if there is one."""
    if table._meta.db.current_transaction.get() is None:
        return await table.raw(_QMARK.sub("{}", sql), *args).run()
    if _is_postgres(table):
        return [dict(r) for r in await connection(table).fetch(_dollar(sql), *args)]
    cursor = await connection(table).execute(sql, args)
    names = [d[0] for d in cursor.description or ()]
    # piccolo's SQLite connections have a dict row factory; a plain one gives tuples.
    return [row if isinstance(row, dict) else dict(zip(names, row)) for row in await cursor.fetchall()]


IN_CHUNK = 500  # values per IN (...) list: far below either engine's parameter limit


async def fetch_in(table: type[Table], sql: str, values: Sequence[Any], before: Sequence[Any] = (),
                   after: str = "") -> list[dict[str, Any]]:
    """Rows of `sql` whose `{in}` marker becomes an IN list of `values`, in chunks of IN_CHUNK.

    `before` are the arguments of the placeholders ahead of the list; `after` is SQL appended to
    every chunk's statement (e.g. " FOR UPDATE"). Duplicates are dropped and the values sorted,
    so concurrent callers lock rows in the same order.
    """
    ordered = sorted(set(values))
    rows: list[dict[str, Any]] = []
    for start in range(0, len(ordered), IN_CHUNK):
        part = ordered[start:start + IN_CHUNK]
        rows += await fetch(table, sql.replace("{in}", ",".join("?" * len(part))) + after, [*before, *part])
    return rows


def json_column(value: Any, default: Any) -> Any:
    """A JSON column's value from a raw driver read (text on both engines); `default` when empty or invalid."""
    if isinstance(value, str):
        try:
            value = json.loads(value or "null")
        except ValueError:
            return default
    return default if value is None else value
