"""Apply probe results to the database: latest result, history ring, debounced state, intervals.

One batch is one write transaction. Only transitions become intervals (DESIGN: store
transitions, not samples); every result overwrites the latest row of its kind and one slot of
the subject's history ring, so storage stays bounded whatever the probing rate.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from assetsvc import bulk, db
from assetsvc.monitoring import evaluate as ev
from assetsvc.monitoring.records import StateRecord
from assetsvc.monitoring.tables import DeviceState, LatestResult, StateInterval
from assetsvc.monitoring.uptime_forget import forget
from assetsvc.monitoring.topology import Topology
from probes.facts import Facts
from probes.types import ErrorKind

log = logging.getLogger("assetsvc.monitoring")


@dataclass(frozen=True)
class Reading:
    """One result to apply, from a probe or a passive status report (stored as they are here)."""

    kind: str
    ok: bool
    error: ErrorKind | str | None  # a probe's ErrorKind; "offline" for a passive report
    message: str
    duration_ms: float
    facts: Facts | Mapping[str, Any]  # a probe's facts record; {"online": ...} for a passive report
    at: float

    def stored_error(self) -> str | None:
        return self.error.value if isinstance(self.error, ErrorKind) else self.error

    def stored_facts(self) -> str:
        facts = self.facts.to_json() if isinstance(self.facts, Facts) else dict(self.facts)
        return json.dumps(facts, default=str)


@dataclass
class Applied:
    """What a batch changed."""

    results: int = 0
    transitions: list[tuple[str, int, ev.Transition]] = field(default_factory=list)
    evaluated: dict[tuple[str, int], ev.Evaluated] = field(default_factory=dict)
    events: list[tuple[str, int, str]] = field(default_factory=list)


async def states(keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], dict[str, Any]]:
    """Current states by (subject_type, subject_id), locked for this write transaction: per device
    {"record": StateRecord (decoded here, once), "samples": its result count}.

    PostgreSQL: `FOR UPDATE`, in (type, id) order, because two transactions may write the same
    device at once (its light and deep tasks flushed by two workers, a passive push, the stale
    sweep): without the lock both read the same state and each closes "the" open interval and
    opens its own, leaving two open intervals and a lost debounce streak. The fixed order keeps
    concurrent batches from deadlocking. SQLite's IMMEDIATE transactions already serialise writers.
    """
    found: dict[tuple[str, int], dict[str, Any]] = {}
    by_type: dict[str, list[int]] = {}
    for subject_type, subject_id in set(keys):
        by_type.setdefault(subject_type, []).append(subject_id)
    lock = "" if db.is_sqlite() else " ORDER BY subject_id FOR UPDATE"
    for subject_type in sorted(by_type):
        rows = await bulk.fetch_in(DeviceState, "SELECT * FROM device_state WHERE subject_type = ? AND "
                                   "subject_id IN ({in})", by_type[subject_type], [subject_type], lock)
        for row in rows:
            found[(subject_type, row["subject_id"])] = {"record": StateRecord.from_row(row),
                                                        "samples": row["samples"]}
    return found


def _evaluate(row: dict[str, Any], readings: Sequence[Reading], rules: ev.Rules, now: float,
              upstream: tuple[int, float] | None) -> ev.Evaluated:
    observed: list[ev.Observation] = []
    for reading in readings:
        observed.extend(ev.observations(reading.kind, reading.ok, reading.error, reading.facts,
                                        reading.at, rules))
    return ev.evaluate(row["record"], observed, now, rules,
                       upstream_down=upstream[0] if upstream else None,
                       upstream_since=upstream[1] if upstream else None,
                       seen=max(r.at for r in readings))


async def apply(batch: Mapping[tuple[str, int], Sequence[Reading]], rules: ev.Rules, history: int,
                now: float) -> Applied:
    """Apply readings per subject inside the caller's write transaction."""
    applied = Applied()
    current = await states(batch)
    topology = await Topology.load()
    await topology.load_cameras([i for t, i in current if t == "camera"])
    updates: dict[tuple[str, int], tuple[dict[str, Any], ev.Evaluated]] = {}
    latest: list[list[Any]] = []
    ring: list[list[Any]] = []
    # Upstream devices first: cameras evaluated afterwards see this batch's switch outages.
    for key in sorted(batch, key=lambda k: k[0] != "upstream"):
        row, readings = current.get(key), batch[key]
        if row is None or not readings:  # not (or no longer) in service: nothing to record
            continue
        result = _evaluate(row, readings, rules, now, topology.root_down(*key))
        updates[key] = (row, result)
        if key[0] == "upstream":
            topology.set_down(key[1], result.since if result.state == "down" else None, result.since)
        _collect(key, row, readings, history, latest, ring)
        applied.results += len(readings)
        applied.events.extend((key[0], key[1], name) for name in getattr(result, "events", ()))
    # An upstream device that went down (or came back) relabels the outages of the cameras behind it.
    for camera_key, row in (await states(await topology.relabel_candidates(updates))).items():
        upstream = topology.root_down(*camera_key)
        relabeled = ev.relabel_for_upstream(
            row["record"], upstream[0] if upstream else None,
            upstream[1] if upstream else topology.recovered_at(row["record"].root_upstream, now))
        if relabeled is not None:
            updates[camera_key] = (row, relabeled)
    applied.evaluated = {key: result for key, (_, result) in updates.items()}
    await _write_latest(latest, ring)
    await write_states(updates, applied)
    return applied


