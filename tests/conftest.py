"""Test set-up: one fresh database per run (SQLite by default, PostgreSQL on request).

ASSETSVC_TEST_DB=postgres runs the suite on a new database created on the server named by
ASSETSVC_TEST_PG_ADMIN (default postgresql://postgres@127.0.0.1:5432/test) and dropped afterwards.
The environment is set here, before any assetsvc module reads it.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests import tools

ENGINE = os.environ.get("ASSETSVC_TEST_DB", "sqlite")
PG_ADMIN = os.environ.get("ASSETSVC_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/test")
DATA_DIR = Path(tempfile.mkdtemp(prefix="assetsvc-test-"))
PG_NAME = f"assetsvc_test_{os.getpid()}_{secrets.token_hex(3)}"

for key in list(os.environ):
    if key.startswith("ASSETSVC_") and not key.startswith("ASSETSVC_TEST_"):
        del os.environ[key]
os.environ["ASSETSVC_DATA_DIR"] = str(DATA_DIR)
os.environ["ASSETSVC_SECRET_KEY"] = Fernet.generate_key().decode()
# The tests' webhook receivers listen on loopback, which webhooks may not reach by default.
os.environ["ASSETSVC_WEBHOOK_ALLOW_CIDRS"] = "127.0.0.0/8,::1/128"
if ENGINE == "postgres":
    os.environ["ASSETSVC_DATABASE_URL"] = PG_ADMIN.rsplit("/", 1)[0] + "/" + PG_NAME
elif ENGINE == "sqlite":
    os.environ["ASSETSVC_DATABASE_URL"] = f"sqlite:///{DATA_DIR / 'test.sqlite'}"
else:  # pragma: no cover
    raise SystemExit(f"ASSETSVC_TEST_DB={ENGINE!r}: use sqlite or postgres")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


DB_ONLY = os.environ.get("ASSETSVC_TEST_DB_ONLY") == "1"


def pytest_report_header(config) -> str:
    only = " (ASSETSVC_TEST_DB_ONLY=1: only the tests that use the database)" if DB_ONLY else ""
    return f"assetsvc database: {ENGINE} {os.environ['ASSETSVC_DATABASE_URL']}{only}"


def pytest_collection_modifyitems(config, items) -> None:
    """With ASSETSVC_TEST_DB_ONLY=1 (scripts/test's PostgreSQL pass), run only the tests that use
    the database: those with the `database` fixture, which tests/integration and tests/e2e get
    automatically. tests/unit and tests/probes never open it (no such fixture, no migrated schema;
    the probes library imports nothing from assetsvc), so on a second engine they would run the
    same code on the same inputs again; the SQLite pass runs them."""
    if not DB_ONLY:
        return
    keep = [item for item in items if "database" in item.fixturenames]
    dropped = [item for item in items if "database" not in item.fixturenames]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


# --- outside tools (tests/tools.py): one check and one message per tool -----------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    """A test marked `needs(tool)`, or whose fixture starts a peer that is missing, skips."""
    for mark in item.iter_markers("needs"):
        for name in mark.args:
            _skip_if_missing(name)
    try:
        return (yield)
    except tools.ToolMissing as exc:
        pytest.skip(str(exc))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    try:
        return (yield)
    except tools.ToolMissing as exc:
        pytest.skip(str(exc))


def _skip_if_missing(name: str) -> None:
    try:
        tools.need(name)
    except tools.ToolMissing as exc:
        pytest.skip(str(exc))


def pytest_terminal_summary(terminalreporter) -> None:
    """One line per missing tool that some test asked for, with how many tests skipped for it."""
    skipped = terminalreporter.stats.get("skipped", [])
    for name in sorted(tools.ASKED):
        if tools.why_missing(name) is not None:
            text = tools.message(name)
            count = sum(1 for report in skipped if text in str(report.longrepr))
            terminalreporter.write_line(f"missing tool, {count} tests skipped: {text}", yellow=True)


def _on_admin_database(sql: str) -> None:
    """Run one statement on the PostgreSQL server's admin database (create/drop ours)."""
    import asyncio

    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(PG_ADMIN)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "needs(*tools): the test needs these outside tools (tests/tools.py)")
    if ENGINE == "postgres":
        _on_admin_database(f'CREATE DATABASE "{PG_NAME}"')


def pytest_unconfigure(config) -> None:
    if ENGINE == "postgres":
        _on_admin_database(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')
