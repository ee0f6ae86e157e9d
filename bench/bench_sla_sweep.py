"""Benchmark: the SLA sweep (tickets.sweep) over 20,000 open tickets, and what stored deadlines save.

    python bench/bench_sla_sweep.py --engine sqlite
    python bench/bench_sla_sweep.py --engine postgres --rounds 9
    python bench/bench_sla_sweep.py --engine sqlite --opener [--devices 100000 --faulty 2000]
    python bench/bench_sla_sweep.py ... --profile        # cProfile of one round of each figure

A throw-away database (common.configure) holds 4 contractors with 2 contracts each over Hangzhou
districts (two of them rural), every contract with the example terms
(assetsvc/tickets/data/contract-sla.example.toml, stored by contracts.put_terms: P1 24x7, P2/P3
office hours), an office webhook endpoint and one per contractor (127.0.0.1, never called), and
--tickets open tickets bulk inserted: P1/P2/P3, opened over the last two weeks, open, acknowledged,
on site, resolved or reopened, ~5 % suspended now and ~5 % with an ended pause; beside them --closed
tickets of the past year, verified and closed (the table as a year of service leaves it). The open
tickets' clocks are then stored the way the service does it, lifecycle.refresh per ticket at NOW
(which also marks the old breaches, writes their events and outbox rows). NOW is Wed 2026-11-18
10:33:20 in Shanghai (office hours). 5 % of the open tickets are fresh: their respond deadline falls
in the ten minutes after NOW, so a sweep a little later has a known number of breaches to mark.

Figures (median and p95 of --rounds runs each):
  (a) a sweep at NOW: nothing is due, the indexed query alone;
  (b) a sweep when 1 % and 5 % of the tickets cross a deadline at once: each is refreshed
      (calendar arithmetic), marked breached, gets an event and outbox rows; the database is put
      back between rounds (changed columns restored, new events and deliveries deleted);
  (c) full SLA figures of every open ticket (read tickets, suspensions and terms, then
      clocks.clock + clocks.settle each): what a sweep would cost without stored deadlines;
  (d) --opener: opener.run over --devices device states with --faulty down, first the run that
      opens their tickets, then the steady runs that find nothing new (tickets deleted first).
      The opener also reads every device whose aspects hold reboot instants (aspects LIKE
      '%reboots%'), and the monitoring keeps the last 20 of those for good, so --reboot-share (the
      devices that ever rebooted) sets much of the steady run's cost.
Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import pstats
import random
import time
from pathlib import Path
from typing import Any, Awaitable, Callable
from zoneinfo import ZoneInfo

import common

LOCAL = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 18, 10, 33, 20, tzinfo=LOCAL).timestamp()  # Wednesday, office hours; off the
# instants where office-hour deadlines bunch (window start + limit: 09:00, 10:30 for tickets opened overnight)
EXAMPLE = Path(__file__).resolve().parents[1] / "assetsvc" / "tickets" / "data" / "contract-sla.example.toml"
CONTRACTORS = ("杭州安视运维有限公司", "浙江智联工程有限公司", "杭州天眼服务有限公司", "浙江华安电子有限公司")
# Two per contractor; 330127 (淳安) and 330122 (桐庐) are rural in the example terms' [areas].
REGIONS = ("330102", "330105", "330106", "330108", "330109", "330110", "330127", "330122")
RURAL = ("330127", "330122")
CHUNK = 5000
STAGED_SHARE = 0.05  # fresh tickets whose respond deadline comes within STAGED_WINDOW_S of NOW
STAGED_WINDOW_S = 600
SLA_COLUMNS = ("respond_due", "arrive_due", "restore_due", "respond_breached_at", "arrive_breached_at",
               "restore_breached_at", "escalated_at", "sla_note", "updated_at")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--tickets", type=int, default=20_000, help="open tickets (default 20,000)")
    parser.add_argument("--closed", type=int, default=100_000,
                        help="closed tickets beside them, a year of history (default 100,000)")
    parser.add_argument("--rounds", type=int, default=7, help="runs of each figure (default 7)")
    parser.add_argument("--crossing", default="1,5", help="percentages of tickets crossing a deadline in (b)")
    parser.add_argument("--opener", action="store_true", help="also measure (d), opener.run over device states")
    parser.add_argument("--devices", type=int, default=100_000)
    parser.add_argument("--faulty", type=int, default=2_000)
    parser.add_argument("--reboot-share", type=float, default=0.05,
                        help="(d) share of devices with reboot instants in their aspects (kept for good: see below)")
    parser.add_argument("--profile", action="store_true", help="cProfile one more round of each figure")
    parser.add_argument("--seed", type=int, default=common.SEED)
    args = parser.parse_args()
    try:
        args.crossing = [float(p) for p in args.crossing.split(",")]
    except ValueError:
        parser.error(f"--crossing {args.crossing!r}: percentages separated by commas, e.g. 1,5")
    if any(not 0 < p <= 100 * STAGED_SHARE for p in args.crossing):
        parser.error(f"--crossing: each percentage above 0 and at most {100 * STAGED_SHARE:g} (the fresh tickets)")
    if min(args.tickets, args.rounds) < 1 or args.closed < 0 or args.tickets < 100 or not 0 < args.faulty <= args.devices:
        parser.error("--tickets >= 100, --closed >= 0, --rounds >= 1, 0 < --faulty <= --devices")
    if not 0 <= args.reboot_share <= 1:
        parser.error("--reboot-share is a share from 0 to 1")
    return args


def main() -> None:
    args = arguments()
    common.run_on(args.engine, lambda: run(args))


async def run(args: argparse.Namespace) -> None:
    from assetsvc.tickets.tables import Ticket

    await common.open_database()
    try:
        rnd = random.Random(args.seed)
        world = await registry()
        started = time.perf_counter()
        ids, staged = await insert_tickets(args.tickets, world, rnd)
        await insert_ids(Ticket, [closed_row(n, rnd, rnd.choice(world["contracts"])) for n in range(args.closed)])
        inserted = time.perf_counter() - started
        started = time.perf_counter()
        await refresh_all(ids, NOW)
        refreshed = time.perf_counter() - started
        await analyze()
        print(f"\nset-up: {len(ids):,} open and {args.closed:,} closed tickets inserted in {inserted:.1f} s; open "
              f"tickets' clocks stored by lifecycle.refresh at NOW in {refreshed:.1f} s "
              f"({1000 * refreshed / len(ids):.2f} ms per ticket, with its writes)")
        print(await describe())
        rows = [await nothing_due(args)]
        rows += [await crossing(args, staged, share) for share in args.crossing]
        rows += await full_figures(args)
        common.print_table(("figure", "median ms", "p95 ms", "max ms", "per run"), rows,
                           title=f"SLA sweep, {len(ids):,} open tickets ({args.engine}, {args.rounds} rounds each)")
        if args.opener:
            common.print_table(("figure", "median ms", "p95 ms", "max ms", "per run"), await opener_figures(args, world),
                               title=f"opener.run ({args.engine})")
        print(f"\nload average (1/5/15 min) at the end: {common.load_now()} (other sessions share this machine)")
    finally:
        await common.close_database()


# --- the registry: contractors, contracts with terms, webhook endpoints ------------------------


async def registry() -> dict[str, Any]:
    from assetsvc import bulk, db
    from assetsvc.registry.tables import Contract, Contractor
    from assetsvc.tickets import contracts
    from assetsvc.webhooks.tables import WebhookEndpoint

    contractor_ids = await insert_ids(Contractor, [{"name": name} for name in CONTRACTORS])
    rows = [{"code": f"HT-2026-{n + 1:02d}", "contractor": contractor_ids[n // 2], "region_codes": [region],
             "owner_classes": [], "starts_on": dt.date(2026, 1, 1), "ends_on": dt.date(2027, 12, 31)}
            for n, region in enumerate(REGIONS)]
    contract_ids = await insert_ids(Contract, rows)
    terms = EXAMPLE.read_text("utf-8")
    for contract_id in contract_ids:
        await contracts.put_terms(common.admin_actor(), contract_id, terms, now=NOW - 30 * 86400)
    endpoints = [{"name": "office", "url": "http://127.0.0.1:9/office", "secret": "bench", "contractor": None,
                  "created_at": NOW - 30 * 86400}]
    endpoints += [{"name": f"contractor-{c}", "url": f"http://127.0.0.1:9/c{c}", "secret": "bench", "contractor": c,
                   "created_at": NOW - 30 * 86400} for c in contractor_ids]
    async with db.write_transaction():
        await bulk.insert_rows(WebhookEndpoint, endpoints)
    return {"contracts": [(cid, contractor_ids[n // 2], REGIONS[n]) for n, cid in enumerate(contract_ids)]}


async def insert_ids(table: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Bulk insert in chunks, one write transaction each; the new ids in row order."""
    from assetsvc import bulk, db

    ids: list[int] = []
    for start in range(0, len(rows), CHUNK):
        part = rows[start:start + CHUNK]
        async with db.write_transaction():
            if db.is_sqlite():  # one writer: the chunk's ids are the last len(part)
                await bulk.insert_rows(table, part)
                top = (await bulk.fetch(table, f"SELECT MAX(id) AS id FROM {table._meta.tablename}"))[0]["id"]
                ids += list(range(top - len(part) + 1, top + 1))
            else:
                ids += [r["id"] for r in await bulk.insert_postgres(table, part, " RETURNING id")]
    return ids


