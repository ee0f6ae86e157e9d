"""The columns of a work-order sheet (closed work orders of past months), as a sheet layout."""

from __future__ import annotations

from typing import Any

from assetsvc.registry.fields import header_match_key
from assetsvc.registry.sheet import Layout

# field key -> the headers that name it (compared folded: half-width, case-blind, no separators).
HEADERS = {
    "order_no": ("工单号", "工单编号", "单号", "order_no", "order", "work order"),
    "camera": ("设备编码", "国标编码", "国标编号", "摄像机编码", "camera", "gb_id"),
    "severity": ("故障等级", "等级", "级别", "severity"),
    "fault": ("故障类型", "fault"),
    "opened": ("派单时间", "报修时间", "开单时间", "opened", "opened_at"),
    "accepted": ("响应时间", "接单时间", "accepted"),
    "arrived": ("到场时间", "arrived"),
    "resolved": ("修复时间", "完成时间", "resolved"),
    "closed": ("关闭时间", "结单时间", "归档时间", "closed"),
    "note": ("故障描述", "备注", "note"),
}
REQUIRED = ("order_no", "camera", "opened", "resolved", "closed")
_INDEX = {header_match_key(name): key for key, names in HEADERS.items() for name in names}


def _field_key(text: Any) -> str | None:
    return None if text is None else _INDEX.get(header_match_key(str(text)))


LAYOUT = Layout(_field_key, "order_no", 4, "工单",
                "工单号 (order_no), 设备编码 (camera), 派单时间 (opened), 修复时间 (resolved) and 关闭时间 (closed)")
