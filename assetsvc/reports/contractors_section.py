"""Contractors (考核): each contract's monthly score with every deduction, from the ticket slice's score."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from assetsvc.actor import Actor
from assetsvc.errors import ServiceError
from assetsvc.reports.figures import NA
from assetsvc.tickets import contracts


async def section(actor: Actor, rows: Iterable[Mapping[str, Any]], month: str, end: float) -> dict[str, Any]:
    """tickets.contracts.score as of the month's end for each contract in force in the month; a
    contract that cannot be scored (no terms, a count the office did not give) says why."""
    out = []
    for row in sorted(rows, key=lambda r: r["id"]):
        head = {"contract_id": row["id"], "code": row["code"], "contractor_id": row["contractor"],
                "contractor": row.get("contractor_name") or ""}
        try:
            found = await contracts.score(actor, row["id"], month, now=end)
        except ServiceError as exc:
            out.append({**head, "score": NA, "reason": exc.message})
            continue
        out.append({**head, "score": found["score"], "grade": found["grade"], "points": found["points"],
                    "amount": found["amount"], "amount_capped": found["amount_capped"], "tickets": found["tickets"],
                    # The rule's kind (added to the score for the UI) stays out: a month generated again
                    # would otherwise list every deduction as changed.
                    "deductions": [{k: v for k, v in d.items() if k != "kind"} for d in found["deductions"]]})
    return {"formula": "score = base - deducted points (floor 0); payment deduction per the contract's rules",
            "contracts": out}
