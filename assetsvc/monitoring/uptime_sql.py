"""SQL for the uptime sums on both engines: clipped interval durations, instant indexes, maintenance joins.

Dialects differ in three places: SQLite's scalar MIN/MAX are PostgreSQL's LEAST/GREATEST;
CEIL is missing from SQLite builds without the math functions; and a list of maintenance
ranges travels as one JSON text (SQLite json_each) or three arrays (PostgreSQL unnest), so a
window over a whole region is still one parameter, not 300,000.

Period bounds and the step are written into the SQL as numeric literals: they are floats we
computed (never request text), and each query then gets a plan for its own values.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from assetsvc import db

# Intervals overlapping the ranges m(cam, a, b) (disjoint per camera, inside [S, E)): per
# range an index seek from the last interval that began at or before the range (the only
# earlier one that can overlap it) to the range's end, so the cost follows the number of
# covered cameras, not the size of the table. PostgreSQL needs LATERAL to take that plan: as a
# plain join it hash-joined the ranges against every interval of the period (twice as slow
# for a window over 10,000 cameras, and far slower for a few).
_LOW = """COALESCE((SELECT MAX(p.start) FROM state_interval p WHERE p.subject_type = 'camera'
    AND p.subject_id = m.cam AND p.start <= m.a), m.a)"""
_SQLITE_RANGES = f"""FROM {{ranges}} m CROSS JOIN state_interval si
WHERE si.subject_type = 'camera' AND si.subject_id = m.cam AND si.start >= {_LOW}
AND si.start < m.b AND (si."end" IS NULL OR si."end" > m.a)"""
_PG_RANGES = f"""FROM {{ranges}} m CROSS JOIN LATERAL (SELECT * FROM state_interval x
WHERE x.subject_type = 'camera' AND x.subject_id = m.cam AND x.start >= {_LOW}
AND x.start < m.b AND (x."end" IS NULL OR x."end" > m.a)) si WHERE 1 = 1"""


def num(value: float) -> str:
    """A float as an SQL literal (finite only)."""
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {value}")
    return repr(value)


def least(a: str, b: str) -> str:
    return f"MIN({a}, {b})" if db.is_sqlite() else f"LEAST({a}, {b})"


def greatest(a: str, b: str) -> str:
    return f"MAX({a}, {b})" if db.is_sqlite() else f"GREATEST({a}, {b})"


def ceil_int(expr: str) -> str:
    """CEIL of a non-negative expression as an integer."""
    if db.is_sqlite():
        # CAST truncates toward zero; add one when there was a fraction.
        return f"(CAST({expr} AS INTEGER) + (({expr}) > CAST({expr} AS INTEGER)))"
    return f"CAST(CEIL({expr}) AS INTEGER)"


@dataclass(frozen=True)
class Window:
    """The period [start, end) being summed and the sampling step."""

    start: float
    end: float
    step: float

    @property
    def S(self) -> str:  # noqa: N802 - the symbol of docs/metrics.md
        return num(self.start)

    @property
    def E(self) -> str:  # noqa: N802
        return num(self.end)


def clipped_to_range() -> tuple[str, str]:
    """(begin, end) of an interval clipped to its maintenance range m."""
    return greatest("si.start", "m.a"), least('COALESCE(si."end", m.b)', "m.b")


def ranges_source(ranges: dict[int, list[tuple[float, float]]]) -> tuple[str, list[Any]]:
    """A relation m(cam, a, b) holding every camera's ranges (e.g. maintenance), as SQL and its arguments."""
    rows = [(cam, a, b) for cam, spans in ranges.items() for a, b in spans]
    if db.is_sqlite():
        # LIMIT -1 (no limit) keeps SQLite from flattening the subquery into the join (its rule: a
        # subquery with LIMIT is not flattened into a join), which put three json_extract calls in
        # place of every m.cam, m.a and m.b: evaluated per interval, up to 16 times a row in the sums.
        sql = ("(SELECT json_extract(value, '$[0]') AS cam, json_extract(value, '$[1]') AS a, "
               "json_extract(value, '$[2]') AS b FROM json_each(?) LIMIT -1)")
        return sql, [json.dumps(rows)]
    sql = "(SELECT * FROM unnest(?::int[], ?::float8[], ?::float8[]) AS u(cam, a, b))"
    return sql, [[r[0] for r in rows], [float(r[1]) for r in rows], [float(r[2]) for r in rows]]


def day_ranges_source(rows: list[tuple[int, int, float, float]]) -> tuple[str, list[Any]]:
    """A relation m(cam, d, a, b): ranges_source with a day index d on every range (uptime_series)."""
    if db.is_sqlite():
        sql = ("(SELECT json_extract(value, '$[0]') AS cam, json_extract(value, '$[1]') AS d, "
               "json_extract(value, '$[2]') AS a, json_extract(value, '$[3]') AS b FROM json_each(?) LIMIT -1)")
        return sql, [json.dumps(rows)]
    sql = "(SELECT * FROM unnest(?::int[], ?::int[], ?::float8[], ?::float8[]) AS u(cam, d, a, b))"
    return sql, [[r[0] for r in rows], [r[1] for r in rows], [float(r[2]) for r in rows], [float(r[3]) for r in rows]]


def in_day_ranges(rows: list[tuple[int, int, float, float]]) -> tuple[str, list[Any]]:
    """in_ranges over day-indexed ranges m(cam, d, a, b)."""
    source, args = day_ranges_source(rows)
    return (_SQLITE_RANGES if db.is_sqlite() else _PG_RANGES).format(ranges=source), args


def in_ranges(ranges: dict[int, list[tuple[float, float]]]) -> tuple[str, list[Any]]:
    """FROM ... WHERE of the intervals overlapping each camera's ranges, and its arguments."""
    source, args = ranges_source(ranges)
    return (_SQLITE_RANGES if db.is_sqlite() else _PG_RANGES).format(ranges=source), args


def instant_of(expr: str, w: Window) -> str:
    """The index of the first sample instant at or after `expr` (>= S)."""
    return ceil_int(f"(({expr}) - {w.S}) / {num(w.step)}")
