"""The provincial platform's configuration (the office sets it): endpoint, TLS files, mapping, codes, key.

One row (province_target id 1). The HMAC-SHA256 signing key is sealed with the credential vault
like a webhook secret (registry/keycheck.py opens the key check first); it is never shown again.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping as MappingType
from urllib.parse import urlsplit

from assetsvc import bulk, db
from assetsvc.actor import Actor
from assetsvc.audit import service as audit
from assetsvc.errors import Forbidden, NotFound, ValidationFailed, field_error
from assetsvc.registry.keycheck import verified_vault as registry_vault
from assetsvc.reports.province import mapping
from assetsvc.reports.province.tables import ProvinceTarget
from assetsvc.secrets import Resealed, Vault
from assetsvc.webhooks.service import sealed_secrets as webhook_secrets

FIELDS = ("url", "ca_bundle", "client_cert", "client_key", "mapping", "area_code", "unit_code", "give_up_days",
          "timeout_s")
AUDIT_NAME = "province_target"
MIN_SECRET = 16
DEFAULTS = {"ca_bundle": None, "client_cert": None, "client_key": None, "mapping": "province-v1",
            "give_up_days": 7, "timeout_s": 30.0}


@dataclass(frozen=True)
class Target:
    """What sending needs: the endpoint, TLS files, codes, the opened signing key and the limits."""

    url: str
    ca_bundle: str | None
    client_cert: str | None
    client_key: str | None
    mapping: str
    area_code: str
    unit_code: str
    secret: str
    give_up_days: int
    timeout_s: float


async def sealed_secrets() -> list[str]:
    """Every secret sealed with the credential key above the registry: webhooks' and the province's."""
    rows = await ProvinceTarget.select(ProvinceTarget.secret).run()
    return await webhook_secrets() + [r["secret"] for r in rows]


async def verified_vault():
    return await registry_vault(sealed_secrets)


async def reseal_secret(vault: Vault) -> Resealed:
    """Seal the signing key again with the newest key (a key rotation), in one write transaction
    (the caller's, if any); a key no configured key opens stops it, named, with nothing written."""
    lock = "" if db.is_sqlite() else " FOR UPDATE"
    async with db.write_transaction():
        rows = await bulk.fetch(ProvinceTarget, f"SELECT id, secret FROM province_target ORDER BY id{lock}")
        changed, done = vault.reseal(rows, "provincial signing key", lambda r: r["secret"],
                                     lambda r: f"the provincial platform's signing key (table province_target, row {r['id']})")
        await bulk.execute_many(ProvinceTarget, "UPDATE province_target SET secret = ? WHERE id = ?",
                                [(token, row["id"]) for row, token in changed])
    return done


def _require_admin(actor: Actor) -> None:
    if actor.role != "admin":
        raise Forbidden("only the video office (admin) configures and sends to the provincial platform")


def can_read(actor: Actor) -> None:
    if actor.role not in ("admin", "auditor"):
        raise Forbidden("only the video office (admin) and auditors may read province deliveries")


def _file(name: str, value: Any, errors: list[dict]) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 1000:
        errors.append(field_error(name, "type", f"{name} must be a file path (at most 1000 characters)"))
        return None
    path = Path(value)
    if not path.is_absolute():
        errors.append(field_error(name, "invalid", f"{name} must be an absolute path"))
    elif not path.is_file():
        errors.append(field_error(name, "missing", f"{name}: no readable file at {value}"))
    return value


def _clean(values: MappingType[str, Any], merged: dict[str, Any]) -> dict[str, Any]:
    errors: list[dict] = []
    url = merged.get("url")
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme != "https" or not parts.hostname or len(url) > 2000:
        errors.append(field_error("url", "invalid", "url must be an https:// address (at most 2000 characters)"))
    for name in ("ca_bundle", "client_cert", "client_key"):
        merged[name] = _file(name, merged.get(name), errors)
    if merged.get("client_key") and not merged.get("client_cert"):
        errors.append(field_error("client_key", "invalid", "a client key needs its client_cert"))
    ref = merged.get("mapping")
    if not isinstance(ref, str) or not 0 < len(ref) <= 1000:
        errors.append(field_error("mapping", "type", "mapping is a shipped mapping's name or a TOML file's path"))
    else:
        try:
            mapping.load(ref)
        except mapping.MappingError as exc:
            errors.append(field_error("mapping", "invalid", str(exc)))
    if not isinstance(merged.get("area_code"), str) or not re.fullmatch(r"\d{6}(\d{2,6})?", merged["area_code"]):
        errors.append(field_error("area_code", "invalid", "area_code is the platform's 6 to 12 digit area code"))
    unit = merged.get("unit_code")
    if not isinstance(unit, str) or not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", unit):
        errors.append(field_error("unit_code", "invalid", "unit_code is 1 to 64 letters, digits, _ . -"))
    days = merged.get("give_up_days")
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 90:
        errors.append(field_error("give_up_days", "invalid", "give_up_days is a whole number of days in 1..90"))
    timeout = merged.get("timeout_s")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0.1 <= timeout <= 300:
        errors.append(field_error("timeout_s", "invalid", "timeout_s is seconds in 0.1..300"))
    secret = values.get("secret")
    if secret is not None and (not isinstance(secret, str) or not MIN_SECRET <= len(secret) <= 500):
        errors.append(field_error("secret", "invalid", f"the signing key is {MIN_SECRET} to 500 characters"))
    if errors:
        raise ValidationFailed("the province configuration is not valid", errors)
    return {k: merged[k] for k in FIELDS} | {"timeout_s": float(timeout)}


async def _stored() -> dict[str, Any] | None:
    rows = await bulk.fetch(ProvinceTarget, "SELECT * FROM province_target WHERE id = 1")
    return rows[0] if rows else None


def render(row: MappingType[str, Any]) -> dict[str, Any]:
    """The configuration as shown: never the signing key."""
    return {k: row[k] for k in FIELDS} | {"updated_at": row["updated_at"], "updated_by": row["updated_by"],
                                         "secret": "***"}


async def show(actor: Actor) -> dict[str, Any]:
    can_read(actor)
    row = await _stored()
    if row is None:
        raise NotFound("the provincial platform is not configured yet (assetsvc report province set)")
    return render(row)


async def configure(actor: Actor, values: Any, *, now: float | None = None, source: str = "api") -> dict[str, Any]:
    """Set (or change some of) the configuration; the signing key is required the first time."""
    _require_admin(actor)
    if not isinstance(values, dict) or set(values) - set(FIELDS) - {"secret"}:
        extra = sorted(set(values) - set(FIELDS) - {"secret"}) if isinstance(values, dict) else []
        raise ValidationFailed("send an object with some of: " + ", ".join((*FIELDS, "secret")),
                               [field_error(name, "unknown", "not a configuration field") for name in extra]
                               or [field_error("body", "type", "an object")])
    at = time.time() if now is None else now
    async with db.write_transaction():
        before = await _stored()
        if before is None and values.get("secret") is None:
            raise ValidationFailed("the signing key is required", [field_error("secret", "missing",
                                                                               "the HMAC-SHA256 signing key")])
        merged = {**DEFAULTS, **({k: before[k] for k in FIELDS} if before else {}), **values}
        cleaned = _clean(values, merged)
        columns = dict(cleaned, updated_at=at, updated_by=actor.username)
        if values.get("secret") is not None:
            columns["secret"] = (await verified_vault()).encrypt(values["secret"])
        changes = audit.diff({k: before[k] for k in FIELDS} if before else {}, cleaned)
        if "secret" in columns:
            changes["secret"] = ["***", "*** (new)"]
        if before is None:
            await ProvinceTarget.insert(ProvinceTarget(id=1, **columns)).run()
        else:
            await ProvinceTarget.update({getattr(ProvinceTarget, k): v for k, v in columns.items()}).where(
                ProvinceTarget.id == 1).run()
        if changes:
            await audit.record(actor.username, "create" if before is None else "update", AUDIT_NAME, 1,
                               "provincial platform", changes, source)
        return render(await _stored())


async def target() -> Target | None:
    """The configuration with the key opened (inside the caller's transaction), or None when not set.

    Raises secrets.KeyError_ when the credential key does not open it."""
    row = await _stored()
    if row is None:
        return None
    secret = (await verified_vault()).decrypt(row["secret"])
    return Target(**{k: row[k] for k in FIELDS}, secret=secret)
