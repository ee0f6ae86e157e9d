"""Database engine from settings: SQLite (WAL) by default, PostgreSQL in production."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from contextlib import asynccontextmanager
from typing import AsyncIterator, Awaitable, Callable, TypeVar

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from assetsvc import storage
from assetsvc.settings import Settings
from assetsvc.storage import StorageFailure

log = logging.getLogger("assetsvc.db")
T = TypeVar("T")


class _Connection(sqlite3.Connection):
    """Every SQLite connection piccolo opens (it opens one per query) gets our pragmas."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # In WAL mode NORMAL is corruption-safe; it skips the fsync at every commit (a power cut
        # may lose the last transactions, never the file). FULL made each small write wait on disk.
        self.execute("PRAGMA synchronous=NORMAL")


def make_engine(settings: Settings) -> Engine:
    """Build the engine named by ASSETSVC_DATABASE_URL."""
    if settings.is_sqlite:
        path = settings.sqlite_path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # The file holds password hashes and sealed device credentials: created readable by its
            # owner only (SQLite gives its -wal and -shm files the same mode).
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
            # WAL lets readers run beside one writer; the mode is stored in the file, so setting it
            # once here covers every connection piccolo opens later (it opens one per query).
            with sqlite3.connect(path) as conn:
                conn.execute("PRAGMA journal_mode=WAL")
        except (OSError, sqlite3.Error) as exc:  # no folder, a file in its place, no permission ...
            failure = storage.classify(exc)
            raise StorageFailure(failure.kind if failure else "unreadable", f"{path}: {exc}") from None
        # `timeout` is sqlite3's busy timeout: a writer waits for the lock instead of failing at
        # once with "database is locked".
        return SQLiteEngine(path=str(path), timeout=settings.db_busy_timeout_s, factory=_Connection)
    return PostgresEngine(config={"dsn": settings.database_url})


def engine() -> Engine:
    """The process's engine (the one piccolo's tables are bound to)."""
    from piccolo.engine.finder import engine_finder

    found = engine_finder()
    if found is None:  # pragma: no cover - piccolo_conf always defines DB
        raise RuntimeError("piccolo could not find assetsvc.piccolo_conf")
    return found


def is_sqlite() -> bool:
    """Whether the process runs on the embedded engine."""
    return isinstance(engine(), SQLiteEngine)


@asynccontextmanager
async def write_transaction() -> AsyncIterator[None]:
    """A transaction for writes.

    SQLite quirk: piccolo's default DEFERRED transaction takes the write lock only at the first
    write, and a reader upgrading to writer while another writer holds the lock fails at once
    with SQLITE_BUSY, ignoring the busy timeout. IMMEDIATE takes the lock up front, so
    concurrent writers queue on the busy timeout instead.
    """
    db = engine()
    if isinstance(db, SQLiteEngine):
        async with db.transaction(transaction_type=TransactionType.immediate) as transaction:
            try:
                yield
            except BaseException:
                # SQLite quirk: on SQLITE_FULL (and IOERR, NOMEM) SQLite may roll the whole
                # transaction back by itself. piccolo's SQLiteTransaction.__aexit__ then sends
                # ROLLBACK, which fails with "cannot rollback - no transaction is active"; that
                # error replaces the real one, and piccolo skips closing the connection and
                # resetting its current_transaction context variable, so the task's later queries
                # would run on that dead connection. Marking it rolled back makes piccolo skip the
                # ROLLBACK, close the connection and let the original error through.
                connection = transaction.connection
                if connection is not None and not connection.in_transaction:
                    transaction._rolled_back = True
                raise
    else:
        async with db.transaction():
            yield


async def start() -> None:
    """Open the connection pool (PostgreSQL); SQLite needs none."""
    db = engine()
    if isinstance(db, PostgresEngine):
        await db.start_connection_pool(min_size=1, max_size=10)


async def stop() -> None:
    """Close the connection pool."""
    db = engine()
    if isinstance(db, PostgresEngine):
        await db.close_connection_pool()


async def check_readable() -> None:
    """Read a page of real data (not just SELECT 1): a damaged file or a lost server raises."""
    db = engine()
    if isinstance(db, SQLiteEngine):
        await db.run_ddl("PRAGMA schema_version")  # reads the header and the schema page
        await db.run_ddl("SELECT name FROM sqlite_master LIMIT 1")
    else:
        await db.run_ddl("SELECT 1")


async def integrity_problem() -> str | None:
    """SQLite's quick integrity check at start-up: None when the file is sound, else what is wrong."""
    db = engine()
    if not isinstance(db, SQLiteEngine):
        return None  # PostgreSQL checks its own pages; pg_amcheck is the operator's tool
    rows = await db.run_ddl("PRAGMA quick_check")
    found = [str(next(iter(row.values()))) for row in rows or []]
    return None if found == ["ok"] else "; ".join(found[:5])


def unreachable(exc: BaseException) -> bool:
    """Whether `exc` says the PostgreSQL server cannot be reached now (down, restarting, the
    connection cut), as opposed to a statement the server refused."""
    import asyncpg

    return isinstance(exc, (OSError, asyncio.TimeoutError, asyncpg.PostgresConnectionError,
                            asyncpg.exceptions.OperatorInterventionError, asyncpg.InterfaceError))


async def retry_while_unreachable(work: Callable[[], Awaitable[T]], what: str, within_s: float = 30.0) -> T:
    """Run `work` (a short, idempotent write of its own), again while the server cannot be reached.

    For bookkeeping that must not wait for the next run: handing an outbox lease back after a send
    was cut short. Without it a database restart at that moment left the lease held until it ran
    out (10-15 minutes), and the outbox behind it waited. Also runs in a `finally` of a cancelled
    job (the scheduler cancels running jobs once when it loses leadership): awaiting is allowed
    there. SQLite errors are never retried here (one file, no server to come back).
    """
    delay, waited = 0.25, 0.0
    while True:
        try:
            return await work()
        except Exception as exc:  # noqa: BLE001 - classified below; anything else goes up unchanged
            if isinstance(engine(), SQLiteEngine) or not unreachable(exc) or waited >= within_s:
                raise
            log.warning("%s: the database cannot be reached (%s); trying again in %.2g s", what, exc, delay)
        await asyncio.sleep(delay)
        waited += delay
        delay = min(delay * 2, 4.0)
