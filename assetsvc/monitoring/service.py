"""What monitoring tells other slices (tickets, later reports): typed records, never its tables.

The ticket slice asks four things, and only through these functions:
- a device's faults now (`devices_now`, `last_down_end`, `cameras_down_behind`, `in_maintenance`);
- its fault seconds over a period, by a contract's downtime rule (`fault_seconds`, the uptime service);
- the online rates of a contract's cameras, sampled at its hours and time-weighted (`online_rates`);
- the first check after an instant that speaks to a fault (`first_check_after`, the engine's own mapping);
- a request to re-probe now (`make_due`);
- a picture ticket's evidence frames: hold them while the ticket is active or disputed, release them
  to be kept a while after it closed, read them (`hold_evidence`, `evidence_hold`, `ticket_evidence`,
  `ticket_frame_jpeg`), and teach the camera's baseline a false alarm's frame (`accept_false_alarm`).
Monitoring's tables (device_state, state_interval, result_history, drift_flag, probe_task,
maintenance_window) are read and written here and in the rest of monitoring only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from assetsvc import bulk, db
from assetsvc.monitoring import evaluate as ev
from assetsvc.monitoring import evidence, maintenance, picture_memory
from assetsvc.monitoring.evidence import Frame
from assetsvc.monitoring.drift import CONFIG_KINDS
from assetsvc.monitoring.config import current as monitoring_config
from assetsvc.monitoring.records import DEGRADING, Aspect, Aspects, StateRecord
from assetsvc.monitoring.tables import DeviceState, MaintenanceWindow, ProbeTask, ResultHistory, StateInterval
from assetsvc.monitoring.tables import DriftFlag as DriftTable
from assetsvc.monitoring.topology import Topology
from assetsvc.monitoring.uptime_faults import DOWN_ONLY, DowntimeRule, FaultCauses, FaultSeconds
from assetsvc.monitoring.uptime_faults import fault_seconds as _fault_seconds
from assetsvc.monitoring.uptime_faults import fault_seconds_by_cause as _fault_seconds_by_cause
from assetsvc.monitoring.uptime import compute as _uptime
from assetsvc.monitoring.uptime_hours import SampleHours, office_hours
from assetsvc.monitoring.uptime_input import office_offset
from assetsvc.monitoring.uptime_scope import camera_ids

__all__ = ["DOWN_ONLY", "DowntimeRule", "FaultCauses", "FaultSeconds", "REBOOT_MEMORY_S", "DEGRADING", "CONFIG_CAUSES",
           "CONFIG_KINDS", "Aspect", "Drift",
           "DeviceNow", "Check", "CHECKED", "device_record", "devices_now", "last_down_end", "cameras_down_behind",
           "in_maintenance", "fault_seconds", "fault_seconds_by_cause", "OnlineRates", "online_rates", "decide_check", "first_check_after",
           "make_due", "Frame", "hold_evidence", "evidence_hold", "ticket_evidence", "ticket_frame_jpeg",
           "accept_false_alarm", "QueueFigures", "queue_figures"]

Key = tuple[str, int]  # (subject type, subject id): ("camera", 12), ("upstream", 7)
REBOOT_MEMORY_S = ev.REBOOTS_MEMORY_S  # how far back a device's reboot instants are kept
# Causes and drift flag kinds that are the record's fault (a stream path that is not there: 404/454),
# shown to the office but never a ticket.
CONFIG_CAUSES = ev.CONFIG_CAUSES


# ---- a device's faults now -----------------------------------------------------------------------

@dataclass(frozen=True)
class Drift:
    """A registry drift flag (serial, mac, model, address...): open while cleared_at is None."""

    kind: str
    first_seen: float
    cleared_at: float | None

    @property
    def config(self) -> bool:
        """A configuration problem of the record (CONFIG_KINDS: stream_path), not a different device."""
        return self.kind in CONFIG_KINDS


@dataclass(frozen=True)
class DeviceNow:
    """What the monitoring knows of a device now: its state record (records.StateRecord, the one the
    evaluator keeps; None: it has no state, not monitored) and its drift flags."""

    subject_type: str
    subject_id: int
    record: StateRecord | None
    drift: tuple[Drift, ...] = ()

    @property
    def key(self) -> Key:
        return self.subject_type, self.subject_id

    @property
    def state(self) -> str | None:
        return None if self.record is None else self.record.state

    @property
    def cause(self) -> str:
        return "" if self.record is None else self.record.cause

    @property
    def root_upstream(self) -> int | None:
        return None if self.record is None else self.record.root_upstream

    @property
    def since(self) -> float | None:
        return None if self.record is None else self.record.since

    @property
    def aspects(self) -> Aspects:
        """reach, stream, picture, clock (`aspects["reach"]`); all unknown when not monitored."""
        return Aspects() if self.record is None else self.record.aspects

    @property
    def reboots(self) -> tuple[float, ...] | None:
        """Reboot instants of the last day; None: no uptime readings at all."""
        return None if self.record is None else self.record.reboots


def device_record(subject_type: str, subject_id: int, state: Mapping[str, Any] | None,
                  drift: Iterable[Mapping[str, Any]] = ()) -> DeviceNow:
    """A device's record from its stored state row (state, cause, root_upstream, since, aspects) and drift rows."""
    flags = tuple(Drift(str(f["kind"]), float(f["first_seen"]),
                        None if f["cleared_at"] is None else float(f["cleared_at"])) for f in drift)
    return DeviceNow(subject_type, subject_id, None if state is None else StateRecord.from_row(state), flags)


