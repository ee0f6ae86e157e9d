"""What is monitored: in-service cameras and upstream devices, with the attributes plans match on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from assetsvc import bulk, db
from assetsvc.registry.lifecycle import IN_SERVICE  # planned and decommissioned: never probed nor counted
from assetsvc.registry.tables import Camera

if TYPE_CHECKING:
    from assetsvc.monitoring.config import MonitoringConfig


async def monitored() -> list[dict[str, Any]]:
    """Every in-service camera and upstream device as {subject_type, subject_id, match keys...}."""
    marks = ",".join("?" * len(IN_SERVICE))
    cameras = await bulk.fetch(Camera, f"""
        SELECT c.id, c.probe_protocols, c.point_class, o.owner_class
        FROM camera c LEFT JOIN owner o ON o.id = c.owner
        WHERE c.status IN ({marks})""", IN_SERVICE)
    upstreams = await bulk.fetch(Camera, f"""
        SELECT id, kind FROM upstream_device WHERE status IN ({marks}) AND ipv4 IS NOT NULL""",
                                 IN_SERVICE)
    found = [{"subject_type": "camera", "subject_id": row["id"], **camera_match(row)} for row in cameras]
    found.extend({"subject_type": "upstream", "subject_id": row["id"], **upstream_match(row)} for row in upstreams)
    return found


def camera_match(row: Mapping[str, Any]) -> dict[str, Any]:
    """What device classes match a camera on, from a row with probe_protocols, point_class, owner_class."""
    return {"subject": "camera", "probe_protocols": bulk.json_column(row["probe_protocols"], []),
            "point_class": row["point_class"], "owner_class": row["owner_class"]}


def upstream_match(row: Mapping[str, Any]) -> dict[str, Any]:
    """What device classes match an upstream device on, from a row with its kind."""
    return {"subject": "upstream", "upstream_kind": row["kind"]}


# --- the same in SQL ---------------------------------------------------------------------------
# wanted_sql() is monitored() + MonitoringConfig.classify() as common table expressions, so the
# task sync compares the registry with probe_task and device_state in the database (tasks.py).
# Each `when` key becomes the condition DeviceClass.matches() applies in Python: a key a subject
# type does not have, or a value of another type than the column's, never matches (as None or
# 1 != "1" does not in Python); the first matching class wins (CASE takes the first WHEN).


def _condition(key: str, wanted: Any, subject: str, args: list[Any]) -> str:
    if key == "subject":
        return "1 = 1" if wanted == subject else "1 = 0"
    if subject == "camera" and key == "protocol" and isinstance(wanted, str):
        args.append(wanted)
        if db.is_sqlite():  # invalid JSON reads as [] (bulk.json_column); json_each would raise
            return ("(CASE WHEN json_valid(c.probe_protocols) THEN EXISTS (SELECT 1 FROM "
                    "json_each(c.probe_protocols) p WHERE p.value = ?) ELSE 0 END)")
        return "c.probe_protocols::jsonb @> jsonb_build_array(?::text)"
    if subject == "camera" and key == "owner_class" and isinstance(wanted, str):
        args.append(wanted)
        return "o.owner_class = ?"
    if subject == "camera" and key == "point_class" and isinstance(wanted, (int, float)) and wanted == int(wanted):
        args.append(int(wanted))  # Python's 1 == 1.0 == True
        return "c.point_class = ?"
    if subject == "upstream" and key == "upstream_kind" and isinstance(wanted, str):
        args.append(wanted)
        return "u.kind = ?"
    return "1 = 0"


def _class_of(config: MonitoringConfig, subject: str, args: list[Any]) -> str:
    """A CASE giving the index of the first class whose `when` matches, NULL when none does."""
    branches = []
    for index, device_class in enumerate(config.classes):
        conditions = [_condition(k, v, subject, args) for k, v in device_class.when.items()] or ["1 = 1"]
        branches.append(f"WHEN {' AND '.join(conditions)} THEN {index}")
    return f"CASE {' '.join(branches)} END" if branches else "CAST(NULL AS INTEGER)"


def wanted_sql(config: MonitoringConfig) -> tuple[str, list[Any]]:
    """Common table expressions (for `WITH ...`) and their arguments, defining

    - wanted_subject(subject_type, subject_id, cls): every monitored subject and its class index;
    - wanted_task(subject_type, subject_id, plan, cls, k): each of its class's plans (k: the
      plan's place in the class).
    """
    args: list[Any] = []
    marks = ",".join("?" * len(IN_SERVICE))
    camera_class = _class_of(config, "camera", args)
    args += IN_SERVICE
    upstream_class = _class_of(config, "upstream", args)
    args += IN_SERVICE
    # Plan names come from the parsed file's keys, which config.py restricts to PLAN_NAMES.
    # `k` keeps the file's order of plans, the order monitored() + classify() gave the new tasks.
    plans = [f"SELECT {index} AS cls, '{name}' AS plan, {k} AS k" for index, device_class in enumerate(config.classes)
             for k, name in enumerate(device_class.plans)]
    class_plan = " UNION ALL ".join(plans) or "SELECT 0 AS cls, '' AS plan, 0 AS k WHERE 1 = 0"
    return f"""subject_class AS (
        SELECT 'camera' AS subject_type, c.id AS subject_id, {camera_class} AS cls
        FROM camera c LEFT JOIN owner o ON o.id = c.owner WHERE c.status IN ({marks})
        UNION ALL
        SELECT 'upstream', u.id, {upstream_class}
        FROM upstream_device u WHERE u.status IN ({marks}) AND u.ipv4 IS NOT NULL),
    wanted_subject AS (SELECT subject_type, subject_id, cls FROM subject_class WHERE cls IS NOT NULL),
    class_plan AS ({class_plan}),
    wanted_task AS (
        SELECT w.subject_type, w.subject_id, p.plan, w.cls, p.k
        FROM wanted_subject w JOIN class_plan p ON p.cls = w.cls)
    """, args
