"""Debounced measured state (up | degraded | down | unknown) from probe results: pure functions, no I/O.

A subject's state is derived from four fault aspects, each with a confirmed status and a pending
streak of results that disagree with it (stored as DeviceState.aspects):

- `reach` (does the device answer on the network): tcp, onvif_light, snmp_light, snmp, passive
  reports, and a successful onvif_deep. A reply of any kind proves reach, so the errors auth,
  unsupported and clock are reach ok (wrong credentials or a wrong protocol in the registry are
  a configuration problem, visible in the latest result, not an outage); timeout, refused and
  protocol are reach failures (protocol because unexpected failures are classified as protocol
  too, and a device that gives no usable answer is not serving the platform either).
  RTSP results stand in for reach only on devices without a light check (see `fallback`).
- `stream`: rtsp, rtsp_frame and rtsp_continuity. Any error is a stream fault except those that
  say nothing about the stream (NOT_STREAM_FAULTS, no stream observation, reach ok): auth (the
  record's credentials), busy (RTSP 453: the device's viewer limit, reached by others; the next
  scheduled check tries again) and transport (461: the transport our client asks for).
  `config` (the stream path answered 404/454, probes/rtsp_status.py) is a fault of the record: cause
  "stream:config", shown as the state's cause but never ticketed (tickets/faults.py), and a drift flag.
  rtsp_continuity's verdict: `stalled` and `low_fps` are stream faults (stream:stalled,
  stream:low_fps), `frozen` a picture fault (picture:frozen); `ok` a good stream, and so is `still`
  (a still scene whose frozen is not judgeable: no fault). `ok` and `still` also say the key frames
  differ, so they clear a picture:frozen the continuity check itself raised (or one stored before the
  raising check was kept), and end its streak; any other picture fault or streak, the snapshot
  check's, they leave alone (`_continuity_picture`). An `ok` with fewer than two key frames sampled
  says nothing of the picture, and when slow (its rate not judged) nothing against a low frame rate
  (Observation.rate_unjudged). A DESCRIBE or a single decoded frame neither clears nor interrupts a
  stalled/low_fps streak (Observation.brief).
- `picture`: the image-quality verdict `facts["iq"]` the executor adds to onvif_deep and
  rtsp_frame results; no verdict, no observation.
- `clock` (时钟准确率): onvif_light / onvif_deep `clock_offset_s`; |offset| <= clock_tolerance_s
  is ok (the tolerance is inclusive: exactly 30 s off is within ±30 s); the error `clock` (the
  device answered but its clock breaks WS-Security) is a clock fault. SNMPv3's `clock` error is
  about the agent's engine time window, not its wall clock: it is reach ok only.
- A failed onvif_deep (timeout, refused, protocol) is no observation at all: the light check owns
  reach, and no picture was seen. auth / unsupported on it are reach ok (it answered).

Overall: reach confirmed down -> down (cause = reach cause, or "upstream" with the dead upstream
device as root); reach not confirmed -> unknown; else the first failing of stream, picture,
clock -> degraded; else up. A confirmed change is dated back to the first result of its
streak, never before the current state began, so intervals never overlap.

The state and aspects are frozen records (monitoring/records.py: StateRecord, Aspects, Aspect,
Pending, Uptime); the functions here take a StateRecord and return an Evaluated holding the new
one. Reboots: the last REBOOTS_KEPT reboot instants, for reboot-loop tickets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping

from assetsvc.monitoring.records import (ASPECTS, BY, CAUSE_MAX, DEGRADING, REBOOTS_KEPT, STATES, Aspect, Aspects,
                                         Pending, StateRecord, Uptime)
from assetsvc.monitoring.records import number as _number
from assetsvc.monitoring.records import text as _text
from probes.snmp import detect_reboot

__all__ = ["ASPECTS", "STATES", "DEGRADING", "CAUSE_MAX", "REBOOTS_KEPT", "Rules", "Observation", "Transition",
           "FaultChange", "Evaluated", "observations", "evaluate", "stale", "relabel_for_upstream", "needs_recheck",
           "load_aspects", "continuity_may_clear"]
REACH_PROBES = frozenset({"tcp", "onvif_light", "snmp_light", "snmp"})
# Errors that are a reply from the device.
ANSWERED = frozenset({"auth", "unsupported", "clock", "config", "busy", "transport"})
# Stream check errors that say nothing about the stream: the login, the device's viewer limit (453),
# the transport our client asks for (461). No stream observation: neither a fault nor a clear.
NOT_STREAM_FAULTS = frozenset({"auth", "busy", "transport"})
# Causes that are a fault of the registry record, not of the device: the stream path the record
# (or the class default) names is not there (404/454). Shown as the state's cause; never ticketed.
CONFIG_CAUSES = frozenset({"stream:config"})
CONTINUITY_STREAM_FAULTS = frozenset({"stalled", "low_fps"})  # rtsp_continuity verdicts that are stream faults
CONTINUITY_CAUSES = frozenset(f"stream:{v}" for v in CONTINUITY_STREAM_FAULTS)
LOW_FPS_CAUSES = frozenset({"stream:low_fps"})
FROZEN = "picture:frozen"
NO_ANSWER = frozenset({"timeout", "refused"})
REBOOTS_MEMORY_S = 86400.0  # ... and only those of the last day
_LABEL = re.compile(r"[^a-z0-9_]+")


@dataclass(frozen=True)
class Rules:
    """Confirmation rules; every number a setting ([rules] in monitoring.toml)."""

    down_after_failures: int = 2  # reach: consecutive failures to confirm down
    down_after_s: float = 120.0  # ... and the failures must span at least this long
    up_after_successes: int = 1
    fault_after_failures: int = 2  # stream/picture/clock faults confirmed after N failing checks
    fault_clear_after: int = 1  # ... and cleared after N passing checks
    picture_fault_after_s: float = 600.0  # picture faults: the failing checks must also span this long
    clock_tolerance_s: float = 30.0  # inclusive: |offset| <= tolerance is ok
    stale_after_s: float = 1800.0  # no result for this long -> unknown ("stale"); above every x max back-off
    reboot_tolerance_s: float = 10.0  # boot time may wobble this much (probe duration) without a reboot
    # Stream, picture and clock: failing checks this far apart still make one streak. Deep checks
    # run every few hours, far beyond stale_after_s, which would restart their streak at every check
    # so that a deep-only fault (a stall, a frozen picture) could never be confirmed.
    fault_streak_s: float = 172800.0


@dataclass(frozen=True)
class Observation:
    """One aspect's outcome in one probe result."""

    aspect: str  # one of ASPECTS
    ok: bool
    cause: str  # "" when ok; else e.g. "onvif_light:timeout", "picture:dark", "clock", "stream:refused"
    at: float  # Unix seconds
    # Reach inferred from an RTSP result: applied only when no light check (tcp, onvif_light, snmp,
    # passive, onvif_deep) reported reach within stale_after_s, i.e. for RTSP-only cameras.
    fallback: bool = False
    # A stream failure because nothing answered: ignored while reach is failing, so an outage
    # does not leave a stream fault behind that lasts until the next deep check.
    no_answer: bool = False
    uptime_s: float | None = None  # SNMP sysUpTime carried by a reach observation (reboot detection)
    # A stream seen only briefly (RTSP DESCRIBE answered, or one frame decoded): says nothing against
    # a stall or a low frame rate, which only reading the stream for a while shows, so it never
    # clears or interrupts those.
    brief: bool = False
    # A stream read for the whole window, frames steady (no stall), but too slow to call good while
    # too few key frames were sampled to judge the rate (rtsp_continuity's fact `slow_unjudged`): it
    # clears and interrupts a stall and any other stream fault, never a low frame rate.
    rate_unjudged: bool = False
    # Which check a picture observation comes from (records.BY): "continuity" or "snapshot".
    by: str = ""


