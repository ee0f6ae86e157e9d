"""The uptime queries: state sums, the per-camera page, causes and sample-instant coverage, inside ranges.

Every sum runs over a camera's intervals clipped to a set of its ranges: its service ranges
(the registry's service periods inside the period, registry/service_periods.py) or the part of
them in maintenance. The ranges travel as one parameter (uptime_sql.ranges_source), so a
region of 100,000 cameras is one query, and each range is an index seek into its camera's
intervals. Time inside a service range that no interval covers is `unknown` (no data): it is
the range's length minus the intervals' time.

The sampled rates need camera counts per instant. In-service counts come from the ranges
themselves; of the intervals only the down and unknown ones that cover an instant are read
back (most intervals are up, and grouping all of them by instant was the cost). That is exact
for a camera whose intervals cover its ranges; the few cameras with stretches no interval
covers ("holey") are counted from their known intervals instead (uptime.py).

Rows of the cause queries are (state, cause, root, v = seconds); of the covering queries
(state, k1, k2, n): n intervals cover sample instants k1 .. k2 - 1.
"""

from __future__ import annotations

from typing import Any

from assetsvc.monitoring import uptime_sql as q
from assetsvc.monitoring.uptime_math import KNOWN, NOTHING_S, STATES

Ranges = dict[int, list[tuple[float, float]]]
SUM_COLUMNS = (*KNOWN, "down_upstream")


def sums(ranges: Ranges) -> tuple[str, list[Any]]:
    """Per camera: seconds per state (unknown intervals included) and down for an upstream device inside
    its ranges. The caller adds them up and finds the cameras with stretches no interval covers."""
    source, args = q.in_ranges(ranges)
    begin, finish = q.clipped_to_range()
    d = f"({finish} - {begin})"
    per_state = ", ".join(f"SUM(CASE WHEN si.state = '{s}' THEN {d} ELSE 0.0 END) AS {s}" for s in STATES)
    return (f"SELECT m.cam AS id, {per_state}, SUM(CASE WHEN si.state = 'down' AND si.cause = 'upstream' "
            f"THEN {d} ELSE 0.0 END) AS down_upstream {source} GROUP BY m.cam", args)


DayRanges = list[tuple[int, int, float, float]]  # (camera, day index, a, b)


def sums_by_day(rows: DayRanges) -> tuple[str, list[Any]]:
    """sums() for many days in one pass: the same clipped durations per range, grouped by camera and day d."""
    source, args = q.in_day_ranges(rows)
    begin, finish = q.clipped_to_range()
    d = f"({finish} - {begin})"
    per_state = ", ".join(f"SUM(CASE WHEN si.state = '{s}' THEN {d} ELSE 0.0 END) AS {s}" for s in STATES)
    return (f"SELECT m.cam AS id, m.d AS d, {per_state}, SUM(CASE WHEN si.state = 'down' AND si.cause = 'upstream' "
            f"THEN {d} ELSE 0.0 END) AS down_upstream {source} GROUP BY m.cam, m.d", args)


def causes_by_day(rows: DayRanges, by_camera: bool = False) -> tuple[str, list[Any]]:
    """causes_in_ranges() for many days in one pass, grouped by day d as well (and by camera: column cam)."""
    source, args = q.in_day_ranges(rows)
    begin, finish = q.clipped_to_range()
    cam, group = ("m.cam AS cam, ", "m.cam, ") if by_camera else ("", "")
    return (f"SELECT {cam}m.d AS d, si.state AS state, si.cause AS cause, si.root_upstream AS root, "
            f"SUM({finish} - {begin}) AS v {source} GROUP BY {group}m.d, si.state, si.cause, si.root_upstream", args)


# Sort keys of the per-camera page as SQL over the page's sums p (h_: the part in maintenance),
# and whether the worst comes first ascending. The figures shown are computed again in Python
# (uptime_math.Totals): SQL only orders, so a page is one sort in the database.
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


PAGE_COLUMNS = (*SUM_COLUMNS, "span")  # and each again with h_: its part in maintenance


def _parts(ranges: Ranges, held: bool) -> tuple[str, list[Any]]:
    """Two UNION ALL branches per camera: the known sums inside its ranges, and the ranges' length.

    Every branch has the columns id, PAGE_COLUMNS, then h_ PAGE_COLUMNS in that order; a branch
    fills its own half (h_ for maintenance ranges) and zeros the rest.
    """
    own = "h_" if held else ""

    def columns(values: dict[str, str]) -> str:
        return ", ".join(f"{values.get(c, '0.0') if half == own else '0.0'} AS {half}{c}"
                         for half in ("", "h_") for c in PAGE_COLUMNS)

    source, args = q.in_ranges(ranges)
    begin, finish = q.clipped_to_range()
    d = f"({finish} - {begin})"
    known = {s: f"SUM(CASE WHEN si.state = '{s}' THEN {d} ELSE 0.0 END)" for s in KNOWN}
    known["down_upstream"] = f"SUM(CASE WHEN si.state = 'down' AND si.cause = 'upstream' THEN {d} ELSE 0.0 END)"
    lengths, more = q.ranges_source(ranges)
    return (f"SELECT m.cam AS id, {columns(known)} {source} GROUP BY m.cam UNION ALL "
            f"SELECT m.cam AS id, {columns({'span': 'SUM(m.b - m.a)'})} FROM {lengths} m GROUP BY m.cam",
            [*args, *more])


