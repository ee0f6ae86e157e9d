"""Contract SLA terms as data (read, validated replace) and a contract's monthly score.

The terms document is the one docs/sla.md describes (calendars, terms, scoring, penalties, areas,
suspension_reasons), sent as JSON or TOML; it is validated in full before it replaces the stored
one, and every replacement is audited. Open tickets pick up new terms at their next change or sweep.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
import re
import time
import tomllib
from typing import Any, Iterable, Mapping

from assetsvc import bulk, db
from assetsvc.actor import Actor
from assetsvc.audit import service as audit
from assetsvc.errors import Forbidden, NotFound, ValidationFailed, field_error
from assetsvc.tickets import clocks
from assetsvc.tickets.calendar import DataError
from assetsvc.tickets.config import working_days
from assetsvc.tickets.contract_views import DeductionView, ScoreView, StageRateView, TermsVersionView, TermsView, WaivedView
from assetsvc.monitoring import service as monitoring
from assetsvc.tickets.sla import monthly_score, parse_contract_sla, stage_rates
from assetsvc.monitoring.uptime_math import union
from assetsvc.monitoring.uptime_scope import region_condition
from assetsvc.registry.entities import region_prefix
from assetsvc.runtime import settings
from assetsvc.tickets.store import TERMS, Contracts, dumps
from assetsvc.tickets.tables import ContractTerms, Ticket

MAX_DOCUMENT = 256 * 1024


async def _contract(actor: Actor, contract_id: int) -> dict[str, Any]:
    if actor.role not in ("admin", "auditor", "contractor"):
        raise Forbidden("this account may not read contracts")
    rows = await bulk.fetch(Ticket, "SELECT id, code, contractor AS contractor_id, region_codes, owner_classes, "
                                    "starts_on, ends_on FROM contract WHERE id = ?", [contract_id])
    if not rows or (actor.is_contractor and rows[0]["contractor_id"] != actor.contractor_id):
        raise NotFound(f"no contract {contract_id}")
    return rows[0]


async def get_terms(actor: Actor, contract_id: int) -> TermsView:
    contract = await _contract(actor, contract_id)
    rows = await bulk.fetch(ContractTerms, "SELECT document, version, updated_at, updated_by FROM contract_terms "
                                           "WHERE contract = ?", [contract_id])
    if not rows:
        return {"contract_id": contract_id, "code": contract["code"], "document": None, "version": 0}
    row = rows[0]
    return {"contract_id": contract_id, "code": contract["code"], "document": bulk.json_column(row["document"], {}),
            "version": row["version"], "updated_at": row["updated_at"], "updated_by": row["updated_by"]}


def parse_document(raw: Any) -> Mapping[str, Any]:
    """A terms document from a JSON object or TOML text; ValidationFailed otherwise."""
    if isinstance(raw, (bytes, str)):
        if len(raw) > MAX_DOCUMENT:
            raise ValidationFailed("the terms document is too large", [field_error("document", "too_large",
                                                                                   f"at most {MAX_DOCUMENT} bytes")])
        try:
            text = raw.decode("utf-8", "strict") if isinstance(raw, bytes) else raw
        except UnicodeDecodeError as exc:
            raise ValidationFailed(f"the TOML text is not UTF-8 (byte {exc.start})",
                                   [field_error("document", "invalid", "TOML text must be UTF-8")]) from None
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ValidationFailed(f"not valid TOML: {exc}", [field_error("document", "invalid", str(exc))]) from None
    if not isinstance(raw, Mapping):
        raise ValidationFailed("send the terms as a JSON object or TOML text",
                               [field_error("document", "invalid", "expected an object")])
    return raw


_LISTS = {"terms": lambda item: f"{item.get('severity')}/{item.get('area')}",
          "penalties": lambda item: str(item.get("name")), "scoring.grades": None}


def error_path(document: Mapping[str, Any], message: str) -> str:
    """The document path a DataError names, as the form's field key: `penalties[2].counts`,
    `terms[0].respond`, `scoring.grades[1].min`, `calendars.office.windows[0]`, `suspension_rules.stops`;
    `document` when the message names no key. The messages say `penalties #3 (name).counts`
    (tickets/sla.py): the list item is found by its number and checked against its label, so a
    name holding brackets or dots cannot mislead it."""
    text = message.removeprefix("terms: ")
    for name, label in _LISTS.items():
        found = re.match(re.escape(name) + r" #(\d+)", text)
        if not found:
            continue
        n = int(found.group(1))
        rest = text[found.end():]
        items = document.get(name) if "." not in name else (document.get("scoring") or {}).get("grades")
        item = items[n - 1] if isinstance(items, list) and 0 < n <= len(items) else None
        if label and isinstance(item, Mapping) and rest.startswith(f" ({label(item)})"):
            rest = rest[len(f" ({label(item)})"):]
        key = re.match(r"\.([a-z_]+)", rest)
        missing = re.match(r": missing ([a-z_]+)$", rest)
        return f"{name}[{n - 1}]" + (f".{key.group(1)}" if key else f".{missing.group(1)}" if missing else "")
    found = re.match(r"(calendars\.[^\s.:]+|scoring|suspension_rules|suspension_reasons|areas)"
                     r"((?:\.[a-z_]+)*)(?: #(\d+))?", text)
    if found:
        return found.group(1) + found.group(2) + (f"[{int(found.group(3)) - 1}]" if found.group(3) else "")
    top = re.match(r"(calendars|terms|penalties|scoring)\b", text)
    return top.group(1) if top else "document"


async def put_terms(actor: Actor, contract_id: int, raw: Any, now: float | None = None) -> TermsView:
    if actor.role != "admin":
        raise Forbidden("only the video office may change a contract's SLA terms")
    document = parse_document(raw)
    try:
        parse_contract_sla(document, "terms", working_days())
    except DataError as exc:
        raise ValidationFailed(str(exc), [field_error(error_path(document, str(exc)), "invalid", str(exc))]) from None
    now = time.time() if now is None else now
    async with db.write_transaction():
        await _contract(actor, contract_id)
        before = await bulk.fetch(ContractTerms, "SELECT document, version FROM contract_terms WHERE contract = ?",
                                  [contract_id])
        version = before[0]["version"] + 1 if before else 1
        if before:
            await bulk.execute_many(ContractTerms, "UPDATE contract_terms SET document = ?, version = ?, "
                                    "updated_at = ?, updated_by = ? WHERE contract = ?",
                                    [[dumps(document), version, now, actor.username, contract_id]])
        else:
            await bulk.execute_many(ContractTerms, "INSERT INTO contract_terms (contract, document, version, "
                                    "updated_at, updated_by) VALUES (?,?,?,?,?)",
                                    [[contract_id, dumps(document), version, now, actor.username]])
        await bulk.execute_many(ContractTerms, "INSERT INTO contract_terms_version (contract, version, document, "
                                "updated_at, updated_by) VALUES (?,?,?,?,?)",
                                [[contract_id, version, dumps(document), now, actor.username]])
        old = bulk.json_column(before[0]["document"], {}) if before else {}
        await audit.record(actor.username, "update" if before else "create", "contract_terms", contract_id,
                           f"contract {contract_id} SLA terms v{version}",
                           audit.diff({"document": old}, {"document": audit.jsonable(dict(document))}))
        TERMS.forget(contract_id)
        # Active tickets of the contract take the new deadlines (and breaches) at once.
        from assetsvc.tickets.lifecycle import refresh
        from assetsvc.tickets.store import ACTIVE

        # Finished tickets stay on the version they ran on (a past month's score never moves).
        marks = ",".join("?" * len(ACTIVE))
        active = await bulk.fetch(Ticket, f"SELECT id FROM ticket WHERE contract = ? AND state IN ({marks}) "
                                          f"ORDER BY id", [contract_id, *ACTIVE])
        await bulk.execute_many(Ticket, "UPDATE ticket SET terms_version = ? WHERE id = ?",
                                [[version, row["id"]] for row in active])
        for row in active:
            await refresh(row["id"], now, actor.username)
    return await get_terms(actor, contract_id)


async def list_versions(actor: Actor, contract_id: int) -> list[TermsVersionView]:
    """Every stored version of the contract's terms, newest first (without their documents)."""
    await _contract(actor, contract_id)
    rows = await bulk.fetch(ContractTerms, "SELECT version, updated_at, updated_by FROM contract_terms_version "
                                           "WHERE contract = ? ORDER BY version DESC", [contract_id])
    current = rows[0]["version"] if rows else None
    return [TermsVersionView(contract_id=contract_id, version=r["version"], updated_at=r["updated_at"],
                             updated_by=r["updated_by"], current=r["version"] == current) for r in rows]


