"""Uptime (在线率, 完好率, unknown share, 时钟准确率, 图像质量合格率) per scope, from the uptime service only.

Every figure is the uptime service's (intervals minus maintenance, docs/metrics.md): each camera's
month is read once (monitoring.uptime_many.per_camera, the same queries as uptime.compute grouped
by camera) and added up per scope with the service's own arithmetic; this module only divides
the seconds it returns. The clock and
picture figures are time-weighted over the cameras whose plans read the clock / the picture
(monitoring.probed): a scope with none shows "n/a", never 100 %.
"""

from __future__ import annotations

from typing import Any, Iterable

from assetsvc.monitoring import uptime
from assetsvc.monitoring.probed import Probed
from assetsvc.monitoring.uptime_many import PerCamera, per_camera
from assetsvc.monitoring.uptime_scope import camera_ids
from assetsvc.reports.figures import change, hours, pending, rate, ratio
from assetsvc.reports.scopes import Scope

STEP_S = 3600.0  # the sampled rate: one instant every hour from the month's start
FORMULAS = {
    "online_rate": "在线率 (time-weighted) = (up + degraded) / (up + degraded + down), maintenance removed",
    "sampled_online_rate": "在线率 (sampled) = mean over hourly instants of online / known cameras",
    "sampled_fixed_hours": "在线率 (指定时点) = the same mean over the office's fixed times of day "
                           "(ASSETSVC_SAMPLE_HOURS, office time), as the uptime service samples them",
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


def _aspect(scope: Scope, ids: frozenset[int], main: uptime.Uptime, aspect: str, month: PerCamera,
            done: dict[tuple[int, ...], uptime.Uptime]) -> tuple[Any, dict[str, float | None]]:
    """(the aspect's pass rate or "n/a", fault share per category) over the scope's checked cameras.

    `done` holds the figures already added up for a camera set (clock and picture are usually
    read on the same cameras: one sum serves both)."""
    checked = tuple(c for c in scope.cameras if c in ids)
    if not checked:
        return pending(f"no camera of this scope is checked for its {aspect} (passive or no such plan)"), {}
    if len(checked) == len(scope.cameras):
        found = main
    elif checked in done:
        found = done[checked]
    else:
        found = done[checked] = month.figures(checked, causes=True)
    observed = found.totals.observed
    faults = _degraded(found, aspect)
    by_category = {k: ratio(v, observed) for k, v in sorted(faults.items())}
    passed = ratio(observed - sum(faults.values()), observed)
    return passed, by_category


def scope_row(scope: Scope, probed: Probed, month: PerCamera) -> dict[str, Any]:
    """One scope's row, added up from the month's per-camera figures (the uptime service's)."""
    found = month.figures(scope.cameras, scope.kind, scope.ref, causes=True)
    figures = found.figures()
    done: dict[tuple[int, ...], uptime.Uptime] = {}
    clock, _ = _aspect(scope, probed.clock, found, "clock", month, done)
    picture, categories = _aspect(scope, probed.picture, found, "picture", month, done)
    t = found.totals
    return {**scope.head(), "cameras": found.cameras,
            "online_rate": rate(figures["online_rate"]), "sampled_online_rate": rate(found.sampled["online_rate"]),
            "sampled_fixed_hours": rate(found.sampled_hours["online_rate"]),
            "sample_hours": list(found.sampled_hours["hours"]),
            "working_rate": rate(figures["working_rate"]), "unknown_share": rate(figures["unknown_share"]),
            "clock_accuracy": clock, "picture_pass_rate": picture, "picture_faults": categories,
            "hours": {"in_service": hours(t.in_service), "maintenance": hours(t.maintenance_total),
                      "observed": hours(t.observed), "up": hours(t.counted("up")),
                      "degraded": hours(t.counted("degraded")), "down": hours(t.counted("down")),
                      "unknown": hours(t.counted("unknown"))}}


def _every(scopes: Iterable[Scope]) -> list[int]:
    return sorted({c for scope in scopes for c in scope.cameras})


async def previous(scopes: list[Scope], start: float, end: float) -> dict[str, dict[str, float | None]]:
    """The month before's online, working and unknown figures of these scopes (same cameras)."""
    month = await per_camera(camera_ids(_every(scopes)), start, end, step=STEP_S, now=end)
    out = {}
    for scope in scopes:
        found = month.figures(scope.cameras).figures()
        out[scope.key] = {k: rate(found[k]) for k in CHANGED}
    return out


async def section(scopes: list[Scope], probed: Probed, month: tuple[float, float],
                  before: tuple[float, float]) -> dict[str, Any]:
    """Every scope's row: each camera's month read once through the uptime service, then added up per scope."""
    start, end = month
    per = await per_camera(camera_ids(_every(scopes)), start, end, step=STEP_S, causes=True, now=end)
    rows = [scope_row(scope, probed, per) for scope in scopes]
    del per
    compared = [s for s in scopes if s.kind in ("city", "district", "owner_class")]
    earlier = await previous(compared, *before)
    for row in rows:
        if row["scope"] in earlier:
            row["change"] = {k: change(row[k], earlier[row["scope"]][k]) for k in CHANGED}
            row["previous"] = earlier[row["scope"]]
    return {"formulas": FORMULAS, "step_s": STEP_S, "rows": rows}