def _like_reboots() -> str:
    return "aspects LIKE '%reboots%'" if db.is_sqlite() else "aspects::text LIKE '%reboots%'"


_STATE_COLUMNS = "subject_type, subject_id, state, cause, root_upstream, since, aspects"


async def devices_now(also: Mapping[str, Iterable[int]] | None = None,
                      drift_history: Iterable[int] = ()) -> dict[Key, DeviceNow]:
    """Every device with a fault or reboot history now, every camera with an open drift flag, and the
    devices in `also` (type -> ids, e.g. those with active tickets). Cameras in `drift_history` also
    get their cleared drift flags (to tell when a drift ended)."""
    rows = await bulk.fetch(DeviceState, f"SELECT {_STATE_COLUMNS} FROM device_state "
                                         f"WHERE state IN ('down', 'degraded') OR {_like_reboots()}")
    for subject_type, ids in (also or {}).items():
        rows += await bulk.fetch_in(DeviceState, f"SELECT {_STATE_COLUMNS} FROM device_state WHERE subject_type = ? "
                                                 "AND subject_id IN ({in})", sorted(set(ids)), [subject_type])
    flags = await bulk.fetch(DriftTable, "SELECT camera_id, kind, first_seen, cleared_at FROM drift_flag "
                                         "WHERE cleared_at IS NULL")
    flags += await bulk.fetch_in(DriftTable, "SELECT camera_id, kind, first_seen, cleared_at FROM drift_flag "
                                             "WHERE cleared_at IS NOT NULL AND camera_id IN ({in})",
                                 sorted(set(drift_history)))
    by_camera: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for flag in flags:
        by_camera[flag["camera_id"]].append(flag)
    states = {(r["subject_type"], r["subject_id"]): r for r in rows}
    keys = set(states) | {("camera", c) for c in by_camera}
    return {key: device_record(key[0], key[1], states.get(key), by_camera.get(key[1], ()) if key[0] == "camera"
                               else ()) for key in sorted(keys)}


async def last_down_end(subject_type: str, subject_id: int, after: float, until: float) -> float | None:
    """When the device's last outage ending in [after, until] ended (from its intervals), or None."""
    rows = await bulk.fetch(StateInterval, 'SELECT MAX("end") AS back FROM state_interval WHERE subject_type = ? '
                                           'AND subject_id = ? AND state = ? AND "end" >= ? AND "end" <= ?',
                            [subject_type, subject_id, "down", after, until])
    back = rows[0]["back"] if rows else None
    return None if back is None else float(back)


async def cameras_down_behind(upstream_ids: Iterable[int]) -> dict[int, set[int]]:
    """Cameras down now because of each of these upstream devices (it is their topmost dead device)."""
    rows = await bulk.fetch_in(DeviceState, "SELECT subject_id, root_upstream FROM device_state WHERE "
                                            "subject_type = 'camera' AND state = 'down' AND cause = 'upstream' AND "
                                            "root_upstream IN ({in})", sorted(set(upstream_ids)))
    out: dict[int, set[int]] = defaultdict(set)
    for row in rows:
        out[row["root_upstream"]].add(row["subject_id"])
    return dict(out)