async def get_version(actor: Actor, contract_id: int, version: int) -> TermsVersionView:
    """One stored version of the contract's terms with its document; 404 when there is no such version."""
    await _contract(actor, contract_id)
    rows = await bulk.fetch(ContractTerms, "SELECT version, document, updated_at, updated_by FROM "
                                           "contract_terms_version WHERE contract = ? AND version = ?",
                            [contract_id, version])
    if not rows:
        raise NotFound(f"contract {contract_id} has no terms version {version}")
    latest = await bulk.fetch(ContractTerms, "SELECT MAX(version) AS v FROM contract_terms_version WHERE contract = ?",
                              [contract_id])
    row = rows[0]
    return TermsVersionView(contract_id=contract_id, version=row["version"], updated_at=row["updated_at"],
                            updated_by=row["updated_by"], current=row["version"] == latest[0]["v"],
                            document=bulk.json_column(row["document"], {}))


async def _scheme_terms(contract_id: int, end: float) -> tuple[int | None, Any]:
    """The terms whose scoring scheme judges a month, with their version: the last version stored
    before the month ended (the current terms when versions were not kept yet)."""
    rows = await bulk.fetch(ContractTerms, "SELECT version FROM contract_terms_version WHERE contract = ? AND "
                                           "updated_at < ? ORDER BY version DESC LIMIT 1", [contract_id, end])
    if rows:
        found = await TERMS.for_tickets([{"contract_id": contract_id, "terms_version": rows[0]["version"]}])
        if (contract_id, rows[0]["version"]) in found:
            return rows[0]["version"], found[(contract_id, rows[0]["version"])]
    current = await bulk.fetch(ContractTerms, "SELECT version FROM contract_terms WHERE contract = ?", [contract_id])
    return (current[0]["version"] if current else None), (await TERMS.get([contract_id])).get(contract_id)


