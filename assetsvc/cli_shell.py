"""The shell side of every CLI command: run one service call with the database open, as the office.

The root CLI (assetsvc/cli.py) and the slices' command groups (tickets, webhooks, uptime) share it;
it sits in the core layer, so a slice's CLI never imports the root CLI back.
"""

from __future__ import annotations

import asyncio
import getpass
import os
from typing import Any, Awaitable, Callable

import click

from assetsvc import db, storage
from assetsvc.actor import Actor
from assetsvc.errors import ServiceError
from assetsvc.runtime import SchemaNotReady, require_schema
from assetsvc.secrets import KeyError_


def run(coro_fn: Callable[[], Awaitable[Any]], *, schema: bool = True) -> Any:
    """Run one async service call with the database open; service errors become clean exits.

    With `schema` (every command but those that migrate), a database with pending migrations
    stops the command with one line saying to run `assetsvc migrate`.
    """

    async def main() -> Any:
        await db.start()
        try:
            if schema:
                await require_schema()
            return await coro_fn()
        finally:
            await db.stop()

    try:
        return asyncio.run(main())
    except ServiceError as exc:
        lines = [exc.message] + [f"  {e['field']}: {e['message']}" for e in exc.errors
                                 if e["message"] != exc.message]
        raise click.ClickException("\n".join(lines)) from None
    except (KeyError_, SchemaNotReady) as exc:
        raise click.ClickException(str(exc)) from None
    except Exception as exc:  # a full disk, a read-only folder, a damaged file: one sentence
        if (failure := storage.classify(exc)) is None:
            raise
        raise click.ClickException(str(failure)) from None


def cli_actor() -> Actor:
    """The shell user acts as the video office; the change log names them as cli:<login>."""
    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = str(os.getuid())
    return Actor(user_id=0, username=f"cli:{login}", role="admin", contractor_id=None)
