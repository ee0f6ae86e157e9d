"""The camera record's fields (一机一档字段) and code tables, shared by import, export, API and validation."""

import re
import unicodedata
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Field:
    """One column: `key` in code, DB and API; `header` as the office's sheet shows it."""

    key: str
    header: str
    aliases: tuple[str, ...]
    kind: str  # which parser reads it: gb_id, text, region, coord, ipv4, ipv6, mac, enum, date, int


# Export order is this order.
FIELDS: tuple[Field, ...] = (
    Field("gb_id", "设备编码", ("SBBM", "国标编码", "设备国标编码"), "gb_id"),
    Field("name", "设备名称", ("SBMC",), "text"),
    Field("vendor", "设备厂商", ("SBCS",), "text"),
    Field("model", "设备型号", ("SBXH",), "text"),
    Field("region_code", "行政区域", ("XZQY",), "region"),
    Field("station", "所属派出所", ("SSPCS",), "text"),
    Field("site_alias", "点位俗称", ("DWSC",), "text"),
    Field("address", "安装地址", ("AZDZ",), "text"),
    Field("longitude", "经度", ("JD",), "coord"),
    Field("latitude", "纬度", ("WD",), "coord"),
    Field("ipv4", "IPV4", ("IP地址", "IPV4地址"), "ipv4"),
    Field("ipv6", "IPV6", ("IPV6地址",), "ipv6"),
    Field("mac", "MAC地址", ("MACDZ", "MAC"), "mac"),
    Field("camera_type", "摄像机类型", ("SXJLX",), "enum"),
    Field("point_class", "监控点位类型", ("JKDWLX",), "enum"),
    Field("owner_class", "建设单位类型", ("JSDWLX",), "enum"),
    Field("owner_unit", "建设单位", ("JSDW",), "text"),
    Field("contractor", "维护单位", ("WHDW",), "text"),
    Field("networked", "联网属性", ("LWSX",), "enum"),
    Field("install_date", "安装时间", ("AZSJ",), "date"),
    Field("retention_days", "录像保存天数", ("LXBCTS",), "int"),
    Field("light", "补光属性", ("BGSX",), "enum"),
    Field("direction", "监视方位", ("JSFW",), "enum"),
    Field("contact", "联系方式", ("LXFS",), "text"),
    Field("status", "设备状态", ("SBZT",), "enum"),
)

FIELDS_BY_KEY: dict[str, Field] = {f.key: f for f in FIELDS}

# Code -> the word the office writes. A word with "/" lists synonyms; the first one is shown.
CODE_TABLES: dict[str, dict[Any, str]] = {
    "camera_type": {1: "球机", 2: "半球", 3: "固定枪机", 4: "遥控枪机", 5: "卡口枪机", 99: "未知"},
    "point_class": {1: "一类", 2: "二类", 3: "三类", 4: "公安内部", 9: "其他"},
    "owner_class": {"police": "公安自建", "government": "其他政府部门", "social": "社会面"},
    "networked": {True: "已联网", False: "未联网"},
    "light": {"none": "无补光", "ir": "红外补光", "white": "白光补光", "laser": "激光补光"},
    "direction": {
        "E": "东", "S": "南", "W": "西", "N": "北",
        "SE": "东南", "SW": "西南", "NE": "东北", "NW": "西北",
    },
    # Declared lifecycle (what the office says), not the probed online state.
    "status": {"planned": "规划", "active": "在用", "under_repair": "维修", "decommissioned": "停用/报废"},
}

# A trailing unit note such as 经度(WGS-84) or 录像保存天数（天）.
_UNIT_NOTE = re.compile(r"[(（][^()（）]*[)）]$")
# Templates often flag mandatory columns with an asterisk (*设备编码).
_MARKS = "*＊"


def header_text_key(text: str) -> str:
    """The comparable form of a header: half-width, no whitespace, ASCII lower-case, no unit note."""
    folded = unicodedata.normalize("NFKC", str(text))
    folded = "".join(ch for ch in folded if not ch.isspace())
    folded = folded.strip(_MARKS)
    folded = _UNIT_NOTE.sub("", folded).strip(_MARKS)
    return folded.lower()


def _header_index() -> dict[str, Field]:
    index: dict[str, Field] = {}
    for field in FIELDS:
        # The English key is accepted too, so a sheet exported by the API reads back.
        for name in (field.header, field.key, *field.aliases):
            index[header_text_key(name)] = field
    return index


_BY_HEADER = _header_index()


def field_for_header(text: Any) -> Field | None:
    """The standard field a sheet header names, or None for a custom column."""
    if text is None:
        return None
    return _BY_HEADER.get(header_text_key(text))


def header_for(key: str) -> str:
    """The Chinese header of a field key; a custom field is already named by its header."""
    field = FIELDS_BY_KEY.get(key)
    return field.header if field else key


def words(code_word: str) -> tuple[str, ...]:
    """The synonyms packed into one code-table word ('停用/报废' -> ('停用', '报废'))."""
    return tuple(w for w in code_word.split("/") if w)
