"""The uptime queries: per-camera state sums, the scope's roll-up, causes, and sample-instant coverage.

Cost shapes what is asked of each pass (100,000 cameras over 30 days are millions of
intervals; bench/bench_uptime.py). The per-camera sums read every interval once without a
sort (see uptime_sql). The sampled rate needs camera counts per instant; grouping every
interval by instant cost two sorts on SQLite. Instead: a camera's in-service time within the
period is nearly always one unbroken span [first, last), so the in-service count per instant
comes from one start and one end per camera, and only the down and unknown intervals that
cover an instant (what separates "online" from "in service") are read back. Cameras whose
service has a gap in the period get their in-service coverage from their intervals (rare).
The breakdown by cause is a sort of every non-up interval, so it is computed only on request.

Rows of the cause queries are (state, cause, root, v = seconds); of the covering queries
(state, k1, k2, n): n intervals cover sample instants k1 .. k2 - 1.
"""

from __future__ import annotations

from typing import Any

from assetsvc.monitoring import uptime_sql as q
from assetsvc.monitoring.uptime_math import NOTHING_S, STATES
from assetsvc.monitoring.uptime_scope import CameraSet

# A gap shorter than this between a camera's intervals is float noise in the sums, not a
# period out of service (the registry sync that opens and closes service runs every minute).
GAP_S = 0.001
Ranges = dict[int, list[tuple[float, float]]]


def _state_sums(begin: str, finish: str) -> str:
    # ELSE 0.0, not 0: SQLite sums integers to an integer, and integer / integer truncates.
    d = f"({finish} - {begin})"
    per_state = ", ".join(f"SUM(CASE WHEN si.state = '{s}' THEN {d} ELSE 0.0 END) AS {s}" for s in STATES)
    return (f"{per_state}, SUM(CASE WHEN si.state = 'down' AND si.cause = 'upstream' THEN {d} ELSE 0.0 END) "
            "AS down_upstream")


def per_camera(cameras: CameraSet, w: q.Window) -> tuple[str, list[Any]]:
    """Per camera: seconds per state, down for an upstream device, first and last in-service instant."""
    begin, finish = q.clipped(w)
    source, args = q.base(cameras, w)
    return (f"SELECT c.id AS id, {_state_sums(begin, finish)}, MIN({begin}) AS first, MAX({finish}) AS last "
            f"{source} GROUP BY c.id", args)


def per_camera_in_ranges(ranges: Ranges) -> tuple[str, list[Any]]:
    """Per camera: seconds per state inside its ranges (its maintenance time)."""
    begin, finish = q.clipped_to_range()
    source, args = q.in_ranges(ranges)
    return f"SELECT m.cam AS id, {_state_sums(begin, finish)} {source} GROUP BY m.cam", args


SUM_COLUMNS = (*STATES, "down_upstream")
# Sort keys of the per-camera page as SQL over per (p) and held (h) sums, and whether the worst
# comes first ascending. The figures shown are computed again in Python (uptime_math.Totals):
# SQL only orders, so a page is one sort in the database, not 100,000 rows sent to Python.
PAGE_SORTS = {"online_rate": True, "working_rate": True, "unknown_share": False, "down": False}


def _page_keys() -> dict[str, str]:
    def counted(state: str) -> str:
        return f"(p.{state} - p.h_{state})"

    def share(part: str, whole: str) -> str:
        return f"CASE WHEN {whole} > {NOTHING_S} THEN ({part}) / ({whole}) END"

    observed = f"{counted('up')} + {counted('degraded')} + {counted('down')}"
    return {
        "online_rate": share(f"{counted('up')} + {counted('degraded')}", observed),
        "working_rate": share(counted("up"), observed),
        "unknown_share": share(counted("unknown"), f"{observed} + {counted('unknown')}"),
        "down": counted("down"),
    }