@dataclass(frozen=True)
class Transition:
    """The subject entered `state` (for `cause`) at `at`; the writer closes and opens intervals."""

    at: float
    state: str
    cause: str
    root_upstream: int | None
    previous: str


@dataclass(frozen=True)
class FaultChange:
    """An aspect confirmed failing (or with a new cause), or cleared, at `at` (for tickets)."""

    aspect: str
    failing: bool
    cause: str  # the fault's cause; for a clear, the cause that cleared
    at: float


@dataclass(frozen=True)
class Evaluated:
    """The new state (a StateRecord, its parts readable here too) and what changed."""

    record: StateRecord
    transitions: list[Transition] = field(default_factory=list)  # strictly increasing `at`
    confirmed_faults: list[FaultChange] = field(default_factory=list)
    events: list[str] = field(default_factory=list)  # "reboot": not a state change

    @property
    def state(self) -> str:
        return self.record.state

    @property
    def cause(self) -> str:
        return self.record.cause

    @property
    def root_upstream(self) -> int | None:
        return self.record.root_upstream

    @property
    def since(self) -> float:
        return self.record.since  # type: ignore[return-value]  # always set once evaluated

    @property
    def aspects(self) -> Aspects:
        return self.record.aspects

    @property
    def last_seen(self) -> float | None:
        return self.record.last_seen