def month_bounds(month: str) -> tuple[float, float]:
    """[start, end) of a calendar month in the office's time zone (ASSETSVC_TIMEZONE) as Unix seconds."""
    try:
        year, mon = (int(p) for p in str(month).split("-"))
        first = dt.datetime(year, mon, 1, tzinfo=settings().zone)
        after = first + dt.timedelta(days=_calendar.monthrange(year, mon)[1])
    except (ValueError, TypeError, OverflowError):  # OverflowError: December of year 9999
        raise ValidationFailed(f"month {month!r} must look like 2026-11",
                               [field_error("month", "invalid", "YYYY-MM")]) from None
    return first.timestamp(), after.timestamp()


def _counts(raw: Mapping[str, Any] | None) -> dict[str, int]:
    out = {}
    for name, value in (raw or {}).items():
        try:
            out[str(name)] = int(value)
        except (TypeError, ValueError):
            raise ValidationFailed(f"count {name} must be a whole number",
                                   [field_error(f"count.{name}", "invalid", "a whole number >= 0")]) from None
        if out[str(name)] < 0:
            raise ValidationFailed(f"count {name} must be >= 0", [field_error(f"count.{name}", "invalid", ">= 0")])
    return out


async def score(actor: Actor, contract_id: int, month: str, counts: Mapping[str, Any] | None = None,
                now: float | None = None) -> ScoreView:
    """The contract's monthly assessment: tickets opened in the month (their figures as of the month's
    end, or closing), channels' fault hours in the month, and the office's counts (missed inspections)."""
    contract = await _contract(actor, contract_id)
    start, end = month_bounds(month)
    now = time.time() if now is None else now
    version, terms = await _scheme_terms(contract_id, end)
    if terms is None or isinstance(terms, DataError):
        raise ValidationFailed("the contract has no usable SLA terms",
                               [field_error("contract", "no_terms", str(terms) if terms else "no terms stored")])
    tickets = await bulk.fetch(Ticket, "SELECT t.*, t.contract AS contract_id, t.contractor AS contractor_id FROM "
                                       "ticket t WHERE t.contract = ? AND t.opened_at >= ? AND t.opened_at < ? AND "
                                       "t.state <> 'cancelled' ORDER BY t.id", [contract_id, start, end])
    pauses = await clocks.suspensions_of([t["id"] for t in tickets])
    by_ticket = await TERMS.for_tickets(tickets)  # each ticket on the terms version it ran on
    as_of = min(end, now)
    figures = []
    for ticket in tickets:
        clock = clocks.clock(ticket, pauses.get(ticket["id"], []), by_ticket, as_of)
        if clock.figures is not None:
            figures.append(clock.figures)
    fault_s = await fault_seconds(contract_id, start, end, terms.scheme, now)
    excused = await excused_seconds(contract_id, start, end, fault_s, now)
    by_rule = {rule: {cam: s - excused.get((rule, cam), 0.0) for cam, s in found.by_camera.items()}
               for rule, found in fault_s.items()}
    online = await monitoring.online_rates(await contract_cameras(contract_id, end - 1e-3), start, end,
                                           terms.scheme.sample_hours, now=now)
    try:
        result = monthly_score(terms.scheme, figures, lambda rule: by_rule[rule], _counts(counts))
    except ValueError as exc:
        raise ValidationFailed(str(exc), [field_error("count", "missing", str(exc))]) from None
    kinds = [rule.kind for rule in terms.scheme.rules]  # monthly_score keeps the scheme's rule order
    return ScoreView(
        contract_id=contract_id, code=contract["code"], month=month, terms_version=version, tickets=len(tickets),
        score=str(result.score), grade=result.grade, points=str(result.points), amount=str(result.amount),
        amount_capped=result.amount_capped, on_time=_on_time(figures), waived=await waived(contract_id, start, end),
        online={"hours": list(online.hours), "instants": online.instants, "counted": online.counted,
                "sampled_online_rate": online.sampled_online_rate, "online_rate": online.online_rate},
        deductions=[_deduction(d, kind) for d, kind in zip(result.deductions, kinds, strict=True)])


