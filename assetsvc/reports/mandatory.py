"""The mandatory field list (一机一档必填项) behind 完整率: the office's stored list, or data/report.toml's."""

from __future__ import annotations

import dataclasses
import json
import time
from typing import Any

from assetsvc import bulk, db
from assetsvc.actor import Actor
from assetsvc.audit import service as audit
from assetsvc.errors import Forbidden, ValidationFailed, field_error
from assetsvc.registry.fields import FIELDS
from assetsvc.reports.config import ReportConfig, current
from assetsvc.reports.tables import MandatoryFieldsDocument

LISTS = ("fields", "class1")
MAX_FIELDS = len(FIELDS)
_KEYS = {f.key for f in FIELDS}


async def _latest() -> dict[str, Any] | None:
    rows = await bulk.fetch(MandatoryFieldsDocument, "SELECT version, document, updated_at, updated_by "
                                                     "FROM report_mandatory ORDER BY version DESC LIMIT 1")
    return rows[0] if rows else None


async def config() -> ReportConfig:
    """The report settings with the mandatory lists in force."""
    stored = await _latest()
    if stored is None:
        return current()
    document = bulk.json_column(stored["document"], {})
    return dataclasses.replace(current(), mandatory=tuple(document["fields"]), mandatory_class1=tuple(document["class1"]))


def parse(raw: Any) -> dict[str, list[str]]:
    """{"fields": [...], "class1": [...]}: known field keys, no repeats, at least one field; 400 names the entry."""
    if not isinstance(raw, dict):
        raise ValidationFailed("the body must be a JSON object {fields, class1}",
                               [field_error("body", "invalid", "expected a JSON object")])
    errors = [field_error(k, "unknown", f"{k!r} is not a setting (fields, class1)") for k in raw if k not in LISTS]
    parsed: dict[str, list[str]] = {}
    for name in LISTS:
        value = raw.get(name, [])
        if not isinstance(value, list) or len(value) > MAX_FIELDS:
            errors.append(field_error(name, "invalid", f"{name} must be a list of at most {MAX_FIELDS} field names"))
            continue
        seen: set[str] = set()
        for i, key in enumerate(value):
            if not isinstance(key, str) or key not in _KEYS:
                errors.append(field_error(f"{name}[{i}]", "unknown", f"{key!r} is not a camera field"))
            elif key in seen:
                errors.append(field_error(f"{name}[{i}]", "duplicate", f"{key} is listed twice"))
            else:
                seen.add(key)
        parsed[name] = list(value)
    if not errors and not parsed["fields"]:
        errors.append(field_error("fields", "required", "name at least one mandatory field"))
    if errors:
        raise ValidationFailed(f"the mandatory field list is not valid: {errors[0]['message']}", errors)
    return parsed


async def get_fields(actor: Actor) -> dict[str, Any]:
    if actor.role not in ("admin", "auditor"):
        raise Forbidden("this account may not read the mandatory field list")
    stored = await _latest()
    now = await config()
    return {"version": stored["version"] if stored else 0, "default": stored is None,
            "fields": list(now.mandatory), "class1": list(now.mandatory_class1),
            "choices": [{"field": f.key, "header": f.header} for f in FIELDS],
            "updated_at": stored["updated_at"] if stored else None, "updated_by": stored["updated_by"] if stored else None}


async def put_fields(actor: Actor, raw: Any, now: float | None = None) -> dict[str, Any]:
    """Validate in full (nothing stored on a 400), then store the next version, audited."""
    if actor.role != "admin":
        raise Forbidden("only the video office changes the mandatory field list")
    document = parse(raw)
    now = time.time() if now is None else now
    async with db.write_transaction():
        stored = await _latest()
        version = stored["version"] + 1 if stored else 1
        before = bulk.json_column(stored["document"], {}) if stored else None
        await bulk.execute_many(MandatoryFieldsDocument, "INSERT INTO report_mandatory (version, document, "
                                "updated_at, updated_by) VALUES (?,?,?,?)",
                                [[version, json.dumps(document, ensure_ascii=False), now, actor.username]])
        await audit.record(actor.username, "update" if stored else "create", "report_mandatory", version,
                           f"mandatory fields v{version}", audit.diff({"mandatory": before}, {"mandatory": document}))
    return await get_fields(actor)
