"""One consistent read for all the queries of an uptime figure (one snapshot, one connection)."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Awaitable, Callable, Sequence

from piccolo.engine.postgres import PostgresEngine

from assetsvc import bulk
from assetsvc.monitoring.tables import StateInterval
from assetsvc.registry.crud import plan_each_query

Fetch = Callable[[str, Sequence[Any]], Awaitable[list[dict[str, Any]]]]


@asynccontextmanager
async def fetch_all() -> AsyncIterator[Fetch]:
    """A read transaction yielding fetch(sql, args).

    Why one transaction: the sums, the maintenance overlaps and the sampled counts are separate
    queries; a writer closing intervals between them would make them disagree (a camera's
    maintenance time larger than its in-service time). SQLite gives a snapshot per read
    transaction; PostgreSQL needs REPEATABLE READ for one (READ COMMITTED takes one per statement).
    """
    engine = StateInterval._meta.db
    owned = engine.current_transaction.get() is None
    async with engine.transaction():
        if owned and isinstance(engine, PostgresEngine):
            await bulk.fetch(StateInterval, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            await plan_each_query(StateInterval)

        async def fetch(sql: str, args: Sequence[Any] = ()) -> list[dict[str, Any]]:
            return await bulk.fetch(StateInterval, sql, args)

        yield fetch
