"""Scheduler leadership: exactly one node runs the scheduled jobs.

PostgreSQL: a session advisory lock held on a dedicated connection. If the leader dies, its
connection closes, the server releases the lock and the next node to try takes it over.
SQLite: an exclusive lock on a file beside the database (one machine by construction).
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

from assetsvc.runtime import settings

log = logging.getLogger("assetsvc.monitoring")
# pg advisory lock key: a fixed 64-bit number naming "assetsvc scheduler" (any constant works, as
# long as no other application on the same database uses it).
LOCK_KEY = 0x61737376_63736368


class Leadership:
    """Try to become leader, check that we still are, give it up."""

    def __init__(self) -> None:
        self._conn = None
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._conn is not None or self._fd is not None

    async def try_acquire(self) -> bool:
        if self.held:
            return await self.still_held()
        if settings().is_sqlite:
            return self._try_file()
        import asyncpg

        try:
            conn = await asyncpg.connect(settings().database_url, timeout=10)
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("leadership: cannot connect (%s)", exc)
            return False
        if await conn.fetchval("SELECT pg_try_advisory_lock($1)", LOCK_KEY):
            self._conn = conn
            return True
        await conn.close()
        return False

    def _try_file(self) -> bool:
        path = Path(f"{settings().sqlite_path}.leader")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    async def still_held(self) -> bool:
        """False once the lock's connection is gone (the server has released the lock then)."""
        if self._fd is not None:
            return True
        if self._conn is None:
            return False
        try:
            await self._conn.fetchval("SELECT 1", timeout=10)
            return True
        except Exception as exc:  # noqa: BLE001 - any failure means the session (and lock) is gone
            log.warning("leadership lost: %s", exc)
            await self.release()
            return False

    async def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                await conn.close(timeout=5)
            except Exception:  # noqa: BLE001 - closing a dead connection
                conn.terminate()


def job_lock_key(name: str) -> int:
    """A job's advisory lock key: 64 bits of a hash of its name, signed as PostgreSQL's bigint."""
    digest = hashlib.blake2b(f"assetsvc job {name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@asynccontextmanager
async def job_lock(name: str) -> AsyncIterator[bool]:
    """Whether this node may run the job `name` now (PostgreSQL: nobody else is running it).

    A transaction-level advisory lock (pg_try_advisory_xact_lock) in a transaction of its own, on
    a connection of its own, held until the job returns: a node that lost leadership while a job
    ran keeps the lock until its run ends, so the new leader's first run of that job is skipped
    instead of overlapping it. If the node dies, its connection closes and the server ends the
    transaction, lock included. The job's own queries use the pool as always.
    SQLite: one machine, and the leader file lock already admits one scheduler: always True.
    """
    if settings().is_sqlite:
        yield True
        return
    import asyncpg

    conn = await asyncpg.connect(settings().database_url, timeout=10)
    try:
        # A bare BEGIN, not asyncpg's Transaction: nothing is written on this connection, and
        # closing it (below) ends the transaction and the lock. asyncpg's Transaction.__aexit__
        # raises "the underlying connection is closed" when the server cut the session during the
        # run (a restart), which made a run whose work was done count as failed, and hid the
        # job's own error when it had one.
        await conn.execute("BEGIN")
        mine = bool(await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", job_lock_key(name)))
        try:
            yield mine
        finally:
            if mine and conn.is_closed():
                log.warning("job %s: the session holding its lock was cut during the run (the database "
                            "restarted?); the lock went with it, so another node may have run the job meanwhile",
                            name)
    finally:
        try:
            await conn.close(timeout=5)
        except Exception:  # noqa: BLE001 - the server may have closed it already
            conn.terminate()
