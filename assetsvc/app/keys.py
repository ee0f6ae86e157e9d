"""`assetsvc keys`: rotate the credential key (密钥轮换) without losing a stored secret.

Three steps, each its own command (docs/operations.md, "Rotating the credential key"):
`rotate` puts a new key at the head of the key file (the old ones stay: every key opens, the
newest seals); `reencrypt` seals every stored secret again with the newest key, each slice
through its own service function, all in one write transaction; `retire` drops the older keys
once the newest alone opens everything stored.
"""

from __future__ import annotations

from assetsvc import db
from assetsvc.actor import Actor
from assetsvc.audit import service as audit
from assetsvc.registry import keycheck
from assetsvc.reports.province import config as province
from assetsvc.secrets import KeyError_, Resealed, Vault, add_key, keep_newest, load_keys
from assetsvc.settings import Settings
from assetsvc.webhooks import service as webhooks

AUDIT_NAME = "credential_key"


def _file_only(settings: Settings, what: str) -> None:
    if settings.secret_key:
        raise KeyError_(f"the keys come from ASSETSVC_SECRET_KEY, which this command cannot change: {what} "
                        "(docs/operations.md, \"Rotating the credential key\")")


def rotate(settings: Settings) -> int:
    """Add a new key at the head of the key file, keeping the others; returns how many it holds."""
    _file_only(settings, "put a new key (`assetsvc keygen` into another file makes one) at the head of its "
                         "comma-separated list, keeping the old ones after it")
    if not settings.secret_key_file.exists():
        raise KeyError_(f"no key file at {settings.secret_key_file} (ASSETSVC_SECRET_KEY_FILE): there is no key to "
                        "rotate; make the first one with `assetsvc keygen`")
    return len(add_key(settings.secret_key_file))


async def reencrypt(settings: Settings, actor: Actor) -> list[Resealed]:
    """Seal every stored secret again with the newest key, in one write transaction; counts per kind.

    The configured keys must open the stored key check first; a secret that none of them opens
    stops it, named, before anything is written. Running it again re-seals nothing."""
    if not load_keys(settings):
        raise KeyError_("no credential key is configured (ASSETSVC_SECRET_KEY or the key file): nothing to re-encrypt with")
    async with db.write_transaction():
        vault = await keycheck.verified_vault(province.sealed_secrets, settings)
        done = [*await keycheck.reseal(vault), await webhooks.reseal_secrets(vault),
                await province.reseal_secret(vault)]
        if any(r.resealed for r in done):
            await audit.record(actor.username, "reseal", AUDIT_NAME, 0, "credential key",
                               {r.kind: ["older key", f"newest key ({r.resealed})"] for r in done if r.resealed},
                               "cli")
    return done


async def retire(settings: Settings) -> int:
    """Drop the key file's older keys once the newest alone opens every stored secret; how many went."""
    keys = load_keys(settings)
    if not keys:
        raise KeyError_(f"no credential key is configured (ASSETSVC_SECRET_KEY or the key file "
                        f"{settings.secret_key_file}): there is no key to retire; make the first one with "
                        "`assetsvc keygen`")
    if len(keys) < 2:
        return 0
    stale = await keycheck.unopened(Vault(keys[:1]), province.sealed_secrets)
    if stale:
        raise KeyError_(f"{stale} stored secret(s) are still sealed with an older key: run `assetsvc keys reencrypt` "
                        "first (on every database these keys serve); no key was removed")
    _file_only(settings, "every stored secret opens with its first key: remove the others from it yourself, "
                         "then restart every process that reads it")
    return len(keep_newest(settings.secret_key_file, keys))