# --- the tickets ---------------------------------------------------------------------------------

SEVERITIES = (("P1", 10), ("P2", 70), ("P3", 20))
FAULTS = {"P1": ("down", "stream"), "P2": ("down", "stream", "picture", "reboot_loop"), "P3": ("clock", "drift")}
STATES = (("open", 25), ("acknowledged", 30), ("on_site", 20), ("resolved", 10), ("reopened", 5), ("suspended", 5),
          ("paused_before", 5))  # paused_before: acknowledged or on site, with a pause that has ended


def _pick(rnd: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rnd.choices([k for k, _ in weighted], [w for _, w in weighted])[0]


def _age(rnd: random.Random) -> float:
    """Seconds since opening: most tickets are a day old or less, some days, a few two weeks."""
    roll = rnd.random()
    if roll < 0.6:
        return rnd.uniform(900, 86400)
    if roll < 0.9:
        return rnd.uniform(86400, 4 * 86400)
    return rnd.uniform(4 * 86400, 14 * 86400)


def ticket_row(n: int, rnd: random.Random, contract: tuple[int, int, str]) -> tuple[dict[str, Any], dict | None]:
    """A background ticket (any age and state) and its pause, if it has one."""
    contract_id, contractor_id, region = contract
    severity = _pick(rnd, SEVERITIES)
    opened = NOW - _age(rnd)
    state = _pick(rnd, STATES)
    row = _base(n, rnd, contract_id, contractor_id, region, severity, opened)
    pause = None
    if state != "open":
        row["acknowledged_at"] = t = rnd.uniform(opened + 60, min(NOW, opened + 4 * 3600))
        if state in ("on_site", "resolved") or (state in ("reopened", "paused_before") and rnd.random() < 0.5):
            row["on_site_at"] = t = rnd.uniform(t, min(NOW, t + 6 * 3600))
        if state == "resolved":
            row["resolved_at"] = rnd.uniform(t, NOW)
        if state == "reopened":
            row["reopen_count"] = 1
        if state == "suspended":
            row["resume_state"] = "on_site" if row["on_site_at"] else "acknowledged"
            pause = {"status": "approved", "requested_at": rnd.uniform(t, NOW), "ended_at": None}
        if state == "paused_before":
            start = rnd.uniform(t, NOW)
            pause = {"status": "ended", "requested_at": start, "ended_at": rnd.uniform(start, NOW)}
            state = "on_site" if row["on_site_at"] else "acknowledged"
    row["state"] = state
    return row, pause


def staged_row(n: int, rnd: random.Random, contract: tuple[int, int, str]) -> dict[str, Any]:
    """A fresh open ticket whose respond deadline comes within STAGED_WINDOW_S after NOW (all in the
    morning window 08:30-12:00, so office-hour and 24x7 deadlines are both opening + limit)."""
    contract_id, contractor_id, region = contract
    severity = _pick(rnd, SEVERITIES)
    limit = 7200 if severity == "P3" else 1800
    row = _base(n, rnd, contract_id, contractor_id, region, severity, NOW + rnd.uniform(1, STAGED_WINDOW_S) - limit)
    row["state"] = "open"
    return row


def _base(n: int, rnd: random.Random, contract_id: int, contractor_id: int, region: str, severity: str,
          opened: float) -> dict[str, Any]:
    fault = rnd.choice(FAULTS[severity])
    return {"subject_type": "camera", "subject_id": n + 1, "fault": fault, "cause": f"{fault}:bench",
            "source": "auto", "title": f"{fault}: 仿真摄像机{n + 1:06d}", "severity": severity,
            "area": "rural" if region in RURAL else "urban", "region_code": region, "contractor": contractor_id,
            "contract": contract_id, "fault_since": opened - 600, "opened_at": opened, "acknowledged_at": None,
            "on_site_at": None, "resolved_at": None, "reopen_count": 0, "updated_at": opened}


def closed_row(n: int, rnd: random.Random, contract: tuple[int, int, str]) -> dict[str, Any]:
    """A ticket of the past year, verified and closed (never due again: the sweep's query skips it)."""
    contract_id, contractor_id, region = contract
    opened = NOW - rnd.uniform(14 * 86400, 365 * 86400)
    row = _base(10_000_000 + n, rnd, contract_id, contractor_id, region, _pick(rnd, SEVERITIES), opened)
    restored = opened + rnd.uniform(1800, 3 * 86400)
    row.update(state="closed", close_reason="verified", acknowledged_at=opened + rnd.uniform(60, 1800),
               resolved_at=restored - 60, restored_at=restored, closed_at=restored + 120, updated_at=restored + 120)
    return row


async def insert_tickets(count: int, world: dict[str, Any], rnd: random.Random) -> tuple[list[int], list[int]]:
    """(all ticket ids, the staged fresh ones)."""
    from assetsvc import bulk, db
    from assetsvc.tickets.tables import Ticket, TicketSuspension

    staged_count = round(count * STAGED_SHARE)
    rows, pauses = [], {}
    for n in range(count):
        contract = rnd.choice(world["contracts"])
        if n < staged_count:
            rows.append(staged_row(n, rnd, contract))
            continue
        row, pause = ticket_row(n, rnd, contract)
        rows.append(row)
        if pause:
            pauses[n] = pause
    ids = await insert_ids(Ticket, rows)
    suspensions = [{"ticket": ids[n], "reason": "no_access", "note": "业主不在", "requested_by": "bench",
                    "decided_by": "bench-admin", "decided_at": p["requested_at"] + 300, "ended_by":
                    "bench" if p["ended_at"] else None, **p} for n, p in pauses.items()]
    for start in range(0, len(suspensions), CHUNK):
        async with db.write_transaction():
            await bulk.insert_rows(TicketSuspension, suspensions[start:start + CHUNK])
    return ids, ids[:staged_count]


async def refresh_all(ids: list[int], now: float) -> None:
    """Store every ticket's clocks as the service does after a change (the sweep's own chunking)."""
    from assetsvc import db
    from assetsvc.tickets import sweep
    from assetsvc.tickets.lifecycle import refresh

    for start in range(0, len(ids), sweep.CHUNK):
        async with db.write_transaction():
            for ticket_id in ids[start:start + sweep.CHUNK]:
                await refresh(ticket_id, now)


async def analyze() -> None:
    """Statistics, as autovacuum (PostgreSQL) would have them after a bulk load; SQLite is left as is."""
    from assetsvc import bulk, db
    from assetsvc.tickets.tables import Ticket

    if not db.is_sqlite():
        for table in ("ticket", "ticket_event", "ticket_suspension", "webhook_delivery"):
            await bulk.fetch(Ticket, f"ANALYZE {table}")


async def count(sql: str, args: list[Any] | None = None) -> int:
    from assetsvc import bulk
    from assetsvc.tickets.tables import Ticket

    return int((await bulk.fetch(Ticket, sql, args or []))[0]["n"])


async def describe() -> str:
    from assetsvc import bulk
    from assetsvc.tickets.tables import Ticket

    states = await bulk.fetch(Ticket, "SELECT state, count(*) AS n FROM ticket GROUP BY state ORDER BY state")
    breached = await count("SELECT count(*) AS n FROM ticket WHERE respond_breached_at IS NOT NULL OR "
                           "arrive_breached_at IS NOT NULL OR restore_breached_at IS NOT NULL")
    by_state = ", ".join(f"{r['state']} {r['n']:,}" for r in states)
    lines = [f"tickets by state: {by_state}; breached {breached:,}, "
             f"escalated {await count('SELECT count(*) AS n FROM ticket WHERE escalated_at IS NOT NULL'):,}",
             f"suspensions {await count('SELECT count(*) AS n FROM ticket_suspension'):,}, "
             f"events {await count('SELECT count(*) AS n FROM ticket_event'):,}, "
             f"outbox rows {await count('SELECT count(*) AS n FROM webhook_delivery'):,}"]
    return "\n".join(lines)


# --- measuring -----------------------------------------------------------------------------------


async def timed(fn: Callable[[], Awaitable[Any]], rounds: int, before: Callable[[], Awaitable[Any]] | None = None,
                after: Callable[[Any], Awaitable[Any]] | None = None) -> tuple[list[float], Any]:
    """Wall seconds of `fn` per round; `before`/`after` run outside the measured time."""
    seconds, result = [], None
    for _ in range(rounds):
        if before:
            await before()
        began = time.perf_counter()
        result = await fn()
        seconds.append(time.perf_counter() - began)
        if after:
            await after(result)
    return seconds, result


def row(name: str, seconds: list[float], note: str) -> tuple:
    p50, p95, most, _ = common.summary_ms(seconds)
    return (name, f"{p50:.1f}", f"{p95:.1f}", f"{most:.1f}", note)


async def profiled(args: argparse.Namespace, name: str, fn: Callable[[], Awaitable[Any]],
                   before: Callable[[], Awaitable[Any]] | None = None,
                   after: Callable[[Any], Awaitable[Any]] | None = None) -> None:
    """--profile: one more round under cProfile; the top functions by own time."""
    if not args.profile:
        return
    if before:
        await before()
    profile = cProfile.Profile()
    profile.enable()
    result = await fn()
    profile.disable()
    if after:
        await after(result)
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(15)
    print(f"\ncProfile of one round: {name}")
    print("\n".join(line for line in out.getvalue().splitlines()[4:] if line.strip()))


async def nothing_due(args: argparse.Namespace) -> tuple:
    """(a) A sweep at NOW: every clock was stored at NOW, so the query finds nothing."""
    from assetsvc.tickets import sweep

    seconds, outcome = await timed(lambda: sweep.run(NOW), args.rounds)
    query, due = await timed(lambda: sweep.due(NOW), args.rounds)
    print(f"\n(a) query plan: {await plan(NOW)}")
    print(f"(a) sweep.due alone: median {1000 * sorted(query)[len(query) // 2]:.1f} ms, {len(due)} due")
    await profiled(args, "(a) sweep, nothing due", lambda: sweep.run(NOW))
    return row("(a) sweep, nothing due", seconds, f"checked {outcome.checked}, errors {len(outcome.errors)}")


async def plan(now: float) -> str:
    from assetsvc import bulk, db
    from assetsvc.tickets import config as ticket_config, sweep
    from assetsvc.tickets.tables import Ticket

    escalate = now - ticket_config.current().escalate_after_s
    args = [*sweep.RUNNING, now, now, now, escalate, escalate, escalate, now - sweep.RETRY_UNKNOWN_S]
    if db.is_sqlite():
        rows = await bulk.fetch(Ticket, "EXPLAIN QUERY PLAN " + sweep.DUE, args)
        return "; ".join(r["detail"] for r in rows)
    literal = sweep.DUE
    for value in args:  # EXPLAIN of the statement with the values in place (numbers and state names only)
        literal = literal.replace("?", repr(value) if isinstance(value, str) else repr(float(value)), 1)
    rows = await bulk.fetch(Ticket, "EXPLAIN " + literal)
    return " / ".join(r["QUERY PLAN"].strip() for r in rows[:6])


class Restore:
    """Puts the tickets, events and outbox back as they were before a measured sweep."""

    def __init__(self) -> None:
        self.snapshot: dict[int, list[Any]] = {}
        self.event_top = self.delivery_top = 0

    async def take(self) -> None:
        from assetsvc import bulk
        from assetsvc.tickets.tables import Ticket

        rows = await bulk.fetch(Ticket, f"SELECT id, {', '.join(SLA_COLUMNS)} FROM ticket "
                                        "WHERE state NOT IN ('closed', 'cancelled')")
        self.snapshot = {r["id"]: [r[c] for c in SLA_COLUMNS] for r in rows}
        self.event_top = await count("SELECT coalesce(max(id), 0) AS n FROM ticket_event")
        self.delivery_top = await count("SELECT coalesce(max(id), 0) AS n FROM webhook_delivery")

    async def put_back(self, now: float) -> None:
        from assetsvc import bulk, db
        from assetsvc.tickets.tables import Ticket

        async with db.write_transaction():
            touched = await bulk.fetch(Ticket, "SELECT id FROM ticket WHERE updated_at = ?", [now])
            sets = ", ".join(f"{c} = ?" for c in SLA_COLUMNS)
            await bulk.execute_many(Ticket, f"UPDATE ticket SET {sets} WHERE id = ?",
                                    [[*self.snapshot[r["id"]], r["id"]] for r in touched])
            await bulk.execute_many(Ticket, "DELETE FROM ticket_event WHERE id > ?", [[self.event_top]])
            await bulk.execute_many(Ticket, "DELETE FROM webhook_delivery WHERE id > ?", [[self.delivery_top]])


async def crossing(args: argparse.Namespace, staged: list[int], percent: float) -> tuple:
    """(b) A sweep at the instant by which `percent` of all tickets (fresh ones) have crossed their
    respond deadline; background tickets crossing a deadline meanwhile are in it too."""
    from assetsvc import bulk
    from assetsvc.tickets import sweep
    from assetsvc.tickets.tables import Ticket

    dues = sorted(r["respond_due"] for r in await bulk.fetch_in(Ticket, "SELECT respond_due FROM ticket "
                                                                        "WHERE id IN ({in})", staged))
    wanted = round(args.tickets * percent / 100)
    at = dues[wanted - 1] + 1.0  # a deadline is breached once passed, not at the instant itself
    restore = Restore()
    await restore.take()
    made: dict[str, int] = {}

    async def tally(outcome: Any) -> None:
        made.update(checked=outcome.checked, errors=len(outcome.errors),
                    events=await count("SELECT count(*) AS n FROM ticket_event WHERE id > ?", [restore.event_top]),
                    deliveries=await count("SELECT count(*) AS n FROM webhook_delivery WHERE id > ?",
                                           [restore.delivery_top]))
        await restore.put_back(at)

    seconds, _ = await timed(lambda: sweep.run(at), args.rounds, after=tally)
    await profiled(args, f"(b) sweep, {percent:g} % crossing", lambda: sweep.run(at), after=tally)
    per = 1000 * sorted(seconds)[len(seconds) // 2] / max(1, made["checked"])
    return row(f"(b) sweep, {percent:g} % cross a deadline (NOW + {at - NOW:.0f} s)", seconds,
               f"checked {made['checked']:,} ({wanted:,} fresh), {made['events']:,} events, "
               f"{made['deliveries']:,} outbox rows, errors {made['errors']}; {per:.2f} ms per ticket")


async def full_figures(args: argparse.Namespace) -> list[tuple]:
    """(c) Every open ticket's SLA figures from scratch: what the sweep costs without stored deadlines."""
    from assetsvc import bulk
    from assetsvc.tickets import clocks, config as ticket_config
    from assetsvc.tickets.store import ACTIVE, TERMS
    from assetsvc.tickets.tables import Ticket

    escalate_after = ticket_config.current().escalate_after_s
    loaded: dict[str, Any] = {}

    async def read() -> int:
        marks = ",".join("?" * len(ACTIVE))
        tickets = await bulk.fetch(Ticket, "SELECT t.*, t.contract AS contract_id, t.contractor AS contractor_id "
                                           f"FROM ticket t WHERE t.state IN ({marks})", list(ACTIVE))
        loaded.update(tickets=tickets, pauses=await clocks.suspensions_of([t["id"] for t in tickets]),
                      terms=await TERMS.get({t["contract_id"] for t in tickets}))
        return len(tickets)

    async def compute() -> int:
        changed = 0
        for ticket in loaded["tickets"]:
            clock = clocks.clock(ticket, loaded["pauses"].get(ticket["id"], []), loaded["terms"], NOW)
            settled = clocks.settle(ticket, clock, escalate_after, NOW)
            changed += bool(settled.breached or settled.withdrawn or settled.escalate)
        return changed

    async def both() -> int:
        await read()
        return await compute()

    read_s, tickets = await timed(read, args.rounds)
    compute_s, changed = await timed(compute, args.rounds)
    both_s, _ = await timed(both, args.rounds)
    await profiled(args, "(c) figures of every open ticket", both)
    per = 1e6 * sorted(compute_s)[len(compute_s) // 2] / tickets
    return [row("(c) read open tickets, pauses, terms", read_s, f"{tickets:,} tickets"),
            row("(c) clocks.clock + settle for each", compute_s,
                f"{per:.0f} µs per ticket; {changed} would change (expected 0 at NOW)"),
            row("(c) both: a sweep without stored deadlines", both_s, "")]


# --- (d) the opener over device states --------------------------------------------------------------


def aspects(t: float, up: bool, reboots: bool) -> str:
    """Stored aspects as the monitoring engine writes them for an ONVIF camera (evaluate.py)."""
    fine = {"ok": True, "cause": "", "since": t - 86400, "at": t - 60, "pending": None}
    reach = {**fine, "primary_at": t - 60} if up else {"ok": False, "cause": "onvif_light:timeout", "since": t - 3600,
                                                       "at": t - 60, "pending": None, "primary_at": t - 60}
    out: dict[str, Any] = {"reach": reach, "stream": fine, "picture": {**fine, "ok": None}, "clock": fine}
    if reboots:
        out["uptime"] = {"s": 86400.0, "at": t - 60, "reboots": [t - 20 * 86400, t - 9 * 86400]}
    return json.dumps(out)


async def load_devices(args: argparse.Namespace, world: dict[str, Any], rnd: random.Random) -> None:
    from assetsvc import bulk, db
    from assetsvc.monitoring.tables import DeviceState
    from assetsvc.registry.tables import Camera

    regions = [r for _, _, r in world["contracts"]]
    cameras = [{"gb_id": f"{regions[n % len(regions)]}00011327{n:06d}", "name": f"仿真摄像机{n + 1:06d}",
                "region_code": regions[n % len(regions)], "status": "active", "point_class": 1 if n % 10 == 0 else 3}
               for n in range(args.devices)]
    ids = await insert_ids(Camera, cameras)
    faulty = set(rnd.sample(range(args.devices), args.faulty))
    states = [{"subject_type": "camera", "subject_id": cid, "state": "down" if n in faulty else "up",
               "cause": "onvif_light:timeout" if n in faulty else "", "since": NOW - 3600 if n in faulty else NOW - 86400,
               "aspects": aspects(NOW, n not in faulty, rnd.random() < args.reboot_share), "last_seen": NOW - 60,
               "samples": 100}
              for n, cid in enumerate(ids)]
    for start in range(0, len(states), CHUNK):
        async with db.write_transaction():
            await bulk.insert_rows(DeviceState, states[start:start + CHUNK])


async def opener_figures(args: argparse.Namespace, world: dict[str, Any]) -> list[tuple]:
    """(d) opener.run: the first run opens --faulty tickets; steady runs find them all ticketed."""
    from assetsvc import bulk, db
    from assetsvc.tickets import opener
    from assetsvc.tickets.tables import Ticket

    async def no_tickets() -> None:
        async with db.write_transaction():
            for table in ("ticket_event", "ticket_suspension", "ticket_camera", "ticket", "webhook_delivery"):
                await bulk.execute_many(Ticket, f"DELETE FROM {table} WHERE id > ?", [[0]])

    await no_tickets()
    started = time.perf_counter()
    await load_devices(args, world, random.Random(args.seed + 1))
    await analyze()
    if not db.is_sqlite():
        await bulk.fetch(Ticket, "ANALYZE device_state")
        await bulk.fetch(Ticket, "ANALYZE camera")
    print(f"\n(d) {args.devices:,} cameras and device states ({args.faulty:,} down for an hour, "
          f"{100 * args.reboot_share:g} % with reboot history) inserted in {time.perf_counter() - started:.1f} s; "
          f"tickets deleted")
    rounds = max(1, min(3, args.rounds))
    first_s, first = await timed(lambda: opener.run(NOW), rounds, before=no_tickets)
    steady_s, steady = await timed(lambda: opener.run(NOW + 60), args.rounds)
    await profiled(args, "(d) opener.run, steady", lambda: opener.run(NOW + 60))
    per = 1000 * sorted(first_s)[len(first_s) // 2] / max(1, first.opened)
    return [row(f"(d) first run: opens {args.faulty:,} tickets", first_s,
                f"opened {first.opened:,}, errors {len(first.errors)}; {per:.2f} ms per ticket ({rounds} rounds)"),
            row("(d) steady run: nothing new", steady_s, f"{steady.describe() or 'no change'}")]


if __name__ == "__main__":
    main()