async def in_maintenance(keys: Iterable[Key], now: float) -> set[Key]:
    """The devices among `keys` that a maintenance window covers now.

    Cameras: the windows' own rule (maintenance.ranges_for: the camera, its site, its upstream
    chain, its region). Upstream devices: windows on the device or a device above it, or its region.
    """
    keys = list(keys)
    cameras = sorted(i for t, i in keys if t == "camera")
    upstreams = sorted(i for t, i in keys if t == "upstream")
    found: set[Key] = set()
    if cameras:
        found.update(("camera", c) for c in await maintenance.ranges_for(camera_ids(cameras), now, now + 1e-3))
    if upstreams:
        windows = await bulk.fetch(MaintenanceWindow, "SELECT scope, scope_ref FROM maintenance_window WHERE "
                                   "starts_at <= ? AND ends_at > ? AND scope IN ('upstream', 'region')", [now, now])
        if windows:
            parents = await bulk.fetch(MaintenanceWindow, "SELECT id, parent, region_code FROM upstream_device")
            topology = Topology({r["id"]: r["parent"] for r in parents}, {})
            regions = {r["id"]: r["region_code"] or "" for r in parents}
            refs = {w["scope_ref"] for w in windows if w["scope"] == "upstream"}
            prefixes = [w["scope_ref"] for w in windows if w["scope"] == "region"]
            for device in upstreams:
                if any(str(a) in refs for a in topology.chain(device)) or \
                        any(regions.get(device, "").startswith(p) for p in prefixes):
                    found.add(("upstream", device))
    return found


# ---- fault seconds by rule (the uptime service) --------------------------------------------------

async def fault_seconds(cameras: Iterable[int], start: float, end: float, rule: DowntimeRule = DOWN_ONLY, *,
                        now: float | None = None) -> FaultSeconds:
    """Each camera's seconds in [start, min(end, now)) in a state `rule` counts, maintenance removed.

    A camera counts only inside its service periods (the registry's records): one decommissioned
    mid-month counts up to its decommissioning, whatever its status now."""
    return await _fault_seconds(camera_ids(cameras), start, end, rule, now=now)


async def fault_seconds_by_cause(cameras: Iterable[int], start: float, end: float, *,
                                 now: float | None = None) -> FaultCauses:
    """Each camera's seconds down or degraded in [start, min(end, now)), per (state, cause), maintenance
    removed, counted like fault_seconds: sum the pairs a DowntimeRule `matches` to get its figure."""
    return await _fault_seconds_by_cause(camera_ids(cameras), start, end, now=now)


@dataclass(frozen=True)
class OnlineRates:
    """A set of cameras' 在线率 over a period: sampled at fixed times of day, and time-weighted."""

    hours: tuple[str, ...]  # the times of day sampled (HH:MM, office time)
    instants: int  # sample times in the counted part of the period
    counted: int  # ... at which some camera was known
    sampled_online_rate: float | None
    online_rate: float | None  # time-weighted: online seconds / observed seconds
    counted_until: float


async def online_rates(cameras: Iterable[int], start: float, end: float, hours: Sequence[int] | None = None, *,
                       now: float | None = None) -> OnlineRates:
    """The cameras' online rates over [start, end): sampled at `hours` (minutes after midnight, office
    time; none: ASSETSVC_SAMPLE_HOURS) and time-weighted, from the uptime service."""
    chosen = SampleHours(tuple(hours)) if hours else office_hours()
    found = await _uptime(camera_ids(cameras), start, end, hours=chosen, tz=office_offset(), now=now,
                          step=max(3600.0, end - start))
    at_hours = found.sampled_hours
    return OnlineRates(tuple(chosen.labels), at_hours["instants"], at_hours["counted"], at_hours["online_rate"],
                       found.figures()["online_rate"], found.counted_until)


# ---- the first check after an instant ------------------------------------------------------------

CHECKED = ("reach", "stream", "picture", "clock", "inventory")  # what a check can speak to
INVENTORY_KINDS = ("onvif_deep", "snmp")  # the probes the inventory plans run
# The plans a re-probe makes due for each aspect (light always: it owns reach).
_PLANS = {"reach": ("light",), "clock": ("light",), "stream": ("light", "deep"), "picture": ("light", "deep"),
          "inventory": ("light", "inventory")}


@dataclass(frozen=True)
class Check:
    """A check's verdict on one aspect: passed or not, when, by which probe, and the failing cause."""

    passed: bool
    at: float
    probe: str
    cause: str


