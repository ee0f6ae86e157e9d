"""The store itself: migrations apply cleanly and SQLite survives concurrent writers."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from assetsvc import db
from assetsvc.audit.tables import Change
from assetsvc.registry.tables import Station
from assetsvc.runtime import migrate, pending_migrations

WRITER = textwrap.dedent("""
    import asyncio, sys
    from assetsvc import db
    from assetsvc.registry import crud
    from assetsvc.registry.entities import STATION
    from assetsvc.accounts.service import Actor

    async def main(worker):
        await db.start()
        actor = Actor(0, f"writer-{worker}", "admin", None)
        for n in range(40):
            await crud.create_record(STATION, actor, {"name": f"站{worker}-{n}", "region_code": "450204"})
        await db.stop()

    asyncio.run(main(sys.argv[1]))
""")


async def test_no_migration_is_pending_and_migrating_again_is_harmless():
    assert await pending_migrations() == 0
    await migrate()
    assert await pending_migrations() == 0


@pytest.mark.skipif(os.environ.get("ASSETSVC_TEST_DB", "sqlite") != "sqlite", reason="SQLite only")
async def test_four_processes_writing_at_once_never_hit_database_is_locked():
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(w)], stderr=subprocess.PIPE, text=True)
             for w in range(4)]
    errors = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
    assert await Station.count().run() == 160
    assert await Change.count().where(Change.entity == "station").run() == 160


async def test_sqlite_file_is_in_wal_mode():
    if not db.is_sqlite():
        pytest.skip("SQLite only")
    rows = await Station.raw("PRAGMA journal_mode").run()
    assert rows[0]["journal_mode"] == "wal"
