"""Uptime (在线率, 完好率, unknown share, 时钟准确率, 图像质量合格率) per scope, from the uptime service only.

Every figure is the uptime service's (monitoring.uptime.compute over the scope's cameras, intervals
minus maintenance, docs/metrics.md); this module only divides the seconds it returns. The clock and
picture figures are time-weighted over the cameras whose plans read the clock / the picture
(monitoring.probed): a scope with none shows "n/a", never 100 %.
"""

from __future__ import annotations

from typing import Any, Iterable

from assetsvc.monitoring import uptime
from assetsvc.monitoring.probed import Probed
from assetsvc.monitoring.uptime_scope import camera_ids
from assetsvc.reports.figures import change, hours, pending, rate, ratio
from assetsvc.reports.scopes import Scope

STEP_S = 3600.0  # the sampled rate: one instant every hour from the month's start
FIXED_HOURS_PENDING = ("sampling at the hours the office or the contract names is not in the uptime service yet "
                       "(issue 13); the hourly sampled rate is given instead")
FORMULAS = {
    "online_rate": "在线率 (time-weighted) = (up + degraded) / (up + degraded + down), maintenance removed",
    "sampled_online_rate": "在线率 (sampled) = mean over hourly instants of online / known cameras",
    "working_rate": "完好率 = up / (up + degraded + down), maintenance removed",
    "unknown_share": "unknown / in-service time outside maintenance",
    "clock_accuracy": "时钟准确率 = 1 - clock-fault time / observed time, cameras whose plans read the clock",
    "picture_pass_rate": "图像质量合格率 = 1 - picture-fault time / observed time, cameras whose plans grab "
                         "the picture; by category: that category's fault time / observed time",
}
CHANGED = ("online_rate", "working_rate", "unknown_share")


def _degraded(found: uptime.Uptime, aspect: str) -> dict[str, float]:
    """Degraded seconds by cause detail for one aspect (picture:dark -> dark; bare picture -> unspecified)."""
    out: dict[str, float] = {}
    for cause, seconds in ((found.causes or {}).get("degraded") or {}).items():
        if cause == aspect or cause.startswith(aspect + ":"):
            detail = cause.partition(":")[2] or "unspecified"
            out[detail] = out.get(detail, 0.0) + seconds
    return out


async def _aspect(scope: Scope, ids: frozenset[int], main: uptime.Uptime, aspect: str, start: float,
                  end: float, done: dict[tuple[int, ...], uptime.Uptime]) -> tuple[Any, dict[str, float | None]]:
    """(the aspect's pass rate or "n/a", fault share per category) over the scope's checked cameras.

    `done` holds the figures already computed for a camera set (clock and picture are usually
    read on the same cameras: one pass serves both)."""
    checked = tuple(c for c in scope.cameras if c in ids)
    if not checked:
        return pending(f"no camera of this scope is checked for its {aspect} (passive or no such plan)"), {}
    if len(checked) == len(scope.cameras):
        found = main
    elif checked in done:
        found = done[checked]
    else:
        found = done[checked] = await uptime.compute(camera_ids(checked), start, end, step=STEP_S, causes=True,
                                                     now=end)
    observed = found.totals.observed
    faults = _degraded(found, aspect)
    by_category = {k: ratio(v, observed) for k, v in sorted(faults.items())}
    passed = ratio(observed - sum(faults.values()), observed)
    return passed, by_category


async def scope_row(scope: Scope, probed: Probed, start: float, end: float) -> dict[str, Any]:
    found = await uptime.compute(camera_ids(scope.cameras, scope.kind, scope.ref), start, end, step=STEP_S,
                                 causes=True, now=end)
    figures = found.figures()
    done: dict[tuple[int, ...], uptime.Uptime] = {}
    clock, _ = await _aspect(scope, probed.clock, found, "clock", start, end, done)
    picture, categories = await _aspect(scope, probed.picture, found, "picture", start, end, done)
    t = found.totals
    return {**scope.head(), "cameras": found.cameras,
            "online_rate": rate(figures["online_rate"]), "sampled_online_rate": rate(found.sampled["online_rate"]),
            "sampled_fixed_hours": pending(FIXED_HOURS_PENDING),
            "working_rate": rate(figures["working_rate"]), "unknown_share": rate(figures["unknown_share"]),
            "clock_accuracy": clock, "picture_pass_rate": picture, "picture_faults": categories,
            "hours": {"in_service": hours(t.in_service), "maintenance": hours(t.maintenance_total),
                      "observed": hours(t.observed), "up": hours(t.counted("up")),
                      "degraded": hours(t.counted("degraded")), "down": hours(t.counted("down")),
                      "unknown": hours(t.counted("unknown"))}}


async def previous(scopes: Iterable[Scope], start: float, end: float) -> dict[str, dict[str, float | None]]:
    """The month before's online, working and unknown figures of these scopes (same cameras)."""
    out = {}
    for scope in scopes:
        found = (await uptime.compute(camera_ids(scope.cameras), start, end, step=STEP_S, now=end)).figures()
        out[scope.key] = {k: rate(found[k]) for k in CHANGED}
    return out


async def section(scopes: list[Scope], probed: Probed, month: tuple[float, float],
                  before: tuple[float, float]) -> dict[str, Any]:
    rows = [await scope_row(scope, probed, *month) for scope in scopes]
    compared = [s for s in scopes if s.kind in ("city", "district", "owner_class")]
    earlier = await previous(compared, *before)
    for row in rows:
        if row["scope"] in earlier:
            row["change"] = {k: change(row[k], earlier[row["scope"]][k]) for k in CHANGED}
            row["previous"] = earlier[row["scope"]]
    return {"formulas": FORMULAS, "step_s": STEP_S, "rows": rows}
