"""What the API and the CLI call to read a report: a version, optionally one section or one scope's rows."""

from __future__ import annotations

from typing import Any

from assetsvc.actor import Actor
from assetsvc.errors import NotFound, ValidationFailed, field_error
from assetsvc.reports import scopes, versions
from assetsvc.reports.build import SECTIONS


def _only_scope(content: dict[str, Any], key: str) -> dict[str, Any]:
    """Each section's rows of one scope (sections without scope rows are left whole)."""
    known = {s["scope"] for s in content.get("scopes", [])}
    scopes.require(key, known)
    out = dict(content)
    out["scopes"] = [s for s in content["scopes"] if s["scope"] == key]
    for section in ("registry", "uptime", "tickets"):
        if section in out:
            out[section] = {**out[section], "rows": [r for r in out[section]["rows"] if r["scope"] == key]}
    return out


async def show(actor: Actor, month: str, version: int | None = None, scope: str | None = None,
               section: str | None = None) -> dict[str, Any]:
    key = scopes.check_key(scope)
    if section is not None and section not in SECTIONS:
        raise ValidationFailed(f"section {section!r} is not one of {', '.join(SECTIONS)}",
                               [field_error("section", "invalid", f"one of {', '.join(SECTIONS)}")])
    record, content = await versions.read(actor, month, version)
    if key is not None:
        if "scopes" not in content:
            raise NotFound(f"the report has no scope {key} this account may read")
        content = _only_scope(content, key)
    if section is not None:
        if section not in content:
            raise NotFound(f"section {section} is not in what this account may read")
        content = {"month": content["month"], "period": content["period"], section: content[section]}
    return {"version": record, "report": content}