def _checked(aspect: str) -> str:
    if aspect not in CHECKED:
        raise ValueError(f"aspect {aspect!r} is not one of {', '.join(CHECKED)}")
    return aspect


def decide_check(aspect: str, results: Sequence[Mapping[str, Any]], drift_open: bool,
                 rules: ev.Rules, cause: str = "", raised_by: str = "") -> Check | None:
    """The first of `results` (stored result rows in time order) that speaks to `aspect`, read with the
    engine's own mapping (evaluate.observations); "inventory" needs a successful inventory probe and
    no open drift flag.

    A fault whose `cause` is a stalled or slow stream (stream:stalled, stream:low_fps) is decided only
    by reading the stream for a while (rtsp_continuity): a DESCRIBE or one decoded frame cannot show it
    fixed, nor confirm it. A continuity read fails a picture fault when it says frozen; it passes
    none but a picture:frozen one the continuity check raised (`raised_by`: the stored fault's check,
    "" when unknown; the engine lets continuity clear only its own), and that only when it says `ok`
    (the picture moves) and no snapshot or frame of the same run gave a verdict (a camera whose
    snapshot cannot be fetched): otherwise the snapshot's or frame's verdict decides."""
    _checked(aspect)
    if aspect == "inventory":
        for result in results:
            if result["probe_kind"] in INVENTORY_KINDS and result["ok"]:
                return Check(not drift_open, float(result["at"]), result["probe_kind"],
                             "registry drift still reported" if drift_open else "")
        return None
    read = [(result, facts, ev.observations(result["probe_kind"], bool(result["ok"]), result["error"], facts,
                                            float(result["at"]), rules))
            for result in results for facts in (bulk.json_column(result["facts"], {}),)]
    for result, facts, found in read:
        for obs in found:
            if obs.aspect != aspect or (obs.brief and cause in ev.CONTINUITY_CAUSES) or (
                    obs.rate_unjudged and cause in ev.LOW_FPS_CAUSES):
                continue
            if obs.ok and obs.by == "continuity" and not (
                    ev.continuity_may_clear(cause, raised_by) and facts.get("verdict") == "ok"
                    and not _picture_verdict_beside(read, result)):
                # A stream read whose key frames differ says the picture is not frozen, nothing more:
                # it cannot pass a dark, blurred or covered picture, nor, while the run's snapshot
                # or frame judged the picture, a frozen one (which the snapshot check may have
                # raised, and the engine lets continuity clear only its own).
                continue
            return Check(obs.ok, obs.at, result["probe_kind"], obs.cause)
    return None


def _picture_verdict_beside(read: Sequence[tuple[Mapping[str, Any], Any, list[ev.Observation]]],
                            result: Mapping[str, Any]) -> bool:
    """Whether a result of the same run (the same `at`) as `result` judged the picture by a snapshot
    or frame (a picture observation not from the continuity check)."""
    return any(o.aspect == "picture" and o.by != "continuity" for other, _, found in read
               if other is not result and other["at"] == result["at"] for o in found)


async def first_check_after(subject_type: str, subject_id: int, after: float, aspect: str,
                            cause: str = "") -> Check | None:
    """The first stored result after `after` that speaks to `aspect` (and to a fault with `cause`, see
    decide_check), or None while there is none. Drift flags of CONFIG_KINDS are not drift here."""
    _checked(aspect)
    results = await bulk.fetch(ResultHistory, "SELECT probe_kind, at, ok, error, facts FROM result_history "
                                              "WHERE subject_type = ? AND subject_id = ? AND at > ? ORDER BY at",
                               [subject_type, subject_id, after])
    drift_open = False
    if aspect == "inventory":
        flags = await bulk.fetch(DriftTable, "SELECT kind FROM drift_flag WHERE camera_id = ? AND cleared_at IS NULL",
                                 [subject_id])
        drift_open = any(f["kind"] not in CONFIG_KINDS for f in flags)
    raised_by = ""
    if aspect == "picture" and cause == ev.FROZEN:  # which check raised the stored frozen fault
        rows = await bulk.fetch(DeviceState, f"SELECT {_STATE_COLUMNS} FROM device_state WHERE subject_type = ? "
                                f"AND subject_id = ?", [subject_type, subject_id])
        picture = StateRecord.from_row(rows[0]).aspects.picture if rows else None
        raised_by = picture.by if picture is not None and picture.ok is False else ""
    return decide_check(aspect, results, drift_open, monitoring_config().state_rules(), cause, raised_by)