def _deduction(d: Any, kind: str) -> DeductionView:
    out = DeductionView(rule=d.rule, kind=kind, units=d.units, points=str(d.points), amount=str(d.amount),
                        capped=d.capped, items=list(d.items)[:1000])
    if d.counts is not None:
        out["counts"] = list(d.counts)
    return out


async def waived(contract_id: int, start: float, end: float) -> WaivedView:
    """The month's tickets that ended without penalty, and its disputes by outcome (docs/sla.md)."""
    rows = await bulk.fetch(Ticket, "SELECT close_reason, COUNT(*) AS n FROM ticket WHERE contract = ? AND "
                            "opened_at >= ? AND opened_at < ? AND state = 'cancelled' AND close_reason IN "
                            "('false_alarm', 'dispute_upheld') GROUP BY close_reason", [contract_id, start, end])
    found = {r["close_reason"]: int(r["n"]) for r in rows}
    disputes = await bulk.fetch(Ticket, "SELECT d.status, COUNT(*) AS n FROM ticket_dispute d JOIN ticket t ON "
                                "t.id = d.ticket WHERE t.contract = ? AND t.opened_at >= ? AND t.opened_at < ? "
                                "GROUP BY d.status", [contract_id, start, end])
    by_status = {r["status"]: int(r["n"]) for r in disputes}
    return WaivedView(false_alarms=found.get("false_alarm", 0),
                      disputes={"upheld": by_status.get("upheld", 0), "rejected": by_status.get("rejected", 0),
                                "open": by_status.get("open", 0)})


# The fault time a ticket is about, by its fault kind: a stream, picture or clock ticket its own
# degraded aspect (picture covers picture:dark, picture:blur...); a down, reboot-loop or hand-opened
# ticket (checked on reach: faults.CHECK_ASPECT) down time; a drift ticket none (drift is no state).
_DOWN_KINDS = ("down", "reboot_loop", "manual")


def _excused_kind(fault: str) -> str | None:
    """The time a ticket of `fault` is about: "down", a degraded aspect, or None (no such time)."""
    if fault in _DOWN_KINDS:
        return "down"
    return fault if fault in monitoring.DEGRADING else None


def _is_kind(kind: str, state: str, cause: str) -> bool:
    """Whether time in `state` for `cause` is of `kind` (_excused_kind)."""
    if kind == "down":
        return state == "down"
    return state == "degraded" and (cause == kind or cause.startswith(kind + ":"))


