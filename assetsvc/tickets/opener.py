"""Tickets follow the monitoring engine's confirmed faults (a scheduled job, level-triggered).

Every run compares each device's faults now (faults.assess on what the monitoring service reports:
its state, fault aspects and drift flags) with the active automatic tickets:
- a fault that has lasted its grace period and has no active ticket opens one (one per device and
  fault kind; a new failure of the same kind appends to the open ticket instead), unless a
  maintenance window covers the device now (planned work; the ticket opens when the window ends
  if the fault is still there, its grace long passed);
- a camera down because its upstream device is dead gets no ticket of its own: it is linked to the
  upstream device's ticket (root-cause grouping), and the link notes when it came back;
- a ticket nobody has acted on (still `open`) whose fault has gone is closed as self-recovered,
  restored when the fault ended (the downtime still counts in uptime and the SLA clocks);
- a ticket someone is working on notes when its fault ended (`fault_cleared_at`); the contractor
  still resolves it and the check verifies it.
Because the job reads state rather than events, a missed run or a restart loses nothing.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Mapping

from assetsvc import bulk, db
from assetsvc.monitoring import service as monitoring
from assetsvc.monitoring.service import DeviceNow
from assetsvc.tickets import config as ticket_config
from assetsvc.tickets.faults import Cleared, Fault, assess
from assetsvc.tickets.lifecycle import SYSTEM, event, fault_note, load, open_ticket, system_close, update
from assetsvc.tickets.store import ACTIVE, Contracts, JobOutcome, devices
from assetsvc.tickets.tables import Ticket, TicketCamera
from assetsvc.registry.lifecycle import in_service

CHUNK = 200  # devices per write transaction


@dataclass
class Outcome(JobOutcome):
    opened: int = 0
    self_recovered: int = 0
    cleared: int = 0
    returned: int = 0
    linked: int = 0
    in_maintenance: int = 0  # faulty devices inside a planned maintenance window: no ticket opened


async def active_auto() -> list[dict[str, Any]]:
    marks = ",".join("?" * len(ACTIVE))
    return await bulk.fetch(Ticket, f"SELECT id, subject_type, subject_id, fault, state, fault_cleared_at, "
                                    f"affected_count, severity FROM ticket WHERE source = 'auto' AND state IN ({marks})",
                            ACTIVE)


async def run(now: float | None = None) -> Outcome:
    """One pass: open, append, self-recover and link (see the module docstring)."""
    now = time.time() if now is None else now
    config = ticket_config.current()
    outcome = Outcome()
    tickets = await active_auto()
    by_subject: dict[tuple[str, int], dict[str, dict[str, Any]]] = defaultdict(dict)
    for ticket in tickets:
        by_subject[(ticket["subject_type"], ticket["subject_id"])][ticket["fault"]] = ticket
    extra: dict[str, set[int]] = defaultdict(set)
    for subject_type, subject_id in by_subject:
        extra[subject_type].add(subject_id)
    states = await monitoring.devices_now(
        extra, drift_history=[i for (t, i), faults in by_subject.items() if t == "camera" and "drift" in faults])
    work = []
    for key in sorted(set(states) | set(by_subject)):
        device = states.get(key) or monitoring.device_record(key[0], key[1], None)
        found = assess(device, config, now)
        todo = [(kind, condition) for kind, condition in found.items() if _needs(condition, by_subject[key].get(kind),
                                                                                    config, now)]
        if todo:
            work.append((key, todo))
    waived = await _waived([key for key, _ in work])
    work = [(key, [(kind, c) for kind, c in todo if not (isinstance(c, Fault) and (*key, kind, c.since) in waived)])
            for key, todo in work]
    contracts = await Contracts.load(now)
    planned = await monitoring.in_maintenance([k for k, todo in work if any(isinstance(c, Fault) for _, c in todo)],
                                              now)
    work = [(key, [(kind, c) for kind, c in todo if not (isinstance(c, Fault) and key in planned)])
            for key, todo in work]
    outcome.in_maintenance = len(planned)
    for start in range(0, len(work), CHUNK):
        chunk = work[start:start + CHUNK]
        try:
            await _apply_chunk(chunk, by_subject, states, contracts, now, outcome)
        except Exception:  # noqa: BLE001 - the chunk rolled back: redo it a device at a time, so one
            for item in chunk:  # bad device cannot hold back the tickets of the other 199
                try:
                    await _apply_chunk([item], by_subject, states, contracts, now, outcome)
                except Exception as exc:  # noqa: BLE001 - reported in the job's outcome and log
                    outcome.errors.append(f"{item[0][0]} {item[0][1]}: {type(exc).__name__}: {exc}"[:300])
    await _link_cameras(now, outcome)
    return outcome


async def _waived(keys: list[tuple[str, int]]) -> set[tuple[str, int, str, float]]:
    """(type, id, fault, fault_since) of tickets cancelled without penalty (a false alarm, an upheld
    dispute): the same fault streak opens no new ticket; a new streak (the fault cleared and came
    back) does."""
    if not keys:
        return set()
    rows = await bulk.fetch_in(Ticket, "SELECT subject_type, subject_id, fault, fault_since FROM ticket WHERE "
                               "state = 'cancelled' AND close_reason IN ('false_alarm', 'dispute_upheld') AND "
                               "subject_id IN ({in})", [i for _, i in keys])
    wanted = set(keys)
    return {(r["subject_type"], r["subject_id"], r["fault"], r["fault_since"]) for r in rows
            if (r["subject_type"], r["subject_id"]) in wanted}


async def _apply_chunk(chunk: list, by_subject: Mapping, states: Mapping, contracts: Contracts, now: float,
                       outcome: Outcome) -> None:
    """One write transaction for a chunk of devices; the counts move only when it commits."""
    done = Outcome()
    async with db.write_transaction():
        infos = {t: await devices(t, [i for (tt, i), _ in chunk if tt == t]) for t in ("camera", "upstream")}
        for key, todo in chunk:
            for kind, condition in todo:
                await _apply(key, kind, condition, by_subject[key].get(kind), infos[key[0]].get(key[1]),
                             states, contracts, now, done)
    for name in ("opened", "self_recovered", "cleared", "returned"):
        setattr(outcome, name, getattr(outcome, name) + getattr(done, name))


def _needs(condition: Fault | Cleared, ticket: Mapping[str, Any] | None, config, now: float) -> bool:
    if isinstance(condition, Fault):
        if ticket is None:
            return now - condition.since >= config.grace_s[condition.kind]
        return ticket["fault_cleared_at"] is not None  # it came back while someone works on it
    if ticket is None:
        return False
    return ticket["state"] == "open" or ticket["fault_cleared_at"] is None


async def _apply(key: tuple[str, int], kind: str, condition: Fault | Cleared, ticket: Mapping[str, Any] | None,
                 device: Mapping[str, Any] | None, states: Mapping[tuple[str, int], DeviceNow], contracts: Contracts,
                 now: float, outcome: Outcome) -> None:
    if isinstance(condition, Fault) and ticket is None:
        if device is None or not in_service(device.get("status")):
            return
        affected = 0
        if key[0] == "upstream" and kind == "down":
            affected = sum(1 for d in states.values() if d.subject_type == "camera" and d.state == "down"
                           and d.cause == "upstream" and d.root_upstream == key[1])
        await open_ticket(subject_type=key[0], subject_id=key[1], fault=kind, cause=condition.cause,
                          since=condition.since, source="auto", actor=SYSTEM, now=now, contracts=contracts,
                          device=device, note=f"confirmed {fault_note(condition)}", affected=affected)
        outcome.opened += 1
        return
    locked = await load(ticket["id"], lock=True)
    if locked is None or locked["state"] not in ACTIVE:
        return
    if isinstance(condition, Fault):  # the fault is back: append to the ticket
        await update(locked["id"], {"fault_cleared_at": None}, now)
        await event(locked["id"], now, SYSTEM, "fault_returned", note=f"failing again: {fault_note(condition)}",
                    data={"cause": condition.cause, "since": condition.since})
        outcome.returned += 1
    elif locked["state"] == "open":
        at = await _recovered_at(key, kind, condition, locked)
        await system_close(locked, "self_recovered", at, now, "the device recovered before anyone acted",
                           {"recovered_at": at})
        outcome.self_recovered += 1
    elif locked["fault_cleared_at"] is None:
        at = await _recovered_at(key, kind, condition, locked)
        await update(locked["id"], {"fault_cleared_at": at}, now)
        await event(locked["id"], now, SYSTEM, "fault_cleared", note="the monitoring no longer sees the fault",
                    data={"at": at})
        outcome.cleared += 1


async def _recovered_at(key: tuple[str, int], kind: str, condition: Cleared, ticket: Mapping[str, Any]) -> float:
    """When a down device came back: the end of its last outage in the state intervals, which stays right
    even when the device changed state again (up -> degraded) before this run; other faults, and a
    device whose intervals say nothing newer, use the state's own time."""
    if kind != "down":
        return condition.at
    back = await monitoring.last_down_end(key[0], key[1], ticket["fault_since"], condition.at)
    return back if back is not None else condition.at


