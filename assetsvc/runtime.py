"""Process start-up shared by serve, CLI and tests: settings, migrations, credential key."""

from __future__ import annotations

from functools import lru_cache

from assetsvc.secrets import Vault, load_key, write_key_file
from assetsvc.settings import Settings, load_settings


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The validated settings of this process."""
    return load_settings()


_vault: Vault | None = None


def vault() -> Vault:
    """The credential vault (loaded by `prepare`, or lazily on first use)."""
    global _vault
    if _vault is None:
        _vault = Vault(load_key(settings()))
    return _vault


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


async def verified_vault() -> Vault:
    """The credential vault after its key opened the stored key check (accounts/keycheck.py).

    Every path that seals or opens a secret calls this first: a wrong key stops it before
    anything is written, with a message naming ASSETSVC_SECRET_KEY or the key file."""
    from assetsvc.accounts.keycheck import verified_vault as check

    return await check(settings())


async def check_key(*, create_if_unused: bool) -> None:
    """Fail clearly when secrets are sealed but the key is missing or wrong.

    With `create_if_unused`, a deployment that has sealed nothing and has no key gets a key file
    made for it (the embedded default must start with no set-up). The key is checked against the
    stored key check, which is written here when the key is first established.
    """
    from assetsvc.accounts.keycheck import established

    global _vault
    if load_key(settings()) is None and create_if_unused and not await established():
        write_key_file(settings().secret_key_file)
    _vault = await verified_vault()