# --- probe results -> observations --------------------------------------------------------------
def observations(kind: str, ok: bool, error: Any, facts: Any, at: float, rules: Rules) -> list[Observation]:
    """Map one probe result to aspect observations; hostile facts yield fewer observations, never an error."""
    when = _number(at)
    if when is None or not isinstance(ok, bool):
        return []
    facts = facts if isinstance(facts, Mapping) else {}
    err = "" if ok else _error_name(error)
    if kind == "passive":
        online = facts.get("online")
        online = online if isinstance(online, bool) else ok
        return [Observation("reach", online, "" if online else "passive:offline", when)]
    if kind in REACH_PROBES:
        return _light(kind, err, facts, when, rules)
    if kind == "onvif_deep":
        return _deep(err, facts, when, rules)
    if kind in ("rtsp", "rtsp_frame", "rtsp_continuity"):
        return _stream(kind, err, facts, when)
    return []  # wsdiscovery and unknown kinds say nothing about a device's state


def _light(kind: str, err: str, facts: Mapping, at: float, rules: Rules) -> list[Observation]:
    uptime = _number(facts.get("sys_uptime_s")) if kind.startswith("snmp") and not err else None
    out = [_reach(kind, err, at, uptime_s=None if uptime is None or uptime < 0 else uptime)]
    if kind == "onvif_light":
        out += _clock(err, facts, at, rules)
    return out


def _deep(err: str, facts: Mapping, at: float, rules: Rules) -> list[Observation]:
    if err and err not in ANSWERED:
        return []  # a heavy check that failed: the light check owns reach, and no picture was seen
    return [Observation("reach", True, "", at), *_clock(err, facts, at, rules), *([] if err else _picture(facts, at))]


def _stream(kind: str, err: str, facts: Mapping, at: float) -> list[Observation]:
    # A failed frame grab is weak evidence against reach (a decoder or GOP timeout): only a reply counts.
    answered = not err or err in ANSWERED
    reach = [_reach(kind, err, at, fallback=True)] if kind == "rtsp" or answered else []
    if err in NOT_STREAM_FAULTS:
        return reach  # wrong credentials, other viewers, our transport: no fault of the stream
    if err:
        return [*reach, Observation("stream", False, _cause("stream", err), at, no_answer=err in NO_ANSWER)]
    if kind == "rtsp_continuity":
        return [*reach, *_continuity(facts, at)]
    return [*reach, Observation("stream", True, "", at, brief=True), *(_picture(facts, at) if kind == "rtsp_frame" else [])]