async def _link_cameras(now: float, outcome: Outcome) -> None:
    """Link cameras down behind each active upstream `down` ticket; note those that came back."""
    tickets = {t["subject_id"]: t for t in await active_auto() if t["subject_type"] == "upstream" and t["fault"] == "down"}
    if not tickets:
        return
    behind = {tickets[root]["id"]: cameras for root, cameras in (await monitoring.cameras_down_behind(tickets)).items()}
    ids = sorted(t["id"] for t in tickets.values())
    links = await bulk.fetch_in(TicketCamera, "SELECT ticket, camera_id, recovered_at FROM ticket_camera "
                                              "WHERE ticket IN ({in})", ids)
    known: dict[int, dict[int, Any]] = defaultdict(dict)
    for link in links:
        known[link["ticket"]][link["camera_id"]] = link["recovered_at"]
    config = ticket_config.current()
    for ticket in tickets.values():
        now_down, linked = behind.get(ticket["id"], set()), known.get(ticket["id"], {})
        new = sorted(now_down - set(linked))
        back = sorted(c for c, recovered in linked.items() if recovered is None and c not in now_down)
        again = sorted(c for c, recovered in linked.items() if recovered is not None and c in now_down)
        if not (new or back or again):
            continue
        async with db.write_transaction():
            await bulk.execute_many(TicketCamera, "INSERT INTO ticket_camera (ticket, camera_id, linked_at) "
                                    "VALUES (?,?,?)", [[ticket["id"], c, now] for c in new])
            await bulk.execute_many(TicketCamera, "UPDATE ticket_camera SET recovered_at = ? WHERE ticket = ? "
                                    "AND camera_id = ?", [[now, ticket["id"], c] for c in back])
            await bulk.execute_many(TicketCamera, "UPDATE ticket_camera SET recovered_at = NULL WHERE ticket = ? "
                                    "AND camera_id = ?", [[ticket["id"], c] for c in again])
            count = len(linked) + len(new)
            columns: dict[str, Any] = {"affected_count": count}
            if new:
                await event(ticket["id"], now, SYSTEM, "cameras_linked", note=f"{len(new)} camera(s) down behind it",
                            data={"cameras": new[:500], "total": count})
                device = (await devices("upstream", [ticket["subject_id"]])).get(ticket["subject_id"]) or {}
                severity, rule = config.severity_of({"subject": "upstream", "fault": "down", "affected": count,
                                                     "point_class": None, "key_category": device.get("key_category"),
                                                     "owner_class": None})
                if severity != ticket["severity"]:
                    columns["severity"] = severity
                    await event(ticket["id"], now, SYSTEM, "severity_changed", note=rule,
                                data={"from": ticket["severity"], "to": severity, "affected": count})
            await update(ticket["id"], columns, now)
            if "severity" in columns:
                from assetsvc.tickets.lifecycle import refresh
                await refresh(ticket["id"], now)
        outcome.linked += len(new)
