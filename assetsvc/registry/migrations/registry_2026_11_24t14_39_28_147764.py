"""PostgreSQL-only indexes for the camera list: trigram indexes for the free-text search (q),
and (sort key, id) indexes for paging by national ID or name.

Why trigram: q is `name ILIKE '%q%' OR address ILIKE '%q%' OR gb_id ILIKE '%q%'`, which no
B-tree can serve. On PostgreSQL each such query was a sequential scan of every camera with three
ILIKEs per row: 130 ms for 100,000 cameras, twice when the page was full (ids, then count). GIN
indexes with pg_trgm's gin_trgm_ops serve ILIKE '%...%' of three or more characters in a few ms
(docs/performance.md). The query is unchanged; only the plan differs.

pg_trgm ships with PostgreSQL (contrib) and is a trusted extension since PostgreSQL 13, so the
database owner may create it. Where it is missing or may not be created, the migration leaves
search unindexed (correct, slower) and says so rather than failing the deployment. SQLite has
no such index; its substring search stays a scan (about 40 ms per 100,000 cameras).

Why (sort key, id): a page is ordered by the sort key, then id. PostgreSQL's index on the key
alone gives no id, so a deep page (offset 75,000 of 100,000, and every page of an export, which
pages by gb_id) visited the table for each row it skipped: 85-90 ms. With id in the index it
is an index-only scan. SQLite needs neither: its indexes carry the rowid, which is id.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.table import Table
from piccolo.utils.warnings import colored_warning

ID = "2026-11-24T14:39:28:147764"
VERSION = "1.38.0"
DESCRIPTION = "PostgreSQL: trigram indexes for camera search, (sort key, id) indexes for paging"

TRIGRAM = ("name", "address", "gb_id")
PAGING = ("gb_id", "name")


class _Camera(Table, tablename="camera"):
    """Only a handle for raw SQL."""


async def _has_trigrams() -> bool:
    """pg_trgm is installed, or could be installed here and now."""
    found = await _Camera.raw(
        "SELECT installed_version FROM pg_available_extensions WHERE name = 'pg_trgm'").run()
    if not found:
        colored_warning("pg_trgm is not available on this server: camera search (q) stays unindexed")
        return False
    if found[0]["installed_version"] is not None:
        return True
    transaction = engine_finder().current_transaction.get()
    savepoint = await transaction.savepoint("pg_trgm") if transaction else None
    try:
        await _Camera.raw("CREATE EXTENSION IF NOT EXISTS pg_trgm").run()
    except Exception as exc:  # noqa: BLE001 - any refusal (privileges) leaves search unindexed
        if savepoint:
            await savepoint.rollback_to()
        colored_warning(f"could not create the pg_trgm extension ({exc}): camera search (q) stays "
                        "unindexed. To index it later, let a superuser run CREATE EXTENSION pg_trgm, "
                        f"then: piccolo migrations backwards registry --migration_id={ID} and "
                        "assetsvc migrate")
        return False
    if savepoint:
        await savepoint.release()
    return True


async def _create() -> None:
    if engine_finder().engine_type != "postgres":
        return
    for column in PAGING:
        await _Camera.raw(f'CREATE INDEX IF NOT EXISTS "camera_{column}_id" ON "camera" ("{column}", "id")').run()
    if not await _has_trigrams():
        return
    for column in TRIGRAM:
        await _Camera.raw(f'CREATE INDEX IF NOT EXISTS "camera_{column}_trgm" ON "camera" '
                          f'USING gin ("{column}" gin_trgm_ops)').run()


async def _drop() -> None:
    if engine_finder().engine_type != "postgres":
        return
    for name in [f"camera_{c}_trgm" for c in TRIGRAM] + [f"camera_{c}_id" for c in PAGING]:
        await _Camera.raw(f'DROP INDEX IF EXISTS "{name}"').run()


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="registry", description=DESCRIPTION)
    manager.add_raw(_create)
    manager.add_raw_backwards(_drop)
    return manager