def _continuity(facts: Mapping, at: float) -> list[Observation]:
    """The continuity verdict: stalled and low_fps are stream faults, frozen a picture fault; ok and
    still (frozen not judgeable, but the key frames differ) a good stream and a picture that is not
    frozen, which counts only against the continuity check's own frozen (_continuity_picture); ok
    with fewer than two key frames sampled, a good stream only (rate_unjudged when slow)."""
    verdict = facts.get("verdict")
    if verdict in CONTINUITY_STREAM_FAULTS:
        return [Observation("stream", False, _cause("stream", verdict), at)]
    if verdict == "frozen":
        return [Observation("stream", True, "", at), Observation("picture", False, FROZEN, at, by="continuity")]
    if verdict in ("ok", "still"):
        # Fewer than two sampled key frames (a long GOP, a dynamic frame rate): whether the picture
        # moves is unknown, so nothing is said of the picture, and a slow rate was not judged
        # (probes/rtsp_continuity.py): the stream is good against everything else (a whole window
        # without a gap ends a stall) but says nothing against a low frame rate. At full rate, a
        # good stream outright.
        sampled = _count(facts.get("samples"))
        if sampled is not None and sampled < 2:
            return [Observation("stream", True, "", at, rate_unjudged=facts.get("slow_unjudged") is True)]
        return [Observation("stream", True, "", at), Observation("picture", True, "", at, by="continuity")]
    return []


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _reach(kind: str, err: str, at: float, fallback: bool = False, uptime_s: float | None = None) -> Observation:
    answered = not err or err in ANSWERED
    return Observation("reach", answered, "" if answered else _cause(kind, err), at, fallback, uptime_s=uptime_s)


def _clock(err: str, facts: Mapping, at: float, rules: Rules) -> list[Observation]:
    if err == "clock":
        return [Observation("clock", False, "clock", at)]
    offset = _number(facts.get("clock_offset_s"))
    if offset is None:
        return []
    ok = abs(offset) <= rules.clock_tolerance_s
    return [Observation("clock", ok, "" if ok else "clock", at)]


def _picture(facts: Mapping, at: float) -> list[Observation]:
    iq = facts.get("iq")
    verdict = iq.get("verdict") if isinstance(iq, Mapping) else None
    label = _LABEL.sub("_", verdict.strip().lower())[:40].strip("_") if isinstance(verdict, str) else ""
    if not label:
        return []
    return [Observation("picture", label == "ok", "" if label == "ok" else _cause("picture", label), at,
                        by="snapshot")]


def _error_name(error: Any) -> str:
    name = getattr(error, "value", error)  # ErrorKind or its value
    label = _LABEL.sub("_", name.strip().lower())[:16].strip("_") if isinstance(name, str) else ""
    return label or "failed"


def _cause(prefix: str, detail: str) -> str:
    return f"{prefix}:{detail}"[:CAUSE_MAX]


# --- stored aspects ------------------------------------------------------------------------------
def load_aspects(raw: Any) -> Aspects:
    """The aspects record from whatever is stored (unknown keys are dropped); see records.Aspects."""
    return raw if isinstance(raw, Aspects) else Aspects.from_json(raw)