# ---- a request to re-probe now -------------------------------------------------------------------

async def make_due(subject_type: str, subject_id: int, aspect: str, now: float) -> None:
    """Make the device's checks that speak to `aspect` due now (in the caller's transaction)."""
    plans = _PLANS[_checked(aspect)]
    marks = ",".join("?" * len(plans))
    await bulk.execute_many(ProbeTask, f"UPDATE probe_task SET due_at = ? WHERE subject_type = ? AND subject_id = ? "
                                       f"AND plan IN ({marks}) AND due_at > ?",
                            [[now, subject_type, subject_id, *plans, now]])


# ---- a picture ticket's evidence frames ----------------------------------------------------------

async def hold_evidence(camera_id: int, ticket_id: int, since: float, cause: str = "") -> list[Frame]:
    """Link a new picture ticket to the frame that showed its fault (`cause`, of its streak since
    `since`: evidence.hold) and the camera's last good frame before it, held (never evicted) until
    evidence_hold releases them. Caller's transaction."""
    return await evidence.hold(camera_id, ticket_id, since, cause)


async def evidence_hold(ticket_id: int, held: bool, keep_until: float | None = None) -> None:
    """Hold a ticket's frames (active again, disputed) or release them, kept until `keep_until`."""
    await evidence.set_hold(ticket_id, held, keep_until)


async def ticket_evidence(ticket_id: int) -> list[Frame]:
    return await evidence.of_ticket(ticket_id)


async def ticket_frame_jpeg(ticket_id: int, frame_id: int) -> bytes | None:
    return await evidence.ticket_jpeg(ticket_id, frame_id)


async def accept_false_alarm(ticket_id: int, by: str, now: float, source: str = "api") -> Frame | None:
    """The office marked a picture ticket a false alarm: its fault frame joins the camera's baseline
    (audited) and the camera's picture checks are due now, so the next grab is judged with it.
    None when the ticket has no fault frame to learn from (it opened before any was kept)."""
    found = await evidence.ticket_grab(ticket_id)
    if found is None:
        return None
    camera_id, shown = found
    await picture_memory.accept_grab(camera_id, shown, by, now,
                                     f"camera {camera_id}: false alarm of ticket {ticket_id}", source)
    await make_due("camera", camera_id, "picture", now)
    frames = [f for f in await evidence.of_ticket(ticket_id) if f.role == "fault"]
    return frames[0] if frames else None


@dataclass(frozen=True)
class QueueFigures:
    """The probe queue now (for /metrics): tasks, due and unclaimed, leases held, states by count."""

    tasks: int
    due: int  # due now and nobody holds a live lease: waiting for a worker
    oldest_due_s: float  # how long the longest-waiting due task has waited (0 when none)
    leases: Mapping[str, int]  # live leases per worker node
    states: Mapping[str, int]  # monitored devices per measured state (cameras and upstream devices)


async def queue_figures(now: float) -> QueueFigures:
    """Count the queue in two grouped queries and the states in one (indexed columns only)."""
    rows = await bulk.fetch(ProbeTask, "SELECT COUNT(*) AS n, SUM(CASE WHEN due_at <= ? AND (lease_until IS NULL "
                            "OR lease_until < ?) THEN 1 ELSE 0 END) AS due, MIN(CASE WHEN due_at <= ? AND "
                            "(lease_until IS NULL OR lease_until < ?) THEN due_at END) AS oldest FROM probe_task",
                            [now, now, now, now])
    leases = await bulk.fetch(ProbeTask, "SELECT lease_owner, COUNT(*) AS n FROM probe_task WHERE lease_until >= ? "
                              "GROUP BY lease_owner", [now])
    states = await bulk.fetch(DeviceState, "SELECT state, COUNT(*) AS n FROM device_state GROUP BY state")
    head = rows[0] if rows else {}
    oldest = head.get("oldest")
    return QueueFigures(tasks=int(head.get("n") or 0), due=int(head.get("due") or 0),
                        oldest_due_s=max(0.0, now - oldest) if oldest is not None else 0.0,
                        leases={r["lease_owner"]: int(r["n"]) for r in leases if r["lease_owner"]},
                        states={r["state"]: int(r["n"]) for r in states})
