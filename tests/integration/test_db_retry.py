"""db.retry_while_unreachable: bookkeeping writes wait for a PostgreSQL server that went away
(tests/integration/test_pg_restart.py shows it with a real outage); other errors, and SQLite, go
up at once."""

from __future__ import annotations

import os

import pytest

from assetsvc import db


async def test_an_unreachable_server_is_waited_for_and_any_other_error_goes_up_at_once():
    calls: list[int] = []

    async def refused_twice() -> str:
        calls.append(1)
        if len(calls) <= 2:
            raise ConnectionRefusedError(111, "Connection refused")
        return "written"

    if db.is_sqlite():  # one file, no server to come back: never retried
        with pytest.raises(ConnectionRefusedError):
            await db.retry_while_unreachable(refused_twice, "test")
        assert len(calls) == 1
    else:
        assert await db.retry_while_unreachable(refused_twice, "test") == "written"
        assert len(calls) == 3

    async def refused_statement() -> None:
        calls.append(1)
        raise ValueError("not a connection problem")

    calls.clear()
    with pytest.raises(ValueError):
        await db.retry_while_unreachable(refused_statement, "test")
    assert len(calls) == 1


@pytest.mark.skipif(os.environ.get("ASSETSVC_TEST_DB") != "postgres", reason="PostgreSQL only")
async def test_a_server_that_stays_away_is_given_up_on_after_the_limit():
    calls: list[int] = []

    async def never() -> None:
        calls.append(1)
        raise ConnectionRefusedError(111, "Connection refused")

    with pytest.raises(ConnectionRefusedError):
        await db.retry_while_unreachable(never, "test", within_s=0.5)
    assert len(calls) == 3  # tried, waited 0.25 s, tried, waited 0.5 s (past the limit), tried: bounded
