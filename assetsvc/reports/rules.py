"""The league rules in force: the office's stored document (league_rules), or the shipped example."""

from __future__ import annotations

import json
import time
from typing import Any

from assetsvc import bulk, db
from assetsvc.actor import Actor
from assetsvc.audit import service as audit
from assetsvc.errors import Forbidden
from assetsvc.reports import league
from assetsvc.reports.tables import LeagueRulesDocument


async def _latest() -> dict[str, Any] | None:
    rows = await bulk.fetch(LeagueRulesDocument, "SELECT version, document, updated_at, updated_by FROM league_rules "
                                                 "ORDER BY version DESC LIMIT 1")
    return rows[0] if rows else None


async def in_force() -> league.LeagueRules:
    stored = await _latest()
    if stored is None:
        return league.parse(league.EXAMPLE.read_text("utf-8"))
    return league.parse(bulk.json_column(stored["document"], {}))


async def get_rules(actor: Actor) -> dict[str, Any]:
    if actor.role not in ("admin", "auditor"):
        raise Forbidden("this account may not read the league rules")
    stored = await _latest()
    rules = await in_force()
    return {"version": stored["version"] if stored else 0, "example": stored is None, "rules": rules.as_json(),
            "updated_at": stored["updated_at"] if stored else None, "updated_by": stored["updated_by"] if stored else None,
            "choices": {"rank": list(league.RANKED), "figures": sorted(league.FIGURES)}}


async def put_rules(actor: Actor, raw: Any, now: float | None = None) -> dict[str, Any]:
    """Validate in full (a 400 names the entry; nothing stored), then store as the next version, audited."""
    if actor.role != "admin":
        raise Forbidden("only the video office changes the league rules")
    rules = league.parse(raw)
    now = time.time() if now is None else now
    async with db.write_transaction():
        stored = await _latest()
        version = stored["version"] + 1 if stored else 1
        document = json.dumps(rules.as_json(), ensure_ascii=False)
        await bulk.execute_many(LeagueRulesDocument, "INSERT INTO league_rules (version, document, updated_at, "
                                "updated_by) VALUES (?,?,?,?)", [[version, document, now, actor.username]])
        await audit.record(actor.username, "update" if stored else "create", "league_rules", version,
                           f"league rules v{version}", audit.diff(
                               {"rules": bulk.json_column(stored["document"], {}) if stored else None},
                               {"rules": rules.as_json()}))
    return await get_rules(actor)