# --- one evaluation step ------------------------------------------------------------------------
@dataclass
class _Step:
    """Working copy of a subject's state while observations are applied (records are swapped, not changed)."""

    state: str
    cause: str
    root: int | None
    since: float
    aspects: Aspects
    last_seen: float | None
    transitions: list[Transition] = field(default_factory=list)
    faults: list[FaultChange] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    _undo: list[tuple[str, str, int | None, float]] = field(default_factory=list)

    @classmethod
    def of(cls, current: StateRecord, now: float) -> _Step:
        since = current.since if current.since is not None else (_number(now) or 0.0)
        return cls(current.state, current.cause, current.root_upstream, since, current.aspects, current.last_seen)

    def label(self) -> tuple[str, str, int | None]:
        return self.state, self.cause, self.root

    def move(self, at: float, state: str, cause: str, root: int | None) -> None:
        """Enter a new state at `at` (never before the current one began; same instant replaces)."""
        cause = cause[:CAUSE_MAX]
        if (state, cause, root) == self.label():
            return
        at = max(at, self.since)
        moves = self.transitions
        if moves and moves[-1].at == at:  # two changes at one instant: only the last one lasts
            moves.pop()
            self.state, self.cause, self.root, self.since = self._undo.pop()
            if (state, cause, root) == self.label():
                return
        self._undo.append((*self.label(), self.since))
        moves.append(Transition(at, state, cause, root, self.state))
        self.state, self.cause, self.root, self.since = state, cause, root, at

    def derived(self, upstream_down: int | None) -> tuple[str, str, int | None]:
        """The state the aspects call for (unknown keeps its current cause, e.g. "stale")."""
        reach = self.aspects.reach
        if reach.ok is False:
            if upstream_down is not None:
                return "down", "upstream", upstream_down
            return "down", reach.cause or "reach", None
        if reach.ok is None:
            return "unknown", self.cause if self.state == "unknown" else "no data", None
        for name in DEGRADING:
            if self.aspects[name].ok is False:
                return "degraded", self.aspects[name].cause or name, None
        return "up", "", None

    def go_stale(self, at: float) -> None:
        """No data since `at`: reach is no longer known, and the subject is unknown from then."""
        self.aspects = replace(self.aspects, reach=Aspect(at=self.aspects.reach.at))
        if self.state != "unknown":
            self.move(at, "unknown", "stale", None)

    def done(self) -> Evaluated:
        record = StateRecord(self.state, self.cause, self.root, self.since, self.aspects, self.last_seen)
        return Evaluated(record, self.transitions, self.faults, self.events)

    # --- applying one observation ---------------------------------------------------------------
    def observe(self, obs: Observation, rules: Rules, upstream_down: int | None) -> None:
        if self.last_seen is not None and obs.at - self.last_seen >= rules.stale_after_s:
            # A gap in the data: unknown from when it ran out, and no reach streak spans it.
            self.go_stale(self.last_seen + rules.stale_after_s)
        self.last_seen = obs.at if self.last_seen is None else max(self.last_seen, obs.at)
        aspect = self.aspects[obs.aspect]
        if aspect.at is not None and obs.at < aspect.at:
            return  # older than what this aspect already reflects (a late result)
        if obs.aspect == "reach":
            if obs.fallback and aspect.primary_at is not None and obs.at - aspect.primary_at < rules.stale_after_s:
                return  # the device has a light check: RTSP results say nothing about its reach
            if not obs.fallback:
                aspect = replace(aspect, primary_at=obs.at if aspect.primary_at is None
                                 else max(aspect.primary_at, obs.at))
            if obs.uptime_s is not None:
                self._uptime(obs, rules)
        if obs.no_answer and obs.aspect != "reach" and self.aspects.reach.failing:
            return
        if obs.brief and _continuity_fault(aspect):
            return
        if obs.rate_unjudged and _continuity_fault(aspect, LOW_FPS_CAUSES):
            return
        if obs.aspect == "picture" and obs.by == "continuity" and obs.ok:
            owned = _continuity_picture(aspect)
            if owned is None:
                return  # a still stream says nothing of the snapshot check's picture faults
            if owned == "streak":  # its own frozen streak ends; the confirmed status stays
                self.aspects = self.aspects.with_aspect("picture", replace(aspect, at=obs.at, pending=None))
                return
        before = aspect
        aspect, confirmed_at = _debounce(obs.aspect, replace(aspect, at=obs.at), obs, rules)
        self.aspects = self.aspects.with_aspect(obs.aspect, aspect)
        if confirmed_at is None:
            return
        if aspect.ok is False or before.ok is False:
            cause = aspect.cause if aspect.ok is False else before.cause
            self.faults.append(FaultChange(obs.aspect, aspect.ok is False, cause, max(confirmed_at, self.since)))
        self.move(confirmed_at, *self.derived(upstream_down))

    def _uptime(self, obs: Observation, rules: Rules) -> None:
        previous = self.aspects.uptime
        # Only the last day's reboots are kept: enough for any reboot-loop window (at most a day,
        # tickets.toml), and a device that rebooted once long ago carries no history forever.
        reboots = [t for t in (previous.reboots if previous else ()) if obs.at - t <= REBOOTS_MEMORY_S]
        if previous is not None and obs.at > previous.at and detect_reboot(
                previous.s, previous.at, obs.uptime_s, obs.at, rules.reboot_tolerance_s):
            self.events.append("reboot")
            # When it rebooted (sysUpTime counts from the boot), kept for reboot-loop tickets.
            reboots = [*reboots, max(previous.at, obs.at - obs.uptime_s)][-REBOOTS_KEPT:]
        if previous is None or obs.at > previous.at:
            self.aspects = replace(self.aspects, uptime=Uptime(obs.uptime_s, obs.at, tuple(reboots)))


