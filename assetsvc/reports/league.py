"""The league table (排名): scopes ranked by the office's rules (考核办法), rules as data.

A rules document names the scopes to rank (district, station, contractor, owner class), the
figures that earn points on a linear scale between two thresholds with a weight, and bonus or
penalty points per unit of a figure with a cap. Figure names are checked against FIGURES: an
unknown name is refused with the entry that names it. A figure the report cannot give for a scope
("n/a", null) earns nothing and is named in `missing`.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from assetsvc.errors import ValidationFailed, field_error

EXAMPLE = Path(__file__).parent / "data" / "league.example.toml"
RANKED = ("district", "station", "contractor", "owner_class")
# figure name -> (section, key): the rows of the report the figure is read from.
FIGURES = {
    "online_rate": ("uptime", "online_rate"), "sampled_online_rate": ("uptime", "sampled_online_rate"),
    "working_rate": ("uptime", "working_rate"), "unknown_share": ("uptime", "unknown_share"),
    "clock_accuracy": ("uptime", "clock_accuracy"), "picture_pass_rate": ("uptime", "picture_pass_rate"),
    "completeness_rate": ("registry", "completeness_rate"), "networked": ("registry", "networked"),
    "in_service": ("registry", "in_service"), "opened": ("tickets", "opened"), "overdue": ("tickets", "overdue"),
    "open_at_end": ("tickets", "open_at_end"), "mttr_wall_h": ("tickets", "mttr_wall_h"),
}
MAX_ITEMS = 50


@dataclass(frozen=True)
class Scale:
    figure: str
    weight: float
    zero: float
    full: float

    def points(self, value: float) -> float:
        share = (value - self.zero) / (self.full - self.zero)
        return self.weight * min(1.0, max(0.0, share))


@dataclass(frozen=True)
class Adjustment:
    figure: str
    per: float
    points: float
    cap: float

    def apply(self, value: float) -> float:
        raw = self.points * value / self.per
        return max(raw, self.cap) if self.cap < 0 else min(raw, self.cap)


@dataclass(frozen=True)
class LeagueRules:
    name: str
    rank: str
    figures: tuple[Scale, ...]
    adjustments: tuple[Adjustment, ...]

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "rank": self.rank,
                "figures": [vars(s) for s in self.figures], "adjustments": [vars(a) for a in self.adjustments]}


def _bad(where: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"league rules: {where}: {message}", [field_error(where, "invalid", message)])


def _number(raw: Mapping[str, Any], key: str, where: str) -> float:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _bad(f"{where}.{key}", "must be a number")
    return float(value)


def _figure(raw: Mapping[str, Any], where: str) -> str:
    name = raw.get("figure")
    if name not in FIGURES:
        raise _bad(f"{where}.figure", f"{name!r} is not a report figure (one of {', '.join(sorted(FIGURES))})")
    return name


def _items(raw: Any, where: str) -> list[Mapping[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_ITEMS or not all(isinstance(i, Mapping) for i in raw):
        raise _bad(where, f"must be a list of at most {MAX_ITEMS} tables")
    return raw


def parse(raw: Any) -> LeagueRules:
    """Rules from a JSON object or TOML text; every problem is a 400 naming the entry."""
    if isinstance(raw, (bytes, str)):
        try:
            raw = tomllib.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise _bad("document", f"not valid UTF-8 TOML: {exc}") from None
    if not isinstance(raw, Mapping):
        raise _bad("document", "send the rules as a JSON object or TOML text")
    unknown = sorted(set(raw) - {"name", "rank", "figures", "adjustments"})
    if unknown:
        raise _bad(unknown[0], "is not a key of league rules (name, rank, figures, adjustments)")
    name = raw.get("name", "")
    if not isinstance(name, str) or len(name) > 200:
        raise _bad("name", "must be text of at most 200 characters")
    if raw.get("rank") not in RANKED:
        raise _bad("rank", f"must be one of {', '.join(RANKED)}")
    scales = []
    for i, item in enumerate(_items(raw.get("figures"), "figures")):
        where = f"figures[{i}]"
        scale = Scale(_figure(item, where), _number(item, "weight", where), _number(item, "zero", where),
                      _number(item, "full", where))
        if scale.weight <= 0 or scale.zero == scale.full:
            raise _bad(where, "weight must be above 0 and zero differ from full")
        scales.append(scale)
    adjustments = []
    for i, item in enumerate(_items(raw.get("adjustments"), "adjustments")):
        where = f"adjustments[{i}]"
        found = Adjustment(_figure(item, where), _number(item, "per", where), _number(item, "points", where),
                           _number(item, "cap", where))
        if found.per <= 0 or found.points == 0 or (found.points > 0) != (found.cap > 0):
            raise _bad(where, "per must be above 0, and points and cap non-zero with the same sign")
        adjustments.append(found)
    if not scales and not adjustments:
        raise _bad("figures", "name at least one figure")
    return LeagueRules(name, raw["rank"], tuple(scales), tuple(adjustments))


def _value(rows: Mapping[str, Mapping[str, Mapping[str, Any]]], scope: str, figure: str) -> float | None:
    section, key = FIGURES[figure]
    value = rows[section].get(scope, {}).get(key)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def rank(rules: LeagueRules, content: Mapping[str, Any]) -> dict[str, Any]:
    """The league table of the content's scopes of the ranked kind, best first (ties: scope key)."""
    rows = {s: {r["scope"]: r for r in content[s]["rows"]} for s in ("uptime", "registry", "tickets")}
    table = []
    for scope in (s for s in content["scopes"] if s["kind"] == rules.rank):
        key, items, missing = scope["scope"], [], []
        for scale in rules.figures:
            value = _value(rows, key, scale.figure)
            if value is None:
                missing.append(scale.figure)
            items.append({"figure": scale.figure, "value": value,
                          "points": 0.0 if value is None else round(scale.points(value), 4)})
        for adjustment in rules.adjustments:
            value = _value(rows, key, adjustment.figure)
            if value is None:
                missing.append(adjustment.figure)
            items.append({"figure": adjustment.figure, "value": value, "adjustment": True,
                          "points": 0.0 if value is None else round(adjustment.apply(value), 4)})
        total = round(sum(i["points"] for i in items), 4)
        table.append({"scope": key, "kind": scope["kind"], "name": scope["name"], "total": total, "items": items,
                      "missing": sorted(set(missing))})
    table.sort(key=lambda r: (-r["total"], r["scope"]))
    for place, row in enumerate(table, start=1):
        row["rank"] = place
    return {"rules": rules.as_json(), "rows": table}
