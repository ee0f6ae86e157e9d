"""The credential key check: a known constant sealed with the key, opened before any secret is.

Every path that seals or opens a device password or webhook secret asks `verified_vault()`
first (the registry owns it, beside the device credentials; a slice above that seals secrets of
its own, the webhooks, passes them as `also_sealed`), so a wrong ASSETSVC_SECRET_KEY (or key file) stops it with a message naming the key,
before anything is written. The check row is written when the first key is established; a
deployment from before it gets the row once its key opens every stored secret.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Awaitable, Callable

from assetsvc import bulk, db
from assetsvc.registry.tables import Credential, KeyCheck
from assetsvc.runtime import settings as current_settings
from assetsvc.secrets import KeyError_, Resealed, Vault, load_keys
from assetsvc.settings import Settings

Sealed = Callable[[], Awaitable[list[str]]]  # another slice's sealed secrets

CONSTANT = "assetsvc credential key check v1"


def key_source(settings: Settings) -> str:
    """Where the configured key comes from, as a person would fix it."""
    if settings.secret_key:
        return "ASSETSVC_SECRET_KEY"
    return f"the key file {settings.secret_key_file} (ASSETSVC_SECRET_KEY_FILE)"


async def _stored_secrets(also_sealed: Sealed | None) -> list[str]:
    """Every sealed secret the caller knows of: device credentials, and another slice's."""
    rows = await Credential.select(Credential.secret).run()
    return [r["secret"] for r in rows] + (await also_sealed() if also_sealed else [])


async def established(also_sealed: Sealed | None = None) -> bool:
    """Whether a key has sealed anything yet (the check row, or secrets from before it)."""
    return await KeyCheck.exists().run() or bool(await _stored_secrets(also_sealed))


def _opens(vault: Vault, token: str) -> bool:
    try:
        vault.decrypt(token)
    except KeyError_:
        return False
    return True


async def _establish(vault: Vault, source: str, also_sealed: Sealed | None) -> None:
    """Write the check row with this key, once it opens every secret already stored."""
    stored = await _stored_secrets(also_sealed)
    failing = sum(1 for token in stored if not _opens(vault, token))
    if failing:
        raise KeyError_(f"{failing} of {len(stored)} stored secrets cannot be decrypted with the key in "
                        f"{source}: set the key that sealed them (or restore the key file); nothing was written")
    await KeyCheck.insert(KeyCheck(id=1, token=vault.encrypt(CONSTANT))).on_conflict(action="DO NOTHING").run()


async def verified_vault(also_sealed: Sealed | None = None, settings: Settings | None = None) -> Vault:
    """The vault of the configured key, after that key opened the stored key check.

    With no key configured and nothing sealed yet, the vault is empty: sealing then fails with
    the message saying how to make a key."""
    settings = settings or current_settings()
    keys = load_keys(settings)
    vault = Vault(keys)
    source = key_source(settings)
    if not keys:
        if await established(also_sealed):
            raise KeyError_("device credentials or webhook secrets are stored but no key is configured: set "
                            f"ASSETSVC_SECRET_KEY or restore the key file {settings.secret_key_file}")
        return vault
    row = await KeyCheck.select(KeyCheck.token).order_by(KeyCheck.id).first().run()
    if row is None:
        await _establish(vault, source, also_sealed)
        row = await KeyCheck.select(KeyCheck.token).order_by(KeyCheck.id).first().run()
    if not _opens(vault, row["token"]):
        raise KeyError_(f"stored secrets cannot be decrypted with the key in {source}: it is not the key "
                        "that sealed them (the stored key check does not open); set the right key or "
                        "restore the key file; nothing was written")
    return vault


def check_backup(database: Path, keys: list[bytes], key_source: str) -> bool:
    """Whether a backed-up SQLite file seals secrets, after checking `keys` open its key check.

    Read straight from the file (it is not this process's database): raises KeyError_ naming
    `key_source` when the key does not open the stored check, or when secrets are sealed and no
    key is given; returns False when nothing was ever sealed (no key needed)."""
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        tables = {KeyCheck._meta.tablename, Credential._meta.tablename}
        present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables <= present:
            raise KeyError_(f"{database} is not an assetsvc database (no {', '.join(sorted(tables - present))} table)")
        row = conn.execute(f"SELECT token FROM {KeyCheck._meta.tablename} ORDER BY id LIMIT 1").fetchone()
        sealed = row is not None or conn.execute(f"SELECT 1 FROM {Credential._meta.tablename} LIMIT 1").fetchone()
    finally:
        conn.close()
    if not sealed:
        return False
    if not keys:
        raise KeyError_(f"the backup {database} holds sealed secrets but no key was given: pass the key file "
                        "kept with the backup (--key PATH); nothing was restored")
    if row is None:  # sealed before the check row existed: start-up establishes it after the restore
        return True
    if not _opens(Vault(keys), row[0]):
        raise KeyError_(f"the key in {key_source} is not the key of this backup (it does not open the "
                        "backup's stored key check); find the key file saved with this backup; nothing was restored")
    return True


async def reseal(vault: Vault) -> list[Resealed]:
    """Seal the device passwords and the key check again with the newest key (a key rotation).

    In one write transaction (the caller's, if any): a secret that no configured key opens stops
    it with the record named, before anything is written. Rows are locked on PostgreSQL, so a
    password changed meanwhile is not overwritten with the old one sealed again."""
    lock = "" if db.is_sqlite() else " FOR UPDATE"
    async with db.write_transaction():
        creds = await bulk.fetch(Credential, f"SELECT id, name, secret FROM credential ORDER BY id{lock}")
        changed, credentials = vault.reseal(creds, "device credentials", lambda r: r["secret"],
                                            lambda r: f"credential {r['id']} ({r['name']!r}, table credential)")
        checks = await bulk.fetch(KeyCheck, f"SELECT id, token FROM {KeyCheck._meta.tablename} ORDER BY id{lock}")
        changed_checks, check = vault.reseal(checks, "key check", lambda r: r["token"],
                                             lambda r: f"the key check (table {KeyCheck._meta.tablename}, row {r['id']})")
        await bulk.execute_many(Credential, "UPDATE credential SET secret = ? WHERE id = ?",
                                [(token, row["id"]) for row, token in changed])
        await bulk.execute_many(KeyCheck, f"UPDATE {KeyCheck._meta.tablename} SET token = ? WHERE id = ?",
                                [(token, row["id"]) for row, token in changed_checks])
    return [credentials, check]


async def unopened(vault: Vault, also_sealed: Sealed | None = None) -> int:
    """How many stored secrets, the key check row included, `vault` cannot open."""
    checks = [r["token"] for r in await KeyCheck.select(KeyCheck.token).run()]
    return sum(1 for token in checks + await _stored_secrets(also_sealed) if not _opens(vault, token))