def _continuity_fault(aspect: Aspect, causes: frozenset[str] = CONTINUITY_CAUSES) -> bool:
    """Confirmed, or on a streak of, a fault only reading the stream can see (stalled, low_fps)."""
    pending = aspect.pending
    return (aspect.ok is False and aspect.cause in causes) or (
        pending is not None and pending.ok is False and pending.cause in causes)


def _continuity_picture(aspect: Aspect) -> str | None:
    """What a continuity `ok`/`still` read may end on the picture aspect: "fault" when the confirmed
    fault is picture:frozen raised by the continuity check (or stored before the raising check was
    kept: under the old continuity rule a still scene was called frozen); "streak" when only a failing
    streak is, and only of continuity frozen reads; else None (the snapshot check's faults and streaks
    are its own to clear)."""
    if aspect.ok is False and continuity_may_clear(aspect.cause, aspect.by):
        return "fault"
    pending = aspect.pending
    if pending is not None and not pending.ok and pending.by == "continuity":
        return "streak"
    return None


def continuity_may_clear(cause: str, by: str) -> bool:
    """Whether a continuity read that is not frozen may clear (and pass at verification) a confirmed
    picture fault of `cause` raised by `by`: only a frozen the continuity check raised, or one stored
    before the raising check was kept (""); the snapshot check's faults are its own to clear."""
    return cause == FROZEN and by in ("continuity", "")


def _owner(before: str, now: str) -> str:
    """Who owns a failing picture streak or fault seen by checks `before` and `now`: the snapshot
    check once it saw it too; the continuity check only when it alone did."""
    if "snapshot" in (before, now):
        return "snapshot"
    return before or now


def _debounce(name: str, aspect: Aspect, obs: Observation, rules: Rules) -> tuple[Aspect, float | None]:
    """Grow or reset the pending streak; on confirmation the confirmed aspect and the streak's start."""
    if obs.ok == aspect.ok and (obs.ok or obs.cause == aspect.cause):  # agrees with what is confirmed
        return replace(aspect, pending=None, by=aspect.by if obs.ok else _owner(aspect.by, obs.by)), None
    pending = aspect.pending
    window = rules.stale_after_s if name == "reach" else max(rules.stale_after_s, rules.fault_streak_s)
    if pending is not None and pending.ok == obs.ok and obs.at - pending.last < window:
        pending = replace(pending, count=pending.count + 1, last=obs.at, cause=obs.cause,
                          by=_owner(pending.by, obs.by))
    else:
        pending = Pending(obs.ok, 1, obs.at, obs.at, obs.cause, obs.by)
    if not _met(name, pending, rules):
        return replace(aspect, pending=pending), None
    return replace(aspect, ok=pending.ok, cause=pending.cause, since=pending.first, pending=None,
                   by="" if pending.ok else pending.by), pending.first


def _met(name: str, pending: Pending, rules: Rules) -> bool:
    if name == "reach" and pending.ok:
        return pending.count >= max(1, rules.up_after_successes)
    if name == "reach":
        return pending.count >= max(1, rules.down_after_failures) and pending.last - pending.first >= rules.down_after_s
    needed = rules.fault_clear_after if pending.ok else rules.fault_after_failures
    if name == "picture" and not pending.ok:
        # Two grabs a minute apart may both catch one passing thing (a truck parked in front).
        return pending.count >= max(1, needed) and pending.last - pending.first >= rules.picture_fault_after_s
    return pending.count >= max(1, needed)