def _collect(key: tuple[str, int], row: dict[str, Any], readings: Sequence[Reading], history: int,
             latest: list[list[Any]], ring: list[list[Any]]) -> None:
    """Rows for the latest-result table and the history ring; advances the subject's sample count."""
    samples = row["samples"]
    for reading in readings:
        values = [key[0], key[1], reading.kind, reading.at, reading.ok, reading.stored_error(),
                  reading.message[:500], round(reading.duration_ms, 3), reading.stored_facts()]
        latest.append(values)
        ring.append([*values[:2], samples % history, *values[2:]])
        samples += 1
    row["samples"] = samples


async def _write_latest(latest: list[list[Any]], ring: list[list[Any]]) -> None:
    columns = "subject_type, subject_id, probe_kind, at, ok, error, message, duration_ms, facts"
    update = ("at = excluded.at, ok = excluded.ok, error = excluded.error, message = excluded.message, "
              "duration_ms = excluded.duration_ms, facts = excluded.facts")
    await bulk.execute_many(LatestResult, f"INSERT INTO latest_result ({columns}) VALUES (?,?,?,?,?,?,?,?,?) "
                            f"ON CONFLICT (subject_type, subject_id, probe_kind) DO UPDATE SET {update}", latest)
    await bulk.execute_many(LatestResult, f"INSERT INTO result_history (subject_type, subject_id, slot, "
                            f"probe_kind, at, ok, error, message, duration_ms, facts) VALUES "
                            f"(?,?,?,?,?,?,?,?,?,?) ON CONFLICT (subject_type, subject_id, slot) DO UPDATE SET "
                            f"probe_kind = excluded.probe_kind, {update}", ring)


async def write_states(updates: Mapping[tuple[str, int], tuple[dict[str, Any], ev.Evaluated]],
                       applied: Applied) -> None:
    """Store new states (the records encoded here); turn each subject's transitions into intervals."""
    rows, closes, opens = [], [], []
    for (subject_type, subject_id), (row, result) in updates.items():
        rows.append([result.state, result.cause, result.root_upstream, result.since,
                     json.dumps(result.aspects.to_json()), result.last_seen, row["samples"], subject_type, subject_id])
        moves = sorted(result.transitions, key=lambda t: t.at)
        if not moves:
            continue
        closes.append([moves[0].at, subject_type, subject_id])
        for n, move in enumerate(moves):
            end = moves[n + 1].at if n + 1 < len(moves) else None
            opens.append({"subject_type": subject_type, "subject_id": subject_id, "state": move.state,
                          "cause": move.cause[:64], "root_upstream": move.root_upstream, "start": move.at,
                          "end": end})
            applied.transitions.append((subject_type, subject_id, move))
    await bulk.execute_many(DeviceState, "UPDATE device_state SET state = ?, cause = ?, root_upstream = ?, "
                            "since = ?, aspects = ?, last_seen = ?, samples = ? "
                            "WHERE subject_type = ? AND subject_id = ?", rows)
    await bulk.execute_many(StateInterval, 'UPDATE state_interval SET "end" = ? WHERE subject_type = ? '
                            'AND subject_id = ? AND "end" IS NULL', closes)
    await bulk.insert_rows(StateInterval, opens)
    # A transition dated more than the rollup's grace ago (a stale sweep, a late report) changes closed days.
    await forget([(o["subject_id"], o["start"], None) for o in opens if o["subject_type"] == "camera"])