def camera_page(cameras: CameraSet, w: q.Window, ranges: Ranges, sort: str, limit: int,
                offset: int) -> tuple[str, list[Any]]:
    """One page of per-camera sums (and their maintenance part h_*), worst first, with the row count.

    The maintenance sums join the camera sums by UNION ALL and GROUP BY, not a LEFT JOIN:
    SQLite ran the LEFT JOIN as a scan of the maintenance rows per camera (2 s for 10,000
    cameras under one window).
    """
    sql, args = per_camera(cameras, w)
    plain = ", ".join(SUM_COLUMNS)
    zeros = ", ".join(f"0.0 AS h_{c}" for c in SUM_COLUMNS)
    if ranges:
        held_sql, held_args = per_camera_in_ranges(ranges)
        args = args + held_args
        sums = ", ".join(f"SUM({c}) AS {c}" for c in (*SUM_COLUMNS, *(f"h_{c}" for c in SUM_COLUMNS)))
        ctes = (f"per AS ({sql}), held AS ({held_sql}), sums AS (SELECT id, {sums} FROM ("
                f"SELECT id, {plain}, {zeros} FROM per UNION ALL "
                f"SELECT id, {', '.join('0.0' for _ in SUM_COLUMNS)}, {plain} FROM held) x GROUP BY id)")
    else:
        ctes = f"per AS ({sql}), sums AS (SELECT id, {plain}, {zeros} FROM per)"
    key = _page_keys()[sort]
    direction = "" if PAGE_SORTS[sort] else " DESC"
    return (f"WITH {ctes} SELECT p.*, COUNT(*) OVER () AS total FROM sums p "
            f"ORDER BY ({key}) IS NULL, {key}{direction}, p.id LIMIT {int(limit)} OFFSET {int(offset)}", args)


def rollup(cameras: CameraSet, w: q.Window) -> tuple[str, list[Any]]:
    """The scope's totals, in-service start/end events per instant, and the cameras with a gap.

    Rows: ("total", NULL, cameras, up, degraded, down, unknown, down_upstream),
    ("k", k, +/-cameras, 0...), ("gap", camera id, 0, 0...).
    """
    sql, args = per_camera(cameras, w)
    busy = "(up + degraded + down + unknown)"
    whole = f"(last - first - {busy} < {GAP_S})"
    zeros = "0 AS up, 0 AS degraded, 0 AS down, 0 AS unknown, 0 AS down_upstream"
    return (f"WITH per AS ({sql}) "
            "SELECT 'total' AS kind, NULL AS k, COUNT(*) AS n, SUM(up) AS up, SUM(degraded) AS degraded, "
            "SUM(down) AS down, SUM(unknown) AS unknown, SUM(down_upstream) AS down_upstream FROM per "
            f"UNION ALL SELECT 'k', {q.instant_of('first', w)}, COUNT(*), {zeros} FROM per WHERE {whole} GROUP BY 2 "
            f"UNION ALL SELECT 'k', {q.instant_of('last', w)}, -COUNT(*), {zeros} FROM per WHERE {whole} GROUP BY 2 "
            f"UNION ALL SELECT 'gap', id, 0, {zeros} FROM per WHERE NOT {whole}", args)


def _causes(source: str, begin: str, finish: str) -> str:
    """Seconds by (state, cause, root upstream device) of the intervals in `source`."""
    return (f"SELECT si.state AS state, si.cause AS cause, si.root_upstream AS root, "
            f"SUM({finish} - {begin}) AS v {source} GROUP BY si.state, si.cause, si.root_upstream")


def _covering(source: str, begin: str, finish: str, w: q.Window) -> str:
    """(state, k1, k2, n): n intervals in `source` cover exactly the sample instants k1 .. k2 - 1.

    Intervals covering no instant (shorter than the step, between two instants) are dropped;
    the caller turns each row into +n/-n events. One GROUP BY on the (state, k1, k2) triple:
    most covering outages span one or two instants, so it returns far fewer rows than
    intervals, and it is one sort where grouping by instant took two.
    """
    seg = (f"SELECT si.state AS state, {q.instant_of(begin, w)} AS k1, {q.instant_of(finish, w)} AS k2 "
           f"{source}")
    return f"SELECT state, k1, k2, COUNT(*) AS n FROM ({seg}) seg WHERE k1 < k2 GROUP BY state, k1, k2"


def causes(cameras: CameraSet, w: q.Window) -> tuple[str, list[Any]]:
    """Seconds by (state, cause, root) of the scope's intervals that are not up."""
    source, args = q.base(cameras, w)
    return _causes(source + " AND si.state <> 'up'", *q.clipped(w)), args


def covering(cameras: CameraSet, w: q.Window) -> tuple[str, list[Any]]:
    """The scope's down and unknown intervals that cover sample instants."""
    source, args = q.base(cameras, w)
    return _covering(source + " AND si.state IN ('down', 'unknown')", *q.clipped(w), w), args


def causes_in_ranges(ranges: Ranges) -> tuple[str, list[Any]]:
    """Seconds by (state, cause, root) inside each camera's ranges (all states)."""
    source, args = q.in_ranges(ranges)
    return _causes(source, *q.clipped_to_range()), args


def covering_in_ranges(ranges: Ranges, w: q.Window) -> tuple[str, list[Any]]:
    """The intervals (every state) inside each camera's ranges that cover sample instants there."""
    source, args = q.in_ranges(ranges)
    return _covering(source, *q.clipped_to_range(), w), args