def _usable(obs: Any) -> Observation | None:
    """A well-formed observation (anything else is dropped, never raised on)."""
    if not isinstance(obs, Observation) or obs.aspect not in ASPECTS or not isinstance(obs.ok, bool):
        return None
    at = _number(obs.at)
    if at is None:
        return None
    cause = "" if obs.ok else (_text(obs.cause) or obs.aspect)
    uptime = _number(obs.uptime_s)
    return replace(obs, at=at, cause=cause, uptime_s=None if uptime is None or uptime < 0 else uptime,
                   fallback=obs.fallback is True, no_answer=obs.no_answer is True, brief=obs.brief is True,
                   rate_unjudged=obs.rate_unjudged is True,
                   by=obs.by if obs.by in BY else "")


# --- the public steps ---------------------------------------------------------------------------
def evaluate(current: StateRecord, obs: Iterable[Observation], now: float, rules: Rules,
             upstream_down: int | None = None, upstream_since: float | None = None,
             seen: float | None = None) -> Evaluated:
    """Apply a subject's new observations (any order) to its current state and derive the new one.

    upstream_down: the topmost dead upstream device above the subject, if any: a down subject is
    then down for cause "upstream". upstream_since: when that upstream outage began, the moment an
    already-down subject is relabelled (default `now`). seen: the newest result time, including
    results that yielded no observation (default: the newest observation).
    """
    step = _Step.of(current, now)
    usable = sorted(filter(None, map(_usable, obs)), key=lambda o: o.at)
    for one in usable:
        step.observe(one, rules, upstream_down)
    when = _number(upstream_since) if upstream_down is not None and step.state == "down" else None
    when = when if when is not None else _number(now)
    # Relabels for the upstream device (and a stored state its aspects disagree with) happen now.
    step.move(when if when is not None else step.since, *step.derived(upstream_down))
    newest = _number(seen)
    if newest is not None:
        step.last_seen = newest if step.last_seen is None else max(step.last_seen, newest)
    return step.done()


def stale(current: StateRecord, now: float, rules: Rules) -> Evaluated | None:
    """Unknown ("stale") when no result came for stale_after_s, from the moment the data ran out.

    None when nothing changes (already unknown, or recent data). The transition is at
    last_seen + stale_after_s (not now), never before the current state began.
    """
    step = _Step.of(current, now)
    reference = step.last_seen if step.last_seen is not None else step.since
    now_ = _number(now)
    if step.state == "unknown" or now_ is None or now_ - reference < rules.stale_after_s:
        return None
    step.go_stale(reference + rules.stale_after_s)
    return step.done()


def relabel_for_upstream(current: StateRecord, upstream_down: int | None, at: float) -> Evaluated | None:
    """A down subject's cause follows its upstream device: "upstream" while one above it is confirmed
    down, its own reach cause again once none is. `at`: when the upstream outage began (or ended);
    the transition is never before the subject's own `since`. None when the label is already right."""
    step = _Step.of(current, at)
    if step.state != "down":
        return None
    if upstream_down is not None:
        label = ("down", "upstream", upstream_down)
    else:
        own = step.aspects.reach.cause if step.aspects.reach.ok is False else ""
        label = ("down", own or (step.cause if step.cause != "upstream" else "reach"), None)
    step.move(_number(at) if _number(at) is not None else step.since, *label)
    return step.done() if step.transitions else None


def needs_recheck(aspects: Aspects | Any) -> bool:
    """True while reach has a pending streak that could change its confirmed status (a failure streak
    on a device not confirmed down, or a recovery streak on one that is): re-probe sooner.
    `aspects`: the record, or a stored form (read as `load_aspects` does)."""
    reach = load_aspects(aspects).reach
    return reach.pending is not None and reach.pending.ok != reach.ok
