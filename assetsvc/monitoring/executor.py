"""Run the probes of claimed tasks under global, per-upstream and per-subnet concurrency limits."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from assetsvc.monitoring.config import Limits, Plan
from assetsvc.monitoring.queue import Claimed
from assetsvc.monitoring.targets import Subject, options_for, target, turns as turns_of
from probes.facts import typed
from probes.registry import probe_fn
from probes.runner import run_probe
from probes.iq_evidence import Evidence
from probes.iq_memory import PictureMemory
from probes.types import ProbeResult


@dataclass(frozen=True)
class Outcome:
    """What one task's run produced: its probe results, in plan order, and when it finished."""

    task: Claimed
    plan: Plan | None
    results: tuple[ProbeResult, ...]
    at: float
    subject: Subject | None = None
    memory: PictureMemory | None = None  # the camera's picture memory after this run, to store
    frames: tuple[Evidence, ...] = ()  # the grabs judged in this run, as evidence (monitoring/evidence.py)

    @property
    def failed(self) -> bool:
        """A run fails when its first probe (the one that establishes reachability) fails."""
        return bool(self.results) and not self.results[0].ok


class Limiter:
    """Semaphores: one global, one per upstream device, one per subnet (created on first use)."""

    def __init__(self, limits: Limits) -> None:
        self.global_ = asyncio.Semaphore(limits.global_)
        self._upstream: dict[int, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(limits.per_upstream))
        self._subnet: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(limits.per_subnet))
        self.peak: dict[str, int] = defaultdict(int)  # most probes seen at once per key (for tests)
        self._now: dict[str, int] = defaultdict(int)

    def local(self, subject: Subject) -> tuple[str, asyncio.Semaphore]:
        """The narrower limit a subject counts against: its upstream device, else its subnet."""
        if subject.upstream is not None:
            return f"upstream:{subject.upstream}", self._upstream[subject.upstream]
        return f"subnet:{subject.subnet}", self._subnet[subject.subnet or "?"]

    def enter(self, key: str) -> None:
        self._now[key] += 1
        self.peak[key] = max(self.peak[key], self._now[key])

    def leave(self, key: str) -> None:
        self._now[key] -= 1


async def picture(result: ProbeResult, memory: PictureMemory | None = None, turns: bool = False,
                  ) -> tuple[ProbeResult, PictureMemory | None, Evidence | None]:
    """Add the image-quality verdict (facts["iq"]) to a result carrying a snapshot or frame.

    With the camera's picture memory (None: judged at first sight, nothing learned) the picture is
    judged against the previous grab and its day/night baseline, and the memory learns from it;
    the updated memory is returned beside the result, with the grab as evidence (a JPEG of at most
    100 KB and what the checks measured; the writer decides whether to keep it). The decode and
    checks are CPU work (about 25 ms for 1280x720), so they run in a thread; the picture itself is
    dropped from the facts (never stored there).

    `turns`: a camera people turn (targets.turns: 球机, 遥控枪机, or the plan's `scene_change = false`):
    a view its baseline is not found in is a new view, learned, never a scene change; its verdict
    says so (`"scene_change": "not_applicable"`, and `"new_view": true` on such a grab).
    """
    facts = dict(result.facts)
    snapshot, frame = facts.pop("snapshot", None), facts.pop("frame", None)
    facts.pop("frames", None)
    if snapshot is None and frame is None:
        return (result if facts == dict(result.facts) else _with(result, facts)), memory, None
    from probes.iq import decode_image, diagnose
    from probes.iq_checks import views
    from probes.iq_evidence import evidence
    from probes.iq_memory import judge as judge_with_memory, mode_of

    def judge() -> tuple[dict[str, Any], PictureMemory | None, Evidence]:
        v = views(decode_image(snapshot) if snapshot is not None else frame)
        if memory is None:  # no baseline, so no scene-change check, whether the camera turns or not
            diagnosis = diagnose(v)
            verdict = {"verdict": diagnosis.verdict, "faults": list(diagnosis.faults)}
            return verdict, None, evidence(v, diagnosis, mode_of(v))
        judged = judge_with_memory(v, memory, turns=turns)
        verdict = {"verdict": judged.diagnosis.verdict, "faults": list(judged.diagnosis.faults),
                   "mode": judged.mode, "baseline": judged.baseline_used}
        if turns:
            verdict.update({"scene_change": "not_applicable", "new_view": judged.new_view})
        return verdict, judged.memory, evidence(v, judged.diagnosis, judged.mode)

    shown = None
    try:
        facts["iq"], memory, shown = await asyncio.to_thread(judge)
    except ValueError as exc:  # undecodable picture: said in the facts, no picture verdict
        facts["iq_error"] = str(exc)[:200]
    return _with(result, facts), memory, shown


def _with(result: ProbeResult, facts: Mapping[str, Any]) -> ProbeResult:
    return dataclasses.replace(result, facts=typed(result.kind, facts))


async def run_task(task: Claimed, subject: Subject | None, plan: Plan | None, limiter: Limiter,
                   clock: Callable[[], float] = time.time, memory: PictureMemory | None = None) -> Outcome:
    """Run one task's probes in order; a missing subject or plan yields an empty outcome.

    `memory`: the camera's picture memory, for plans that grab a picture (see picture())."""
    if subject is None or plan is None or not subject.host:
        return Outcome(task, plan, (), clock(), subject)
    if plan.name != "light" and subject.state == "down":
        # A device confirmed down has no stream or picture to judge: skip the expensive checks
        # (each would wait out its time limit) until the light check sees it back.
        return Outcome(task, plan, (), clock(), subject)
    key, local = limiter.local(subject)
    probe_target = target(subject, dict(plan.options))
    turns = turns_of(subject, dict(plan.options))
    results, frames = [], []
    async with local, limiter.global_:  # the narrow limit first: a busy NVR holds no global slot
        limiter.enter(key)
        try:
            for kind in plan.probes:
                kind_target = probe_target if kind != "rtsp_continuity" else target(
                    subject, options_for(kind, dict(plan.options)))
                result = await run_probe(kind, probe_fn(kind), kind_target, plan.timeout_s)
                result, memory, shown = await picture(result, memory, turns)
                results.append(result)
                if shown is not None:
                    frames.append(shown)
        finally:
            limiter.leave(key)
    return Outcome(task, plan, tuple(results), clock(), subject, memory, tuple(frames))