def camera_page(service: Ranges, held: Ranges, sort: str, limit: int, offset: int) -> tuple[str, list[Any]]:
    """One page of per-camera sums (and their maintenance part h_*), worst first, with the row count.

    unknown = the service ranges' length minus the known time (an interval of state unknown and a
    stretch without any interval are the same: no data); likewise inside maintenance. The parts
    join by UNION ALL and GROUP BY, not a LEFT JOIN: SQLite ran the LEFT JOIN as a scan of the
    maintenance rows per camera (2 s for 10,000 cameras under one window).
    """
    sql, args = _parts(service, held=False)
    if held:
        more, more_args = _parts(held, held=True)
        sql, args = f"{sql} UNION ALL {more}", args + more_args
    total = ", ".join(f"SUM({half}{c}) AS {half}{c}" for half in ("", "h_") for c in PAGE_COLUMNS)
    rest = ", ".join(f"{p}{c}" for p in ("", "h_") for c in SUM_COLUMNS)
    unknown = q.greatest("span - up - degraded - down", "0.0")
    h_unknown = q.greatest("h_span - h_up - h_degraded - h_down", "0.0")
    key = _page_keys()[sort]
    direction = "" if PAGE_SORTS[sort] else " DESC"
    return (f"WITH sums AS (SELECT id, {total} FROM ({sql}) x GROUP BY id), "
            f"fin AS (SELECT id, {rest}, {unknown} AS unknown, {h_unknown} AS h_unknown FROM sums) "
            f"SELECT p.*, COUNT(*) OVER () AS total FROM fin p "
            f"ORDER BY ({key}) IS NULL, {key}{direction}, p.id LIMIT {int(limit)} OFFSET {int(offset)}", args)


def _causes(source: str, begin: str, finish: str, by_camera: bool = False) -> str:
    """Seconds by (state, cause, root upstream device) of the intervals in `source` (and by camera)."""
    cam, group = ("m.cam AS cam, ", "m.cam, ") if by_camera else ("", "")
    return (f"SELECT {cam}si.state AS state, si.cause AS cause, si.root_upstream AS root, "
            f"SUM({finish} - {begin}) AS v {source} GROUP BY {group}si.state, si.cause, si.root_upstream")


def causes_in_ranges(ranges: Ranges, not_up: bool = False, by_camera: bool = False) -> tuple[str, list[Any]]:
    """Seconds by (state, cause, root) of the intervals inside each camera's ranges (all states, or not up);
    `by_camera` keeps each camera's rows apart (column cam)."""
    source, args = q.in_ranges(ranges)
    if not_up:
        source += " AND si.state <> 'up'"
    return _causes(source, *q.clipped_to_range(), by_camera=by_camera), args


def covering_in_ranges(ranges: Ranges, w: q.Window, states: tuple[str, ...] = KNOWN) -> tuple[str, list[Any]]:
    """(state, k1, k2, n): n intervals in `states` inside the ranges cover exactly the sample instants k1 .. k2 - 1.

    Intervals covering no instant (shorter than the step, between two instants) are dropped;
    the caller turns each row into +n/-n events. One GROUP BY on the (state, k1, k2) triple:
    most covering outages span one or two instants, so it returns far fewer rows than intervals.
    """
    source, args = q.in_ranges(ranges)
    begin, finish = q.clipped_to_range()
    listed = ", ".join(f"'{s}'" for s in states if s in STATES)  # our constants only
    seg = (f"SELECT si.state AS state, {q.instant_of(begin, w)} AS k1, {q.instant_of(finish, w)} AS k2 "
           f"{source} AND si.state IN ({listed})")
    return f"SELECT state, k1, k2, COUNT(*) AS n FROM ({seg}) seg WHERE k1 < k2 GROUP BY state, k1, k2", args




def covering_on_grids(ranges: Ranges, grids: tuple[q.Window, ...], states: tuple[str, ...]) -> tuple[str, list[Any]]:
    """covering_in_ranges by camera on several sample grids in one pass over the intervals.

    Rows (cam, state, k1_0, k2_0, k1_1, k2_1, ..., n): n intervals of the camera cover instants
    k1_i .. k2_i - 1 of grid i; a row covers an instant of at least one grid (the caller drops
    the grids where k1_i >= k2_i).
    """
    source, args = q.in_ranges(ranges)
    begin, finish = q.clipped_to_range()
    listed = ", ".join(f"'{s}'" for s in states if s in STATES)  # our constants only
    ks = [f"k{e}_{i}" for i in range(len(grids)) for e in (1, 2)]
    cols = ", ".join(f"{q.instant_of(begin, w)} AS k1_{i}, {q.instant_of(finish, w)} AS k2_{i}"
                     for i, w in enumerate(grids))
    seg = f"SELECT m.cam AS cam, si.state AS state, {cols} {source} AND si.state IN ({listed})"
    keep = " OR ".join(f"k1_{i} < k2_{i}" for i in range(len(grids)))
    group = ", ".join(ks)
    return (f"SELECT cam, state, {group}, COUNT(*) AS n FROM ({seg}) seg WHERE {keep} "
            f"GROUP BY cam, state, {group}", args)
