"""Registry and coverage (登记与覆盖): cameras registered, in service, networked; 一机一档完整率 with the worst fields.

Completeness is judged by the registry's one validator (registry.validate.validate_camera) on each
in-service record as the office's sheet would carry it, with the mandatory list from data
(data/report.toml): a record is complete when none of its mandatory fields is empty or invalid.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Mapping

from assetsvc.registry.exporter import sheet_value
from assetsvc.registry.fields import FIELDS, header_for
from assetsvc.registry.lifecycle import in_service
from assetsvc.registry.validate import RECORD_CHECK_FIELDS, ValidationRules, validate_camera
from assetsvc.reports.config import ReportConfig
from assetsvc.reports.figures import ratio
from assetsvc.reports.scopes import Scope



def checked_fields(config: ReportConfig) -> tuple[str, ...]:
    """The fields whose values decide the mandatory fields' verdicts: those and what the record checks read."""
    wanted = {*config.mandatory, *config.mandatory_class1, *RECORD_CHECK_FIELDS}
    return tuple(f.key for f in FIELDS if f.key in wanted and f.key != "status")


def faulty_fields(row: Mapping[str, Any], config: ReportConfig, rules: ValidationRules | None = None,
                  keys: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """The mandatory fields of a camera record that are empty or invalid.

    Only the fields that can decide them are validated (`keys`, validate.RECORD_CHECK_FIELDS): the
    same verdicts as validating the whole record, at a third less work per record."""
    rules = rules or ValidationRules(mandatory=config.mandatory, mandatory_class1=config.mandatory_class1)
    raw = {key: sheet_value(key, row) for key in (keys or checked_fields(config))}
    check = validate_camera(raw, rules=rules)
    required = set(config.mandatory)
    if check.values.get("point_class") == 1 or row.get("point_class") == 1:
        required |= set(config.mandatory_class1)
    # Fields validate_camera cannot see as empty (it requires only its own list): empty text counts as missing.
    empty = {k for k in required if raw.get(k) in (None, "")}
    return tuple(sorted({e.field for e in check.errors if e.field in required} | empty))


def to_province(row: Mapping[str, Any], last_day: str) -> bool:
    """Networked to the provincial platform (联网上级平台) by the month's last day (no date: the flag alone)."""
    since = row.get("province_networked_on")
    return bool(row.get("province_networked")) and (since is None or str(since)[:10] <= last_day)


def coverage(cameras: list[Mapping[str, Any]], sites: list[Mapping[str, Any]],
             plans: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Planned against built per district and key-site category (应覆盖目标).

    Built = sites of the category in the district with at least one camera in service; built beyond
    the plan is capped at the plan in the rate and shown apart (`beyond_plan`)."""
    serving = {r["site"] for r in cameras if r.get("site") and in_service(r.get("status"))}
    built: Counter = Counter((s["region_code"], s["key_category"]) for s in sites
                             if s["id"] in serving and s.get("key_category"))
    rows = []
    for plan in sorted(plans, key=lambda p: (p["region_code"], p["category"])):
        made = built[(plan["region_code"], plan["category"])]
        rows.append({"region_code": plan["region_code"], "category": plan["category"], "planned": plan["planned"],
                     "built": made, "counted": min(made, plan["planned"]),
                     "beyond_plan": max(0, made - plan["planned"]),
                     "rate": ratio(min(made, plan["planned"]), plan["planned"])})
    districts = []
    for code in sorted({r["region_code"] for r in rows}):
        mine = [r for r in rows if r["region_code"] == code]
        districts.append(_total(mine, {"region_code": code}))
    return {"formula": "覆盖率 = sum over categories of min(built, planned) / planned; built = sites of the "
                       "category with a camera in service", "rows": rows, "districts": districts,
            "city": _total(rows, {})}


def _total(rows: list[dict[str, Any]], head: dict[str, Any]) -> dict[str, Any]:
    planned, counted = sum(r["planned"] for r in rows), sum(r["counted"] for r in rows)
    return {**head, "planned": planned, "built": sum(r["built"] for r in rows), "counted": counted,
            "beyond_plan": sum(r["beyond_plan"] for r in rows), "rate": ratio(counted, planned)}


def section(cameras: list[Mapping[str, Any]], scopes: list[Scope], config: ReportConfig,
            last_day: str, sites: list[Mapping[str, Any]], plans: list[Mapping[str, Any]]) -> dict[str, Any]:
    by_id = {row["id"]: row for row in cameras}
    rules = ValidationRules(mandatory=config.mandatory, mandatory_class1=config.mandatory_class1)
    keys = checked_fields(config)
    faults = {row["id"]: faulty_fields(row, config, rules, keys) for row in cameras if in_service(row.get("status"))}
    rows = []
    for scope in scopes:
        members = [by_id[c] for c in scope.cameras if c in by_id]
        serving = [r for r in members if in_service(r.get("status"))]
        complete = sum(1 for r in serving if not faults[r["id"]])
        missing = Counter(f for r in serving for f in faults[r["id"]])
        rows.append({**scope.head(), "registered": len(members), "in_service": len(serving),
                     "networked": sum(1 for r in serving if r.get("networked")),
                     "networked_to_province": sum(1 for r in serving if to_province(r, last_day)),
                     "complete": complete, "completeness_rate": ratio(complete, len(serving)),
                     "worst_fields": [{"field": f, "header": header_for(f), "records": n}
                                      for f, n in sorted(missing.items(), key=lambda i: (-i[1], i[0]))
                                      [:config.worst_fields]]})
    return {"mandatory_fields": [{"field": f, "header": header_for(f)} for f in config.mandatory],
            "mandatory_class1": [{"field": f, "header": header_for(f)} for f in config.mandatory_class1],
            "formula": "一机一档完整率 = in-service records with every mandatory field present and valid / "
                       "in-service records",
            "rows": rows, "coverage": coverage(cameras, sites, plans)}
