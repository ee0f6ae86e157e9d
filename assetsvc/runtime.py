"""This process's settings and credential vault, and the database migrations (core: imports no slice).

The credential key check at start-up needs the slices' tables, so it lives above them (app/startup.py).
"""

from __future__ import annotations

from functools import lru_cache

from assetsvc.secrets import Vault, load_keys
from assetsvc.settings import Settings, load_settings


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The validated settings of this process."""
    return load_settings()


_vault: Vault | None = None


def vault() -> Vault:
    """The credential vault (installed at start-up, or loaded lazily on first use)."""
    global _vault
    if _vault is None:
        _vault = Vault(load_keys(settings()))
    return _vault


def install_vault(new: Vault) -> Vault:
    """Use `new` from now on (start-up installs the vault whose key it has checked)."""
    global _vault
    _vault = new
    return new


async def pending_migrations() -> int:
    """How many migrations have not been applied to the configured database."""
    from piccolo.apps.migrations.commands.check import CheckMigrationManager

    return await CheckMigrationManager("all").havent_ran_count()


class SchemaNotReady(Exception):
    """The configured database lacks migrations this code needs; `assetsvc migrate` applies them."""


async def require_schema() -> None:
    """Stop with one clear line, not a traceback, when the database has pending migrations."""
    count = await pending_migrations()
    if count:
        raise SchemaNotReady(
            f"the database {shown_url(settings().database_url)} is not up to date ({count} migration(s) "
            "not applied): run `assetsvc migrate` first (`assetsvc serve` applies them itself)")


def shown_url(url: str) -> str:
    """A database URL fit for a message: any password replaced by ***."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


async def migrate() -> None:
    """Apply every pending migration (idempotent)."""
    import contextlib
    import io

    from piccolo.apps.migrations.commands.forwards import run_forwards

    # piccolo prints a banner per app to stdout; keep it for the error message only.
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        result = await run_forwards("all")
    if not result.success:
        raise RuntimeError(f"migration failed: {result.message}\n{printed.getvalue()}")
