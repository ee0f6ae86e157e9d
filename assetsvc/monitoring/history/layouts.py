"""The columns of a history file: each field's Chinese and English headers, as sheet layouts."""

from __future__ import annotations

from typing import Any

from assetsvc.registry.fields import header_match_key
from assetsvc.registry.sheet import Layout

# field key -> the headers that name it (compared folded: half-width, case-blind, no separators).
STATE_HEADERS = {
    "camera": ("设备编码", "国标编码", "国标编号", "摄像机编码", "SBBM", "camera", "gb_id", "national id", "device id"),
    "state": ("状态", "在线状态", "设备状态", "state", "status"),
    "cause": ("原因", "故障原因", "异常原因", "cause", "reason"),
    "from": ("开始时间", "起始时间", "开始", "from", "start", "start time"),
    "to": ("结束时间", "截止时间", "恢复时间", "结束", "to", "end", "end time"),
    "source": ("来源", "数据来源", "来源平台", "source", "platform"),
}
WINDOW_HEADERS = {
    "scope": ("范围", "维护范围", "scope"),
    "ref": ("对象", "维护对象", "ref"),
    "camera": STATE_HEADERS["camera"],
    "from": STATE_HEADERS["from"],
    "to": STATE_HEADERS["to"],
    "reason": ("维护原因", "维护内容", "事由", "原因", "reason"),
    "source": STATE_HEADERS["source"],
}


def _index(headers: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {header_match_key(name): key for key, names in headers.items() for name in names}


def _finder(headers: dict[str, tuple[str, ...]]):
    index = _index(headers)

    def field_key(text: Any) -> str | None:
        return None if text is None else index.get(header_match_key(str(text)))
    return field_key


def names(headers: dict[str, tuple[str, ...]], key: str) -> str:
    """A field's headers as the error messages name them (设备编码 / camera)."""
    chinese = headers[key][0]
    english = next((n for n in headers[key] if n.isascii() and n.islower()), key)
    return f"{chinese} ({english})"


STATES_LAYOUT = Layout(_finder(STATE_HEADERS), "camera", 4, "历史状态",
                       "设备编码 (camera), 状态 (state), 开始时间 (from) and 结束时间 (to)")
WINDOWS_LAYOUT = Layout(_finder(WINDOW_HEADERS), "from", 3, "维护窗口",
                        "开始时间 (from), 结束时间 (to), 维护原因 (reason) and 设备编码 (camera) or 范围/对象 (scope/ref)")