async def excused_seconds(contract_id: int, start: float, end: float,
                          fault_s: Mapping[Any, Any], now: float) -> dict[tuple[Any, int], float]:
    """Fault seconds no rule may count: for a ticket cancelled without penalty (a false alarm, an
    upheld dispute), its camera's time in the fault the ticket was about (its fault kind: _excused_kind)
    from the fault's start to its restore or cancellation, clipped to the month, per rule. The
    camera's other faults in that span still count (a false picture verdict excuses no outage)."""
    if not fault_s:
        return {}
    rows = await bulk.fetch(Ticket, "SELECT subject_id, fault, fault_since, restored_at, closed_at FROM ticket WHERE "
                            "contract = ? AND subject_type = 'camera' AND state = 'cancelled' AND close_reason IN "
                            "('false_alarm', 'dispute_upheld') AND fault_since < ? AND closed_at > ?",
                            [contract_id, end, start])
    # Spans of one camera and kind merged, so time two cancelled tickets share is excused once.
    spans: dict[tuple[int, str], list[tuple[float, float]]] = {}
    for row in rows:
        kind = _excused_kind(row["fault"])
        if kind is None:
            continue
        until = min(row["closed_at"], row["restored_at"]) if row["restored_at"] is not None else row["closed_at"]
        span = (max(start, row["fault_since"]), min(end, until))
        if span[1] > span[0]:
            spans.setdefault((row["subject_id"], kind), []).append(span)
    out: dict[tuple[Any, int], float] = {}
    for (cam, kind), found_spans in sorted(spans.items()):
        for span in union(found_spans, start, end):  # one read per span serves every rule
            found = await monitoring.fault_seconds_by_cause([cam], *span, now=now)
            for (state, cause), seconds in found.by_camera.get(cam, {}).items():
                if not _is_kind(kind, state, cause):
                    continue
                for rule in fault_s:
                    if rule.matches(state, cause):
                        out[(rule, cam)] = out.get((rule, cam), 0.0) + seconds
    return out


def _on_time(figures: list) -> dict[str, StageRateView]:
    """Per stage: how many tickets met, breached, still running or not applicable, and the on-time
    rate met / (met + breached); self-recovered respond and arrive stages are not_applicable."""
    return {stage: {"met": r.met, "breached": r.breached, "running": r.running, "not_applicable": r.not_applicable,
                    "rate": r.on_time_rate} for stage, r in stage_rates(figures).items()}


async def contract_cameras(contract_id: int, at: float) -> list[int]:
    """The cameras this contract maintains at `at`: those the opener would assign to it
    (store.Contracts.assign: the camera's own contractor, the most specific covering contract).

    Whatever their status now: a camera decommissioned on the 20th still answers for the 1st to
    the 20th; its in-service time comes from its service periods (the registry's records), not from
    its status now."""
    return (await contracts_cameras([contract_id], at))[contract_id]


async def contracts_cameras(contract_ids: Iterable[int], at: float) -> dict[int, list[int]]:
    """contract_cameras of several contracts at once: the cameras of their regions read and assigned
    once (the monthly report's contracts share one city: one pass instead of one per contract)."""
    out: dict[int, list[int]] = {int(c): [] for c in contract_ids}
    book = await Contracts.load(at)
    conditions, args = [], []
    for mine in (row for row in book.rows if row["id"] in out):
        for code in mine["region_codes"]:
            try:
                sql, values = region_condition(region_prefix(code), "c.region_code")
            except ValueError:
                continue
            conditions.append(f"({sql})")
            args.extend(values)
    if not conditions:
        return out
    rows = await bulk.fetch(Ticket, f"""SELECT 'camera' AS subject, c.id, c.region_code, c.contractor AS contractor_id,
        o.owner_class FROM camera c LEFT JOIN owner o ON o.id = c.owner
        WHERE {' OR '.join(conditions)}""", args)
    for row in rows:
        found = book.assign(row).contract_id
        if found in out:
            out[found].append(row["id"])
    return out


async def fault_seconds(contract_id: int, start: float, end: float, scheme: Any,
                        now: float) -> dict[monitoring.DowntimeRule, monitoring.FaultSeconds]:
    """Each camera's fault seconds in [start, end) under each downtime rule the scheme's fault_hours
    rules name, from the uptime service (maintenance removed, unknown never counted)."""
    rules = {r.downtime for r in scheme.rules if r.kind == "fault_hours"}
    if not rules:
        return {}
    cameras = await contract_cameras(contract_id, end - 1e-3)
    return {rule: await monitoring.fault_seconds(cameras, start, end, rule, now=now)
            for rule in sorted(rules, key=lambda r: r.counts)}
